"""What a pull request pays: judge calls of a PR that edits some outputs, counted by the fake server.

A synthetic scenario is judged live on `main` and its results committed (as the baseline job
does); a PR branch then edits the stored output of every `n / edited`-th sample. The PR is
run as CI runs it, on a fresh runner without the response cache (so only reuse from the base
saves calls), then once more with the cache the first run left (a re-push with the cache
restored by actions/cache), and the calls reaching the fake server are counted each time.
Usage: python -m benchmarks.pr_cost [--samples 2000] [--edited 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.synthetic import write_project
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer

JUDGE = "synthetic-judge"
RESULTS = "data/results/synthetic/live"
CACHE = ".benchgate/cache.sqlite"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class PRCost:
    """Calls the fake server saw in each run."""

    full: int
    """The base run on main: every judgement."""
    pr_fresh: int
    """The PR's first run, no cache (judgements reused from the base)."""
    pr_again: int
    """The PR's second run, with the first run's cache restored."""
    reused: int
    """Judgements the PR's first run copied from the base (run.json)."""
    seconds: dict[str, float]


def git(root: Path, *args: str) -> None:
    """Run git quietly; fail loudly."""
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def live(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`benchgate run --mode live` as a separate process, as dvc repro runs it."""
    env = {**os.environ, **GIT_ENV, "LLM_URL": url}
    command = [sys.executable, "-m", "benchgate", "run", "--mode", "live", *args]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchgate run failed ({done.returncode}): {done.stderr}")
    return done


def edit_outputs(dataset: Path, every: int) -> list[str]:
    """Change the stored output of every `every`-th sample; returns their ids."""
    lines = dataset.read_text(encoding="utf-8").splitlines()
    edited = []
    for index in range(0, len(lines), every):
        record = json.loads(lines[index])
        record["output"] += " Исправлено в PR."
        lines[index] = json.dumps(record, ensure_ascii=False)
        edited.append(record["id"])
    dataset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return edited


def prepare(root: Path, samples: int) -> Path:
    """A git repository with the synthetic scenario on main; returns the dataset."""
    dataset = write_project(root, samples)
    (root / ".gitignore").write_text(".benchgate/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    return dataset


def measure(root: Path, server: FakeOpenAIServer, samples: int, edited: int) -> PRCost:
    """Base run on main, then the PR's two runs; the server's request counts of each."""
    dataset = prepare(root, samples)
    seconds = {}

    def counted(label: str, *args: str) -> int:
        server.reset_stats()
        started = time.perf_counter()
        live(root, server.url, *args)
        seconds[label] = round(time.perf_counter() - started, 2)
        return int(server.stats()["total_requests"])

    full = counted("full")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "baseline results")
    git(root, "checkout", "-q", "-b", "pr")
    edit_outputs(dataset, samples // edited)
    git(root, "commit", "-q", "-am", "edit outputs")
    (root / CACHE).unlink()  # a fresh runner: nothing cached
    pr_fresh = counted("pr_fresh")
    run = json.loads((root / RESULTS / "run.json").read_text(encoding="utf-8"))
    pr_again = counted("pr_again")
    return PRCost(full, pr_fresh, pr_again, sum(run["reliability"].get("reused", {}).values()), seconds)


def main() -> int:
    """Print the figures for docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--edited", type=int, default=100)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="benchgate-pr-cost-"))
    try:
        with FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as server:
            cost = measure(root, server, args.samples, args.edited)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    share = cost.pr_fresh / cost.full
    print(f"samples {args.samples}, edited {args.edited} ({args.edited / args.samples:.0%})")
    print(f"full run on main:        {cost.full:6d} calls  ({cost.seconds['full']} s)")
    fresh = f"{cost.pr_fresh:6d} calls  = {share:.2%} of full, {cost.reused} reused"
    print(f"PR, fresh runner:        {fresh} ({cost.seconds['pr_fresh']} s)")
    print(f"PR again, cache restored:{cost.pr_again:6d} calls  ({cost.seconds['pr_again']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
