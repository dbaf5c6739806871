"""The fake OpenAI server keeps its promises over real sockets, as seen by httpx.

These tests guard the guard: if the fake drifted from the real wire format, or its
faults were not reproducible, end-to-end tests of the LLM client would prove nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import selectors
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.openai_server import (
    MALFORMED_CONTENT,
    FakeConfig,
    FakeOpenAIServer,
    canonical_json,
)

ROOT = Path(__file__).resolve().parents[2]
CHAT = "/v1/chat/completions"
JsonDict = dict[str, Any]


def chat(content: str, model: str = "gen-model", **extra: Any) -> JsonDict:
    """A minimal chat-completions request body."""
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for one-shot requests: each new httpx client builds an SSL context (~0.1 s)."""
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeOpenAIServer]]:
    """Start fake servers from keyword config; all are stopped at teardown."""
    started: list[FakeOpenAIServer] = []

    def start(**config: Any) -> FakeOpenAIServer:
        server = FakeOpenAIServer(FakeConfig(**config)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def outcome(client: httpx.Client, url: str, body: JsonDict) -> str:
    """One word per request: the status, "reset", "malformed" or "truncated"."""
    try:
        response = client.post(url + CHAT, json=body)
    except httpx.TransportError:
        return "reset"
    if response.status_code != 200:
        return str(response.status_code)
    choice = response.json()["choices"][0]
    if choice["finish_reason"] == "length":
        return "truncated"
    if choice["message"]["content"] == MALFORMED_CONTENT:
        return "malformed"
    return "200"


async def burst(url: str, bodies: list[JsonDict]) -> list[httpx.Response]:
    """All bodies at once from one AsyncClient with a connection per request."""
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=20) as client:
        return list(await asyncio.gather(*(client.post(CHAT, json=b) for b in bodies)))


def test_completion_round_trip_has_the_exact_openai_shape(
    serve: Callable[..., Any], http: httpx.Client
) -> None:
    server = serve(seed=7)
    response = http.post(server.url + CHAT, json=chat("  Привет,\n  мир  "))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    reply = response.json()
    assert set(reply) == {"id", "object", "created", "model", "choices", "usage"}
    assert reply["id"].startswith("chatcmpl-")
    assert reply["object"] == "chat.completion"
    assert reply["created"] == 1_700_000_007
    assert reply["model"] == "gen-model"
    assert reply["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Дайджест: Привет, мир"},
            "finish_reason": "stop",
        }
    ]
    usage = reply["usage"]
    assert usage["prompt_tokens"] >= 1
    assert usage["completion_tokens"] >= 1
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_judge_calls_get_a_reproducible_json_score(serve: Callable[..., Any], http: httpx.Client) -> None:
    body = chat("Rate this digest; give a SCORE from 1 to 5.", model="judge-model")
    scores = []
    for server in (serve(seed=3), serve(seed=3)):
        content = http.post(server.url + CHAT, json=body).json()["choices"][0]["message"]
        verdict = json.loads(content["content"])
        assert set(verdict) == {"score", "reason"}
        scores.append(verdict["score"])
    assert scores[0] == scores[1]
    assert scores[0] in range(1, 6)
    structured = chat("no keyword here", response_format={"type": "json_object"})
    content = http.post(server.url + CHAT, json=structured).json()["choices"][0]["message"]
    assert json.loads(content["content"])["score"] in range(1, 6)


def test_models_are_listed_in_openai_format(serve: Callable[..., Any], http: httpx.Client) -> None:
    server = serve(models=("a", "b"))
    listing = http.get(server.url + "/v1/models").json()
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == ["a", "b"]
    assert all(m["object"] == "model" for m in listing["data"])


def test_wrong_key_is_401_and_never_echoed(serve: Callable[..., Any], http: httpx.Client) -> None:
    server = serve(api_key="sk-right")
    wrong = http.post(server.url + CHAT, json=chat("x"), headers={"Authorization": "Bearer sk-WRONG-123"})
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    assert "sk-WRONG" not in wrong.text
    assert http.post(server.url + CHAT, json=chat("x")).status_code == 401
    right = http.post(server.url + CHAT, json=chat("x"), headers={"Authorization": "Bearer sk-right"})
    assert right.status_code == 200


def test_unknown_model_is_404_model_not_found(serve: Callable[..., Any], http: httpx.Client) -> None:
    server = serve()
    response = http.post(server.url + CHAT, json=chat("x", model="gpt-9"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "The model `gpt-9` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": None,
            "code": "model_not_found",
        }
    }


def test_bad_bodies_are_400(serve: Callable[..., Any]) -> None:
    server = serve()
    with httpx.Client(base_url=server.url) as client:
        not_json = client.post(CHAT, content=b"{nope", headers={"content-type": "application/json"})
        no_messages = client.post(CHAT, json={"model": "gen-model"})
        still_alive = client.post(CHAT, json=chat("x"))
    for response in (not_json, no_messages):
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert still_alive.status_code == 200


def test_json_schema_is_rejected_like_llama_cpp(serve: Callable[..., Any], http: httpx.Client) -> None:
    schema = {"type": "object", "properties": {"score": {"type": "integer"}}}
    strict = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}}
    loose = {"type": "json_object", "schema": schema}
    llama = serve(reject_json_schema=True)
    rejected = http.post(llama.url + CHAT, json=chat("x", response_format=strict))
    assert rejected.status_code == 500
    assert rejected.json() == {
        "error": {
            "code": 500,
            "message": "Input should be 'text' or 'json_object'",
            "type": "server_error",
        }
    }
    assert http.post(llama.url + CHAT, json=chat("x", response_format=loose)).status_code == 200
    openai = serve()
    assert http.post(openai.url + CHAT, json=chat("x", response_format=strict)).status_code == 200


def test_insufficient_quota_is_429_without_retry_after(serve: Callable[..., Any], http: httpx.Client) -> None:
    server = serve(insufficient_quota=True)
    response = http.post(server.url + CHAT, json=chat("x"))
    assert response.status_code == 429
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("insufficient_quota", "insufficient_quota")
    assert "retry-after" not in response.headers
    assert "retry-after-ms" not in response.headers


def test_overload_429_answers_beyond_capacity_at_once(serve: Callable[..., Any]) -> None:
    server = serve(capacity=4, service_time_s=0.5, overload="429", retry_after_s=1.5)
    responses = asyncio.run(burst(server.url, [chat(f"c{i}") for i in range(16)]))
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 429}
    assert statuses[429] > 0
    assert statuses[200] >= 4
    for response in responses:
        if response.status_code == 429:
            assert response.headers["retry-after"] == "2"
            assert response.headers["retry-after-ms"] == "1500"
    stats = server.stats()
    assert stats["peak_in_flight"] <= 4
    assert stats["overloaded"] == statuses[429]


def test_overload_queue_waits_and_fills_every_slot(serve: Callable[..., Any]) -> None:
    server = serve(capacity=4, service_time_s=0.2, overload="queue")
    started = time.monotonic()
    responses = asyncio.run(burst(server.url, [chat(f"q{i}") for i in range(12)]))
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 12
    assert server.stats()["peak_in_flight"] == 4
    assert elapsed >= 0.55  # three waves of 0.2 s: the slots really were limited


def test_fault_rates_are_honoured_and_reproducible(serve: Callable[..., Any], http: httpx.Client) -> None:
    faults = {"p_503": 0.1, "p_429": 0.1, "p_reset": 0.05, "p_malformed": 0.1, "p_truncated": 0.1}
    bodies = [chat(f"item {i}") for i in range(300)]
    runs = []
    for seed, count in ((11, 300), (11, 300), (12, 100)):
        server = serve(seed=seed, **faults)
        runs.append([outcome(http, server.url, body) for body in bodies[:count]])
        counts = Counter(runs[-1])
        stats = server.stats()
        assert stats["status"].get("reset", 0) == stats["reset"] == counts["reset"]
        assert stats["malformed"] == counts["malformed"]
        assert stats["truncated"] == counts["truncated"]
        assert stats["total_requests"] == count
    assert runs[0] == runs[1], "same seed and bodies must give the same fates"
    assert runs[0][:100] != runs[2], "another seed must give other fates"
    counts = Counter(runs[0])
    for kind, expected in [("503", 30), ("429", 30), ("reset", 15)]:
        assert expected / 2 <= counts[kind] <= expected * 2, (kind, counts)
    served = counts["200"] + counts["malformed"] + counts["truncated"]
    for kind in ("malformed", "truncated"):
        assert 0.05 * served <= counts[kind] <= 0.2 * served, (kind, counts)


def test_a_retried_body_gets_a_fresh_but_reproducible_fate(
    serve: Callable[..., Any], http: httpx.Client
) -> None:
    sequences = []
    for _ in range(2):
        server = serve(seed=5, p_503=0.5)
        sequences.append([outcome(http, server.url, chat("same")) for _ in range(20)])
        assert server.stats()["by_body"] == {hashlib.sha256(canonical_json(chat("same"))).hexdigest(): 20}
    assert sequences[0] == sequences[1]
    assert set(sequences[0]) == {"200", "503"}


def test_reset_is_a_transport_error_for_httpx(serve: Callable[..., Any]) -> None:
    server = serve(p_reset=1.0)
    with httpx.Client(base_url=server.url) as client, pytest.raises(httpx.TransportError) as caught:
        client.post(CHAT, json=chat("x"))
    assert isinstance(caught.value, (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError))
    stats = server.stats()
    assert (stats["reset"], stats["status"]) == (1, {"reset": 1})


def test_malformed_and_truncated_replies_are_not_json(serve: Callable[..., Any], http: httpx.Client) -> None:
    body = chat("Give a score", model="judge-model")
    clean = http.post(serve().url + CHAT, json=body).json()["choices"][0]
    malformed = http.post(serve(p_malformed=1.0).url + CHAT, json=body).json()["choices"][0]
    truncated = http.post(serve(p_truncated=1.0).url + CHAT, json=body).json()["choices"][0]
    assert malformed["message"]["content"] == MALFORMED_CONTENT
    assert truncated["finish_reason"] == "length"
    cut = truncated["message"]["content"]
    assert clean["message"]["content"].startswith(cut)
    assert cut.startswith('{"score": ')
    for content in (MALFORMED_CONTENT, cut):
        with pytest.raises(json.JSONDecodeError):
            json.loads(content)


def test_slow_requests_trip_client_timeouts(serve: Callable[..., Any], http: httpx.Client) -> None:
    server = serve(p_slow=1.0, slow_s=0.5)
    with pytest.raises(httpx.ReadTimeout):
        http.post(server.url + CHAT, json=chat("x"), timeout=0.1)
    deadline = time.monotonic() + 5
    while not server.stats()["status"] and time.monotonic() < deadline:
        time.sleep(0.02)  # the server records the outcome only once its delay is over
    stats = server.stats()
    assert (stats["slow"], stats["status"]) == (1, {"200": 1})


def test_stats_endpoint_matches_the_python_api(serve: Callable[..., Any]) -> None:
    server = serve(p_503=0.3)
    with httpx.Client(base_url=server.url) as client:
        for i in range(10):
            client.post(CHAT, json=chat(f"s{i}"))
        client.post(CHAT, json=chat("x", model="nope"))
        over_http = client.get("/_stats").json()
        assert over_http == server.stats()
        assert over_http["total_requests"] == 11
        assert sum(over_http["status"].values()) == 11
        assert over_http["status"]["404"] == 1
        assert len(over_http["by_body"]) == 11
        assert sum(over_http["by_body_ok"].values()) == over_http["status"].get("200", 0)
        assert client.post("/_reset_stats").status_code == 200
    after = server.stats()
    assert (after["total_requests"], after["status"], after["by_body"]) == (0, {}, {})


def test_responder_is_pluggable(serve: Callable[..., Any], http: httpx.Client) -> None:
    seen: list[JsonDict] = []

    def echo_model(request: JsonDict) -> str:
        seen.append(request)
        return "from " + str(request["model"])

    with FakeOpenAIServer(responder=echo_model) as server:
        first = http.post(server.url + CHAT, json=chat("x")).json()
        server.responder = lambda request: "swapped"
        second = http.post(server.url + CHAT, json=chat("x")).json()
    assert first["choices"][0]["message"]["content"] == "from gen-model"
    assert second["choices"][0]["message"]["content"] == "swapped"
    assert seen == [chat("x")]


def test_stop_is_prompt_with_idle_and_busy_keep_alive_clients() -> None:
    server = FakeOpenAIServer(FakeConfig(service_time_s=30, capacity=1, overload="queue")).start()
    idle = httpx.Client(base_url=server.url)
    assert idle.get("/v1/models").status_code == 200  # now an idle keep-alive connection
    busy = [httpx.Client(base_url=server.url, timeout=10) for _ in range(2)]
    workers = [threading.Thread(target=_swallow, args=(c,), daemon=True) for c in busy]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 5
    while server.stats()["total_requests"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # one request serving for 30 s, one queued behind it
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    for worker in workers:
        worker.join(timeout=5)
        assert not worker.is_alive()
    for client in (idle, *busy):
        client.close()


def _swallow(client: httpx.Client) -> None:
    """Send one slow request and ignore however the shutdown ends it."""
    with contextlib.suppress(httpx.HTTPError):
        client.post(CHAT, json=chat("busy"))


def test_invalid_configs_fail_at_construction() -> None:
    for bad in ({"p_503": 1.5}, {"p_503": 0.6, "p_429": 0.6}, {"capacity": 0}, {"models": ()}):
        with pytest.raises(ValueError, match=r"."):
            FakeConfig(**bad)


def test_cli_prints_its_url_and_serves_until_sigterm(http: httpx.Client) -> None:
    command = [sys.executable, "-m", "tests.fakes.openai_server", "--port", "0"]
    command += ["--seed", "1", "--p-503", "1", "--retry-after", "0.25", "--models", "m1,m2"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            assert selector.select(timeout=15), "the CLI never printed its URL"
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        models = http.get(url + "/v1/models").json()
        assert [m["id"] for m in models["data"]] == ["m1", "m2"]
        failed = http.post(url + CHAT, json=chat("x", model="m1"))
        assert failed.status_code == 503
        assert (failed.headers["retry-after"], failed.headers["retry-after-ms"]) == ("1", "250")
        assert http.get(url + "/_stats").json()["status"] == {"503": 1}
        process.terminate()
        assert process.wait(timeout=5) == 0
        assert process.stdout.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def test_the_pairwise_judge_prefers_the_marker_and_follows_the_first_slot_on_its_share() -> None:
    from benchgate.llm.pairwise import PairPrompt
    from tests.fakes.openai_server import make_pairwise_responder

    def ask(first: str, second: str, style: str = "json", salt: int = 0) -> str:
        request = {
            "messages": PairPrompt("You grade.", "Which?").messages(f"input {salt}", first, second, style)
        }
        if style == "json":
            request["response_format"] = {"type": "json_object"}
        return make_pairwise_responder("[ok]", 0.3)(request)

    assert json.loads(ask("a [ok]", "b"))["winner"] == "A"
    assert json.loads(ask("a", "b"))["winner"] in ("tie", "A")
    assert ask("a", "b [ok]", style="text").splitlines()[-1] in ("WINNER: B", "WINNER: A")
    first = sum(json.loads(ask("a", "b [ok]", salt=i))["winner"] == "A" for i in range(400))
    assert 0.24 < first / 400 < 0.36, "the configured share of calls names the first slot"
    assert make_pairwise_responder("[ok]")({"messages": [{"role": "user", "content": "hi"}]}).startswith(
        "Дайджест"
    )
