"""A live run of 20,000 judge calls as one process and as 4 shard processes, then merged.

The fake OpenAI-compatible server runs in its own process on 127.0.0.1 (service time 100 ms,
capacity 256, requests beyond it queued, seeded). The synthetic scenario has 4 judged metrics,
so 5,000 samples make 20,000 calls. Each run gets a fresh cache file; the sharded run's
merged scores.jsonl, metrics.json and run.json are compared byte for byte with the
unsharded run's. Every process is bounded in time (TIMEOUT_S) and the server exits on its own.
Usage: python -m benchmarks.live_shards [--samples 5000] [--shards 4]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.live_throughput import server_stats
from benchmarks.synthetic import write_project

TIMEOUT_S = 600
RESULTS = Path("data/results/synthetic/live")
FILES = ("scores.jsonl", "metrics.json", "run.json")


def start_server() -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-m", "tests.fakes.openai_server", "--port", "0", "--models", "synthetic-judge",
        "--capacity", "256", "--overload", "queue", "--service-time", "0.1", "--seed", "3",
        "--max-lifetime", str(3 * TIMEOUT_S),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def live_runs(root: Path, url: str, shards: int | None) -> tuple[float, float]:
    """Wall seconds and the processes' CPU seconds of one run (`shards` processes, or one)."""
    env = {**os.environ, "LLM_URL": url}
    base = [sys.executable, "-m", "benchgate", "run", "--mode", "live"]
    commands = (
        [
            [*base, "--shard", f"{i}/{shards}", "--cache", f".benchgate/cache-{i}.sqlite"]
            for i in range(1, shards + 1)
        ]
        if shards
        else [[*base, "--cache", ".benchgate/cache-all.sqlite"]]
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Logs go to files: a full pipe would stall a run that nobody reads until it ends.
    logs = [(root / f"run-{i}.log").open("w") for i in range(len(commands))]
    jobs = [
        subprocess.Popen(c, cwd=root, env=env, stdout=log, stderr=log)
        for c, log in zip(commands, logs, strict=True)
    ]
    for job, log in zip(jobs, logs, strict=True):
        code = job.wait(timeout=max(1.0, start + TIMEOUT_S - time.perf_counter()))
        log.close()
        assert code == 0, f"a live run failed: {Path(log.name).read_text()[-2000:]}"
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def main(samples: int, shards: int) -> None:
    machine = f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    print(f"# benchgate live shards · {machine} · load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':<22} | {'calls':>6} | {'wall s':>7} | {'calls/s':>7} | {'client CPU s':>12}")
    server, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            write_project(root, samples)
            figures = {}
            for label, count in (("1 process", None), (f"{shards} shard processes", shards)):
                before = int(server_stats(url)["total_requests"])  # type: ignore[call-overload]
                wall, cpu = live_runs(root, url, count)
                calls = int(server_stats(url)["total_requests"]) - before  # type: ignore[call-overload]
                figures[label] = calls
                print(f"{label:<22} | {calls:>6} | {wall:>7.2f} | {calls / wall:>7.0f} | {cpu:>12.2f}")
                if count is None:
                    whole = {name: (root / RESULTS / name).read_bytes() for name in FILES}
            shard_dirs = sorted(str(p) for p in (root / RESULTS / "shards").iterdir())
            subprocess.run(
                [sys.executable, "-m", "benchgate", "merge", "--mode", "live", *shard_dirs],
                cwd=root, check=True, capture_output=True, timeout=TIMEOUT_S,
            )  # fmt: skip
            merged = {name: (root / RESULTS / name).read_bytes() for name in FILES}
            same = [name for name in FILES if merged[name] == whole[name]]
            print(f"merged == unsharded: {', '.join(same) or 'none'} identical of {', '.join(FILES)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5_000)
    parser.add_argument("--shards", type=int, default=4)
    arguments = parser.parse_args()
    main(arguments.samples, arguments.shards)
