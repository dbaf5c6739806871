"""Persistent response cache in SQLite: re-runs are free and a killed run resumes.

Each response is committed on arrival (WAL journal), so a run killed at any point keeps
every call that finished. Keys hash everything that changes an answer; the endpoint URL
and the API key are deliberately not part of it and never stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from benchgate.errors import UsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, reply TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS formats (endpoint_model TEXT PRIMARY KEY, mode TEXT NOT NULL);
"""


def canonical(payload: dict[str, Any]) -> bytes:
    """The request body as sent: sorted keys, no spaces, so equal requests are equal bytes."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def cache_key(body: bytes, extra: dict[str, Any]) -> str:
    """sha256 over the body and what else changes the answer without being sent (repeat index)."""
    digest = hashlib.sha256(body)
    if extra:
        digest.update(b"\0" + canonical(extra))
    return digest.hexdigest()


class ResponseCache:
    """Replies by key, plus the structured-output mode each endpoint accepted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise UsageError(
                f"{path}: cannot open the response cache ({exc}); pass --no-cache or delete it"
            ) from None

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply, or None."""
        row = self._db.execute("SELECT reply FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, key: str, model: str, reply: dict[str, Any]) -> None:
        """Store and commit one reply."""
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, model, reply) VALUES (?, ?, ?)",
            (key, model, json.dumps(reply, ensure_ascii=False, sort_keys=True)),
        )

    def format_mode(self, endpoint_model: str) -> str | None:
        """The structured-output mode last accepted for this endpoint and model."""
        row = self._db.execute(
            "SELECT mode FROM formats WHERE endpoint_model = ?", (endpoint_model,)
        ).fetchone()
        return None if row is None else str(row[0])

    def remember_format(self, endpoint_model: str, mode: str) -> None:
        """Persist the negotiated mode."""
        self._db.execute(
            "INSERT OR REPLACE INTO formats (endpoint_model, mode) VALUES (?, ?)",
            (endpoint_model, mode),
        )

    def close(self) -> None:
        """Checkpoint and close."""
        self._db.close()
