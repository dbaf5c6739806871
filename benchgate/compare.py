"""Head versus base: pair samples by id, test each metric's change, name the verdict. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from benchgate.config import MetricSpec
from benchgate.outcome import SampleChange, Verdict
from benchgate.results import SampleScore
from benchgate.stats import Change, Floats, aggregate, paired_change


@dataclass(frozen=True)
class Pairing:
    """Sample ids at head and base, split by where they occur (each list sorted)."""

    paired: list[str]
    added: list[str]
    removed: list[str]


@dataclass(frozen=True)
class MetricChange:
    """A metric's comparison with the base."""

    base_value: float | None
    change: Change | None
    n_paired: int
    verdict: Verdict


def pair(head_ids: list[str], base_ids: list[str]) -> Pairing:
    """Split ids into paired, added (head only) and removed (base only)."""
    head, base = set(head_ids), set(base_ids)
    return Pairing(sorted(head & base), sorted(head - base), sorted(base - head))


def compare_metric(
    head: dict[str, float],
    base: dict[str, float],
    spec: MetricSpec,
    *,
    alpha: float,
    max_drop: float,
    key: str,
) -> MetricChange:
    """Paired change of one metric, judged against the regression policy."""
    base_value = aggregate(_array(base.values()), spec.aggregate) if base else None
    ids = sorted(head.keys() & base.keys())
    if len(ids) < 2:
        return MetricChange(base_value, None, len(ids), "inconclusive")
    change = paired_change(
        _array(head[i] for i in ids), _array(base[i] for i in ids), spec.aggregate, alpha, key
    )
    return MetricChange(
        base_value, change, len(ids), verdict(change, max_drop, spec.direction == "lower")
    )


def verdict(change: Change, max_drop: float, lower_is_better: bool) -> Verdict:
    """The design's rule, applied to the change oriented so that positive means better."""
    sign = -1.0 if lower_is_better else 1.0
    delta = sign * change.delta
    low, high = sorted((sign * change.low, sign * change.high))
    if high < 0 and delta < -max_drop:
        return "regressed"
    if low > 0 and delta > max_drop:
        return "improved"
    if -max_drop < low and high < max_drop:
        return "unchanged"
    return "inconclusive"


def worst_samples(
    head: list[SampleScore],
    base: list[SampleScore],
    metrics: list[str],
    excerpts: dict[str, str],
    limit: int = 10,
) -> list[SampleChange]:
    """Paired samples whose judged scores fell the most in total, worst first."""
    base_by_id = {score.id: score for score in base}
    ranked = []
    for score in head:
        before = base_by_id.get(score.id)
        if before is None:
            continue
        deltas = {
            m: round(score.scores[m] - before.scores[m], 6)
            for m in metrics
            if m in score.scores and m in before.scores
        }
        loss = sum(d for d in deltas.values() if d < 0)
        if loss < 0:
            ranked.append((loss, score.id, deltas))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [SampleChange(id=i, deltas=d, excerpt=excerpts.get(i)) for _, i, d in ranked[:limit]]


def _array(values: Iterable[float]) -> Floats:
    return np.fromiter(values, dtype=np.float64)
