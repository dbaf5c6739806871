"""The gate's side of scorers: skipped metrics and scorers that changed since the base. Pure."""

from __future__ import annotations

from benchgate.config import GatePolicy, Scenario
from benchgate.gate import GateInput, evaluate
from benchgate.outcome import BaseRef, GateResult, HeadRef
from benchgate.report import render
from benchgate.results import FileRef, RunFiles, RunInfo, SampleScore, ScorerInfo

REF = FileRef(path="d.jsonl", sha256="0" * 64)
N = 30
JUDGE = ScorerInfo(type="judge", version="1", config_sha256="a" * 64, needs_llm=True)
EXACT = ScorerInfo(type="exact_match", version="1", config_sha256="b" * 64, needs_llm=False)


def scenario(on_missing_baseline: str = "warn") -> Scenario:
    return Scenario.model_validate(
        {
            "regression": {"on_missing_baseline": on_missing_baseline},
            "dataset": "d.jsonl",
            "prompt": "p.md",
            "prompt_version": "v1",
            "model": "m",
            "metrics": {
                "coverage": {"pass": 0.5},
                "exact": {"pass": 0.5, "scorer": {"type": "exact_match"}},
            },
        }
    )


def run(
    exact: float = 1.0,
    *,
    skipped: dict[str, str] | None = None,
    scorers: dict[str, ScorerInfo] | None = None,
) -> RunFiles:
    skipped = skipped or {}
    records = []
    for i in range(N):
        values = {"coverage": 0.8, "exact": exact if i < N // 2 else 1.0}
        records.append(
            SampleScore(id=f"s{i:02d}", scores={m: v for m, v in values.items() if m not in skipped})
        )
    info = RunInfo(
        scenario="s",
        mode="live",
        dataset=REF,
        samples=N,
        prompt=REF,
        prompt_version="v1",
        model="m",
        judge="j",
        scorers={"coverage": JUDGE, "exact": EXACT} if scorers is None else scorers,
        skipped=skipped,
    )
    return RunFiles(records, info)


def gate(head: RunFiles, base: RunFiles | None, missing: str = "warn", **policy: object) -> GateResult:
    return evaluate(
        GateInput(
            scenario_name="s",
            scenario=scenario(missing),
            policy=GatePolicy.model_validate({"min_samples": 5, **policy}),
            head=head,
            base=base,
            base_ref=BaseRef(rev="main", sha="1" * 40, found=base is not None),
            head_ref=HeadRef(sha="2" * 40),
            reproduce=[],
        )
    )


NO_LLM = "needs an LLM; no LLM endpoint is configured (LLM_URL or llm.url)"


def test_a_skipped_metric_gets_its_own_verdict_and_the_policy_status() -> None:
    head = run(skipped={"coverage": NO_LLM})
    for policy, status in (("warn", "warn"), ("fail", "fail"), ("ignore", "pass")):
        result = gate(head, run(), on_skipped=policy)
        coverage = result.metrics["coverage"]
        assert (coverage.verdict, coverage.status, coverage.value, coverage.skipped) == (
            "skipped",
            status,
            None,
            NO_LLM,
        )
        assert result.status == status
        assert result.metrics["exact"].verdict == "unchanged"
        reasons = [(r.kind, r.metric, r.status, r.message) for r in result.reasons]
        expected = [("skipped", "coverage", status, f"coverage skipped, no values: {NO_LLM}")]
        assert reasons == ([] if policy == "ignore" else expected)
        assert result.policy.on_skipped == policy
    assert gate(head, run()).reliability.judgements == N, "skipped metrics are not judgements"
    report = render(gate(head, run()))
    assert "| coverage | — (skipped) |" in report and "⏭ skipped" in report


def test_a_changed_scorer_is_no_baseline_with_the_missing_baseline_policy() -> None:
    changed = EXACT.model_copy(update={"config_sha256": "c" * 64})
    head = run(exact=0.0, scorers={"coverage": JUDGE, "exact": changed})
    result = gate(head, run())
    exact = result.metrics["exact"]
    assert (exact.value, exact.threshold_status) == (0.5, "pass")
    assert (exact.verdict, exact.no_baseline, exact.status, exact.delta) == (
        "no-baseline",
        "scorer-changed",
        "warn",
        None,
    )
    assert [r.message for r in result.reasons] == [
        "exact is not compared with the base: its scorer changed "
        "(exact_match (version 1, config bbbbbbbb) → exact_match (version 1, config cccccccc))"
    ]
    assert exact.scorer_change is not None and exact.scorer_change.head.startswith("exact_match")
    assert result.worst == [], "samples are not ranked on deltas of different scorers"
    assert result.metrics["coverage"].verdict == "unchanged"

    other_version = EXACT.model_copy(update={"version": "2"})
    again = gate(run(scorers={"coverage": JUDGE, "exact": other_version}), run())
    assert "(version 1, config bbbbbbbb) → exact_match (version 2" in again.reasons[0].message
    assert gate(head, run(), missing="fail").metrics["exact"].status == "fail"
    assert gate(head, run(), missing="ignore").metrics["exact"].status == "pass"


def test_results_from_before_scorers_pair_judge_metrics_only() -> None:
    legacy = run(scorers={})
    result = gate(run(), legacy)
    assert result.metrics["coverage"].verdict == "unchanged"
    assert result.metrics["exact"].no_baseline == "scorer-changed"
    assert "judge (recorded before scorers were) → exact_match (version 1" in result.reasons[0].message


def test_a_metric_the_base_skipped_is_not_paired() -> None:
    result = gate(run(), run(skipped={"coverage": NO_LLM}))
    coverage = result.metrics["coverage"]
    assert (coverage.verdict, coverage.no_baseline, coverage.status) == (
        "no-baseline",
        "skipped-at-base",
        "warn",
    )
    assert [r.message for r in result.reasons] == [
        "coverage is not compared with the base: the base run skipped it"
    ]
    assert "— no baseline (skipped at base)" in render(result)
