"""Adaptive concurrency: find how many requests an endpoint serves at once, and stay just below.

Slow start doubles the limit each round trip until the endpoint first pushes back. A 429
marks a ceiling at the number of requests that were in flight; the limit settles one below
it and probes above it ever more rarely. 503s (often unrelated faults) shrink it gently.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

FIRST_PROBE_AFTER = 50
"""Successes at the settled limit before trying one more request in flight."""


class AdaptiveLimiter:
    """An asyncio semaphore whose size follows the endpoint's capacity."""

    def __init__(self, initial: int, maximum: int) -> None:
        self.limit = float(initial)
        self.maximum = maximum
        self.in_flight = 0
        self.peak = 0
        self.ceiling: int | None = None
        self._probe_after = FIRST_PROBE_AFTER
        self._since_change = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request slot for the duration of the block (first come, first served)."""
        if self.in_flight >= int(self.limit) or self._waiting:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            except BaseException:
                if not waiter.cancelled() and waiter.done():
                    self._release()  # handed a slot just as we were cancelled: pass it on
                with suppress(ValueError):
                    self._waiting.remove(waiter)
                raise
        else:
            self._acquire()
        try:
            yield
        finally:
            self._release()

    def _acquire(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def _release(self) -> None:
        """Free a slot and hand as many as the current limit allows to waiters, in order."""
        self.in_flight -= 1
        while self._waiting and self.in_flight < int(self.limit):
            waiter = self._waiting.popleft()
            if not waiter.done():
                self._acquire()
                waiter.set_result(None)

    def succeeded(self) -> None:
        """A request was served: grow (fast before the first push-back, then by probing)."""
        if self.ceiling is None:
            self.limit = min(self.maximum, self.limit + 1)
            return
        if self.limit < self.ceiling - 1:
            self.limit = min(self.ceiling - 1.0, self.limit + 1 / self.limit)
            return
        self._since_change += 1
        if self._since_change >= self._probe_after:
            self.limit = min(self.maximum, self.limit + 1)
            self._since_change = 0

    def overloaded(self, in_flight_then: int) -> None:
        """A 429: the endpoint holds fewer than `in_flight_then` requests; settle below that."""
        if self.ceiling is not None and in_flight_then >= self.ceiling:
            self._probe_after = min(self._probe_after * 2, 10_000)
        self.ceiling = max(1, in_flight_then)
        self.limit = max(1.0, min(self.limit, float(self.ceiling - 1 or 1)))
        self._since_change = 0

    def faltered(self) -> None:
        """A 503 or timeout: back off a little without assuming a capacity."""
        self.limit = max(1.0, self.limit * 0.9)
