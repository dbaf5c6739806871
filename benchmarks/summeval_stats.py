"""The base comparison on real data: SummEval's expert ratings of 16 systems on 100 articles.

Three checks of the paired bootstrap and verdict rule (design defaults: B = 10,000,
alpha = 0.05, max_drop = 0.02 on the 0..1 scale):
  1. every pair of systems: how verdicts split, and the time per comparison;
  2. null calibration: head/base swapped at random per article (a paired permutation,
     so no true difference): how often a verdict claims a change (should be <= alpha);
  3. replication: verdicts on articles 0-49 vs 50-99: how often a significant change in
     one half points the same way in the other, and never the opposite way;
  4. coverage at small n: 800 null comparisons on random article subsets of n = 20, 30, 100:
     how often the 95% CI excludes 0 (target 5%).
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
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "summeval" / "summeval.jsonl"
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
    print("# SummEval: 16 systems x 100 articles, expert ratings; B=10,000, alpha=0.05, max_drop=0.02")
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
    calibration(grid)


def calibration(grid: dict[str, np.ndarray], trials: int = 800) -> None:  # type: ignore[type-arg]
    """Type-I error of the CI (and of verdicts) under a paired permutation null."""
    rng = np.random.default_rng(5)
    pairs = list(itertools.combinations(range(16), 2))
    print("n | null trials | 95% CI excludes 0 | verdict claims a change")
    for n in (20, 30, 100):
        excludes = claims = 0
        for trial in range(trials):
            scores = grid[DIMENSIONS[trial % 4]][:, rng.choice(100, size=n, replace=False)]
            a, b = pairs[rng.integers(len(pairs))]
            swap = rng.random(n) < 0.5
            change = paired_change(
                np.where(swap, scores[a], scores[b]),
                np.where(swap, scores[b], scores[a]),
                "mean",
                ALPHA,
                f"{n}/{trial}",
            )
            excludes += change.low > 0 or change.high < 0
            claims += verdict(change, MAX_DROP, lower_is_better=False) in ("improved", "regressed")
        print(f"{n} | {trials} | {excludes / trials:.2%} | {claims / trials:.2%}")


if __name__ == "__main__":
    main()
