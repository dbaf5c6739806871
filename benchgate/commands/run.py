"""`benchgate run`: judge a scenario's samples and write scores.jsonl, metrics.json, run.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from benchgate.dataset import load_dataset
from benchgate.errors import UsageError
from benchgate.fingerprint import file_ref
from benchgate.ground_truth import judge_with_ground_truth
from benchgate.metrics import summarise
from benchgate.params_file import load_project
from benchgate.results import MetricSummary, RunInfo
from benchgate.results_store import write_run

Mode = Literal["dry-run", "live"]
GROUND_TRUTH_JUDGE = "ground truth"


@dataclass(frozen=True)
class RunOutcome:
    """Where the results went and what they say."""

    scenario: str
    mode: Mode
    directory: Path
    samples: int
    summaries: dict[str, MetricSummary]


def run_scenario(
    params: Path,
    scenario: str | None,
    mode: Mode,
    out: Path | None = None,
    limit: int | None = None,
) -> RunOutcome:
    """Judge every sample (or the first `limit`) and write the run's three files."""
    project = load_project(params)
    name, spec = project.scenario(scenario)
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    dataset = load_dataset(project.path(spec.dataset), spec.quality_metrics, shown=spec.dataset)
    samples = dataset.samples[:limit] if limit else dataset.samples
    if mode != "dry-run":
        raise UsageError("live mode is not available yet; use --mode dry-run")
    scores = judge_with_ground_truth(samples, spec.quality_metrics)
    summaries = summarise(scores, spec, name)
    info = RunInfo(
        scenario=name,
        mode=mode,
        dataset=file_ref(project.root, spec.dataset),
        samples=len(samples),
        limit=limit,
        prompt=file_ref(project.root, spec.prompt),
        prompt_version=spec.prompt_version,
        model=spec.model,
        judge=GROUND_TRUTH_JUDGE,
    )
    directory = out or project.root / project.results_dir(name, mode)
    write_run(directory, scores, summaries, info)
    return RunOutcome(name, mode, directory, len(samples), summaries)
