"""The base comparison on real data: SummEval's expert ratings of 16 systems on 100 articles.

Three checks of the paired comparison (`stats.paired_change`: sign-flip randomisation for
means) and the verdict rule, at the design defaults (alpha = 0.05, max_drop = 0.02 on the
0..1 scale):
  1. every pair of systems: how verdicts split, and the time per comparison;
  2. null calibration: head/base swapped at random per article (a paired permutation,
     so no true difference): how often a verdict claims a change (should be <= alpha);
  3. replication: verdicts on articles 0-49 vs 50-99: how often a significant change in
     one half points the same way in the other, and never the opposite way.
Calibration at small n over thousands of trials is benchmarks/calibration.py.
Reads ../shared/datasets/summeval/summeval.jsonl (third-party data, not in this repository).
Usage: python -m benchmarks.summeval_stats [--path FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchgate.compare import verdict
from benchgate.stats import paired_change

DIMENSIONS = ("coherence", "consistency", "fluency", "relevance")
_RELATIVE = Path("shared", "datasets", "summeval", "summeval.jsonl")
DEFAULT = next(
    (up / _RELATIVE for up in Path(__file__).resolve().parents if (up / _RELATIVE).exists()),
    Path(__file__).resolve().parents[2] / _RELATIVE,
)
"""The first shared/ found above this checkout (worktrees sit one level deeper than main)."""
ALPHA, MAX_DROP = 0.05, 0.02


def load(path: Path) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    """dimension -> array [system, article] of ratings mapped from 1..5 to 0..1."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    systems = sorted({r["summary_id"] for r in rows}, key=lambda s: int(s[1:]))
    articles = sorted({r["article_id"] for r in rows}, key=lambda a: int(a[1:]))
    grid = {d: np.full((len(systems), len(articles)), np.nan) for d in DIMENSIONS}
    for r in rows:
        i, j = systems.index(r["summary_id"]), articles.index(r["article_id"])
        for d in DIMENSIONS:
            grid[d][i, j] = (float(r[d]) - 1) / 4
    return grid


def judged(head: np.ndarray, base: np.ndarray, key: str) -> str:  # type: ignore[type-arg]
    change = paired_change(head, base, "mean", ALPHA, key)
    return verdict(change, MAX_DROP, lower_is_better=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", type=Path, default=DEFAULT)
    grid = load(parser.parse_args().path)
    rng = np.random.default_rng(11)
    print(
        "# SummEval: 16 systems x 100 articles, expert ratings; sign-flip B=10,000, alpha=0.05, max_drop=0.02"
    )
    print(
        "dimension | pairs | improved | regressed | unchanged | inconclusive | null false changes | "
        "split-half same direction | opposite | ms/comparison"
    )
    for dim in DIMENSIONS:
        scores = grid[dim]
        pairs = list(itertools.combinations(range(len(scores)), 2))
        counts: Counter[str] = Counter()
        started = time.perf_counter()
        for a, b in pairs:
            counts[judged(scores[b], scores[a], f"{dim}/{a}/{b}")] += 1
        per = 1000 * (time.perf_counter() - started) / len(pairs)
        false = 0
        for a, b in pairs:
            swap = rng.random(scores.shape[1]) < 0.5
            head = np.where(swap, scores[a], scores[b])
            base = np.where(swap, scores[b], scores[a])
            false += judged(head, base, f"null/{dim}/{a}/{b}") in ("improved", "regressed")
        same = opposite = 0
        for a, b in pairs:
            first = judged(scores[b, :50], scores[a, :50], f"h1/{dim}/{a}/{b}")
            second = judged(scores[b, 50:], scores[a, 50:], f"h2/{dim}/{a}/{b}")
            if first in ("improved", "regressed") and second in ("improved", "regressed"):
                same += first == second
                opposite += first != second
        significant_first = sum(
            judged(scores[b, :50], scores[a, :50], f"h1/{dim}/{a}/{b}") in ("improved", "regressed")
            for a, b in pairs
        )
        print(
            f"{dim} | {len(pairs)} | {counts['improved']} | {counts['regressed']} | {counts['unchanged']} | "
            f"{counts['inconclusive']} | {false}/{len(pairs)} ({false / len(pairs):.1%}) | "
            f"{same}/{significant_first} | {opposite} | {per:.1f}"
        )


if __name__ == "__main__":
    main()
