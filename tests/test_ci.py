"""`benchgate ci` in temp git repos with synthetic GitHub events, against the fake GitHub API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from benchmarks.synthetic import break_json, lower_metric, write_project, write_scored_project
from tests.conftest import benchgate, commit_all, git, tool_env
from tests.fakes.github_server import FakeGitHub
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer

OWNER, REPO, PR = "acme", "bench", 7
TOKEN, READ_ONLY = "ghs_write_token_0123456789", "ghs_read_only_0123456789"
BOT = "github-actions[bot]"
MARKER = "<!-- benchgate:synthetic -->"
DATASET = "data/scenarios/synthetic/dataset.jsonl"
HOSTILE = [
    "@someone please look",
    "<img src=x onerror=alert(1)>",
    "[x](http://evil.example)",
    "<!-- benchgate:synthetic -->",
]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    tokens = {TOKEN: {"login": BOT, "write": True}, READ_ONLY: {"login": BOT, "write": False}}
    with FakeGitHub(tokens) as server:  # type: ignore[arg-type]
        server.add_issue(OWNER, REPO, PR)
        yield server


def pull_request(
    repo: Path, n: int = 60, *, lowered: int = 20, outputs: list[str] | None = None
) -> tuple[str, str]:
    """main: base commit with results; feature: head lowering coverage on `lowered` samples."""
    write_project(repo, n)
    assert benchgate(repo, "run").returncode == 0
    base = commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    lower_metric(repo / DATASET, "coverage", lowered, 0.3)
    if outputs:
        lines = (repo / DATASET).read_text(encoding="utf-8").splitlines()
        for index, text in enumerate(outputs):
            record = json.loads(lines[index])
            record["output"] = text
            lines[index] = json.dumps(record, ensure_ascii=False)
        (repo / DATASET).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert benchgate(repo, "run").returncode == 0
    head = commit_all(repo, "head")
    return base, head


def actions_env(repo: Path, github: FakeGitHub, base: str, head: str, token: str = TOKEN) -> dict[str, str]:
    event = repo.parent / "event.json"
    payload = {"number": PR, "pull_request": {"number": PR, "base": {"sha": base}, "head": {"sha": head}}}
    event.write_text(json.dumps(payload))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": f"{OWNER}/{REPO}",
        "GITHUB_API_URL": github.api_url,
        "GITHUB_TOKEN": token,
        "GITHUB_STEP_SUMMARY": str(repo.parent / "summary.md"),
        "GITHUB_OUTPUT": str(repo.parent / "output.txt"),
        "GITHUB_SHA": head,
    }


def ours(github: FakeGitHub) -> list[dict[str, object]]:
    return [c for c in github.comments(OWNER, REPO, PR) if str(c["body"]).startswith(MARKER + "\n")]


def outputs(repo: Path) -> dict[str, str]:
    lines = (repo.parent / "output.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_two_runs_leave_one_comment_updated_in_place_past_150_others(repo: Path, github: FakeGitHub) -> None:
    for i in range(150):
        github.add_comment(OWNER, REPO, PR, f"LGTM {i}", login=f"reviewer{i % 3}")
    base, head = pull_request(repo)
    env = actions_env(repo, github, base, head)
    first = benchgate(repo, "ci", env=env)
    assert first.returncode == 1, first.stdout + first.stderr
    [comment] = ours(github)
    second = benchgate(repo, "ci", env=env)
    assert second.returncode == 1
    [again] = ours(github)
    assert again["id"] == comment["id"]
    assert again["updated_at"] != comment["updated_at"]
    assert len(github.comments(OWNER, REPO, PR)) == 151
    pages = [path for method, path, _ in github.requests if method == "GET" and "/comments" in path]
    assert any("page=2" in path for path in pages), "the second page was read"
    assert outputs(repo)["status"] == "fail"
    assert outputs(repo)["comment-url"] == comment["html_url"]
    assert "::error title=benchgate synthetic%3A coverage fail::" in first.stdout


def test_read_only_token_warns_and_keeps_the_gates_exit_code(repo: Path, github: FakeGitHub) -> None:
    base, head = pull_request(repo)
    done = benchgate(repo, "ci", env=actions_env(repo, github, base, head, token=READ_ONLY))
    assert done.returncode == 1, done.stderr
    assert "::warning title=benchgate::could not comment on PR #7" in done.stdout
    assert "Resource not accessible by integration" in done.stdout
    assert ours(github) == []
    summary = (repo.parent / "summary.md").read_text()
    assert summary.startswith(MARKER) and "| **Overall** |" in summary
    assert READ_ONLY not in done.stdout + done.stderr + summary


def test_hostile_outputs_neither_ping_nor_render_nor_capture_the_comment(
    repo: Path, github: FakeGitHub
) -> None:
    github.add_comment(OWNER, REPO, PR, MARKER + "\nI am a person quoting the marker", login="mallory")
    base, head = pull_request(repo, outputs=HOSTILE)
    env = actions_env(repo, github, base, head)
    assert benchgate(repo, "ci", env=env).returncode == 1
    assert benchgate(repo, "ci", env=env).returncode == 1
    mine = [c for c in ours(github) if c["user"]["login"] == BOT]  # type: ignore[index]
    assert len(mine) == 1
    assert any(
        c["user"]["login"] == "mallory" and "person" in str(c["body"])
        for c in github.comments(OWNER, REPO, PR)
    )
    body = str(mine[0]["body"])
    assert body.count("<!-- benchgate:") == 1
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    inline = [child for token in tokens for child in (token.children or [])]
    assert not [t for t in tokens + inline if t.type in ("link_open", "image")]
    html = [t.content for t in tokens + inline if t.type in ("html_block", "html_inline")]
    assert all(
        h.strip().startswith(("<!-- benchgate:synthetic -->", "<details>", "</details>", "<sub>", "</sub>"))
        for h in html
    )
    for text in [t.content for t in inline if t.type == "text"]:
        assert "@someone" not in text and "evil.example" not in text and "<img" not in text


def test_a_big_scenario_with_many_regressions_fits_one_comment(repo: Path, github: FakeGitHub) -> None:
    base, head = pull_request(repo, n=5000, lowered=3000)
    done = benchgate(repo, "ci", env=actions_env(repo, github, base, head))
    assert done.returncode == 1
    [comment] = ours(github)
    body = str(comment["body"])
    assert len(body.encode("utf-16-le")) // 2 <= 65_536
    assert "## ❌ FAIL · benchgate · `synthetic` (dry-run)" in body
    for metric in ("coverage", "accuracy", "coherence", "informativeness", "latency_s (mean)"):
        assert f"\n| {metric} |" in body
    assert "| **Overall** |" in body


def test_transient_github_failures_are_retried(repo: Path, github: FakeGitHub) -> None:
    base, head = pull_request(repo)
    github.fail_next(2, 502, retry_after=0)
    github.fail_next(1, 403, secondary_rate_limit=True, retry_after=0)
    done = benchgate(repo, "ci", env=actions_env(repo, github, base, head))
    assert done.returncode == 1, done.stderr
    assert len(ours(github)) == 1


def test_push_compares_with_the_previous_commit_and_writes_the_summary(
    repo: Path, github: FakeGitHub
) -> None:
    base, head = pull_request(repo)
    env = actions_env(repo, github, base, head)
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps({"before": base, "after": head}))
    env["GITHUB_EVENT_NAME"] = "push"
    done = benchgate(repo, "ci", env=env)
    assert done.returncode == 1
    gate = json.loads((repo / ".benchgate/ci/gate.json").read_text())["scenarios"]["synthetic"]
    assert gate["base"]["sha"] == base
    assert gate["metrics"]["coverage"]["verdict"] == "regressed"
    assert ours(github) == []
    assert (repo.parent / "summary.md").read_text().startswith(MARKER)


def test_depth_one_clone_of_a_pr_merge_commit_fetches_the_base(
    repo: Path, github: FakeGitHub, tmp_path: Path
) -> None:
    base, head = pull_request(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge feature into main", "feature")
    merge = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", f"refs/pull/{PR}/merge", merge)
    git(repo, "reset", "-q", "--hard", base)
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git(checkout, "init", "-q")
    git(checkout, "remote", "add", "origin", f"file://{repo}")
    git(checkout, "fetch", "-q", "--depth=1", "origin", f"refs/pull/{PR}/merge")
    git(checkout, "checkout", "-q", "FETCH_HEAD")
    assert git(checkout, "rev-parse", "--is-shallow-repository") == "true"
    done = benchgate(checkout, "ci", env=actions_env(checkout, github, base, head))
    assert done.returncode == 1, done.stdout + done.stderr
    gate = json.loads((checkout / ".benchgate/ci/gate.json").read_text())["scenarios"]["synthetic"]
    assert gate["base"]["sha"] == base
    assert gate["metrics"]["coverage"]["verdict"] == "regressed"
    assert gate["samples"]["paired"] == 60


def test_enterprise_api_prefix(repo: Path, tmp_path: Path) -> None:
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}, prefix="/api/v3") as server:  # type: ignore[dict-item]
        server.add_issue(OWNER, REPO, PR)
        base, head = pull_request(repo)
        done = benchgate(repo, "ci", env=actions_env(repo, server, base, head))
        assert done.returncode == 1, done.stderr
        assert len([c for c in server.comments(OWNER, REPO, PR) if str(c["body"]).startswith(MARKER)]) == 1
        assert all(path.startswith("/api/v3/") for _, path, _ in server.requests)


def test_outside_actions_ci_just_runs_and_gates(repo: Path) -> None:
    base, _ = pull_request(repo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    done = subprocess.run(
        ["python", "-m", "benchgate", "ci", "--base", base],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "benchgate ci: FAIL" in done.stdout


def test_the_step_summary_never_exceeds_one_mib(repo: Path, github: FakeGitHub) -> None:
    base, head = pull_request(repo)
    env = actions_env(repo, github, base, head)
    summary = Path(env["GITHUB_STEP_SUMMARY"])
    summary.write_text("x" * (1024 * 1024 - 3000) + "\n")
    done = benchgate(repo, "ci", env=env)
    assert done.returncode == 1
    assert summary.stat().st_size <= 1024 * 1024
    tail = summary.read_text()[1024 * 1024 - 3000 :]
    assert MARKER in tail and "| **Overall** |" in tail


def test_fork_pr_without_an_llm_gates_offline_metrics_and_lists_skipped_judge_metrics(
    repo: Path, github: FakeGitHub
) -> None:
    dataset = write_scored_project(repo, 60, judged=True, overlap=False)
    config = FakeConfig(seed=2, models=("synthetic-judge",))
    with FakeOpenAIServer(config) as server:
        done = benchgate(repo, "run", "--mode", "live", env={"LLM_URL": server.url})
    assert done.returncode == 0, done.stderr
    base = commit_all(repo, "base: live results judged by the LLM")
    git(repo, "checkout", "-q", "-b", "fork-feature")
    break_json(dataset, 6)
    head = commit_all(repo, "fork head: 10% of answers lose their closing brace")

    env = actions_env(repo, github, base, head, token=READ_ONLY)
    env["LLM_URL"] = ""
    done = benchgate(repo, "ci", "--mode", "live", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no LLM endpoint is configured (LLM_URL or llm.url)" in done.stdout
    assert "--offline-only" in done.stdout
    assert "::warning title=benchgate::could not comment on PR #7" in done.stdout

    gate = json.loads((repo / ".benchgate/ci/gate.json").read_text())["scenarios"]["scored"]
    metrics = gate["metrics"]
    assert {m: metrics[m]["verdict"] for m in ("coverage", "accuracy")} == {
        "coverage": "skipped",
        "accuracy": "skipped",
    }
    assert metrics["valid_json"]["verdict"] == "regressed"
    assert metrics["ticket"]["verdict"] == "unchanged"
    assert gate["samples"]["paired"] == 60
    summary = (repo.parent / "summary.md").read_text()
    assert "| coverage | — (skipped) |" in summary and "| accuracy | — (skipped) |" in summary
    for metric in ("coverage", "accuracy"):
        assert f"{metric} skipped, no values: needs an LLM; no LLM endpoint is configured" in summary
    assert "▼ regressed" in summary


def test_ci_passes_offline_only_to_the_dvc_live_stage(clone: Path) -> None:
    params = clone / "params.yaml"
    params.write_text(params.read_text().replace("live: []", "live: [channel_digest_ru]"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "LLM_"))}
    done = subprocess.run(
        [sys.executable, "-m", "benchgate", "ci", "--mode", "live", "--base", "HEAD"],
        cwd=clone,
        env={**tool_env(), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Running stage 'bench-live@channel_digest_ru-live'" in done.stderr
    run = json.loads((clone / "data/results/channel_digest_ru/live/run.json").read_text())
    assert sorted(run["skipped"]) == ["accuracy", "coherence", "coverage", "informativeness"]
    assert "benchgate ci: WARN, the gate passes" in done.stdout
