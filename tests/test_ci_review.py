"""`benchgate ci` for the reviewer: the trend over the default branch's result commits, and the
Approvals section fed by the PR's reviews, against real git repositories and the fake GitHub API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from benchmarks.synthetic import lower_metric, write_project
from tests.conftest import benchgate, commit_all, git
from tests.fakes.github_server import FakeGitHub
from tests.histories import DATASET, result_history
from tests.test_ci import BOT, OWNER, PR, REPO, TOKEN, actions_env, ours, outputs

ORG_TOKEN = "ghs_org_reader_0123456789"
GOVERNANCE = """governance:
  approvers:
    Tech Lead: [alice, acme/leads]
    Analyst: [bob]
  required: true
"""
METRICS = ("coverage", "accuracy", "coherence", "informativeness", "latency_s")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    tokens = {
        TOKEN: {"login": BOT, "write": True},
        ORG_TOKEN: {"login": BOT, "write": True, "read_org": True},
    }
    with FakeGitHub(tokens) as server:  # type: ignore[arg-type]
        server.add_issue(OWNER, REPO, PR)
        yield server
        assert server.errors == []


def feature(repo: Path) -> str:
    """A PR branch whose head lowers informativeness a little and commits its results."""
    git(repo, "checkout", "-q", "-b", "feature")
    lower_metric(repo / DATASET, "informativeness", 6, 0.1)
    assert benchgate(repo, "run").returncode == 0
    return commit_all(repo, "head")


def comment_body(github: FakeGitHub) -> str:
    [comment] = ours(github)
    return str(comment["body"])


def mermaid_blocks(body: str) -> list[str]:
    return [
        t.content for t in MarkdownIt("commonmark").parse(body) if t.type == "fence" and t.info == "mermaid"
    ]


def test_the_sticky_comment_charts_twelve_result_commits_and_the_pr_as_thirteen_points(
    repo: Path, github: FakeGitHub
) -> None:
    history = result_history(repo, 12)
    head = feature(repo)
    done = benchgate(repo, "ci", env=actions_env(repo, github, history[-1], head))
    assert done.returncode in (0, 1), done.stderr
    charts = mermaid_blocks(comment_body(github))
    assert len(charts) == len(METRICS)
    for metric, chart in zip(METRICS, charts, strict=True):
        assert f'title "{metric}"' in chart
        labels = re.findall(r'"([0-9a-f]{7}|head)"', chart.split("x-axis", 1)[1].split("\n", 1)[0])
        assert labels == [sha[:7] for sha in history] + ["head"]
        series = re.findall(r"line \[(.*)\]", chart)
        assert [len(line.split(", ")) for line in series] == [13, 13]
    gate = json.loads((repo / ".benchgate/ci/gate.json").read_text())["scenarios"]["synthetic"]
    assert [p["sha"] for p in gate["trend"]["points"]["coverage"]] == history
    assert "coverage" in done.stdout and "(13 points)" in done.stdout, "the terminal shows sparklines"


def test_a_depth_one_checkout_fetches_the_history_the_trend_needs(
    repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    history = result_history(repo, 12)
    head = feature(repo)
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch=feature", f"file://{repo}", str(checkout))
    done = benchgate(checkout, "ci", env=actions_env(checkout, github, history[-1], head))
    assert done.returncode in (0, 1), done.stdout + done.stderr
    gate = json.loads((checkout / ".benchgate/ci/gate.json").read_text())["scenarios"]["synthetic"]
    assert [p["sha"] for p in gate["trend"]["points"]["coverage"]] == history
    assert not gate["trend"]["truncated"]


def governed_pr(repo: Path) -> tuple[str, str]:
    """main and a PR branch, both with `governance.required: true`; the head's results pass or warn."""
    write_project(repo, 60)
    with (repo / "params.yaml").open("a", encoding="utf-8") as params:
        params.write(GOVERNANCE)
    assert benchgate(repo, "run").returncode == 0
    base = commit_all(repo, "base")
    return base, feature(repo)


def approvals_table(body: str) -> dict[str, list[str]]:
    section = body.split("### Approvals\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines()[2:]]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def test_an_approval_and_a_change_request_leave_the_gate_pending_until_both_roles_approve(
    repo: Path, github: FakeGitHub
) -> None:
    base, head = governed_pr(repo)
    github.add_review(OWNER, REPO, PR, "alice", "APPROVED", commit_id=head)
    github.add_review(OWNER, REPO, PR, "bob", "CHANGES_REQUESTED", commit_id=head)
    env = actions_env(repo, github, base, head)
    done = benchgate(repo, "ci", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    body = comment_body(github)
    assert body.split("\n")[2] == "## ⏳ PENDING · benchgate · `synthetic` (dry-run)"
    assert "**PENDING** — This check fails until every required role approves." in body
    table = approvals_table(body)
    assert table["Tech Lead"][:2] == ["✅ approved", "`alice`"]
    assert table["Tech Lead"][2].startswith("2024-05-01 12:00:01Z on `")
    assert table["Analyst"][:2] == ["❌ changes requested", "`bob`"]
    assert "awaiting approval: Analyst (changes requested by bob)" in body
    gate = json.loads((repo / ".benchgate/ci/gate.json").read_text())
    assert gate["status"] == "pending" and outputs(repo)["status"] == "pending"
    roles = gate["scenarios"]["synthetic"]["approvals"]["roles"]
    assert [(r["role"], r["state"], r["reviewer"], r["commit"]) for r in roles] == [
        ("Tech Lead", "approved", "alice", head),
        ("Analyst", "changes-requested", "bob", head),
    ]
    reviews = [
        path for method, path, _ in github.requests if path.startswith(f"/repos/{OWNER}/{REPO}/pulls/")
    ]
    assert reviews == [f"/repos/{OWNER}/{REPO}/pulls/{PR}/reviews?per_page=100"], "read once, no team needed"

    github.add_review(OWNER, REPO, PR, "bob", "APPROVED", commit_id=head)  # the pull_request_review run
    again = benchgate(repo, "ci", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert approvals_table(comment_body(github))["Analyst"][:2] == ["✅ approved", "`bob`"]
    assert json.loads((repo / ".benchgate/ci/gate.json").read_text())["status"] == "warn"


def test_a_team_the_token_cannot_read_never_approves(repo: Path, github: FakeGitHub) -> None:
    base, head = governed_pr(repo)
    github.add_team("acme", "leads", ["dave"])
    github.add_review(OWNER, REPO, PR, "bob", "APPROVED", commit_id=head)
    github.add_review(OWNER, REPO, PR, "dave", "APPROVED", commit_id=head)  # the latest that may count
    done = benchgate(repo, "ci", env=actions_env(repo, github, base, head))
    assert done.returncode == 1
    lead = approvals_table(comment_body(github))["Tech Lead"]
    assert lead[:2] == ["❔ cannot verify (team `acme/leads`)", "`dave`"]
    assert "awaiting approval: Tech Lead (cannot verify team acme/leads)" in comment_body(github)
    with_org = benchgate(repo, "ci", env=actions_env(repo, github, base, head, token=ORG_TOKEN))
    assert with_org.returncode == 0, with_org.stdout + with_org.stderr
    assert approvals_table(comment_body(github))["Tech Lead"][:2] == ["✅ approved", "`dave`"]
