"""Deterministic gate results for report tests, built from the bundled example."""

from __future__ import annotations

from pathlib import Path

from benchgate.config import Params
from benchgate.dataset import load_dataset
from benchgate.gate import GateInput, evaluate, with_excerpts
from benchgate.ground_truth import judge_with_ground_truth
from benchgate.outcome import BaseRef, GateResult, HeadRef
from benchgate.params_file import load_project
from benchgate.results import FileRef, RunInfo, SampleScore
from benchgate.results_store import RunFiles
from tests.conftest import EXAMPLE, ROOT

BASE_SHA = "1" * 40
HEAD_SHA = "2" * 40


def example_scores() -> tuple[Params, list[SampleScore], dict[str, str]]:
    project = load_project(ROOT / "params.yaml")
    spec = project.params.scenarios[EXAMPLE]
    dataset = load_dataset(Path(ROOT / spec.dataset), spec.quality_metrics)
    outputs = {s.id: s.output or "" for s in dataset.samples}
    return project.params, judge_with_ground_truth(dataset.samples, spec.quality_metrics), outputs


def files(scores: list[SampleScore]) -> RunFiles:
    ref = FileRef(path=f"data/scenarios/{EXAMPLE}/dataset.jsonl", sha256="ab" * 32)
    prompt = FileRef(path=f"data/scenarios/{EXAMPLE}/prompt.md", sha256="cd" * 32)
    info = RunInfo(
        scenario=EXAMPLE,
        mode="dry-run",
        dataset=ref,
        samples=len(scores),
        prompt=prompt,
        prompt_version="benchmark-2025-11-v1",
        model="qwen-7b",
        judge="ground truth",
    )
    return RunFiles(scores, info)


def example_result(
    head: list[SampleScore], base: list[SampleScore] | None, excerpts: dict[str, str]
) -> GateResult:
    params, _, _ = example_scores()
    result = evaluate(
        GateInput(
            scenario_name=EXAMPLE,
            scenario=params.scenarios[EXAMPLE],
            policy=params.gate,
            head=files(head),
            base=files(base) if base is not None else None,
            base_ref=BaseRef(
                rev="main",
                sha=BASE_SHA,
                found=base is not None,
                reason=None if base is not None else f"{BASE_SHA[:12]} has no committed results",
            ),
            head_ref=HeadRef(sha=HEAD_SHA),
            reproduce=[
                f"git checkout {HEAD_SHA}",
                f"dvc repro bench@{EXAMPLE}-dry-run",
                f"benchgate gate --scenario {EXAMPLE} --mode dry-run --base {BASE_SHA}",
            ],
        )
    )
    return with_excerpts(result, excerpts)


def lowered(scores: list[SampleScore], metric: str, count: int, by: float) -> list[SampleScore]:
    """The first `count` samples with `metric` lowered by `by`."""

    def lower(score: SampleScore) -> SampleScore:
        new = {**score.scores, metric: round(score.scores[metric] - by, 6)}
        return score.model_copy(update={"scores": new})

    return [lower(score) if index < count else score for index, score in enumerate(scores)]
