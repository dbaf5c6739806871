"""Student's t distribution: tail probability and quantile at any degrees of freedom. Pure.

The tail is the regularised incomplete beta function, P(T > t) = I_x(dof/2, 1/2) / 2 with
x = dof / (dof + t^2), evaluated by its continued fraction (modified Lentz); from
`LARGE_DOF` on, where that fraction loses digits, the Cornish-Fisher expansion in 1/dof
takes over inside its reach. The quantile inverts the tail by safeguarded Newton steps
(closed forms at 1 and 2 degrees of freedom). Accuracy, checked against reference values
in tests/test_student_t.py:
  - `t_tail`: relative error below 1e-11 at every dof >= 1, for tails down to 1e-300;
  - `t_quantile`: |error| below 1e-12 * max(1, |t|) at every dof >= 1, 1e-12 <= p <= 1 - 1e-12.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

LARGE_DOF = 10_000
"""From here on the Cornish-Fisher expansion in 1/dof replaces the continued fraction..."""
_EXPANSION_REACH = 0.004
"""... where t^2 <= 0.004 dof: its first omitted term is then below 1e-16 of t."""
_LOG_SQRT_PI = 0.5 * math.log(math.pi)
_TINY = 1e-300
_EPS = 1e-16


def t_tail(t: float, dof: float) -> float:
    """P(T > t) for Student's t with `dof` degrees of freedom (dof > 0)."""
    if math.isnan(t):
        return math.nan
    if t < 0:
        return 1.0 - t_tail(-t, dof)
    if math.isinf(t):
        return 0.0
    if t == 0:
        return 0.5
    if dof >= LARGE_DOF and t * t <= _EXPANSION_REACH * dof:
        return 0.5 * math.erfc(_normal_equivalent(t, dof) / math.sqrt(2))
    a, b = dof / 2, 0.5
    # x and y = 1 - x computed apart, so that neither loses digits to the other
    x, y = dof / (dof + t * t), t * t / (dof + t * t)
    front = _beta_front(a, b, x_log=-math.log1p(t * t / dof), y_log=math.log(y))
    if y > (b + 1) / (a + b + 2):  # far tail: the fraction in x converges
        return 0.5 * front * _beta_fraction(x, a, b) / a
    return 0.5 * (1.0 - front * _beta_fraction(y, b, a) / b)  # near the centre: 1 - I_y(1/2, dof/2)


def t_cdf(t: float, dof: float) -> float:
    """P(T <= t)."""
    return t_tail(-t, dof)


@lru_cache(maxsize=256)
def t_quantile(p: float, dof: float) -> float:
    """The t with P(T <= t) = p, for 0 < p < 1 and dof > 0 (see the module's accuracy)."""
    if not 0 < p < 1:
        raise ValueError(f"t_quantile needs 0 < p < 1, got {p}")
    if p < 0.5:
        return -_upper_quantile(p, dof)
    return _upper_quantile(1 - p, dof)  # exact: 1 - p loses nothing for p >= 1/2


def _upper_quantile(target: float, dof: float) -> float:
    """The t >= 0 with P(T > t) = target <= 1/2."""
    if target == 0.5:
        return 0.0
    if dof == 1:  # Cauchy, in closed form
        return 1 / math.tan(math.pi * target)
    if dof == 2:
        return (1 - 2 * target) / math.sqrt(2 * target * (1 - target))
    if dof >= LARGE_DOF:
        z = -NormalDist().inv_cdf(target)
        if z * z <= _EXPANSION_REACH * dof:
            return _expansion(z, dof)
    low, high = 0.0, 1.0
    while t_tail(high, dof) > target:
        low, high = high, 2 * high
    t = (low + high) / 2
    for _ in range(200):
        tail = t_tail(t, dof)
        if tail > target:
            low = t
        else:
            high = t
        density = t_density(t, dof)
        step = (tail - target) / density if density > 0 else math.inf
        guess = t + step
        if not low < guess < high:  # Newton left the bracket: bisect instead
            guess = (low + high) / 2
        if abs(guess - t) <= _EPS * max(1.0, abs(t)) or high - low <= _EPS * max(1.0, high):
            return guess
        t = guess
    return t


def _expansion(z: float, dof: float) -> float:
    """The t quantile for normal quantile z: Cornish-Fisher in 1/dof (Abramowitz-Stegun 26.7.5)."""
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(term / dof ** (k + 1) for k, term in enumerate(terms))


def _normal_equivalent(t: float, dof: float) -> float:
    """The z whose expansion is t (Newton; the expansion is within O(t^3 / dof) of the identity)."""
    z = t
    for _ in range(50):
        step = (_expansion(z, dof) - t) / (1 + (3 * z * z + 1) / (4 * dof))
        z -= step
        if abs(step) <= _EPS * max(1.0, z):
            break
    return z


def t_density(t: float, dof: float) -> float:
    """Probability density of Student's t at t."""
    log_norm = _log_gamma_ratio(dof / 2) - _LOG_SQRT_PI - 0.5 * math.log(dof)
    return math.exp(log_norm - (dof + 1) / 2 * math.log1p(t * t / dof))


def _log_gamma_ratio(a: float) -> float:
    """ln(Gamma(a + 1/2) / Gamma(a)); its asymptotic series for large a avoids lgamma cancellation."""
    if a < 10:
        return math.lgamma(a + 0.5) - math.lgamma(a)
    inv = 1 / a
    inv2 = inv * inv
    series = inv * (-1 / 8 + inv2 * (1 / 192 + inv2 * (-1 / 640 + inv2 * (17 / 14336 - inv2 * 31 / 18432))))
    return 0.5 * math.log(a) + series


def _beta_front(a: float, b: float, *, x_log: float, y_log: float) -> float:
    """x^a y^b / B(a, b) for the t case b = 1/2 (either argument order gives the same B)."""
    log_beta = _LOG_SQRT_PI - _log_gamma_ratio(a)  # ln B(a, 1/2)
    return math.exp(a * x_log + b * y_log - log_beta)


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method."""
    c = 1.0
    d = _nonzero(1.0 - (a + b) * x / (a + 1))
    d = 1 / d
    fraction = d
    for m in range(1, 100_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 / _nonzero(1 + numerator * d)
            c = _nonzero(1 + numerator / c)
            fraction *= c * d
        if abs(c * d - 1) < _EPS:
            break
    return fraction


def _nonzero(value: float) -> float:
    return value if abs(value) > _TINY else _TINY
