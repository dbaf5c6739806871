"""The other mode beside the gated one, and how far the LLM judge agrees with ground truth. Pure."""

from __future__ import annotations

import numpy as np

from benchgate.config import Scenario
from benchgate.metrics import ScoreTable, summarise_table
from benchgate.outcome import Agreement, CompanionMetric, CompanionRun
from benchgate.results import RunFiles
from benchgate.stats import spearman
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


def agreement(judged: RunFiles, truth: RunFiles, metrics: list[str]) -> dict[str, Agreement]:
    """Per metric: Spearman correlation and mean absolute difference, LLM judge vs ground truth."""
    judged_table = ScoreTable.build(judged.scores, metrics)
    truth_table = ScoreTable.build(truth.scores, metrics)
    rows = {sample_id: row for row, sample_id in enumerate(truth_table.ids)}
    found: dict[str, Agreement] = {}
    for metric in metrics:
        pairs = [
            (judged_table.columns[metric][row], truth_table.columns[metric][rows[sample_id]])
            for row, sample_id in enumerate(judged_table.ids)
            if sample_id in rows
        ]
        both = np.array(
            [p for p in pairs if not (np.isnan(p[0]) or np.isnan(p[1]))], dtype=np.float64
        ).reshape(-1, 2)
        if len(both) == 0:
            continue
        rho = spearman(both[:, 0], both[:, 1])
        found[metric] = Agreement(
            n=len(both),
            spearman=None if rho is None else round(rho, 4),
            mean_abs_diff=round(float(np.abs(both[:, 0] - both[:, 1]).mean()), 4),
        )
    return found
