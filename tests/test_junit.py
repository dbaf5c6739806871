"""JUnit XML, read back with junitparser as CI test views read it."""

from __future__ import annotations

import json
from pathlib import Path

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from benchgate.config import Governance
from benchgate.gate import decide
from benchgate.outcome import Approvals, GateResult, RoleApproval
from benchgate.report.junit import render_junit
from benchgate.results import SampleScore
from benchmarks.synthetic import write_project
from tests.conftest import benchgate, commit_all, git
from tests.reporting import example_result, example_scores, lowered

CASES = ["coverage", "accuracy", "coherence", "informativeness", "latency_s", "reliability", "baseline"]


def read(xml: bytes, tmp_path: Path) -> JUnitXml:
    path = tmp_path / "junit.xml"
    path.write_bytes(xml)
    return JUnitXml.fromfile(str(path))


def cases(suite: TestSuite) -> dict[str, TestCase]:
    return {case.name: case for case in suite}


def outcome(case: TestCase) -> str:
    kinds = {type(result) for result in case.result}
    if Failure in kinds:
        return "failure"
    if Skipped in kinds:
        return "skipped"
    return "passed"


def properties(suite: TestSuite) -> dict[str, str]:
    return {p.name: p.value for p in suite.properties()}


def test_a_regression_is_one_failure_and_warns_are_passed_cases_that_say_so(tmp_path: Path) -> None:
    _, scores, outputs = example_scores()
    result = example_result(lowered(scores, "coverage", 10, 0.2), scores, outputs)
    xml = read(render_junit([result]), tmp_path)
    suites = list(xml)
    assert [s.name for s in suites] == ["channel_digest_ru (dry-run)"]
    suite = suites[0]
    found = cases(suite)
    assert list(found) == CASES
    assert {name: outcome(case) for name, case in found.items()} == {
        "coverage": "failure",
        "accuracy": "passed",
        "coherence": "passed",
        "informativeness": "passed",
        "latency_s": "passed",
        "reliability": "passed",
        "baseline": "passed",
    }
    failure = found["coverage"].result[0]
    assert failure.message.startswith("coverage 0.")
    assert "; coverage regressed against the base: -" in failure.message
    assert failure.type == "benchgate.fail"
    assert (found["accuracy"].system_out or "").startswith("WARN: accuracy 0.")
    assert "versus base" in (found["latency_s"].system_out or "")
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (7, 1, 0, 0)
    props = properties(suite)
    assert props["benchgate.status"] == "fail" and props["benchgate.failed"] == "true"
    assert props["benchgate.warnings"] == "accuracy, coherence"
    assert all(case.classname == "benchgate.channel_digest_ru.dry-run" for case in suite)


def test_fail_on_warn_turns_warns_into_failures(tmp_path: Path) -> None:
    _, scores, outputs = example_scores()
    result = example_result(scores, scores, outputs)
    strict = with_policy(result, fail_on_warn=True)
    assert strict.failed
    found = cases(next(iter(read(render_junit([strict]), tmp_path))))
    assert [n for n, c in found.items() if outcome(c) == "failure"] == ["accuracy", "coherence"]
    assert found["accuracy"].result[0].type == "benchgate.warn"


def test_missing_baseline_is_skipped_unless_policy_makes_it_fail(tmp_path: Path) -> None:
    _, scores, outputs = example_scores()
    result = example_result(scores, None, outputs)
    baseline = cases(next(iter(read(render_junit([result]), tmp_path))))["baseline"]
    assert outcome(baseline) == "skipped"
    assert baseline.result[0].message.startswith("no baseline to compare with: 111111111111")
    ignored = with_policy(result, on_missing_baseline="ignore")
    baseline = cases(next(iter(read(render_junit([ignored]), tmp_path))))["baseline"]
    assert outcome(baseline) == "skipped"
    failing = with_policy(result, on_missing_baseline="fail")
    suite = next(iter(read(render_junit([failing]), tmp_path)))
    found = cases(suite)
    assert [n for n, c in found.items() if outcome(c) == "failure"] == [
        n for n in CASES if n != "reliability"
    ]
    assert found["coverage"].result[0].message.startswith("no baseline to compare with")
    assert properties(suite)["benchgate.failed"] == "true"


def with_policy(result: GateResult, **changes: object) -> GateResult:
    """The same measurements decided under another policy."""
    return decide(result.model_copy(update={"policy": result.policy.model_copy(update=changes)}))


def test_too_many_unscored_fails_reliability(tmp_path: Path) -> None:
    _, scores, outputs = example_scores()
    head = [
        SampleScore(id=s.id, unscored={"coherence": "judge reply unreadable"}, latency_s=s.latency_s)
        if i < 8
        else s
        for i, s in enumerate(scores)
    ]
    result = example_result(head, scores, outputs)
    reliability = cases(next(iter(read(render_junit([result]), tmp_path))))["reliability"]
    assert outcome(reliability) == "failure"
    assert "judgements are unscored" in reliability.result[0].message
    assert "unscored 8 of 144" in (reliability.system_out or "")


def test_characters_xml_forbids_are_dropped_and_the_rest_escaped(tmp_path: Path) -> None:
    _, scores, outputs = example_scores()
    hostile = 'x\x00\x1b[31m\ufffe]]></failure><script>"&'
    result = example_result(lowered(scores, "coverage", 10, 0.2), scores, outputs)
    reasons = [r.model_copy(update={"message": f"{r.message} {hostile}"}) for r in result.reasons]
    noisy = result.model_copy(update={"reasons": reasons})
    xml = render_junit([noisy])
    failure = cases(next(iter(read(xml, tmp_path))))["coverage"].result[0]
    assert failure.message.endswith('x[31m]]></failure><script>"&')
    assert b"\x00" not in xml and b"\x1b" not in xml
    assert render_junit([noisy]) == xml


def test_gate_junit_option_and_ci_combined_file(repo: Path) -> None:
    write_project(repo, 40)
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "base")
    lines = (repo / "data/scenarios/synthetic/dataset.jsonl").read_text(encoding="utf-8").splitlines()
    for index in range(20):
        record = json.loads(lines[index])
        record["ground_truth"]["accuracy"] = 0.4
        lines[index] = json.dumps(record, ensure_ascii=False)
    (repo / "data/scenarios/synthetic/dataset.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "head")

    done = benchgate(repo, "gate", "--junit", "reports/junit.xml")
    assert done.returncode == 1, done.stderr
    suite = next(iter(JUnitXml.fromfile(str(repo / "reports/junit.xml"))))
    assert [n for n, c in cases(suite).items() if outcome(c) == "failure"] == ["accuracy"]

    base = git(repo, "rev-parse", "HEAD~1")
    output = repo.parent / "output.txt"
    env = {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/bench",
        "GITHUB_RUN_ID": "123456789",
    }
    done = benchgate(repo, "ci", "--base", base, "--no-comment", env=env)
    assert done.returncode == 1, done.stderr
    written = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    junit = repo / ".benchgate/ci/junit.xml"
    assert written["junit-path"] == str(junit.resolve())
    html = repo / ".benchgate/reports/synthetic/dry-run/report.html"
    assert written["report-html"] == str(html.resolve())
    combined = JUnitXml.fromfile(str(junit))
    assert [s.name for s in combined] == ["synthetic (dry-run)"]
    assert properties(next(iter(combined)))["benchgate.run_url"] == (
        "https://github.com/acme/bench/actions/runs/123456789"
    )
    report = (repo / ".benchgate/ci/report.md").read_text(encoding="utf-8")
    assert "(https://github.com/acme/bench/actions/runs/123456789)" in report


def test_a_pending_approval_is_a_failure_of_its_own_case_when_it_fails_the_check(tmp_path: Path) -> None:
    _, scores, outputs = example_scores()
    result = example_result(scores, scores, outputs)
    governance = Governance.model_validate(
        {"approvers": {"Tech Lead": ["alice"], "Analyst": ["bob"]}, "required": True}
    )
    roles = [
        RoleApproval(
            role="Tech Lead", state="approved", reviewer="alice", submitted_at="2025-11-15T10:00:00Z"
        ),
        RoleApproval(role="Analyst", state="pending"),
    ]
    policy = result.policy.model_copy(update={"governance": governance})
    pending = decide(result.model_copy(update={"policy": policy, "approvals": Approvals(pr=7, roles=roles)}))
    assert pending.status == "pending"
    [suite] = read(render_junit([pending]), tmp_path)
    case = cases(suite)["approvals"]
    assert outcome(case) == "failure"
    assert case.result[0].message == "awaiting approval: Analyst (no review yet)"
    assert case.system_out == "Tech Lead: approved by alice at 2025-11-15T10:00:00Z\nAnalyst: pending"
    assert properties(suite)["benchgate.status"] == "pending"
    soft = governance.model_copy(update={"on_pending": "warn"})
    warned = decide(pending.model_copy(update={"policy": policy.model_copy(update={"governance": soft})}))
    [suite] = read(render_junit([warned]), tmp_path)
    assert outcome(cases(suite)["approvals"]) == "passed"
    assert cases(suite)["approvals"].system_out.startswith("PENDING: awaiting approval: Analyst")
    [outside_pr] = read(render_junit([decide(result.model_copy(update={"policy": policy}))]), tmp_path)
    assert "approvals" not in cases(outside_pr)
