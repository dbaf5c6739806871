"""A small proxy for end-to-end tests: HTTP forwarding, CONNECT tunnels and SOCKS5, on 127.0.0.1.

It records what it was asked, so a test can check that traffic really went through it::

    with FakeProxy() as proxy:
        ...  # HTTP_PROXY=proxy.url, or ALL_PROXY=proxy.socks_url
        assert proxy.seen()  # ["POST http://127.0.0.1:4711/v1/chat/completions", "CONNECT ...", ...]

Absolute-form requests (`POST http://host:port/path HTTP/1.1`) are forwarded one by one over a
kept-alive upstream connection, `CONNECT host:port` opens a byte tunnel (what a client does for
https:// through a proxy), and a first byte 0x05 is a SOCKS5 handshake (no auth, CONNECT only).
Stdlib only; idle connections close after IDLE_S, so no thread outlives a test for long.
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import struct
import threading
from typing import Any

from tests.fakes.background import HOST, Background

IDLE_S = 30.0
_HOP_BY_HOP = (b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive")


class _Handler(socketserver.BaseRequestHandler):
    """One client connection: SOCKS5, a CONNECT tunnel, or forwarded requests."""

    request: socket.socket
    server: _Server

    def handle(self) -> None:
        self.request.settimeout(IDLE_S)
        with contextlib.suppress(OSError, ValueError):
            first = self.request.recv(1, socket.MSG_PEEK)
            if first == b"\x05":
                self._socks5()
            elif first:
                self._http(self.request.makefile("rb"))

    def _http(self, reader: Any) -> None:
        upstreams: dict[tuple[str, int], tuple[socket.socket, Any]] = {}
        try:
            while True:
                head = _read_head(reader)
                if head is None:
                    return
                method, target, headers = head
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                    self.server.record(f"CONNECT {target}")
                    upstream = socket.create_connection((host, int(port)), timeout=IDLE_S)
                    self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    _relay(self.request, upstream)
                    return
                self.server.record(f"{method} {target}")
                if not target.startswith("http://"):
                    self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    return
                authority, _, path = target[len("http://") :].partition("/")
                host, _, port = authority.rpartition(":")
                where = (host, int(port or 80))
                if where not in upstreams:
                    connection = socket.create_connection(where, timeout=IDLE_S)
                    upstreams[where] = (connection, connection.makefile("rb"))
                upstream, answers = upstreams[where]
                body = reader.read(_length(headers))
                kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
                lines = [f"{method} /{path} HTTP/1.1".encode(), *(k + b": " + v for k, v in kept)]
                upstream.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
                status_line = answers.readline()
                answer = _read_headers(answers)
                content = answers.read(_length(answer))
                back = [status_line.rstrip(b"\r\n"), *(k + b": " + v for k, v in answer)]
                self.request.sendall(b"\r\n".join(back) + b"\r\n\r\n" + content)
        finally:
            for connection, _ in upstreams.values():
                connection.close()

    def _socks5(self) -> None:
        client = self.request
        _, methods = _exactly(client, 2)
        _exactly(client, methods)
        client.sendall(b"\x05\x00")  # no authentication
        _, command, _, kind = _exactly(client, 4)
        if kind == 1:
            host = socket.inet_ntoa(_exactly(client, 4))
        elif kind == 3:
            host = _exactly(client, _exactly(client, 1)[0]).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, _exactly(client, 16))
        (port,) = struct.unpack("!H", _exactly(client, 2))
        self.server.record(f"SOCKS5 {host}:{port}")
        if command != 1:
            client.sendall(b"\x05\x07\x00\x01" + bytes(6))  # command not supported
            return
        upstream = socket.create_connection((host, port), timeout=IDLE_S)
        client.sendall(b"\x05\x00\x00\x01" + bytes(6))
        _relay(client, upstream)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self._seen: list[str] = []
        self._lock = threading.Lock()
        super().__init__((HOST, 0), _Handler)

    def record(self, line: str) -> None:
        with self._lock:
            self._seen.append(line)

    def seen(self) -> list[str]:
        with self._lock:
            return list(self._seen)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients and upstreams hanging up are normal here."""


class FakeProxy(Background):
    """The proxy as a context manager: started on entry, stopped on exit."""

    def __init__(self) -> None:
        self._proxy = _Server()
        super().__init__(self._proxy)

    @property
    def url(self) -> str:
        """For HTTP_PROXY / HTTPS_PROXY."""
        return f"http://{HOST}:{self.port}"

    @property
    def socks_url(self) -> str:
        """For ALL_PROXY as a SOCKS5 proxy."""
        return f"socks5://{HOST}:{self.port}"

    def seen(self) -> list[str]:
        """Request lines (forwarded), `CONNECT host:port` and `SOCKS5 host:port`, in order."""
        return self._proxy.seen()


def _read_head(reader: Any) -> tuple[str, str, list[tuple[bytes, bytes]]] | None:
    line = reader.readline(65_536)
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    return method, target, _read_headers(reader)


def _read_headers(reader: Any) -> list[tuple[bytes, bytes]]:
    headers = []
    while (line := reader.readline(65_536)) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        headers.append((name.strip(), value.strip()))
    return headers


def _length(headers: list[tuple[bytes, bytes]]) -> int:
    return next((int(v) for k, v in headers if k.lower() == b"content-length"), 0)


def _exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError("peer closed mid-handshake")
        data += chunk
    return data


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes or both idle for IDLE_S."""
    with upstream:
        peers = {client: upstream, upstream: client}
        while True:
            readable, _, _ = select.select(list(peers), [], [], IDLE_S)
            if not readable:
                return
            for source in readable:
                data = source.recv(65_536)
                if not data:
                    return
                peers[source].sendall(data)
