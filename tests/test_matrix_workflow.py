"""The sharded workflow, job by job, as N processes on one machine: the YAML's own steps run.

Each job gets its own clone (as each runner gets its own checkout) and its own temp
directory; artifacts travel through the simulated runner's store. The merged results must
be the committed unsharded ones, byte for byte, and the gate and comment those of one job.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from benchmarks.synthetic import lower_metric, write_project
from tests.actions_runner import Runner
from tests.conftest import ROOT, benchgate, commit_all, git, tool_env
from tests.fakes.github_server import FakeGitHub
from tests.test_action import runner_path, runner_shims
from tests.test_ci import BOT, OWNER, PR, REPO, TOKEN, actions_env, ours

WORKFLOW = YAML(typ="safe").load((ROOT / ".github/workflows/benchgate-sharded.yml").read_text())
DATASET = "data/scenarios/synthetic/dataset.jsonl"
SHARDS = 4


def job_context(job: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a job's expressions see: the workflow_call inputs (defaults, shards given), runner.temp."""
    inputs = WORKFLOW["on"]["workflow_call"]["inputs"]
    context = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in inputs.items()}
    context["inputs.shards"] = str(SHARDS)
    temp = tmp_path / f"temp-{job}"
    temp.mkdir()
    context.update(
        {"runner.temp": str(temp), "github.token": TOKEN, "secrets.LLM_URL": "", "secrets.LLM_API_KEY": ""}
    )
    context.update(extra)
    return context


def run_job(runner: Runner, job: dict[str, Any], workspace: Path, context: dict[str, str]) -> int:
    """A job's steps in order in `workspace`; a failing step skips the rest (none asks otherwise)."""
    for step in job["steps"]:
        code = runner.step(step, workspace, context)
        if code:
            return code
    return 0


def test_the_sharded_workflow_merges_to_the_unsharded_run_and_comments_once(
    repo: Path, tmp_path: Path
) -> None:
    write_project(repo, 400)
    assert benchgate(repo, "run").returncode == 0
    base = commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    lower_metric(repo / DATASET, "coverage", 60, 0.3)
    assert benchgate(repo, "run").returncode == 0  # the unsharded results, committed with the head
    head = commit_all(repo, "head")
    runner_shims(tmp_path / "shims", tmp_path / "installs.txt")
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR)
        env = {**tool_env(), **actions_env(repo, github, base, head), "GITHUB_ACTION_PATH": str(ROOT)}
        env["PATH"] = runner_path(tmp_path / "shims")

        def clone(name: str) -> Path:
            workspace = tmp_path / name
            git(tmp_path, "clone", "-q", str(repo), str(workspace))
            return workspace

        plan = job_context("plan", tmp_path)
        assert run_job(Runner(env, artifacts), WORKFLOW["jobs"]["plan"], tmp_path, plan) == 0
        matrix = WORKFLOW["jobs"]["shard"]["strategy"]["matrix"]
        assert matrix["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
        indices = json.loads(plan["steps.plan.outputs.shards"])
        assert indices == [1, 2, 3, 4]

        def shard_job(index: int) -> tuple[int, Runner]:
            runner = Runner(env, artifacts)
            context = job_context(f"shard-{index}", tmp_path, **{"matrix.shard": str(index)})
            return run_job(runner, WORKFLOW["jobs"]["shard"], clone(f"shard-{index}"), context), runner

        with ThreadPoolExecutor(max_workers=SHARDS) as pool:  # the matrix's jobs run at once
            jobs = list(pool.map(shard_job, indices))
        assert [code for code, _ in jobs] == [0] * SHARDS, [r.logs[-1].stderr for _, r in jobs]
        gate = Runner(env, artifacts)
        for _, runner in jobs:
            gate.uploaded.update(runner.uploaded)
        assert sorted(gate.uploaded) == [f"benchgate-shard-{i}-of-4" for i in indices]
        assert all(
            files
            == [
                f"synthetic/{name.split('-', 2)[2]}/{f}" for f in ("metrics.json", "run.json", "scores.jsonl")
            ]
            for name, files in gate.uploaded.items()
        )
        workspace = clone("gate")
        context = job_context("gate", tmp_path)
        code = run_job(gate, WORKFLOW["jobs"]["gate"], workspace, context)
        assert code == 1, gate.logs[-1].stdout + gate.logs[-1].stderr  # the head's regression fails the gate
        assert context["steps.bench.outputs.status"] == "fail"
        [comment] = ours(github)
    # Merged back byte for byte: the work tree equals the committed unsharded results.
    assert git(workspace, "status", "--porcelain", "data/results") == ""
    assert "400 samples" in str(comment["body"])
    assert gate.uploaded["benchgate-report-dry-run"] == [
        "ci/junit.xml",
        "reports/synthetic/dry-run/report.html",
    ]
    # The gate of the merged shards is the gate of one unsharded job on the same commit.
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR)
        alone = benchgate(repo, "ci", "--no-run", env=actions_env(repo, github, base, head))
        assert alone.returncode == 1, alone.stderr
        [unsharded] = ours(github)
    assert unsharded["body"] == comment["body"]
    merged = (workspace / ".benchgate/ci/gate.json").read_bytes()
    assert merged == (repo / ".benchgate/ci/gate.json").read_bytes()


def test_gating_without_the_shards_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    write_project(repo, 40)
    (tmp_path / "empty").mkdir()
    done = benchgate(repo, "ci", "--shards-dir", str(tmp_path / "empty"), env={"GITHUB_ACTIONS": ""})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"benchgate: error: {tmp_path / 'empty'}: no shards of scenario synthetic "
        "(expected synthetic/<i>-of-<N>/ in it)"
    )
