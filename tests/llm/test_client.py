"""The client against in-process transports: retry policy, fatal errors, secrets, cache."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from benchgate.errors import LLMError
from benchgate.llm.cache import ResponseCache
from benchgate.llm.client import ChatClient, Reply, UnsupportedResponseFormat
from benchgate.llm.endpoint import parse_endpoint
from tests.llm.clients import quick_client

KEY = "sk-live-0123456789abcdef"
PAYLOAD = {"model": "judge-model", "messages": [{"role": "user", "content": "score it"}]}
OK = {
    "choices": [{"message": {"role": "assistant", "content": '{"score": 4}'}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 3},
}


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], cache: ResponseCache | None = None, attempts: int = 5
) -> ChatClient:
    return quick_client(httpx.MockTransport(handler), api_key=KEY, cache=cache, attempts=attempts)


def scripted(
    *responses: httpx.Response | Exception,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def complete(
    client: ChatClient, payload: dict[str, object] = PAYLOAD, url: str = "http://llm.test:8000"
) -> Reply:
    async def go() -> Reply:
        try:
            return await client.complete(parse_endpoint(url, "LLM_URL"), payload)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_transient_failures_are_retried_and_counted_by_status() -> None:
    handler, seen = scripted(
        httpx.Response(503, json={"error": {"message": "busy"}}),
        httpx.Response(429, headers={"retry-after-ms": "1"}, json={"error": {"message": "slow"}}),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.Response(200, json=OK),
    )
    client = client_for(handler)
    reply = complete(client)
    assert reply.content == '{"score": 4}'
    assert len(seen) == 4
    assert dict(client.stats.retries) == {"503": 1, "429": 1, "reset": 1}
    assert client.stats.requests == 4
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert str(seen[0].url) == "http://llm.test:8000/v1/chat/completions"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}},
            "HTTP 401",
        ),
        (
            404,
            {"error": {"message": "The model `judge-model` does not exist", "code": "model_not_found"}},
            "HTTP 404",
        ),
        (403, {"error": {"message": "forbidden"}}, "HTTP 403"),
        (400, {"error": {"message": "bad request"}}, "HTTP 400"),
        (
            429,
            {"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}},
            "insufficient quota",
        ),
    ],
)
def test_fatal_answers_fail_fast_naming_endpoint_and_model_never_the_key(
    status: int, body: dict[str, object], expected: str
) -> None:
    handler, seen = scripted(httpx.Response(status, json=body))
    with pytest.raises(LLMError) as caught:
        complete(client_for(handler))
    message = str(caught.value)
    assert len(seen) == 1
    assert expected in message
    assert "http://llm.test:8000/v1/chat/completions" in message and "'judge-model'" in message
    assert KEY not in message and "0123456789" not in message


def test_rejected_response_format_is_not_retried() -> None:
    handler, seen = scripted(
        httpx.Response(
            500, json={"error": {"code": 500, "message": "Input should be 'text' or 'json_object'"}}
        )
    )
    with pytest.raises(UnsupportedResponseFormat):
        complete(client_for(handler), {**PAYLOAD, "response_format": {"type": "json_schema"}})
    assert len(seen) == 1


def test_exhausted_retries_end_with_a_resumable_message() -> None:
    handler, seen = scripted(httpx.Response(503, json={"error": {"message": "down"}}))
    with pytest.raises(
        LLMError, match="still failing after retries: HTTP 503: down; finished calls are cached"
    ):
        complete(client_for(handler, attempts=3))
    assert len(seen) == 3


def test_an_endpoint_that_never_answered_is_given_up_quickly() -> None:
    handler, seen = scripted(httpx.ConnectError("connection refused"))
    with pytest.raises(LLMError, match="still failing after retries"):
        complete(client_for(handler, attempts=8))
    assert len(seen) == 3


def test_cache_answers_the_second_identical_call(tmp_path: Path) -> None:
    handler, seen = scripted(httpx.Response(200, json=OK))
    cache = ResponseCache(tmp_path / "cache.sqlite")
    first = client_for(handler, cache)
    complete(first)
    second = client_for(handler, cache)
    reply = complete(second)
    assert len(seen) == 1
    assert reply.cached
    assert (second.stats.cache_hits, second.stats.requests) == (1, 0)
    raw = (tmp_path / "cache.sqlite").read_bytes()
    assert KEY.encode() not in raw


def test_bad_envelope_is_treated_as_transient() -> None:
    handler, seen = scripted(httpx.Response(200, text="<html>gateway</html>"), httpx.Response(200, json=OK))
    reply = complete(client_for(handler))
    assert json.loads(reply.content) == {"score": 4}
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "body is a JSON list, not an object"),
        ({"id": "x"}, "body has no `choices` list"),
        ({"choices": []}, "`choices` is empty"),
        ({"choices": [{"message": "text"}]}, "choices[0].message is missing or not an object"),
    ],
)
def test_a_malformed_200_is_retried_and_labelled_as_such(body: object, problem: str) -> None:
    handler, _ = scripted(httpx.Response(200, json=body), httpx.Response(200, json=OK))
    client = client_for(handler)
    complete(client)
    assert dict(client.stats.retries) == {"malformed 200": 1}
    handler, seen = scripted(httpx.Response(200, json=body))
    with pytest.raises(LLMError, match=f"still failing after retries: malformed 200: {re.escape(problem)};"):
        complete(client_for(handler, attempts=2))
    assert len(seen) == 2


@pytest.mark.parametrize("usage", [[1, 2], "many", {"prompt_tokens": "10", "completion_tokens": None}])
def test_odd_usage_is_counted_as_nothing_instead_of_crashing(usage: object) -> None:
    handler, _ = scripted(httpx.Response(200, json={**OK, "usage": usage}))
    client = client_for(handler)
    assert complete(client).prompt_tokens == 0
    assert client.stats.tokens_by_model == {"judge-model": [0, 0]}


@pytest.mark.parametrize("body", [[], ["error"], "not found", 42, None, {"error": None}, {"error": [1]}])
@pytest.mark.parametrize("status", [400, 404, 500])
def test_an_error_body_of_any_shape_is_reported_not_crashed_on(body: object, status: int) -> None:
    handler, _ = scripted(httpx.Response(status, json=body))
    with pytest.raises(LLMError, match=f"HTTP {status}"):
        complete(client_for(handler, attempts=2))


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (422, {"detail": [{"loc": ["body", "response_format"], "msg": "Extra inputs are not permitted"}]}),
        (400, {"detail": "Unknown field"}),
        (400, {"message": "structured outputs are not available for this model"}),
        (400, "json_schema is not supported"),
        (500, {"detail": "guided decoding: response_format type json_schema unsupported"}),
    ],
)
def test_any_rejection_of_response_format_lets_negotiation_fall_back(status: int, body: object) -> None:
    handler, seen = scripted(httpx.Response(status, json=body))
    with pytest.raises(UnsupportedResponseFormat, match=f"HTTP {status}"):
        complete(client_for(handler), {**PAYLOAD, "response_format": {"type": "json_schema"}})
    assert len(seen) == 1


def test_a_500_that_does_not_name_the_format_is_retried_not_taken_for_a_rejection() -> None:
    handler, seen = scripted(
        httpx.Response(500, json={"detail": "CUDA out of memory"}), httpx.Response(200, json=OK)
    )
    complete(client_for(handler), {**PAYLOAD, "response_format": {"type": "json_schema"}})
    assert len(seen) == 2


@pytest.mark.parametrize(
    "error",
    [
        {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": None},
        {"message": "You exceeded your current quota", "type": "requests", "code": "insufficient_quota"},
    ],
)
def test_insufficient_quota_is_fatal_by_code_or_type(error: dict[str, object]) -> None:
    handler, seen = scripted(httpx.Response(429, json={"error": error}))
    with pytest.raises(LLMError, match="insufficient quota"):
        complete(client_for(handler))
    assert len(seen) == 1


def test_a_certificate_failure_is_not_retried_and_says_how_to_trust_a_ca() -> None:
    rejected = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    rejected.verify_message = "self-signed certificate"
    failure = httpx.ConnectError("cannot connect")
    failure.__cause__ = rejected
    handler, seen = scripted(failure)
    with pytest.raises(LLMError) as caught:
        complete(client_for(handler), url="https://llm.test")
    assert len(seen) == 1
    assert "TLS certificate not trusted (self-signed certificate)" in str(caught.value)
    assert "set SSL_CERT_FILE" in str(caught.value)


def test_a_retry_after_beyond_the_cap_ends_the_call_at_once() -> None:
    handler, seen = scripted(
        httpx.Response(429, headers={"retry-after": "3600"}, json={"error": {"message": "slow"}})
    )
    started = time.monotonic()
    with pytest.raises(
        LLMError, match=r"server asks to wait 3600 s, more than the 5 s allowed; .* rerun later"
    ):
        complete(client_for(handler))
    assert len(seen) == 1
    assert time.monotonic() - started < 3


def test_env_proxies_never_override_an_injected_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    handler, seen = scripted(httpx.Response(200, json=OK))
    assert complete(client_for(handler)).content == '{"score": 4}'
    assert len(seen) == 1


def test_the_query_string_is_sent_at_the_end_and_never_shown() -> None:
    handler, seen = scripted(httpx.Response(404, json={"error": {"message": "no deployment"}}))
    with pytest.raises(LLMError) as caught:
        complete(client_for(handler), url="https://llm.test/openai/deployments/d?api-version=2024-06-01")
    assert (
        str(seen[0].url) == "https://llm.test/openai/deployments/d/v1/chat/completions?api-version=2024-06-01"
    )
    assert "api-version" not in str(caught.value)
