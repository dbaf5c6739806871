"""What the CLI prints about a run or a gate (the files hold the full story)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from benchgate.commands.estimate import Estimate
    from benchgate.commands.gate import GateOutcome
    from benchgate.commands.run import RunOutcome


def print_run(outcome: RunOutcome) -> None:
    """Where the results went and each metric with its CI."""
    from benchgate import formatting as fmt

    click.echo(f"{outcome.scenario} ({outcome.mode}): {outcome.samples} samples -> {outcome.directory}")
    for name, summary in outcome.summaries.items():
        if summary.skipped is not None:
            click.echo(f"  {name:<16} skipped: {summary.skipped}")
            continue
        interval = ""
        if summary.ci_low is not None and summary.ci_high is not None:
            interval = f" [{fmt.value(name, summary.ci_low)}, {fmt.value(name, summary.ci_high)}]"
        unscored = f", {summary.unscored} unscored" if summary.unscored else ""
        click.echo(f"  {name:<16} {fmt.value(name, summary.value)}{interval} (n={summary.n}{unscored})")
    calls = outcome.reliability
    if calls.requests or calls.cache_hits:
        retries = ", ".join(f"{kind} x{count}" for kind, count in calls.retries.items()) or "none"
        click.echo(
            f"  calls: {calls.requests} requests, {calls.cache_hits} from cache, retries: {retries}, "
            f"judge re-asks: {calls.reasks}"
        )
    if calls.reused:
        click.echo(f"  reused from the base: {sum(calls.reused.values())} judgements (inputs byte-identical)")


def print_gate(outcome: GateOutcome) -> None:
    """The verdict, its reasons, each metric's trend as a sparkline, and where the report is."""
    from benchgate.report.trend import terminal

    result = outcome.result
    base = result.base.rev or "no base"
    if result.base.sha:
        base += f" ({result.base.sha[:12]})"
    verdict = "fails" if result.failed else "passes"
    click.echo(f"{result.status.upper()}: {result.scenario} ({result.mode}) vs {base}; the gate {verdict}")
    for reason in result.reasons:
        click.echo(f"  - {reason.message}")
    for line in terminal(result):
        click.echo(line)
    click.echo(f"report: {outcome.report_path}")
    if outcome.html_path is not None:
        click.echo(f"html: {outcome.html_path}")
    if outcome.junit_path is not None:
        click.echo(f"junit: {outcome.junit_path}")
    click.echo(f"gate.json: {outcome.json_path}")


def print_estimate(estimate: Estimate) -> None:
    """Calls, tokens and cost per model, then the total and the cap."""
    planned, cached, reused = estimate.planned, estimate.cached, estimate.reused
    sent = planned - cached - reused
    click.echo(
        f"{estimate.scenario} (live, estimate): {estimate.samples} samples, {planned:,} calls: "
        f"{sent:,} to send, {cached:,} from the cache, {reused:,} reused from the base"
    )
    for entry in estimate.models.values():
        cost = f"${entry.cost_usd:.4f}" if entry.cost_usd is not None else "no price configured"
        click.echo(
            f"  {entry.model}: {entry.calls:,} calls, {entry.prompt_tokens:,} prompt tokens "
            f"({entry.counted_by}), {entry.completion_tokens:,} completion tokens "
            f"(from {entry.completion_from}), {cost}"
        )
    total = estimate.cost_usd
    line = f"  total: ${total:.4f}" if total is not None else "  total: no price configured for every model"
    if estimate.cap_usd is not None:
        line += f" (cap ${estimate.cap_usd:g})"
    click.echo(line)
