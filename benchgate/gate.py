"""The gate: thresholds, base comparison and reliability rules -> one status. Pure.

`evaluate` measures (values, intervals, comparisons, counts); `decide` derives every
verdict, status and reason from those measurements alone. `publish` runs `decide` again on a
gate.json it cannot trust, so a tampered status never reaches a pull request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from benchgate import formatting as fmt
from benchgate.companion import agreement, companion_run
from benchgate.compare import (
    MetricChange,
    Pairing,
    classify,
    compare_metric,
    compare_win_rate,
    pair,
    scorer_change,
    worst_samples,
)
from benchgate.config import (
    AgreementStatistic,
    GatePolicy,
    Governance,
    MetricSpec,
    OnOutcome,
    Scenario,
)
from benchgate.judge_noise import judge_noise
from benchgate.metrics import ScoreTable, summarise_table
from benchgate.observations import observe
from benchgate.outcome import (
    Agreement,
    Approvals,
    BaseRef,
    Calibration,
    GateResult,
    HeadRef,
    JudgeNoise,
    Latency,
    LostPair,
    Meta,
    MetricResult,
    NoBaseline,
    Policy,
    PolicyChange,
    Reason,
    ReliabilityResult,
    SampleSets,
    Status,
    Threshold,
    Trend,
    UnscoredItem,
    Verdict,
)
from benchgate.pairwise import lost, summarise_pairs, undecided
from benchgate.results import MetricSummary, RunFiles, SampleScore
from benchgate.score_lines import ScoreLines
from benchgate.status import threshold_status, worst

ID_LIST_LIMIT = 50
UNPAIRED: tuple[NoBaseline, ...] = ("not-at-base", "scorer-changed", "skipped-at-base", "other-base")
"""Causes of a metric's own no-baseline (the others are shared by every metric, said once)."""
UNSCORED_LIST_LIMIT = 20
LOST_LIMIT = 5
"""Most-lost samples kept per pairwise metric."""
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
    stage: str | None = None
    policy_source: Literal["head", "base"] = "head"
    policy_changes: list[PolicyChange] = field(default_factory=list)
    governance: Governance = field(default_factory=Governance)
    approvals: Approvals | None = None
    trend: Trend | None = None
    labels: Sequence[SampleScore] | None = None
    """A live head's labelled set: the dataset's ground truth, to check the judge against."""


@dataclass(frozen=True)
class _Tables:
    head: ScoreTable
    base: ScoreTable | None
    pairing: Pairing | None
    base_metrics: frozenset[str]


def evaluate(gate: GateInput) -> GateResult:
    """Measure every metric against its bounds and the base, then `decide`."""
    names = list(gate.scenario.metrics)
    head = ScoreTable.build(gate.head.scores, names)
    base = ScoreTable.build(gate.base.scores, names) if gate.base else None
    present = ScoreLines.of(gate.base.scores).present() if gate.base else frozenset()
    tables = _Tables(head, base, pair(head, base) if base else None, present)
    summaries = summarise_table(head, gate.scenario, gate.scenario_name, gate.head.info.skipped)
    metrics = {metric: _measure(gate, tables, metric, summaries[metric]) for metric in names}
    most_regressed = []
    if tables.base is not None and tables.pairing is not None:
        pairwise = set(gate.scenario.pairwise_metrics)
        compared = [
            m for m in gate.scenario.quality_metrics if metrics[m].no_baseline is None and m not in pairwise
        ]
        most_regressed = worst_samples(
            head,
            tables.base,
            tables.pairing,
            [m for m in compared if metrics[m].skipped is None],
            lower_is_better=_lower_is_better(gate.scenario),
        )
    regression, judge = gate.scenario.regression, gate.scenario.judge
    draft = GateResult(
        policy=Policy(
            source=gate.policy_source,
            alpha=regression.alpha,
            fail_on_warn=gate.policy.fail_on_warn,
            on_regression=regression.on_regression,
            on_inconclusive=regression.on_inconclusive,
            on_missing_baseline=regression.on_missing_baseline,
            on_skipped=gate.policy.on_skipped,
            min_samples=gate.policy.min_samples,
            max_unscored=gate.policy.max_unscored,
            min_agreement=judge.min_agreement if judge else {},
            on_uncalibrated=judge.on_uncalibrated if judge else "warn",
            max_position_bias=judge.max_position_bias if judge else None,
            governance=gate.governance,
        ),
        policy_changes=gate.policy_changes,
        scenario=gate.scenario_name,
        mode=gate.head.info.mode,
        base=gate.base_ref,
        head=gate.head_ref,
        meta=_meta(gate),
        metrics=metrics,
        samples=_sample_sets(tables),
        base_only_metrics=sorted(present - set(names)),
        worst=most_regressed,
        lost_pairs=_lost_pairs(gate, metrics),
        reliability=_reliability(gate, gate.policy),
        reproduce=gate.reproduce,
        companion=companion_run(gate.companion, gate.scenario, gate.scenario_name)
        if gate.companion
        else None,
        agreement=_agreement(gate),
        approvals=gate.approvals,
        trend=gate.trend,
    )
    return decide(draft)


def decide(result: GateResult) -> GateResult:
    """Every verdict, status, reason and observation, from the measured fields and the policy alone."""
    policy = result.policy
    reasons: list[Reason] = []
    metrics = {}
    for name, measured in result.metrics.items():
        metric, own = _decide_metric(name, measured, policy)
        calibration, why = _calibration(name, metric, result)
        if calibration is not None:
            status = worst(metric.status, why.status if why else "pass")
            metric = metric.model_copy(update={"calibration": calibration, "status": status})
        metrics[name] = metric
        reasons += [*own, *([why] if why else [])]
    reasons += _shared_no_baseline(result, metrics, policy)
    rel = result.reliability
    if rel.judgements and rel.unscored / rel.judgements > rel.max_unscored:
        message = (
            f"{rel.unscored} of {rel.judgements} judgements are unscored "
            f"({fmt.share(rel.unscored, rel.judgements)}); "
            f"max_unscored is {fmt.bound(100 * rel.max_unscored)}%"
        )
        reasons.append(Reason(kind="unscored", status="fail", message=message))
    cut = rel.calls.truncated
    if cut is not None:  # partial evidence: whatever the numbers say, never a pass
        message = (
            f"the run stopped at its cost cap (${cut.cap_usd:g}) after {cut.calls_done:,} of "
            f"{cut.calls_planned:,} calls (${cut.spent_usd:.4f} spent); rerun with a higher cap to finish it"
        )
        reasons.append(Reason(kind="budget-truncated", status="fail", message=message))
    evidence = worst(*(m.status for m in metrics.values()), *(r.status for r in reasons))
    waiting = _pending_approvals(result)
    status = worst(evidence, *(r.status for r in waiting))
    failed = evidence == "fail" or (evidence == "warn" and policy.fail_on_warn)
    if status == "pending":
        failed = failed or policy.governance.on_pending == "fail" or policy.fail_on_warn
    decided = result.model_copy(
        update={"metrics": metrics, "reasons": reasons + waiting, "status": status, "failed": failed}
    )
    return decided.model_copy(update={"observations": observe(decided)})


def _pending_approvals(result: GateResult) -> list[Reason]:
    """With approvals required, every role of the policy must be approved in a pull request's reviews.

    Roles are taken from the policy, not from `approvals`, so a role left out of a gate.json
    counts as missing. Outside a pull request (`approvals` None) there is nothing to approve.
    """
    governance = result.policy.governance
    if not governance.required or result.approvals is None:
        return []
    states = {role.role: role for role in result.approvals.roles}
    missing = []
    for name in governance.approvers:
        role = states.get(name)
        if role is None:
            missing.append(f"{name} (not checked)")
        elif role.state == "changes-requested":
            missing.append(f"{name} (changes requested by {role.reviewer})")
        elif role.state == "unverified":
            teams = ", ".join(role.unverified_teams)
            missing.append(
                f"{name} (cannot verify team {teams})" if teams else f"{name} (reviews unreadable)"
            )
        elif role.state == "pending":
            missing.append(f"{name} (no review yet)")
    if not missing:
        return []
    message = "awaiting approval: " + "; ".join(missing)
    return [Reason(kind="approval", status="pending", message=message)]


def _decide_metric(name: str, m: MetricResult, policy: Policy) -> tuple[MetricResult, list[Reason]]:
    if m.skipped is not None:
        return _decide_skipped(name, m, policy)
    reasons = []
    own = threshold_status(m.value, m.threshold)
    if own != "pass":
        reasons.append(
            Reason(kind="threshold", metric=name, status=own, message=_threshold_reason(name, m, own))
        )
    verdict = _verdict(m)
    contribution = _contribution(verdict, policy)
    status = worst(own, contribution)
    if verdict == "regressed" and contribution != "pass":
        reasons.append(Reason(kind="regression", metric=name, status=contribution, message=_change(name, m)))
    elif verdict == "inconclusive" and contribution != "pass":
        settle = f"; about {m.settle_n:,} paired samples would settle it" if m.settle_n else ""
        message = f"{name} is inconclusive against the base: {_change(name, m, verb=False)}{settle}"
        reasons.append(Reason(kind="inconclusive", metric=name, status=contribution, message=message))
    elif m.no_baseline in UNPAIRED and contribution != "pass":
        message = _unpaired(name, m)
        reasons.append(Reason(kind="no-baseline", metric=name, status=contribution, message=message))
    if 0 < m.n < policy.min_samples:
        status = "fail"
        message = f"{name} has only {m.n} samples with a value; min_samples is {policy.min_samples}"
        reasons.append(Reason(kind="min-samples", metric=name, status="fail", message=message))
    decided = m.model_copy(update={"threshold_status": own, "verdict": verdict, "status": status})
    return decided, reasons


def _decide_skipped(name: str, m: MetricResult, policy: Policy) -> tuple[MetricResult, list[Reason]]:
    """No values to judge: the metric's status is the policy's, and it says so."""
    status = _contribution("skipped", policy)
    reasons = []
    if status != "pass":
        message = f"{name} skipped, no values: {m.skipped}"
        reasons.append(Reason(kind="skipped", metric=name, status=status, message=message))
    update = {"threshold_status": status, "verdict": "skipped", "status": status}
    return m.model_copy(update=update), reasons


def _calibration(name: str, m: MetricResult, result: GateResult) -> tuple[Calibration | None, Reason | None]:
    """A live judge metric against `judge.min_agreement`: every named interval's lower bound must
    reach its bound; no labelled samples, or an undefined interval, is no evidence of calibration."""
    policy = result.policy
    if m.position_bias_ci is not None:
        return _position_calibration(name, m, policy)
    if result.mode != "live" or not m.llm_judged or m.skipped is not None or not policy.min_agreement:
        return None, None
    found = result.agreement.get(name)
    wanted = [(s, policy.min_agreement[s]) for s in get_args(AgreementStatistic) if s in policy.min_agreement]
    if found is None:
        asked = fmt.agreement_bounds(policy.min_agreement)
        short = [f"no labelled samples (ground truth for {name}) to check it against; min_agreement: {asked}"]
    else:
        short = [text for stat, bound in wanted if (text := _shortfall(stat, bound, found))]
    if not short:
        return "calibrated", None
    status = _rule(policy.on_uncalibrated)
    if status == "pass":
        return "uncalibrated", None
    message = f"{name}: the judge is uncalibrated: " + "; ".join(short)
    if found is not None:
        message += f" (against ground truth on {found.n:,} samples)"
    return "uncalibrated", Reason(kind="uncalibrated", metric=name, status=status, message=message)


def _position_calibration(
    name: str, m: MetricResult, policy: Policy
) -> tuple[Calibration | None, Reason | None]:
    """A pairwise metric against `judge.max_position_bias`: the bias's interval must stay within it."""
    bound = policy.max_position_bias
    if bound is None or m.skipped is not None or m.position_bias_ci is None or m.position_bias is None:
        return None, None
    if m.position_bias_ci[1] <= bound:
        return "calibrated", None
    status = _rule(policy.on_uncalibrated)
    if status == "pass":
        return "uncalibrated", None
    low, high = fmt.outward(*m.position_bias_ci)
    flips, judged = m.inconsistent or 0, m.judged or 0
    message = (
        f"{name}: the pairwise judge's verdict followed the position on {flips:,} of {judged:,} "
        f"judged pairs ({fmt.share(flips, judged)}, 95% CI {low} to {high}); "
        f"max_position_bias {fmt.bound(bound)}"
    )
    return "uncalibrated", Reason(kind="uncalibrated", metric=name, status=status, message=message)


def _shortfall(stat: AgreementStatistic, bound: float, found: Agreement) -> str | None:
    value, interval = found.value(stat), found.interval(stat)
    name, asked = fmt.statistic(stat), f"min_agreement {fmt.bound(bound)}"
    if value is None:
        return f"{name} is undefined (a side is constant); {asked}"
    if interval is None:
        return f"{name} {value:.2f} has no interval (too few samples); {asked}"
    if interval[0] >= bound:
        return None
    low, high = fmt.outward(*interval)
    return f"{name} {value:.2f} (95% CI {low} to {high}), lower bound below {asked}"


def _unpaired(name: str, m: MetricResult) -> str:
    if m.no_baseline == "scorer-changed":
        change = f" ({m.scorer_change.base} → {m.scorer_change.head})" if m.scorer_change else ""
        return f"{name} is not compared with the base: its scorer changed{change}"
    if m.no_baseline == "skipped-at-base":
        return f"{name} is not compared with the base: the base run skipped it"
    if m.no_baseline == "other-base":
        judged = (m.pairwise_base or "no commit")[:12]
        return f"{name} was judged against {judged}, not the gate's base: rerun `benchgate run --base`"
    return f"{name} has no values at the base commit (a new or renamed metric): nothing to compare"


def _verdict(m: MetricResult) -> Verdict:
    if m.skipped is not None:
        return "skipped"
    if m.no_baseline is not None:
        return "no-baseline"
    if m.delta is None or m.delta_ci is None:
        return "inconclusive"
    if m.judged is not None and undecided(m.judged, m.wins or 0, m.losses or 0):
        return "inconclusive"
    low, high = m.delta_ci
    return classify(m.delta, low, high, m.threshold.max_drop, m.threshold.direction == "lower")


def _contribution(verdict: Verdict, policy: Policy) -> Status:
    rule: OnOutcome = "ignore"
    if verdict == "regressed":
        rule = policy.on_regression
    elif verdict == "inconclusive":
        rule = policy.on_inconclusive
    elif verdict == "no-baseline":
        rule = policy.on_missing_baseline
    elif verdict == "skipped":
        rule = policy.on_skipped
    return _rule(rule)


def _rule(rule: OnOutcome) -> Status:
    return "pass" if rule == "ignore" else rule


def _shared_no_baseline(result: GateResult, metrics: dict[str, MetricResult], policy: Policy) -> list[Reason]:
    """One reason for a cause every metric shares (no base results, no common ids), not one each."""
    if policy.on_missing_baseline == "ignore":
        return []
    causes = {m.no_baseline for m in metrics.values()}
    if "no-results" in causes:
        message = f"no baseline to compare with: {result.base.reason or 'no base results'}"
    elif "no-pairs" in causes:
        s = result.samples
        message = (
            f"no sample ids in common with the base ({s.added_count:,} added, {s.removed_count:,} removed): "
            "nothing to compare"
        )
    else:
        return []
    return [Reason(kind="no-baseline", status=policy.on_missing_baseline, message=message)]


def _agreement(gate: GateInput) -> dict[str, Agreement]:
    """The LLM judge against ground truth: a live head against the dataset's labels (or the
    dry-run's, which are the same), a dry-run head's labels against a live companion."""
    other = gate.companion.info.mode if gate.companion else None
    source: Literal["dry-run", "dataset"] = "dry-run"
    if gate.head.info.mode == "live" and gate.labels is not None:
        judged, truth, source = gate.head.scores, gate.labels, "dataset"
    elif gate.head.info.mode == "live" and gate.companion and other == "dry-run":
        judged, truth = gate.head.scores, gate.companion.scores
    elif gate.head.info.mode == "dry-run" and gate.companion and other == "live":
        judged, truth = gate.companion.scores, gate.head.scores
    else:
        return {}
    points = gate.scenario.judge_scale.points
    metrics = gate.scenario.judge_metrics
    return agreement(judged, truth, metrics, points=points, source=source, key=gate.scenario_name)


def with_excerpts(result: GateResult, excerpts: dict[str, str]) -> GateResult:
    """The result with the worst samples' output excerpts filled in."""
    worst_with = [w.model_copy(update={"excerpt": excerpts.get(w.id)}) for w in result.worst]
    return result.model_copy(update={"worst": worst_with})


def _measure(gate: GateInput, tables: _Tables, metric: str, summary: MetricSummary) -> MetricResult:
    spec = gate.scenario.metrics[metric]
    comparison: dict[str, Any] = {"no_baseline": "no-results"}
    if summary.skipped is not None:
        comparison = {"skipped": summary.skipped[:300]}
    elif metric in gate.scenario.pairwise_metrics:
        comparison = _pairwise(gate, tables, metric)
    elif tables.base is not None and tables.pairing is not None:
        comparison = _compared(gate, tables, metric)
    latency = None
    if summary.mean is not None and summary.p50 is not None and summary.p95 is not None:
        latency = Latency(mean=summary.mean, p50=summary.p50, p95=summary.p95)
    ci = None if summary.ci_low is None or summary.ci_high is None else (summary.ci_low, summary.ci_high)
    threshold = Threshold(
        pass_=spec.pass_,
        warn=spec.warn,
        direction=spec.direction,
        aggregate=spec.aggregate,
        max_drop=gate.scenario.max_drop(metric),
    )
    return MetricResult(
        value=summary.value,
        ci=ci,
        n=summary.n,
        unscored=summary.unscored,
        threshold=threshold,
        latency=latency,
        llm_judged=gate.head.info.mode == "live"
        and metric in gate.scenario.judge_metrics
        and summary.skipped is None,
        judge_noise=_judge_noise(tables.head, metric, spec, summary),
        **comparison,
    )


def _judge_noise(
    table: ScoreTable, metric: str, spec: MetricSpec, summary: MetricSummary
) -> JudgeNoise | None:
    groups = table.judgements.get(metric)
    if not groups:
        return None
    found = judge_noise(groups, spec.pass_, spec.direction)
    return JudgeNoise(
        k=max(len(group) for group in groups),
        items=found.items,
        repeated=found.repeated,
        within_var=_round(found.within),
        between_var=_round(found.between),
        judge_share=_round(found.judge_share),
        ci_share=_round(found.ci_share),
        flips=found.flips,
        ci_method=summary.ci_method or "bootstrap over samples",
    )


def _pairwise(gate: GateInput, tables: _Tables, metric: str) -> dict[str, Any]:
    """A pairwise metric: the head's win rate against ½, when judged against the gate's base."""
    judged_against = gate.head.info.pairwise_base
    sha = judged_against.sha if judged_against else None
    found: dict[str, Any] = {"pairwise_base": sha}
    if sha is None or (gate.base_ref.sha is not None and gate.base_ref.sha != sha):
        return found | {"no_baseline": "other-base" if sha else "no-results"}
    counts = summarise_pairs(
        [
            s.pairwise[metric]
            for s in sorted(_detailed(gate.head), key=lambda s: s.id)
            if metric in s.pairwise
        ],
        f"{gate.scenario_name}/{metric}",
    )
    change = compare_win_rate(
        tables.head.values(metric),
        alpha=gate.scenario.regression.alpha,
        max_drop=gate.scenario.max_drop(metric),
        key=f"{gate.scenario_name}/{metric}",
        decided=not undecided(counts.judged, counts.wins, counts.losses),
    )
    bias = counts.position_bias
    found |= {
        "wins": counts.wins,
        "ties": counts.ties,
        "losses": counts.losses,
        "inconsistent": counts.inconsistent,
        "identical": counts.identical,
        "judged": counts.judged,
        "position_first": counts.first,
        "position_bias": _round(bias.value) if bias else None,
        "position_bias_ci": (_round(bias.low), _round(bias.high)) if bias else None,
    }
    return found | _change_fields(change)


def _lost_pairs(gate: GateInput, metrics: dict[str, MetricResult]) -> list[LostPair]:
    found = []
    for metric in gate.scenario.pairwise_metrics:
        if metrics[metric].losses:
            votes = {s.id: s.pairwise[metric] for s in _detailed(gate.head) if metric in s.pairwise}
            found += [
                LostPair(id=i, metric=metric, base_votes=b, votes=n) for i, b, n in lost(votes, LOST_LIMIT)
            ]
    return found


def _compared(gate: GateInput, tables: _Tables, metric: str) -> dict[str, Any]:
    assert tables.base is not None and tables.pairing is not None and gate.base is not None
    if metric in gate.base.info.skipped:
        return {"no_baseline": "skipped-at-base"}
    differ = scorer_change(gate.head.info, gate.base.info, metric)
    if differ is not None:
        return {"no_baseline": "scorer-changed", "scorer_change": differ}
    if metric not in tables.base_metrics:
        return {"no_baseline": "not-at-base"}
    spec = gate.scenario.metrics[metric]
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
    return _change_fields(found)


def _change_fields(found: MetricChange) -> dict[str, Any]:
    no_baseline: NoBaseline | None = "no-pairs" if found.n_paired == 0 else None
    comparison: dict[str, Any] = {
        "base_value": _round(found.base_value),
        "n_paired": found.n_paired,
        "no_baseline": no_baseline,
        "settle_n": found.settle_n,
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
    return comparison


def _detailed(files: RunFiles) -> list[SampleScore]:
    """Records holding more than scores (unscored metrics, pairwise votes, ...): no line is re-read."""
    return list(ScoreLines.of(files.scores).detailed().values())


def _by_id(score: SampleScore) -> str:
    return score.id


def _lower_is_better(scenario: Scenario) -> frozenset[str]:
    return frozenset(name for name, spec in scenario.metrics.items() if spec.direction == "lower")


def _meta(gate: GateInput) -> Meta:
    info = gate.head.info
    return Meta(
        stage=gate.stage,
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
    unscored = sorted((s for s in _detailed(gate.head) if s.unscored), key=_by_id)
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


def _threshold_reason(metric: str, m: MetricResult, status: Status) -> str:
    if m.value is None:
        return f"{metric} has no scored samples"
    side = "below" if m.threshold.direction == "higher" else "above"
    text = f"{metric} {fmt.value(metric, m.value)} is {side} the pass bound {fmt.bound(m.threshold.pass_)}"
    if status == "fail" and m.threshold.warn is not None:
        text += f" and the warn bound {fmt.bound(m.threshold.warn)}"
    return text


def _change(metric: str, m: MetricResult, *, verb: bool = True) -> str:
    low, high = m.delta_ci or (None, None)
    numbers = f"{fmt.signed(metric, m.delta)} (CI {fmt.signed(metric, low)} to {fmt.signed(metric, high)}"
    numbers += f", p {fmt.p_value(m.p_value)})" if m.p_value is not None else ")"
    return f"{metric} regressed against the base: {numbers}" if verb else numbers


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= REPLY_LIMIT:
        return text
    return text[:REPLY_LIMIT] + "…"


def _round(number: float | None) -> float | None:
    return None if number is None or not np.isfinite(number) else round(number, 6)
