"""Progress of a live run: a rich bar on a terminal, periodic plain lines in CI logs."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol, TextIO

LOG_EVERY_S = 10.0


class Progress(Protocol):
    """What the live run reports as it goes."""

    def advance(self, calls: int = 1) -> None:
        """`calls` more calls finished."""

    def __enter__(self) -> Progress: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class PlainProgress:
    """One line every LOG_EVERY_S seconds and one at the end, for logs that are not a terminal."""

    def __init__(
        self,
        total: int,
        retries: Callable[[], int],
        stream: TextIO = sys.stderr,
        every_s: float = LOG_EVERY_S,
    ) -> None:
        self.total, self.done = total, 0
        self._retries, self._stream, self._every = retries, stream, every_s
        self._start = self._last = time.monotonic()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self._line()

    def advance(self, calls: int = 1) -> None:
        """Count calls; print when a period has passed."""
        self.done += calls
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._line()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else float("inf")
        eta_text = f"{eta:.0f}s" if eta != float("inf") else "?"
        print(
            f"benchgate: {self.done}/{self.total} calls, {rate:.1f}/s, eta {eta_text}, "
            f"retries {self._retries()}",
            file=self._stream,
            flush=True,
        )


class RichProgress:
    """A live bar: done/total, rate, ETA and retries."""

    def __init__(self, total: int, retries: Callable[[], int], description: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self._retries = retries
        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("retries {task.fields[retries]}"),
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task(description, total=total, retries=0, rate="")
        self._start = time.monotonic()
        self._done = 0

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.stop()

    def advance(self, calls: int = 1) -> None:
        """Move the bar."""
        self._done += calls
        rate = self._done / max(time.monotonic() - self._start, 1e-9)
        self._bar.update(self._task, advance=calls, retries=self._retries(), rate=f"{rate:.1f}/s")


def progress_for(total: int, retries: Callable[[], int], description: str) -> Progress:
    """A bar on a terminal, plain lines otherwise."""
    if sys.stderr.isatty():
        return RichProgress(total, retries, description)
    return PlainProgress(total, retries)
