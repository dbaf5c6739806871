"""scores.jsonl held as read: its bytes, the columns the gate reads, records built on demand. Pure.

A pydantic record per line costs ~0.9 KB and ~5 µs; at 1M samples the two runs a gate compares
were most of its time and memory. So a line is validated in batches into plain values, its
scores and latency go to float columns, and only lines with anything more (unscored metrics,
replies, reasons, outputs, notes, judgements, fingerprints, pairwise votes) are kept as records.
Any other record is parsed again from its own bytes when asked for, so it holds exactly what
the file says. A file that does not validate is read line by line instead, for file:line errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from operator import index as as_index
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray
from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import NotRequired, TypedDict

from benchgate.config import LATENCY_METRIC
from benchgate.results import SampleScore
from benchgate.stats import Floats

BATCH = 50_000
"""Lines validated at once: large enough that per-call overhead vanishes, small enough that the
plain values of one batch stay a few tens of MB."""
_PLAIN = frozenset({"id", "scores", "latency_s"})
_DETAIL_DICTS = attrgetter(*(name for name in SampleScore.model_fields if name not in _PLAIN | {"output"}))
_NONE: dict[str, float] = {}
_ID = itemgetter("id")


def _batch_type() -> Any:
    """A list of TypedDicts with SampleScore's fields: the same validation, into dicts, not records."""
    fields = {
        name: info.annotation if info.is_required() else NotRequired[info.annotation]
        for name, info in SampleScore.model_fields.items()
    }
    line = with_config(ConfigDict(extra="forbid"))(TypedDict("ScoreLine", fields))  # type: ignore[operator]
    return list[line]  # type: ignore[valid-type]


_BATCH_OF_LINES: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(_batch_type())


@dataclass(frozen=True)
class _Lines:
    """scores.jsonl's bytes, where each record's line starts and stops, and the records kept."""

    raw: bytes
    starts: NDArray[np.int64]
    stops: NDArray[np.int64]
    kept: dict[int, SampleScore]
    """Row -> record, for lines holding more than an id, scores and a latency."""

    def record(self, row: int) -> SampleScore:
        found = self.kept.get(row)
        if found is not None:
            return found
        return SampleScore.model_validate_json(self.raw[self.starts[row] : self.stops[row]])


class ScoreLines(Sequence[SampleScore]):
    """A run's score records in file order, with each metric's values as a column."""

    def __init__(
        self,
        ids: list[str],
        columns: dict[str, Floats],
        latency: Floats,
        records: Sequence[SampleScore] | _Lines,
    ) -> None:
        self.ids = ids
        """Sample ids, in file order."""
        self._columns = columns
        self._latency = latency
        self._records = records
        self._detailed: dict[int, SampleScore] | None = None

    @classmethod
    def of(cls, records: Sequence[SampleScore]) -> ScoreLines:
        """Records already in memory (a run just judged, or a test's)."""
        if isinstance(records, ScoreLines):
            return records
        scores = [record.scores for record in records]
        columns = _columns(scores, sorted(set().union(*scores)))
        latency = _floats([record.latency_s for record in records])
        return cls([record.id for record in records], columns, latency, records)

    @classmethod
    def parse(cls, raw: bytes) -> ScoreLines:
        """scores.jsonl's bytes; pydantic's ValidationError when some line is not a score record."""
        parts = raw.split(b"\n")
        kept = [number for number, part in enumerate(parts) if part.strip()]
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        starts = np.cumsum(lengths + 1) - lengths - 1
        rows = np.array(kept, dtype=np.int64)
        ids: list[str] = []
        batches: list[tuple[int, dict[str, Floats]]] = []  # (lines, metric -> column) per batch
        latency: list[Floats] = []
        detailed: dict[int, SampleScore] = {}
        for first in range(0, len(kept), BATCH):
            batch = [parts[number] for number in kept[first : first + BATCH]]
            values = _BATCH_OF_LINES.validate_json(b"[" + b",".join(batch) + b"]")
            ids += map(_ID, values)
            scores = [value.get("scores") or _NONE for value in values]
            batches.append((len(values), _columns(scores, sorted(set().union(*scores)))))
            latency.append(_floats([value.get("latency_s") for value in values]))
            for offset in [at for at, value in enumerate(values) if not value.keys() <= _PLAIN]:
                detailed[first + offset] = SampleScore.model_validate_json(batch[offset])
        names = sorted(set().union(*(found for _, found in batches)))
        columns = {
            name: np.concatenate([found.get(name, np.full(size, math.nan)) for size, found in batches])
            for name in names
        }
        lines = _Lines(raw, starts[rows], starts[rows] + lengths[rows], detailed)
        return cls(ids, columns, np.concatenate(latency) if latency else _floats([]), lines)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, position: int) -> SampleScore: ...

    @overload
    def __getitem__(self, position: slice) -> list[SampleScore]: ...

    def __getitem__(self, position: int | slice) -> SampleScore | list[SampleScore]:
        if isinstance(position, slice):
            return [self[row] for row in range(*position.indices(len(self)))]
        row = as_index(position)
        row = row + len(self) if row < 0 else row
        if not 0 <= row < len(self):
            raise IndexError(position)
        if not isinstance(self._records, _Lines):
            return self._records[row]
        return self._records.record(row)

    def __iter__(self) -> Iterator[SampleScore]:
        return (self[row] for row in range(len(self)))

    def column(self, metric: str) -> Floats:
        """The metric's values in file order, NaN where a sample has none."""
        if metric == LATENCY_METRIC:
            return self._latency
        found = self._columns.get(metric)
        return np.full(len(self), math.nan) if found is None else found

    def detailed(self) -> dict[int, SampleScore]:
        """Row -> record, for records holding more than an id, scores and a latency (unscored
        metrics, outputs, ...), in file order."""
        if self._detailed is None:
            kept = self._records.kept if isinstance(self._records, _Lines) else dict(enumerate(self._records))
            self._detailed = {row: found for row, found in sorted(kept.items()) if _is_detailed(found)}
        return self._detailed

    def outputs(self) -> dict[str, str]:
        """Sample id -> the output generated in the run (live mode with a generator)."""
        return {s.id: s.output for s in self.detailed().values() if s.output is not None}

    def present(self) -> frozenset[str]:
        """Metrics the run has at all: scored or unscored on some sample, or latency recorded."""
        found = {name for name, column in self._columns.items() if not np.isnan(column).all()}
        found.update(metric for record in self.detailed().values() for metric in record.unscored)
        if not np.isnan(self._latency).all():
            found.add(LATENCY_METRIC)
        return frozenset(found)


def _is_detailed(record: SampleScore) -> bool:
    return record.output is not None or any(_DETAIL_DICTS(record))


def _columns(scores: list[dict[str, float]], names: list[str]) -> dict[str, Floats]:
    """One column per metric name; most batches score every metric on every line, read in one pass."""
    if not names:
        return {}
    try:
        table = np.array(list(map(itemgetter(*names), scores)), dtype=np.float64).reshape(
            len(scores), len(names)
        )
    except KeyError:  # some line lacks some metric
        return {name: _floats([found.get(name) for found in scores]) for name in names}
    return {name: table[:, at].copy() for at, name in enumerate(names)}


def _floats(values: list[float | None]) -> Floats:
    """A float column; numpy reads None as NaN."""
    return np.array(values, dtype=np.float64).reshape(len(values))
