"""Per-sample review rows: head and base scores, outputs and their word diff. Pure.

The HTML report shows one row per sample id found at head or base. Tags say why a
reviewer may want to look at it; they only consider judged metrics, because latency moves on
every live run and would tag every sample.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from benchgate.config import LATENCY_METRIC
from benchgate.outcome import GateResult
from benchgate.results import SampleScore
from benchgate.score_lines import ScoreLines

Tag = Literal["regressed", "improved", "unscored", "changed", "added", "removed"]
TAGS: tuple[Tag, ...] = ("regressed", "improved", "unscored", "changed", "added", "removed")
Op = Literal[0, 1, 2]
"""Diff segment: 0 in both outputs, 1 only at head, 2 only at base."""
OUTPUT_LIMIT = 20_000
"""Characters of each output kept in the report (and diffed); the rest is cut with a note."""
ROW_LIMIT = 10_000
"""Rows in one report; past it the tagged rows are kept first and the page says what was left out."""
_WORDS = re.compile(r"\s+|\S+\s*")


@dataclass(frozen=True)
class Outputs:
    """The text each commit's run judged, by sample id (absent when unknown)."""

    head: Mapping[str, str] = field(default_factory=dict)
    base: Mapping[str, str] = field(default_factory=dict)
    same: frozenset[str] = frozenset()
    """Ids whose output is known to be the same at both (no need to compare the texts)."""


@dataclass(frozen=True)
class ReviewRow:
    """One sample as the reviewer sees it."""

    id: str
    head: dict[str, float]
    """Metric -> value at head (judged scores and latency_s)."""
    base: dict[str, float]
    """Metric -> value at base."""
    deltas: dict[str, float]
    """Metric -> head - base, for metrics with a value at both."""
    tags: tuple[Tag, ...]
    segments: list[tuple[Op, str]]
    """Word diff of base -> head output; one side only when the other is unknown."""
    sides: tuple[bool, bool]
    """Whether the head and the base output are known."""
    reasons: dict[str, str]
    """Metric -> the judge's reason at head."""
    unscored: dict[str, tuple[str, str | None]]
    """Metric -> (why unscored at head, raw judge reply)."""


@dataclass(frozen=True)
class ReviewRows:
    """The rows in the report and how many samples there were in all."""

    rows: list[ReviewRow]
    total: int


def build_rows(
    result: GateResult,
    head: Sequence[SampleScore],
    base: Sequence[SampleScore] | None,
    outputs: Outputs,
) -> ReviewRows:
    """Every sample id of head and base (head's order, then removed ids), tagged and diffed.

    Tags are found for every sample first, from the score columns; only the rows that fit are
    built in full (their records read then).
    """
    now = ScoreLines.of(head)
    then = ScoreLines.of(base) if base is not None else None
    base_rows = {} if then is None else {sample_id: row for row, sample_id in enumerate(then.ids)}
    paired = np.fromiter((base_rows.get(i, -1) for i in now.ids), dtype=np.int64, count=len(now))
    moved = _moved(result, now, then, paired)
    unscored = {row for row, score in now.detailed().items() if score.unscored}
    # Only these rows can have a tag: moved scores, an unscored metric, an output that may have
    # changed, or an id the base lacks. At 1M samples most rows are none of these.
    maybe = moved.keys() | unscored
    if then is not None:
        maybe |= {row for row, i in enumerate(now.ids) if paired[row] < 0 or i not in outputs.same}
    has_base = then is not None
    tagged = {}
    for row in sorted(maybe):
        scored = (moved.get(row), row in unscored)
        if tags := _tags(now.ids[row], int(paired[row]), has_base, scored, outputs):
            tagged[row] = tags
    head_ids = set(now.ids)
    removed = [] if then is None else [row for row, i in enumerate(then.ids) if i not in head_ids]
    total = len(now) + len(removed)
    kept: Sequence[int] = range(len(now))
    if total > ROW_LIMIT:
        # Tagged rows first, each part in file order: a stable partition, not a sort of 1M keys.
        room = max(0, ROW_LIMIT - len(removed))
        first = list(tagged)[:room]
        rest = islice((row for row in range(len(now)) if row not in tagged), room - len(first))
        kept = sorted([*first, *rest])
        removed = removed[: ROW_LIMIT - len(kept)]
    rows = [
        _row(result, now[row], _record(then, int(paired[row])), tagged.get(row, ()), outputs) for row in kept
    ]
    rows += [_removed(then[row], outputs) for row in removed] if then is not None else []
    return ReviewRows(rows, total)


def _record(scores: ScoreLines | None, row: int) -> SampleScore | None:
    return None if scores is None or row < 0 else scores[row]


def _moved(
    result: GateResult, now: ScoreLines, then: ScoreLines | None, paired: NDArray[np.int64]
) -> dict[int, tuple[bool, bool]]:
    """Head row -> (regressed, improved) beyond a metric's `max_drop`, for rows whose scores moved.

    Columns find the rows where some judged metric changed; each of those is then measured as a
    reviewer reads it (the change rounded to 6 places), one sample at a time.
    """
    limits = [
        (m, -1.0 if r.threshold.direction == "lower" else 1.0, r.threshold.max_drop)
        for m, r in result.metrics.items()
        if m != LATENCY_METRIC
    ]
    if then is None or not limits:
        return {}
    rows = np.flatnonzero(paired >= 0)
    pairs = [(now.column(m)[rows], then.column(m)[paired[rows]], sign, drop) for m, sign, drop in limits]
    changed = np.zeros(len(rows), dtype=bool)
    for after, before, _, _ in pairs:
        changed |= (after != before) & ~np.isnan(after) & ~np.isnan(before)
    moved = {}
    for at in np.flatnonzero(changed):
        worse = better = False
        for after, before, sign, max_drop in pairs:
            change = sign * round(float(after[at]) - float(before[at]), 6)
            worse, better = worse or change < -max_drop, better or change > max_drop
        moved[int(rows[at])] = (worse, better)
    return moved


def _tags(
    sample_id: str,
    base_row: int,
    has_base: bool,
    scored: tuple[tuple[bool, bool] | None, bool],
    outputs: Outputs,
) -> tuple[Tag, ...]:
    """`scored`: (regressed, improved) when the scores moved, and whether some metric is unscored."""
    moved, unscored = scored
    tags: list[Tag] = []
    if moved is not None:
        tags += ["regressed"] if moved[0] else []
        tags += ["improved"] if moved[1] else []
    if unscored:
        tags.append("unscored")
    if base_row >= 0 and sample_id not in outputs.same:
        old = outputs.base.get(sample_id)  # the base first: without base outputs no head line is read
        new = outputs.head.get(sample_id) if old is not None else None
        if new is not None and new != old:
            tags.append("changed")
    elif base_row < 0 and has_base:
        tags.append("added")
    return tuple(tags)


def word_diff(before: str, after: str) -> list[tuple[Op, str]]:
    """Segments turning `before` into `after`, at word granularity (each word keeps its spaces)."""
    if before == after:
        return [(0, after)] if after else []
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    segments: list[tuple[Op, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for kind, i1, i2, j1, j2 in matcher.get_opcodes():
        if kind == "equal":
            segments.append((0, "".join(new[j1:j2])))
            continue
        if i2 > i1:
            segments.append((2, "".join(old[i1:i2])))
        if j2 > j1:
            segments.append((1, "".join(new[j1:j2])))
    return segments


def _row(
    result: GateResult,
    score: SampleScore,
    before: SampleScore | None,
    tags: tuple[Tag, ...],
    outputs: Outputs,
) -> ReviewRow:
    head_values = _values(score)
    base_values = _values(before) if before is not None else {}
    deltas = {
        m: round(head_values[m] - base_values[m], 6)
        for m in result.metrics
        if m in head_values and m in base_values
    }
    new = _clip(outputs.head.get(score.id))
    old = new if score.id in outputs.same else _clip(outputs.base.get(score.id))
    unscored = {m: (why, score.replies.get(m)) for m, why in sorted(score.unscored.items())}
    return ReviewRow(
        id=score.id,
        head=head_values,
        base=base_values,
        deltas=deltas,
        tags=tags,
        segments=_segments(new, old if before is not None else None),
        sides=(new is not None, before is not None and old is not None),
        reasons=dict(sorted(score.reasons.items())),
        unscored=unscored,
    )


def _removed(score: SampleScore, outputs: Outputs) -> ReviewRow:
    old = _clip(outputs.base.get(score.id))
    return ReviewRow(
        id=score.id,
        head={},
        base=_values(score),
        deltas={},
        tags=("removed",),
        segments=_segments(None, old),
        sides=(False, old is not None),
        reasons={},
        unscored={},
    )


def _segments(new: str | None, old: str | None) -> list[tuple[Op, str]]:
    if new is not None and old is not None:
        return word_diff(old, new)
    if new is not None:
        return [(1, new)] if new else []
    return [(2, old)] if old else []


def _values(score: SampleScore) -> dict[str, float]:
    values = dict(score.scores)
    if score.latency_s is not None:
        values[LATENCY_METRIC] = score.latency_s
    return values


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= OUTPUT_LIMIT:
        return text
    return text[:OUTPUT_LIMIT] + " … (cut: the output is longer)"
