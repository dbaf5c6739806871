"""Pairwise judging on real ratings: SummEval's 16 systems x 100 articles, a fake judge of known faults.

The fake pairwise judge sees two summaries of one article and prefers the one whose human
rating (mean of the four expert dimensions, 1-5) is higher, each through its own Gaussian
noise of `SIGMA` points per call; a perceived gap under `TIE_GAP` is a tie. On a share
`bias` of calls it names the first slot whatever the summaries say (position bias). The
absolute judge scores one summary per call as round(rating + noise) clipped to 1..5, the
same noise. Everything goes through benchgate's own code: `pairwise.outcome` for each pair,
`compare.compare_win_rate` for the pairwise verdict, `compare.verdict(stats.paired_change)`
for the absolute one (alpha 0.05, max_drop 0.02).

  (a) position bias 0 / 30 / 100%: dual-order vs a single order (head shown first);
  (b) the S12 -> S15 regression (S15 is rated ~0.9 points below S12);
  (c) A/A: identical outputs (no calls), and head/base swapped at random per article;
  (d) power at equal calls on near pairs of systems: pairwise (2 calls per pair: one per
      order) vs absolute (2 calls per pair: head and base scored once each).
Reads ../shared/datasets/summeval/summeval.jsonl (third-party data, not in this repository).
Usage: python -m benchmarks.pairwise [--path FILE] [--shuffles 500] [--replicates 40]
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from benchgate.compare import compare_win_rate, verdict
from benchgate.pairwise import VALUE, outcome, summarise_pairs, undecided
from benchgate.results import PairVotes, Vote
from benchgate.stats import paired_change
from benchmarks.summeval_stats import DEFAULT, DIMENSIONS, load

ALPHA, MAX_DROP = 0.05, 0.02
SIGMA = 0.75
"""Judge noise per call, in rating points (1-5 scale)."""
TIE_GAP = 0.25
"""Perceived gaps smaller than this are called a tie."""
Grid = NDArray[np.float64]


def ratings(path: Path) -> Grid:
    """[system, article] mean expert rating over the four dimensions, back on the 1-5 scale."""
    grid = load(path)
    return np.asarray(1 + 4 * np.mean([grid[d] for d in DIMENSIONS], axis=0), dtype=np.float64)


def pair_votes(head: Grid, base: Grid, bias: float, rng: np.random.Generator) -> list[PairVotes]:
    """One call per order per article: (head first, base first)."""
    found = []
    for h, b in zip(head, base, strict=True):
        orders: list[list[Vote]] = []
        for head_first in (True, False):
            first, second = (h, b) if head_first else (b, h)
            gap = (first + rng.normal(0, SIGMA)) - (second + rng.normal(0, SIGMA))
            slot = "A" if gap >= TIE_GAP else "B" if gap <= -TIE_GAP else "tie"
            if rng.random() < bias:
                slot = "A"
            orders.append(["tie" if slot == "tie" else "head" if (slot == "A") == head_first else "base"])
        found.append(PairVotes(head_first=orders[0], base_first=orders[1]))
    return found


def dual(votes: list[PairVotes], key: str) -> tuple[str, float, float, float]:
    """(verdict, win rate, position bias, net first-slot share) of benchgate's dual-order procedure.

    Judge noise alone also makes orders disagree, evenly towards either slot; the net share
    (first-slot minus second-slot flips, over judged pairs) is what leans one way.
    """
    found = summarise_pairs(votes, key)
    values = np.array([VALUE[o] for v in votes if (o := outcome(v)) is not None])
    decided = not undecided(found.judged, found.wins, found.losses)
    change = compare_win_rate(values, alpha=ALPHA, max_drop=MAX_DROP, key=key, decided=decided)
    judged = max(1, found.judged)
    net = (2 * found.first - found.inconsistent) / judged
    return change.verdict, float(values.mean()), found.inconsistent / judged, net


def single(votes: list[PairVotes], key: str) -> tuple[str, float]:
    """(verdict, win rate) when only the head-first order is asked."""
    values = np.array([VALUE[v.head_first[0]] for v in votes])
    found = compare_win_rate(values, alpha=ALPHA, max_drop=MAX_DROP, key=key)
    return found.verdict, float(values.mean())


def absolute(head: Grid, base: Grid, rng: np.random.Generator, key: str) -> str:
    """Verdict of the absolute judge (1-5 score per output, mapped to 0..1) by the paired test."""

    def score(x: Grid) -> Grid:
        return (np.clip(np.round(x + rng.normal(0, SIGMA, len(x))), 1, 5) - 1) / 4

    change = paired_change(score(head), score(base), "mean", ALPHA, key)
    return verdict(change, MAX_DROP, lower_is_better=False)


def section_a_b(grid: Grid) -> None:
    head, base = grid[15], grid[12]
    print("## (a)+(b) S12 (base) -> S15 (head): human mean", f"{base.mean():.2f} -> {head.mean():.2f}")
    print(
        "judge's position bias | measured (inconsistent share) | net first-slot share | "
        "dual-order win rate | dual-order verdict | head-first only win rate | its verdict"
    )
    for bias in (0.0, 0.3, 1.0):
        votes = pair_votes(head, base, bias, np.random.default_rng(1))
        verdict_dual, rate, flips, net = dual(votes, f"s12-s15/{bias}")
        verdict_one, rate_one = single(votes, f"s12-s15/{bias}/single")
        cells = [f"{bias:.0%}", f"{flips:.2f}", f"{net:.2f}", f"{rate:.3f}", verdict_dual]
        print(" | ".join([*cells, f"{rate_one:.3f}", verdict_one]))
    print()
    gaps = [(abs(grid[a].mean() - grid[b].mean()), a, b) for a, b in itertools.combinations(range(16), 2)]
    _, a, b = min(gaps)
    print(f"## (a) the two closest-rated systems, S{b} (base) -> S{a} (head)")
    print(
        "judge's position bias | dual-order win rate | dual-order verdict | head-first win rate | its verdict"
    )
    for bias in (0.0, 0.3, 1.0):
        votes = pair_votes(grid[a], grid[b], bias, np.random.default_rng(2))
        verdict_dual, rate, _, _ = dual(votes, f"near/{bias}")
        verdict_one, rate_one = single(votes, f"near/{bias}/single")
        print(f"{bias:.0%} | {rate:.3f} | {verdict_dual} | {rate_one:.3f} | {verdict_one}")
    print()


def section_c(grid: Grid, shuffles: int) -> None:
    print(f"## (c) A/A over {shuffles} shuffles per row (alpha {ALPHA}, max_drop {MAX_DROP})")
    print(
        "null | position bias | calls per shuffle | flagged | of which against the shuffle's own human "
        "difference"
    )
    rng = np.random.default_rng(3)
    for system in (12, 15):
        same = [PairVotes(identical=True)] * grid.shape[1]  # byte-identical outputs: ties, no call
        flagged = sum(dual(same, f"aa/{system}/{i}")[0] in ("regressed", "improved") for i in range(shuffles))
        print(f"S{system} vs itself (identical outputs) | any | 0 | {flagged} of {shuffles} | —")
    for bias in (0.0, 0.3, 1.0):
        flagged = wrong = 0
        for i in range(shuffles):
            swap = rng.random(grid.shape[1]) < 0.5
            head = np.where(swap, grid[12], grid[15])
            base = np.where(swap, grid[15], grid[12])
            found = dual(pair_votes(head, base, bias, rng), f"aa/swap/{bias}/{i}")[0]
            if found in ("regressed", "improved"):
                flagged += 1
                # A shuffle's head and base differ on these very articles; a flag that points
                # against that difference is a wrong claim, one that follows it a true one.
                wrong += (found == "improved") != bool(head.mean() > base.mean())
        row = f"S12/S15 swapped per article | {bias:.0%} | {2 * grid.shape[1]} | {flagged} of {shuffles}"
        print(f"{row} | {wrong}")
    print()


def section_d(grid: Grid, replicates: int) -> None:
    means = grid.mean(axis=1)
    near = sorted(
        (abs(means[a] - means[b]), a, b)
        for a, b in itertools.combinations(range(16), 2)
        if abs(means[a] - means[b]) < 0.6
    )
    bins = [(0.0, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.6)]
    print(f"## (d) power at equal calls (2 per article, 100 articles), {replicates} replicates per pair")
    print("human gap (points) | system pairs | pairwise detects | absolute detects")
    rng = np.random.default_rng(4)
    for low, high in bins:
        chosen = [(a, b) for gap, a, b in near if low <= gap < high]
        hits = {"pairwise": 0, "absolute": 0}
        for a, b in chosen:
            head, base = (grid[a], grid[b]) if means[a] < means[b] else (grid[b], grid[a])
            for r in range(replicates):
                key = f"near/{a}/{b}/{r}"
                hits["pairwise"] += dual(pair_votes(head, base, 0.0, rng), key)[0] == "regressed"
                hits["absolute"] += absolute(head, base, rng, key) == "regressed"
        total = max(1, len(chosen) * replicates)
        shares = [f"{hits[method] / total:.0%}" for method in ("pairwise", "absolute")]
        print(f"{low:.1f}-{high:.1f} | {len(chosen)} | " + " | ".join(shares))
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--shuffles", type=int, default=500)
    parser.add_argument("--replicates", type=int, default=40)
    args = parser.parse_args()
    grid = ratings(args.path)
    started = time.perf_counter()
    print(f"# SummEval pairwise: fake judge noise {SIGMA} points per call, tie under {TIE_GAP}")
    section_a_b(grid)
    section_c(grid, args.shuffles)
    section_d(grid, args.replicates)
    print(f"_{time.perf_counter() - started:.0f} s_")


if __name__ == "__main__":
    main()
