"""Choosing the base commit in real repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchgate.baseline import BaseHints, find_baseline
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


def base_of(project: Path, **hints: object) -> tuple[str | None, str | None, str]:
    found = find_baseline(project, RESULTS, None, params=project / "params.yaml", hints=BaseHints(**hints))  # type: ignore[arg-type]
    return found.ref.rev, found.ref.sha, found.ref.chosen_by


def test_uncommitted_results_on_the_default_branch_compare_with_head(project: Path) -> None:
    commit_run(project, "one")
    lower_metric(project / DATASET, "coverage", 3, 0.1)
    head = commit_run(project, "two")
    lower_metric(project / DATASET, "coverage", 3, 0.1)
    assert benchgate(project, "run").returncode == 0
    done = benchgate(project, "gate", "--json", "gate.json")
    assert done.returncode == 0, done.stderr
    base = json.loads((project / "gate.json").read_text())["base"]
    assert (base["rev"], base["sha"], base["chosen_by"]) == ("HEAD", head, "head")


def test_a_detached_head_behind_the_default_branch_compares_with_its_parent(project: Path) -> None:
    first = commit_run(project, "one")
    lower_metric(project / DATASET, "coverage", 3, 0.1)
    second = commit_run(project, "two")
    lower_metric(project / DATASET, "accuracy", 3, 0.1)
    commit_run(project, "three")
    git(project, "checkout", "-q", "--detach", second)
    assert base_of(project) == ("HEAD~1", first, "parent")  # not the head itself


def test_trunk_without_a_remote_is_a_guess_and_the_report_says_how_to_choose(tmp_path: Path) -> None:
    project = tmp_path / "trunk"
    project.mkdir()
    git(project, "init", "-q", "-b", "trunk")
    write_project(project, 25)
    first = commit_run(project, "one")
    lower_metric(project / DATASET, "coverage", 3, 0.1)
    commit_run(project, "two")
    assert base_of(project) == ("HEAD~1", first, "guessed")
    done = benchgate(project, "gate", "--report", "report.md")
    assert done.returncode == 0, done.stderr
    report = (project / "report.md").read_text()
    assert "**guessed**: no default branch found" in report and "`--base REV`" in report


def test_the_default_branch_comes_from_ci_then_config(project: Path) -> None:
    git(project, "checkout", "-q", "-b", "trunk")
    fork = commit_run(project, "one")
    git(project, "checkout", "-q", "-b", "feature")
    lower_metric(project / DATASET, "coverage", 3, 0.1)
    commit_run(project, "feature work")
    assert base_of(project)[2] == "guessed"  # there is no main or master
    assert base_of(project, ci_branch="trunk") == ("trunk", fork, "merge-base")
    assert base_of(project, configured="trunk") == ("trunk", fork, "merge-base")
    git(project, "config", "init.defaultBranch", "trunk")
    assert base_of(project) == ("trunk", fork, "merge-base")


def test_base_and_head_on_the_same_commit_are_called_out(project: Path) -> None:
    commit_run(project, "one")
    git(project, "commit", "-q", "--allow-empty", "-m", "two")
    done = benchgate(project, "gate", "--base", "HEAD", "--report", "report.md")
    assert done.returncode == 0, done.stderr
    assert "**the same commit as the head**" in (project / "report.md").read_text()
