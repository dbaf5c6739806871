"""A server that misbehaves below the level of a well-formed answer, on purpose, for crash tests.

Each request is read (head and Content-Length body), then answered with what `answer(n)`
returns for the n-th request (0-based): the raw bytes to send and what to do after. Stdlib
only, binds 127.0.0.1; every connection ends within a few seconds.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tests.fakes.background import HOST, Background


@dataclass(frozen=True)
class RawAnswer:
    """What to send back, and how."""

    data: bytes = b""
    then: Literal["keep", "close", "reset"] = "close"
    """Keep the connection for the next request, close it (FIN), or reset it (RST)."""
    trickle_s: float = 0.0
    """Send one byte every this many seconds instead of all at once."""


def http(status: int, body: bytes, *headers: str) -> bytes:
    """A well-framed HTTP/1.1 answer with `body` (which may itself be anything); headers in latin-1."""
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Handler(socketserver.BaseRequestHandler):
    request: socket.socket
    server: _Server

    def handle(self) -> None:
        self.request.settimeout(10)
        reader = self.request.makefile("rb")
        with contextlib.suppress(OSError, ValueError):
            while True:
                length = 0
                line = reader.readline(65_536)
                if not line:
                    return
                while (header := reader.readline(65_536)) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                reader.read(length)
                answer = self.server.next_answer()
                if answer.trickle_s:
                    for byte in answer.data:
                        self.request.sendall(bytes([byte]))
                        time.sleep(answer.trickle_s)
                else:
                    self.request.sendall(answer.data)
                if answer.then == "reset":
                    self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                if answer.then != "keep":
                    return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer: Callable[[int], RawAnswer]) -> None:
        self._answer = answer
        self._lock = threading.Lock()
        self.requests = 0
        super().__init__((HOST, 0), _Handler)

    def next_answer(self) -> RawAnswer:
        with self._lock:
            index, self.requests = self.requests, self.requests + 1
        return self._answer(index)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer is what some tests are about."""


class RawServer(Background):
    """The raw server as a context manager."""

    def __init__(self, answer: Callable[[int], RawAnswer] | RawAnswer) -> None:
        self._raw = _Server(answer if callable(answer) else lambda _: answer)
        super().__init__(self._raw)

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43211`."""
        return f"http://{HOST}:{self.port}"

    @property
    def requests(self) -> int:
        """Requests answered so far."""
        return self._raw.requests
