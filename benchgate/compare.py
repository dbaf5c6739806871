"""Head versus base: pair samples by id, test each metric's change, name the verdict. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from benchgate.config import MetricSpec
from benchgate.metrics import ScoreTable
from benchgate.outcome import SampleChange, Unpaired, Verdict
from benchgate.results import RunInfo, ScorerInfo
from benchgate.stats import Change, aggregate, paired_change


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
    n_paired: int
    verdict: Verdict


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


def unpaired(head: RunInfo, base: RunInfo, metric: str) -> tuple[Unpaired, str] | None:
    """Why a metric's values at head and base must not be paired, if they must not.

    Results written before scorers were recorded have no `scorers`: they came from the judge.
    """
    if metric in base.skipped:
        return "skipped-at-base", f"the base skipped it ({base.skipped[metric]})"
    now, then = head.scorers.get(metric), base.scorers.get(metric)
    if now is not None and then is not None and now.same_as(then):
        return None
    if now is None or then is None:
        kinds = (then.type if then else "judge", now.type if now else "judge")
        if kinds[0] == kinds[1]:
            return None
        return "scorer-changed", f"its scorer changed ({' → '.join(kinds)})"
    return "scorer-changed", f"its scorer changed ({_difference(then, now)})"


def _difference(then: ScorerInfo, now: ScorerInfo) -> str:
    if then.type != now.type:
        return f"{then.type} → {now.type}"
    if then.version != now.version:
        return f"{now.type} version {then.version} → {now.version}"
    return f"{now.type} configuration {then.config_sha256[:8]} → {now.config_sha256[:8]}"


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
    if int(both.sum()) < 2:
        return MetricChange(base_value, None, int(both.sum()), "inconclusive")
    change = paired_change(head_column[both], base_column[both], spec.aggregate, alpha, key)
    lower = spec.direction == "lower"
    return MetricChange(base_value, change, int(both.sum()), verdict(change, max_drop, lower))


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
    head: ScoreTable,
    base: ScoreTable,
    pairing: Pairing,
    metrics: list[str],
    limit: int = 10,
) -> list[SampleChange]:
    """Paired samples whose judged scores fell the most in total, worst first (ties by id)."""
    if not metrics or pairing.paired == 0:
        return []
    deltas = np.stack(
        [
            np.round(head.columns[m][pairing.head_rows] - base.columns[m][pairing.base_rows], 6)
            for m in metrics
        ]
    )
    loss = np.where(np.isnan(deltas) | (deltas > 0), 0.0, deltas).sum(axis=0)
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
