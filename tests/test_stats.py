from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import numpy as np
import pytest

from benchgate import stats
from benchgate.compare import verdict

LEVELS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])


def sparse(
    rng: np.random.Generator, n: int, share: float, down: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """1-5 scores on 0..1 with `share` of the items moved by one or two points."""
    base = rng.choice(LEVELS[1:-1], size=n)
    steps = np.where(rng.random(n) < 0.8, 0.25, 0.5) * np.where(rng.random(n) < down, -1, 1)
    head = np.where(rng.random(n) < share, np.clip(base + steps, 0, 1), base)
    return head, base


def skewed(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rare large drops, frequent small gains, mean delta exactly 0 in the population."""
    u = rng.random(n)
    diffs = np.where(u < 0.04, -0.75, np.where(u < 0.16, 0.25, 0.0))
    base = np.full(n, 0.75)
    return base + diffs, base


def excludes_zero(change: stats.Change) -> bool:
    return change.low > 0 or change.high < 0


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


def test_large_means_switch_to_the_t_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.random.default_rng(3).normal(0.8, 0.1, 5000)
    normal = stats.confidence_interval(values, "mean", 0.95, "k")
    monkeypatch.setattr(stats, "BUDGET", 10**9)
    boot = stats.confidence_interval(values, "mean", 0.95, "k")
    assert normal.method == "t interval"
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
    assert change.method == "sign-flip randomisation (B=10,000)"


def test_p_value_is_roughly_uniform_under_no_change() -> None:
    rng = np.random.default_rng(7)
    small = 0
    for trial in range(40):
        base = rng.uniform(0.5, 1.0, 40)
        head = base + rng.normal(0, 0.05, 40)
        small += stats.paired_change(head, base, "mean", 0.05, f"t{trial}").p_value < 0.05
    assert small <= 6  # ~2 expected at alpha 0.05


def test_t_test_for_large_paired_means() -> None:
    rng = np.random.default_rng(8)
    base = rng.uniform(0.5, 1.0, 50_000)
    head = base + rng.normal(-0.01, 0.05, 50_000)
    change = stats.paired_change(head, base, "mean", 0.05, "k")
    assert change.method == "t-test (large n)"
    assert change.low < -0.01 < change.high
    assert change.p_value < 1e-6
    se = float((head - base).std(ddof=1)) / math.sqrt(50_000)
    assert change.high - change.delta == pytest.approx(stats.t_quantile(0.975, 49_999) * se, rel=1e-12)


@pytest.mark.parametrize("statistic", ["mean", "p50", "p95"])
def test_interval_excludes_zero_exactly_when_p_is_below_alpha(statistic: stats.Statistic) -> None:
    rng = np.random.default_rng(11)
    sizes = (1, 2, 3, 5, 6, 8, 14, 15, 20, 40, 100) if statistic == "mean" else (1, 3, 6, 20, 40)
    trials = 0
    for n, alpha in itertools.product(sizes, (0.01, 0.05, 0.2)):
        for trial in range(8 if statistic == "mean" else 3):
            for head, base in (
                sparse(rng, n, share=float(rng.choice([0.05, 0.2, 0.5]))),
                sparse(rng, n, share=0.4, down=0.8),  # a real drop
                skewed(rng, n),
            ):
                change = stats.paired_change(head, base, statistic, alpha, f"{n}/{trial}")
                assert excludes_zero(change) == (change.p_value < alpha), (n, alpha, change)
                assert 0 < change.p_value <= 1
                trials += 1
    assert trials >= (792 if statistic == "mean" else 135)


def test_large_n_path_agrees_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, "BUDGET", 0)  # every mean takes the t-test path
    rng = np.random.default_rng(12)
    for trial in range(300):
        n = int(rng.choice([2, 3, 10, 40, 200]))
        head, base = sparse(rng, n, share=0.3, down=float(rng.choice([0.5, 0.8])))
        change = stats.paired_change(head, base, "mean", 0.05, f"{trial}")
        assert change.method == "t-test (large n)"
        assert excludes_zero(change) == (change.p_value < 0.05)


def test_where_rounding_splits_the_t_test_the_interval_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, "BUDGET", 0)
    diffs = np.array([-0.25, -0.25, -0.25, -0.5, 0.0, -0.25])
    monkeypatch.setattr(stats, "t_tail", lambda t, dof: 0.025)  # p exactly alpha; the CI excludes 0
    change = stats.paired_change(diffs, np.zeros(6), "mean", 0.05, "k")
    assert change.high < 0
    assert change.p_value < 0.05
    monkeypatch.setattr(stats, "t_tail", lambda t, dof: 0.0)  # p = 0; the CI holds 0
    change = stats.paired_change(np.array([0.25, -0.25, 0.0]), np.zeros(3), "mean", 0.05, "k")
    assert change.low < 0 < change.high
    assert change.p_value == 0.05


def brute_force_p(diffs: np.ndarray, delta0: float) -> float:
    """Share of all 2^n sign vectors whose |mean| is at least the data's, testing delta0."""
    shifted = diffs - delta0
    signs = np.array(list(itertools.product([1.0, -1.0], repeat=len(diffs))))
    flipped = np.abs((signs * shifted).mean(axis=1))
    return float(np.mean(flipped >= abs(shifted.mean()) - 1e-12))


@pytest.mark.parametrize("n", [2, 4, 6, 8, 10])
def test_exact_sign_flip_matches_brute_force_test_and_its_inversion(n: int) -> None:
    rng = np.random.default_rng(n)
    for trial in range(4):
        head, base = sparse(rng, n, share=0.6, down=0.7)
        diffs = head - base
        change = stats.paired_change(head, base, "mean", 0.1, f"{trial}")
        assert change.p_value == pytest.approx(brute_force_p(diffs, 0.0), abs=1e-12)
        if not math.isfinite(change.low):
            continue
        for delta0 in np.linspace(change.low - 0.2, change.high + 0.2, 97):
            if min(abs(delta0 - change.low), abs(delta0 - change.high)) < 1e-6:
                continue  # the endpoints themselves are ties
            inside = change.low <= delta0 <= change.high
            assert inside == (brute_force_p(diffs, delta0) >= 0.1), (delta0, change)


def test_all_differences_zero() -> None:
    base = np.random.default_rng(6).choice(LEVELS, 50)
    change = stats.paired_change(base.copy(), base, "mean", 0.05, "k")
    assert (change.delta, change.low, change.high, change.p_value, change.mde) == (0.0, 0.0, 0.0, 1.0, 0.0)
    assert verdict(change, 0.02, lower_is_better=False) == "unchanged"
    assert verdict(change, 0.0, lower_is_better=False) == "inconclusive"
    assert stats.samples_to_settle(change, 50, 0.0, 0.05) is None  # |delta| = max_drop: never


def test_one_nonzero_difference_is_never_significant() -> None:
    base = np.full(20, 0.75)
    head = base.copy()
    head[7] = 0.25
    change = stats.paired_change(head, base, "mean", 0.05, "k")
    assert change.delta == pytest.approx(-0.025)
    assert change.p_value == 1.0  # every sign pattern is as extreme
    assert change.low < 0 <= change.high
    assert change.high == pytest.approx(0.0, abs=1e-8)  # all other pairs are 0: no positive shift fits
    assert verdict(change, 0.0, lower_is_better=False) == "inconclusive"


@pytest.mark.parametrize(("n", "p_value"), [(1, 1.0), (2, 0.5), (3, 0.25), (5, 1 / 16)])
def test_too_few_pairs_give_an_unbounded_interval(n: int, p_value: float) -> None:
    change = stats.paired_change(np.full(n, 0.5), np.full(n, 0.75), "mean", 0.05, "k")
    assert (change.low, change.high) == (-math.inf, math.inf)
    assert change.p_value == p_value
    assert change.mde == math.inf
    assert stats.fewest_pairs(0.05) == 6


def test_constant_nonzero_differences() -> None:
    six = stats.paired_change(np.full(6, 0.5), np.full(6, 0.75), "mean", 0.05, "k")
    assert six.p_value == 1 / 32  # only the identity of 32 distinct patterns is as extreme
    assert six.low == pytest.approx(-0.25) and six.high == pytest.approx(-0.25)
    assert verdict(six, 0.02, lower_is_better=False) == "regressed"
    many = stats.paired_change(np.full(40, 0.5), np.full(40, 0.75), "mean", 0.05, "k")
    assert many.p_value == 1 / (stats.RESAMPLES + 1)
    quantile = stats.paired_change(np.full(40, 0.5), np.full(40, 0.75), "p50", 0.05, "k")
    assert (quantile.low, quantile.high, quantile.p_value) == (-0.25, -0.25, 1 / (stats.RESAMPLES + 1))


def test_mde_comes_from_the_procedures_own_standard_error() -> None:
    rng = np.random.default_rng(13)
    head, base = sparse(rng, 80, share=0.3)
    change = stats.paired_change(head, base, "mean", 0.05, "k")
    diffs = head - base
    se = math.sqrt(float(((diffs - diffs.mean()) ** 2).sum())) / 80
    assert change.se == pytest.approx(se)
    assert change.mde == pytest.approx((NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)) * se)


def projected(change: stats.Change, n: int, settle: int) -> stats.Change:
    scale = math.sqrt(n / settle)
    low = change.delta - (change.delta - change.low) * scale
    high = change.delta + (change.high - change.delta) * scale
    return stats.Change(change.delta, low, high, change.p_value, change.mde, change.method)


@pytest.mark.parametrize(
    ("delta", "low", "high", "expected"),
    [
        (-0.03, -0.07, 0.01, 72),  # beyond max_drop: CI must end below 0, 40 * (0.04 / 0.03)^2 = 71.1
        (0.03, -0.05, 0.07, 285),  # improvement: 40 * (0.08 / 0.03)^2 = 284.4
        (0.005, -0.025, 0.035, 161),  # within max_drop: 40 * max(0.03/0.025, 0.03/0.015)^2 = 160
    ],
)
def test_samples_to_settle_follows_its_formula(delta: float, low: float, high: float, expected: int) -> None:
    change = stats.Change(delta, low, high, 0.2, 0.05, "test")
    assert verdict(change, 0.02, lower_is_better=False) == "inconclusive"
    settle = stats.samples_to_settle(change, 40, 0.02, 0.05)
    assert settle == expected
    assert verdict(projected(change, 40, settle), 0.02, lower_is_better=False) != "inconclusive"
    assert verdict(projected(change, 40, settle - 1), 0.02, lower_is_better=False) == "inconclusive"


def test_samples_to_settle_is_none_when_nothing_would_settle_it() -> None:
    assert stats.samples_to_settle(stats.Change(-0.02, -0.05, 0.01, 0.3, 0.1, "t"), 40, 0.02, 0.05) is None
    decisive = stats.Change(-0.05, -0.08, -0.03, 0.001, 0.01, "t")
    assert stats.samples_to_settle(decisive, 40, 0.02, 0.05) is None
    single = stats.paired_change(np.array([0.5]), np.array([0.75]), "mean", 0.05, "k")
    assert stats.samples_to_settle(single, 1, 0.02, 0.05) is None


def test_samples_to_settle_with_an_unbounded_interval_needs_at_least_the_fewest_pairs() -> None:
    constant = stats.paired_change(np.full(3, 0.5), np.full(3, 0.75), "mean", 0.05, "k")
    assert stats.samples_to_settle(constant, 3, 0.02, 0.05) == 6
    head, base = np.array([0.5, 0.75, 0.25, 0.75]), np.array([0.75, 0.75, 0.75, 0.5])
    spread = stats.paired_change(head, base, "mean", 0.05, "k")
    z = NormalDist().inv_cdf(0.975)
    expected = math.floor(4 * (z * spread.se / abs(spread.delta)) ** 2) + 1
    assert stats.samples_to_settle(spread, 4, 0.02, 0.05) == max(6, expected)
