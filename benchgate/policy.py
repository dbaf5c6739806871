"""Gate policy across commits: what a change did to thresholds and policy, and whose applies. Pure.

A pull request edits params.yaml like any other file, so it can loosen the very bounds it
is judged by. Every such change is listed in the report; with `gate.policy_from: base` the
base commit's thresholds and policy judge the change instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from benchgate.config import (
    AgreementStatistic,
    GatePolicy,
    Governance,
    JudgeSpec,
    MetricSpec,
    RegressionPolicy,
    Scenario,
)
from benchgate.outcome import PolicyChange

Scalar = float | str | bool | None
_SEVERITY = {"ignore": 0, "warn": 1, "fail": 2}


def uses_base(head: GatePolicy, base: GatePolicy | None) -> bool:
    """`policy_from: base` on either side wins: a change cannot opt out of its base's rule."""
    return base is not None and "base" in (head.policy_from, base.policy_from)


def effective(head: Scenario, base: Scenario) -> Scenario:
    """The head scenario judged by the base's bounds and regression policy (new metrics keep their own)."""
    metrics = {name: base.metrics.get(name, spec) for name, spec in head.metrics.items()}
    update: dict[str, Any] = {"metrics": metrics, "regression": base.regression}
    if head.judge is not None:  # the judge's calibration bounds are policy; its model is not
        rules: dict[str, Any] = {"min_agreement": {}, "on_uncalibrated": "warn", "max_position_bias": None}
        if base.judge is not None:
            rules = {
                "min_agreement": base.judge.min_agreement,
                "on_uncalibrated": base.judge.on_uncalibrated,
                "max_position_bias": base.judge.max_position_bias,
            }
        update["judge"] = head.judge.model_copy(update=rules)
    return head.model_copy(update=update)


def changes(
    head: Scenario,
    head_gate: GatePolicy,
    base: Scenario | None,
    base_gate: GatePolicy,
    *,
    head_governance: Governance | None = None,
    base_governance: Governance | None = None,
) -> list[PolicyChange]:
    """Every threshold and policy key whose value differs from the base's, looser ones marked."""
    found: list[PolicyChange] = []
    if base is not None:
        for name in [*head.metrics, *(m for m in base.metrics if m not in head.metrics)]:
            found += _metric_changes(name, head.metrics.get(name), base.metrics.get(name), head, base)
        found += _regression_changes(head.regression, base.regression)
        found += _calibration_changes(head.judge, base.judge)
    found += _gate_changes(head_gate, base_gate)
    found += _governance_changes(head_governance or Governance(), base_governance or Governance())
    return found


def _governance_changes(head: Governance, base: Governance) -> list[PolicyChange]:
    """Who approves is policy too: a pull request could name its own author as the Tech Lead."""
    found = []
    if head.required != base.required:
        found.append(_change("governance.required", base.required, head.required, lambda a, b: a and not b))
    if head.on_pending != base.on_pending:
        found.append(
            _change("governance.on_pending", base.on_pending, head.on_pending, lambda a, b: b == "warn")
        )
    for role in [*base.approvers, *(r for r in head.approvers if r not in base.approvers)]:
        old, new = base.approvers.get(role), head.approvers.get(role)
        if old == new:
            continue
        shown = (", ".join(old) if old else None, ", ".join(new) if new else None)
        # A role dropped, or a new name able to fill one, makes approval easier to get.
        looser = new is None or (old is not None and bool(set(new) - set(old)))
        effect = "looser" if looser else "stricter" if old is None or set(new or []) < set(old) else "changed"
        found.append(
            PolicyChange(key=f"governance.approvers.{role}", base=shown[0], head=shown[1], effect=effect)
        )
    return found


def _metric_changes(
    name: str, head: MetricSpec | None, base: MetricSpec | None, head_s: Scenario, base_s: Scenario
) -> list[PolicyChange]:
    key = f"metrics.{name}"
    if head is None or base is None:
        # Dropping a metric removes its bounds entirely; adding one adds bounds.
        effect = "looser" if head is None else "stricter"
        return [
            PolicyChange(
                key=key, base="present" if base else None, head="present" if head else None, effect=effect
            )
        ]
    if head.direction != base.direction:
        return [
            PolicyChange(key=f"{key}.direction", base=base.direction, head=head.direction, effect="changed")
        ]
    higher = head.direction == "higher"
    found = []
    for part, old, new in (("pass", base.pass_, head.pass_), ("warn", base.warn, head.warn)):
        if old != new:
            found.append(_change(f"{key}.{part}", old, new, lambda a, b: _bound_looser(a, b, higher)))
    if head.aggregate != base.aggregate:
        found.append(
            PolicyChange(key=f"{key}.aggregate", base=base.aggregate, head=head.aggregate, effect="changed")
        )
    old_drop, new_drop = base_s.max_drop(name), head_s.max_drop(name)
    if old_drop != new_drop:
        found.append(_change(f"{key}.max_drop", old_drop, new_drop, lambda a, b: b > a))
    return found


def _regression_changes(head: RegressionPolicy, base: RegressionPolicy) -> list[PolicyChange]:
    found = []
    if head.alpha != base.alpha:  # a smaller alpha makes a regression harder to establish
        found.append(_change("regression.alpha", base.alpha, head.alpha, lambda a, b: b < a))
    for rule in ("on_regression", "on_inconclusive", "on_missing_baseline"):
        old, new = getattr(base, rule), getattr(head, rule)
        if old != new:
            found.append(_change(f"regression.{rule}", old, new, lambda a, b: _SEVERITY[b] < _SEVERITY[a]))
    return found


def _calibration_changes(head: JudgeSpec | None, base: JudgeSpec | None) -> list[PolicyChange]:
    """`judge.min_agreement` bounds (a lower one, or none, is looser), `judge.max_position_bias` (a
    higher one, or none, is looser) and `judge.on_uncalibrated`."""
    old_bounds = base.min_agreement if base else {}
    new_bounds = head.min_agreement if head else {}
    found = []
    for stat in get_args(AgreementStatistic):
        old, new = old_bounds.get(stat), new_bounds.get(stat)
        if old != new:
            found.append(_change(f"judge.min_agreement.{stat}", old, new, _bound_lowered))
    old_bias = base.max_position_bias if base else None
    new_bias = head.max_position_bias if head else None
    if old_bias != new_bias:
        found.append(_change("judge.max_position_bias", old_bias, new_bias, _bound_raised))
    old_rule = base.on_uncalibrated if base else "warn"
    new_rule = head.on_uncalibrated if head else "warn"
    if old_rule != new_rule:
        found.append(
            _change("judge.on_uncalibrated", old_rule, new_rule, lambda a, b: _SEVERITY[b] < _SEVERITY[a])
        )
    return found


def _bound_lowered(old: float | None, new: float | None) -> bool:
    return new is None or (old is not None and new < old)


def _bound_raised(old: float | None, new: float | None) -> bool:
    return new is None or (old is not None and new > old)


def _gate_changes(head: GatePolicy, base: GatePolicy) -> list[PolicyChange]:
    found = []
    if head.fail_on_warn != base.fail_on_warn:
        found.append(
            _change("gate.fail_on_warn", base.fail_on_warn, head.fail_on_warn, lambda a, b: a and not b)
        )
    if head.max_unscored != base.max_unscored:
        found.append(_change("gate.max_unscored", base.max_unscored, head.max_unscored, lambda a, b: b > a))
    if head.min_samples != base.min_samples:
        found.append(_change("gate.min_samples", base.min_samples, head.min_samples, lambda a, b: b < a))
    if head.policy_from != base.policy_from:
        found.append(
            PolicyChange(
                key="gate.policy_from", base=base.policy_from, head=head.policy_from, effect="changed"
            )
        )
    return found


def _bound_looser(old: float | None, new: float | None, higher: bool) -> bool:
    if old is None or new is None:
        return old is None  # adding a warn bound turns some fails into warns; removing one, the reverse
    return new < old if higher else new > old


def _change(key: str, old: Scalar, new: Scalar, looser: Callable[[Any, Any], bool]) -> PolicyChange:
    return PolicyChange(key=key, base=old, head=new, effect="looser" if looser(old, new) else "stricter")
