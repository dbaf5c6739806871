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
