"""Scale benchmark: validate + dry-run + gate against a base, on synthetic scenarios of N samples.

Each step runs as its own `benchgate` process (as in CI); wall time and that process's
peak RSS are printed. Usage: python -m benchmarks.scale [--scored] [N ...]
(default 1000 10000 100000). `--scored` gates the deterministic and python scorers of
`write_scored_project` (JSON Schema, regex, exact match, a python function) instead of
judge metrics read from ground truth; its head commit breaks the JSON of 10% of outputs.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import break_json, lower_metric, write_project, write_scored_project

STEPS = (("validate", ["validate"]), ("dry-run", ["run"]), ("gate", ["gate", "--base", "HEAD~1"]))


def measure(cwd: Path, args: list[str]) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MiB, exit code) of one benchgate process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchgate", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def prepare(root: Path, n: int, *, scored: bool = False) -> None:
    """A repo whose HEAD~1 has committed results and whose HEAD changed 10% of the samples."""
    dataset = write_scored_project(root, n, overlap=False) if scored else write_project(root, n)
    env_user = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    git(root, "init", "-q", "-b", "main")
    subprocess.run([sys.executable, "-m", "benchgate", "run"], cwd=root, check=True, capture_output=True)
    git(root, "add", "-A")
    git(root, *env_user, "commit", "-q", "-m", "base")
    if scored:
        break_json(dataset, n // 10)
    else:
        lower_metric(dataset, "coverage", n // 10, 0.05)
    git(root, "add", "-A")
    git(root, *env_user, "commit", "-q", "-m", "head")


def main(sizes: list[int], *, scored: bool = False) -> None:
    machine = f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    kind = "deterministic + python scorers" if scored else "judge metrics from ground truth"
    print(f"# benchgate scale benchmark · {kind} · {machine} · {load}")
    print(f"{'N':>8} | {'step':<9} | {'wall s':>7} | {'CPU s':>7} | {'peak RSS MiB':>12}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            # In a child process: a forked child's peak RSS counts the parent's pages, so a parent
            # that had built 1M samples itself would report its own size for every step.
            made = f"prepare(Path({temp!r}), {n}, scored={scored})"
            imports = "from pathlib import Path; from benchmarks.scale import prepare"
            subprocess.run([sys.executable, "-c", f"{imports}; {made}"], check=True)
            name = "scored" if scored else "synthetic"
            size = (root / f"data/scenarios/{name}/dataset.jsonl").stat().st_size / 2**20
            total, cpu_total, peak = 0.0, 0.0, 0.0
            gated = [0.0, 0.0, 0.0]  # dry-run + gate: what a CI job pays once the data is valid
            for label, args in STEPS:
                wall, cpu, rss, code = measure(root, args)
                assert code in (0, 1), f"{label} exited {code}"
                total, cpu_total, peak = total + wall, cpu_total + cpu, max(peak, rss)
                if label != "validate":
                    gated = [gated[0] + wall, gated[1] + cpu, max(gated[2], rss)]
                print(f"{n:>8} | {label:<9} | {wall:>7.2f} | {cpu:>7.2f} | {rss:>12.0f}")
            print(f"{n:>8} | {'run+gate':<9} | {gated[0]:>7.2f} | {gated[1]:>7.2f} | {gated[2]:>12.0f}")
            per_sample = total / n * 1e6
            print(
                f"{n:>8} | {'total':<9} | {total:>7.2f} | {cpu_total:>7.2f} | {peak:>12.0f}   "
                f"(dataset {size:.1f} MiB, {per_sample:.1f} µs/sample)"
            )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(
        [int(a) for a in arguments if a != "--scored"] or [1000, 10_000, 100_000],
        scored="--scored" in arguments,
    )
