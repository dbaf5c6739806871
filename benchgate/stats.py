"""Seeded statistics for one metric and for a paired head-vs-base change. Pure.

A paired change is judged by one procedure per aggregate, and its interval, p-value and
verdict come from that procedure alone, so that the (1 - alpha) interval excludes 0
exactly when p < alpha (tests/test_stats.py checks this on thousands of discrete trials):

- mean, up to 2,000 pairs: a paired sign-flip randomisation test, inverted into an
  interval (`_sign_flip`). Under "no change" head and base are exchangeable within a pair,
  so every paired difference is as likely to have either sign; the test is exact for any
  data, including 1-5 judge scores where most differences are exactly 0.
- mean, larger n: Student's t interval with its own t-test p-value (`_t_test`);
- p50 / p95: a paired percentile bootstrap with the p-value read off the same resamples
  (`_bootstrap`).
Everything is seeded from SEED and the caller's key; the caller passes values in id order.

Judge noise (`judge.samples` k > 1). The unit of every paired procedure is the sample, whose
value is the mean of its k judgements, so each difference d_i = head_i - base_i already holds
the judge's noise: under "no change" d_i = e_head - e_base, two independent draws of the same
judge's error at the same k, and is symmetric about 0 whatever that error's shape. The
sign-flip test's premise holds with the noise included, its interval widens by exactly what
the noise adds (variance 2 s_w^2 / k per pair), and resampling judgements within samples as
well would count the noise twice (see benchgate/judge_noise.py). Comparing commits judged with
different k keeps it valid only if the judge's error is itself symmetric.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from benchgate.student_t import t_quantile, t_tail

Statistic = Literal["mean", "p50", "p95"]
Decision = Literal["improved", "unchanged", "regressed", "inconclusive"]
Floats = NDArray[np.float64]

RESAMPLES = 10_000
"""Bootstrap resamples / random sign patterns when the data is small enough to afford them."""
BUDGET = 20_000_000
"""Most resampled values drawn per statistic; keeps cost linear in n for large data."""
MIN_RESAMPLES = 400
"""Fewest resamples used for a quantile when the budget forces fewer than RESAMPLES."""
EXACT_PAIRS = 14
"""Up to this many pairs, all 2^(n-1) sign patterns are enumerated instead of sampled."""
_CHUNK = 2_000_000
_POWER_Z = NormalDist().inv_cdf(0.80)
_TIE = 1e-9
"""Relative slack that counts rounding-level differences of means as ties (conservative)."""
SEED = 20251115


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval."""

    value: float
    low: float
    high: float
    method: str


@dataclass(frozen=True)
class Change:
    """Head minus base on paired samples, with its uncertainty."""

    delta: float
    low: float
    high: float
    p_value: float
    mde: float
    method: str
    se: float = math.nan
    """Standard error of `delta` under the procedure (spread of its resample distribution)."""


def aggregate(values: Floats, statistic: Statistic) -> float:
    """The metric's value: mean, median or 95th percentile."""
    if statistic == "mean":
        return float(values.mean())
    return float(np.quantile(values, 0.5 if statistic == "p50" else 0.95))


def confidence_interval(values: Floats, statistic: Statistic, level: float, key: str) -> Interval:
    """Expanded percentile bootstrap CI of `statistic`; the t interval for large-n means."""
    value = aggregate(values, statistic)
    n = len(values)
    if n < 2:
        return Interval(value, value, value, "single sample")
    if statistic == "mean" and n * RESAMPLES > BUDGET:
        half = t_quantile(0.5 + level / 2, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
        return Interval(value, value - half, value + half, "t interval")
    draws, resamples = _resample(n, statistic, key, lambda idx: _aggregate_rows(values[idx], statistic))
    tail = expanded_tail(1 - level, n) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Interval(value, float(low), float(high), f"bootstrap (B={resamples:,})")


def paired_change(head: Floats, base: Floats, statistic: Statistic, alpha: float, key: str) -> Change:
    """aggregate(head) - aggregate(base) over n >= 1 pairs, its 1 - alpha interval and p-value."""
    n = len(head)
    if statistic != "mean":
        return _bootstrap(head, base, statistic, alpha, key)
    if n * RESAMPLES > BUDGET:
        return _t_test(head - base, alpha)
    return _sign_flip(head - base, alpha, key)


def fewest_pairs(alpha: float) -> int:
    """Fewest pairs with which a paired exchangeability test can reach p < alpha (6 at 0.05).

    With n pairs there are 2^(n-1) distinct sign patterns, so no p-value is below 2^(1-n).
    """
    n = 1
    while 2.0 ** (1 - n) >= alpha:
        n += 1
    return n


def _sign_flip(diffs: Floats, alpha: float, key: str) -> Change:
    """Sign-flip randomisation test of "mean delta = delta0", inverted over delta0.

    Construction. A sign pattern flips a subset F of the pairs (U is the rest). Testing
    delta0, pattern F is "at least as extreme as the data" when
    |mean(s * (d - delta0))| >= |mean(d - delta0)|, which is algebraically the same as
    delta0 lying between mean(d over F) and mean(d over U) (F or U empty: always). So every
    pattern b gives a closed interval [lo_b, hi_b] of delta0 values, and all of them contain
    the observed mean D (D is a weighted average of the two subset means; lo_b and hi_b are
    also clamped to include D, so this holds in floating point too). With T patterns:
        p(delta0) = #{b : lo_b <= delta0 <= hi_b} / T,      p_value = p(0),
        CI = {delta0 : p(delta0) >= alpha} = [m-th smallest lo_b, m-th largest hi_b],
    where m is the smallest count with m / T >= alpha (found with the same float division).
    Because every interval contains D, for D >= 0 the count at 0 is #{lo_b <= 0}, and the
    m-th smallest lo_b is <= 0 exactly when that count is >= m (D < 0 mirrors this). Hence
    "CI excludes 0" <=> count(0) < m <=> p_value < alpha, with integer comparisons on the
    same floats and no tolerance between the two. Ties: lo_b and hi_b are widened by 1e-9
    of the largest |d|, so means equal up to rounding count as extreme (the usual ">="),
    which can only raise p. Patterns: all 2^(n-1) (F and its complement give the same
    interval) for n <= EXACT_PAIRS, else the identity plus RESAMPLES seeded random ones
    (p = (1 + hits) / (1 + B), a valid Monte Carlo p-value). With fewer than `fewest_pairs`
    pairs no p reaches alpha and the interval is unbounded.
    """
    n = len(diffs)
    delta = float(diffs.mean())
    flipped_sum, flipped_count, label = _sign_patterns(diffs, key)
    total, patterns = float(diffs.sum()), len(flipped_sum)
    kept = n - flipped_count
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_flipped = flipped_sum / flipped_count
        mean_kept = (total - flipped_sum) / kept
    tie = _TIE * float(np.abs(diffs).max())
    whole = (flipped_count == 0) | (kept == 0)
    lows = np.where(whole, -math.inf, np.minimum(np.minimum(mean_flipped, mean_kept), delta) - tie)
    highs = np.where(whole, math.inf, np.maximum(np.maximum(mean_flipped, mean_kept), delta) + tie)
    m = _threshold(alpha, lambda count: count / patterns, math.ceil(alpha * patterns))
    p_value = int(np.count_nonzero((lows <= 0) & (highs >= 0))) / patterns
    low = float(np.partition(lows, m - 1)[m - 1])
    high = float(-np.partition(-highs, m - 1)[m - 1])
    se = math.sqrt(float(((diffs - delta) ** 2).sum())) / n  # sd of the flipped mean at D
    mde = (NormalDist().inv_cdf(1 - alpha / 2) + _POWER_Z) * se if math.isfinite(high - low) else math.inf
    return Change(delta, low, high, p_value, mde, f"sign-flip randomisation ({label})", se)


def _sign_patterns(diffs: Floats, key: str) -> tuple[Floats, NDArray[np.int64], str]:
    """Per sign pattern: sum and count of the flipped differences; first row is the identity."""
    n = len(diffs)
    if n <= EXACT_PAIRS:  # the first pair is never flipped: a pattern and its mirror are one
        codes = np.arange(2 ** (n - 1), dtype=np.int64)[:, None]
        bits = ((codes >> np.arange(n - 1, dtype=np.int64)) & 1).astype(np.float64)
        flipped = (bits * diffs[1:]).sum(axis=1)
        return (
            flipped,
            bits.sum(axis=1).astype(np.int64),
            f"exact, {2 ** (n - 1):,} pattern{'s' if n > 1 else ''}",
        )
    rng = np.random.default_rng([SEED, zlib.crc32(f"{key}/sign-flip".encode())])
    sums, counts = [np.zeros(1)], [np.zeros(1, dtype=np.int64)]
    rows = max(1, _CHUNK // n)
    for start in range(0, RESAMPLES, rows):
        size = min(rows, RESAMPLES - start)
        packed = rng.integers(0, 256, size=(size, (n + 7) // 8), dtype=np.uint8)
        bits = np.unpackbits(packed, axis=1, count=n).astype(np.float64)
        sums.append((bits * diffs).sum(axis=1))
        counts.append(bits.sum(axis=1).astype(np.int64))
    return np.concatenate(sums), np.concatenate(counts), f"B={RESAMPLES:,}"


def _t_test(diffs: Floats, alpha: float) -> Change:
    """Student's t interval on the mean difference with the t-test's own p-value."""
    n = len(diffs)
    delta = float(diffs.mean())
    se = float(diffs.std(ddof=1)) / math.sqrt(n)
    quantile = t_quantile(1 - alpha / 2, n - 1)
    low, high = delta - quantile * se, delta + quantile * se
    statistic = abs(delta) / se if se > 0 else (0.0 if delta == 0 else math.inf)
    p_value = min(1.0, 2 * t_tail(statistic, n - 1))
    # p < alpha <=> |delta| / se > quantile holds exactly in real numbers; where rounding
    # (within ~1e-12 of the boundary) splits the two, the interval decides.
    excludes = low > 0 or high < 0
    if excludes and p_value >= alpha:
        p_value = math.nextafter(alpha, 0)
    elif not excludes and p_value < alpha:
        p_value = alpha
    return Change(delta, low, high, p_value, (quantile + _POWER_Z) * se, "t-test (large n)", se)


def _bootstrap(head: Floats, base: Floats, statistic: Statistic, alpha: float, key: str) -> Change:
    """Paired percentile bootstrap of a quantile difference, p-value by inversion.

    Construction: with B sorted resampled deltas x_1 <= ... <= x_B and
    c(delta0) = min(#{x <= delta0}, #{x >= delta0}) (the smaller tail, ties in both),
    p(delta0) = min(1, (1 + 2 c) / (1 + B)) and CI = {delta0 : p(delta0) >= alpha}. As p grows
    with c, p >= alpha <=> c >= m (m the smallest count that reaches alpha, found with the
    same float expression), and c >= m <=> x_m <= delta0 <= x_(B+1-m): the CI is
    [x_m, x_(B+1-m)] and excludes 0 exactly when p(0) < alpha.
    """
    n = len(head)
    delta = aggregate(head, statistic) - aggregate(base, statistic)
    if n < fewest_pairs(alpha):
        return Change(delta, -math.inf, math.inf, 1.0, math.inf, "too few pairs", math.nan)
    draws, resamples = _resample(
        n,
        statistic,
        key,
        lambda idx: _aggregate_rows(head[idx], statistic) - _aggregate_rows(base[idx], statistic),
    )
    draws.sort()

    def p_of(count: int) -> float:
        return min(1.0, (1 + 2 * count) / (1 + resamples))

    m = _threshold(alpha, p_of, math.ceil(alpha * resamples / 2))
    p_value = p_of(min(int(np.count_nonzero(draws <= 0)), int(np.count_nonzero(draws >= 0))))
    se = float(draws.std(ddof=1))
    mde = (NormalDist().inv_cdf(1 - alpha / 2) + _POWER_Z) * se
    method = f"paired percentile bootstrap (B={resamples:,})"
    return Change(delta, float(draws[m - 1]), float(draws[resamples - m]), p_value, mde, method, se)


def _threshold(alpha: float, p_of: Callable[[int], float], guess: int) -> int:
    """Smallest count c >= 1 with p_of(c) >= alpha, p_of non-decreasing (exact in floats)."""
    count = max(1, guess)
    while count > 1 and p_of(count - 1) >= alpha:
        count -= 1
    while p_of(count) < alpha:
        count += 1
    return count


def samples_to_settle(change: Change, n: int, max_drop: float, alpha: float) -> int | None:
    """Paired samples that would make an inconclusive change decisive; None if none would.

    Formula: keep the observed delta D and the per-sample spread, so that the interval's
    half-widths h- = D - low and h+ = high - D shrink as sqrt(n / N) at N pairs. Decisive means
    (a) |D| > max_drop and the interval excludes 0 on D's side: N > n (h / |D|)^2, with
        h = h- when D > 0 and h+ when D < 0 (regressed or improved); or
    (b) |D| < max_drop and the interval lies inside +-max_drop:
        N > n max((h- / (max_drop + D))^2, (h+ / (max_drop - D))^2) (unchanged).
    settle_n is the smallest such N (None when |D| = max_drop, or the change is decisive).
    An unbounded interval (fewer than `fewest_pairs(alpha)` pairs) uses h = z se instead
    (z the normal 1 - alpha/2 quantile) and is at least `fewest_pairs(alpha)`.
    """
    delta = change.delta
    if n < 2 or abs(delta) == max_drop or not math.isfinite(delta):
        return None
    bounded = math.isfinite(change.low) and math.isfinite(change.high)
    if bounded:
        below, above = delta - change.low, change.high - delta
    else:
        if not math.isfinite(change.se):
            return None
        below = above = NormalDist().inv_cdf(1 - alpha / 2) * change.se
    if bounded and decide(delta, change.low, change.high, max_drop) != "inconclusive":
        return None  # decisiveness does not depend on orientation: the rule is symmetric
    if abs(delta) > max_drop:
        ratio = (below if delta > 0 else above) / abs(delta)
    else:
        ratio = max(below / (max_drop + delta), above / (max_drop - delta))
    bound = n * ratio * ratio
    if not math.isfinite(bound) or bound > 1e15:
        return None
    settle = math.floor(bound) + 1
    for _ in range(4):  # rounding at the boundary: step on until the rule agrees
        scale = math.sqrt(n / settle)
        if decide(delta, delta - below * scale, delta + above * scale, max_drop) != "inconclusive":
            return settle if bounded else max(settle, fewest_pairs(alpha))
        settle += 1
    return None


def decide(delta: float, low: float, high: float, max_drop: float) -> Decision:
    """The design's verdict rule, for a change oriented so that positive means better."""
    if high < 0 and delta < -max_drop:
        return "regressed"
    if low > 0 and delta > max_drop:
        return "improved"
    if -max_drop < low and high < max_drop:
        return "unchanged"
    return "inconclusive"


def _resample(
    n: int, statistic: Statistic, key: str, statistic_of: Callable[[NDArray[np.int64]], Floats]
) -> tuple[Floats, int]:
    resamples = RESAMPLES if n * RESAMPLES <= BUDGET else max(MIN_RESAMPLES, BUDGET // n)
    rng = np.random.default_rng([SEED, zlib.crc32(f"{key}/{statistic}".encode())])
    rows = max(1, _CHUNK // n)
    parts = []
    for start in range(0, resamples, rows):
        idx = rng.integers(0, n, size=(min(rows, resamples - start), n))
        parts.append(statistic_of(idx))
    return np.concatenate(parts), resamples


def _aggregate_rows(matrix: Floats, statistic: Statistic) -> Floats:
    if statistic == "mean":
        return np.asarray(matrix.mean(axis=1), dtype=np.float64)
    return np.asarray(np.quantile(matrix, 0.5 if statistic == "p50" else 0.95, axis=1), dtype=np.float64)


def expanded_tail(alpha: float, n: int) -> float:
    """Tail mass for an *expanded* percentile interval (Hesterberg 2015).

    A plain percentile bootstrap is too narrow for small n: it uses the n-denominator
    variance and normal tails. Using the tail whose normal quantile equals
    sqrt(n / (n - 1)) * t_{n-1} makes it as wide as a t-interval and restores coverage
    (measured on 1-5 scores in docs/benchmarks.md, "Metric intervals").
    """
    if n < 3:
        return alpha
    scaled = math.sqrt(n / (n - 1)) * t_quantile(1 - alpha / 2, n - 1)
    return 2 * (1 - NormalDist().cdf(scaled))
