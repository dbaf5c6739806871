from __future__ import annotations

import math

import numpy as np
import pytest

from benchgate import stats


def test_bootstrap_ci_is_seeded_and_order_independent() -> None:
    values = np.random.default_rng(1).uniform(0.6, 1.0, 200)
    first = stats.confidence_interval(values, "mean", 0.95, "k")
    again = stats.confidence_interval(values.copy(), "mean", 0.95, "k")
    assert first == again
    assert first.low < values.mean() < first.high
    assert first.method == "bootstrap (B=10,000)"


def test_bootstrap_ci_matches_normal_theory_for_a_mean() -> None:
    values = np.random.default_rng(2).normal(0.8, 0.1, 400)
    ci = stats.confidence_interval(values, "mean", 0.95, "k")
    half = 1.96 * values.std(ddof=1) / math.sqrt(len(values))
    assert ci.high - ci.low == pytest.approx(2 * half, rel=0.08)


def test_large_means_switch_to_the_normal_approximation(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.random.default_rng(3).normal(0.8, 0.1, 5000)
    normal = stats.confidence_interval(values, "mean", 0.95, "k")
    monkeypatch.setattr(stats, "BUDGET", 10**9)
    boot = stats.confidence_interval(values, "mean", 0.95, "k")
    assert normal.method == "normal approximation"
    assert boot.method.startswith("bootstrap")
    assert normal.low == pytest.approx(boot.low, abs=0.001)
    assert normal.high == pytest.approx(boot.high, abs=0.001)


def test_quantile_ci_on_large_data_uses_fewer_resamples() -> None:
    values = np.random.default_rng(4).gamma(36, 5, 100_000)
    ci = stats.confidence_interval(values, "p95", 0.95, "k")
    assert ci.method == f"bootstrap (B={stats.MIN_RESAMPLES:,})"
    assert ci.low <= ci.value <= ci.high


def test_paired_change_detects_a_shift_and_gives_a_small_p() -> None:
    rng = np.random.default_rng(5)
    base = rng.uniform(0.7, 1.0, 60)
    head = base - 0.05 + rng.normal(0, 0.01, 60)
    change = stats.paired_change(head, base, "mean", 0.05, "k")
    assert change.high < 0
    assert change.delta == pytest.approx(-0.05, abs=0.005)
    assert change.p_value < 0.001
    assert 0 < change.mde < 0.05


def test_paired_change_of_identical_data_is_exactly_zero() -> None:
    base = np.random.default_rng(6).uniform(0, 1, 50)
    change = stats.paired_change(base.copy(), base, "mean", 0.05, "k")
    assert (change.delta, change.low, change.high, change.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_p_value_is_roughly_uniform_under_no_change() -> None:
    rng = np.random.default_rng(7)
    small = 0
    for trial in range(40):
        base = rng.uniform(0.5, 1.0, 40)
        head = base + rng.normal(0, 0.05, 40)
        small += stats.paired_change(head, base, "mean", 0.05, f"t{trial}").p_value < 0.05
    assert small <= 6  # ~2 expected at alpha 0.05


def test_normal_approximation_for_large_paired_means() -> None:
    rng = np.random.default_rng(8)
    base = rng.uniform(0.5, 1.0, 50_000)
    head = base + rng.normal(-0.01, 0.05, 50_000)
    change = stats.paired_change(head, base, "mean", 0.05, "k")
    assert change.method == "normal approximation"
    assert change.low < -0.01 < change.high
    assert change.p_value < 1e-6


def test_spearman_with_ties_matches_pearson_on_ranks() -> None:
    a = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    b = np.array([2.0, 1.0, 4.0, 4.0, 6.0])
    ranks_a = np.array([1, 2.5, 2.5, 4, 5])
    ranks_b = np.array([2, 1, 3.5, 3.5, 5])
    assert stats.spearman(a, b) == pytest.approx(np.corrcoef(ranks_a, ranks_b)[0, 1])
    assert stats.spearman(a, np.ones(5)) is None
