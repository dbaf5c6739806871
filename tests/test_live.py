"""Live mode end to end: the real CLI against the fake OpenAI-compatible server, over sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.synthetic import METRICS, write_project
from tests.conftest import benchgate, tool_env
from tests.fakes.certificates import self_signed
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer, make_default_responder
from tests.fakes.proxy_server import FakeProxy
from tests.fakes.raw_server import RawAnswer, RawServer, http

JUDGE = "synthetic-judge"
RESULTS = "data/results/synthetic/live"
CACHE = ".benchgate/cache.sqlite"
KEY = "sk-test-9f8e7d6c5b4a39281706"
NO_TRUST = {"SSL_CERT_FILE": "", "SSL_CERT_DIR": ""}
"""The machine's own CA settings, blanked: the self-signed test certificate is in neither."""
NO_PROXIES = {"HTTP_PROXY": "", "HTTPS_PROXY": "", "ALL_PROXY": "", "NO_PROXY": "", "no_proxy": ""}


def live(
    root: Path, url: str, *args: str, key: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    variables = {"LLM_URL": url, **({"LLM_API_KEY": key} if key else {}), **(env or {})}
    return benchgate(root, "run", "--mode", "live", *args, env=variables)


def scores(root: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (root / RESULTS / "scores.jsonl").read_text().splitlines()]


def reliability(root: Path) -> dict[str, object]:
    return dict(json.loads((root / RESULTS / "run.json").read_text())["reliability"])


def cached_replies(root: Path) -> int:
    with sqlite3.connect(root / CACHE) as db:
        return int(db.execute("SELECT count(*) FROM replies").fetchone()[0])


def test_faulty_endpoint_loses_nothing_and_retries_match_the_server(tmp_path: Path) -> None:
    write_project(tmp_path, 500)
    config = FakeConfig(
        seed=3, models=(JUDGE,), p_503=0.10, p_429=0.05, retry_after_s=1.0, p_reset=0.03, p_malformed=0.05
    )
    with FakeOpenAIServer(config) as server:
        done = live(tmp_path, server.url)
        stats = server.stats()
    assert done.returncode == 0, done.stderr
    results = scores(tmp_path)
    assert len(results) == 500
    for record in results:
        judged = set(record.get("scores", {})) | set(record.get("unscored", {}))  # type: ignore[arg-type]
        assert judged == set(METRICS), record
    calls = reliability(tmp_path)
    server_failures = {k: v for k, v in stats["status"].items() if k != "200"}
    assert calls["retries"] == server_failures
    assert calls["requests"] == stats["total_requests"]
    unscored = sum(len(r.get("unscored", {})) for r in results)  # type: ignore[arg-type]
    assert calls["reasks"] + unscored == stats["malformed"], "each unreadable reply is asked again once"
    assert set(server_failures) == {"503", "429", "reset"}

    gate = benchgate(tmp_path, "gate", "--mode", "live")
    assert gate.returncode in (0, 1), gate.stderr
    report = (tmp_path / ".benchgate/reports/synthetic/live/report.md").read_text()
    shown = ", ".join(f"`{k}` ×{v}" for k, v in sorted(server_failures.items()))
    assert f"retried failures by status: {shown}" in report


def test_killed_run_resumes_without_repeating_finished_calls(tmp_path: Path) -> None:
    write_project(tmp_path, 150)
    total_calls = 150 * len(METRICS)
    slow = FakeConfig(seed=4, models=(JUDGE,), service_time_s=0.02, capacity=4, overload="queue")
    with FakeOpenAIServer(slow) as server:
        env = {**tool_env(), "LLM_URL": server.url}
        process = subprocess.Popen(
            [sys.executable, "-m", "benchgate", "run", "--mode", "live"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if cached_replies(tmp_path) >= total_calls // 2:
                    break
            except sqlite3.OperationalError:
                pass  # the run has not created the cache yet
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        finished = cached_replies(tmp_path)
        assert total_calls // 2 <= finished < total_calls
        before = server.stats()["total_requests"]

        resumed = live(tmp_path, server.url)
        assert resumed.returncode == 0, resumed.stderr
        assert server.stats()["total_requests"] - before == total_calls - finished
        assert cached_replies(tmp_path) == total_calls

        again = live(tmp_path, server.url)
        assert again.returncode == 0
        assert server.stats()["total_requests"] - before == total_calls - finished, (
            "a second run made requests"
        )
    assert reliability(tmp_path)["requests"] == 0
    assert reliability(tmp_path)["cache_hits"] == total_calls


@pytest.mark.parametrize(
    ("config", "key", "expected"),
    [
        (FakeConfig(models=(JUDGE,), api_key="the-right-key"), "sk-wrong-0000111122223333", "HTTP 401"),
        (FakeConfig(models=("another-model",)), None, "HTTP 404"),
    ],
)
def test_fatal_answers_end_fast_with_exit_3_and_no_retry_storm(
    tmp_path: Path, config: FakeConfig, key: str | None, expected: str
) -> None:
    write_project(tmp_path, 40)
    with FakeOpenAIServer(config) as server:
        started = time.monotonic()
        done = live(tmp_path, server.url, key=key)
        elapsed = time.monotonic() - started
        requests = server.stats()["total_requests"]
    assert done.returncode == 3
    assert elapsed < 10
    assert requests <= 8, "at most the first wave of concurrent requests"
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("benchgate: error: LLM endpoint http://127.0.0.1:")
    assert expected in lines[-1] and f"'{JUDGE}'" in lines[-1]
    assert "Traceback" not in done.stderr
    if key:
        assert key not in done.stderr + done.stdout


def test_unreachable_endpoint_ends_with_exit_3_after_bounded_retries(tmp_path: Path) -> None:
    write_project(tmp_path, 25)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    done = live(tmp_path, f"http://127.0.0.1:{port}/v1")
    assert done.returncode == 3, done.stderr
    assert time.monotonic() - started < 15
    assert "still failing after retries" in done.stderr and "connect" in done.stderr.lower()


def test_the_api_key_never_leaves_the_authorization_header(tmp_path: Path) -> None:
    write_project(tmp_path, 30)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,), api_key=KEY)) as server:
        run = live(tmp_path, server.url, key=KEY)
        gate = benchgate(tmp_path, "gate", "--mode", "live")
        wrong = live(tmp_path, server.url, "--no-cache", key=KEY[:-1] + "X")
    assert run.returncode == 0, run.stderr
    assert wrong.returncode == 3
    outputs = run.stdout + run.stderr + gate.stdout + gate.stderr + wrong.stdout + wrong.stderr
    assert KEY not in outputs and KEY[:-1] not in outputs
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "cache.sqlite" for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path


def test_llama_cpp_style_format_rejection_is_negotiated_once_and_remembered(tmp_path: Path) -> None:
    write_project(tmp_path, 30)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,), reject_json_schema=True)) as server:
        first = live(tmp_path, server.url)
        rejected = server.stats()["status"].get("500", 0)
        second = live(tmp_path, server.url, "--limit", "30")
        after = server.stats()
    assert first.returncode == 0, first.stderr
    assert rejected == 1, "one call learns the format; the others wait for it"
    assert after["status"].get("500", 0) == rejected
    assert second.returncode == 0
    with sqlite3.connect(tmp_path / CACHE) as db:
        assert db.execute("SELECT mode FROM formats").fetchall() == [("json_object",)]
    assert all(set(r["scores"]) == set(METRICS) for r in scores(tmp_path))  # type: ignore[arg-type]


def test_prompt_edit_reruns_generation_and_judging_in_the_live_stage(tmp_path: Path) -> None:
    from tests.conftest import ROOT, commit_all, dvc, git

    write_project(tmp_path, 25)
    params = (tmp_path / "params.yaml").read_text()
    params = params.replace(
        f"    judge: {{model: {JUDGE}}}\n",
        f"    judge: {{model: {JUDGE}}}\n    generator: {{model: synthetic-gen}}\n",
    )
    (tmp_path / "params.yaml").write_text(params + "live: [synthetic]\n")
    stages = (ROOT / "dvc.yaml").read_text().replace("      - benchgate\n", "")  # no package code here
    (tmp_path / "dvc.yaml").write_text(stages)
    git(tmp_path, "init", "-q", "-b", "main")
    assert dvc(tmp_path, "init", "-q").returncode == 0
    with FakeOpenAIServer(FakeConfig(models=(JUDGE, "synthetic-gen"))) as server:
        env = {"LLM_URL": server.url}
        first = dvc(tmp_path, "repro", env=env)
        assert first.returncode == 0, first.stderr
        assert "Running stage 'bench@synthetic-dry-run'" in first.stdout
        assert "Running stage 'bench-live@synthetic-live'" in first.stdout
        commit_all(tmp_path, "both stages")
        assert dvc(tmp_path, "repro", env=env).stdout.count("Running stage") == 0
        before = server.stats()["total_requests"]

        prompt = tmp_path / "data/scenarios/synthetic/prompt.md"
        prompt.write_text(prompt.read_text() + "Пиши короче.\n")
        again = dvc(tmp_path, "repro", env=env)
        assert again.returncode == 0, again.stderr
        assert "Running stage 'bench-live@synthetic-live'" in again.stdout
        made = server.stats()["total_requests"] - before
    assert made == 25 * (1 + len(METRICS)), "every sample generated and judged again"
    generated = scores(tmp_path)
    assert all(isinstance(r["output"], str) and r["output"] for r in generated)
    assert all(isinstance(r["latency_s"], float) for r in generated)


def test_a_key_with_a_line_break_is_refused_before_any_request(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,))) as server:
        done = live(tmp_path, server.url, key="sk-abc\nX-Injected: 1")
        assert server.stats()["total_requests"] == 0
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "benchgate: error: LLM_API_KEY contains a control character or line break; check how it is set"
    )


def test_repeated_judgements_are_averaged_and_priced(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    params = (tmp_path / "params.yaml").read_text()
    params = params.replace(
        f"judge: {{model: {JUDGE}}}", f"judge: {{model: {JUDGE}, samples: 3, temperature: 0.7}}"
    )
    params += f"llm:\n  prices:\n    {JUDGE}: {{prompt_per_mtok: 2.5, completion_per_mtok: 10}}\n"
    (tmp_path / "params.yaml").write_text(params)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,))) as server:
        done = live(tmp_path, server.url)
        seeds = {json.dumps(b) for b in server.stats()["by_body"]}
        requests = server.stats()["total_requests"]
    assert done.returncode == 0, done.stderr
    assert requests == 20 * len(METRICS) * 3
    assert len(seeds) == requests, "each repeat is its own request (seed + repeat index)"
    calls = reliability(tmp_path)
    expected = (calls["prompt_tokens"] * 2.5 + calls["completion_tokens"] * 10) / 1e6  # type: ignore[operator]
    assert calls["cost_usd"] == round(expected, 4)
    assert calls["cost_usd"] > 0  # type: ignore[operator]
    for record in scores(tmp_path):
        for value in record["scores"].values():  # type: ignore[union-attr]
            assert round(value * 12) == value * 12, "mean of three scores on the 0, .25, ... 1 scale"


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_self_signed_endpoint_fails_fast_naming_ssl_cert_file_and_works_once_trusted(
    tmp_path: Path,
) -> None:
    write_project(tmp_path, 20)
    certificate, key = self_signed(tmp_path)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,)), tls=(certificate, key)) as server:
        started = time.monotonic()
        refused = live(tmp_path, server.url, env=NO_TRUST)
        elapsed = time.monotonic() - started
        assert server.stats()["total_requests"] == 0
        trusted = live(tmp_path, server.url, env={**NO_TRUST, "SSL_CERT_FILE": str(certificate)})
        answered = server.stats()["total_requests"]
    assert refused.returncode == 3
    assert elapsed < 10, "a certificate failure is not retried"
    line = last_line(refused)
    assert line.startswith(f"benchgate: error: LLM endpoint {server.url}/v1/chat/completions")
    assert "TLS certificate not trusted (self-signed certificate)" in line and "set SSL_CERT_FILE" in line
    assert trusted.returncode == 0, trusted.stderr
    assert answered == 20 * len(METRICS)
    assert all(set(r["scores"]) == set(METRICS) for r in scores(tmp_path))  # type: ignore[arg-type]


def test_an_http_proxy_carries_plain_and_tls_calls(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    certificate, key = self_signed(tmp_path)
    plain_server = FakeOpenAIServer(FakeConfig(models=(JUDGE,)))
    tls_server = FakeOpenAIServer(FakeConfig(models=(JUDGE,)), tls=(certificate, key))
    with plain_server as plain, tls_server as tls, FakeProxy() as proxy:
        forwarded = live(tmp_path, plain.url, "--no-cache", env={**NO_PROXIES, "HTTP_PROXY": proxy.url})
        tunnelled = live(
            tmp_path,
            tls.url,
            "--no-cache",
            env={**NO_PROXIES, "https_proxy": proxy.url, "SSL_CERT_FILE": str(certificate)},
        )
        bypassed = live(
            tmp_path,
            plain.url,
            "--no-cache",
            env={"HTTP_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"},
        )
        seen = proxy.seen()
        served = plain.stats()["total_requests"], tls.stats()["total_requests"]
    assert (forwarded.returncode, tunnelled.returncode, bypassed.returncode) == (0, 0, 0), tunnelled.stderr
    calls = 20 * len(METRICS)
    assert served == (2 * calls, calls)
    posts = [line for line in seen if line.startswith("POST ")]
    assert posts == [f"POST {plain.url}/v1/chat/completions"] * calls, "every plain call, none bypassed"
    tunnels = [line for line in seen if line.startswith("CONNECT ")]
    assert tunnels and set(tunnels) == {f"CONNECT 127.0.0.1:{tls.port}"}


def test_a_socks_proxy_works_with_the_extra_and_is_a_clear_error_without(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    missing = tmp_path / "without-extra"
    missing.mkdir()
    (missing / "aiohttp_socks.py").write_text("raise ImportError(\"No module named 'aiohttp_socks'\")\n")
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,))) as server, FakeProxy() as proxy:
        socks = {**NO_PROXIES, "ALL_PROXY": proxy.socks_url}
        without = live(tmp_path, server.url, env={**socks, "PYTHONPATH": str(missing)})
        assert server.stats()["total_requests"] == 0
        extra = pytest.importorskip("aiohttp_socks")  # installed by the `socks` extra
        done = live(tmp_path, server.url, env=socks)
        seen = proxy.seen()
    assert without.returncode == 2
    assert last_line(without) == (
        f"benchgate: error: ALL_PROXY={proxy.socks_url} is a SOCKS proxy, which needs an extra: "
        "pip install 'benchgate[socks]'; or exempt the endpoint with NO_PROXY"
    )
    assert extra is not None and done.returncode == 0, done.stderr
    assert seen and set(seen) == {f"SOCKS5 127.0.0.1:{server.port}"}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("127.0.0.1:8000", "127.0.0.1:8000 needs an http:// or https:// scheme and a host"),
        ("http://127.0.0.1:80000/v1", "http://127.0.0.1:80000/v1 has an invalid port"),
        ("htp://u:secret@127.0.0.1/v1?key=sk-url-000000", "htp://127.0.0.1/v1 needs an http:// or https://"),
    ],
)
def test_an_unusable_llm_url_is_a_usage_error_before_any_work(tmp_path: Path, url: str, problem: str) -> None:
    write_project(tmp_path, 20)
    done = live(tmp_path, url)
    assert done.returncode == 2
    line = last_line(done)
    assert line.startswith(f"benchgate: error: LLM_URL: {problem}")
    assert "secret" not in done.stderr and "sk-url" not in done.stderr
    assert not (tmp_path / CACHE).exists()


def test_a_query_string_goes_last_on_the_wire_and_is_never_shown(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    query = "api-version=2024-06-01&key=sk-query-0123456789"
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,))) as server, FakeProxy() as proxy:
        done = live(tmp_path, f"{server.url}/v1?{query}", env={**NO_PROXIES, "HTTP_PROXY": proxy.url})
        gate = benchgate(tmp_path, "gate", "--mode", "live")
        seen = set(proxy.seen())
    assert done.returncode == 0, done.stderr
    assert seen == {f"POST {server.url}/v1/chat/completions?{query}"}
    run = json.loads((tmp_path / RESULTS / "run.json").read_text())
    assert run["endpoint"] == f"{server.url}/v1/chat/completions"
    assert gate.returncode in (0, 1), gate.stderr
    for path in [p for p in tmp_path.rglob("*") if p.is_file()]:
        assert b"api-version" not in path.read_bytes() and b"sk-query" not in path.read_bytes(), path
    assert "api-version" not in done.stdout + done.stderr + gate.stdout + gate.stderr


JUDGED = json.dumps(
    {"choices": [{"message": {"content": '{"score": 4, "reason": "ok"}'}, "finish_reason": "stop"}]}
).encode()


@pytest.mark.parametrize(
    ("first", "retried"),
    [
        (http(200, b"[]"), {"malformed 200": 2}),
        (http(200, JUDGED[:-1] + b', "usage": ["odd"]}'), {"malformed 200": 1}),
        (http(500, b"[1]"), {"500": 1, "malformed 200": 1}),
        (http(404, b'["no such model"]'), None),
    ],
    ids=["list-body", "usage-list", "500-list", "404-list"],
)
def test_odd_bodies_end_in_a_result_or_one_line_never_a_crash(
    tmp_path: Path, first: bytes, retried: dict[str, int] | None
) -> None:
    write_project(tmp_path, 20)
    answers = [RawAnswer(first, "keep"), RawAnswer(http(200, b'{"choices": []}'), "keep")]
    with RawServer(lambda n: answers[n] if n < 2 else RawAnswer(http(200, JUDGED), "keep")) as server:
        done = live(tmp_path, server.url)
    if retried is None:
        assert done.returncode == 3
        assert last_line(done).endswith('HTTP 404 ["no such model"] (check the model name and LLM_URL)')
        return
    assert done.returncode == 0, done.stderr
    assert reliability(tmp_path)["retries"] == retried, "a malformed 200 is labelled so, not as status 200"
    benchgate(tmp_path, "gate", "--mode", "live")
    report = (tmp_path / ".benchgate/reports/synthetic/live/report.md").read_text()
    assert "`malformed 200` ×" in report


def test_a_server_rejecting_response_format_in_fastapi_words_is_negotiated_to_plain_text(
    tmp_path: Path,
) -> None:
    write_project(tmp_path, 20)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,), reject_response_format=True)) as server:
        done = live(tmp_path, server.url)
        status = server.stats()["status"]
    assert done.returncode == 0, done.stderr
    assert status == {"422": 2, "200": 20 * len(METRICS)}, "one json_schema and one json_object probe"
    with sqlite3.connect(tmp_path / CACHE) as db:
        assert db.execute("SELECT mode FROM formats").fetchall() == [("text",)]
    assert all(set(r["scores"]) == set(METRICS) for r in scores(tmp_path))  # type: ignore[arg-type]


def test_an_echoed_example_is_not_taken_for_a_score(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    example = '{"score": 3, "reason": "one post is missing"}'
    params = (tmp_path / "params.yaml").read_text()
    described = f"{{pass: 0.88, warn: 0.80, description: 'reply like {example}'}}"
    (tmp_path / "params.yaml").write_text(params.replace("{pass: 0.88, warn: 0.80}", described, 1))
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,)), responder=lambda body: f"Sure: {example}") as server:
        done = live(tmp_path, server.url)
    assert done.returncode == 0, done.stderr
    judged = scores(tmp_path)
    assert all(set(r["unscored"]) == {"coverage"} for r in judged), judged[0]  # type: ignore[arg-type]


def test_replies_cached_for_one_endpoint_are_not_served_for_another(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    with (
        FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as one,
        FakeOpenAIServer(FakeConfig(seed=2, models=(JUDGE,))) as two,
    ):
        assert live(tmp_path, one.url).returncode == 0
        first = scores(tmp_path)
        assert live(tmp_path, two.url).returncode == 0
        made = two.stats()["total_requests"]
        assert live(tmp_path, one.url).returncode == 0
        again = one.stats()["total_requests"]
    assert made == 20 * len(METRICS)
    assert scores(tmp_path) == first and again == made, "the first endpoint's answers are still cached"


def test_unreadable_replies_are_asked_again_on_the_next_run_not_replayed_forever(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    calls = 20 * len(METRICS)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,)), responder=lambda body: "No idea, really.") as server:
        assert live(tmp_path, server.url).returncode == 0
        assert all(set(r["unscored"]) == set(METRICS) for r in scores(tmp_path))  # type: ignore[arg-type]
        assert server.stats()["total_requests"] == 2 * calls, "asked, then asked once more"
        server.reset_stats()
        server.responder = make_default_responder(0)
        assert live(tmp_path, server.url).returncode == 0
        assert server.stats()["total_requests"] == calls
        assert all(set(r["scores"]) == set(METRICS) for r in scores(tmp_path))  # type: ignore[arg-type]
        assert live(tmp_path, server.url).returncode == 0
        assert server.stats()["total_requests"] == calls, "readable now: replayed"


def test_a_retry_after_beyond_the_cap_ends_the_run_at_once(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,), p_429=1.0, retry_after_s=120)) as server:
        started = time.monotonic()
        done = live(tmp_path, server.url)
        elapsed = time.monotonic() - started
    assert done.returncode == 3
    assert elapsed < 15
    assert "server asks to wait 120 s, more than the 60 s allowed" in last_line(done)
