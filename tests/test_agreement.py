"""Judge-vs-truth agreement statistics against reference values, and their seeded intervals.

Reference values were computed once with scipy 1.17.1 (`scipy.stats.spearmanr`, `kendalltau`,
whose default is tau-b) on the data below and are vendored here; scipy is not a dependency.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchgate import agreement
from benchgate.agreement import measure, scale_points

# Means of three 1-5 raters mapped to 0..1 (ties, like SummEval), and a judge on the 1-5 scale.
TRUTH = np.array(
    [
        *(0.333333, 0.833333, 0.5, 0.333333, 1.0, 0.75, 0.583333, 0.083333, 1.0, 0.666667),
        *(0.416667, 0.5, 0.083333, 0.916667, 0.0, 0.583333, 0.166667, 0.5, 0.25, 0.416667),
        *(0.166667, 0.916667, 0.75, 0.583333, 0.083333, 0.083333, 0.333333, 0.083333, 0.5, 0.833333),
    ]
)
JUDGE = np.array(
    [
        *(0.25, 0.75, 0.25, 0.5, 1.0, 0.5, 0.5, 0.25, 1.0, 0.75, 0.5, 0.75, 0.0, 1.0, 0.0),
        *(0.5, 0.0, 0.25, 0.25, 0.25, 0.25, 1.0, 0.25, 0.75, 0.0, 0.0, 0.25, 0.0, 0.5, 1.0),
    ]
)
SCIPY_SPEARMAN = 0.8844338716396248
SCIPY_KENDALL_TAU_B = 0.7861975874010669


def test_rank_statistics_match_scipy_with_ties() -> None:
    found = measure(JUDGE, TRUTH, 5, 0.95, "ref")
    assert found.n == 30
    assert found.spearman.value == pytest.approx(SCIPY_SPEARMAN, abs=1e-12)
    assert found.kendall.value == pytest.approx(SCIPY_KENDALL_TAU_B, abs=1e-12)
    assert found.bias.value == pytest.approx(float((JUDGE - TRUTH).mean()), abs=1e-12)
    assert found.mean_abs_diff == pytest.approx(float(np.abs(JUDGE - TRUTH).mean()))


def test_spearman_is_pearson_on_average_ranks() -> None:
    judge, truth = np.array([1.0, 2.0, 2.0, 3.0, 5.0]) / 5, np.array([2.0, 1.0, 4.0, 4.0, 6.0]) / 6
    ranks_a, ranks_b = np.array([1, 2.5, 2.5, 4, 5]), np.array([2, 1, 3.5, 3.5, 5])
    found = measure(judge, truth, 5, 0.95, "r").spearman.value
    assert found == pytest.approx(float(np.corrcoef(ranks_a, ranks_b)[0, 1]), abs=1e-12)


def test_quadratic_kappa_by_hand_and_by_its_pairwise_identity() -> None:
    # points 0, 1, 2 on a 3-point scale: observed sum (x - y)^2 / n = 0.5, chance 22 / 16.
    judge, truth = np.array([0.0, 0.5, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.5])
    assert measure(judge, truth, 3, 0.95, "k").kappa.value == pytest.approx(7 / 11, abs=1e-12)
    # Quadratic kappa = 1 - n * sum (x_i - y_i)^2 / sum_ij (x_i - y_j)^2 on the binned points.
    x, y = scale_points(JUDGE, 5), scale_points(TRUTH, 5)
    pairwise = 1 - len(x) * ((x - y) ** 2).sum() / ((x[:, None] - y[None, :]) ** 2).sum()
    assert measure(JUDGE, TRUTH, 5, 0.95, "k").kappa.value == pytest.approx(float(pairwise), abs=1e-12)


def test_continuous_truth_is_binned_to_the_nearest_point_halves_up() -> None:
    values = np.array([0.0, 0.12, 0.125, 0.37, 0.375, 0.5, 0.875, 1.0])
    assert scale_points(values, 5).tolist() == [0, 0, 1, 1, 2, 2, 4, 4]


def test_a_perfect_judge_has_unit_agreement_and_a_constant_one_none() -> None:
    perfect = measure(TRUTH, TRUTH, 5, 0.95, "p")
    assert perfect.spearman.value == pytest.approx(1.0) and perfect.kendall.value == pytest.approx(1.0)
    assert perfect.spearman.low == pytest.approx(1.0) and perfect.bias.value == 0
    constant = measure(np.full(30, 0.75), TRUTH, 5, 0.95, "c")
    assert constant.spearman.value is None and constant.spearman.low is None
    assert constant.kendall.value is None
    assert constant.kappa.value == pytest.approx(0.0, abs=1e-12)  # chance agreement exactly
    assert constant.bias.value == pytest.approx(float(0.75 - TRUTH.mean()))


def test_intervals_are_seeded_order_independent_and_contain_the_estimate() -> None:
    first = measure(JUDGE, TRUTH, 5, 0.95, "scenario/coverage")
    order = np.random.default_rng(4).permutation(len(JUDGE))
    assert measure(JUDGE[order], TRUTH[order], 5, 0.95, "scenario/coverage") == first
    assert measure(JUDGE, TRUTH, 5, 0.95, "scenario/accuracy") != first  # the key seeds it
    assert first.resamples == agreement.RESAMPLES
    for estimate in (first.spearman, first.kendall, first.kappa, first.bias):
        assert estimate.low is not None and estimate.high is not None and estimate.value is not None
        assert estimate.low <= estimate.value <= estimate.high


def test_interval_width_shrinks_with_more_items() -> None:
    rng = np.random.default_rng(9)
    truth = rng.integers(0, 13, 2000) / 12
    judge = np.clip(np.floor(truth * 4 + rng.normal(0, 0.8, 2000) + 0.5), 0, 4) / 4
    small, large = measure(judge[:40], truth[:40], 5, 0.95, "w"), measure(judge, truth, 5, 0.95, "w")
    assert small.spearman.low is not None and small.spearman.high is not None
    assert large.spearman.low is not None and large.spearman.high is not None
    assert large.spearman.high - large.spearman.low < (small.spearman.high - small.spearman.low) / 4


def test_too_few_items_give_estimates_without_intervals() -> None:
    found = measure(JUDGE[:2], TRUTH[:2], 5, 0.95, "few")
    assert found.spearman.value is not None and found.spearman.low is None and found.resamples == 0


def test_large_tables_use_fewer_resamples_and_coarser_values(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    judge, truth = rng.random(400), rng.random(400)
    monkeypatch.setattr(agreement, "BUDGET", 400 * 400 * 300)
    reduced = measure(judge, truth, 5, 0.95, "big")
    assert reduced.resamples == 300
    monkeypatch.setattr(agreement, "MAX_TABLE", 1_000)
    coarse = measure(judge, truth, 5, 0.95, "big")
    exact = measure(np.round(judge, 3), np.round(truth, 3), 5, 0.95, "big")
    assert coarse.spearman == exact.spearman


def test_an_undefined_share_above_the_tail_gives_no_interval() -> None:
    # 2 of 8 items differ in the judge: many resamples hold a constant judge.
    judge = np.array([0.5] * 6 + [0.75, 1.0])
    truth = np.linspace(0, 1, 8)
    found = measure(judge, truth, 5, 0.95, "sparse")
    assert found.spearman.value is not None and found.spearman.low is None
