"""Just enough HTTP/1.1 for JSON API calls on keep-alive connections.

Requests are written whole (one write: headers and body in the same segment); answers are
read whole, framed by Content-Length, chunked encoding or connection close. Replaces h11
on the hot path, where its event machinery cost ~180 µs per exchange (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

_SKIP = frozenset({b"content-length", b"transfer-encoding", b"connection"})


class ProtocolError(Exception):
    """The peer's answer is not valid HTTP/1.1."""


class ClosedBeforeAnswer(Exception):
    """The peer closed the connection before sending any byte of an answer."""


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer."""

    status: int
    headers: list[tuple[bytes, bytes]]
    """Lower-cased names, in order."""
    body: bytes
    keep_alive: bool
    """Whether the connection may carry another request."""


def encode_request(
    method: str, target: bytes, host: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The request's bytes; framing headers are ours, header values must be single lines."""
    lines = [b"%s %s HTTP/1.1" % (method.encode("ascii"), target)]
    if not any(name.lower() == b"host" for name, _ in headers):
        lines.append(b"Host: " + host)
    for name, value in headers:
        if name.lower() in _SKIP:
            continue
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name or b":" in name:
            raise ValueError(f"header {name[:40]!r} holds a line break or colon")
        lines.append(name + b": " + value)
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def read_answer(reader: asyncio.StreamReader, method: str = "POST") -> Answer:
    """Read one answer (skipping 1xx interim ones)."""
    while True:
        version, status, headers = await _read_head(reader)
        if not 100 <= status < 200:
            break
    fields = dict(headers)
    keep_alive = version == b"HTTP/1.1" and b"close" not in fields.get(b"connection", b"").lower()
    if status in (204, 304) or method == "HEAD":
        body = b""
    elif b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        body = await _read_chunked(reader)
    elif b"content-length" in fields:
        length = fields[b"content-length"].strip()
        if not length.isdigit():
            raise ProtocolError(f"bad Content-Length {length[:20]!r}")
        body = await _exactly(reader, int(length))
    else:
        body, keep_alive = await reader.read(), False
    return Answer(status, headers, body, keep_alive)


async def _read_head(reader: asyncio.StreamReader) -> tuple[bytes, int, list[tuple[bytes, bytes]]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise ClosedBeforeAnswer from None
        raise ProtocolError("connection closed inside the answer's headers") from None
    except asyncio.LimitOverrunError:
        raise ProtocolError("answer headers too large") from None
    status_line, *header_lines = head[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:60]!r}")
    headers = []
    for line in header_lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise ProtocolError(f"malformed header line {line[:60]!r}")
        headers.append((name.lower(), value.strip()))
    return version, int(code), headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await _line(reader)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size {line[:20]!r}") from None
        if size == 0:
            while await _line(reader):
                pass  # trailers
            return b"".join(parts)
        parts.append(await _exactly(reader, size))
        if await _exactly(reader, 2) != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")


async def _line(reader: asyncio.StreamReader) -> bytes:
    try:
        return (await reader.readuntil(b"\r\n"))[:-2]
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        raise ProtocolError("connection closed or line too long inside a chunked answer") from None


async def _exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise ProtocolError(f"connection closed {size} bytes into the answer's body") from None
