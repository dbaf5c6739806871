"""A metric's figures as plain text, shared by the renderers that add no markup (HTML, JUnit). Pure."""

from __future__ import annotations

from benchgate import formatting as fmt
from benchgate.outcome import MetricResult


def value_with_ci(name: str, m: MetricResult) -> str:
    """`0.871 [0.850, 0.890]`."""
    text = fmt.value(name, m.value)
    if m.ci is not None:
        text += f" [{fmt.value(name, m.ci[0])}, {fmt.value(name, m.ci[1])}]"
    return text


def delta_with_ci(name: str, m: MetricResult) -> str:
    """`-0.055 [-0.080, -0.030]`."""
    text = fmt.signed(name, m.delta)
    if m.delta_ci is not None:
        text += f" [{fmt.signed(name, m.delta_ci[0])}, {fmt.signed(name, m.delta_ci[1])}]"
    return text


def bounds(m: MetricResult) -> str:
    """`pass ≥ 0.88, warn ≥ 0.80`."""
    sign = "≥" if m.threshold.direction == "higher" else "≤"
    text = f"pass {sign} {fmt.bound(m.threshold.pass_)}"
    if m.threshold.warn is not None:
        text += f", warn {sign} {fmt.bound(m.threshold.warn)}"
    return text
