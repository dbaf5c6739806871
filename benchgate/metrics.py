"""Per-sample scores as columns, and per-metric summaries with confidence intervals. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from benchgate.config import LATENCY_METRIC, Aggregate, Scenario
from benchgate.judge_noise import TWO_STAGE, two_stage_interval
from benchgate.pairwise import EVEN, win_rate_change
from benchgate.results import MetricSummary, SampleScore
from benchgate.score_lines import ScoreLines
from benchgate.stats import Floats, Interval, confidence_interval

CI_LEVEL = 0.95
PAIRWISE = "win rate vs ½"
"""How a pairwise metric's interval is named in metrics.json (`ci_method`)."""


@dataclass(frozen=True)
class ScoreTable:
    """Scores sorted by sample id, one float column per metric (NaN = no value).

    Sorting by id makes every statistic independent of dataset order.
    """

    ids: list[str]
    columns: dict[str, Floats]
    judgements: dict[str, list[Floats]] = field(default_factory=dict)
    """Metric judged k > 1 times -> each scored sample's judgements, in id order (as `values`)."""

    @classmethod
    def build(cls, scores: Sequence[SampleScore], metrics: list[str]) -> ScoreTable:
        """Columns for `metrics`; `latency_s` comes from each sample's latency."""
        lines = ScoreLines.of(scores)
        order = np.array(sorted(range(len(lines)), key=lines.ids.__getitem__), dtype=np.int64)
        ids = [lines.ids[row] for row in order]
        columns = {metric: lines.column(metric)[order] for metric in metrics}
        repeated: dict[str, dict[str, list[float]]] = {}
        for record in lines.detailed().values():
            for metric, found in record.judgements.items():
                repeated.setdefault(metric, {})[record.id] = found
        judgements = {}
        for metric in metrics:
            if metric not in repeated:
                continue
            scored = columns[metric]
            judgements[metric] = [
                np.array(repeated[metric].get(ids[row]) or [scored[row]], dtype=np.float64)
                for row in np.flatnonzero(~np.isnan(scored))
            ]
        return cls(ids, columns, judgements)

    def values(self, metric: str) -> Floats:
        """The metric's present values, in id order."""
        column = self.columns[metric]
        return column[~np.isnan(column)]


def summarise(
    scores: list[SampleScore],
    scenario: Scenario,
    scenario_name: str,
    skipped: Mapping[str, str] | None = None,
) -> dict[str, MetricSummary]:
    """metrics.json content: each configured metric aggregated with its 95% CI; `skipped` ones have none."""
    table = ScoreTable.build(scores, list(scenario.metrics))
    return summarise_table(table, scenario, scenario_name, skipped)


def summarise_table(
    table: ScoreTable, scenario: Scenario, scenario_name: str, skipped: Mapping[str, str] | None = None
) -> dict[str, MetricSummary]:
    """As `summarise`, from an already built table."""
    summaries = {}
    for name, spec in scenario.metrics.items():
        if skipped and name in skipped:
            summaries[name] = MetricSummary(
                value=None, ci_low=None, ci_high=None, n=0, unscored=0, skipped=skipped[name]
            )
            continue
        values = table.values(name)
        missing = len(table.ids) - len(values)
        if len(values) == 0:
            summaries[name] = MetricSummary(value=None, ci_low=None, ci_high=None, n=0, unscored=missing)
            continue
        key = f"{scenario_name}/{name}"
        if scenario.scorer(name).type == "pairwise":
            interval = win_rate_interval(values, key)
        else:
            interval = value_interval(table, name, spec.aggregate, key)
        extra = {}
        if name == LATENCY_METRIC:
            extra = {
                "mean": _round(float(values.mean())),
                "p50": _round(float(np.quantile(values, 0.5))),
                "p95": _round(float(np.quantile(values, 0.95))),
            }
        summaries[name] = MetricSummary(
            value=_round(interval.value),
            ci_low=_round(interval.low),
            ci_high=_round(interval.high),
            n=len(values),
            unscored=missing,
            ci_method=interval.method if interval.method.startswith((TWO_STAGE, PAIRWISE)) else None,
            **extra,
        )
    return summaries


def value_interval(table: ScoreTable, metric: str, aggregate: Aggregate, key: str) -> Interval:
    """A metric's value with its 95% CI: two-stage over samples and judgements when it was judged
    k > 1 times and is a mean, else over samples (whose scores carry any judge noise too)."""
    values, groups = table.values(metric), table.judgements.get(metric)
    if groups and aggregate == "mean":
        interval = two_stage_interval(groups, CI_LEVEL, key)
        if interval is not None:  # valued from the scores themselves, as every other interval
            return replace(interval, value=float(values.mean()))
    return confidence_interval(values, aggregate, CI_LEVEL, key)


def win_rate_interval(values: Floats, key: str) -> Interval:
    """A pairwise win rate with the 95% interval of the gate's own test against ½ (clipped to 0..1)."""
    change = win_rate_change(values, 1 - CI_LEVEL, key)
    low, high = max(0.0, EVEN + change.low), min(1.0, EVEN + change.high)
    return Interval(EVEN + change.delta, low, high, f"{PAIRWISE}: {change.method}")


def _round(value: float) -> float:
    return round(value, 6)
