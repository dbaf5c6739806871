from __future__ import annotations

import pytest

from benchgate import formatting as fmt


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (500 / 10_001, "0.049"),  # below alpha 0.05: must not print as 0.050
        (0.05, "0.050"),
        (0.0505, "0.050"),
        (1 / 32, "0.031"),
        (1.0, "1.000"),
        (0.0009, "<0.001"),
        (None, "—"),
    ],
)
def test_p_value_is_rounded_down(p: float | None, shown: str) -> None:
    assert fmt.p_value(p) == shown


@pytest.mark.parametrize(
    ("low", "high", "form", "shown"),
    [
        (0.4996, 0.8512, "{:.2f}", ("0.49", "0.86")),  # a lower bound below 0.50 never reads 0.50
        (0.25, 0.5, "{:.2f}", ("0.25", "0.50")),  # already at two decimals: unchanged
        (-0.0651, 0.0901, "{:+.3f}", ("-0.066", "+0.091")),
        (1.0, 1.0, "{:.2f}", ("1.00", "1.00")),
    ],
)
def test_interval_bounds_are_rounded_outwards(
    low: float, high: float, form: str, shown: tuple[str, str]
) -> None:
    assert fmt.outward(low, high, form) == shown
