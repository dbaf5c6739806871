from __future__ import annotations

import email.utils

import httpx
import pytest

from benchgate.retry import TransientHTTPError, error_kind, is_retryable, retry_after_s


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
