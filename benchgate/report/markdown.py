"""gate.json -> the Markdown report (PR comment, step summary, report.md). Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchgate import __version__
from benchgate import formatting as fmt
from benchgate import neutralise as safe
from benchgate.outcome import GateResult, MetricResult, Status, Verdict
from benchgate.results import Mode

_STATUS: dict[Status, str] = {"pass": "✅ PASS", "warn": "⚠️ WARN", "fail": "❌ FAIL"}
_ICON: dict[Status, str] = {"pass": "✅", "warn": "⚠️", "fail": "❌"}
_VERDICT: dict[Verdict, str] = {
    "improved": "▲ improved",
    "unchanged": "= unchanged",
    "regressed": "▼ regressed",
    "inconclusive": "? inconclusive",
    "no-baseline": "— no baseline",
    "skipped": "⏭ skipped",
}
_UNPAIRED = {"scorer-changed": "scorer changed", "skipped-at-base": "skipped at base"}
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
    return text


def _join(sections: list[Section]) -> str:
    return "\n\n".join(section.text for section in sections) + "\n"


def _sections(r: GateResult) -> list[Section]:
    parts = [
        Section("marker", marker(r.scenario)),
        Section("verdict", _verdict(r)),
        Section("metadata", _metadata(r)),
        Section("results", _results(r)),
        Section("changes", _changes(r)),
        *([Section("agreement", _agreement(r))] if r.agreement else []),
        Section("samples", _samples(r)),
    ]
    if r.samples.added or r.samples.removed:
        parts.append(Section("added and removed ids", _id_lists(r), optional=True))
    if r.worst:
        parts.append(Section("worst-regressed samples", _worst(r), optional=True))
    parts.append(Section("reliability", _reliability(r)))
    if r.reliability.unscored_items:
        parts.append(Section("unscored judge replies", _unscored(r), optional=True))
    parts.append(Section("reproduce", _reproduce(r)))
    return parts


def _verdict(r: GateResult) -> str:
    outcome = "This check fails." if r.failed else "This check passes."
    if r.status == "warn" and not r.failed:
        outcome = "This check passes (fail-on-warn is off)."
    lines = [
        f"## {_STATUS[r.status]} · benchgate · `{r.scenario}` ({r.mode})",
        "",
        f"**{r.status.upper()}** — {outcome}",
    ]
    lines += [f"- {safe.text(reason)}" for reason in r.reasons]
    return "\n".join(lines)


def _metadata(r: GateResult) -> str:
    m = r.meta
    dataset = f"{safe.inline(m.dataset.path)} · {m.samples:,} samples · sha256 `{m.dataset.sha256[:12]}`"
    if m.limit is not None:
        dataset += f" · first {m.limit:,} only (--limit)"
    prompt = f"{safe.inline(m.prompt_version)} · {safe.inline(m.prompt.path)} sha256 `{m.prompt.sha256[:12]}`"
    if m.base_dataset_sha256 is not None:
        dataset += " · " + (
            "unchanged since base" if m.base_dataset_sha256 == m.dataset.sha256 else "**changed since base**"
        )
        prompt += " · " + (
            "unchanged since base" if m.base_prompt_sha256 == m.prompt.sha256 else "**changed since base**"
        )
    head = f"`{r.head.sha[:12]}`" if r.head.sha else "not a git commit"
    if r.head.dirty:
        head += " + uncommitted results"
    lines = [
        "### Metadata",
        f"- **Scenario:** `{r.scenario}` · mode `{r.mode}`",
        f"- **Dataset:** {dataset}",
        f"- **Prompt version:** {prompt}",
        f"- **Candidate model:** {safe.inline(m.model)} · **Judge:** {safe.inline(m.judge)}"
        + (f" via {safe.inline(m.endpoint)}" if m.endpoint else ""),
        f"- **Base:** {_base(r)} · **Head:** {head}",
    ]
    return "\n".join(lines)


def _base(r: GateResult) -> str:
    rev = safe.inline(r.base.rev) if r.base.rev else "none"
    sha = f" @ `{r.base.sha[:12]}`" if r.base.sha else ""
    return rev + sha + ("" if r.base.found else " (no baseline)")


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
            cells.append(f"{fmt.value(name, other.value)} {_ICON[other.status]}" if other else "—")
        delta = fmt.signed(name, m.delta)
        if m.delta_ci is not None:
            delta += f" [{fmt.signed(name, m.delta_ci[0])}, {fmt.signed(name, m.delta_ci[1])}]"
        verdict = _VERDICT[m.verdict]
        if m.unpaired is not None:
            verdict += f" ({_UNPAIRED[m.unpaired]})"
        if m.p_value is not None and m.verdict in ("improved", "regressed"):
            verdict += f" (p {fmt.p_value(m.p_value)})"
        cells += [fmt.value(name, m.base_value), delta, verdict, _threshold(m), _STATUS[m.status]]
        lines.append("| " + " | ".join(cells) + " |")
    policy = "fail-on-warn on" if r.fail_on_warn else "fail-on-warn off"
    overall = ["**Overall**", ""]
    if companion is not None:
        overall.append(f"{_STATUS[companion.status]} (not gated)")
    overall += ["", "", "", policy, f"**{_STATUS[r.status]}**"]
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
    if m.unscored:
        value += f" · {m.unscored} unscored"
    return value


def _agreement(r: GateResult) -> str:
    lines = [
        "### Judge vs ground truth",
        "| Metric | Spearman ρ | Mean abs. difference | n |",
        "| --- | --- | --- | --- |",
    ]
    for name, a in r.agreement.items():
        rho = "—" if a.spearman is None else f"{a.spearman:.2f}"
        lines.append(f"| {name} | {rho} | {a.mean_abs_diff:.3f} | {a.n:,} |")
    return "\n".join(lines)


def _threshold(m: MetricResult) -> str:
    sign = "≥" if m.threshold.direction == "higher" else "≤"
    text = f"{sign}{fmt.bound(m.threshold.pass_)} pass"
    if m.threshold.warn is not None:
        text += f", {sign}{fmt.bound(m.threshold.warn)} warn"
    return text


def _changes(r: GateResult) -> str:
    level = f"{100 * (1 - r.alpha):g}% CI"
    lines = ["### Significant changes"]
    significant = [(n, m) for n, m in r.metrics.items() if m.verdict in ("improved", "regressed")]
    for name, m in significant:
        low, high = m.delta_ci or (None, None)
        interval = f"{level} {fmt.signed(name, low)} to {fmt.signed(name, high)}"
        lines.append(
            f"- {_VERDICT[m.verdict]} **{name}**: {fmt.signed(name, m.delta)} ({interval}, "
            f"p {fmt.p_value(m.p_value)}; max drop {fmt.bound(m.threshold.max_drop)})"
        )
    if not r.base.found:
        lines.append("- None: there is no baseline to compare with.")
        return "\n".join(lines)
    if not significant:
        lines.append("- None beyond each metric's max drop.")
    for name, m in r.metrics.items():
        if m.verdict != "inconclusive":
            continue
        detail = "too few paired samples"
        if m.delta is not None:
            detail = f"{fmt.signed(name, m.delta)}, smallest detectable change {fmt.value(name, m.mde)}"
        lines.append(f"- ? **{name}** inconclusive ({detail}); more samples would settle it.")
    return "\n".join(lines)


def _samples(r: GateResult) -> str:
    s = r.samples
    if not r.base.found:
        return f"### Samples\n{s.head:,} samples at head; nothing to pair with."
    counts = f"{s.paired:,} paired by id · {s.added_count:,} added · {s.removed_count:,} removed"
    return f"### Samples\n{counts} (head {s.head:,}, base {s.base:,})."


def _id_lists(r: GateResult) -> str:
    s = r.samples
    parts = []
    for label, ids, count in (
        ("Added", s.added, s.added_count),
        ("Removed", s.removed, s.removed_count),
    ):
        if ids:
            more = f" and {count - len(ids):,} more" if count > len(ids) else ""
            parts.append(f"{label} ({count:,}): " + ", ".join(safe.inline(i, 60) for i in ids) + more)
    return _details("Added and removed sample ids", "\n\n".join(parts))


def _worst(r: GateResult) -> str:
    metrics = [n for n in r.metrics if any(n in w.deltas for w in r.worst)]
    lines = [
        "| Sample | " + " | ".join(metrics) + " | Output (start) |",
        "| --- " * (len(metrics) + 2) + "|",
    ]
    for change in r.worst:
        cells = [fmt.signed(m, change.deltas[m]) if m in change.deltas else "—" for m in metrics]
        lines.append(
            f"| {safe.inline(change.id, 60)} | "
            + " | ".join(cells)
            + f" | {safe.inline(change.excerpt, 100)} |"
        )
    return _details(f"Worst-regressed samples ({len(r.worst)})", "\n".join(lines))


def _reliability(r: GateResult) -> str:
    rel, calls = r.reliability, r.reliability.calls
    lines = [
        "### Reliability",
        f"- **Unscored:** {rel.unscored:,} of {rel.judgements:,} judgements "
        f"({fmt.share(rel.unscored, rel.judgements)}; max {fmt.bound(100 * rel.max_unscored)}%)",
    ]
    if calls.requests or calls.cache_hits:
        retries = ", ".join(f"{safe.inline(k, 40)} ×{v}" for k, v in sorted(calls.retries.items())) or "none"
        lines.append(f"- **Requests:** {calls.requests:,} · retried failures by status: {retries}")
        lines.append(f"- **Judge re-asks** (unreadable replies asked again): {calls.reasks:,}")
        lines.append(f"- **Cache:** {calls.cache_hits:,} hits · {calls.cache_misses:,} misses")
        tokens = f"{calls.prompt_tokens:,} prompt + {calls.completion_tokens:,} completion"
        cost = f" · est. ${calls.cost_usd:.2f}" if calls.cost_usd is not None else ""
        lines.append(f"- **Tokens:** {tokens}{cost}")
    else:
        lines.append("- **Calls:** none (judged from stored ground truth)")
    return "\n".join(lines)


def _unscored(r: GateResult) -> str:
    rel = r.reliability
    chunks = []
    for item in rel.unscored_items:
        head = f"{safe.inline(item.id, 60)} · {item.metric} · {safe.inline(item.reason, 80)}"
        chunks.append(head + ("\n\n" + safe.block(item.reply) if item.reply else ""))
    title = f"Unscored judgements ({len(rel.unscored_items)} of {rel.unscored:,} shown)"
    return _details(title, "\n\n".join(chunks))


def _reproduce(r: GateResult) -> str:
    commands = safe.block("\n".join(r.reproduce), language="bash", ours=True)
    footer = f"<sub>benchgate {__version__} · gate.json schema {r.schema_version}</sub>"
    return f"### Reproduce\n{commands}\n\n{footer}"


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"
