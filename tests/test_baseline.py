"""Choosing the base commit in real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchgate.baseline import find_baseline
from benchgate.errors import UsageError
from benchmarks.synthetic import lower_metric, write_project
from tests.conftest import benchgate, commit_all, git

RESULTS = "data/results/synthetic/dry-run"
DATASET = "data/scenarios/synthetic/dataset.jsonl"


def commit_run(repo: Path, message: str) -> str:
    assert benchgate(repo, "run").returncode == 0
    return commit_all(repo, message)


@pytest.fixture
def project(repo: Path) -> Path:
    write_project(repo, 25)
    return repo


def test_first_commit_has_no_baseline(project: Path) -> None:
    commit_run(project, "only commit")
    found = find_baseline(project, RESULTS, None, params=project / "params.yaml")
    assert found.files is None
    assert found.ref.rev == "HEAD~1"
    assert found.ref.reason == "the head commit has no parent to compare with"


def test_on_the_default_branch_the_base_is_the_previous_commit(project: Path) -> None:
    first = commit_run(project, "one")
    lower_metric(project / DATASET, "coverage", 3, 0.1)
    commit_run(project, "two")
    found = find_baseline(project, RESULTS, None, params=project / "params.yaml")
    assert (found.ref.rev, found.ref.sha, found.ref.found) == ("HEAD~1", first, True)


def test_on_a_branch_the_base_is_the_merge_base(project: Path) -> None:
    fork = commit_run(project, "one")
    git(project, "checkout", "-q", "-b", "feature")
    lower_metric(project / DATASET, "coverage", 3, 0.1)
    commit_run(project, "feature work")
    git(project, "checkout", "-q", "main")
    lower_metric(project / DATASET, "accuracy", 3, 0.1)
    commit_run(project, "main moves on")
    git(project, "checkout", "-q", "feature")
    found = find_baseline(project, RESULTS, None, params=project / "params.yaml")
    assert (found.ref.rev, found.ref.sha) == ("main", fork)


def test_base_without_results_is_no_baseline_with_a_reason(project: Path) -> None:
    (project / "README").write_text("before benchgate\n")
    before = commit_all(project, "before results existed")
    commit_run(project, "results")
    found = find_baseline(project, RESULTS, "HEAD~1", params=project / "params.yaml")
    assert found.files is None
    assert found.ref.sha == before
    assert found.ref.reason == f"{before[:12]} has no committed results in {RESULTS}"


def test_unknown_revision_is_a_usage_error(project: Path) -> None:
    commit_run(project, "one")
    with pytest.raises(UsageError, match="--base nope: no such commit"):
        find_baseline(project, RESULTS, "nope", params=project / "params.yaml")


def test_outside_git_there_is_no_baseline(tmp_path: Path) -> None:
    write_project(tmp_path, 25)
    assert benchgate(tmp_path, "run").returncode == 0
    done = benchgate(tmp_path, "gate")
    assert done.returncode == 0, done.stderr
    assert "no baseline to compare with: not a git repository" in done.stdout
