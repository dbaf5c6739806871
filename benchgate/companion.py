"""The other mode beside the gated one, and how far the LLM judge agrees with ground truth. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from benchgate.agreement import Estimate, measure
from benchgate.config import Scenario
from benchgate.metrics import CI_LEVEL, ScoreTable, summarise_table
from benchgate.outcome import Agreement, CompanionMetric, CompanionRun
from benchgate.results import RunFiles, SampleScore
from benchgate.status import threshold_status, worst


def companion_run(files: RunFiles, scenario: Scenario, name: str) -> CompanionRun:
    """Values and threshold statuses of the companion mode (not gated, shown for comparison)."""
    table = ScoreTable.build(files.scores, list(scenario.metrics))
    summaries = summarise_table(table, scenario, name)
    metrics = {
        metric: CompanionMetric(
            value=summary.value, status=threshold_status(summary.value, scenario.metrics[metric])
        )
        for metric, summary in summaries.items()
    }
    return CompanionRun(
        mode=files.info.mode,
        judge=files.info.judge,
        metrics=metrics,
        status=worst(*(m.status for m in metrics.values())),
    )


def agreement(
    judged: Sequence[SampleScore],
    truth: Sequence[SampleScore],
    metrics: list[str],
    *,
    points: int,
    source: Literal["dry-run", "dataset"],
    key: str,
) -> dict[str, Agreement]:
    """Per metric with labelled samples: the LLM judge against ground truth (benchgate/agreement.py)."""
    judged_table = ScoreTable.build(judged, metrics)
    truth_table = ScoreTable.build(truth, metrics)
    rows = {sample_id: row for row, sample_id in enumerate(truth_table.ids)}
    common = [(row, rows[sample_id]) for row, sample_id in enumerate(judged_table.ids) if sample_id in rows]
    mine = np.array([a for a, _ in common], dtype=np.int64)
    theirs = np.array([b for _, b in common], dtype=np.int64)
    found: dict[str, Agreement] = {}
    for metric in metrics:
        judge, labels = judged_table.columns[metric][mine], truth_table.columns[metric][theirs]
        both = ~(np.isnan(judge) | np.isnan(labels))
        if not both.any():
            continue
        stats = measure(judge[both], labels[both], points, CI_LEVEL, f"{key}/{metric}")
        found[metric] = Agreement(
            n=stats.n,
            spearman=_round(stats.spearman.value),
            spearman_ci=_bounds(stats.spearman),
            kendall=_round(stats.kendall.value),
            kendall_ci=_bounds(stats.kendall),
            kappa=_round(stats.kappa.value),
            kappa_ci=_bounds(stats.kappa),
            bias=_round(stats.bias.value),
            bias_ci=_bounds(stats.bias),
            mean_abs_diff=round(stats.mean_abs_diff, 4),
            points=points,
            resamples=stats.resamples,
            truth=source,
        )
    return found


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _bounds(estimate: Estimate) -> tuple[float, float] | None:
    if estimate.low is None or estimate.high is None:
        return None
    return round(estimate.low, 4), round(estimate.high, 4)
