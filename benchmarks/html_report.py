"""report.html at scale: gate time, file size, and load/interaction times in headless Chromium.

A synthetic scenario of N samples with digest-length outputs (~130 words); the head lowers
coverage and rewrites a few words of the first R outputs, so R rows are regressed and diffed.
Each figure is the median of three page loads in a fresh tab of Debian's chromium.

Usage: python -m benchmarks.html_report [N:R ...]          (default 5000:3000 20000:3000)
       python -m benchmarks.html_report --screenshot PATH  (the bundled example, a modified head)
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.synthetic import write_project
from tests.browser import chromium, open_report, serve

ROOT = Path(__file__).resolve().parents[1]
TEXT = (
    "канал сообщил новость город мэр мост дорога ремонт выставка музей концерт погода снег дождь "
    "температура градусов рублей миллионов тысяч жителей школа больница автобус маршрут "
    "матч счёт команда тренер завод открыл закрыл начнётся завершится неделе ноября"
)
WORDS = TEXT.split(" ")
TIMING = """
const nav = performance.getEntriesByType('navigation')[0];
const mark = performance.getEntriesByName('benchgate:rendered')[0];
return [nav.domContentLoadedEventEnd, mark.startTime, performance.memory.usedJSHeapSize];
"""
# Each interaction is timed up to a forced layout, so the figure includes laying out the new rows.
CLICK = """
const t = performance.now(); document.querySelector(arguments[0]).click();
void document.body.offsetHeight; return performance.now() - t;
"""
SORT = """
const t = performance.now(); const s = document.getElementById('sort');
s.value = arguments[0]; s.dispatchEvent(new Event('change'));
void document.body.offsetHeight; return performance.now() - t;
"""


def git(cwd: Path, *args: str) -> None:
    user = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", *user, *args], cwd=cwd, check=True, capture_output=True)


def benchgate(cwd: Path, *args: str) -> float:
    start = time.perf_counter()
    command = [sys.executable, "-m", "benchgate", *args]
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    assert done.returncode in (0, 1), done.stderr.decode()
    return time.perf_counter() - start


def rewrite(dataset: Path, regressed: int, *, head: bool, seed: int = 11) -> None:
    """Digest-length outputs for every sample; at head the first `regressed` lose coverage and words."""
    rng = np.random.default_rng(seed)
    lines = dataset.read_text(encoding="utf-8").splitlines()
    out = []
    for index, line in enumerate(lines):
        record = json.loads(line)
        words = [WORDS[k] for k in rng.integers(0, len(WORDS), size=130)]
        if head and index < regressed:
            words[10:14] = ["без", "подробностей"]
            record["ground_truth"]["coverage"] = round(max(0.0, record["ground_truth"]["coverage"] - 0.2), 4)
        record["output"] = " ".join(words).capitalize() + "."
        out.append(json.dumps(record, ensure_ascii=False))
    dataset.write_text("\n".join(out) + "\n", encoding="utf-8")


def prepare(root: Path, n: int, regressed: int) -> float:
    """Base and head commits with results; returns the gate's wall time."""
    dataset = write_project(root, n)
    git(root, "init", "-q", "-b", "main")
    rewrite(dataset, regressed, head=False)
    benchgate(root, "run")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    rewrite(dataset, regressed, head=True)
    benchgate(root, "run")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "head")
    return benchgate(root, "gate")


def measure(directory: Path) -> dict[str, float]:
    """Median load and interaction times of report.html over three fresh loads."""
    runs: list[dict[str, float]] = []
    with serve(directory) as url, chromium() as driver:
        for _ in range(3):
            driver.get("about:blank")
            errors = [e for e in open_report(driver, url + "report.html") if e["level"] == "SEVERE"]
            assert not errors, errors
            dom, rendered, heap = driver.execute_script(TIMING)
            runs.append(
                {
                    "dom": dom,
                    "rendered": rendered,
                    "heap": heap / 2**20,
                    "filter": driver.execute_script(CLICK, "button[data-filter='regressed']"),
                    "sort": driver.execute_script(SORT, "d:coverage"),
                    "next": driver.execute_script(CLICK, "#next"),
                    "all": driver.execute_script(CLICK, "button[data-filter='all']"),
                }
            )
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def screenshot(target: Path) -> None:
    """The bundled example against a head whose digests changed: the page a reviewer opens."""
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        shutil.copy(ROOT / "params.yaml", root / "params.yaml")
        shutil.copytree(ROOT / "data/scenarios", root / "data/scenarios")
        git(root, "init", "-q", "-b", "main")
        benchgate(root, "run")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "base")
        dataset = root / "data/scenarios/channel_digest_ru/dataset.jsonl"
        records = [json.loads(line) for line in dataset.read_text(encoding="utf-8").splitlines()]
        for record in records[:6]:
            first, _, rest = record["output"].partition(". ")
            record["output"] = rest.replace("рублей", "руб.") if rest else first
            truth = record["ground_truth"]
            truth["coverage"] = round(truth["coverage"] - 0.3, 2)
            truth["informativeness"] = round(truth["informativeness"] - 0.2, 2)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        dataset.write_text(lines, encoding="utf-8")
        benchgate(root, "run")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "head: shorter digests")
        benchgate(root, "gate")
        directory = root / ".benchgate/reports/channel_digest_ru/dry-run"
        with serve(directory) as url, chromium(1100, 1300) as driver:
            open_report(driver, url + "report.html")
            driver.find_element("css selector", "button[data-filter='regressed']").click()
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(target))
    print(f"{target}: {target.stat().st_size / 1024:.0f} KiB")


def main(cases: list[tuple[int, int]]) -> None:
    machine = f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    version = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, check=False)
    print(f"# report.html benchmark · {machine} · {version.stdout.strip()}")
    header = "N | regressed | gate s | report.html MiB | DOM ready ms | rows shown ms | JS heap MiB"
    print(header + " | 'regressed' ms | sort ms | next page ms | 'all' ms")
    for n, regressed in cases:
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            gate = prepare(root, n, regressed)
            directory = root / ".benchgate/reports/synthetic/dry-run"
            size = (directory / "report.html").stat().st_size / 2**20
            t: dict[str, Any] = measure(directory)
            print(
                f"{n:,} | {regressed:,} | {gate:.2f} | {size:.1f} | {t['dom']:.0f} | {t['rendered']:.0f} | "
                f"{t['heap']:.0f} | {t['filter']:.0f} | {t['sort']:.0f} | {t['next']:.0f} | {t['all']:.0f}"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--screenshot"]:
        screenshot(Path(sys.argv[2]))
    else:
        pairs = [tuple(int(x) for x in arg.split(":")) for arg in sys.argv[1:]]
        main([(n, r) for n, r in pairs] or [(5000, 3000), (20000, 3000)])
