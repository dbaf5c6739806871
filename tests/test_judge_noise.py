"""Judge noise: variance components, flips across the pass bound, and the two-stage interval.

The F statistic below was computed once with scipy 1.17.1 (`scipy.stats.f_oneway`) and is
vendored; scipy is not a dependency.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchgate.judge_noise import judge_noise, two_stage_interval, variance_components
from benchgate.stats import confidence_interval

BALANCED = [
    np.array(g)
    for g in (
        [0.5, 0.75, 0.5],
        [1.0, 1.0, 0.75],
        [0.25, 0.5, 0.5],
        [0.75, 0.75, 1.0],
        [0.0, 0.25, 0.5],
        [1.0, 0.75, 1.0],
    )
]
SCIPY_F = 8.525000000000002


def test_balanced_components_are_the_anova_estimator() -> None:
    within, between, _ = variance_components(BALANCED)
    assert within is not None and between is not None
    means = np.array([g.mean() for g in BALANCED])
    k = 3
    msb = k * means.var(ddof=1)
    assert msb / within == pytest.approx(SCIPY_F, rel=1e-12)  # F = MSB / MSW
    assert between == pytest.approx((msb - within) / k, rel=1e-12)


def test_unbalanced_within_is_the_pooled_variance_and_single_items_add_no_df() -> None:
    values = ([0.5, 0.75], [1.0, 1.0, 0.75, 1.0], [0.25], [0.75, 0.75, 1.0], [0.0, 0.5])
    groups = [np.array(g) for g in values]
    within, between, share = variance_components(groups)
    # SSW = 0.03125 + 0.046875 + 0 + 0.041667 + 0.125 over N - a = 12 - 5 degrees of freedom.
    assert within == pytest.approx((0.03125 + 0.046875 + 0.25 / 6 + 0.125) / 7, rel=1e-9)
    assert between is not None and between >= 0 and share is not None and 0 <= share <= 1


def test_components_recover_a_known_model() -> None:
    rng = np.random.default_rng(5)
    effects = rng.normal(0.6, 0.1, 20_000)  # between variance 0.01
    groups = [e + rng.normal(0, 0.2, 3) for e in effects]  # within variance 0.04
    found = judge_noise(groups, 0.6, "higher")
    assert found.within == pytest.approx(0.04, rel=0.03)
    assert found.between == pytest.approx(0.01, rel=0.1)
    assert found.judge_share == pytest.approx(0.8, abs=0.02)
    assert found.ci_share == pytest.approx((0.04 / 3) / (0.01 + 0.04 / 3), abs=0.03)


def test_flips_count_items_on_both_sides_of_the_pass_bound() -> None:
    groups = [np.array(g) for g in ([0.75, 1.0], [1.0, 1.0], [0.5, 0.75, 0.75], [0.25], [0.75, 0.5])]
    higher = judge_noise(groups, 0.8, "higher")
    assert (higher.items, higher.repeated, higher.judgements, higher.flips) == (5, 4, 10, 1)
    lower = judge_noise(groups, 0.6, "lower")
    assert lower.flips == 2  # [0.5, 0.75, 0.75] and [0.75, 0.5]


def test_a_judge_that_never_varies_has_no_share() -> None:
    found = judge_noise([np.array([0.5, 0.5]), np.array([1.0, 1.0])], 0.8, "higher")
    assert found.within == 0 and found.judge_share == 0 and found.flips == 0


def test_two_stage_interval_counts_the_noise_once() -> None:
    rng = np.random.default_rng(8)
    effects = rng.normal(0.6, 0.1, 60)
    groups = [np.clip(np.round((e + rng.normal(0, 0.2, 3)) * 4) / 4, 0, 1) for e in effects]
    means = np.array([g.mean() for g in groups])
    found = two_stage_interval(groups, 0.95, "m")
    assert found is not None and found.value == pytest.approx(float(means.mean()))
    # The same width as a t interval on the item means, whose variance already holds the noise;
    # resampling both stages plainly would be about sqrt(1 + judge share of the CI) wider.
    se = float(means.std(ddof=1)) / np.sqrt(len(means))
    assert (found.high - found.low) / (2 * 1.96 * se) == pytest.approx(1.0, abs=0.06)
    item_level = confidence_interval(means, "mean", 0.95, "m")
    assert found.high - found.low == pytest.approx(item_level.high - item_level.low, rel=0.08)


def test_two_stage_interval_is_seeded_and_order_independent_given_id_order() -> None:
    groups = BALANCED
    first = two_stage_interval(groups, 0.95, "s/coverage")
    assert first == two_stage_interval(groups, 0.95, "s/coverage")
    assert first != two_stage_interval(groups, 0.95, "s/accuracy")
    assert two_stage_interval([np.array([0.5, 0.75])], 0.95, "one") is not None
