"""Pairwise judging's numbers: one outcome per pair, the win rate and the judge's position bias. Pure.

Each changed pair is judged in both orders (head shown first, then base first). An order's
verdict is the majority of its votes (a tie when they balance). The pair's outcome:
- `head` / `base` when both orders prefer the same commit's output;
- `inconsistent` when the orders disagree: the verdict followed the position, not the answer
  (counted as a tie, and as position bias);
- `tie` otherwise (the judge called a tie in at least one order and nothing contradicts it),
  and for byte-identical outputs, which are never sent.
The item's value is 1 (head wins), 0 (base wins) or ½, so the win rate is their mean. Under
"head and base are exchangeable", swapping them maps a value v to 1 - v: the per-item deltas
v - ½ are symmetric about 0, which is exactly what the paired sign-flip test of `stats`
assumes, so the win rate's interval, p-value and verdict come from `stats.paired_change`
against a constant ½.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from benchgate.results import PairVotes, Vote
from benchgate.stats import Change, Floats, Interval, confidence_interval, paired_change

Outcome = Literal["head", "base", "tie", "inconsistent"]
VALUE: dict[Outcome, float] = {"head": 1.0, "base": 0.0, "tie": 0.5, "inconsistent": 0.5}
_POINTS: dict[Vote, float] = {"head": 1.0, "base": 0.0, "tie": 0.5}
EVEN = 0.5
"""The win rate of two outputs that are as good as each other."""


def undecided(judged: int, wins: int, losses: int) -> bool:
    """Pairs were judged, yet the judge decided none (every one a tie or inconsistent).

    The win rate is then exactly ½ with a zero-width interval, which would read as `unchanged`;
    but a judge that only follows the position (or only says tie) has shown nothing about the
    outputs, so the verdict is `inconclusive` instead. Byte-identical outputs alone stay `unchanged`.
    """
    return judged > 0 and wins == 0 and losses == 0


def order_verdict(votes: Sequence[Vote]) -> Vote | None:
    """The majority of one order's votes (a tie when they balance); None without any."""
    if not votes:
        return None
    mean = sum(_POINTS[vote] for vote in votes) / len(votes)
    return "head" if mean > EVEN else "base" if mean < EVEN else "tie"


def outcome(votes: PairVotes) -> Outcome | None:
    """The pair's outcome; None when an order has no readable vote (the sample is unscored)."""
    if votes.identical:
        return "tie"
    first, second = order_verdict(votes.head_first), order_verdict(votes.base_first)
    if first is None or second is None:
        return None
    if first == second:
        return first
    if "tie" in (first, second):
        return "tie"
    return "inconsistent"


def followed_position(votes: PairVotes) -> Literal["first", "second"] | None:
    """For an inconsistent pair, which slot the judge picked in both orders."""
    if outcome(votes) != "inconsistent":
        return None
    return "first" if order_verdict(votes.head_first) == "head" else "second"


@dataclass(frozen=True)
class PairwiseSummary:
    """A pairwise metric's counts over the pairs that have an outcome."""

    wins: int
    ties: int
    """Ties, byte-identical pairs included, inconsistent ones not."""
    losses: int
    inconsistent: int
    identical: int
    """Pairs whose outputs were byte-identical (no call made)."""
    judged: int
    """Pairs sent to the judge (not identical) with an outcome."""
    first: int
    """Inconsistent pairs in which the judge picked the first slot both times."""
    position_bias: Interval | None
    """Share of judged pairs whose verdict followed the position, with its 95% interval."""


def summarise_pairs(votes: Sequence[PairVotes], key: str, level: float = 0.95) -> PairwiseSummary:
    """Counts and position bias of the pairs, in id order (the interval is seeded by `key`)."""
    found = [(v, outcome(v)) for v in votes]
    decided = [(v, o) for v, o in found if o is not None]
    judged = [(v, o) for v, o in decided if not v.identical]
    flips = np.array([1.0 if o == "inconsistent" else 0.0 for _, o in judged])
    bias = confidence_interval(flips, "mean", level, f"{key}/position-bias") if len(flips) else None
    return PairwiseSummary(
        wins=sum(o == "head" for _, o in decided),
        ties=sum(o == "tie" for _, o in decided),
        losses=sum(o == "base" for _, o in decided),
        inconsistent=int(flips.sum()) if len(flips) else 0,
        identical=sum(v.identical for v, _ in decided),
        judged=len(judged),
        first=sum(followed_position(v) == "first" for v, _ in judged),
        position_bias=bias,
    )


def win_rate_change(values: Floats, alpha: float, key: str) -> Change:
    """The win rate minus ½ with its 1 - alpha interval and p-value: the gate's paired procedure
    on (value, ½) pairs."""
    return paired_change(values, np.full(len(values), EVEN), "mean", alpha, key)


def lost(votes: dict[str, PairVotes], limit: int) -> list[tuple[str, int, int]]:
    """(id, votes for the base, readable votes) of the pairs the base won, clearest first (ties by id)."""
    found = []
    for sample_id, mine in votes.items():
        if outcome(mine) == "base":
            cast = [*mine.head_first, *mine.base_first]
            found.append((sample_id, cast.count("base"), len(cast)))
    found.sort(key=lambda item: (-item[1] / item[2], item[0]))
    return found[:limit]
