"""Adaptive concurrency: find how many requests an endpoint serves at once, and stay just below.

Slow start doubles the limit each round trip until the endpoint first pushes back. Loads are
counted when a request is sent. A 429 for a request sent near the top of the window (at least
NEAR_TOP of the limit in flight) marks a ceiling at that load. One sent far below it is a
straggler (a rate limit that has nothing to do with concurrency, or a request sent while
little else was in flight) and only shrinks the limit gently, as a 503 does, unless AGREEMENT
of them arrive within one round of answers (about two limits' worth): then the capacity did
drop, and the ceiling is the lowest of their loads, leaving out one far below the others.
The limit settles one below the ceiling and probes one above it every so many successes: a
failed probe doubles that interval once, however many 429s the failure brings, up to
MAX_PROBE_AFTER; a probe that holds raises the ceiling and resets the interval. So one burst
of 429s never stops probing for good.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

FIRST_PROBE_AFTER = 50
"""Successes at the settled limit before trying one more request in flight."""
MAX_PROBE_AFTER = 16 * FIRST_PROBE_AFTER
"""The longest interval between probes, however often they failed."""
NEAR_TOP = 0.75
"""A 429 for a request sent with at least this share of the limit in flight is about our own load."""
AGREEMENT = 3
"""429s far below the limit, within one round of answers, that together mark a ceiling."""


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
        self._probing = False
        self._answers = 0
        self._rejections: deque[tuple[int, int]] = deque(maxlen=AGREEMENT)
        """(answer number, in flight at send time) of the latest 429s."""
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
        self._answers += 1
        if self.ceiling is None:
            self.limit = min(self.maximum, self.limit + 1)
            return
        if self.limit < self.ceiling - 1:
            self.limit = min(self.ceiling - 1.0, self.limit + 1 / self.limit)
            return
        self._since_change += 1
        if self._since_change >= self._probe_after:
            if self._probing:  # the last probe held: the endpoint serves that many now
                self.ceiling = max(self.ceiling, int(self.limit) + 1)
                self._probe_after = FIRST_PROBE_AFTER
            self.limit = min(self.maximum, self.limit + 1)
            self._since_change = 0
            self._probing = True

    def overloaded(self, in_flight_then: int) -> None:
        """A 429 for a request sent with `in_flight_then` in flight (counting itself)."""
        self._answers += 1
        if self.ceiling is not None and in_flight_then >= self.ceiling:
            # Consistent with the ceiling. The first such 429 of a probe ends the probe; the
            # rest of its burst (and of the burst that set the ceiling) tells nothing new.
            if self._probing:
                self._probing = False
                self._probe_after = min(self._probe_after * 2, MAX_PROBE_AFTER)
                self.limit = max(1.0, self.ceiling - 1.0)
                self._since_change = 0
            return
        if in_flight_then >= NEAR_TOP * self.limit:
            self._settle(in_flight_then)  # our own load, at the top of the window, was too much
            return
        self._rejections.append((self._answers, in_flight_then))
        window = max(8, 2 * int(self.limit))
        agreeing = sorted(load for seen, load in self._rejections if self._answers - seen < window)
        if len(agreeing) < AGREEMENT:
            self.faltered()  # far below the window: perhaps a straggler, perhaps less capacity
            return
        median = agreeing[len(agreeing) // 2]
        self._settle(min(load for load in agreeing if 2 * load >= median))  # one far below: a straggler

    def _settle(self, ceiling: int) -> None:
        """The endpoint refuses `ceiling` requests at once: stay one below."""
        self.ceiling = max(1, ceiling if self.ceiling is None else min(self.ceiling, ceiling))
        self.limit = max(1.0, min(self.limit, self.ceiling - 1.0))  # a 429 never raises it
        self._rejections.clear()
        self._since_change = 0
        self._probing = False

    def faltered(self) -> None:
        """A 503, a timeout or a lone 429: back off a little without assuming a capacity."""
        self.limit = max(1.0, self.limit * 0.9)
