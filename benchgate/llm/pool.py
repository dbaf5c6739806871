"""A bounded pool of asyncio workers over a fixed list of jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

Job = TypeVar("Job")


async def drain(jobs: Sequence[Job], handle: Callable[[Job], Awaitable[bool]], *, workers: int) -> None:
    """Run `handle` on every job, at most `workers` at once, in order of the list.

    `handle` returning False stops every worker from taking another job (what is in flight
    finishes). An exception cancels the other workers and propagates, so a fatal error ends the
    run at once instead of after the queue.
    """
    queue: asyncio.Queue[Job] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    stopped = False

    async def worker() -> None:
        nonlocal stopped
        while not queue.empty() and not stopped:
            if not await handle(queue.get_nowait()):
                stopped = True

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(workers, len(jobs))))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
