"""Live mode against a real model: SmolLM2-135M-Instruct on llama.cpp's OpenAI-compatible server.

Copies the example scenario into a temporary repository, points its generator and judge at
the model, and runs `benchgate run --mode live --limit N` (generation with prompt.md, then
judging), then `benchgate gate --mode live`, then the same live run twice more. It checks
that every sample ends scored or counted unscored, that the report shows both, that the
second run asks again only where a reply was unreadable and that the third is served from
the cache; not any quality level (the model is tiny). Prints wall time and counts. Run by
.ci/run after `tests/llm_server/install.sh`:

    python -m tests.llm_server.e2e [--limit 3]
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
from pathlib import Path

from ruamel.yaml import YAML

from tests.llm_server.smollm import LlamaServer

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "channel_digest_ru"
RESULTS = f"data/results/{SCENARIO}/live"


def benchgate(project: Path, *args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LLM_URL": url}
    env.pop("LLM_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "benchgate", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def prepare(project: Path, model: str) -> None:
    """The example scenario, with SmolLM2 as both generator and judge."""
    shutil.copy(ROOT / "params.yaml", project / "params.yaml")
    shutil.copytree(ROOT / "data" / "scenarios" / SCENARIO, project / "data" / "scenarios" / SCENARIO)
    yaml = YAML()
    params = yaml.load((project / "params.yaml").read_text(encoding="utf-8"))
    scenario = params["scenarios"][SCENARIO]
    scenario["generator"] = {"model": model, "max_tokens": 128, "temperature": 0}
    # Only the model and its budget change: the example's framing, labels and rubrics stay.
    scenario["judge"].update({"model": model, "max_tokens": 64, "temperature": 0})
    # The server runs one request at a time, and only sequential requests repeat exactly.
    params["llm"] = {"concurrency": 1, "max_concurrency": 1, "timeout_s": 600}
    with (project / "params.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(params, handle)
    identity = ["-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid"]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], [*identity, "commit", "-qm", "example"]):
        subprocess.run(["git", *command], cwd=project, check=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"e2e: FAILED: {message}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=2)
    limit = parser.parse_args().limit
    with tempfile.TemporaryDirectory() as temp, LlamaServer() as server:
        project = Path(temp)
        prepare(project, server.model_name)
        check(benchgate(project, "run", url=server.url).returncode == 0, "dry-run failed")
        started = time.monotonic()
        first = benchgate(project, "run", "--mode", "live", "--limit", str(limit), url=server.url)
        wall = time.monotonic() - started
        check(first.returncode == 0, f"live run exited {first.returncode}: {first.stderr[-2000:]}")
        scores = [json.loads(line) for line in (project / RESULTS / "scores.jsonl").read_text().splitlines()]
        metrics = ("coverage", "accuracy", "coherence", "informativeness")
        check(len(scores) == limit, f"{len(scores)} samples judged, expected {limit}")
        scored = sum(len(s.get("scores", {})) for s in scores)
        unscored = sum(len(s.get("unscored", {})) for s in scores)
        check(scored + unscored == limit * len(metrics), "a judgement was lost")
        check(all(s.get("output") for s in scores), "a generation is missing")
        calls = json.loads((project / RESULTS / "run.json").read_text())["reliability"]

        gate = benchgate(project, "gate", "--mode", "live", url=server.url)
        check(gate.returncode in (0, 1), f"gate exited {gate.returncode}: {gate.stderr[-2000:]}")
        report = (project / f".benchgate/reports/{SCENARIO}/live/report.md").read_text()
        check("| Metric | Live run (LLM) (95% CI) | Dry-run |" in report, "no side-by-side table")
        check(
            f"**Unscored:** {unscored:,} of {limit * len(metrics):,} judgements" in report,
            "unscored not reported",
        )

        # An unreadable reply is asked again once on the next run (then kept), so the second run
        # makes at most two requests per judgement that needed a re-ask, and the third none.
        second = benchgate(project, "run", "--mode", "live", "--limit", str(limit), url=server.url)
        check(second.returncode == 0, "second live run failed")
        looked = json.loads((project / RESULTS / "run.json").read_text())["reliability"]
        check(looked["requests"] <= 2 * calls["reasks"], f"second run made {looked['requests']} requests")
        second_scores = (project / RESULTS / "scores.jsonl").read_bytes()
        third = benchgate(project, "run", "--mode", "live", "--limit", str(limit), url=server.url)
        check(third.returncode == 0, "third live run failed")
        again = json.loads((project / RESULTS / "run.json").read_text())["reliability"]
        check(again["requests"] == 0, f"third run made {again['requests']} requests")
        check(again["cache_hits"] > 0, "third run was not served from the cache")
        same = (project / RESULTS / "scores.jsonl").read_bytes() == second_scores
        check(same, "the cached run gave different scores")
    print(
        f"e2e: SmolLM2-135M via llama.cpp, {limit} samples: live run {wall:.1f} s wall, "
        f"{calls['requests']} requests, retried {calls['retries'] or 'none'}, "
        f"{calls['reasks']} judge re-asks; "
        f"{scored} judgements scored, {unscored} unscored; gate {gate.stdout.splitlines()[0]}; "
        f"second run: {looked['requests']} requests (second looks at unreadable replies); "
        f"third run: 0 requests, {again['cache_hits']} cache hits"
    )


if __name__ == "__main__":
    main()
