"""What a run costs: reuse from the base, the estimate, the cap. Real CLI, git and fake server (sockets)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from benchmarks.pr_cost import CACHE, JUDGE, RESULTS, edit_outputs, measure, prepare
from tests.conftest import benchgate, commit_all, git
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer

PRICES = f"llm: {{prices: {{{JUDGE}: {{prompt_per_mtok: 1000, completion_per_mtok: 2000}}}}}}\n"
ESTIMATED = re.compile(
    rf"{JUDGE}: (?P<calls>[\d,]+) calls, (?P<prompt>[\d,]+) prompt tokens \((?P<how>[^)]*)\), "
    r"(?P<completion>[\d,]+) completion tokens \(from (?P<source>[^)]*)\), \$(?P<cost>[\d.]+)"
)
SENT = re.compile(r"(?P<send>[\d,]+) to send, (?P<cached>[\d,]+) from the cache, (?P<reused>[\d,]+) reused")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def live(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return benchgate(root, "run", "--mode", "live", *args, env={"LLM_URL": url})


def run_info(root: Path, directory: str = RESULTS) -> dict[str, object]:
    return dict(json.loads((root / directory / "run.json").read_text()))


def test_a_pr_pays_only_for_the_outputs_it_changed_and_a_rerun_pays_nothing(tmp_path: Path) -> None:
    with FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as server:
        cost = measure(tmp_path, server, 200, 10)
        assert cost.full == 200 * 4
        assert cost.pr_fresh == 10 * 4, "only the 10 edited samples' judgements are sent"
        assert cost.reused == 190 * 4
        assert cost.pr_again == 0, "with the first run's cache restored, a re-push sends nothing"

        # The same judge answers without reuse: every byte of the results is the same.
        server.reset_stats()
        again = live(tmp_path, server.url, "--no-reuse", "--out", "plain")
        assert again.returncode == 0, again.stderr
        assert server.stats()["total_requests"] == 190 * 4, "--no-reuse asks what reuse copied"
    for name in ("scores.jsonl", "metrics.json"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / RESULTS / name).read_bytes(), name
    assert "reused" not in run_info(tmp_path, "plain")["reliability"]  # type: ignore[operator]
    reused = run_info(tmp_path)["reliability"]["reused"]  # type: ignore[index]
    assert reused == dict.fromkeys(("coverage", "accuracy", "coherence", "informativeness"), 190)

    gate = benchgate(tmp_path, "gate", "--mode", "live")
    assert gate.returncode in (0, 1), gate.stderr
    reports = tmp_path / ".benchgate/reports/synthetic/live"
    calls = json.loads((reports / "gate.json").read_text())["reliability"]["calls"]
    assert calls["reused"] == reused
    report = (reports / "report.md").read_text()
    assert "**Reused from base:** 760 judgements with byte-identical inputs, not re-sent" in report
    assert "(`coverage` 190 · `accuracy` 190 · `coherence` 190 · `informativeness` 190)" in report


def test_a_changed_judge_setting_reuses_nothing(tmp_path: Path) -> None:
    dataset = prepare(tmp_path, 30)
    with FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as server:
        assert live(tmp_path, server.url).returncode == 0
        commit_all(tmp_path, "baseline")
        git(tmp_path, "checkout", "-q", "-b", "pr")
        params = tmp_path / "params.yaml"
        params.write_text(
            params.read_text().replace(f"{{model: {JUDGE}}}", f"{{model: {JUDGE}, max_tokens: 200}}")
        )
        edit_outputs(dataset, 10)
        commit_all(tmp_path, "judge setting")
        (tmp_path / CACHE).unlink()
        server.reset_stats()
        assert live(tmp_path, server.url).returncode == 0
        assert server.stats()["total_requests"] == 30 * 4
        wrong = live(tmp_path, server.url, "--reuse-from", "no-such-rev")
    assert "reused" not in run_info(tmp_path)["reliability"]  # type: ignore[operator]
    assert wrong.returncode == 2, "an explicit base that does not exist is a usage error"
    assert "--reuse-from no-such-rev: no such commit" in wrong.stderr


def test_the_estimate_matches_the_server_and_the_cap_stops_then_resumes(tmp_path: Path) -> None:
    prepare(tmp_path, 100)
    params = tmp_path / "params.yaml"
    params.write_text(params.read_text() + PRICES)
    with FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as server:
        assert live(tmp_path, server.url).returncode == 0
        commit_all(tmp_path, "baseline")
        git(tmp_path, "checkout", "-q", "-b", "pr")
        # Another judge seed: no judgement can be reused, no reply is cached.
        params.write_text(params.read_text().replace(f"{{model: {JUDGE}}}", f"{{model: {JUDGE}, seed: 1}}"))
        commit_all(tmp_path, "judge seed")
        server.reset_stats()

        shown = live(tmp_path, server.url, "--estimate")
        assert shown.returncode == 0, shown.stderr
        assert server.stats()["total_requests"] == 0, "an estimate sends nothing"
        found = ESTIMATED.search(shown.stdout)
        assert found is not None, shown.stdout
        assert "tiktoken does not know this model" in found["how"], "an estimate is labelled as one"
        assert found["source"].startswith("the base run's average")
        sent = SENT.search(shown.stdout)
        assert sent is not None and (number(sent["send"]), number(sent["cached"])) == (400, 0)
        estimate = {k: number(found[k]) for k in ("calls", "prompt", "completion")}
        cost = float(found["cost"])

        capped = live(tmp_path, server.url, "--max-cost", f"{cost / 2:.4f}")
        first = server.stats()
        assert capped.returncode == 3, capped.stderr
        assert "of 400 calls made" in capped.stderr and "spent" in capped.stderr
        truncated = run_info(tmp_path)["reliability"]["truncated"]  # type: ignore[index]
        assert truncated["calls_done"] == first["total_requests"] < 400
        assert truncated["spent_usd"] <= cost / 2

        gate = benchgate(tmp_path, "gate", "--mode", "live")
        assert gate.returncode == 1, "a budget-truncated run never passes"
        kinds = [
            r["kind"]
            for r in json.loads((tmp_path / ".benchgate/reports/synthetic/live/gate.json").read_text())[
                "reasons"
            ]
        ]
        assert "budget-truncated" in kinds

        again = live(tmp_path, server.url, "--estimate")
        sent = SENT.search(again.stdout)
        assert sent is not None and number(sent["cached"]) == first["total_requests"]

        server.reset_stats()
        resumed = live(tmp_path, server.url)
        second = server.stats()
        assert resumed.returncode == 0, resumed.stderr
        assert first["total_requests"] + second["total_requests"] == 400, "no call is sent twice"
        assert "truncated" not in run_info(tmp_path)["reliability"]  # type: ignore[operator]
    counted = {
        "calls": first["total_requests"] + second["total_requests"],
        "prompt": first["prompt_tokens"] + second["prompt_tokens"],
        "completion": first["completion_tokens"] + second["completion_tokens"],
    }
    for what in ("calls", "prompt", "completion"):
        assert estimate[what] == pytest.approx(counted[what], rel=0.10), what


def test_a_cap_without_a_price_is_refused_before_any_call(tmp_path: Path) -> None:
    prepare(tmp_path, 10)
    with FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as server:
        done = live(tmp_path, server.url, "--max-cost", "1")
        assert server.stats()["total_requests"] == 0
    assert done.returncode == 2
    assert f"llm.prices has none for {JUDGE!r}" in done.stderr
    shown = benchgate(tmp_path, "run", "--mode", "live", "--estimate", env={"LLM_URL": "http://127.0.0.1:9"})
    assert "no price configured" in shown.stdout


def test_each_shard_gets_its_share_of_the_cap(tmp_path: Path) -> None:
    """N shards on N runners each enforce cap / N, so together they never spend more than the cap."""
    prepare(tmp_path, 40)
    params = tmp_path / "params.yaml"
    params.write_text(params.read_text() + PRICES)
    with FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as server:
        assert live(tmp_path, server.url, "--no-cache").returncode == 0
        cost = run_info(tmp_path)["reliability"]["cost_usd"]  # type: ignore[index]
        cap = round(cost / 2, 4)  # the shard's share, a quarter, is less than the shard costs
        done = live(tmp_path, server.url, "--shard", "1/2", "--max-cost", f"{cap}", "--no-cache")
        assert done.returncode == 3, done.stdout + done.stderr
        truncated = run_info(tmp_path, f"{RESULTS}/shards/1-of-2")["reliability"]["truncated"]  # type: ignore[index]
        assert truncated["cap_usd"] == pytest.approx(cap / 2) and truncated["spent_usd"] <= cap / 2
