"""Pairwise metrics end to end: real git, real `dvc repro`, the fake judge over 127.0.0.1 sockets.

The fake pairwise judge prefers the answer that carries a marker and, on a configured share of
calls, names the first slot whatever the answers say. The base commit's 60 outputs all carry
the marker; the head drops it from 30, so the head loses those 30 pairs (those the judge
reads position-first in one order become inconsistent ties) and the other 30 are
byte-identical: ties that are never sent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import benchgate, commit_all, dvc, git
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer, make_pairwise_responder

N = 60
WORSE = 30
MARKER = "[checked]"
BIAS = 0.3
RESULTS = "data/results/support/live"
REPORT = ".benchgate/reports/support/live/report.md"
PARAMS = """\
scenarios:
  support:
    dataset: data/dataset.jsonl
    prompt: data/prompt.md
    prompt_version: v1
    model: candidate
    judge: {model: judge-model}
    metrics:
      vs_base:
        pass: 0.4
        warn: 0.3
        scorer: {type: pairwise, rubric: "Which answer helps the customer more?"}
gate: {min_samples: 20}
live: [support]
"""
DVC_YAML = """\
stages:
  bench-live:
    matrix:
      scenario: ${live}
      mode: [live]
    cmd: benchgate run --scenario ${item.scenario} --mode ${item.mode}
    deps:
      - data/dataset.jsonl
      - data/prompt.md
    params:
      - scenarios.${item.scenario}
    metrics:
      - data/results/${item.scenario}/${item.mode}/metrics.json:
          cache: false
    outs:
      - data/results/${item.scenario}/${item.mode}/scores.jsonl:
          cache: false
      - data/results/${item.scenario}/${item.mode}/run.json:
          cache: false
"""


def write_dataset(root: Path, worse: int) -> None:
    lines = []
    for i in range(N):
        output = f"Answer number {i}: reset the router." + ("" if i < worse else f" {MARKER}")
        lines.append(json.dumps({"id": f"q{i:03d}", "input": f"Question {i}", "output": output}))
    (root / "data/dataset.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def base_commit(root: Path) -> None:
    (root / "data").mkdir()
    (root / "params.yaml").write_text(PARAMS, encoding="utf-8")
    (root / "dvc.yaml").write_text(DVC_YAML, encoding="utf-8")
    (root / "data/prompt.md").write_text("Answer the customer: {{input}}\n", encoding="utf-8")
    write_dataset(root, worse=0)
    assert dvc(root, "init", "-q").returncode == 0
    commit_all(root, "base: every answer checked")
    git(root, "checkout", "-q", "-b", "pr")


def judged(root: Path, bias: float) -> tuple[int, dict[str, object], str, int]:
    """(gate exit code, gate.json, report.md, requests the judge received) after `dvc repro`."""
    with FakeOpenAIServer(
        FakeConfig(models=("judge-model",)), responder=make_pairwise_responder(MARKER, bias)
    ) as server:
        estimate = benchgate(root, "run", "--mode", "live", "--estimate", env={"LLM_URL": server.url})
        assert estimate.returncode == 0, estimate.stderr
        assert server.stats()["total_requests"] == 0, "an estimate sends nothing"
        repro = dvc(root, "repro", env={"LLM_URL": server.url})
        assert repro.returncode == 0, repro.stdout + repro.stderr
        requests = int(server.stats()["total_requests"])
        again = benchgate(root, "run", "--mode", "live", env={"LLM_URL": server.url})
        assert again.returncode == 0, again.stderr
        assert server.stats()["total_requests"] == requests, "every call of both orders is cached"
        cached = benchgate(root, "run", "--mode", "live", "--estimate", env={"LLM_URL": server.url})
    planned = f"{requests:,} calls: {requests:,} to send, 0 from the cache"
    assert planned in estimate.stdout, ("2 x changed pairs, counted before sending", estimate.stdout)
    assert f"{requests:,} calls: 0 to send, {requests:,} from the cache" in cached.stdout, cached.stdout
    gate = benchgate(root, "gate", "--mode", "live", "--json", "gate.json")
    assert gate.returncode in (0, 1), gate.stderr
    report = (root / REPORT).read_text(encoding="utf-8")
    return gate.returncode, json.loads((root / "gate.json").read_text()), report, requests


def test_a_head_worse_on_half_the_samples_regresses_and_identical_outputs_cost_nothing(repo: Path) -> None:
    base_commit(repo)
    write_dataset(repo, worse=WORSE)
    commit_all(repo, "head: half the answers lose their check")

    code, result, report, requests = judged(repo, BIAS)

    assert requests == 2 * WORSE, "two orders per changed pair, nothing for the identical ones"
    assert code == 1, result["reasons"]
    metric = result["metrics"]["vs_base"]  # type: ignore[index]
    assert metric["verdict"] == "regressed"
    assert metric["identical"] == N - WORSE and metric["judged"] == WORSE
    assert metric["wins"] == 0 and metric["losses"] + metric["inconsistent"] == WORSE
    assert metric["ties"] == N - WORSE
    assert metric["value"] == round((metric["ties"] + metric["inconsistent"]) * 0.5 / N, 6)
    low, high = metric["position_bias_ci"]
    assert low <= BIAS <= high, (metric["position_bias"], low, high)
    assert metric["position_bias"] == round(metric["inconsistent"] / WORSE, 6)
    assert metric["pairwise_base"] == git(repo, "rev-parse", "main")
    kinds = {(r["kind"], r.get("metric")) for r in result["reasons"]}  # type: ignore[union-attr]
    assert ("regression", "vs_base") in kinds
    assert "| vs_base |" in report and "win rate" in report
    assert f"{metric['losses']} lost" in report
    assert "Most-lost pairs" in report and MARKER in report
    page = (repo / REPORT).with_suffix(".html").read_text(encoding="utf-8")
    assert "Most-lost pairs" in page and "win rate" in page and MARKER in page


def test_byte_identical_outputs_make_no_call_and_are_unchanged(repo: Path) -> None:
    base_commit(repo)
    (repo / "data/prompt.md").write_text("Answer the customer kindly: {{input}}\n", encoding="utf-8")
    commit_all(repo, "head: a prompt edit that changes no stored output")

    code, result, _, requests = judged(repo, BIAS)

    assert requests == 0
    assert code == 0, result["reasons"]
    metric = result["metrics"]["vs_base"]  # type: ignore[index]
    assert metric["verdict"] == "unchanged" and metric["value"] == 0.5
    assert metric["identical"] == N and metric["judged"] == 0 and metric["position_bias"] is None


def test_dry_run_skips_a_pairwise_metric(repo: Path) -> None:
    base_commit(repo)
    done = benchgate(repo, "run", "--mode", "dry-run")
    assert done.returncode == 0, done.stderr
    info = json.loads((repo / "data/results/support/dry-run/run.json").read_text())
    assert "vs_base" in info["skipped"] and "pairwise_base" not in info
    assert info["scorers"]["vs_base"]["type"] == "pairwise" and info["scorers"]["vs_base"]["needs_llm"]


def test_scored_and_pairwise_calls_each_find_the_reply_format_once(repo: Path) -> None:
    """A server that refuses JSON Schema output costs one refused request per kind of call, not one
    per concurrent call: scored and pairwise requests carry different schemas, and a server may
    take one and refuse the other, so each kind finds its own format."""
    base_commit(repo)
    params = repo / "params.yaml"
    params.write_text(
        params.read_text().replace("    metrics:\n", "    metrics:\n      helpful: {pass: 0.5, warn: 0.4}\n")
    )
    write_dataset(repo, worse=WORSE)
    commit_all(repo, "head: a judged metric beside the pairwise one")
    config = FakeConfig(models=("judge-model",), reject_json_schema=True)
    with FakeOpenAIServer(config, responder=make_pairwise_responder(MARKER)) as server:
        env = {"LLM_URL": server.url}
        estimate = benchgate(repo, "run", "--mode", "live", "--estimate", "--no-cache", env=env)
        planned = re.search(r"([\d,]+) calls: ", estimate.stdout)
        assert planned is not None, estimate.stdout + estimate.stderr
        done = benchgate(repo, "run", "--mode", "live", "--no-cache", env=env)
        assert done.returncode == 0, done.stderr
        sent = int(server.stats()["total_requests"])
    assert int(planned[1].replace(",", "")) == N + 2 * WORSE
    assert sent == N + 2 * WORSE + 2, "one refused request per kind of call"
