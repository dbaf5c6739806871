"""Repositories whose default branch has a history of result commits, for the trend's tests."""

from __future__ import annotations

from pathlib import Path

from benchgate.commands.run import run_scenario
from benchmarks.synthetic import lower_metric, write_project
from tests.conftest import commit_all

DATASET = "data/scenarios/synthetic/dataset.jsonl"
METRICS = "data/results/synthetic/dry-run/metrics.json"


def result_history(repo: Path, commits: int, n: int = 60) -> list[str]:
    """`commits` commits on the current branch, each lowering coverage on one more sample and
    committing the freshly judged results (as the baseline workflow does); their SHAs, oldest first."""
    write_project(repo, n)
    shas = []
    for index in range(commits):
        if index:
            lower_metric(repo / DATASET, "coverage", index, 0.05)
        run_scenario(repo / "params.yaml", "synthetic", "dry-run")
        shas.append(commit_all(repo, f"results {index + 1}"))
    return shas
