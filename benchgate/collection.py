"""When Python's cycle collector runs: not while a batch step builds a million long-lived records.

Every full collection walks every tracked object, and as a gate or a dry-run builds its
records the collector runs again each time the long-lived set grows by a quarter: O(N log N)
walks, 5-6 s of a 1M-sample gate or dry-run (docs/benchmarks.md). Batch steps make no network
calls and create few cycles, and their process ends with them, so collection is paused while
they run. Live runs keep it: an event loop and its HTTP connections create cycles all along.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")


@contextmanager
def paused() -> Iterator[None]:
    """Automatic collection off inside, back to what it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def batch_step(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """`function` runs with automatic collection paused."""

    @functools.wraps(function)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with paused():
            return function(*args, **kwargs)

    return run
