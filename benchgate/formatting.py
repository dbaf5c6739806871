"""How numbers read in reasons and reports: one place, so both say the same thing. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping

from benchgate.config import LATENCY_METRIC, AgreementStatistic

STATISTICS: dict[AgreementStatistic, str] = {
    "spearman": "Spearman ρ",
    "kendall": "Kendall τ-b",
    "kappa": "quadratic-weighted κ",
}


def decimals(metric: str) -> int:
    """Digits after the point for a metric: scores need 3, seconds 1."""
    return 1 if metric == LATENCY_METRIC else 3


def value(metric: str, number: float | None) -> str:
    """A metric value, or an em dash when there is none."""
    if number is None:
        return "—"
    return f"{number:.{decimals(metric)}f}"


def signed(metric: str, number: float | None) -> str:
    """A change with an explicit sign."""
    if number is None:
        return "—"
    text = f"{number:+.{decimals(metric)}f}"
    return "+" + text[1:] if text.startswith("-") and float(text) == 0 else text


def bound(number: float) -> str:
    """A threshold or limit as the user wrote it (0.88, 210), at least two decimals below 1."""
    if abs(number) < 1 and round(number, 2) == number:
        return f"{number:.2f}"
    return f"{number:g}"


def share(part: int, whole: int) -> str:
    """A percentage with one decimal."""
    return "0.0%" if whole == 0 else f"{100 * part / whole:.1f}%"


def p_value(number: float | None) -> str:
    """A p-value to 3 decimals, rounded down so that a p below alpha never prints as alpha."""
    if number is None:
        return "—"
    if number < 0.001:
        return "<0.001"
    text = f"{number:.3f}"
    return f"{float(text) - 0.001:.3f}" if float(text) > number else text


def outward(low: float, high: float, form: str = "{:.2f}") -> tuple[str, str]:
    """An interval's bounds in `form`, rounded outwards: a lower bound below a limit never prints
    as the limit (0.4996 reads 0.49, not 0.50)."""
    digits = int(form.rstrip("f}").rsplit(".", 1)[1])
    scale = 10**digits
    # The nudge keeps a bound already at `digits` (0.25) from moving by its float error.
    down = math.floor(low * scale + 1e-9) / scale
    up = math.ceil(high * scale - 1e-9) / scale
    return form.format(down), form.format(up)


def statistic(name: AgreementStatistic) -> str:
    """An agreement statistic's name as reasons and reports print it."""
    return STATISTICS[name]


def agreement_bounds(bounds: Mapping[AgreementStatistic, float]) -> str:
    """`judge.min_agreement` in words: `Spearman ρ ≥ 0.50, Kendall τ-b ≥ 0.40`."""
    return ", ".join(f"{STATISTICS[name]} ≥ {bound(bounds[name])}" for name in STATISTICS if name in bounds)
