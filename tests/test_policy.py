"""A pull request that edits its own thresholds: every change listed, and the base's rules on request."""

from __future__ import annotations

import json
from pathlib import Path

from benchgate.config import GatePolicy, Governance, Scenario
from benchgate.policy import changes, effective, uses_base
from benchmarks.synthetic import lower_metric, write_project
from tests.conftest import benchgate, commit_all, git

DATASET = "data/scenarios/synthetic/dataset.jsonl"


def scenario(metrics: dict[str, object], **regression: object) -> Scenario:
    return Scenario.model_validate(
        {
            "dataset": "d",
            "prompt": "p",
            "prompt_version": "v",
            "model": "m",
            "metrics": metrics,
            "regression": regression,
        }
    )


def test_each_change_is_named_with_its_effect() -> None:
    base = scenario(
        {"coverage": {"pass": 0.88, "warn": 0.80}, "latency_s": {"pass": 210, "direction": "lower"}}
    )
    head = scenario(
        {
            "coverage": {"pass": 0.80, "warn": 0.80},
            "latency_s": {"pass": 200, "direction": "lower"},
            "new": {"pass": 0.5},
        },
        max_drop=0.05,
        on_regression="warn",
    )
    found = changes(head, GatePolicy(fail_on_warn=False), base, GatePolicy(fail_on_warn=True))
    assert [(c.key, c.base, c.head, c.effect) for c in found] == [
        ("metrics.coverage.pass", 0.88, 0.80, "looser"),
        ("metrics.coverage.max_drop", 0.02, 0.05, "looser"),
        ("metrics.latency_s.pass", 210, 200, "stricter"),
        ("metrics.latency_s.max_drop", 0.02, 0.05, "looser"),
        ("metrics.new", None, "present", "stricter"),
        ("regression.on_regression", "fail", "warn", "looser"),
        ("gate.fail_on_warn", True, False, "looser"),
    ]


def test_dropping_a_metric_is_looser_and_identical_policy_lists_nothing() -> None:
    base = scenario({"coverage": {"pass": 0.88}, "accuracy": {"pass": 0.9}})
    head = scenario({"coverage": {"pass": 0.88}})
    assert [(c.key, c.effect) for c in changes(head, GatePolicy(), base, GatePolicy())] == [
        ("metrics.accuracy", "looser")
    ]
    assert changes(base, GatePolicy(), base, GatePolicy()) == []


def test_policy_from_base_on_either_side_wins_and_keeps_new_metrics() -> None:
    assert uses_base(GatePolicy(policy_from="head"), GatePolicy(policy_from="base"))
    assert uses_base(GatePolicy(policy_from="base"), GatePolicy())
    assert not uses_base(GatePolicy(), GatePolicy())
    assert not uses_base(GatePolicy(policy_from="base"), None)
    base = scenario({"coverage": {"pass": 0.88}})
    head = scenario({"coverage": {"pass": 0.10}, "new": {"pass": 0.5}}, on_regression="ignore")
    judged = effective(head, base)
    assert judged.metrics["coverage"].pass_ == 0.88 and judged.metrics["new"].pass_ == 0.5
    assert judged.regression.on_regression == "fail"


def relaxing_pr(repo: Path, policy_from: str) -> dict[str, object]:
    """main: coverage must pass 0.88; the PR lowers coverage a lot and the bound to 0.10."""
    write_project(repo, 40)
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("gate: {", f"gate: {{policy_from: {policy_from}, "))
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    lower_metric(repo / DATASET, "coverage", 40, 0.2)
    params.write_text(
        params.read_text()
        .replace("coverage:        {pass: 0.88, warn: 0.80}", "coverage:        {pass: 0.10}")
        .replace("on_regression: fail", "on_regression: ignore")
        .replace(f"policy_from: {policy_from}", "policy_from: head")
    )
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "relax the gate")
    done = benchgate(repo, "gate", "--json", "gate.json", "--report", "report.md")
    result = json.loads((repo / "gate.json").read_text())
    return {"code": done.returncode, "result": result, "report": (repo / "report.md").read_text()}


def test_a_pr_relaxing_its_gate_is_shown_and_passes_only_under_its_own_policy(repo: Path) -> None:
    found = relaxing_pr(repo, "head")
    assert found["code"] == 0
    report = str(found["report"])
    assert "### Gate policy changed in this PR" in report
    assert "| `metrics.coverage.pass` | 0.88 | 0.10 | **looser** |" in report
    assert "| `regression.on_regression` | `fail` | `ignore` | **looser** |" in report
    assert "applied: this PR's params.yaml (`gate.policy_from: head`)" in report


def test_policy_from_base_judges_the_pr_by_the_base_rules(repo: Path) -> None:
    found = relaxing_pr(repo, "base")
    assert found["code"] == 1
    result = found["result"]
    assert result["policy"]["source"] == "base"  # type: ignore[index]
    assert result["metrics"]["coverage"]["verdict"] == "regressed"  # type: ignore[index]
    assert result["metrics"]["coverage"]["threshold"]["pass"] == 0.88  # type: ignore[index]
    assert "applied: the base commit's params.yaml" in str(found["report"])


def test_who_approves_is_policy_too() -> None:
    same = scenario({"coverage": {"pass": 0.88}})
    base = Governance.model_validate(
        {
            "approvers": {"Tech Lead": ["alice"], "Analyst": ["bob"], "Architect": ["carol", "dan"]},
            "required": True,
        }
    )
    head = Governance.model_validate(
        {
            "approvers": {"Tech Lead": ["alice", "mallory"], "Architect": ["carol"], "QA": ["erin"]},
            "on_pending": "warn",
        }
    )
    found = changes(same, GatePolicy(), same, GatePolicy(), head_governance=head, base_governance=base)
    assert [(c.key, c.base, c.head, c.effect) for c in found] == [
        ("governance.required", True, False, "looser"),
        ("governance.on_pending", "fail", "warn", "looser"),
        ("governance.approvers.Tech Lead", "alice", "alice, mallory", "looser"),
        ("governance.approvers.Analyst", "bob", None, "looser"),
        ("governance.approvers.Architect", "carol, dan", "carol", "stricter"),
        ("governance.approvers.QA", None, "erin", "stricter"),
    ]
