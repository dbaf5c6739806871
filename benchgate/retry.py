"""Which HTTP failures are worth retrying, how long to wait, and the one tenacity policy built from that."""

from __future__ import annotations

import email.utils
import ssl
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
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_random_exponential

T = TypeVar("T")
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_SERVER_WAIT_S = 60.0
"""Longest Retry-After we honour; a server asking for more ends the call at once."""
UNREACHABLE_ATTEMPTS = 3
"""Attempts for connection failures on an endpoint that has never answered."""


class TransientHTTPError(Exception):
    """An HTTP answer that asks us to come back later (408, 429, 5xx)."""

    def __init__(
        self, status: int, retry_after: float | None, detail: str, *, kind: str | None = None
    ) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.retry_after = retry_after
        self.kind = kind or str(status)
        """How retries of this failure are counted and reported."""


class MalformedReply(TransientHTTPError):
    """A 200 whose body is not a chat completion (a list, no `choices`, ...): retried, labelled so."""

    def __init__(self, detail: str) -> None:
        super().__init__(200, None, detail, kind="malformed 200")
        self.args = (f"malformed 200: {detail}",)


class ServerWaitTooLong(TransientHTTPError):
    """The server asked for a wait beyond what this call may still spend: ended at once instead."""

    def __init__(self, error: TransientHTTPError, allowed_s: float) -> None:
        super().__init__(error.status, error.retry_after, str(error), kind=error.kind)
        asked = error.retry_after or 0.0
        self.args = (f"{error}; server asks to wait {asked:.0f} s, more than the {allowed_s:.0f} s allowed",)


def certificate_failure(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The TLS certificate rejection behind `error`, if that is what it is (never worth retrying)."""
    found: ssl.SSLCertVerificationError | None = None
    seen: BaseException | None = error
    for _ in range(8):  # the deepest one is ssl's own, with `verify_message`; wrappers subclass it
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            found = seen
        seen = seen.__cause__ or seen.__context__
    return found


def is_retryable(error: BaseException) -> bool:
    """Pure predicate: transient statuses, timeouts and dropped or refused connections."""
    if isinstance(error, TransientHTTPError):
        return not isinstance(error, ServerWaitTooLong)
    if isinstance(error, httpx.UnsupportedProtocol):
        return False  # a URL no retry can fix
    if isinstance(error, (httpx.TimeoutException, httpx.TransportError)):
        return certificate_failure(error) is None
    return False


def error_kind(error: BaseException) -> str:
    """Short label for counting retries: the status code, or the kind of transport failure."""
    if isinstance(error, TransientHTTPError):
        return error.kind
    if certificate_failure(error) is not None:
        return "tls"
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connect"
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return "reset"
    if isinstance(error, httpx.ProxyError):
        return "proxy"
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
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one call."""

    max_attempts: int
    max_retry_s: float
    backoff_s: float = 0.5
    backoff_max_s: float = 20.0


class _ServerOrBackoff(wait_base):
    """Wait what the server asked for (`_Budget` refuses waits too long); otherwise jittered backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.backoff = wait_random_exponential(multiplier=policy.backoff_s, max=policy.backoff_max_s)

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, TransientHTTPError) and error.retry_after is not None:
            return error.retry_after
        return float(self.backoff(retry_state))


class _Budget(stop_base):
    """The whole call's time budget, counted from its first attempt (which runs before tenacity).

    No sleep may end past the deadline. A server asking for more than MAX_SERVER_WAIT_S, or
    more than is left, is not waited for at all: the call ends now and says so.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.refused: tuple[TransientHTTPError, float] | None = None

    def __call__(self, retry_state: RetryCallState) -> bool:
        left = self.deadline - time.monotonic()
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, TransientHTTPError) and error.retry_after is not None:
            allowed = max(0.0, min(MAX_SERVER_WAIT_S, left))
            if error.retry_after > allowed:
                self.refused = (error, allowed)
                return True
        return retry_state.upcoming_sleep >= left


class _NeverReached(stop_base):
    """Give up early on refused connections when the endpoint has never answered."""

    def __init__(self, answered_once: Callable[[], bool]) -> None:
        self.answered_once = answered_once

    def __call__(self, retry_state: RetryCallState) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        unreachable = isinstance(error, httpx.ConnectError) and not self.answered_once()
        return unreachable and retry_state.attempt_number >= UNREACHABLE_ATTEMPTS


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
    and stopping follow the one policy exactly as if it had run from the start; the time
    budget (`max_retry_s`) runs from before the first try.
    """
    budget = _Budget(time.monotonic() + policy.max_retry_s)
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

    def before_sleep(retry_state: RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if error is not None:
            on_retry(error_kind(error))

    retrying = AsyncRetrying(
        retry=retry_if_exception(is_retryable),
        # The budget first: `|` stops at the first true condition, and it must see every failure.
        stop=budget | stop_after_attempt(policy.max_attempts) | _NeverReached(answered_once),
        wait=_ServerOrBackoff(policy),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        async for step in retrying:
            with step:
                return await replayed()
    except TransientHTTPError as error:
        if budget.refused is not None and budget.refused[0] is error:
            raise ServerWaitTooLong(error, budget.refused[1]) from None
        raise
    raise AssertionError("unreachable: tenacity either returns or raises")
