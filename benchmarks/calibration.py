"""Calibration of the base comparison: false regressions under no change, power for a real drop.

Data shaped like benchgate's: 1-5 judge scores mapped to 0..1 (0, .25, .5, .75, 1), paired
by item, with most items unchanged between base and head. Every trial is seeded.
Null models (the population mean delta is exactly 0):
  symmetric-sparse  a few items (5-20%) change by one or two points, head/base swapped at
                    random, so each change is as likely up as down;
  skewed            rare large drops (2-4 points, 2-4% of items) and frequent one-point
                    gains sized so that the mean delta is exactly 0;
  summeval          SummEval expert ratings (16 systems x 100 articles, averages of three
                    experts): two random systems on a random subset of n articles, head and
                    base swapped at random per article (a paired permutation null).
Power: a true mean drop of 0.05 (20-40% of items move one point, mostly down; and SummEval
with one system's ratings lowered on random articles so that the mean falls by 0.05).
Rates use max_drop = 0 (the test alone) and the design default max_drop = 0.02.
Also printed: the false-regression rate given exactly k changed items (exact, by enumerating
how many of the k went down), the coverage of the metric CI (metrics.json) on 1-5 scores, and
with --candidates the rejected alternatives (t-test, percentile bootstrap, bootstrap-t) on
the same null and shifted trials, judged by their p-values.
Reads ../shared/datasets/summeval/summeval.jsonl (third-party data, not in this repository).
Usage: python -m benchmarks.calibration [--trials 2000] [--candidates] [--path FILE]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchgate.compare import verdict
from benchgate.stats import Floats, confidence_interval, paired_change
from benchgate.student_t import t_tail
from benchmarks.summeval_stats import DEFAULT, DIMENSIONS, load

ALPHA = 0.05
SIZES = (20, 40, 100)
SMALL = (2, 3, 5, 8, 12, 20)
LEVELS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
BASE_P = np.array([0.05, 0.10, 0.20, 0.35, 0.30])
Pairs = tuple[Floats, Floats]
Model = Callable[[np.random.Generator, int], Pairs]


def base_for(rng: np.random.Generator, diffs: Floats) -> Floats:
    """Base scores drawn from BASE_P among the levels where base + diff stays on the 0..1 scale."""
    feasible = (LEVELS[None, :] + diffs[:, None] >= -1e-9) & (LEVELS[None, :] + diffs[:, None] <= 1 + 1e-9)
    weights = feasible * BASE_P[None, :]
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    picks = (rng.random(len(diffs))[:, None] > cumulative).sum(axis=1)
    return np.asarray(LEVELS[np.minimum(picks, len(LEVELS) - 1)], dtype=np.float64)


def as_pairs(rng: np.random.Generator, diffs: Floats) -> Pairs:
    base = base_for(rng, diffs)
    return base + diffs, base


def symmetric_sparse(rng: np.random.Generator, n: int) -> Pairs:
    changed = rng.random(n) < rng.choice([0.05, 0.10, 0.20])
    steps = np.where(rng.random(n) < 0.8, 0.25, 0.5) * np.where(rng.random(n) < 0.5, -1, 1)
    return as_pairs(rng, np.where(changed, steps, 0.0))


def skewed(rng: np.random.Generator, n: int) -> Pairs:
    drop = float(rng.choice([0.5, 0.75, 1.0]))
    p_drop = float(rng.choice([0.02, 0.04]))
    p_gain = p_drop * drop / 0.25  # mean delta exactly 0
    u = rng.random(n)
    return as_pairs(rng, np.where(u < p_drop, -drop, np.where(u < p_drop + p_gain, 0.25, 0.0)))


def sparse_drop(rng: np.random.Generator, n: int) -> Pairs:
    share = float(rng.choice([0.2, 0.3, 0.4]))
    p_down = 0.5 + 0.1 / share  # share * 0.25 * (1 - 2 p_down) = -0.05
    changed = rng.random(n) < share
    steps = np.where(rng.random(n) < p_down, -0.25, 0.25)
    return as_pairs(rng, np.where(changed, steps, 0.0))


def summeval(grid: dict[str, Floats], shift: float = 0.0) -> Model:
    def draw(rng: np.random.Generator, n: int) -> Pairs:
        scores = grid[DIMENSIONS[rng.integers(len(DIMENSIONS))]]
        a, b = rng.choice(len(scores), size=2, replace=False)
        articles = rng.choice(scores.shape[1], size=n, replace=False)
        swap = rng.random(n) < 0.5
        head = np.where(swap, scores[a, articles], scores[b, articles])
        base = np.where(swap, scores[b, articles], scores[a, articles])
        if shift:
            head = lower(rng, head, shift)
        return head, base

    return draw


def lower(rng: np.random.Generator, head: Floats, shift: float) -> Floats:
    """Head with its mean lowered by exactly `shift`: whole thirds of a point off random items."""
    third = 1 / 12  # SummEval ratings are averages of three experts: steps of 1/3 point
    needed = round(shift * len(head) / third)
    lowered = head.copy()
    for row in rng.permutation(len(head)):
        if needed == 0:
            break
        take = min(needed, round(float(lowered[row]) / third))
        lowered[row] -= take * third
        needed -= take
    return lowered


def rates(model: Model, n: int, trials: int, seed: int, key: str) -> dict[str, float]:
    """Shares of trials: regressed at max_drop 0 and 0.02, CI excludes 0, CI/p disagreement."""
    rng = np.random.default_rng([seed, n])
    counts = dict.fromkeys(("regressed", "regressed_002", "excludes", "improved", "disagree"), 0)
    for trial in range(trials):
        head, base = model(rng, n)
        change = paired_change(head, base, "mean", ALPHA, f"{key}/{n}/{trial}")
        excludes = change.low > 0 or change.high < 0
        counts["regressed"] += verdict(change, 0.0, lower_is_better=False) == "regressed"
        counts["regressed_002"] += verdict(change, 0.02, lower_is_better=False) == "regressed"
        counts["improved"] += verdict(change, 0.0, lower_is_better=False) == "improved"
        counts["excludes"] += excludes
        counts["disagree"] += excludes != (change.p_value < ALPHA)
    return {name: count / trials for name, count in counts.items()}


def t_test_p(diffs: Floats, _: np.random.Generator) -> float:
    """Two-sided t-test p-value (the rejected candidate; stats uses it only beyond 2,000 pairs)."""
    n, delta = len(diffs), float(diffs.mean())
    se = float(diffs.std(ddof=1)) / np.sqrt(n)
    if se == 0:
        return 1.0 if delta == 0 else 0.0
    return min(1.0, 2 * t_tail(abs(delta) / se, n - 1))


def bootstrap_p(diffs: Floats, rng: np.random.Generator) -> tuple[float, float]:
    """(percentile bootstrap p, bootstrap-t p) from the same 10,000 resamples."""
    n, delta = len(diffs), float(diffs.mean())
    rows = diffs[rng.integers(0, n, size=(10_000, n))]
    means = rows.mean(axis=1)
    tail = min(np.count_nonzero(means <= 0), np.count_nonzero(means >= 0))
    percentile = min(1.0, (1 + 2 * tail) / 10_001)
    se = float(diffs.std(ddof=1)) / np.sqrt(n)
    ses = rows.std(axis=1, ddof=1) / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):  # an all-equal resample: SE 0
        studentised = np.where(ses > 0, (means - delta) / ses, np.sign(means - delta) * np.inf)
    observed = delta / se if se > 0 else (0.0 if delta == 0 else math.copysign(math.inf, delta))
    tail = min(np.count_nonzero(studentised >= observed), np.count_nonzero(studentised <= observed))
    return percentile, min(1.0, (1 + 2 * tail) / 10_001)


def candidates(models: dict[str, Model], trials: int) -> None:
    """False regressions (p < alpha and delta < 0) of the alternatives, same trials as above."""
    names = ("t-test", "percentile bootstrap", "bootstrap-t")
    print("\ncandidate | model | n | " + " | ".join(f"{c} regressed (two-sided)" for c in names))
    for label, model in models.items():
        for n in SIZES:
            rng = np.random.default_rng([2 if label.startswith("drop") else 1, n])
            resampling = np.random.default_rng([7, n])
            hits = np.zeros((len(names), 2))
            for _ in range(trials):
                head, base = model(rng, n)
                diffs = head - base
                ps = (t_test_p(diffs, resampling), *bootstrap_p(diffs, resampling))
                for k, p in enumerate(ps):
                    hits[k] += (p < ALPHA and diffs.mean() < 0, p < ALPHA)
            cells = " | ".join(f"{a / trials:.2%} ({b / trials:.1%})" for a, b in hits)
            print(f"candidate | {label} | {n} | {cells}", flush=True)


def by_changed_items(n: int = 40, most: int = 12) -> None:
    """P(regressed | exactly k items moved one point, each as likely up as down), exactly."""
    print(f"\nk changed of n={n} | sign-flip (chosen) | t-test | percentile bootstrap | bootstrap-t")
    rng = np.random.default_rng(3)
    for k in range(1, most + 1):
        rates = np.zeros(4)
        for down in range(k + 1):  # only the number going down matters to every test here
            weight = math.comb(k, down) / 2**k
            diffs = np.zeros(n)
            diffs[:down], diffs[down:k] = -0.25, 0.25
            if diffs.mean() >= 0:
                continue
            chosen = paired_change(diffs, np.zeros(n), "mean", ALPHA, f"k/{k}/{down}").p_value
            ps = (chosen, t_test_p(diffs, rng), *bootstrap_p(diffs, rng))
            rates += weight * (np.array(ps) < ALPHA)
        print(f"{k} | " + " | ".join(f"{r:.2%}" for r in rates))


def metric_coverage(trials: int) -> None:
    """How often the metrics.json 95% CI misses the population mean of 1-5 scores."""
    populations = {
        "typical": BASE_P,
        "near ceiling": np.array([0.01, 0.02, 0.05, 0.17, 0.75]),
        "bimodal": np.array([0.30, 0.05, 0.05, 0.10, 0.50]),
    }
    print("\nmetric CI: population | n | misses (target 5%) | CI above the mean | below")
    for name, weights in populations.items():
        mean = float(LEVELS @ weights)
        for n in SIZES:
            rng = np.random.default_rng([4, n])
            above = below = 0
            for trial in range(trials):
                ci = confidence_interval(rng.choice(LEVELS, size=n, p=weights), "mean", 0.95, f"{trial}")
                above += ci.low > mean
                below += ci.high < mean
            print(
                f"{name} | {n} | {(above + below) / trials:.2%} | {above / trials:.2%} | {below / trials:.2%}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--candidates", action="store_true")
    args = parser.parse_args()
    grid = load(args.path)
    started = time.perf_counter()
    print(f"# calibration: alpha {ALPHA}, {args.trials} trials per row; one-sided target <= 3.5%")
    print(
        "null | n | regressed (max_drop 0) | regressed (max_drop 0.02) | improved (max_drop 0) | "
        "CI excludes 0 | CI/p disagree"
    )
    nulls: dict[str, Model] = {
        "symmetric-sparse": symmetric_sparse,
        "skewed": skewed,
        "summeval": summeval(grid),
    }
    for name, model in nulls.items():
        for n in SIZES:
            r = rates(model, n, args.trials, 1, name)
            print(
                f"{name} | {n} | {r['regressed']:.2%} | {r['regressed_002']:.2%} | {r['improved']:.2%} | "
                f"{r['excludes']:.2%} | {r['disagree']:.2%}"
            )
    print("\nalternative (true mean drop 0.05) | n | power: regressed (max_drop 0) | (max_drop 0.02)")
    for name, model in {"sparse": sparse_drop, "summeval": summeval(grid, 0.05)}.items():
        for n in SIZES:
            r = rates(model, n, args.trials, 2, f"drop/{name}")
            print(f"{name} | {n} | {r['regressed']:.2%} | {r['regressed_002']:.2%}")
    print("\nsmall-n agreement (symmetric-sparse and skewed nulls) | n | CI/p disagree")
    for n in SMALL:
        both = [
            rates(model, n, args.trials // 2, 3, name)["disagree"]
            for name, model in nulls.items()
            if name != "summeval"
        ]
        print(f"small | {n} | {sum(both) / len(both):.2%}")
    by_changed_items()
    metric_coverage(args.trials // 2)
    if args.candidates:
        candidates({**nulls, "drop/sparse": sparse_drop, "drop/summeval": summeval(grid, 0.05)}, args.trials)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
