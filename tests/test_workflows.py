"""The example workflows: valid YAML, least privilege, and never PR code with a writable token."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT, commit_all, git
from tests.fakes.git_http_server import GitHTTPServer
from tests.test_action import run_step

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TOKEN = "ghs_baseline-push-token-0000"
SELF = "$/"  # GitHub's self-repository reference: this repository at the run's commit


def load(path: Path) -> dict:  # type: ignore[type-arg]
    return dict(YAML(typ="safe").load(path.read_text()))


def steps_using(workflow: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith(action)
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_and_never_uses_pull_request_target(path: Path) -> None:
    workflow = load(path)
    triggers = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads a bare `on` as True
    assert "pull_request_target" not in triggers
    assert workflow["jobs"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_names_its_permissions_and_the_workflow_grants_none(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}
    assert all("permissions" in job for job in workflow["jobs"].values())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_checkout_leaves_credentials_behind(path: Path) -> None:
    for step in steps_using(load(path), "actions/checkout@"):
        assert step["with"]["persist-credentials"] is False


def test_pr_workflow_can_comment_and_read_only() -> None:
    workflow = load(ROOT / ".github/workflows/benchgate-pr.yml")
    job = workflow["jobs"]["gate"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    modes = [step["with"]["mode"] for step in job["steps"] if step.get("uses") == SELF]
    assert modes == ["dry-run", "live"]
    live = next(step for step in job["steps"] if step.get("with", {}).get("mode") == "live")
    assert "secrets." not in str(job["env"]).replace("secrets.LLM_URL != ''", ""), "only a flag at job level"
    assert "secrets.LLM_API_KEY" in str(live["with"])


def test_fork_pair_keeps_untrusted_code_away_from_the_writable_token() -> None:
    gate = load(ROOT / ".github/workflows/benchgate-fork-pr.yml")
    assert gate["jobs"]["gate"]["permissions"] == {"contents": "read"}
    assert "secrets." not in (ROOT / ".github/workflows/benchgate-fork-pr.yml").read_text()
    comment = load(ROOT / ".github/workflows/benchgate-fork-comment.yml")
    triggers = comment.get("on") or comment.get(True)
    assert list(triggers) == ["workflow_run"]
    [job] = comment["jobs"].values()
    assert job["permissions"]["pull-requests"] == "write"
    steps = job["steps"]
    checkouts = steps_using(comment, "actions/checkout@")
    assert all("ref" not in s["with"] and "repository" not in s["with"] for s in checkouts), (
        "default branch only"
    )
    download = steps_using(comment, "actions/download-artifact@")[0]
    assert steps.index(download) > max(
        i for i, s in enumerate(steps) if "pip install" in str(s.get("run", ""))
    )
    assert download["with"]["path"].startswith("${{ runner.temp }}"), (
        "the artifact lands outside the work tree"
    )
    script = next(s["run"] for s in steps if "benchgate publish" in str(s.get("run", "")))
    assert "--expect-head-sha" in script and "tr -cd '0-9'" in script


def test_fork_comment_runs_for_finished_gates_only() -> None:
    job = load(ROOT / ".github/workflows/benchgate-fork-comment.yml")["jobs"]["comment"]
    condition = " ".join(job["if"].split())
    assert "github.event.workflow_run.event == 'pull_request'" in condition
    assert "github.event.workflow_run.head_repository.full_name != github.repository" in condition
    accepted = {
        c for c in ("success", "failure", "cancelled", "skipped", "action_required") if f"'{c}'" in condition
    }
    assert accepted == {"success", "failure"}, "a failing gate is commented; a cancelled run is not"


def commit_step(repo: Path, token: str) -> subprocess.CompletedProcess[str]:
    """The baseline workflow's commit step, run as the runner runs it."""
    job = load(ROOT / ".github/workflows/benchgate-baseline.yml")["jobs"]["baseline"]
    [step] = [s for s in job["steps"] if s.get("name") == "Commit refreshed results"]
    assert step["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    env = {**os.environ, "GITHUB_TOKEN": token, "GITHUB_REF": "refs/heads/main", "GIT_TERMINAL_PROMPT": "0"}
    return run_step(step["run"], repo, env)


@pytest.fixture
def served_clone(tmp_path: Path) -> tuple[Path, Path, str]:
    """A bare origin with committed results, and a clone of it that keeps no credentials."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "dvc.lock").write_text("schema: '2.0'\n")
    (seed / "data" / "results").mkdir(parents=True)
    (seed / "data" / "results" / "metrics.json").write_text('{"accuracy": 0.5}\n')
    commit_all(seed, "results")
    served = tmp_path / "served"
    served.mkdir()
    git(served, "clone", "-q", "--bare", str(seed), "origin.git")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(served / "origin.git"), str(clone))
    return served, clone, git(clone, "rev-parse", "HEAD")


def test_baseline_pushes_with_the_token_of_its_commit_step_alone(
    served_clone: tuple[Path, Path, str],
) -> None:
    served, clone, before = served_clone
    hook = clone / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {clone.parent / 'hook-ran'}\n")
    hook.chmod(0o755)
    (clone / "data" / "results" / "metrics.json").write_text('{"accuracy": 0.75}\n')
    with GitHTTPServer(served, TOKEN) as server:
        git(clone, "remote", "set-url", "origin", f"{server.url}/origin.git")
        done = commit_step(clone, TOKEN)
        assert done.returncode == 0, done.stderr
        assert server.refused >= 1, "the remote asked for credentials and the helper answered"
        assert any(path.endswith("/git-receive-pack") for path in server.authorised)
    pushed = git(served / "origin.git", "log", "-1", "--format=%s%n%P", "main").splitlines()
    assert pushed == ["benchgate: refresh baseline results [skip ci]", before]
    assert TOKEN not in done.stdout + done.stderr
    assert TOKEN not in (clone / ".git" / "config").read_text()
    assert not (clone.parent / "hook-ran").exists(), "hooks planted by the benchmark step never run"


def test_baseline_push_is_refused_without_the_token(served_clone: tuple[Path, Path, str]) -> None:
    served, clone, before = served_clone
    (clone / "data" / "results" / "metrics.json").write_text('{"accuracy": 0.75}\n')
    with GitHTTPServer(served, TOKEN) as server:
        git(clone, "remote", "set-url", "origin", f"{server.url}/origin.git")
        done = commit_step(clone, "ghs_not-the-token")
    assert done.returncode != 0
    assert git(served / "origin.git", "rev-parse", "main") == before


def test_baseline_commits_nothing_when_results_are_unchanged(served_clone: tuple[Path, Path, str]) -> None:
    _, clone, before = served_clone
    done = commit_step(clone, TOKEN)
    assert done.returncode == 0 and "results unchanged" in done.stdout
    assert git(clone, "rev-parse", "HEAD") == before
