"""Live shards merged back give the unsharded run's bytes, with reuse from the base and a pairwise metric.

A real git repository: `main` holds committed live results of 80 samples; the PR edits a
few outputs (some lose the marker the fake pairwise judge prefers, some are reworded, one is
blanked) and adds two samples. The PR is then judged once unsharded and once as 4 shard
processes merged: judgements of unchanged outputs are copied from the base, the rest asked,
and the pairwise metric judges the changed pairs in both orders. The fake server injects 503s
and unreadable replies, so retries and re-asks are counted too, and a price makes the run's
cost part of run.json (a price at which adding the shards' rounded costs is $0.0001 off). The
base's `helpful` judgements of shard 1's samples are unreadable replies, so that shard reuses
`accurate` only.

Each run gets a fresh fake server on the same port: the judge endpoint (its port included) is
part of every reuse fingerprint, and the server decides faults by how often it saw a body,
so a server kept across runs would give the second run other faults than the first.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from pathlib import Path

from benchgate.results import Shard
from benchgate.shards import belongs
from tests.conftest import benchgate, commit_all, git, tool_env
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer, make_pairwise_responder

N = 80
MARKER = "[checked]"
SEED = 11
RESULTS = "data/results/support/live"
REPORT = ".benchgate/reports/support/live/report.md"
FILES = ("scores.jsonl", "metrics.json", "run.json")
PARAMS = """\
scenarios:
  support:
    dataset: data/dataset.jsonl
    prompt: data/prompt.md
    prompt_version: v1
    model: candidate
    judge: {model: judge-model}
    metrics:
      helpful:  {pass: 0.5, description: "does the answer help the customer?"}
      accurate: {pass: 0.5, description: "is every statement in the answer correct?"}
      vs_base:
        pass: 0.3
        scorer: {type: pairwise, rubric: "Which answer helps the customer more?"}
      latency_s: {pass: 210, direction: lower}
gate: {min_samples: 20}
llm:
  prices: {judge-model: {prompt_per_mtok: 100.7, completion_per_mtok: 411.7}}
"""
CONFIG = FakeConfig(
    seed=SEED, models=("judge-model",), p_503=0.05, p_malformed=0.1, p_truncated=0.1, retry_after_s=0.0
)


def sample(i: int, output: str) -> str:
    return json.dumps({"id": f"q{i:03d}", "input": f"Question {i}", "output": output, "latency_s": 100.0 + i})


def answer(i: int) -> str:
    return f"Answer number {i}: reset the router. {MARKER}"


def pr_dataset() -> list[str]:
    """The base's samples with 6 outputs made worse, 4 reworded, 1 blanked, and 2 samples added."""
    lines = []
    for i in range(N):
        output = answer(i)
        if i < 6:
            output = output.replace(MARKER, "")
        elif i < 10:
            output = f"Number {i}: switch the router off and on. {MARKER}"
        elif i == 10:
            output = ""
        lines.append(sample(i, output))
    return [*lines, sample(N, answer(N)), sample(N + 1, answer(N + 1).replace(MARKER, ""))]


def unreadable_in_base(scores: Path, metric: str, shard: Shard) -> None:
    """Make the base's `metric` judgements of one shard's samples unreadable replies, never reused.

    That shard then reuses only the other metric, so its counts list the metrics in another
    order than the run's; the merge must still write them in params order.
    """
    lines = []
    for line in scores.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if belongs(record["id"], shard) and metric in record["scores"]:
            del record["scores"][metric]
            record.get("reasons", {}).pop(metric, None)
            record.setdefault("unscored", {})[metric] = "judge reply unreadable: no score found"
            record.setdefault("replies", {})[metric] = "I cannot say."
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    scores.write_text("\n".join(lines) + "\n", encoding="utf-8")


def serving(port: int = 0) -> FakeOpenAIServer:
    return FakeOpenAIServer(CONFIG, make_pairwise_responder(MARKER, 0.3, seed=SEED), port=port)


def live(repo: Path, url: str, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "benchgate", "run", "--mode", "live", "--no-cache", *args]
    env = {**tool_env(), "LLM_URL": url}
    return subprocess.Popen(
        command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(*jobs: subprocess.Popen[str]) -> None:
    outputs = [job.communicate(timeout=120) for job in jobs]
    assert [job.returncode for job in jobs] == [0] * len(jobs), outputs


def files_of(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in FILES}


def differences(name: str, whole: bytes, merged: bytes) -> str:
    lines = difflib.unified_diff(whole.decode().splitlines(), merged.decode().splitlines(), lineterm="", n=1)
    return "\n".join([name, *list(lines)[2:42]])


def gate(repo: Path, base: str, name: str) -> tuple[bytes, bytes]:
    """gate.json and report.md of a gate of the results in place."""
    done = benchgate(repo, "gate", "--mode", "live", "--base", base, "--json", name)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return (repo / name).read_bytes(), (repo / REPORT).read_bytes()


def test_four_live_shards_with_reuse_and_pairwise_merge_to_the_unsharded_bytes(repo: Path) -> None:
    (repo / "data").mkdir()
    (repo / "params.yaml").write_text(PARAMS, encoding="utf-8")
    (repo / "data/prompt.md").write_text("Answer the customer: {{input}}\n", encoding="utf-8")
    (repo / ".gitignore").write_text(".benchgate/\n/*.json\n", encoding="utf-8")
    dataset = repo / "data/dataset.jsonl"
    dataset.write_text("".join(sample(i, answer(i)) + "\n" for i in range(N)), encoding="utf-8")
    with serving() as server:
        port, url = server.port, server.url
        finish(live(repo, url))
    unreadable_in_base(repo / RESULTS / "scores.jsonl", "helpful", Shard(index=1, count=4))
    base = commit_all(repo, "base: live results of every answer")
    git(repo, "checkout", "-q", "-b", "pr")
    dataset.write_text("\n".join(pr_dataset()) + "\n", encoding="utf-8")
    commit_all(repo, "head: a few answers changed, two added")
    results = repo / RESULTS

    with serving(port) as server:
        finish(live(repo, url))
        unsharded_requests = server.stats()["total_requests"]
    whole = files_of(results)
    whole_gate = gate(repo, base, "whole.json")

    git(repo, "checkout", "-q", "HEAD", "--", RESULTS)  # the base's results, as a fresh runner has them
    with serving(port) as server:
        finish(*(live(repo, url, "--shard", f"{i}/4") for i in range(1, 5)))
        sharded_requests = server.stats()["total_requests"]
    shards = sorted((results / "shards").iterdir())
    done = benchgate(repo, "merge", "--mode", "live", *map(str, shards))
    assert done.returncode == 0, done.stderr

    info = json.loads(whole["run.json"])
    calls = info["reliability"]
    # The run is what the test says it is: reuse, asked calls, faults and a judged pairwise metric.
    unreadable = sum(belongs(f"q{i:03d}", Shard(index=1, count=4)) for i in range(11, N))
    assert calls["reused"] == {"helpful": N - 11 - unreadable, "accurate": N - 11}, calls
    assert unreadable > 0
    assert calls["retries"] and calls["reasks"] > 0 and calls["cost_usd"] > 0, calls
    assert info["pairwise_base"]["sha"] == base
    pairwise = [json.loads(line).get("pairwise", {}) for line in whole["scores.jsonl"].splitlines()]
    assert sum(bool(p and not p["vs_base"].get("identical")) for p in pairwise) == 10
    assert sharded_requests == unsharded_requests == calls["requests"]

    merged = files_of(results)
    # Nothing may differ: every field of run.json is either an input the shards share or a
    # counter that adds up over the shards (requests, retries, tokens, re-asks, reuse, cost; the
    # cost was once the sum of the shards' rounded costs, $0.0001 off, and `reused` listed the
    # metrics in the order the shards met them). Only against a server
    # that refuses structured output would `requests`, `cache_misses` (and faults met) be higher:
    # each shard process learns the reply format with a refused request of its own. The fake
    # here accepts json_schema, as OpenAI does.
    for name in FILES:
        assert merged[name] == whole[name], differences(name, whole[name], merged[name])
    assert gate(repo, base, "merged.json") == whole_gate
