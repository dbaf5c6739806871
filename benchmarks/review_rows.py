"""Review rows at scale: `gather_rows`' own time and the gate process's peak RSS at N samples.

A `benchmarks.scale` repository (HEAD changed 10% of the samples), `benchgate run`, then
`benchgate gate --base HEAD~1` in a process that times `gather_rows` (wall and CPU; "own":
without `build_rows`) and reads its peak RSS before and after it, then the process's CPU and
peak RSS from `wait4`; then, in a fresh process, each part of the review index's CPU and RSS.

Usage: python -m benchmarks.review_rows [--repo DIR] [N ...]   (default 100000)
`--repo DIR` gates an already prepared (and run) repository instead of making one; with
`--keep DIR` the reports are copied there (to compare two branches' output byte for byte).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.scale import measure, prepare

# Runs inside the gate process: wraps gather_rows to print its cost on stderr.
PROBE = """
import resource, sys, time
import benchgate.commands.gate as gate
import benchgate.review_rows as review_rows
inner, build = gate.gather_rows, review_rows.build_rows
spent = [0.0, 0.0]
def built(*args):
    wall, cpu = time.perf_counter(), time.process_time()
    rows = build(*args)
    spent[:] = [time.perf_counter() - wall, time.process_time() - cpu]
    return rows
review_rows.build_rows = built
def timed(*args):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    rows = inner(*args)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    own = f"{wall - spent[0]:.2f} {cpu - spent[1]:.2f}"
    print(f"PROBE {wall:.2f} {cpu:.2f} {own} {before:.0f} {after:.0f}", file=sys.stderr)
    return rows
gate.gather_rows = timed
from benchgate.cli import main
main(["gate", "--base", "HEAD~1"])
"""


# Runs in a fresh process: the review index's own cost, which no longer sets the gate's peak.
PARTS = """
import gc, resource, subprocess, sys, time
from pathlib import Path
from benchgate import git
from benchgate.dataset_lines import BaseLines, FileLines
gc.set_threshold(200_000, 20, 20)  # as the CLI does
path = Path("data/scenarios/synthetic/dataset.jsonl")
sha = subprocess.run(["git", "rev-parse", "HEAD~1"], capture_output=True, text=True).stdout.strip()
start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
cpu = time.process_time()
def step(name):
    global cpu
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - start
    print(f"{name:<28} | {time.process_time() - cpu:>5.2f} | {grown:>6.0f}")
    cpu = time.process_time()
with FileLines(path) as head:
    step("head index (FileLines)")
    base = BaseLines(head, git.stream(sha, str(path), Path(".")))
    step(f"base stream ({len(base.differing)} kept)")
    same = frozenset(base.same())
    step("the same-ids set")
"""


def parts(root: Path) -> None:
    print("  step                       | CPU s | RSS growth MiB (cumulative)")
    done = subprocess.run(
        [sys.executable, "-c", PARTS], cwd=root, capture_output=True, text=True, check=False
    )
    print(
        done.stdout.rstrip() if done.returncode == 0 else "  (not this version: no benchgate.dataset_lines)"
    )


def gate(root: Path) -> tuple[list[str], float, float, float]:
    """(gather_rows figures, gate wall s, gate CPU s, gate peak RSS MiB)."""
    start = time.perf_counter()
    done = subprocess.Popen(
        [sys.executable, "-c", PROBE], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(done.pid, 0)
    assert done.stderr is not None
    probe = [line for line in done.stderr.read().decode().splitlines() if line.startswith("PROBE ")]
    assert os.waitstatus_to_exitcode(status) in (0, 1) and probe, "gate failed"
    wall = time.perf_counter() - start
    return probe[0].split()[1:], wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def report(n: int, root: Path, keep: Path | None) -> None:
    (wall, cpu, own_wall, own_cpu, before, after), gate_wall, gate_cpu, rss = gate(root)
    print(
        f"{n:>8} | {wall:>8} | {cpu:>5} | {own_wall:>7} | {own_cpu:>5} | {before:>10} | {after:>9} | "
        f"{gate_wall:>6.2f} | {gate_cpu:>5.2f} | {rss:>8.0f}"
    )
    parts(root)
    if keep is not None:
        shutil.copytree(root / ".benchgate/reports", keep / str(n), dirs_exist_ok=True)


def main(arguments: list[str]) -> None:
    repo = keep = None
    if "--repo" in arguments:
        repo = Path(arguments.pop(arguments.index("--repo") + 1))
        arguments.remove("--repo")
    if "--keep" in arguments:
        keep = Path(arguments.pop(arguments.index("--keep") + 1))
        arguments.remove("--keep")
    machine = f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    print(f"# review rows at scale · {machine} · load average {os.getloadavg()[0]:.1f}")
    print(
        "       N | gather s | CPU s | own s   | CPU s | RSS before | RSS after | gate s | CPU s | peak RSS"
    )
    print("         | gather_rows in the gate process; own: without build_rows; MiB | the gate process")
    if repo is not None:
        report(int(arguments[0]) if arguments else 0, repo, keep)
        return
    for n in [int(a) for a in arguments] or [100_000]:
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            prepare(root, n)
            _, _, _, code = measure(root, ["run"])
            assert code == 0, f"run exited {code}"
            report(n, root, keep)


if __name__ == "__main__":
    main(sys.argv[1:])
