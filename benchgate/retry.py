"""Which HTTP failures are worth retrying, how long to wait, and the one tenacity policy built from that."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_random_exponential

T = TypeVar("T")
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_SERVER_WAIT_S = 60.0
"""Longest Retry-After we honour; a server asking for more is treated as down."""
UNREACHABLE_ATTEMPTS = 3
"""Attempts for connection failures on an endpoint that has never answered."""


class TransientHTTPError(Exception):
    """An HTTP answer that asks us to come back later (408, 429, 5xx)."""

    def __init__(self, status: int, retry_after: float | None, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.retry_after = retry_after


def is_retryable(error: BaseException) -> bool:
    """Pure predicate: transient statuses, timeouts and dropped or refused connections."""
    if isinstance(error, TransientHTTPError):
        return True
    return isinstance(error, (httpx.TimeoutException, httpx.TransportError))


def error_kind(error: BaseException) -> str:
    """Short label for counting retries: the status code, or the kind of transport failure."""
    if isinstance(error, TransientHTTPError):
        return str(error.status)
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connect"
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return "reset"
    return type(error).__name__


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms`, else `Retry-After` (seconds or date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one call."""

    max_attempts: int
    max_retry_s: float
    backoff_s: float = 0.5
    backoff_max_s: float = 20.0


class _ServerOrBackoff(wait_base):
    """Wait what the server asked for; otherwise jittered exponential backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.backoff = wait_random_exponential(multiplier=policy.backoff_s, max=policy.backoff_max_s)

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, TransientHTTPError) and error.retry_after is not None:
            return min(error.retry_after, MAX_SERVER_WAIT_S)
        return float(self.backoff(retry_state))


class _NeverReached(stop_base):
    """Give up early on refused connections when the endpoint has never answered."""

    def __init__(self, answered_once: Callable[[], bool]) -> None:
        self.answered_once = answered_once

    def __call__(self, retry_state: RetryCallState) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        unreachable = isinstance(error, httpx.ConnectError) and not self.answered_once()
        return unreachable and retry_state.attempt_number >= UNREACHABLE_ATTEMPTS


def build_retrying(
    policy: RetryPolicy, *, on_retry: Callable[[str], None], answered_once: Callable[[], bool]
) -> AsyncRetrying:
    """The single retry policy of live mode; `on_retry` counts each retried failure by kind."""

    def before_sleep(retry_state: RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if error is not None:
            on_retry(error_kind(error))

    return AsyncRetrying(
        retry=retry_if_exception(is_retryable),
        stop=stop_after_attempt(policy.max_attempts)
        | stop_after_delay(policy.max_retry_s)
        | _NeverReached(answered_once),
        wait=_ServerOrBackoff(policy),
        before_sleep=before_sleep,
        reraise=True,
    )


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[str], None],
    answered_once: Callable[[], bool],
) -> T:
    """Run `attempt` under the policy; the first try runs outright.

    Entering tenacity costs ~60 µs a call, more than the rest of a cached-connection
    request, and most calls succeed first time. When the first try fails, tenacity takes
    over with that failure replayed as its attempt 1, so counting, waiting (Retry-After)
    and stopping follow the one policy exactly as if it had run from the start.
    """
    try:
        return await attempt()
    except Exception as error:
        if not is_retryable(error):
            raise
        first: Exception | None = error

    async def replayed() -> T:
        nonlocal first
        if first is not None:
            failed, first = first, None
            raise failed
        return await attempt()

    async for step in build_retrying(policy, on_retry=on_retry, answered_once=answered_once):
        with step:
            return await replayed()
    raise AssertionError("unreachable: tenacity either returns or raises")
