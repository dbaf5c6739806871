"""Live mode end to end: the real CLI against the fake OpenAI-compatible server, over sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.synthetic import METRICS, write_project
from tests.conftest import benchgate, tool_env
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer

JUDGE = "synthetic-judge"
RESULTS = "data/results/synthetic/live"
CACHE = ".benchgate/cache.sqlite"
KEY = "sk-test-9f8e7d6c5b4a39281706"


def live(root: Path, url: str, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"LLM_URL": url, **({"LLM_API_KEY": key} if key else {})}
    return benchgate(root, "run", "--mode", "live", *args, env=env)


def scores(root: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (root / RESULTS / "scores.jsonl").read_text().splitlines()]


def reliability(root: Path) -> dict[str, object]:
    return dict(json.loads((root / RESULTS / "run.json").read_text())["reliability"])


def cached_replies(root: Path) -> int:
    with sqlite3.connect(root / CACHE) as db:
        return int(db.execute("SELECT count(*) FROM responses").fetchone()[0])


def test_faulty_endpoint_loses_nothing_and_retries_match_the_server(tmp_path: Path) -> None:
    write_project(tmp_path, 500)
    config = FakeConfig(
        seed=3, models=(JUDGE,), p_503=0.10, p_429=0.05, retry_after_s=1.0, p_reset=0.03, p_malformed=0.05
    )
    with FakeOpenAIServer(config) as server:
        done = live(tmp_path, server.url)
        stats = server.stats()
    assert done.returncode == 0, done.stderr
    results = scores(tmp_path)
    assert len(results) == 500
    for record in results:
        judged = set(record.get("scores", {})) | set(record.get("unscored", {}))  # type: ignore[arg-type]
        assert judged == set(METRICS), record
    calls = reliability(tmp_path)
    server_failures = {k: v for k, v in stats["status"].items() if k != "200"}
    assert calls["retries"] == server_failures
    assert calls["requests"] == stats["total_requests"]
    unscored = sum(len(r.get("unscored", {})) for r in results)  # type: ignore[arg-type]
    assert calls["reasks"] + unscored == stats["malformed"], "each unreadable reply is asked again once"
    assert set(server_failures) == {"503", "429", "reset"}

    gate = benchgate(tmp_path, "gate", "--mode", "live")
    assert gate.returncode in (0, 1), gate.stderr
    report = (tmp_path / ".benchgate/reports/synthetic/live/report.md").read_text()
    shown = ", ".join(f"`{k}` ×{v}" for k, v in sorted(server_failures.items()))
    assert f"retried failures by status: {shown}" in report


def test_killed_run_resumes_without_repeating_finished_calls(tmp_path: Path) -> None:
    write_project(tmp_path, 150)
    total_calls = 150 * len(METRICS)
    slow = FakeConfig(seed=4, models=(JUDGE,), service_time_s=0.02, capacity=4, overload="queue")
    with FakeOpenAIServer(slow) as server:
        env = {**tool_env(), "LLM_URL": server.url}
        process = subprocess.Popen(
            [sys.executable, "-m", "benchgate", "run", "--mode", "live"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if cached_replies(tmp_path) >= total_calls // 2:
                    break
            except sqlite3.OperationalError:
                pass  # the run has not created the cache yet
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        finished = cached_replies(tmp_path)
        assert total_calls // 2 <= finished < total_calls
        before = server.stats()["total_requests"]

        resumed = live(tmp_path, server.url)
        assert resumed.returncode == 0, resumed.stderr
        assert server.stats()["total_requests"] - before == total_calls - finished
        assert cached_replies(tmp_path) == total_calls

        again = live(tmp_path, server.url)
        assert again.returncode == 0
        assert server.stats()["total_requests"] - before == total_calls - finished, (
            "a second run made requests"
        )
    assert reliability(tmp_path)["requests"] == 0
    assert reliability(tmp_path)["cache_hits"] == total_calls


@pytest.mark.parametrize(
    ("config", "key", "expected"),
    [
        (FakeConfig(models=(JUDGE,), api_key="the-right-key"), "sk-wrong-0000111122223333", "HTTP 401"),
        (FakeConfig(models=("another-model",)), None, "HTTP 404"),
    ],
)
def test_fatal_answers_end_fast_with_exit_3_and_no_retry_storm(
    tmp_path: Path, config: FakeConfig, key: str | None, expected: str
) -> None:
    write_project(tmp_path, 40)
    with FakeOpenAIServer(config) as server:
        started = time.monotonic()
        done = live(tmp_path, server.url, key=key)
        elapsed = time.monotonic() - started
        requests = server.stats()["total_requests"]
    assert done.returncode == 3
    assert elapsed < 10
    assert requests <= 8, "at most the first wave of concurrent requests"
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("benchgate: error: LLM endpoint http://127.0.0.1:")
    assert expected in lines[-1] and f"'{JUDGE}'" in lines[-1]
    assert "Traceback" not in done.stderr
    if key:
        assert key not in done.stderr + done.stdout


def test_unreachable_endpoint_ends_with_exit_3_after_bounded_retries(tmp_path: Path) -> None:
    write_project(tmp_path, 25)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    done = live(tmp_path, f"http://127.0.0.1:{port}/v1")
    assert done.returncode == 3, done.stderr
    assert time.monotonic() - started < 15
    assert "still failing after retries" in done.stderr and "connect" in done.stderr.lower()


def test_the_api_key_never_leaves_the_authorization_header(tmp_path: Path) -> None:
    write_project(tmp_path, 30)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,), api_key=KEY)) as server:
        run = live(tmp_path, server.url, key=KEY)
        gate = benchgate(tmp_path, "gate", "--mode", "live")
        wrong = live(tmp_path, server.url, "--no-cache", key=KEY[:-1] + "X")
    assert run.returncode == 0, run.stderr
    assert wrong.returncode == 3
    outputs = run.stdout + run.stderr + gate.stdout + gate.stderr + wrong.stdout + wrong.stderr
    assert KEY not in outputs and KEY[:-1] not in outputs
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "cache.sqlite" for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path


def test_llama_cpp_style_format_rejection_is_negotiated_once_and_remembered(tmp_path: Path) -> None:
    write_project(tmp_path, 30)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,), reject_json_schema=True)) as server:
        first = live(tmp_path, server.url)
        rejected = server.stats()["status"].get("500", 0)
        second = live(tmp_path, server.url, "--limit", "30")
        after = server.stats()
    assert first.returncode == 0, first.stderr
    assert rejected == 1, "one call learns the format; the others wait for it"
    assert after["status"].get("500", 0) == rejected
    assert second.returncode == 0
    with sqlite3.connect(tmp_path / CACHE) as db:
        assert db.execute("SELECT mode FROM formats").fetchall() == [("json_object",)]
    assert all(set(r["scores"]) == set(METRICS) for r in scores(tmp_path))  # type: ignore[arg-type]


def test_prompt_edit_reruns_generation_and_judging_in_the_live_stage(tmp_path: Path) -> None:
    from tests.conftest import ROOT, commit_all, dvc, git

    write_project(tmp_path, 25)
    params = (tmp_path / "params.yaml").read_text()
    params = params.replace(
        f"    judge: {{model: {JUDGE}}}\n",
        f"    judge: {{model: {JUDGE}}}\n    generator: {{model: synthetic-gen}}\n",
    )
    (tmp_path / "params.yaml").write_text(params + "live: [synthetic]\n")
    stages = (ROOT / "dvc.yaml").read_text().replace("      - benchgate\n", "")  # no package code here
    (tmp_path / "dvc.yaml").write_text(stages)
    git(tmp_path, "init", "-q", "-b", "main")
    assert dvc(tmp_path, "init", "-q").returncode == 0
    with FakeOpenAIServer(FakeConfig(models=(JUDGE, "synthetic-gen"))) as server:
        env = {"LLM_URL": server.url}
        first = dvc(tmp_path, "repro", env=env)
        assert first.returncode == 0, first.stderr
        assert "Running stage 'bench@synthetic-dry-run'" in first.stdout
        assert "Running stage 'bench-live@synthetic-live'" in first.stdout
        commit_all(tmp_path, "both stages")
        assert dvc(tmp_path, "repro", env=env).stdout.count("Running stage") == 0
        before = server.stats()["total_requests"]

        prompt = tmp_path / "data/scenarios/synthetic/prompt.md"
        prompt.write_text(prompt.read_text() + "Пиши короче.\n")
        again = dvc(tmp_path, "repro", env=env)
        assert again.returncode == 0, again.stderr
        assert "Running stage 'bench-live@synthetic-live'" in again.stdout
        made = server.stats()["total_requests"] - before
    assert made == 25 * (1 + len(METRICS)), "every sample generated and judged again"
    generated = scores(tmp_path)
    assert all(isinstance(r["output"], str) and r["output"] for r in generated)
    assert all(isinstance(r["latency_s"], float) for r in generated)


def test_a_key_with_a_line_break_is_refused_before_any_request(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,))) as server:
        done = live(tmp_path, server.url, key="sk-abc\nX-Injected: 1")
        assert server.stats()["total_requests"] == 0
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "benchgate: error: LLM_API_KEY contains a control character or line break; check how it is set"
    )


def test_repeated_judgements_are_averaged_and_priced(tmp_path: Path) -> None:
    write_project(tmp_path, 20)
    params = (tmp_path / "params.yaml").read_text()
    params = params.replace(
        f"judge: {{model: {JUDGE}}}", f"judge: {{model: {JUDGE}, samples: 3, temperature: 0.7}}"
    )
    params += f"llm:\n  prices:\n    {JUDGE}: {{prompt_per_mtok: 2.5, completion_per_mtok: 10}}\n"
    (tmp_path / "params.yaml").write_text(params)
    with FakeOpenAIServer(FakeConfig(models=(JUDGE,))) as server:
        done = live(tmp_path, server.url)
        seeds = {json.dumps(b) for b in server.stats()["by_body"]}
        requests = server.stats()["total_requests"]
    assert done.returncode == 0, done.stderr
    assert requests == 20 * len(METRICS) * 3
    assert len(seeds) == requests, "each repeat is its own request (seed + repeat index)"
    calls = reliability(tmp_path)
    expected = (calls["prompt_tokens"] * 2.5 + calls["completion_tokens"] * 10) / 1e6  # type: ignore[operator]
    assert calls["cost_usd"] == round(expected, 4)
    assert calls["cost_usd"] > 0  # type: ignore[operator]
    for record in scores(tmp_path):
        for value in record["scores"].values():  # type: ignore[union-attr]
            assert round(value * 12) == value * 12, "mean of three scores on the 0, .25, ... 1 scale"
