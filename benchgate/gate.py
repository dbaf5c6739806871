"""The gate: thresholds, base comparison and reliability rules -> one status. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchgate import formatting as fmt
from benchgate.companion import agreement, companion_run
from benchgate.compare import Pairing, compare_metric, pair, unpaired, worst_samples
from benchgate.config import GatePolicy, MetricSpec, Scenario
from benchgate.metrics import ScoreTable, summarise_table
from benchgate.outcome import (
    Agreement,
    BaseRef,
    GateResult,
    HeadRef,
    Latency,
    Meta,
    MetricResult,
    ReliabilityResult,
    SampleSets,
    Status,
    Threshold,
    UnscoredItem,
)
from benchgate.results import MetricSummary, RunFiles
from benchgate.status import threshold_status, worst

ID_LIST_LIMIT = 50
NOT_COMPARED = ("no-baseline", "skipped")
UNSCORED_LIST_LIMIT = 20
REPLY_LIMIT = 500


@dataclass(frozen=True)
class GateInput:
    """Everything the gate decides on; gathered by `commands.gate`."""

    scenario_name: str
    scenario: Scenario
    policy: GatePolicy
    head: RunFiles
    base: RunFiles | None
    base_ref: BaseRef
    head_ref: HeadRef
    reproduce: list[str]
    companion: RunFiles | None = None


@dataclass(frozen=True)
class _Tables:
    head: ScoreTable
    base: ScoreTable | None
    pairing: Pairing | None


def evaluate(gate: GateInput) -> GateResult:
    """Apply every rule and explain each non-pass outcome."""
    policy, regression = gate.policy, gate.scenario.regression
    names = list(gate.scenario.metrics)
    head = ScoreTable.build(gate.head.scores, names)
    base = ScoreTable.build(gate.base.scores, names) if gate.base else None
    tables = _Tables(head, base, pair(head, base) if base else None)
    summaries = summarise_table(head, gate.scenario, gate.scenario_name, gate.head.info.skipped)
    reasons: list[str] = []
    metrics = {
        metric: _metric_result(gate, tables, metric, summary=summaries[metric], reasons=reasons)
        for metric in gate.scenario.metrics
    }
    statuses = [result.status for result in metrics.values()]
    reasons += _skipped_reasons(metrics, policy)
    if gate.base is None and regression.on_missing_baseline != "ignore":
        statuses.append(regression.on_missing_baseline)
        reasons.append(f"no baseline to compare with: {gate.base_ref.reason}")
    reliability = _reliability(gate, policy)
    if reliability.judgements and reliability.unscored / reliability.judgements > policy.max_unscored:
        statuses.append("fail")
        reasons.append(
            f"{reliability.unscored} of {reliability.judgements} judgements are unscored "
            f"({fmt.share(reliability.unscored, reliability.judgements)}); "
            f"max_unscored is {fmt.bound(100 * policy.max_unscored)}%"
        )
    status = worst(*statuses)
    most_regressed = []
    if tables.base is not None and tables.pairing is not None:
        compared = [m for m in gate.scenario.quality_metrics if metrics[m].verdict not in NOT_COMPARED]
        most_regressed = worst_samples(head, tables.base, tables.pairing, compared)
    return GateResult(
        status=status,
        failed=status == "fail" or (status == "warn" and policy.fail_on_warn),
        fail_on_warn=policy.fail_on_warn,
        alpha=regression.alpha,
        scenario=gate.scenario_name,
        mode=gate.head.info.mode,
        base=gate.base_ref,
        head=gate.head_ref,
        meta=_meta(gate),
        metrics=metrics,
        samples=_sample_sets(tables),
        worst=most_regressed,
        reliability=reliability,
        reasons=reasons,
        reproduce=gate.reproduce,
        companion=companion_run(gate.companion, gate.scenario, gate.scenario_name)
        if gate.companion
        else None,
        agreement=_agreement(gate),
    )


def _agreement(gate: GateInput) -> dict[str, Agreement]:
    if gate.companion is None or {gate.head.info.mode, gate.companion.info.mode} != {"dry-run", "live"}:
        return {}
    judged, truth = (
        (gate.head, gate.companion) if gate.head.info.mode == "live" else (gate.companion, gate.head)
    )
    return agreement(judged, truth, gate.scenario.judge_metrics)


def with_excerpts(result: GateResult, excerpts: dict[str, str]) -> GateResult:
    """The result with the worst samples' output excerpts filled in."""
    worst_with = [w.model_copy(update={"excerpt": excerpts.get(w.id)}) for w in result.worst]
    return result.model_copy(update={"worst": worst_with})


def _metric_result(
    gate: GateInput, tables: _Tables, metric: str, *, summary: MetricSummary, reasons: list[str]
) -> MetricResult:
    spec = gate.scenario.metrics[metric]
    threshold = _threshold(gate, metric)
    skipped = gate.head.info.skipped.get(metric)
    if skipped is not None:
        status: Status = "pass" if gate.policy.on_skipped == "ignore" else gate.policy.on_skipped
        return MetricResult(
            value=None,
            ci=None,
            n=0,
            unscored=0,
            threshold=threshold,
            threshold_status=status,
            status=status,
            verdict="skipped",
            skipped=skipped,
        )
    own = threshold_status(summary.value, spec)
    if own != "pass":
        reasons.append(_threshold_reason(metric, summary, spec, own))
    status = own
    comparison: dict[str, Any] = {"verdict": "no-baseline"}
    apart = unpaired(gate.head.info, gate.base.info, metric) if gate.base is not None else None
    if apart is not None:
        comparison["unpaired"] = apart[0]
        on_missing = gate.scenario.regression.on_missing_baseline
        if on_missing != "ignore":
            status = worst(status, on_missing)
        reasons.append(f"{metric} is not compared with the base: {apart[1]}")
    elif tables.base is not None and tables.pairing is not None:
        found = compare_metric(
            tables.head,
            tables.base,
            tables.pairing,
            metric,
            spec,
            alpha=gate.scenario.regression.alpha,
            max_drop=gate.scenario.max_drop(metric),
            key=f"{gate.scenario_name}/{metric}",
        )
        comparison = {
            "verdict": found.verdict,
            "base_value": _round(found.base_value),
            "n_paired": found.n_paired,
        }
        change = found.change
        if change is not None:
            comparison |= {
                "delta": _round(change.delta),
                "delta_ci": (_round(change.low), _round(change.high)),
                "p_value": _round(change.p_value),
                "mde": _round(change.mde),
                "method": change.method,
            }
        on_regression = gate.scenario.regression.on_regression
        if change is not None and found.verdict == "regressed" and on_regression != "ignore":
            status = worst(status, on_regression)
            reasons.append(
                f"{metric} regressed against the base: {fmt.signed(metric, change.delta)} "
                f"(CI {fmt.signed(metric, change.low)} to {fmt.signed(metric, change.high)}, "
                f"p {fmt.p_value(change.p_value)})"
            )
    if 0 < summary.n < gate.policy.min_samples:
        status = "fail"
        reasons.append(
            f"{metric} has only {summary.n} samples with a value; min_samples is {gate.policy.min_samples}"
        )
    latency = None
    if summary.mean is not None and summary.p50 is not None and summary.p95 is not None:
        latency = Latency(mean=summary.mean, p50=summary.p50, p95=summary.p95)
    ci = None if summary.ci_low is None or summary.ci_high is None else (summary.ci_low, summary.ci_high)
    return MetricResult(
        value=summary.value,
        ci=ci,
        n=summary.n,
        unscored=summary.unscored,
        threshold=threshold,
        threshold_status=own,
        status=status,
        latency=latency,
        **comparison,
    )


def _threshold(gate: GateInput, metric: str) -> Threshold:
    spec = gate.scenario.metrics[metric]
    return Threshold(
        pass_=spec.pass_,
        warn=spec.warn,
        direction=spec.direction,
        aggregate=spec.aggregate,
        max_drop=gate.scenario.max_drop(metric),
    )


def _skipped_reasons(metrics: dict[str, MetricResult], policy: GatePolicy) -> list[str]:
    """One line per distinct reason, naming the metrics it skipped."""
    by_reason: dict[str, list[str]] = {}
    for name, result in metrics.items():
        if result.skipped is not None:
            by_reason.setdefault(result.skipped, []).append(name)
    return [
        f"skipped, no values: {', '.join(names)} — {reason} (gate.on_skipped: {policy.on_skipped})"
        for reason, names in by_reason.items()
    ]


def _meta(gate: GateInput) -> Meta:
    info = gate.head.info
    return Meta(
        dataset=info.dataset,
        samples=info.samples,
        limit=info.limit,
        prompt=info.prompt,
        prompt_version=info.prompt_version,
        model=info.model,
        judge=info.judge,
        endpoint=info.endpoint,
        base_dataset_sha256=gate.base.info.dataset.sha256 if gate.base else None,
        base_prompt_sha256=gate.base.info.prompt.sha256 if gate.base else None,
    )


def _sample_sets(tables: _Tables) -> SampleSets:
    if tables.base is None or tables.pairing is None:
        return SampleSets(head=len(tables.head.ids), base=0, paired=0)
    pairing = tables.pairing
    return SampleSets(
        head=len(tables.head.ids),
        base=len(tables.base.ids),
        paired=pairing.paired,
        added=pairing.added[:ID_LIST_LIMIT],
        added_count=len(pairing.added),
        removed=pairing.removed[:ID_LIST_LIMIT],
        removed_count=len(pairing.removed),
    )


def _reliability(gate: GateInput, policy: GatePolicy) -> ReliabilityResult:
    unscored = sorted((s for s in gate.head.scores if s.unscored), key=lambda s: s.id)
    items = [
        UnscoredItem(id=s.id, metric=m, reason=reason, reply=_clip(s.replies.get(m)))
        for s in unscored
        for m, reason in sorted(s.unscored.items())
    ]
    scored = [m for m in gate.scenario.quality_metrics if m not in gate.head.info.skipped]
    return ReliabilityResult(
        judgements=len(gate.head.scores) * len(scored),
        unscored=len(items),
        max_unscored=policy.max_unscored,
        calls=gate.head.info.reliability,
        unscored_items=items[:UNSCORED_LIST_LIMIT],
    )


def _threshold_reason(metric: str, summary: MetricSummary, spec: MetricSpec, status: Status) -> str:
    if summary.value is None:
        return f"{metric} has no scored samples"
    side = "below" if spec.direction == "higher" else "above"
    shown = fmt.value(metric, summary.value)
    text = f"{metric} {shown} is {side} the pass bound {fmt.bound(spec.pass_)}"
    if status == "fail" and spec.warn is not None:
        text += f" and the warn bound {fmt.bound(spec.warn)}"
    return text


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= REPLY_LIMIT:
        return text
    return text[:REPLY_LIMIT] + "…"


def _round(number: float | None) -> float | None:
    return None if number is None else round(number, 6)
