"""Persistent response cache in SQLite: re-runs are free and a killed run resumes.

Each reply is committed on arrival (WAL journal), so a run killed at any point keeps every
call that finished. A key hashes the request body, what else changes the answer without being
sent (the repeat index) and the endpoint's identity (scheme, host, port and path), so one
server's answers are never served for another's. The API key and the URL's query string are
never part of a row.

The model that served a reply (the body's `model`) is only known once the reply arrives, so it
is stored beside the reply rather than in the key; the client re-asks when the endpoint serves
another model in this run. A reply the judge could not read is flagged: the next run asks once
more, so a glitch is not replayed forever; when that answer is unreadable too it is kept (the
model answers that way) and later runs replay it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from benchgate.errors import InfraError, UsageError

SCHEMA_VERSION = 2
"""1: keys without the endpoint (dropped on upgrade: those rows cannot be told apart)."""
LOCK_WAIT_S = 10.0
"""How long a write waits for another process holding the database before giving up."""
UNREADABLE_ONCE, UNREADABLE_AGAIN = 1, 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, served TEXT, reply TEXT NOT NULL,
    unreadable INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS formats (endpoint_model TEXT PRIMARY KEY, mode TEXT NOT NULL);
"""
_T = TypeVar("_T")


@dataclass(frozen=True)
class Stored:
    """One cached reply and what is known about it."""

    reply: dict[str, Any]
    served: str | None
    """The model the server said answered, when it said."""
    unreadable: int
    """0, or how many runs found it unreadable (UNREADABLE_ONCE, UNREADABLE_AGAIN)."""


def canonical(payload: dict[str, Any]) -> bytes:
    """The request body as sent: sorted keys, no spaces, so equal requests are equal bytes."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def cache_key(body: bytes, endpoint: str, extra: dict[str, Any]) -> str:
    """sha256 over the body, the endpoint identity and what else changes the answer (repeat index)."""
    digest = hashlib.sha256(body)
    digest.update(b"\0" + endpoint.encode())
    if extra:
        digest.update(b"\0" + canonical(extra))
    return digest.hexdigest()


class ResponseCache:
    """Replies by key, plus the structured-output mode each endpoint accepted."""

    def __init__(self, path: Path, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=lock_wait_s, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise UsageError(f"{path}: cannot open the response cache ({exc}); pass --no-cache") from None
        self._lock_wait_s = lock_wait_s
        self._guarded(self._prepare_patiently)

    def _prepare_patiently(self) -> None:
        """Prepare, retrying while other processes prepare the same fresh file.

        Switching a fresh file to WAL takes an exclusive lock; two processes that both read the
        file first deadlock, and sqlite then answers "locked" at once instead of waiting out the
        busy timeout. Backing off and retrying (bounded by the lock wait) resolves it.
        """
        deadline = time.monotonic() + self._lock_wait_s
        for attempt in itertools.count():
            try:
                self._prepare()
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(min(0.2, 0.005 * 2**attempt) * random.uniform(0.5, 1.0))

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # One transaction holding the write lock: processes opening a fresh file at once (shards
        # on one runner) check the version and create the tables one after another, so none of
        # them drops tables another has already written to.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                self._db.execute("DROP TABLE IF EXISTS responses")
                self._db.execute("DROP TABLE IF EXISTS formats")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def get(self, key: str) -> Stored | None:
        """The stored reply, or None (also for a row that no longer parses)."""
        row = self._guarded(
            lambda: self._db.execute(
                "SELECT reply, served, unreadable FROM replies WHERE key = ?", (key,)
            ).fetchone()
        )
        if row is None:
            return None
        try:
            reply = json.loads(row[0])
        except ValueError:
            return None
        return Stored(reply, row[1], int(row[2])) if isinstance(reply, dict) else None

    def put(self, key: str, model: str, served: str | None, reply: dict[str, Any]) -> None:
        """Store and commit one fresh reply (any unreadable flag on the key is cleared)."""
        text = json.dumps(reply, ensure_ascii=False, sort_keys=True)
        self._guarded(
            lambda: self._db.execute(
                "INSERT OR REPLACE INTO replies (key, model, served, reply, unreadable)"
                " VALUES (?, ?, ?, ?, 0)",
                (key, model, served, text),
            )
        )

    def flag_unreadable(self, key: str, level: int) -> None:
        """Mark a stored reply the judge could not read (UNREADABLE_ONCE or UNREADABLE_AGAIN)."""
        self._guarded(
            lambda: self._db.execute("UPDATE replies SET unreadable = ? WHERE key = ?", (level, key))
        )

    def format_mode(self, endpoint_model: str) -> str | None:
        """The structured-output mode last accepted for this endpoint and model."""
        row = self._guarded(
            lambda: self._db.execute(
                "SELECT mode FROM formats WHERE endpoint_model = ?", (endpoint_model,)
            ).fetchone()
        )
        return None if row is None else str(row[0])

    def remember_format(self, endpoint_model: str, mode: str) -> None:
        """Persist the negotiated mode."""
        self._guarded(
            lambda: self._db.execute(
                "INSERT OR REPLACE INTO formats (endpoint_model, mode) VALUES (?, ?)", (endpoint_model, mode)
            )
        )

    def close(self) -> None:
        """Checkpoint and close."""
        self._db.close()

    def _guarded(self, operation: Callable[[], _T]) -> _T:
        """Run one statement; sqlite's busy timeout has already waited for a lock when it fails."""
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise InfraError(
                    f"{self.path}: the response cache stayed locked by another process for "
                    f"{self._lock_wait_s:g} s (another benchgate run?); wait for it, or pass --cache "
                    "with another file"
                ) from None
            raise UsageError(f"{self.path}: the response cache is unusable ({exc}); delete it") from None
        except sqlite3.Error as exc:
            raise UsageError(f"{self.path}: the response cache is unusable ({exc}); delete it") from None
