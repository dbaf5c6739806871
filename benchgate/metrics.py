"""Per-sample scores -> per-metric summaries with confidence intervals. Pure."""

from __future__ import annotations

import numpy as np

from benchgate.config import LATENCY_METRIC, Scenario
from benchgate.results import MetricSummary, SampleScore
from benchgate.stats import Floats, confidence_interval

CI_LEVEL = 0.95


def metric_values(scores: list[SampleScore], metric: str) -> dict[str, float]:
    """Sample id -> this metric's value, for samples that have one."""
    if metric == LATENCY_METRIC:
        return {s.id: s.latency_s for s in scores if s.latency_s is not None}
    return {s.id: s.scores[metric] for s in scores if metric in s.scores}


def sorted_values(by_id: dict[str, float]) -> Floats:
    """Values ordered by sample id, so that dataset order never changes a statistic."""
    return np.array([by_id[key] for key in sorted(by_id)], dtype=np.float64)


def summarise(
    scores: list[SampleScore], scenario: Scenario, scenario_name: str
) -> dict[str, MetricSummary]:
    """metrics.json content: each configured metric aggregated with its 95% CI."""
    summaries = {}
    for name, spec in scenario.metrics.items():
        values = sorted_values(metric_values(scores, name))
        missing = len(scores) - len(values)
        if len(values) == 0:
            summaries[name] = MetricSummary(
                value=None, ci_low=None, ci_high=None, n=0, unscored=missing
            )
            continue
        interval = confidence_interval(values, spec.aggregate, CI_LEVEL, f"{scenario_name}/{name}")
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
            **extra,
        )
    return summaries


def _round(value: float) -> float:
    return round(value, 6)
