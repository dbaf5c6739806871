"""Head versus base: pair samples by id, test each metric's change, name the verdict. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from benchgate.config import MetricSpec
from benchgate.metrics import ScoreTable
from benchgate.outcome import SampleChange, ScorerChange, Verdict
from benchgate.pairwise import EVEN, win_rate_change
from benchgate.results import RunInfo, ScorerInfo
from benchgate.stats import Change, Floats, aggregate, decide, paired_change, samples_to_settle

LEGACY_JUDGE = "judge (recorded before scorers were)"


@dataclass(frozen=True)
class Pairing:
    """Where head and base samples meet: row indices into each table, and the leftovers."""

    head_rows: NDArray[np.int64]
    base_rows: NDArray[np.int64]
    added: list[str]
    removed: list[str]

    @property
    def paired(self) -> int:
        """Ids present at both."""
        return len(self.head_rows)


@dataclass(frozen=True)
class MetricChange:
    """A metric's comparison with the base."""

    base_value: float | None
    change: Change | None
    """None without pairs, or with too few for the interval to be bounded (`stats.fewest_pairs`)."""
    n_paired: int
    verdict: Verdict
    settle_n: int | None = None
    """Inconclusive only: about how many paired samples would settle it (`stats.samples_to_settle`)."""


def pair(head: ScoreTable, base: ScoreTable) -> Pairing:
    """Match ids; added (head only) and removed (base only) come back sorted."""
    head_ids, base_ids = np.array(head.ids, dtype=object), np.array(base.ids, dtype=object)
    index = {sample_id: row for row, sample_id in enumerate(base.ids)}
    base_rows = np.fromiter((index.get(i, -1) for i in head.ids), dtype=np.int64, count=len(head.ids))
    found = base_rows >= 0
    in_head = set(head.ids)
    return Pairing(
        head_rows=np.flatnonzero(found),
        base_rows=base_rows[found],
        added=list(head_ids[~found]),
        removed=[i for i in base_ids if i not in in_head],
    )


def scorer_change(head: RunInfo, base: RunInfo, metric: str) -> ScorerChange | None:
    """The scorers at base and head when they differ, so their values must not be paired.

    Results written before scorers were recorded have no `scorers`: they came from the judge.
    """
    now, then = head.scorers.get(metric), base.scorers.get(metric)
    if now is not None and then is not None:
        return None if now.same_as(then) else ScorerChange(base=_label(then), head=_label(now))
    kinds = (then.type if then else "judge", now.type if now else "judge")
    if kinds[0] == kinds[1]:
        return None
    return ScorerChange(
        base=_label(then) if then else LEGACY_JUDGE, head=_label(now) if now else LEGACY_JUDGE
    )


def _label(info: ScorerInfo) -> str:
    return f"{info.type} (version {info.version}, config {info.config_sha256[:8]})"[:200]


def compare_metric(
    head: ScoreTable,
    base: ScoreTable,
    pairing: Pairing,
    metric: str,
    spec: MetricSpec,
    *,
    alpha: float,
    max_drop: float,
    key: str,
) -> MetricChange:
    """Paired change of one metric over samples scored at both commits."""
    base_values = base.values(metric)
    base_value = aggregate(base_values, spec.aggregate) if len(base_values) else None
    head_column = head.columns[metric][pairing.head_rows]
    base_column = base.columns[metric][pairing.base_rows]
    both = ~(np.isnan(head_column) | np.isnan(base_column))
    n_paired = int(both.sum())
    if n_paired == 0:
        return MetricChange(base_value, None, 0, "no-baseline")
    change = paired_change(head_column[both], base_column[both], spec.aggregate, alpha, key)
    found = verdict(change, max_drop, spec.direction == "lower")
    settle = samples_to_settle(change, n_paired, max_drop, alpha) if found == "inconclusive" else None
    bounded = math.isfinite(change.low) and math.isfinite(change.high)
    return MetricChange(base_value, change if bounded else None, n_paired, found, settle)


def compare_win_rate(
    values: Floats, *, alpha: float, max_drop: float, key: str, decided: bool = True
) -> MetricChange:
    """The win rate against ½ as a base comparison: the gate's verdict rule on value - ½;
    `decided` False (see `pairwise.undecided`) makes it inconclusive whatever the interval."""
    n = len(values)
    if n == 0:
        return MetricChange(EVEN, None, 0, "no-baseline")
    change = win_rate_change(values, alpha, key)
    found = verdict(change, max_drop, lower_is_better=False) if decided else "inconclusive"
    settle = samples_to_settle(change, n, max_drop, alpha) if found == "inconclusive" else None
    bounded = math.isfinite(change.low) and math.isfinite(change.high)
    return MetricChange(EVEN, change if bounded else None, n, found, settle)


def verdict(change: Change, max_drop: float, lower_is_better: bool) -> Verdict:
    """The design's rule, applied to the change oriented so that positive means better."""
    return classify(change.delta, change.low, change.high, max_drop, lower_is_better)


def classify(delta: float, low: float, high: float, max_drop: float, lower_is_better: bool) -> Verdict:
    """`verdict` from plain numbers, as stored in gate.json (so a read-back result is re-derived)."""
    sign = -1.0 if lower_is_better else 1.0
    low, high = sorted((sign * low, sign * high))
    return decide(sign * delta, low, high, max_drop)


def worst_samples(
    head: ScoreTable,
    base: ScoreTable,
    pairing: Pairing,
    metrics: list[str],
    limit: int = 10,
    *,
    lower_is_better: frozenset[str] = frozenset(),
) -> list[SampleChange]:
    """Paired samples whose scores got worse the most in total, worst first (ties by id).

    A rise counts as worse for metrics in `lower_is_better`; the deltas shown stay head - base.
    """
    if not metrics or pairing.paired == 0:
        return []
    deltas = np.stack(
        [
            np.round(head.columns[m][pairing.head_rows] - base.columns[m][pairing.base_rows], 6)
            for m in metrics
        ]
    )
    signs = np.array([-1.0 if m in lower_is_better else 1.0 for m in metrics])[:, np.newaxis]
    better = deltas * signs
    loss = np.where(np.isnan(better) | (better > 0), 0.0, better).sum(axis=0)
    order = np.argsort(loss, kind="stable")[:limit]  # rows are in id order already
    worst = []
    for column in order:
        if loss[column] >= 0:
            break
        sample_id = head.ids[pairing.head_rows[column]]
        changed = {
            m: float(deltas[k, column]) for k, m in enumerate(metrics) if not np.isnan(deltas[k, column])
        }
        worst.append(SampleChange(id=sample_id, deltas=changed))
    return worst
