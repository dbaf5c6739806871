"""gate.json -> the Markdown report (PR comment, step summary, report.md). Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchgate import __version__
from benchgate import formatting as fmt
from benchgate import neutralise as safe
from benchgate.outcome import GateResult, MetricResult
from benchgate.report import context, details, governance, pairwise, trend
from benchgate.report.labels import ICON, STATUS, UNPAIRED, VERDICT
from benchgate.results import Mode

COMMENT_LIMIT = 65_536


@dataclass(frozen=True)
class Section:
    """A piece of the report; optional sections go first when it must shrink."""

    name: str
    text: str
    optional: bool = False


def marker(scenario: str) -> str:
    """The hidden first line that makes the PR comment sticky, one per scenario."""
    return f"<!-- benchgate:{scenario} -->"


def utf16_length(text: str) -> int:
    """Length as GitHub counts a comment body (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def utf8_size(text: str) -> int:
    """Size as a step summary file counts it."""
    return len(text.encode("utf-8"))


def render(
    result: GateResult, max_size: int | None = None, measure: Callable[[str], int] = utf16_length
) -> str:
    """The report; with `max_size`, optional details are dropped (and named) until it fits.

    The verdict, metadata, results table and reproduce commands are never dropped.
    """
    sections = _sections(result)
    text = _join(sections)
    if max_size is None or measure(text) <= max_size:
        return text
    dropped: list[str] = []
    for section in [s for s in reversed(sections) if s.optional]:
        sections.remove(section)
        dropped.append(section.name)
        note = Section(
            "trimmed",
            f"_Trimmed to fit {max_size:,} characters: {', '.join(dropped)}. gate.json has them all._",
        )
        text = _join([*sections, note])
        if measure(text) <= max_size:
            return text
    return _cut(text, max_size, measure)


def _cut(text: str, max_size: int, measure: Callable[[str], int]) -> str:
    """Last resort for a result with more rows than fit (only a crafted gate.json has them):
    whole lines are dropped from the end, and an open code fence is closed."""
    tail = "\n_Cut to fit: gate.json has the rest._\n"
    lines = text.split("\n")
    budget = max_size - measure(tail) - 8
    kept, used = [], 0
    for line in lines:
        size = measure(line) + 1
        if used + size > budget:
            break
        kept.append(line)
        used += size
    fence = None
    for line in kept:
        run = line[: len(line) - len(line.lstrip("`"))]
        if fence is None and len(run) >= 3:
            fence = run
        elif fence is not None and line.strip() == fence:
            fence = None
    return "\n".join([*kept, *([fence] if fence else [])]) + tail


def _join(sections: list[Section]) -> str:
    return "\n\n".join(section.text for section in sections) + "\n"


def _sections(r: GateResult) -> list[Section]:
    parts = [
        Section("marker", marker(r.scenario)),
        Section("verdict", _verdict(r)),
        Section("metadata", context.metadata(r)),
        Section("results", _results(r)),
        *([Section("policy changes", context.policy_changes(r))] if r.policy_changes else []),
        Section("changes", details.changes(r)),
        *([Section("agreement", details.agreement(r))] if r.agreement or _calibrated(r) else []),
        *([Section("judge noise", details.judge_noise(r))] if _noisy(r) else []),
        *([Section("pairwise", pairwise.section(r))] if _pairs(r) else []),
        *([Section("trend", trend.section(r))] if r.trend else []),
    ]
    if trend.charts(r):  # dropped last of all when the report must shrink
        parts.append(Section("trend charts", trend.charts(r), optional=True))
    parts.append(Section("samples", context.samples(r)))
    if r.observations:
        parts.append(Section("observations", details.observations(r), optional=True))
    if r.policy.governance.approvers:
        parts.append(Section("approvals", governance.approvals(r)))
    if r.samples.added or r.samples.removed:
        parts.append(Section("added and removed ids", context.id_lists(r), optional=True))
    if r.worst:
        parts.append(Section("worst-regressed samples", details.worst(r), optional=True))
    if r.lost_pairs:
        parts.append(Section("most-lost pairs", pairwise.lost(r), optional=True))
    parts.append(Section("reliability", details.reliability(r)))
    if r.reliability.unscored_items:
        parts.append(Section("unscored judge replies", details.unscored(r), optional=True))
    parts.append(Section("reproduce", _reproduce(r)))
    return parts


def _calibrated(r: GateResult) -> bool:
    return any(m.calibration for m in r.metrics.values())


def _pairs(r: GateResult) -> bool:
    return any(pairwise.is_pairwise(m) for m in r.metrics.values())


def _noisy(r: GateResult) -> bool:
    return any(m.judge_noise for m in r.metrics.values())


def _verdict(r: GateResult) -> str:
    outcome = "This check fails." if r.failed else "This check passes."
    if r.status == "warn" and not r.failed:
        outcome = "This check passes (fail-on-warn is off)."
    elif r.status == "pending":
        outcome = (
            "This check fails until every required role approves."
            if r.failed
            else "This check passes while approvals are pending (governance.on_pending is warn)."
        )
    lines = [
        f"## {STATUS[r.status]} · benchgate · `{r.scenario}` ({r.mode})",
        "",
        f"**{r.status.upper()}** — {outcome}",
    ]
    lines += [f"- {safe.text(reason.message)}" for reason in r.reasons]
    return "\n".join(lines)


def _results(r: GateResult) -> str:
    companion = r.companion
    header = ["Metric", f"{_mode_label(r.mode)} (95% CI)"]
    if companion is not None:
        header.append(_mode_label(companion.mode))
    header += ["Base", "Δ vs base (CI)", "Verdict", "Threshold", "Status"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for name, m in r.metrics.items():
        plain = m.threshold.aggregate == "mean" and m.latency is None
        cells = [name if plain else f"{name} ({m.threshold.aggregate})", _value_cell(name, m)]
        if companion is not None:
            other = companion.metrics.get(name)
            cells.append(f"{fmt.value(name, other.value)} {ICON[other.status]}" if other else "—")
        delta = fmt.signed(name, m.delta)
        if m.delta_ci is not None:
            delta += f" [{fmt.signed(name, m.delta_ci[0])}, {fmt.signed(name, m.delta_ci[1])}]"
        verdict = VERDICT[m.verdict]
        if m.no_baseline in UNPAIRED:
            verdict += f" ({UNPAIRED[m.no_baseline]})"
        if m.p_value is not None and m.verdict in ("improved", "regressed"):
            verdict += f" (p {fmt.p_value(m.p_value)})"
        if m.calibration == "uncalibrated":
            verdict += " · uncalibrated judge"
        cells += [fmt.value(name, m.base_value), delta, verdict, _threshold(m), STATUS[m.status]]
        lines.append("| " + " | ".join(cells) + " |")
    policy = "fail-on-warn on" if r.policy.fail_on_warn else "fail-on-warn off"
    overall = ["**Overall**", ""]
    if companion is not None:
        overall.append(f"{STATUS[companion.status]} (not gated)")
    overall += ["", "", "", policy, f"**{STATUS[r.status]}**"]
    lines.append("| " + " | ".join(overall) + " |")
    return "### Results\n" + "\n".join(lines)


def _mode_label(mode: Mode) -> str:
    return "Live run (LLM)" if mode == "live" else "Dry-run"


def _value_cell(name: str, m: MetricResult) -> str:
    if m.skipped is not None:
        return "— (skipped)"
    value = fmt.value(name, m.value)
    if m.ci is not None:
        value += f" [{fmt.value(name, m.ci[0])}, {fmt.value(name, m.ci[1])}]"
    if pairwise.is_pairwise(m):
        value = f"win rate {value} · {pairwise.counts(m)}"
    if m.unscored:
        value += f" · {m.unscored} unscored"
    return value


def _threshold(m: MetricResult) -> str:
    sign = "≥" if m.threshold.direction == "higher" else "≤"
    text = f"{sign}{fmt.bound(m.threshold.pass_)} pass"
    if m.threshold.warn is not None:
        text += f", {sign}{fmt.bound(m.threshold.warn)} warn"
    return text


def _reproduce(r: GateResult) -> str:
    commands = safe.block("\n".join(r.reproduce), language="bash", ours=True)
    footer = f"<sub>benchgate {__version__} · gate.json schema {r.schema_version}</sub>"
    return f"### Reproduce\n{commands}\n\n{footer}"
