from __future__ import annotations

import asyncio

import pytest

from benchgate.llm.http1 import Answer, ClosedBeforeAnswer, ProtocolError, encode_request, read_answer


def answer(raw: bytes, method: str = "POST") -> Answer:
    async def go() -> Answer:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_answer(reader, method)

    return asyncio.run(go())


def test_request_is_one_buffer_with_our_framing() -> None:
    raw = encode_request(
        "POST",
        b"/v1/chat/completions",
        b"h:1",
        [(b"Content-Length", b"999"), (b"Accept", b"application/json")],
        b"{}",
    )
    assert raw == (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: h:1\r\n"
        b"Accept: application/json\r\nContent-Length: 2\r\n\r\n{}"
    )
    with pytest.raises(ValueError, match="line break"):
        encode_request("POST", b"/", b"h", [(b"Authorization", b"Bearer x\r\nEvil: 1")], b"")


def test_content_length_and_keep_alive() -> None:
    got = answer(
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}extra'
    )
    assert (got.status, got.body, got.keep_alive) == (200, b'{"a":1}', True)
    assert (b"content-type", b"application/json") in got.headers


def test_chunked_with_extensions_and_trailers() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = head + b"4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n"
    assert answer(raw).body == b"Wikipedia"


def test_interim_answers_are_skipped_and_close_is_honoured() -> None:
    raw = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno"
    )
    got = answer(raw)
    assert (got.status, got.body, got.keep_alive) == (503, b"no", False)


def test_close_delimited_body_and_http10() -> None:
    got = answer(b"HTTP/1.0 200 OK\r\n\r\nall of it")
    assert (got.body, got.keep_alive) == (b"all of it", False)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", ClosedBeforeAnswer),
        (b"HTTP/1.1 200 OK\r\nContent-", ProtocolError),
        (b"SSH-2.0-OpenSSH\r\n\r\n", ProtocolError),
        (b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n", ProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", ProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", ProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ProtocolError),
    ],
)
def test_broken_answers_raise(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        answer(raw)
