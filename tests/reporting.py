"""Deterministic gate results for report tests, built from the bundled example."""

from __future__ import annotations

from pathlib import Path

from benchgate.config import GatePolicy, Params, Scenario
from benchgate.dataset import load_dataset
from benchgate.gate import GateInput, evaluate, with_excerpts
from benchgate.ground_truth import judge_with_ground_truth
from benchgate.outcome import BaseRef, GateResult, HeadRef
from benchgate.params_file import load_project
from benchgate.results import FileRef, Reliability, RunFiles, RunInfo, SampleScore
from tests.conftest import EXAMPLE, ROOT

BASE_SHA = "1" * 40
HEAD_SHA = "2" * 40


def example_scores() -> tuple[Params, list[SampleScore], dict[str, str]]:
    project = load_project(ROOT / "params.yaml")
    spec = project.params.scenarios[EXAMPLE]
    dataset = load_dataset(Path(ROOT / spec.dataset), spec.quality_metrics)
    outputs = {s.id: s.output or "" for s in dataset.samples}
    return project.params, judge_with_ground_truth(dataset.samples, spec.quality_metrics), outputs


def files(scores: list[SampleScore], info: RunInfo | None = None) -> RunFiles:
    ref = FileRef(path=f"data/scenarios/{EXAMPLE}/dataset.jsonl", sha256="ab" * 32)
    prompt = FileRef(path=f"data/scenarios/{EXAMPLE}/prompt.md", sha256="cd" * 32)
    info = info or RunInfo(
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
    head: list[SampleScore],
    base: list[SampleScore] | None,
    excerpts: dict[str, str],
    *,
    info: RunInfo | None = None,
    companion: list[SampleScore] | None = None,
) -> GateResult:
    params, _, _ = example_scores()
    result = evaluate(
        GateInput(
            scenario_name=EXAMPLE,
            scenario=params.scenarios[EXAMPLE],
            policy=params.gate,
            head=files(head, info),
            base=files(base, info) if base is not None else None,
            companion=files(companion) if companion is not None else None,
            base_ref=BaseRef(
                rev="main",
                sha=BASE_SHA,
                found=base is not None,
                reason=None if base is not None else f"{BASE_SHA[:12]} has no committed results",
            ),
            head_ref=HeadRef(sha=HEAD_SHA),
            reproduce=reproduce("dry-run" if info is None else info.mode),
        )
    )
    return with_excerpts(result, excerpts)


def lowered(scores: list[SampleScore], metric: str, count: int, by: float) -> list[SampleScore]:
    """The first `count` samples with `metric` lowered by `by`."""

    def lower(score: SampleScore) -> SampleScore:
        new = {**score.scores, metric: round(score.scores[metric] - by, 6)}
        return score.model_copy(update={"scores": new})

    return [lower(score) if index < count else score for index, score in enumerate(scores)]


def reproduce(mode: str) -> list[str]:
    """The commands `benchgate gate` would print for this example."""
    stage = (
        f"bench@{EXAMPLE}-dry-run"
        if mode == "dry-run"
        else f"LLM_URL=http://127.0.0.1:8000 dvc repro bench-live@{EXAMPLE}-live"
    )
    run = f"dvc repro {stage}" if mode == "dry-run" else stage
    return [
        f"git checkout {HEAD_SHA}",
        run,
        f"benchgate gate --scenario {EXAMPLE} --mode {mode} --base {BASE_SHA}",
    ]


def live_info() -> RunInfo:
    """A live run's metadata as `benchgate run --mode live` records it."""
    dry = files([]).info
    calls = Reliability(
        requests=151,
        retries={"503": 2, "reset": 1},
        cache_hits=12,
        cache_misses=132,
        prompt_tokens=98_310,
        completion_tokens=4_120,
        reasks=4,
        cost_usd=0.29,
    )
    return dry.model_copy(
        update={
            "mode": "live",
            "judge": "gpt-4o",
            "endpoint": "http://127.0.0.1:8000",
            "samples": 36,
            "reliability": calls,
        }
    )


def as_judged(scores: list[SampleScore]) -> list[SampleScore]:
    """A judge that mostly agrees with ground truth: scores snapped to its 1-5 scale, one unreadable."""
    judged = []
    for index, score in enumerate(scores):
        snapped = {m: round(round(v * 4) / 4, 6) for m, v in score.scores.items()}
        if index == 3:
            snapped.pop("coherence")
            judged.append(
                score.model_copy(
                    update={
                        "scores": snapped,
                        "unscored": {"coherence": "judge reply unreadable: no JSON object with a score"},
                        "replies": {"coherence": "Оценка: отлично, @team <b>5</b>"},
                    }
                )
            )
        else:
            judged.append(score.model_copy(update={"scores": snapped}))
    return judged


def live_gate(scenario: Scenario, head: list[SampleScore], labels: list[SampleScore] | None) -> GateResult:
    """A live head without a baseline, its judge checked against `labels` (the dataset's ground truth)."""
    info = files([]).info.model_copy(update={"mode": "live", "judge": "judge-model", "samples": len(head)})
    return evaluate(
        GateInput(
            scenario_name="s",
            scenario=scenario,
            policy=GatePolicy(),
            head=files(head, info),
            base=None,
            base_ref=BaseRef(rev="main", found=False, reason="none"),
            head_ref=HeadRef(sha=HEAD_SHA),
            reproduce=["benchgate gate"],
            labels=labels,
        )
    )
