from __future__ import annotations

from benchgate.config import GatePolicy, Governance, MetricSpec, Scenario
from benchgate.gate import GateInput, decide, evaluate
from benchgate.outcome import Approvals, BaseRef, GateResult, HeadRef, RoleApproval
from benchgate.results import FileRef, RunFiles, RunInfo, SampleScore
from benchgate.status import threshold_status

REF = FileRef(path="d.jsonl", sha256="0" * 64)


def scenario(**regression: object) -> Scenario:
    return Scenario.model_validate(
        {
            "dataset": "d.jsonl",
            "prompt": "p.md",
            "prompt_version": "v1",
            "model": "m",
            "metrics": {
                "coverage": {"pass": 0.88, "warn": 0.80},
                "latency_s": {"pass": 210, "warn": 240, "direction": "lower", "max_drop": 10},
            },
            "regression": regression,
        }
    )


def run(scores: dict[str, float], latency: float = 180.0, unscored: set[str] = frozenset()) -> RunFiles:  # type: ignore[assignment]
    records = [
        SampleScore(
            id=i,
            scores={} if i in unscored else {"coverage": v},
            unscored={"coverage": "judge reply unparseable"} if i in unscored else {},
            latency_s=latency,
        )
        for i, v in scores.items()
    ]
    info = RunInfo(
        scenario="s",
        mode="dry-run",
        dataset=REF,
        samples=len(records),
        prompt=REF,
        prompt_version="v1",
        model="m",
        judge="ground truth",
    )
    return RunFiles(records, info)


def gate(head: RunFiles, base: RunFiles | None, policy: GatePolicy | None = None, **regression: object):  # type: ignore[no-untyped-def]
    return evaluate(
        GateInput(
            scenario_name="s",
            scenario=scenario(**regression),
            policy=policy or GatePolicy(min_samples=5),
            head=head,
            base=base,
            base_ref=BaseRef(
                rev="main",
                sha="a" * 40,
                found=base is not None,
                reason=None if base else "none here",
            ),
            head_ref=HeadRef(sha="b" * 40),
            reproduce=["benchgate gate"],
        )
    )


def uniform(value: float, n: int = 30) -> dict[str, float]:
    return {f"s{i:02d}": value for i in range(n)}


def test_threshold_status_in_both_directions() -> None:
    higher = MetricSpec.model_validate({"pass": 0.9, "warn": 0.8})
    lower = MetricSpec.model_validate({"pass": 210, "warn": 240, "direction": "lower"})
    assert [threshold_status(v, higher) for v in (0.95, 0.9, 0.85, 0.7, None)] == [
        "pass",
        "pass",
        "warn",
        "fail",
        "fail",
    ]
    assert [threshold_status(v, lower) for v in (200, 210, 230, 250)] == [
        "pass",
        "pass",
        "warn",
        "fail",
    ]


def test_unchanged_head_passes() -> None:
    result = gate(run(uniform(0.9)), run(uniform(0.9)))
    assert result.status == "pass" and not result.failed
    assert result.metrics["coverage"].verdict == "unchanged"
    assert result.reasons == []


def test_regression_fails_even_when_thresholds_pass() -> None:
    base = uniform(0.99)
    head = {k: (v - 0.1 if i < 15 else v) for i, (k, v) in enumerate(base.items())}
    result = gate(run(head), run(base))
    coverage = result.metrics["coverage"]
    assert coverage.threshold_status == "pass"
    assert coverage.verdict == "regressed" and coverage.status == "fail"
    assert result.failed
    assert any(r.kind == "regression" and "regressed" in r.message for r in result.reasons)


def test_on_regression_warn_only_warns() -> None:
    base = uniform(0.99)
    head = {k: v - 0.1 for k, v in base.items()}
    result = gate(run(head), run(base), on_regression="warn")
    assert result.status == "warn" and not result.failed


def test_missing_baseline_warns_by_default_and_never_passes_silently() -> None:
    result = gate(run(uniform(0.95)), None)
    assert result.status == "warn"
    assert {m.verdict for m in result.metrics.values()} == {"no-baseline"}
    assert [r.message for r in result.reasons] == ["no baseline to compare with: none here"]
    assert gate(run(uniform(0.95)), None, on_missing_baseline="fail").failed


def test_fail_on_warn_turns_warn_into_a_failure() -> None:
    result = gate(run(uniform(0.85)), run(uniform(0.85)), GatePolicy(min_samples=5, fail_on_warn=True))
    assert result.status == "warn" and result.failed


def test_too_many_unscored_fails() -> None:
    head = run(uniform(0.95), unscored={"s00", "s01", "s02"})
    result = gate(head, run(uniform(0.95)))
    assert result.failed
    assert result.reliability.unscored == 3
    assert any(
        r.kind == "unscored" and "3 of 30 judgements are unscored" in r.message for r in result.reasons
    )
    assert [i.id for i in result.reliability.unscored_items] == ["s00", "s01", "s02"]


def test_too_few_samples_fails() -> None:
    result = gate(run(uniform(0.95, n=4)), run(uniform(0.95, n=4)))
    assert result.metrics["coverage"].status == "fail"
    assert any(r.kind == "min-samples" and "min_samples is 5" in r.message for r in result.reasons)


def test_latency_regression_uses_its_own_max_drop() -> None:
    result = gate(run(uniform(0.95), latency=195.0), run(uniform(0.95), latency=180.0))
    latency = result.metrics["latency_s"]
    assert latency.delta == 15.0
    assert latency.verdict == "regressed"
    assert latency.threshold_status == "pass"


def renamed(scores: dict[str, float]) -> dict[str, float]:
    return {f"new-{key}": value for key, value in scores.items()}


def test_no_common_ids_is_no_baseline_and_warns_not_inconclusive() -> None:
    # Every id renamed while coverage drops by 0.1: nothing pairs, so nothing may pass quietly.
    base = uniform(0.99)
    head = renamed({k: v - 0.1 for k, v in base.items()})
    result = gate(run(head), run(base))
    coverage = result.metrics["coverage"]
    assert (coverage.verdict, coverage.no_baseline, coverage.status) == ("no-baseline", "no-pairs", "warn")
    assert result.status == "warn"
    assert [r.message for r in result.reasons if r.kind == "no-baseline"] == [
        "no sample ids in common with the base (30 added, 30 removed): nothing to compare"
    ]
    assert gate(run(head), run(base), on_missing_baseline="fail").failed


def test_a_metric_the_base_lacks_is_no_baseline() -> None:
    base = run(uniform(0.99))
    base = RunFiles([s.model_copy(update={"scores": {"accuracy": 0.9}}) for s in base.scores], base.info)
    result = gate(run(uniform(0.95)), base)
    coverage = result.metrics["coverage"]
    assert (coverage.verdict, coverage.no_baseline, coverage.status) == ("no-baseline", "not-at-base", "warn")
    assert result.base_only_metrics == ["accuracy"]
    assert [r.metric for r in result.reasons if r.kind == "no-baseline"] == ["coverage"]
    assert result.metrics["latency_s"].verdict == "unchanged"  # latency is still at the base


def test_inconclusive_follows_on_inconclusive() -> None:
    base = uniform(0.9)
    moves = {0: -0.3, 1: -0.2, 2: -0.2, 3: 0.1, 4: 0.1}  # a net drop too noisy to call
    head = {k: v + moves.get(i, 0.0) for i, (k, v) in enumerate(base.items())}
    quiet = gate(run(head), run(base))
    assert quiet.metrics["coverage"].verdict == "inconclusive"
    assert quiet.metrics["coverage"].status == "pass" and quiet.status == "pass"
    loud = gate(run(head), run(base), on_inconclusive="fail")
    assert loud.metrics["coverage"].status == "fail" and loud.failed
    [reason] = [r for r in loud.reasons if r.kind == "inconclusive"]
    assert reason.metric == "coverage" and reason.message.startswith(
        "coverage is inconclusive against the base:"
    )


def test_decide_rederives_everything_a_tampered_result_claims() -> None:
    base = uniform(0.99)
    honest = gate(run({k: v - 0.1 for k, v in base.items()}), run(base))
    assert honest.failed
    tampered = honest.model_copy(
        update={
            "status": "pass",
            "failed": False,
            "reasons": [],
            "metrics": {
                name: m.model_copy(
                    update={"status": "pass", "verdict": "improved", "threshold_status": "pass"}
                )
                for name, m in honest.metrics.items()
            },
        }
    )
    assert decide(tampered) == honest


GOVERNANCE = {"approvers": {"Tech Lead": ["alice"], "Analyst": ["bob"]}, "required": True}


def approved(result: GateResult, states: dict[str, str], **governance: object) -> GateResult:
    """`result` decided again under a governance policy, with these role states from a PR's reviews."""
    policy = result.policy.model_copy(
        update={"governance": Governance.model_validate({**GOVERNANCE, **governance})}
    )
    roles = [
        RoleApproval(role=role, state=state, reviewer="bob" if state != "pending" else None)
        for role, state in states.items()
    ]  # type: ignore[arg-type]
    return decide(result.model_copy(update={"policy": policy, "approvals": Approvals(pr=7, roles=roles)}))


def test_a_missing_required_approval_is_pending_and_fails_the_check_by_default() -> None:
    passing = gate(run(uniform(0.95)), run(uniform(0.95)))
    assert passing.status == "pass"
    waiting = approved(passing, {"Tech Lead": "approved", "Analyst": "changes-requested"})
    assert (waiting.status, waiting.failed) == ("pending", True)
    [reason] = [r for r in waiting.reasons if r.kind == "approval"]
    assert reason.status == "pending"
    assert reason.message == "awaiting approval: Analyst (changes requested by bob)"
    assert approved(passing, {"Tech Lead": "approved", "Analyst": "approved"}).status == "pass"


def test_on_pending_warn_passes_the_check_unless_fail_on_warn() -> None:
    passing = gate(run(uniform(0.95)), run(uniform(0.95)))
    soft = approved(passing, {"Tech Lead": "pending", "Analyst": "approved"}, on_pending="warn")
    assert (soft.status, soft.failed) == ("pending", False)
    strict = passing.model_copy(update={"policy": passing.policy.model_copy(update={"fail_on_warn": True})})
    assert approved(strict, {"Tech Lead": "pending", "Analyst": "approved"}, on_pending="warn").failed


def test_a_failing_gate_stays_fail_and_a_warning_one_is_pending() -> None:
    failing = gate(run(uniform(0.5)), run(uniform(0.5)))
    assert approved(failing, {"Tech Lead": "pending", "Analyst": "pending"}).status == "fail"
    warning = gate(run(uniform(0.85)), run(uniform(0.85)))
    assert warning.status == "warn"
    assert approved(warning, {"Tech Lead": "pending", "Analyst": "approved"}).status == "pending"
    assert approved(warning, {"Tech Lead": "approved", "Analyst": "approved"}).status == "warn"


def test_a_role_left_out_of_the_approvals_is_missing_and_optional_approvals_never_pend() -> None:
    passing = gate(run(uniform(0.95)), run(uniform(0.95)))
    dropped = approved(passing, {"Tech Lead": "approved"})
    assert dropped.status == "pending" and "Analyst (not checked)" in dropped.reasons[-1].message
    assert approved(passing, {"Tech Lead": "pending"}, required=False).status == "pass"
    outside_pr = decide(passing.model_copy(update={"policy": approved(passing, {}).policy}))
    assert outside_pr.status == "pass" and outside_pr.approvals is None
