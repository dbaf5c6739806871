"""Scorers end to end: real git repositories, the real CLI, no network unless a fake server is started."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.synthetic import break_json, write_scored_project
from tests.conftest import benchgate, commit_all
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer
from tests.scorers.test_registry import PLUGIN, install_plugin

RESULTS = "data/results/scored/dry-run"
GATE_JSON = ".benchgate/reports/scored/dry-run/gate.json"
REPORT = ".benchgate/reports/scored/dry-run/report.md"


@functools.cache
def can_unshare() -> bool:
    """Whether this machine lets us run a process in a network namespace of its own (no interfaces up)."""
    tool = shutil.which("unshare")
    return (
        tool is not None
        and subprocess.run([tool, "-n", "true"], capture_output=True, check=False).returncode == 0
    )


def offline(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`benchgate` with no network at all when the machine allows it (a fresh network namespace)."""
    if not can_unshare():
        return benchgate(cwd, *args)
    return subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "benchgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def read(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_mixed_scorers_gate_offline_and_catch_json_broken_on_ten_percent(repo: Path) -> None:
    dataset = write_scored_project(repo, 60, traps=2)
    assert all("ground_truth" not in json.loads(line) for line in dataset.read_text().splitlines())
    done = offline(repo, "run")
    assert done.returncode == 0, done.stdout + done.stderr
    commit_all(repo, "base: valid JSON everywhere")
    broken = break_json(dataset, 6)
    done = offline(repo, "run")
    assert done.returncode == 0, done.stderr
    commit_all(repo, "head: 10% of outputs lose their closing brace")

    done = offline(repo, "gate", "--base", "HEAD~1")
    assert done.returncode == 1, done.stdout + done.stderr
    result = read(repo / GATE_JSON)
    metrics: dict[str, dict[str, object]] = result["metrics"]  # type: ignore[assignment]
    assert metrics["valid_json"]["verdict"] == "regressed"
    assert metrics["valid_json"]["value"] == 0.9
    assert metrics["valid_json"]["delta"] == -0.1
    assert metrics["valid_json"]["status"] == "fail"
    assert metrics["ticket"]["verdict"] == "unchanged", "the ticket is still there"
    assert metrics["policy"]["verdict"] == "unchanged"
    assert (metrics["policy"]["n"], metrics["policy"]["unscored"]) == (58, 2)
    assert {w["id"] for w in result["worst"]} == set(broken)  # type: ignore[attr-defined]
    assert result["status"] == "fail"

    reliability: dict[str, object] = result["reliability"]  # type: ignore[assignment]
    items = reliability["unscored_items"]
    assert [(i["id"], i["metric"], i["reason"]) for i in items] == [  # type: ignore[attr-defined]
        (f"q{n:07d}", "policy", f"RuntimeError: policy check crashed on q{n:07d}") for n in (0, 1)
    ]
    assert reliability["unscored"] == 2
    report = (repo / REPORT).read_text(encoding="utf-8")
    assert "Unscored judgements (2 of 2 shown)" in report
    assert "RuntimeError: policy check crashed on q0000000" in report
    assert "| valid_json | 0.900" in report and "▼ regressed" in report

    run = read(repo / RESULTS / "run.json")
    assert run["endpoint"] is None and run["skipped"] == {}
    assert run["reliability"]["requests"] == 0  # type: ignore[index]
    scorers: dict[str, dict[str, object]] = run["scorers"]  # type: ignore[assignment]
    assert {m: s["type"] for m, s in scorers.items()} == {
        "valid_json": "json_schema",
        "ticket": "regex",
        "exact": "exact_match",
        "overlap": "chrf",
        "policy": "python",
    }
    assert scorers["policy"]["version"] == "1"
    assert scorers["overlap"]["package"].startswith("sacrebleu ")  # type: ignore[attr-defined]
    first = json.loads((repo / RESULTS / "scores.jsonl").read_text().splitlines()[0])
    assert first["notes"]["valid_json"].startswith("not JSON: ")


def test_a_changed_scorer_is_not_paired_with_the_base(repo: Path) -> None:
    write_scored_project(repo, 40)
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "base")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("normalise: [case, whitespace]", "normalise: [whitespace]"))
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "head: exact match becomes case-sensitive")

    done = benchgate(repo, "gate", "--base", "HEAD~1")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read(repo / GATE_JSON)["metrics"]
    exact = metrics["exact"]  # type: ignore[index]
    assert (exact["verdict"], exact["no_baseline"]) == ("no-baseline", "scorer-changed")
    assert exact["status"] == "warn"
    assert exact["delta"] is None, "a drop caused by the new scorer is not reported as a regression"
    assert metrics["ticket"]["verdict"] == "unchanged"  # type: ignore[index]
    said = "exact is not compared with the base: its scorer changed (exact_match (version 1, config"
    assert said in done.stdout
    assert "— no baseline (scorer changed)" in (repo / REPORT).read_text(encoding="utf-8")


def test_an_installed_scorer_runs_end_to_end(repo: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, PLUGIN)
    write_scored_project(repo, 30)
    params = repo / "params.yaml"
    text = params.read_text().replace(
        "      latency_s:",
        "      brevity:    {pass: 0.9, scorer: {type: word_budget, limit: 10}}\n      latency_s:",
    )
    params.write_text(text)

    missing = benchgate(repo, "validate")
    assert missing.returncode == 2
    assert "unknown scorer type 'word_budget'" in missing.stderr

    env = {"PYTHONPATH": str(site)}
    assert benchgate(repo, "validate", env=env).returncode == 0
    done = benchgate(repo, "run", env=env)
    assert done.returncode == 0, done.stderr
    run = read(repo / RESULTS / "run.json")
    assert run["scorers"]["brevity"] == {  # type: ignore[index]
        "type": "word_budget",
        "version": "2.4.0",
        "config_sha256": run["scorers"]["brevity"]["config_sha256"],  # type: ignore[index]
        "needs_llm": False,
        "package": "acme_scorers 2.4.0",
    }
    summary = read(repo / RESULTS / "metrics.json")["brevity"]
    assert summary["value"] == 1.0 and summary["n"] == 30  # type: ignore[index]
    gate = benchgate(repo, "gate", env=env)
    assert gate.returncode == 0, gate.stderr


def test_live_without_an_endpoint_is_refused_unless_offline_only(repo: Path) -> None:
    write_scored_project(repo, 30, judged=True)
    refused = benchgate(repo, "run", "--mode", "live")
    assert refused.returncode == 2
    assert "--offline-only" in refused.stderr
    done = benchgate(repo, "run", "--mode", "live", "--offline-only")
    assert done.returncode == 0, done.stderr
    assert "coverage         skipped: needs an LLM; no LLM endpoint is configured" in done.stdout
    live = "data/results/scored/live"
    run = read(repo / live / "run.json")
    assert set(run["skipped"]) == {"coverage", "accuracy"}  # type: ignore[arg-type]
    assert run["judge"] == "none"
    summaries = read(repo / live / "metrics.json")
    skipped = run["skipped"]["coverage"]  # type: ignore[index]
    assert summaries["coverage"] == {"n": 0, "unscored": 0, "skipped": skipped}
    assert summaries["valid_json"]["value"] == 1.0  # type: ignore[index]
    record = json.loads((repo / live / "scores.jsonl").read_text().splitlines()[0])
    assert "coverage" not in record["scores"] and "coverage" not in record.get("unscored", {})

    gate = benchgate(repo, "gate", "--mode", "live")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    result = read(repo / ".benchgate/reports/scored/live/gate.json")
    coverage = result["metrics"]["coverage"]  # type: ignore[index]
    assert (coverage["verdict"], coverage["status"], coverage["value"]) == ("skipped", "warn", None)
    assert result["status"] == "warn"
    assert result["reliability"]["judgements"] == 30 * 5  # type: ignore[index]
    skipped = [(r["metric"], r["message"]) for r in result["reasons"] if r["kind"] == "skipped"]  # type: ignore[union-attr, index]
    assert skipped == [(m, f"{m} skipped, no values: {run['skipped'][m]}") for m in ("coverage", "accuracy")]  # type: ignore[index]

    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("gate: {", "gate: {on_skipped: fail, "))
    assert benchgate(repo, "gate", "--mode", "live").returncode == 1
    params.write_text(params.read_text().replace("on_skipped: fail", "on_skipped: ignore"))
    assert benchgate(repo, "gate", "--mode", "live").returncode == 0
    result = read(repo / ".benchgate/reports/scored/live/gate.json")
    assert result["metrics"]["coverage"]["verdict"] == "skipped"  # type: ignore[index]
    assert result["status"] == "warn", "still warned: there is no baseline"


def test_live_judges_only_judge_metrics_and_scores_the_generated_output(repo: Path) -> None:
    write_scored_project(repo, 20, judged=True, overlap=False)
    params = repo / "params.yaml"
    text = params.read_text().replace(
        "    judge: {model: synthetic-judge}\n",
        "    judge: {model: synthetic-judge}\n    generator: {model: synthetic-generator}\n",
    )
    text = text.replace(
        "      latency_s:",
        '      digest:     {pass: 0.9, scorer: {type: contains, value: "Дайджест:"}}\n      latency_s:',
    )
    params.write_text(text)
    assert benchgate(repo, "run").returncode == 0
    dry = read(repo / RESULTS / "metrics.json")
    assert dry["digest"]["value"] == 0.0, "the stored outputs are JSON answers"  # type: ignore[index]

    config = FakeConfig(seed=5, models=("synthetic-judge", "synthetic-generator"))
    with FakeOpenAIServer(config) as server:
        done = benchgate(repo, "run", "--mode", "live", env={"LLM_URL": server.url})
        stats = server.stats()
    assert done.returncode == 0, done.stderr
    assert stats["total_requests"] == 20 + 20 * 2, "one generation and one call per judge metric"
    live = read(repo / "data/results/scored/live/metrics.json")
    assert live["digest"]["value"] == 1.0, "scored on what the generator wrote"  # type: ignore[index]
    assert live["valid_json"]["value"] == 0.0  # type: ignore[index]
    assert live["coverage"]["n"] == 20  # type: ignore[index]
