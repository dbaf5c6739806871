"""A socketserver served from a daemon thread for the length of a `with` block (127.0.0.1 only)."""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType
from typing import Any, TypeVar

HOST = "127.0.0.1"
_Self = TypeVar("_Self", bound="Background")


class Background:
    """Starts `server` on entry and stops it on exit, even with clients still connected."""

    def __init__(self, server: socketserver.TCPServer) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port."""
        address: Any = self._server.server_address
        return int(address[1])

    def __enter__(self: _Self) -> _Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
