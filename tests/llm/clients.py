"""A ChatClient for tests: tiny backoff, small limits, a given transport (MockTransport) or real sockets."""

from __future__ import annotations

import httpx

from benchgate.llm.cache import ResponseCache
from benchgate.llm.client import ChatClient
from benchgate.llm.limiter import AdaptiveLimiter
from benchgate.retry import RetryPolicy


def quick_client(
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    api_key: str | None = None,
    cache: ResponseCache | None = None,
    attempts: int = 2,
    timeout_s: float = 5.0,
    max_retry_s: float = 5.0,
) -> ChatClient:
    """A client that retries at once (1-2 ms backoff), so tests count attempts, not wait for them."""
    return ChatClient(
        api_key=api_key,
        policy=RetryPolicy(
            max_attempts=attempts, max_retry_s=max_retry_s, backoff_s=0.001, backoff_max_s=0.002
        ),
        limiter=AdaptiveLimiter(4, 8),
        timeout_s=timeout_s,
        cache=cache,
        transport=transport,
    )
