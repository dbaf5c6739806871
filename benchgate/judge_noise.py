"""How noisy the judge is when every item is judged k > 1 times, and a CI that accounts for it. Pure.

An item's score is the mean of its readable judgements. Two sources of spread meet in a
metric's interval: the items differ (between-item variance, what the benchmark measures) and
the judge gives one item different scores (within-item variance, the instrument's noise).

Estimator (`variance_components`), the one-way random-effects model y_ij = mu + b_i + e_ij
with b_i ~ (0, s_b^2) and e_ij ~ (0, s_w^2), a items with n_i >= 1 judgements (N in all):
    s_w^2 = SSW / (N - a), SSW = sum_ij (y_ij - mean_i)^2   (pooled within-item variance),
    s_b^2 = max(0, S_m^2 - s_w^2 * mean_i(1 / n_i)),         S_m^2 = var(item means, ddof=1),
the moment ("unweighted means") estimator; with every n_i = k it is the ANOVA estimator
(MSB - MSW) / k. The judge's share of a single judgement's variance is s_w^2 / (s_w^2 + s_b^2)
(one minus the intraclass correlation ICC(1)); its share of the metric's sampling variance is
s_w^2 * mean(1 / n_i) / S_m^2 (how much of the CI more judgements per item could remove).

Interval (`two_stage_interval`): a two-stage bootstrap, items then judgements within items.
Drawing both stages plainly with replacement counts the judge's noise twice, because every
item mean already carries it (Davison & Hinkley 1997, section 3.8): its variance is about
(s_b^2 + 2 s_w^2 / k) / a instead of (s_b^2 + s_w^2 / k) / a. So stage one draws items' shrunk
effects mean + c (mean_i - mean) and stage two adds the mean of n_i draws from the item's own
residuals y_ij - mean_i, rescaled by sqrt(n_i / (n_i - 1)); c is chosen so that the resampled
metric's variance equals S_m^2 / a, the unbiased variance of a mean of item means, split into
its between-item part (stage one) and the judge's part (stage two). Tails are those of
Student's t with a - 1 degrees of freedom, since that variance is already unbiased.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from benchgate.config import Direction
from benchgate.stats import BUDGET, RESAMPLES, SEED, Floats, Interval
from benchgate.student_t import t_quantile

_CHUNK = 2_000_000
TWO_STAGE = "two-stage bootstrap"


@dataclass(frozen=True)
class NoiseStats:
    """The judge's repeatability on one metric."""

    items: int
    """Items with at least one judgement."""
    repeated: int
    """Items with two or more (the ones that show noise)."""
    judgements: int
    """Readable judgements in all."""
    within: float | None
    """Within-item (judge) variance of one judgement, s_w^2; None without a repeated item."""
    between: float | None
    """Between-item variance, s_b^2; None with fewer than two items."""
    judge_share: float | None
    """s_w^2 / (s_w^2 + s_b^2); None when undefined (no variance at all)."""
    ci_share: float | None
    """The judge's share of the metric's sampling variance, 0..1."""
    flips: int
    """Repeated items whose judgements fall on both sides of the pass bound."""


def variance_components(groups: Sequence[Floats]) -> tuple[float | None, float | None, float | None]:
    """(s_w^2, s_b^2, the judge's share of the mean's variance) as the module docstring defines them."""
    sizes = np.array([len(g) for g in groups], dtype=np.float64)
    means = np.array([g.mean() for g in groups], dtype=np.float64)
    within_df = sizes.sum() - len(groups)
    within = None
    if within_df > 0:
        within = float(sum(((g - g.mean()) ** 2).sum() for g in groups)) / float(within_df)
    if len(groups) < 2 or within is None:
        return within, None, None
    spread = float(means.var(ddof=1))
    noise = within * float((1 / sizes).mean())
    between = max(0.0, spread - noise)
    share = min(1.0, noise / spread) if spread > 0 else None
    return within, between, share


def judge_noise(groups: Sequence[Floats], pass_bound: float, direction: Direction) -> NoiseStats:
    """Variance components and flips of a metric's judgement groups (one array per item)."""
    within, between, ci_share = variance_components(groups)
    total = None if within is None or between is None else within + between
    flips = 0
    for group in groups:
        if len(group) > 1:
            meets = group >= pass_bound if direction == "higher" else group <= pass_bound
            flips += bool(meets.any() and not meets.all())
    return NoiseStats(
        items=len(groups),
        repeated=sum(len(g) > 1 for g in groups),
        judgements=sum(len(g) for g in groups),
        within=within,
        between=between,
        judge_share=None if total is None or total == 0 or within is None else within / total,
        ci_share=ci_share,
        flips=flips,
    )


def two_stage_interval(groups: Sequence[Floats], level: float, key: str) -> Interval | None:
    """The mean of item means with its two-stage bootstrap interval; None beyond the budget.

    Beyond `stats.BUDGET` resampled judgements the caller's item-level interval applies: the
    item means carry the judge's noise, so an interval built on them accounts for it too.
    """
    a = len(groups)
    means = np.array([g.mean() for g in groups], dtype=np.float64)
    value = float(means.mean())
    if a < 2:
        return Interval(value, value, value, "single sample")
    longest = max(len(g) for g in groups)
    if a * longest * RESAMPLES > BUDGET:
        return None
    spread = float(means.var(ddof=1))
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    residuals = np.zeros((a, longest), dtype=np.float64)
    for row, group in enumerate(groups):
        if len(group) > 1:
            residuals[row, : len(group)] = (group - group.mean()) * math.sqrt(len(group) / (len(group) - 1))
    noise = float(((residuals**2).sum(axis=1) / sizes**2).mean())  # mean of s_i^2 / n_i
    centred = means - value
    scale = math.sqrt(max(0.0, spread - noise) / float((centred**2).mean())) if spread > 0 else 0.0
    rng = np.random.default_rng([SEED, zlib.crc32(f"{key}/two-stage".encode())])
    draws = []
    rows = max(1, _CHUNK // (a * longest))
    slots = np.arange(longest)
    for start in range(0, RESAMPLES, rows):
        size = min(rows, RESAMPLES - start)
        items = rng.integers(0, a, size=(size, a))
        picks = np.floor(rng.random((size, a, longest)) * sizes[items][:, :, None]).astype(np.int64)
        drawn = residuals[items[:, :, None], picks]
        used = slots[None, None, :] < sizes[items][:, :, None]
        noise_means = (drawn * used).sum(axis=2) / sizes[items]
        draws.append((value + scale * centred[items] + noise_means).mean(axis=1))
    tail = 1 - NormalDist().cdf(t_quantile(0.5 + level / 2, a - 1))
    low, high = np.quantile(np.concatenate(draws), [tail, 1 - tail])
    return Interval(value, float(low), float(high), f"{TWO_STAGE} (B={RESAMPLES:,})")
