"""The response cache: keyed by endpoint, served model compared, unreadable replies asked again, locks."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from benchgate.errors import InfraError
from benchgate.llm.cache import ResponseCache
from benchgate.llm.client import Reply
from benchgate.llm.endpoint import parse_endpoint
from tests.llm.clients import quick_client

KEY = "sk-cache-0123456789abcdef"


def completion(content: str, model: str = "judge-2024-06") -> dict[str, object]:
    return {"model": model, "choices": [{"message": {"content": content}, "finish_reason": "stop"}]}


def ask(
    cache: ResponseCache,
    answer: Callable[[httpx.Request], httpx.Response],
    *calls: tuple[str, str],
    unreadable: bool = False,
) -> list[Reply]:
    """One run: (endpoint, prompt) calls in order; marks every reply unreadable when asked to."""
    client = quick_client(httpx.MockTransport(answer), api_key=KEY, cache=cache)

    async def go() -> list[Reply]:
        replies = []
        for url, prompt in calls:
            payload = {"model": "judge", "messages": [{"role": "user", "content": prompt}]}
            reply = await client.complete(parse_endpoint(url, "LLM_URL"), payload)
            if unreadable:
                client.mark_unreadable(reply)
            replies.append(reply)
        await client.aclose()
        return replies

    return asyncio.run(go())


def counting(model: str = "judge-2024-06") -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}:{request.url.port}")
        return httpx.Response(200, json=completion(f"from {request.url.host}", model))

    return answer, seen


def test_one_endpoints_answers_are_never_served_for_another(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    answer, seen = counting()
    first = ask(cache, answer, ("http://a:8000", "p"), ("http://b:8000", "p"), ("http://a:8001", "p"))
    assert [r.content for r in first] == ["from a", "from b", "from a"]
    assert seen == ["a:8000", "b:8000", "a:8001"]
    again = ask(cache, answer, ("http://a:8000/v1", "p"), ("http://b:8000", "p"))
    assert [r.cached for r in again] == [True, True]
    assert len(seen) == 3
    assert KEY.encode() not in (tmp_path / "c.sqlite").read_bytes()


def test_a_reply_from_another_served_model_is_asked_again_once_that_is_known(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    old, _ = counting("judge-2024-01")
    ask(cache, old, ("http://a", "p1"), ("http://a", "p2"))
    new, seen = counting("judge-2024-06")
    replies = ask(cache, new, ("http://a", "p1"), ("http://a", "p3"), ("http://a", "p2"))
    assert [r.cached for r in replies] == [True, False, False], "p2 was answered by the old snapshot"
    assert [r.served_model for r in replies] == ["judge-2024-01", "judge-2024-06", "judge-2024-06"]
    assert len(seen) == 2


def test_an_unreadable_reply_is_asked_again_once_on_the_next_run(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    answer, seen = counting()
    ask(cache, answer, ("http://a", "p"), unreadable=True)
    second = ask(cache, answer, ("http://a", "p"), unreadable=True)
    assert (len(seen), second[0].cached) == (2, False), "a glitch is not replayed forever"
    third = ask(cache, answer, ("http://a", "p"), unreadable=True)
    assert (len(seen), third[0].cached) == (2, True), "unreadable twice: that is how the model answers"
    ask(cache, answer, ("http://a", "q"))
    fourth = ask(cache, answer, ("http://a", "q"), unreadable=True)  # the parser got stricter
    fifth = ask(cache, answer, ("http://a", "q"))
    assert (fourth[0].cached, fifth[0].cached, len(seen)) == (True, False, 4)


def test_a_locked_cache_is_waited_for_then_named(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite", lock_wait_s=0.3)
    holder = sqlite3.connect(tmp_path / "c.sqlite", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    with pytest.raises(InfraError) as caught:
        cache.put("k", "judge", None, {"content": "x"})
    assert 0.25 < time.monotonic() - started < 5
    assert str(caught.value).startswith(f"{tmp_path / 'c.sqlite'}: the response cache stayed locked")
    assert caught.value.exit_code == 3

    holder.rollback()

    slow = ResponseCache(tmp_path / "c.sqlite", lock_wait_s=5)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.2, holder.rollback)
    release.start()
    slow.put("k", "judge", None, {"content": "x"})  # waits out a short lock instead of failing
    release.join()
    holder.close()
    assert slow.get("k") is not None


def test_a_cache_from_the_previous_schema_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, reply TEXT NOT NULL)")
        old.execute("INSERT INTO responses VALUES ('k', 'm', '{}')")
    ResponseCache(path).close()
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"replies", "formats"}


WRITER = """
import sys, time
from pathlib import Path
from benchgate.llm.cache import ResponseCache
path, who, rows, start = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
while time.time() < start:  # every writer opens the fresh file at the same moment
    time.sleep(0.001)
cache = ResponseCache(path)
for row in range(rows):
    reply = {"content": f"{who}-{row}", "prompt_tokens": 1, "completion_tokens": 1, "latency_s": 0.0}
    cache.put(f"{who}-{row}", "judge", None, reply)
cache.close()
"""


def test_several_processes_write_one_fresh_cache_at_once_and_lose_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    path, writers, rows = tmp_path / "cache.sqlite", 4, 300
    start = time.time() + 1.5  # after every interpreter has started
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{n}", str(rows), str(start)])
        for n in range(writers)
    ]
    codes = [proc.wait(timeout=60) for proc in procs]
    assert codes == [0] * writers
    cache = ResponseCache(path)
    try:
        for n in range(writers):
            for row in range(rows):
                stored = cache.get(f"w{n}-{row}")
                assert stored is not None and stored.reply["content"] == f"w{n}-{row}"
    finally:
        cache.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM replies").fetchone()[0] == writers * rows
