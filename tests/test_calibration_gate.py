"""`judge.min_agreement` in the gate: `uncalibrated` derived from stored numbers, judge noise shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchgate.commands.publish import read_results
from benchgate.config import GatePolicy, JudgeSpec, MetricSpec, RegressionPolicy, Scenario
from benchgate.gate import GateInput, decide, evaluate
from benchgate.outcome import BaseRef, GateResult, HeadRef
from benchgate.policy import changes, effective
from benchgate.report import render
from benchgate.results import SampleScore
from tests.reporting import live_gate
from tests.test_order import files
from tests.test_report import check_golden, inline_tokens

N = 40


BASE = Scenario(
    dataset="d.jsonl",
    prompt="p.md",
    prompt_version="v1",
    model="m",
    metrics={"coverage": MetricSpec(pass_=0.3), "accuracy": MetricSpec(pass_=0.3)},
    regression=RegressionPolicy(on_missing_baseline="ignore"),
)


def scenario(**judge: Any) -> Scenario:
    return BASE.model_copy(update={"judge": JudgeSpec(model="judge", **judge)})


def truth_scores(seed: int = 1) -> list[SampleScore]:
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, 13, size=(N, 2)) / 12  # a mean of three raters, like SummEval
    return [
        SampleScore(id=f"s{i:03d}", scores={"coverage": float(levels[i, 0]), "accuracy": float(levels[i, 1])})
        for i in range(N)
    ]


def judged(truth: list[SampleScore], sigma: float, k: int = 1, seed: int = 2) -> list[SampleScore]:
    """A judge on the 1-5 scale: truth + Gaussian noise of `sigma` points, k judgements each."""
    rng = np.random.default_rng(seed)
    out = []
    for sample in truth:
        scores, kept = {}, {}
        for metric, value in sample.scores.items():
            points = np.clip(np.floor(value * 4 + rng.normal(0, sigma, k) + 0.5), 0, 4) / 4
            scores[metric] = round(float(points.mean()), 6)
            if k > 1:
                kept[metric] = [float(p) for p in points]
        out.append(SampleScore(id=sample.id, scores=scores, judgements=kept))
    return out


def gate(head: list[SampleScore], labels: list[SampleScore] | None, **judge: Any) -> GateResult:
    return live_gate(scenario(**judge), head, labels)


def calibration_reasons(result: GateResult) -> list[str]:
    return [f"{r.metric}:{r.status}" for r in result.reasons if r.kind == "uncalibrated"]


def test_an_accurate_judge_is_calibrated_and_a_noisy_one_warns() -> None:
    truth = truth_scores()
    good = gate(judged(truth, 0.3), truth, min_agreement={"spearman": 0.5})
    assert {m.calibration for m in good.metrics.values()} == {"calibrated"}
    assert calibration_reasons(good) == []
    assert good.agreement["coverage"].truth == "dataset" and good.agreement["coverage"].n == N
    assert good.status == "pass"
    noisy = gate(judged(truth, 3.0), truth, min_agreement={"spearman": 0.5})
    assert {m.calibration for m in noisy.metrics.values()} == {"uncalibrated"}
    assert calibration_reasons(noisy) == ["coverage:warn", "accuracy:warn"]
    assert noisy.status == "warn" and not noisy.failed
    message = next(r.message for r in noisy.reasons if r.kind == "uncalibrated")
    assert "Spearman ρ" in message and "lower bound below min_agreement 0.50" in message
    text = render(noisy)
    assert "| ⚠️ uncalibrated |" in text and "uncalibrated judge" in text


@pytest.mark.parametrize(("rule", "status", "reasons"), [("fail", "fail", 2), ("ignore", "pass", 0)])
def test_on_uncalibrated_sets_the_contribution(rule: str, status: str, reasons: int) -> None:
    truth = truth_scores()
    result = gate(judged(truth, 3.0), truth, min_agreement={"kendall": 0.4}, on_uncalibrated=rule)
    assert result.status == status and len(calibration_reasons(result)) == reasons
    assert {m.calibration for m in result.metrics.values()} == {"uncalibrated"}


def test_no_labelled_samples_is_no_evidence_and_no_bound_gates_nothing() -> None:
    truth = truth_scores()
    unlabelled = [SampleScore(id=s.id, unscored={"coverage": "no ground truth"}) for s in truth]
    result = gate(judged(truth, 0.3), unlabelled, min_agreement={"kappa": 0.6})
    assert "coverage" not in result.agreement
    assert result.metrics["coverage"].calibration == "uncalibrated"
    assert "no labelled samples" in next(r.message for r in result.reasons if r.kind == "uncalibrated")
    ungated = gate(judged(truth, 3.0), truth)
    assert ungated.agreement and {m.calibration for m in ungated.metrics.values()} == {None}
    assert calibration_reasons(ungated) == []


def test_a_constant_judge_is_uncalibrated() -> None:
    truth = truth_scores()
    constant = [SampleScore(id=s.id, scores={"coverage": 0.75, "accuracy": 0.75}) for s in truth]
    result = gate(constant, truth, min_agreement={"spearman": 0.5})
    assert result.agreement["coverage"].spearman is None
    assert "undefined" in next(r.message for r in result.reasons if r.kind == "uncalibrated")


def test_publish_rederives_calibration_from_the_stored_numbers(tmp_path: Path) -> None:
    truth = truth_scores()
    result = gate(judged(truth, 3.0), truth, min_agreement={"spearman": 0.5})
    tampered = json.loads(result.model_dump_json(by_alias=True))
    tampered["status"], tampered["reasons"] = "pass", []
    for metric in tampered["metrics"].values():
        metric["calibration"], metric["status"] = "calibrated", "pass"
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(tampered))
    (rebuilt,) = read_results(path)
    assert rebuilt.status == "warn" and calibration_reasons(rebuilt) == ["coverage:warn", "accuracy:warn"]
    assert decide(rebuilt) == rebuilt


def test_a_gate_json_from_before_calibration_still_reads() -> None:
    truth = truth_scores()
    old = json.loads(gate(judged(truth, 0.3), truth).model_dump_json(by_alias=True))
    for key in ("min_agreement", "on_uncalibrated"):
        del old["policy"][key]
    for metric in old["metrics"].values():
        for key in ("llm_judged", "judge_noise", "calibration"):
            del metric[key]
    for entry in old["agreement"].values():
        for key in list(entry):
            if key not in ("n", "spearman", "mean_abs_diff"):
                del entry[key]
    read = GateResult.model_validate(old)
    assert read.agreement["coverage"].kendall is None and read.policy.on_uncalibrated == "warn"
    assert "Judge vs ground truth" in render(decide(read))


def test_dry_run_gates_show_agreement_with_a_live_companion_but_never_calibrate() -> None:
    truth = truth_scores()
    result = evaluate(
        GateInput(
            scenario_name="s",
            scenario=scenario(min_agreement={"spearman": 0.99}),
            policy=GatePolicy(),
            head=files(truth),
            base=None,
            base_ref=BaseRef(rev="main", found=False, reason="none"),
            head_ref=HeadRef(sha="b" * 40),
            reproduce=["benchgate gate"],
            companion=files(judged(truth, 0.3), "live"),
        )
    )
    assert result.agreement["coverage"].truth == "dry-run"
    assert {m.calibration for m in result.metrics.values()} == {None}


def test_judge_noise_is_measured_and_the_ci_accounts_for_it() -> None:
    truth = truth_scores()
    once = gate(judged(truth, 0.8, k=1), truth).metrics["coverage"]
    thrice = gate(judged(truth, 0.8, k=3), truth).metrics["coverage"]
    assert once.judge_noise is None
    noise = thrice.judge_noise
    assert noise is not None and noise.k == 3 and noise.repeated == N
    assert noise.judge_share is not None and 0.05 < noise.judge_share < 0.6
    assert noise.flip_rate is not None and 0 < noise.flip_rate < 1
    assert noise.ci_method.startswith("two-stage bootstrap")
    text = render(gate(judged(truth, 0.8, k=3), truth))
    assert "### Judge noise" in text and "| coverage | 3 | 40 of 40 |" in text


def test_calibration_bounds_are_policy_listed_and_taken_from_the_base() -> None:
    head, base = scenario(min_agreement={"spearman": 0.3}), scenario(min_agreement={"spearman": 0.5})
    found = [(c.key, c.base, c.head, c.effect) for c in changes(head, GatePolicy(), base, GatePolicy())]
    assert found == [("judge.min_agreement.spearman", 0.5, 0.3, "looser")]
    stricter = scenario(min_agreement={"spearman": 0.5, "kappa": 0.4}, on_uncalibrated="fail")
    found = [(c.key, c.effect) for c in changes(stricter, GatePolicy(), base, GatePolicy())]
    assert found == [("judge.min_agreement.kappa", "stricter"), ("judge.on_uncalibrated", "stricter")]
    judged_by = effective(head, base)
    assert judged_by.judge is not None and judged_by.judge.min_agreement == {"spearman": 0.5}


def assert_inert_markdown(text: str) -> None:
    for token in inline_tokens(text):
        assert token.type not in ("link_open", "image"), token  # type: ignore[attr-defined]


def test_calibration_and_noise_report_matches_golden() -> None:
    truth = truth_scores()
    result = gate(judged(truth, 3.0, k=3), truth, min_agreement={"spearman": 0.5, "kappa": 0.4})
    text = render(result)
    assert_inert_markdown(text)
    check_golden("live_calibration.md", text)
