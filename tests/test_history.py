"""The trend's history, read from real git repositories: result commits, limits, shallow clones."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from benchgate.history import TrendSource, read_trend
from benchgate.outcome import Trend
from tests.conftest import commit_all, git
from tests.histories import METRICS, result_history

NAMES = ["coverage", "accuracy", "latency_s"]


def committed_value(repo: Path, sha: str, metric: str) -> float:
    return float(json.loads(git(repo, "show", f"{sha}:{METRICS}"))[metric]["value"])


def trend_of(
    repo: Path, rev: str = "main", limit: int = 20, *, fetch: bool = False, exclude: str | None = None
) -> Trend:
    source = TrendSource(rev=rev, label=rev, exclude=exclude)
    return read_trend(repo, METRICS, source, limit, NAMES, fetch=fetch)


def test_each_result_commit_is_one_point_oldest_first_and_other_commits_are_not(repo: Path) -> None:
    shas = result_history(repo, 12)
    (repo / "NOTES.md").write_text("a commit that changes no results\n")
    commit_all(repo, "notes")
    trend = trend_of(repo)
    assert trend.unavailable is None and not trend.truncated
    assert [p.sha for p in trend.points["coverage"]] == shas
    for name in NAMES:
        assert [p.value for p in trend.points[name]] == [committed_value(repo, sha, name) for sha in shas]
    coverage = [p.value for p in trend.points["coverage"]]
    assert coverage == sorted(coverage, reverse=True) and coverage[0] > coverage[-1]


def test_the_limit_keeps_the_newest_and_the_gated_commit_is_left_out(repo: Path) -> None:
    shas = result_history(repo, 8)
    assert [p.sha for p in trend_of(repo, limit=5).points["accuracy"]] == shas[-5:]
    without_head = trend_of(repo, limit=5, exclude=shas[-1])
    assert [p.sha for p in without_head.points["accuracy"]] == shas[-6:-1]


def test_a_metric_missing_or_unreadable_at_a_commit_has_no_point_there(repo: Path) -> None:
    shas = result_history(repo, 3)
    path = repo / METRICS
    data = json.loads(path.read_text())
    data["coverage"]["value"] = None
    data.pop("accuracy")
    path.write_text(json.dumps(data))
    odd = commit_all(repo, "odd metrics")
    path.write_text("{not json")
    commit_all(repo, "broken metrics")
    trend = trend_of(repo)
    assert [p.sha for p in trend.points["coverage"]] == shas
    assert [p.sha for p in trend.points["accuracy"]] == shas
    assert [p.sha for p in trend.points["latency_s"]] == [*shas, odd]


def test_no_results_or_no_such_rev_is_unavailable_not_an_error(repo: Path) -> None:
    (repo / "README.md").write_text("nothing yet\n")
    commit_all(repo, "init")
    assert "has committed results" in (trend_of(repo).unavailable or "")
    assert "not in this clone" in (trend_of(repo, rev="no-such-branch").unavailable or "")


def shallow_clone(origin: Path, target: Path) -> Path:
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    git(target.parent, "clone", "-q", "--depth=1", "--branch=main", f"file://{origin}", str(target))
    assert git(target, "rev-parse", "--is-shallow-repository") == "true"
    return target


def test_a_shallow_clone_fetches_the_history_it_needs_when_allowed(repo: Path, tmp_path: Path) -> None:
    shas = result_history(repo, 12)
    clone = shallow_clone(repo, tmp_path / "shallow")
    cut = trend_of(clone, rev="origin/main")
    assert cut.truncated and [p.sha for p in cut.points["coverage"]] == shas[-1:]
    fetched = trend_of(clone, rev="origin/main", fetch=True)
    assert not fetched.truncated
    assert [p.sha for p in fetched.points["coverage"]] == shas


def test_a_shallow_clone_that_cannot_fetch_shows_what_it_has(repo: Path, tmp_path: Path) -> None:
    result_history(repo, 4)
    clone = shallow_clone(repo, tmp_path / "shallow")
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone"))
    trend = trend_of(clone, rev="HEAD", fetch=True)
    assert trend.truncated and trend.unavailable is None
    assert len(trend.points["coverage"]) == 1


@pytest.fixture
def git_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that logs its subcommand, then runs the real one."""
    real = next(Path(d) / "git" for d in os.environ["PATH"].split(os.pathsep) if (Path(d) / "git").is_file())
    bin_dir, log = tmp_path / "bin", tmp_path / "git.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


@pytest.mark.parametrize("limit", [3, 20])
def test_cost_is_one_log_and_one_batched_read_whatever_the_limit(
    repo: Path, git_calls: Path, limit: int
) -> None:
    result_history(repo, 6)
    git_calls.write_text("")
    trend = trend_of(repo, limit=limit)
    assert len(trend.points["coverage"]) == min(limit, 6)
    calls = git_calls.read_text().split()
    assert calls.count("log") == 1 and calls.count("cat-file") == 1
    assert len(calls) <= 4, calls  # plus resolving the tip and, when short, asking whether shallow
