"""Trend benchmark: reading a metric history of N result commits from git, in process.

Builds a repository whose default branch has COMMITS result commits (metrics.json changed),
each followed by OTHERS commits that touch other files, then times `history.read_trend` for
several N (median of RUNS reads). Usage: python -m benchmarks.trend [N ...]  (default 20 100)
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchgate.history import TrendSource, read_trend

COMMITS = 100
OTHERS = 4
RUNS = 5
METRICS = ["coverage", "accuracy", "coherence", "informativeness", "latency_s"]
PATH = "data/results/synthetic/dry-run/metrics.json"


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, input=stdin)


def build(root: Path) -> None:
    """COMMITS result commits, OTHERS unrelated commits after each, via one fast-import stream."""
    git(root, "init", "-q", "-b", "main")
    stream = []
    for index in range(COMMITS * (OTHERS + 1)):
        mark = index + 1
        if index % (OTHERS + 1) == 0:
            value = 0.8 + (index % 17) / 100
            content = json.dumps({m: {"value": value, "n": 60, "unscored": 0} for m in METRICS})
            path = PATH
        else:
            content, path = f"note {index}\n", "NOTES.md"
        data = content.encode()
        when = 1_700_000_000 + index
        stream.append(
            f"commit refs/heads/main\nmark :{mark}\ncommitter B <b@example.invalid> {when} +0000\n"
            "data 6\ncommit\n"
            + (f"from :{mark - 1}\n" if mark > 1 else "")
            + f"M 100644 inline {path}\ndata {len(data)}\n"
        )
        stream.append(content + "\n")
    git(root, "fast-import", "--quiet", stdin="".join(stream).encode())
    git(root, "reset", "-q", "--hard", "main")


def main(sizes: list[int]) -> None:
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root)
        print(f"{COMMITS} result commits among {COMMITS * (OTHERS + 1)} on main\n")
        print("| N | points | median ms | max ms |")
        print("| ---: | ---: | ---: | ---: |")
        for n in sizes:
            times, points = [], 0
            for _ in range(RUNS):
                start = time.perf_counter()
                trend = read_trend(root, PATH, TrendSource(rev="main", label="main"), n, METRICS, fetch=False)
                times.append((time.perf_counter() - start) * 1000)
                points = len(trend.points["coverage"])
            print(f"| {n} | {points} | {statistics.median(times):.1f} | {max(times):.1f} |")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [20, 100])
