"""Adversarial servers over real sockets: whatever a server does, the client ends in a Reply or LLMError."""

from __future__ import annotations

import asyncio
import json

import pytest

from benchgate.errors import BenchgateError, LLMError
from benchgate.llm.client import Reply
from benchgate.llm.endpoint import parse_endpoint
from tests.fakes.raw_server import RawAnswer, RawServer, http
from tests.llm.clients import quick_client

PAYLOAD = {"model": "judge-model", "messages": [{"role": "user", "content": "score it"}]}
COMPLETION = json.dumps({"choices": [{"message": {"content": "fine"}, "finish_reason": "stop"}]}).encode()
ATTEMPTS = 2


def call(
    server: RawServer, timeout_s: float = 2.0, attempts: int = ATTEMPTS
) -> tuple[Reply | BenchgateError, dict[str, int]]:
    client = quick_client(
        api_key="sk-hostile-0123456789", attempts=attempts, timeout_s=timeout_s, max_retry_s=10
    )

    async def go() -> Reply:
        try:
            return await client.complete(parse_endpoint(server.url, "LLM_URL"), PAYLOAD)
        finally:
            await client.aclose()

    try:
        return asyncio.run(go()), dict(client.stats.retries)
    except BenchgateError as error:  # anything else fails the test: that is the point
        return error, dict(client.stats.retries)


@pytest.mark.parametrize(
    ("answer", "kind", "said"),
    [
        (RawAnswer(b"", "close"), "reset", "server closed the connection"),
        (RawAnswer(b"", "reset"), "reset", "still failing after retries"),
        (RawAnswer(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"), "reset", "malformed HTTP answer"),
        (RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"), "reset", "cut short"),
        (RawAnswer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), "reset", "still failing"),
        (RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), "reset", "malformed HTTP answer"),
        (RawAnswer(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), "reset", "malformed HTTP answer"),
        (RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"), "reset", "too large"),
        (RawAnswer(http(200, b"[]"), "keep"), "malformed 200", "malformed 200: body is a JSON list"),
        (RawAnswer(http(200, b"[" * 50_000 + b"]" * 50_000)), "malformed 200", "body is not JSON"),
        (RawAnswer(http(200, b"{}")), "malformed 200", "body has no `choices` list"),
        (RawAnswer(http(200, b'{"choices": []}')), "malformed 200", "`choices` is empty"),
        (RawAnswer(http(200, b'{"choices": [{"message": "hi"}]}')), "malformed 200", "message is missing"),
        (RawAnswer(http(200, b"not gzip", "Content-Encoding: gzip")), "reset", "cannot be decoded"),
        (RawAnswer(http(500, b"[1, 2]")), "500", "HTTP 500: [1, 2]"),
        (RawAnswer(http(502, b"\xff\xfe<html>")), "502", "HTTP 502"),
        (RawAnswer(http(999, b"{}")), "999", "HTTP 999"),
        (RawAnswer(http(200, COMPLETION), trickle_s=0.02), "timeout", "no answer within the timeout"),
    ],
)
def test_a_broken_answer_is_retried_then_reported(answer: RawAnswer, kind: str, said: str) -> None:
    with RawServer(answer) as server:
        outcome, retries = call(server, timeout_s=0.5)
        requests = server.requests
    assert isinstance(outcome, LLMError), outcome
    assert said in str(outcome)
    assert retries == {kind: ATTEMPTS - 1}
    assert requests == ATTEMPTS
    assert "sk-hostile" not in str(outcome)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (RawAnswer(http(404, b'"nope"')), 'HTTP 404 "nope" (check the model name and LLM_URL)'),
        (RawAnswer(http(404, b'["not", "found"]')), "HTTP 404"),
        (RawAnswer(http(401, b'{"error": ["sk-hostile-0123456789"]}')), "HTTP 401"),
        (RawAnswer(http(429, b"{}", "Retry-After: 1e400")), "server asks to wait inf s"),
        (RawAnswer(http(429, b"{}", "Retry-After: 3600")), "server asks to wait 3600 s, more than the 10 s"),
        (
            RawAnswer(http(301, b"", "Location: http://user:pw@elsewhere/v1?key=sk-x")),
            "it redirects to http://elsewhere/v1; use that address",
        ),
        (RawAnswer(http(204, b"")), "HTTP 204"),
    ],
)
def test_a_refusal_ends_at_once(answer: RawAnswer, said: str) -> None:
    with RawServer(answer) as server:
        outcome, retries = call(server)
        requests = server.requests
    assert isinstance(outcome, LLMError), outcome
    assert said in str(outcome)
    assert (requests, retries) == (1, {})
    assert "sk-hostile" not in str(outcome) and "pw" not in str(outcome)


@pytest.mark.parametrize(
    "answer",
    [
        RawAnswer(b"HTTP/1.0 200 OK\r\n\r\n" + COMPLETION, "close"),
        RawAnswer(b"HTTP/1.1 100 Continue\r\n\r\n" + http(200, COMPLETION)),
        RawAnswer(http(200, COMPLETION, "X-Odd: \xff\xfe")),
        RawAnswer(http(200, COMPLETION[:-1] + b', "usage": [1], "model": 7}')),
        RawAnswer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (COMPLETION[:9], COMPLETION[9:]))
            + b"0\r\n\r\n"
        ),
    ],
)
def test_odd_but_valid_answers_are_read(answer: RawAnswer) -> None:
    with RawServer(answer) as server:
        outcome, _ = call(server)
    assert isinstance(outcome, Reply), outcome
    assert outcome.content == "fine"


def test_a_server_that_recovers_is_used() -> None:
    answers = [RawAnswer(b"", "reset"), RawAnswer(http(200, b"[]")), RawAnswer(http(200, COMPLETION))]
    with RawServer(lambda n: answers[min(n, 2)]) as server:
        outcome, retries = call(server, attempts=3)
    assert isinstance(outcome, Reply)
    assert retries == {"reset": 1, "malformed 200": 1}
