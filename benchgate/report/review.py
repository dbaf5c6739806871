"""Per-sample review rows: head and base scores, outputs and their word diff. Pure.

The HTML report shows one row per sample id found at head or base. Tags say why a
reviewer may want to look at it; they only consider judged metrics, because latency moves on
every live run and would tag every sample.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from benchgate.config import LATENCY_METRIC
from benchgate.outcome import GateResult
from benchgate.results import SampleScore

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
    result: GateResult, head: list[SampleScore], base: list[SampleScore] | None, outputs: Outputs
) -> ReviewRows:
    """Every sample id of head and base (head's order, then removed ids), tagged and diffed.

    Tags are found for every sample first (cheap); only the rows that fit are built in full.
    """
    base_by_id = {score.id: score for score in base or []}
    head_ids = {score.id for score in head}
    limits = [
        (m, -1.0 if r.threshold.direction == "lower" else 1.0, r.threshold.max_drop)
        for m, r in result.metrics.items()
        if m != LATENCY_METRIC
    ]
    found = [
        (s, base_by_id.get(s.id), _tags(s, base_by_id.get(s.id), base is not None, limits, outputs))
        for s in head
    ]
    removed = [score for score in base or [] if score.id not in head_ids]
    total = len(found) + len(removed)
    if total > ROW_LIMIT:
        # Tagged rows first, each part in file order: a stable partition, not a sort of 1M keys.
        tagged = [i for i, (_, _, tags) in enumerate(found) if tags]
        kept = (tagged + [i for i, (_, _, tags) in enumerate(found) if not tags])[
            : max(0, ROW_LIMIT - len(removed))
        ]
        found = [found[i] for i in sorted(kept)]
        removed = removed[: ROW_LIMIT - len(found)]
    rows = [_row(result, score, before, tags, outputs) for score, before, tags in found]
    rows += [_removed(score, outputs) for score in removed]
    return ReviewRows(rows, total)


def _tags(
    score: SampleScore,
    before: SampleScore | None,
    has_base: bool,
    limits: list[tuple[str, float, float]],
    outputs: Outputs,
) -> tuple[Tag, ...]:
    tags: list[Tag] = []
    if before is not None and before.scores != score.scores:
        worse = better = False
        for metric, sign, max_drop in limits:
            now, then = score.scores.get(metric), before.scores.get(metric)
            if now is not None and then is not None:
                change = sign * round(now - then, 6)
                worse, better = worse or change < -max_drop, better or change > max_drop
        tags += ["regressed"] if worse else []
        tags += ["improved"] if better else []
    if score.unscored:
        tags.append("unscored")
    if before is not None and score.id not in outputs.same:
        new, old = outputs.head.get(score.id), outputs.base.get(score.id)
        if new is not None and old is not None and new != old:
            tags.append("changed")
    elif before is None and has_base:
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
