"""The report's findings beyond the table: changes, agreement, worst samples, reliability. Pure."""

from __future__ import annotations

from benchgate import formatting as fmt
from benchgate import neutralise as safe
from benchgate.observations import unsettled
from benchgate.outcome import GateResult, ObservationKind
from benchgate.report.labels import CALIBRATION, VERDICT, details

OBSERVATION: dict[ObservationKind, str] = {
    "regressed": "regression",
    "improved": "improvement",
    "inconclusive": "inconclusive",
    "between-bounds": "between warn and pass",
    "modes-disagree": "modes disagree",
    "low-agreement": "judge agreement",
    "trend": "trend",
    "sample-churn": "Sample churn",
    "policy-changed": "Gate policy changed",
    "retries": "LLM infrastructure",
    "unscored": "Unscored judgements",
    "cache": "Response cache",
}


def agreement(r: GateResult) -> str:
    """Judge vs ground truth per metric, and whether each live judge metric is calibrated."""
    gated = bool(r.policy.min_agreement) and r.mode == "live"
    header = ["Metric", "n", "Spearman ρ", "Kendall τ-b", "κ (quadratic)", "Bias (judge − truth)"]
    header += ["Mean abs. diff.", *(["Calibration"] if gated else [])]
    lines = ["### Judge vs ground truth", "| " + " | ".join(header) + " |", "| --- " * len(header) + "|"]
    names = [*r.agreement, *(n for n, m in r.metrics.items() if m.calibration and n not in r.agreement)]
    for name in names:
        a, m = r.agreement.get(name), r.metrics.get(name)
        cells = ["0", "—", "—", "—", "—", "—"]
        if a is not None:
            cells = [
                f"{a.n:,}",
                _estimate(a.spearman, a.spearman_ci, "{:.2f}"),
                _estimate(a.kendall, a.kendall_ci, "{:.2f}"),
                _estimate(a.kappa, a.kappa_ci, "{:.2f}"),
                _estimate(a.bias, a.bias_ci, "{:+.3f}"),
                f"{a.mean_abs_diff:.3f}",
            ]
        if gated:
            cells.append(CALIBRATION.get(m.calibration if m else None, "—"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", _agreement_note(r)]
    return "\n".join(lines)


def _estimate(value: float | None, interval: tuple[float, float] | None, form: str) -> str:
    if value is None:
        return "— (undefined)"
    if interval is None:
        return form.format(value)
    low, high = fmt.outward(*interval, form)
    return f"{form.format(value)} [{low}, {high}]"


def _agreement_note(r: GateResult) -> str:
    found = next(iter(r.agreement.values()), None)
    dataset = found is not None and found.truth == "dataset"
    truth = "the dataset's `ground_truth`" if dataset else "the dry-run's ground truth"
    note = f"_Against {truth} on the samples that have it; 95% percentile bootstrap over samples"
    note += f" (B = {found.resamples:,})" if found and found.resamples else ""
    points = found.points if found and found.points else 5
    note += f"; κ on the judge's {points}-point scale, ground truth rounded to its nearest point."
    if r.policy.min_agreement and r.mode == "live":
        asked = fmt.agreement_bounds(r.policy.min_agreement)
        note += f" A judge is calibrated when each interval's lower bound meets min_agreement: {asked}."
    return note + "_"


def judge_noise(r: GateResult) -> str:
    """Per metric judged k > 1 times: how much of the spread is the judge's."""
    header = ["Metric", "k", "Repeated samples", "Judge share of variance", "Judge share of the CI"]
    header += ["Flips across pass", "CI"]
    lines = ["### Judge noise", "| " + " | ".join(header) + " |", "| --- " * len(header) + "|"]
    for name, m in r.metrics.items():
        noise = m.judge_noise
        if noise is None:
            continue
        flips = f"{noise.flips:,} ({fmt.share(noise.flips, noise.repeated)})" if noise.repeated else "—"
        cells = [
            str(noise.k),
            f"{noise.repeated:,} of {noise.items:,}",
            _percent(noise.judge_share),
            _percent(noise.ci_share),
            flips,
            safe.inline(noise.ci_method, 60),
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "_Variance components of a one-way random-effects model (moment estimator): the judge's share "
        "is the within-sample variance over within + between for one judgement; its share of the CI is "
        "what more judgements per sample could remove. Flips: samples whose judgements fall on both "
        "sides of the pass bound._",
    ]
    return "\n".join(lines)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.0f}%"


def changes(r: GateResult) -> str:
    level = f"{100 * (1 - r.policy.alpha):g}% CI"
    lines = ["### Significant changes"]
    significant = [(n, m) for n, m in r.metrics.items() if m.verdict in ("improved", "regressed")]
    for name, m in significant:
        low, high = m.delta_ci or (None, None)
        interval = f"{level} {fmt.signed(name, low)} to {fmt.signed(name, high)}"
        lines.append(
            f"- {VERDICT[m.verdict]} **{name}**: {fmt.signed(name, m.delta)} ({interval}, "
            f"p {fmt.p_value(m.p_value)}; max drop {fmt.bound(m.threshold.max_drop)})"
        )
    if not r.base.found:  # a pairwise metric's verdict needs no base results, only its outputs
        lines += [] if significant else ["- None: there is no baseline to compare with."]
        return "\n".join(lines)
    if not significant:
        lines.append("- None beyond each metric's max drop.")
    for name, m in r.metrics.items():
        if m.verdict != "inconclusive":
            continue
        seen, more = unsettled(name, m)
        lines.append(f"- ? **{name}** inconclusive ({seen}); {more} would settle it.")
    return "\n".join(lines)


def worst(r: GateResult) -> str:
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
    return details(f"Worst-regressed samples ({len(r.worst)})", "\n".join(lines))


def reliability(r: GateResult) -> str:
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
    if calls.reused:
        each = " · ".join(f"{safe.inline(m, 40)} {n:,}" for m, n in calls.reused.items())
        total = sum(calls.reused.values())
        lines.append(
            f"- **Reused from base:** {total:,} judgements with byte-identical inputs, not re-sent ({each})"
        )
    if calls.requests or calls.cache_hits:
        tokens = f"{calls.prompt_tokens:,} prompt + {calls.completion_tokens:,} completion"
        cost = f" · est. ${calls.cost_usd:.2f}" if calls.cost_usd is not None else ""
        lines.append(f"- **Tokens:** {tokens}{cost}")
    elif not calls.reused:
        lines.append("- **Calls:** none (judged from stored ground truth)")
    return "\n".join(lines)


def unscored(r: GateResult) -> str:
    rel = r.reliability
    chunks = []
    for item in rel.unscored_items:
        head = f"{safe.inline(item.id, 60)} · {item.metric} · {safe.inline(item.reason, 80)}"
        chunks.append(head + ("\n\n" + safe.block(item.reply) if item.reply else ""))
    title = f"Unscored judgements ({len(rel.unscored_items)} of {rel.unscored:,} shown)"
    return details(title, "\n\n".join(chunks))


def observations(r: GateResult) -> str:
    """A numbered list like the pilot's section 4: what was seen, then what to do."""
    lines = ["### Observations & follow-ups"]
    for number, o in enumerate(r.observations, start=1):
        title = f"{o.metric}: {OBSERVATION[o.kind]}" if o.metric else OBSERVATION[o.kind]
        line = f"{number}. **{title}:** {safe.text(o.message)}"
        if o.follow_up:
            line += f" _Follow-up:_ {safe.text(o.follow_up)}"
        lines.append(line)
    return "\n".join(lines)
