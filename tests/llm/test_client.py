"""The client against in-process transports: retry policy, fatal errors, secrets, cache."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from benchgate.errors import LLMError
from benchgate.llm.cache import ResponseCache
from benchgate.llm.client import ChatClient, UnsupportedResponseFormat, chat_url
from benchgate.llm.limiter import AdaptiveLimiter
from benchgate.retry import RetryPolicy

KEY = "sk-live-0123456789abcdef"
PAYLOAD = {"model": "judge-model", "messages": [{"role": "user", "content": "score it"}]}
OK = {
    "choices": [{"message": {"role": "assistant", "content": '{"score": 4}'}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 3},
}


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], cache: ResponseCache | None = None, attempts: int = 5
) -> ChatClient:
    return ChatClient(
        api_key=KEY,
        policy=RetryPolicy(max_attempts=attempts, max_retry_s=5, backoff_s=0.001, backoff_max_s=0.002),
        limiter=AdaptiveLimiter(4, 8),
        timeout_s=5,
        cache=cache,
        transport=httpx.MockTransport(handler),
    )


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


def complete(client: ChatClient, payload: dict[str, object] = PAYLOAD) -> object:
    async def go() -> object:
        try:
            return await client.complete("http://llm.test:8000", payload)
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
    assert reply.content == '{"score": 4}'  # type: ignore[attr-defined]
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
    assert reply.cached  # type: ignore[attr-defined]
    assert (second.stats.cache_hits, second.stats.requests) == (1, 0)
    raw = (tmp_path / "cache.sqlite").read_bytes()
    assert KEY.encode() not in raw


def test_chat_url_accepts_the_pilots_forms() -> None:
    assert chat_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1/chat/completions"
    assert chat_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1/chat/completions"
    assert chat_url("https://h/v1/chat/completions") == "https://h/v1/chat/completions"


def test_bad_envelope_is_treated_as_transient() -> None:
    handler, seen = scripted(httpx.Response(200, text="<html>gateway</html>"), httpx.Response(200, json=OK))
    reply = complete(client_for(handler))
    assert json.loads(reply.content) == {"score": 4}  # type: ignore[attr-defined]
    assert len(seen) == 2
