"""Shards on a CI matrix: stable assignment, exact merge, and every bad merge refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchgate.shards import parse, shard_of
from benchmarks.synthetic import write_project
from tests.conftest import EXAMPLE, benchgate, commit_all

RESULTS = "data/results/synthetic/dry-run"


def test_a_shard_spec_is_i_of_n() -> None:
    assert (parse("2/4").index, parse(" 2 / 4 ").count) == (2, 4)
    for bad in ("0/4", "5/4", "2", "a/b", "1/0", "1/1000"):
        with pytest.raises(ValueError, match=r"i/N|1 <= i <= N"):
            parse(bad)


def test_assignment_depends_on_the_id_only_and_is_balanced() -> None:
    ids = [f"sample-{i}" for i in range(10_000)]
    shards = [shard_of(i, 4) for i in ids]
    assert shards == [shard_of(i, 4) for i in reversed(ids)][::-1]
    assert shard_of("sample-17", 4) == 2  # pinned: a change would reshard every project
    counts = [shards.count(k) for k in (1, 2, 3, 4)]
    assert all(abs(c - 2_500) < 150 for c in counts), counts  # within ~3 standard deviations


def files_of(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in ("scores.jsonl", "metrics.json", "run.json")}


@pytest.mark.parametrize("n", [36, 10_000])
def test_four_merged_shards_are_byte_identical_to_one_run(repo: Path, n: int) -> None:
    if n == 36:
        shutil.copy(Path(__file__).parents[1] / "params.yaml", repo / "params.yaml")
        shutil.copytree(Path(__file__).parents[1] / "data" / "scenarios", repo / "data" / "scenarios")
        name = EXAMPLE
    else:
        write_project(repo, n)
        name = "synthetic"
    results = repo / "data" / "results" / name / "dry-run"
    assert benchgate(repo, "run", "--scenario", name).returncode == 0
    whole = files_of(results)
    commit_all(repo, "unsharded")
    assert benchgate(repo, "gate", "--scenario", name, "--json", "whole.json").returncode == 0
    for index in range(1, 5):
        done = benchgate(repo, "run", "--scenario", name, "--shard", f"{index}/4")
        assert done.returncode == 0, done.stderr
    shards = sorted((results / "shards").iterdir())
    assert [s.name for s in shards] == ["1-of-4", "2-of-4", "3-of-4", "4-of-4"]
    sizes = [len((s / "scores.jsonl").read_bytes().splitlines()) for s in shards]
    assert sum(sizes) == n and min(sizes) > 0
    for path in results.glob("*.*"):
        path.unlink()
    done = benchgate(repo, "merge", "--scenario", name, *map(str, shards))
    assert done.returncode == 0, done.stderr
    assert files_of(results) == whole
    assert benchgate(repo, "gate", "--scenario", name, "--json", "merged.json").returncode == 0
    assert (repo / "merged.json").read_bytes() == (repo / "whole.json").read_bytes()


@pytest.fixture
def four_shards(repo: Path) -> list[Path]:
    write_project(repo, 200)
    for index in range(1, 5):
        assert benchgate(repo, "run", "--shard", f"{index}/4").returncode == 0
    return sorted((repo / RESULTS / "shards").iterdir())


def merge(repo: Path, *directories: Path) -> tuple[int, str]:
    done = benchgate(repo, "merge", *map(str, directories))
    assert "Traceback" not in done.stderr
    assert done.returncode == 2 or done.stderr == "", done.stderr
    return done.returncode, done.stderr.strip()


def test_a_missing_shard_is_refused(repo: Path, four_shards: list[Path]) -> None:
    code, error = merge(repo, *four_shards[:3])
    assert (code, error) == (2, "benchgate: error: cannot merge: missing shard 4/4")


def test_overlapping_shards_are_refused(repo: Path, four_shards: list[Path]) -> None:
    code, error = merge(repo, *four_shards, four_shards[1])
    assert (code, error) == (2, "benchgate: error: cannot merge: shard 2/4 is given more than once (overlap)")
    forged = repo / "forged"
    shutil.copytree(four_shards[0], forged)
    other = (four_shards[1] / "scores.jsonl").read_text().splitlines()[0]
    with (forged / "scores.jsonl").open("a") as handle:
        handle.write(other + "\n")
    code, error = merge(repo, forged, *four_shards[1:])
    assert code == 2 and "belongs to shard 2/4 (overlapping shards)" in error


def test_shards_of_mixed_inputs_are_refused(repo: Path, four_shards: list[Path]) -> None:
    info = four_shards[2] / "run.json"
    data = json.loads(info.read_text())
    data["prompt"]["sha256"] = "0" * 64
    info.write_text(json.dumps(data))
    code, error = merge(repo, *four_shards)
    assert code == 2 and "another prompt than the first shard's" in error
    lines = (four_shards[0] / "run.json").read_text()
    (four_shards[0] / "run.json").write_text(lines.replace('"count": 4', '"count": 5'))
    code, error = merge(repo, *four_shards)
    assert code == 2 and "shards of different splits: N=4 and N=5" in error


def test_a_shard_stopped_by_its_cost_cap_is_refused(repo: Path, four_shards: list[Path]) -> None:
    info = four_shards[1] / "run.json"
    data = json.loads(info.read_text())
    data["reliability"]["truncated"] = {
        "cap_usd": 1.0,
        "spent_usd": 0.9,
        "calls_done": 10,
        "calls_planned": 40,
    }
    info.write_text(json.dumps(data))
    code, error = merge(repo, *four_shards)
    assert code == 2 and "stopped at its cost cap (budget-truncated); rerun it before merging" in error


def test_a_shard_priced_otherwise_is_refused(repo: Path, four_shards: list[Path]) -> None:
    """A merged cost prices the shards' summed tokens with today's llm.prices, so each shard must agree."""
    info = four_shards[3] / "run.json"
    data = json.loads(info.read_text())
    used = {"prompt_tokens": 1200, "completion_tokens": 80}
    data["reliability"].update(tokens_by_model={"synthetic-judge": used}, cost_usd=0.25)
    info.write_text(json.dumps(data))
    code, error = merge(repo, *four_shards)
    assert code == 2 and "its cost ($0.25) is not what today's llm.prices make of its tokens" in error
    params = repo / "params.yaml"
    price = "llm: {prices: {synthetic-judge: {prompt_per_mtok: 125, completion_per_mtok: 1250}}}\n"
    params.write_text(params.read_text() + price)
    code, error = merge(repo, *four_shards)
    assert (code, error) == (0, "")
    merged = json.loads((repo / RESULTS / "run.json").read_text())["reliability"]
    assert (merged["tokens_by_model"], merged["cost_usd"]) == ({"synthetic-judge": used}, 0.25)


def test_shard_and_limit_do_not_combine(repo: Path) -> None:
    write_project(repo, 30)
    done = benchgate(repo, "run", "--shard", "1/2", "--limit", "5")
    assert done.returncode == 2 and "cannot be combined with --limit" in done.stderr
    done = benchgate(repo, "run", "--shard", "3/2")
    assert done.returncode == 2 and "1 <= i <= N" in done.stderr


def test_a_matrix_of_live_shards_then_one_merge_gate_and_comment_job(repo: Path) -> None:
    """What the sharded workflow does, as N processes on one machine: same calls, one comment."""
    import subprocess
    import sys

    from tests.conftest import git, tool_env
    from tests.fakes.github_server import FakeGitHub
    from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer
    from tests.test_ci import BOT, OWNER, PR, REPO, TOKEN, actions_env, ours

    write_project(repo, 120)
    base = commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "README").write_text("a change\n")
    head = commit_all(repo, "head")
    with FakeOpenAIServer(FakeConfig(seed=5, models=("synthetic-judge",))) as server:
        jobs = [
            subprocess.Popen(
                [sys.executable, "-m", "benchgate", "run", "--mode", "live", "--shard", f"{index}/4"],
                cwd=repo,
                env={**tool_env(), "LLM_URL": server.url},  # one cache file, as shards on one runner
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(1, 5)
        ]
        finished = [job.communicate(timeout=120) for job in jobs]
        assert [job.returncode for job in jobs] == [0, 0, 0, 0], finished
        judged = server.stats()["total_requests"]
    live = repo / "data/results/synthetic/live"
    done = benchgate(repo, "merge", "--mode", "live", *map(str, sorted((live / "shards").iterdir())))
    assert done.returncode == 0, done.stderr
    assert len((live / "scores.jsonl").read_text().splitlines()) == 120
    assert json.loads((live / "run.json").read_text())["reliability"]["requests"] == judged
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR)
        env = actions_env(repo, github, base, head)
        done = benchgate(repo, "ci", "--mode", "live", "--no-run", env=env)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        [comment] = ours(github)
    assert "`synthetic` (live)" in str(comment["body"]) and "120 samples" in str(comment["body"])
