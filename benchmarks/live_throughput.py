"""Live-mode throughput: 2,000 judge calls against the fake server running in another process.

Prints efficiency = ideal / actual wall time (ideal = calls x service time / capacity) and the
client's CPU seconds per request, with benchgate's default llm settings (adaptive concurrency
from 8 up to 64, response cache on). Scenarios:
  A  capacity 32, requests beyond it queued (like llama.cpp or vLLM)
  B  capacity 32, overload answered 429 + Retry-After: 1
  C  capacity 8,  overload answered 429 + Retry-After: 1
Usage: python -m benchmarks.live_throughput [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchgate.config import LLMSettings, Scenario
from benchgate.dataset import Sample
from benchgate.llm.cache import ResponseCache
from benchgate.llm.client import ChatClient
from benchgate.llm.endpoint import parse_endpoint
from benchgate.llm.limiter import AdaptiveLimiter
from benchgate.llm.live import LivePlan, run_live
from benchgate.llm.progress import PlainProgress
from benchgate.retry import RetryPolicy
from benchmarks.synthetic import METRICS

SERVICE_S = 0.1
SCENARIOS = {"A": (32, "queue"), "B": (32, "429"), "C": (8, "429")}
SCENARIO = Scenario.model_validate(
    {
        "dataset": "d.jsonl",
        "prompt": "p.md",
        "prompt_version": "bench",
        "model": "gen-model",
        "judge": {"model": "judge-model"},
        "metrics": {m: {"pass": 0.5} for m in METRICS},
    }
)


def start_server(capacity: int, overload: str) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-m", "tests.fakes.openai_server", "--port", "0", "--capacity", str(capacity),
        "--overload", overload, "--service-time", str(SERVICE_S), "--retry-after", "1", "--seed", "1",
        "--max-lifetime", "600",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def server_stats(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/_stats", timeout=10) as response:
        return dict(json.loads(response.read()))


async def judge_calls(url: str, calls: int, cache_dir: Path) -> tuple[float, float]:
    settings = LLMSettings()
    samples = [
        Sample(id=f"s{i:05d}", input={"posts": [{"text": f"Новость {i}"}]}, output=f"Дайджест {i}")
        for i in range(calls // len(METRICS))
    ]
    plan = LivePlan(SCENARIO, SCENARIO.judge, parse_endpoint(url, "url"), None, None, "", "p.md")  # type: ignore[arg-type]
    client = ChatClient(
        api_key=None,
        policy=RetryPolicy(max_attempts=settings.max_attempts, max_retry_s=settings.max_retry_s),
        limiter=AdaptiveLimiter(settings.concurrency, settings.max_concurrency),
        timeout_s=settings.timeout_s,
        cache=ResponseCache(cache_dir / "cache.sqlite"),
    )
    wall, cpu = time.perf_counter(), time.process_time()
    with open(os.devnull, "w") as quiet:
        progress = PlainProgress(calls, lambda: 0, quiet)
        await run_live(plan, samples, client, progress, workers=settings.max_concurrency)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await client.aclose()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    print(
        f"# live throughput · {calls} judge calls · {SERVICE_S * 1000:.0f} ms service · default llm settings"
    )
    columns = "ideal s | actual s | efficiency | client CPU ms/request | 429 share | peak in flight"
    print(f"scenario | capacity | overload | {columns}")
    for name, (capacity, overload) in SCENARIOS.items():
        server, url = start_server(capacity, overload)
        try:
            with tempfile.TemporaryDirectory() as temp:
                wall, cpu = asyncio.run(judge_calls(url, calls, Path(temp)))
            stats = server_stats(url)
        finally:
            server.terminate()
            server.wait(timeout=10)
        requests = int(stats["total_requests"])  # type: ignore[call-overload]
        rejected = int(dict(stats["status"]).get("429", 0))  # type: ignore[call-overload]
        ideal = calls * SERVICE_S / capacity
        print(
            f"{name} | {capacity} | {overload} | {ideal:.2f} | {wall:.2f} | {ideal / wall:.3f} | "
            f"{1000 * cpu / requests:.2f} | {rejected / requests:.1%} | {stats['peak_in_flight']}"
        )


if __name__ == "__main__":
    main()
