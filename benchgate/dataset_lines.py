"""A dataset's lines by sample id, indexed where they lie in the file rather than held in memory.

The HTML report needs the outputs of a bounded number of rows out of datasets of a million
lines. The work-tree file is indexed as id -> (offset, length) and a line is read back only
when a row asks for it; the file at the base commit is streamed and only its lines that differ
from the head's are kept. Ids are matched as bytes when the id comes first (as benchgate and
most writers put it), else by parsing the line.
"""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from types import TracebackType

_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"
_LEADING_ID = re.compile(rb'\{\s*"id"\s*:\s*("(?:[^"\\]|\\.)*")')
_FAST = b'{"id": "'
"""How json.dumps (benchgate's writer and most others) starts a line: its id is cut out with
`find`, several times cheaper than a regex match, which only the other lines pay."""
_ABSENT, _SAME, _DIFFERS = 0, 1, 2


def split_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """A file read in chunks, as (offset, lines): its lines split at LF, the first at `offset`.

    Every line is there, blank ones too, without its LF (so the next starts len(line) + 1
    further); a leading UTF-8 BOM is skipped. Callers skip blank lines and cut trailing CRs, so
    a CRLF file reads as its LF twin.
    """
    pending, at = b"", 0  # `pending` starts at file offset `at`
    for chunk in chunks:
        pending += chunk
        if at == 0 and len(pending) < len(_BOM) and _BOM.startswith(pending):
            continue
        if at == 0 and pending.startswith(_BOM):
            pending, at = pending[len(_BOM) :], len(_BOM)
        lines = pending.split(b"\n")
        size, pending = len(pending), lines.pop()
        if lines:
            yield at, lines
        at += size - len(pending)
    if at == 0 and pending.startswith(_BOM):
        pending, at = pending[len(_BOM) :], len(_BOM)
    yield at, [pending]


def line_id(line: bytes) -> str | None:
    """The sample id of a line (cut of CRs), or None when it has no string id, is blank or not JSON."""
    if line.startswith(_FAST):
        close = line.find(b'"', len(_FAST))
        raw = line[len(_FAST) : close]
        if close > 0 and b"\\" not in raw:
            return raw.decode("utf-8", "replace")
    if not line or line.isspace():
        return None
    match = _LEADING_ID.match(line)
    if match is None:
        sample_id = field(line, "id")
    else:
        quoted = match.group(1)
        sample_id = _loads(quoted) if b"\\" in quoted else quoted[1:-1].decode("utf-8", "replace")
    return sample_id if isinstance(sample_id, str) else None


def field(line: bytes, name: str) -> object:
    """One top-level field of a JSON line; None when absent or when the line is not an object."""
    record = _loads(line)
    return record.get(name) if isinstance(record, dict) else None


def _loads(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


class FileLines(Mapping[str, bytes]):
    """Sample id -> its first line in a dataset file (lines without an id are left out).

    Holds ~150 bytes per id (the id, its dict entry, offset and length), not the file: a line
    is read back from the open file when asked for. Use as a context manager, which closes it.
    """

    def __init__(self, path: Path) -> None:
        self.rows: dict[str, int] = {}
        """Id -> its row: the position of its line's offset and length."""
        self.lengths = array("q")
        """Each row's line length, without its line break."""
        self._offsets = array("q")
        self._file = path.open("rb", buffering=0)
        self._window, self._window_at = b"", 0
        try:
            self._index()
        except BaseException:
            self._file.close()
            raise

    def _index(self) -> None:
        rows, offsets, lengths = self.rows, self._offsets, self.lengths
        for first, lines in split_lines(iter(partial(self._file.read, _CHUNK), b"")):
            at = first
            for raw in lines:
                line = raw.rstrip(b"\r")  # the very object when there is no CR
                sample_id = line_id(line)
                if sample_id is not None and sample_id not in rows:
                    rows[sample_id] = len(offsets)
                    offsets.append(at)
                    lengths.append(len(line))
                at += len(raw) + 1

    def line_at(self, row: int) -> bytes:
        """A row's line, from the window when in it; a line just past the window moves it there
        (a MiB at a time, for lines asked for in file order), any other is read alone."""
        offset, length = self._offsets[row], self.lengths[row]
        start = offset - self._window_at
        if start >= 0 and start + length <= len(self._window):
            return self._window[start : start + length]
        self._file.seek(offset)
        size = max(length, _CHUNK) if 0 <= start <= len(self._window) + _CHUNK else length
        self._window, self._window_at = self._file.read(size) or b"", offset
        return self._window[:length]

    def __getitem__(self, sample_id: str) -> bytes:
        return self.line_at(self.rows[sample_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __enter__(self) -> FileLines:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()


class BaseLines(Mapping[str, bytes]):
    """Sample id -> its first line in the base commit's copy of a dataset, streamed once.

    A line equal byte for byte to the head's line of the same id is read from the head file when
    asked for; only the others are kept (the lines a PR changed, and ids the head no longer has).
    Lines are compared as bytes, not by digest, so "same" is exact.
    """

    def __init__(self, head: FileLines, chunks: Iterable[bytes]) -> None:
        """Read the base file from `chunks`, comparing each line with `head`'s."""
        self._head = head
        self._states = bytearray(len(head.rows))
        self.differing: dict[str, bytes] = {}
        """Id -> its base line, when that differs from the head's line or the head has no such id."""
        self.sha256 = hashlib.sha256()
        """Of the bytes read, to check they are the ones the base run recorded."""
        states, rows, lengths, count = self._states, head.rows, head.lengths, len(head.rows)
        cursor = 0  # the head row the next base line most likely holds
        for _, lines in split_lines(self._hashed(chunks)):
            for raw in lines:
                line = raw.rstrip(b"\r")  # the very object when there is no CR
                # Most base lines come in the head's order, and a line equal to the next head
                # row's line has that row's id: its id need not be parsed, and the head file
                # is read in order.
                if (
                    cursor < count
                    and states[cursor] == _ABSENT
                    and lengths[cursor] == len(line)
                    and head.line_at(cursor) == line
                ):
                    states[cursor], cursor = _SAME, cursor + 1
                    continue
                sample_id = line_id(line)
                if sample_id is None:
                    continue
                row = rows.get(sample_id)
                if row is None:
                    self.differing.setdefault(sample_id, line)
                    continue
                cursor = row + 1
                if states[row] == _ABSENT:
                    same = lengths[row] == len(line) and head.line_at(row) == line
                    states[row] = _SAME if same else _DIFFERS
                    if not same:
                        self.differing[sample_id] = line

    def _hashed(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.sha256.update(chunk)
            yield chunk

    def same(self) -> Iterator[str]:
        """Ids whose base line is byte for byte the head's."""
        states = self._states
        return (i for i, row in self._head.rows.items() if states[row] == _SAME)

    def __getitem__(self, sample_id: str) -> bytes:
        if sample_id in self.differing:
            return self.differing[sample_id]
        row = self._head.rows.get(sample_id)
        if row is None or self._states[row] != _SAME:
            raise KeyError(sample_id)
        return self._head.line_at(row)

    def __iter__(self) -> Iterator[str]:
        yield from self.differing
        yield from self.same()

    def __len__(self) -> int:
        return len(self.differing) + self._states.count(_SAME)
