from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from benchgate.retry import (
    MAX_SERVER_WAIT_S,
    MalformedReply,
    RetryPolicy,
    ServerWaitTooLong,
    TransientHTTPError,
    error_kind,
    is_retryable,
    retry_after_s,
    with_retries,
)


@pytest.mark.parametrize(
    ("error", "retryable", "kind"),
    [
        (TransientHTTPError(503, None, "busy"), True, "503"),
        (TransientHTTPError(429, 1.0, "slow down"), True, "429"),
        (httpx.ReadTimeout("slow"), True, "timeout"),
        (httpx.ConnectError("refused"), True, "connect"),
        (httpx.RemoteProtocolError("peer closed"), True, "reset"),
        (httpx.ReadError("reset by peer"), True, "reset"),
        (ValueError("bug"), False, "ValueError"),
    ],
)
def test_is_retryable_and_kind(error: BaseException, retryable: bool, kind: str) -> None:
    assert is_retryable(error) is retryable
    assert error_kind(error) == kind


def test_retry_after_prefers_milliseconds_then_seconds_then_dates() -> None:
    assert retry_after_s({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_s({"retry-after": "2"}) == 2.0
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_s({"retry-after": date}, now=1_000_000) == pytest.approx(30)
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None


def run(attempt: Callable[[], Awaitable[str]], policy: RetryPolicy) -> tuple[str | BaseException, list[str]]:
    kinds: list[str] = []

    async def go() -> str:
        return await asyncio.wait_for(
            with_retries(attempt, policy, on_retry=kinds.append, answered_once=lambda: True), 10
        )

    try:
        return asyncio.run(go()), kinds
    except Exception as error:
        return error, kinds


def test_the_budget_counts_the_first_attempt_too() -> None:
    starts: list[float] = []

    async def slow_503() -> str:
        starts.append(time.monotonic())
        await asyncio.sleep(0.4)
        raise TransientHTTPError(503, 0.2, "busy")

    began = time.monotonic()
    outcome, kinds = run(slow_503, RetryPolicy(max_attempts=20, max_retry_s=1.0))
    assert isinstance(outcome, TransientHTTPError)
    assert len(starts) == 2, "0.4 s first try + 0.2 s wait + 0.4 s second try spends the 1 s budget"
    assert time.monotonic() - began < 1.5
    assert kinds == ["503"]


def test_a_server_wait_beyond_what_is_left_ends_the_call_at_once() -> None:
    calls = 0

    async def asks_to_wait() -> str:
        nonlocal calls
        calls += 1
        raise TransientHTTPError(429, 30.0 if calls > 1 else 0.05, "slow down")

    began = time.monotonic()
    outcome, kinds = run(asks_to_wait, RetryPolicy(max_attempts=5, max_retry_s=20))
    assert isinstance(outcome, ServerWaitTooLong)
    assert str(outcome) == "HTTP 429: slow down; server asks to wait 30 s, more than the 20 s allowed"
    assert (calls, kinds) == (2, ["429"])
    assert time.monotonic() - began < 2
    assert not is_retryable(outcome) and error_kind(outcome) == "429"


def test_a_server_wait_beyond_the_cap_is_not_slept() -> None:
    async def asks_for_an_hour() -> str:
        raise TransientHTTPError(503, 3600.0, "maintenance")

    outcome, kinds = run(asks_for_an_hour, RetryPolicy(max_attempts=5, max_retry_s=7200))
    assert isinstance(outcome, ServerWaitTooLong)
    assert f"more than the {MAX_SERVER_WAIT_S:.0f} s allowed" in str(outcome)
    assert kinds == []


def test_a_malformed_200_has_its_own_kind() -> None:
    error = MalformedReply("`choices` is empty")
    assert str(error) == "malformed 200: `choices` is empty"
    assert is_retryable(error) and error_kind(error) == "malformed 200"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1e400", float("inf")),
        ("nan", 0.0),
        ("-5", 0.0),
        ("Mon, 99 Foo 2024 99:99:99 GMT", None),
        ("Fri, 31 Dec 99999", None),
    ],
)
def test_odd_retry_after_values_never_raise(value: str, seconds: float | None) -> None:
    assert retry_after_s({"retry-after": value}) == seconds
