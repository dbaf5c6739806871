"""The trend: a Mermaid `xychart-beta` per metric for GitHub, a sparkline for terminals. Pure.

A chart is built from numbers, validated commit SHAs and validated metric names only, so an
untrusted gate.json cannot put text of its own inside a Mermaid block (Mermaid has its own
markup, which GitHub renders in the comment).
"""

from __future__ import annotations

from dataclasses import dataclass

from benchgate import formatting as fmt
from benchgate import neutralise as safe
from benchgate.outcome import GateResult, MetricResult, Trend

BARS = "▁▂▃▄▅▆▇█"
HEAD_LABEL = "head"
SHORT_SHA = 7


@dataclass(frozen=True)
class Series:
    """One metric's points, oldest first, the head's value last (when it has one)."""

    labels: list[str]
    values: list[float]
    head: float | None


def series(trend: Trend, name: str, m: MetricResult) -> Series:
    """The committed points of `name`, then the head's value."""
    points = trend.points.get(name, [])
    labels = [p.sha[:SHORT_SHA] for p in points]
    values = [p.value for p in points]
    if m.value is not None:
        labels.append(HEAD_LABEL)
        values.append(m.value)
    return Series(labels, values, m.value)


def sparkline(values: list[float]) -> str:
    """▁..█ scaled from the smallest to the largest value; a flat run sits in the middle."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high - low <= 1e-12:
        return BARS[3] * len(values)
    top = len(BARS) - 1
    return "".join(BARS[round((v - low) / (high - low) * top)] for v in values)


def mermaid(name: str, s: Series, m: MetricResult) -> str:
    """An `xychart-beta` block: the values as a line, the pass bound as a flat second line."""
    digits = fmt.decimals(name) + 1
    bound = m.threshold.pass_
    low, high = _axis([*s.values, bound])
    labels = ", ".join(f'"{label}"' for label in s.labels)
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "{name}"',
        f"    x-axis [{labels}]",
        f'    y-axis "{name}" {low:.{digits}f} --> {high:.{digits}f}',
        "    line [" + ", ".join(f"{v:.{digits}f}" for v in s.values) + "]",
        "    line [" + ", ".join(f"{bound:.{digits}f}" for _ in s.values) + "]",
        "```",
    ]
    return "\n".join(lines)


def _axis(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or max(abs(high) * 0.05, 0.01)
    floor = 0.0 if low >= 0 else low - pad
    return max(floor, low - pad), high + pad


def section(r: GateResult) -> str:
    """`### Trend`: where the history comes from and a sparkline table (the charts follow apart,
    so that a report that must shrink can drop them and keep this)."""
    trend = r.trend
    assert trend is not None
    where = safe.inline(trend.rev) if trend.rev else "the default branch"
    if trend.unavailable:
        return f"### Trend\n_Unavailable: {safe.text(trend.unavailable)}_"
    count = max((len(points) for points in trend.points.values()), default=0)
    commits = "commit" if count == 1 else f"{count} commits"
    intro = (
        f"The last {commits} on {where} that changed these results ({trend.limit} at most), "
        "then this head; the flat line is the pass bound."
    )
    if trend.truncated:
        intro += " _This shallow clone's history ends there._"
    rows = ["| Metric | Trend | Min | Max | Head |", "| --- | --- | --- | --- | --- |"]
    for name, m in r.metrics.items():
        s = series(trend, name, m)
        if not trend.points.get(name):
            rows.append(f"| {name} | no committed values | — | — | {fmt.value(name, m.value)} |")
            continue
        rows.append(
            f"| {name} | {sparkline(s.values)} | {fmt.value(name, min(s.values))} | "
            f"{fmt.value(name, max(s.values))} | {fmt.value(name, s.head)} |"
        )
    return "\n\n".join(["### Trend", intro, "\n".join(rows)])


def charts(r: GateResult) -> str:
    """One Mermaid chart per metric with committed values; empty when there is none."""
    trend = r.trend
    if trend is None or trend.unavailable:
        return ""
    return "\n\n".join(
        mermaid(name, series(trend, name, m), m) for name, m in r.metrics.items() if trend.points.get(name)
    )


def terminal(r: GateResult) -> list[str]:
    """One line per metric: sparkline, first and last value; or why there is no trend."""
    trend = r.trend
    if trend is None:
        return []
    if trend.unavailable:
        return [f"trend: unavailable ({trend.unavailable})"]
    lines = []
    for name, m in r.metrics.items():
        s = series(trend, name, m)
        if len(s.values) < 2:
            continue
        lines.append(
            f"  {name:<16} {sparkline(s.values)} {fmt.value(name, s.values[0])} -> "
            f"{fmt.value(name, s.values[-1])} ({len(s.values)} points)"
        )
    return ["trend (oldest -> head):", *lines] if lines else []
