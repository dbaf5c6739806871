"""Judge calibration on real ratings: fake judges of known quality against SummEval's experts.

SummEval (third-party, read from ../shared/datasets/summeval/): 1,600 summaries (16 systems x
100 articles), each rated 1-5 by three experts on four dimensions; the truth is their mean,
mapped to 0..1. Fake judges score on the judge's 1-5 scale (mapped to 0..1 the same way):
  sigma=S       truth + Gaussian noise of S scale points, rounded to the nearest point;
  first+1       an accurate judge (sigma 0.5) that adds one point to the first-listed system
                (S0) of every article: a position bias;
  lenient+1     an accurate judge (sigma 0.5) one point above the truth on every summary;
  constant      4 for everything.
For each judge and dimension: Spearman, Kendall tau-b, quadratic-weighted kappa (truth binned
to the nearest point) and bias, each with its 95% percentile bootstrap CI (benchgate/agreement.py,
B = 2,000, items resampled), and whether `judge.min_agreement: {spearman: 0.5}` flags it
`uncalibrated` (the CI's lower bound below 0.5, or no Spearman at all).
`--labelled N` repeats the check on N random summaries, the size of a typical labelled set.
`--noise-trials T` measures the CI of a metric judged k = 3 times (benchgate/judge_noise.py):
coverage of the two-stage bootstrap against resampling item means only and against the plain
two-stage bootstrap (both stages with replacement), on 1-5 judgements of simulated items.
Usage: python -m benchmarks.judge_calibration [--path FILE] [--labelled 100] [--noise-trials 1000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchgate.agreement import AgreementStats, Estimate, measure
from benchgate.judge_noise import judge_noise, two_stage_interval
from benchgate.stats import Floats, confidence_interval, expanded_tail
from benchmarks.summeval_stats import DEFAULT, DIMENSIONS, load

POINTS = 5
MIN_SPEARMAN = 0.5
SIGMAS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
Judge = Callable[[np.random.Generator, Floats, Floats], Floats]


def on_scale(points: Floats) -> Floats:
    """Scale points (any real) -> the nearest of the 1-5 scale's five, on 0..1."""
    return np.asarray(np.clip(np.floor(points + 0.5), 0, POINTS - 1) / (POINTS - 1), dtype=np.float64)


def noisy(sigma: float) -> Judge:
    def judge(rng: np.random.Generator, truth: Floats, first: Floats) -> Floats:
        return on_scale(truth * 4 + rng.normal(0, sigma, len(truth)))

    return judge


def offset(where: str) -> Judge:
    def judge(rng: np.random.Generator, truth: Floats, first: Floats) -> Floats:
        bump = first if where == "first" else np.ones(len(truth))
        return on_scale(truth * 4 + rng.normal(0, 0.5, len(truth)) + bump)

    return judge


def constant(rng: np.random.Generator, truth: Floats, first: Floats) -> Floats:
    return np.full(len(truth), 0.75)


JUDGES: dict[str, Judge] = {
    **{f"sigma={s:g}": noisy(s) for s in SIGMAS},
    "first+1": offset("first"),
    "lenient+1": offset("all"),
    "constant": constant,
}


def cell(estimate: Estimate, form: str = "{:.2f}") -> str:
    if estimate.value is None:
        return "— (undefined)"
    if estimate.low is None or estimate.high is None:
        return form.format(estimate.value)
    return f"{form.format(estimate.value)} [{form.format(estimate.low)}, {form.format(estimate.high)}]"


def flagged(found: AgreementStats) -> bool:
    return found.spearman.low is None or found.spearman.low < MIN_SPEARMAN


def agreement_table(grid: dict[str, Floats], size: int | None) -> None:
    rng = np.random.default_rng(20251201)
    items = grid[DIMENSIONS[0]].size
    chosen = np.sort(rng.choice(items, size=size, replace=False)) if size else np.arange(items)
    first = np.zeros(grid[DIMENSIONS[0]].shape)
    first[0, :] = 1  # system S0 is listed first in every article
    print(f"\n# {len(chosen):,} summaries; min_agreement spearman >= {MIN_SPEARMAN}")
    print("judge | dimension | Spearman ρ | Kendall τ-b | κ (quadratic) | bias | uncalibrated? | ms")
    print("--- | --- | ---: | ---: | ---: | ---: | --- | ---:")
    for name, judge in JUDGES.items():
        for dim in DIMENSIONS:
            truth = grid[dim].ravel()[chosen]
            seeded = np.random.default_rng([7, len(name), DIMENSIONS.index(dim)])
            scores = judge(seeded, truth, first.ravel()[chosen])
            started = time.perf_counter()
            found = measure(scores, truth, POINTS, 0.95, f"{name}/{dim}")
            ms = 1000 * (time.perf_counter() - started)
            print(
                f"{name} | {dim} | {cell(found.spearman)} | {cell(found.kendall)} | {cell(found.kappa)} | "
                f"{cell(found.bias, '{:+.3f}')} | {'**yes**' if flagged(found) else 'no'} | {ms:.0f}"
            )


def plain_two_stage(groups: list[Floats], rng: np.random.Generator, resamples: int) -> tuple[float, float]:
    """Both stages drawn with replacement, no adjustment: the double-counting baseline."""
    data = np.array(groups)
    a, k = data.shape
    items = rng.integers(0, a, size=(resamples, a))
    picks = rng.integers(0, k, size=(resamples, a, k))
    draws = data[items[:, :, None], picks].mean(axis=(1, 2))
    tail = expanded_tail(0.05, a) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(low), float(high)


def noise_coverage(trials: int) -> None:
    """Coverage of 95% CIs of a metric judged 3 times per item, against its population mean."""
    rng = np.random.default_rng(11)
    print(f"\n# CI of a metric judged k = 3 times: {trials:,} trials, 95% target; miss rate (mean width)")
    print("items | judge σ (points) | judge share | item means | two-stage (benchgate) | plain two-stage")
    print("---: | ---: | ---: | ---: | ---: | ---:")
    for a in (20, 40, 100):
        for sigma in (0.5, 1.0):
            # An item's expected score is that of one judgement of a random item.
            target = float(on_scale(rng.normal(2.4, 0.6, 2_000_000) + rng.normal(0, sigma, 2_000_000)).mean())
            misses = np.zeros(3)
            widths = np.zeros(3)
            shares = []
            for trial in range(trials):
                effects = rng.normal(2.4, 0.6, a)
                groups = [on_scale(e + rng.normal(0, sigma, 3)) for e in effects]
                means = np.array([g.mean() for g in groups])
                found = two_stage_interval(groups, 0.95, f"t{trial}")
                assert found is not None
                item = confidence_interval(means, "mean", 0.95, f"t{trial}")
                plain = plain_two_stage(groups, rng, 2_000)
                for index, (low, high) in enumerate(((item.low, item.high), (found.low, found.high), plain)):
                    misses[index] += not low <= target <= high
                    widths[index] += high - low
                share = judge_noise(groups, 0.5, "higher").judge_share
                shares.append(np.nan if share is None else share)
            pairs = zip(misses, widths, strict=True)
            rates = [f"{100 * m / trials:.1f}% ({w / trials:.3f})" for m, w in pairs]
            print(f"{a} | {sigma:g} | {np.nanmean(shares):.0%} | " + " | ".join(rates))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--labelled", type=int, default=100)
    parser.add_argument("--noise-trials", type=int, default=1000)
    args = parser.parse_args()
    grid = load(args.path)
    print("# SummEval: 16 systems x 100 articles, truth = mean of three experts; bootstrap B=2,000")
    agreement_table(grid, None)
    if args.labelled:
        agreement_table(grid, args.labelled)
    if args.noise_trials:
        noise_coverage(args.noise_trials)


if __name__ == "__main__":
    main()
