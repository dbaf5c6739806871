"""How far a judge agrees with ground truth on the same items, each figure with a seeded CI. Pure.

Every statistic is read off one contingency table of (judge value, truth value) counts, for
the observed items and for each bootstrap resample alike, so an estimate and its interval
come from the same code:
- Spearman's rho: the Pearson correlation of average ranks (tied values share their mean rank);
- Kendall's tau-b: (concordant - discordant pairs) / sqrt((n0 - n1)(n0 - n2)), with n0 = n(n-1)/2
  and n1, n2 the pairs tied in the judge's and in the truth's values;
- Cohen's kappa with quadratic weights on the judge's scale: both sides are mapped from 0..1 to
  the nearest of the scale's `points` (1-5: five points; halves round up), so continuous
  ground truth (e.g. the mean of three raters) is binned to the nearest scale point for kappa,
  and kappa alone; 1 - sum(w O) / sum(w E) with w = (i - j)^2, O the observed and E the
  independent (product of margins) table;
- bias: mean(judge - truth) on 0..1 (positive: the judge is more lenient than the truth).

Intervals: percentile bootstrap over items, B = 2,000 resamples (fewer, at least 200, when
the table is large: `BUDGET`), seeded from stats.SEED and the caller's key. Resampling items
with replacement is a multinomial draw of the table's cell counts, which is how it is drawn:
the cells are sorted by value, so the result does not depend on the order of the items. A
resample where a side is constant has no rank correlation; when more than 2.5% of them
(the tail of a 95% interval) have none, the interval is not given.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from benchgate.stats import SEED, Floats

RESAMPLES = 2_000
"""Bootstrap resamples of the items for every interval."""
MIN_RESAMPLES = 200
"""Fewest resamples when a large table makes RESAMPLES cost more than BUDGET."""
BUDGET = 20_000_000
"""Most table cells summed over all resamples."""
MAX_TABLE = 250_000
"""Most distinct (judge, truth) value pairs before values are compared at 0.001 resolution."""
_CHUNK = 2_000_000
_UNDEFINED_SHARE = 0.025


@dataclass(frozen=True)
class Estimate:
    """A statistic and its percentile bootstrap interval (None: undefined, e.g. a constant side)."""

    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class AgreementStats:
    """Judge versus truth on n items."""

    n: int
    spearman: Estimate
    kendall: Estimate
    kappa: Estimate
    bias: Estimate
    mean_abs_diff: float
    resamples: int


@dataclass(frozen=True)
class _Table:
    x: Floats
    """Sorted distinct judge values."""
    y: Floats
    """Sorted distinct truth values."""
    cells: NDArray[np.int64]
    """Occupied cells as flat indices a * len(y) + b, ascending."""
    counts: NDArray[np.int64]
    """Items in each occupied cell."""

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def mean_abs_diff(self) -> float:
        """Mean |judge - truth|, summed cell by cell (so in an order that does not depend on the items')."""
        x = self.x[self.cells // len(self.y)]
        y = self.y[self.cells % len(self.y)]
        return float((self.counts * np.abs(x - y)).sum() / self.n)

    def dense(self, weights: NDArray[np.int64]) -> Floats:
        """Rows of cell weights (r, cells) -> tables (r, len(x), len(y))."""
        flat = np.zeros((len(weights), len(self.x) * len(self.y)), dtype=np.float64)
        flat[:, self.cells] = weights
        return flat.reshape(len(weights), len(self.x), len(self.y))


def measure(judge: Floats, truth: Floats, points: int, level: float, key: str) -> AgreementStats:
    """Every statistic on paired values in 0..1, each with its `level` interval.

    `points` is the number of points on the judge's scale (5 for 1-5).
    """
    n = len(judge)
    if n == 0:
        raise ValueError("no items to compare")
    table = _table(judge, truth)
    observed = _statistics(table.dense(table.counts[None, :]), table, points)
    resamples = _resample_count(table)
    draws = _resampled(table, points, resamples, key) if n >= 3 else None
    tail = (1 - level) / 2
    found = {
        name: _estimate(observed[name][0], None if draws is None else draws[name], tail) for name in observed
    }
    return AgreementStats(
        n=n,
        spearman=found["spearman"],
        kendall=found["kendall"],
        kappa=found["kappa"],
        bias=found["bias"],
        mean_abs_diff=table.mean_abs_diff(),
        resamples=resamples if draws is not None else 0,
    )


def scale_points(values: Floats, points: int) -> NDArray[np.int64]:
    """0..1 values -> the index (0 .. points - 1) of the nearest scale point, halves up."""
    return np.clip(np.floor(values * (points - 1) + 0.5), 0, points - 1).astype(np.int64)


def _table(judge: Floats, truth: Floats) -> _Table:
    x, xi = np.unique(judge, return_inverse=True)
    y, yi = np.unique(truth, return_inverse=True)
    if len(x) * len(y) > MAX_TABLE:  # at most 1,001 x 1,001 values on 0..1 then
        x, xi = np.unique(np.round(judge, 3), return_inverse=True)
        y, yi = np.unique(np.round(truth, 3), return_inverse=True)
    cells, counts = np.unique(xi.astype(np.int64) * len(y) + yi, return_counts=True)
    return _Table(x, y, cells.astype(np.int64), counts.astype(np.int64))


def _resample_count(table: _Table) -> int:
    size = len(table.x) * len(table.y)
    return RESAMPLES if size * RESAMPLES <= BUDGET else max(MIN_RESAMPLES, BUDGET // size)


def _resampled(table: _Table, points: int, resamples: int, key: str) -> dict[str, Floats]:
    rng = np.random.default_rng([SEED, zlib.crc32(f"{key}/agreement".encode())])
    share = table.counts / table.n
    rows = max(1, _CHUNK // (len(table.x) * len(table.y)))
    parts: dict[str, list[Floats]] = {}
    for start in range(0, resamples, rows):
        weights = rng.multinomial(table.n, share, size=min(rows, resamples - start))
        for name, values in _statistics(table.dense(weights), table, points).items():
            parts.setdefault(name, []).append(values)
    return {name: np.concatenate(values) for name, values in parts.items()}


def _estimate(value: float, draws: Floats | None, tail: float) -> Estimate:
    if math.isnan(value):
        return Estimate(None, None, None)
    value = float(value)
    if draws is None:
        return Estimate(value, None, None)
    defined = draws[~np.isnan(draws)]
    if len(draws) - len(defined) > _UNDEFINED_SHARE * len(draws):
        return Estimate(value, None, None)
    low, high = np.quantile(defined, [tail, 1 - tail])
    return Estimate(value, float(low), float(high))


def _statistics(tables: Floats, table: _Table, points: int) -> dict[str, Floats]:
    """Each statistic for each table (r, len(x), len(y)); NaN where it is undefined."""
    n = float(table.n)
    rows, cols = tables.sum(axis=2), tables.sum(axis=1)
    bias = (rows @ table.x - cols @ table.y) / n
    return {
        "spearman": _spearman(tables, rows, cols, n),
        "kendall": _kendall(tables, rows, cols, n),
        "kappa": _kappa(tables, table, points, n),
        "bias": bias,
    }


def _spearman(tables: Floats, rows: Floats, cols: Floats, n: float) -> Floats:
    middle = (n + 1) / 2
    rank_x = np.cumsum(rows, axis=1) - (rows - 1) / 2 - middle
    rank_y = np.cumsum(cols, axis=1) - (cols - 1) / 2 - middle
    cov = np.einsum("rab,ra,rb->r", tables, rank_x, rank_y)
    var_x = (rows * rank_x**2).sum(axis=1)
    var_y = (cols * rank_y**2).sum(axis=1)
    return _ratio(cov, np.sqrt(var_x * var_y))


def _kendall(tables: Floats, rows: Floats, cols: Floats, n: float) -> Floats:
    # below[a, b]: items with a smaller judge value and a truth value <= b's.
    below = np.zeros_like(tables)
    below[:, 1:, :] = np.cumsum(np.cumsum(tables, axis=2), axis=1)[:, :-1, :]
    lower_left = np.zeros_like(tables)
    lower_left[:, :, 1:] = below[:, :, :-1]
    lower_right = below[:, :, -1:] - below
    s = (tables * (lower_left - lower_right)).sum(axis=(1, 2))
    pairs = n * (n - 1) / 2
    tied_x = (rows * (rows - 1) / 2).sum(axis=1)
    tied_y = (cols * (cols - 1) / 2).sum(axis=1)
    return _ratio(s, np.sqrt((pairs - tied_x) * (pairs - tied_y)))


def _kappa(tables: Floats, table: _Table, points: int, n: float) -> Floats:
    px, py = scale_points(table.x, points), scale_points(table.y, points)
    binned = np.zeros((len(tables), points, points))
    # Both value lists are sorted, so each scale point's values are contiguous.
    sx, sy = _starts(px), _starts(py)
    summed = np.add.reduceat(np.add.reduceat(tables, sx, axis=1), sy, axis=2)
    binned[:, px[sx][:, None], py[sy][None, :]] = summed
    weights = (np.arange(points)[:, None] - np.arange(points)[None, :]) ** 2.0
    observed = np.einsum("rij,ij->r", binned, weights)
    margins_x, margins_y = binned.sum(axis=2), binned.sum(axis=1)
    expected = np.einsum("ri,rj,ij->r", margins_x, margins_y, weights) / n
    return 1 - _ratio(observed, expected)


def _starts(ordered: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def _ratio(top: Floats, bottom: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)
