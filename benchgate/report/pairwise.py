"""The report's pairwise parts: the table cell, the position-bias section, the most-lost pairs. Pure."""

from __future__ import annotations

from benchgate import formatting as fmt
from benchgate import neutralise as safe
from benchgate.outcome import GateResult, MetricResult
from benchgate.report.labels import CALIBRATION, details


def is_pairwise(m: MetricResult) -> bool:
    """Whether the metric's values are a pairwise judge's win rate."""
    return m.wins is not None


def counts(m: MetricResult) -> str:
    """`12 won · 30 tied · 18 lost · 9 inconsistent (30.0%)` for the results table."""
    text = f"{m.wins} won · {m.ties} tied · {m.losses} lost"
    if m.inconsistent:
        text += f" · {m.inconsistent} inconsistent ({fmt.share(m.inconsistent, m.judged or 0)})"
    return text


def section(r: GateResult) -> str:
    """Per pairwise metric: how the pairs went and how often the judge followed the position."""
    gated = r.policy.max_position_bias is not None
    header = ["Metric", "Judge", "Pairs", "Identical (no call)", "Won / tied / lost", "Inconsistent"]
    header += ["Position bias (95% CI)", *(["Calibration"] if gated else [])]
    lines = ["### Pairwise judging", "| " + " | ".join(header) + " |", "| --- " * len(header) + "|"]
    for name, m in r.metrics.items():
        if not is_pairwise(m):
            continue
        bias = "— (nothing judged)"
        if m.position_bias is not None and m.position_bias_ci is not None:
            low, high = fmt.outward(*m.position_bias_ci, "{:.3f}")
            slot = f"; first slot {m.position_first}" if m.inconsistent else ""
            bias = f"{m.position_bias:.3f} [{low}, {high}]{slot}"
        cells = [
            name,
            safe.inline(r.meta.judge, 60),
            f"{m.n:,}",
            f"{m.identical:,}",
            f"{m.wins} / {m.ties} / {m.losses}",
            f"{m.inconsistent} of {m.judged} judged",
            bias,
        ]
        if gated:
            cells.append(CALIBRATION.get(m.calibration, "—"))
        lines.append("| " + " | ".join(cells) + " |")
    note = (
        "_Each changed pair is judged with the head's output first, then the base's. A pair is won or "
        "lost when both orders agree; inconsistent when the verdict followed the position (counted as "
        "a tie, and as position bias); the win rate counts ties ½ and is tested against ½."
    )
    if r.policy.max_position_bias is not None:
        bound = fmt.bound(r.policy.max_position_bias)
        note += f" A judge is calibrated when the interval stays within max_position_bias {bound}."
    return "\n".join([*lines, "", note + "_"])


def lost(r: GateResult) -> str:
    """The pairs the head lost most clearly, with both outputs' starts (collapsed)."""
    lines = ["| Sample | Metric | Votes for base | Head output (start) | Base output (start) |"]
    lines.append("| --- " * 5 + "|")
    for pair in r.lost_pairs:
        lines.append(
            f"| {safe.inline(pair.id, 60)} | {pair.metric} | {pair.base_votes} of {pair.votes} | "
            f"{safe.inline(pair.head_excerpt, 100)} | {safe.inline(pair.base_excerpt, 100)} |"
        )
    return details(f"Most-lost pairs ({len(r.lost_pairs)})", "\n".join(lines))
