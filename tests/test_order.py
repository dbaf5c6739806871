"""Every statistic is order-independent: the same samples in any file order give the same bytes."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchgate import stats
from benchgate.config import GatePolicy, JudgeSpec, Scenario
from benchgate.gate import GateInput, evaluate
from benchgate.metrics import summarise
from benchgate.outcome import BaseRef, HeadRef
from benchgate.report.markdown import render
from benchgate.results import FileRef, Mode, RunInfo, SampleScore
from benchgate.results_store import RunFiles
from tests.conftest import EXAMPLE, benchgate
from tests.reporting import live_gate

REF = FileRef(path="d.jsonl", sha256="0" * 64)
SCENARIO = Scenario.model_validate(
    {
        "dataset": "d.jsonl",
        "prompt": "p.md",
        "prompt_version": "v1",
        "model": "m",
        "metrics": {
            "coverage": {"pass": 0.7, "warn": 0.6},
            "accuracy": {"pass": 0.7, "aggregate": "p50"},
            "coherence": {"pass": 0.2, "aggregate": "p95"},
            "latency_s": {"pass": 210, "direction": "lower", "max_drop": 10, "aggregate": "p95"},
        },
        "regression": {"max_drop": 0.02, "alpha": 0.05},
    }
)
LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)


def samples(seed: int, n: int, shift: int) -> list[SampleScore]:
    """Discrete scores full of ties, some of them lowered by `shift` points at head."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        levels = rng.integers(1, 5, size=3)
        lowered = i % 7 == 0
        scores = {
            m: LEVELS[max(0, int(v) - (shift if lowered else 0))]
            for m, v in zip(("coverage", "accuracy", "coherence"), levels, strict=True)
        }
        out.append(
            SampleScore(id=f"id-{i % 13:02d}-{i:04d}", scores=scores, latency_s=float(rng.integers(150, 200)))
        )
    return out


def files(scores: list[SampleScore], mode: Mode = "dry-run") -> RunFiles:
    info = RunInfo(
        scenario="s",
        mode=mode,
        dataset=REF,
        samples=len(scores),
        prompt=REF,
        prompt_version="v1",
        model="m",
        judge="ground truth" if mode == "dry-run" else "judge",
    )
    return RunFiles(scores, info)


def outputs(
    head: list[SampleScore], base: list[SampleScore], live: list[SampleScore]
) -> tuple[str, str, str]:
    result = evaluate(
        GateInput(
            scenario_name="s",
            scenario=SCENARIO,
            policy=GatePolicy(min_samples=5),
            head=files(head),
            base=files(base),
            base_ref=BaseRef(rev="main", sha="a" * 40, found=True),
            head_ref=HeadRef(sha="b" * 40),
            reproduce=["benchgate gate"],
            companion=files(live, "live"),
        )
    )
    metrics = json.dumps({k: v.model_dump() for k, v in summarise(head, SCENARIO, "s").items()}, indent=2)
    return metrics, result.model_dump_json(indent=2, by_alias=True), render(result)


def shuffled(scores: list[SampleScore], seed: int) -> list[SampleScore]:
    copy = list(scores)
    random.Random(seed).shuffle(copy)
    return copy


@pytest.mark.parametrize(("n", "budget"), [(40, stats.BUDGET), (300, 10_000)])
def test_shuffled_samples_give_byte_identical_outputs(
    n: int, budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # budget 10_000: means take the t paths and quantiles the reduced resample budget
    monkeypatch.setattr(stats, "BUDGET", budget)
    head, base, live = samples(1, n, shift=1), samples(1, n, shift=0), samples(2, n, shift=0)
    first = outputs(head, base, live)
    result = json.loads(first[1])
    assert {m["verdict"] for m in result["metrics"].values()} >= {"regressed"}
    assert result["worst"] and result["agreement"]
    for seed in range(3):
        assert outputs(shuffled(head, seed), shuffled(base, seed + 10), shuffled(live, seed + 20)) == first


def test_shuffled_dataset_gives_the_same_metrics_json_through_the_cli(example: Path) -> None:
    assert benchgate(example, "run").returncode == 0
    metrics = example / f"data/results/{EXAMPLE}/dry-run/metrics.json"
    scores = example / f"data/results/{EXAMPLE}/dry-run/scores.jsonl"
    before, before_scores = metrics.read_bytes(), scores.read_bytes()
    dataset = example / f"data/scenarios/{EXAMPLE}/dataset.jsonl"
    lines = dataset.read_text(encoding="utf-8").splitlines()
    random.Random(5).shuffle(lines)
    dataset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(example / "data/results")
    assert benchgate(example, "run").returncode == 0
    assert metrics.read_bytes() == before
    assert sorted(scores.read_bytes().splitlines()) == sorted(before_scores.splitlines())


def test_judge_noise_and_calibration_are_order_independent() -> None:
    rng = np.random.default_rng(3)
    labels, judged = [], []
    for i in range(60):
        truth = {m: float(rng.integers(0, 13)) / 12 for m in ("coverage", "accuracy", "coherence")}
        labels.append(SampleScore(id=f"id-{i:04d}", scores=truth))
        kept = {
            m: [float(np.clip(np.floor(v * 4 + rng.normal(0, 0.7) + 0.5), 0, 4) / 4) for _ in range(3)]
            for m, v in truth.items()
        }
        scores = {m: round(sum(v) / 3, 6) for m, v in kept.items()}
        judged.append(SampleScore(id=f"id-{i:04d}", scores=scores, judgements=kept, latency_s=1.0))
    live = SCENARIO.model_copy(
        update={"judge": JudgeSpec(model="judge", samples=3, min_agreement={"spearman": 0.3, "kappa": 0.2})}
    )

    def gated(head: list[SampleScore], truth: list[SampleScore]) -> str:
        result = live_gate(live, head, truth)
        assert result.agreement and result.metrics["coverage"].judge_noise is not None
        return result.model_dump_json(indent=2, by_alias=True) + render(result)

    first = gated(judged, labels)
    for seed in range(3):
        assert gated(shuffled(judged, seed), shuffled(labels, seed + 5)) == first
