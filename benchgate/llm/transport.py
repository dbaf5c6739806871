"""A lean HTTP/1.1 keep-alive transport for httpx, on asyncio streams (framing in `http1`).

Live mode keeps dozens of completions in flight, and the default httpx stack spends more CPU
than the endpoint: httpcore's pool (1.0.x) rescans every connection for each queued request
and, under load, assigns one idle connection to several requests that then spin on
ConnectionNotAvailable (~14 ms of CPU per request at 64 in flight); its anyio layer and
separate header/body writes add more. Requests here are small JSON bodies with small JSON
answers, and live mode already bounds how many are in flight, so each request simply takes
an idle connection (or opens one), writes once, and reads the whole answer.
Proxies are not handled here: `Transports` routes proxied URLs to httpx's own transport.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
import urllib.request
from collections.abc import Coroutine
from typing import Any

import httpx

from benchgate.llm.http1 import ClosedBeforeAnswer, ProtocolError, encode_request, read_answer

IDLE_S = 4.0
"""Reuse a connection only if idle for less than this: below common server keep-alive timeouts."""
_READ = 65_536

Origin = tuple[str, str, int]
_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class _Connection:
    """One socket, reusable while both sides keep it alive."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.keep_alive = True
        self.idle_since = time.monotonic()

    def reusable(self) -> bool:
        return time.monotonic() - self.idle_since < IDLE_S and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class ConnectionLanes(httpx.AsyncBaseTransport):
    """Free lists of keep-alive connections per origin; one request per connection at a time."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, connect_timeout_s: float = 10.0) -> None:
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout_s
        self._idle: dict[Origin, list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        body = await request.aread()
        timeout = request.extensions.get("timeout", {}).get("read") or 120.0
        connection, reused = await self._take(origin, request)
        try:
            try:
                status, headers, content = await _within(timeout, _exchange(connection, request, body))
            except ClosedBeforeAnswer:
                if not reused:
                    raise
                # A kept-alive socket the server had already closed: the request never reached it.
                connection.close()
                connection, _ = await self._open(origin, request)
                status, headers, content = await _within(timeout, _exchange(connection, request, body))
        except BaseException as exc:
            connection.close()
            raise _as_httpx(exc, request) from exc
        self._give_back(origin, connection)
        return httpx.Response(status, headers=headers, content=content)

    async def _take(self, origin: Origin, request: httpx.Request) -> tuple[_Connection, bool]:
        idle = self._idle.setdefault(origin, [])
        while idle:
            connection = idle.pop()
            if connection.reusable():
                return connection, True
            connection.close()
        return await self._open(origin, request)

    async def _open(self, origin: Origin, request: httpx.Request) -> tuple[_Connection, bool]:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            self._ssl = context = self._ssl or ssl.create_default_context()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=context, limit=_READ), self._connect_timeout
            )
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(
                f"cannot connect to {host}:{port}: {exc.strerror or exc}", request=request
            ) from None
        return _Connection(reader, writer), False

    def _give_back(self, origin: Origin, connection: _Connection) -> None:
        if connection.keep_alive:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()

    async def aclose(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


async def _within(seconds: float, exchange: Coroutine[Any, Any, _Answer]) -> _Answer:
    """`exchange` with a deadline; asyncio.timeout (3.11+) avoids wait_for's extra task per request."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await exchange
    return await asyncio.wait_for(exchange, seconds)


async def _exchange(connection: _Connection, request: httpx.Request, body: bytes) -> _Answer:
    url = request.url
    host = url.netloc
    connection.writer.write(
        encode_request(request.method, url.raw_path, host, list(request.headers.raw), body)
    )
    await connection.writer.drain()
    answer = await read_answer(connection.reader, request.method)
    connection.keep_alive = answer.keep_alive
    return answer.status, answer.headers, answer.body


def _as_httpx(exc: BaseException, request: httpx.Request) -> BaseException:
    """Everything below httpx surfaces as the httpx error the retry policy understands."""
    if isinstance(exc, httpx.HTTPError):
        return exc
    if isinstance(exc, ClosedBeforeAnswer):
        return httpx.RemoteProtocolError("server closed the connection without answering", request=request)
    if isinstance(exc, asyncio.TimeoutError):
        return httpx.ReadTimeout("no answer within the timeout", request=request)
    if isinstance(exc, ProtocolError):
        return httpx.RemoteProtocolError(f"malformed HTTP answer: {exc}", request=request)
    if isinstance(exc, (ConnectionError, OSError, asyncio.IncompleteReadError)):
        return httpx.ReadError(f"connection lost: {exc}", request=request)
    return exc


class Transports:
    """The lean transport for direct connections; httpx's own where a proxy applies."""

    def __init__(self, direct: httpx.AsyncBaseTransport | None = None) -> None:
        self._direct = direct or ConnectionLanes()
        self._proxies = urllib.request.getproxies()  # read once: it walks the whole environment
        self._chosen: dict[tuple[str, str], httpx.AsyncBaseTransport] = {}

    def for_url(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        """The transport for this URL, honouring HTTP(S)_PROXY and NO_PROXY."""
        key = (url.scheme, url.host)
        if key not in self._chosen:
            proxy = self._proxies.get(url.scheme)
            bypass = not proxy or urllib.request.proxy_bypass(url.host)
            self._chosen[key] = self._direct if bypass else httpx.AsyncHTTPTransport(proxy=proxy)
        return self._chosen[key]

    async def aclose(self) -> None:
        """Close every transport."""
        for transport in {id(t): t for t in [self._direct, *self._chosen.values()]}.values():
            await transport.aclose()
