"""Observations & follow-ups: each kind from the fields that cause it, in a fixed order and wording."""

from __future__ import annotations

from benchgate.gate import decide
from benchgate.observations import observe
from benchgate.outcome import GateResult, Observation, PolicyChange, Trend, TrendPoint
from benchgate.results import Reliability
from tests.reporting import example_result, example_scores, lowered


def kinds(result: GateResult) -> list[tuple[str, str | None]]:
    return [(o.kind, o.metric) for o in result.observations]


def only(result: GateResult, kind: str) -> Observation:
    [found] = [o for o in result.observations if o.kind == kind]
    return found


def test_regressions_and_improvements_come_first_with_their_size() -> None:
    _, scores, outputs = example_scores()
    head = lowered(lowered(scores, "coverage", 20, 0.2), "accuracy", 20, -0.09)
    result = example_result(head, scores, outputs)
    assert kinds(result)[:2] == [("regressed", "coverage"), ("improved", "accuracy")]
    regressed = result.observations[0]
    assert regressed.message.startswith("coverage regressed by -0.111 against the base (CI -0.1")
    assert regressed.message.endswith("beyond its max drop 0.02.")
    assert result.observations[1].message.startswith("accuracy improved by +0.050 against the base")
    assert observe(result) == result.observations, "the same result always reads the same"


def test_inconclusive_names_the_samples_that_would_settle_it() -> None:
    _, scores, outputs = example_scores()
    result = example_result(lowered(scores, "coverage", 2, 0.3), scores, outputs)
    policy = result.policy.model_copy(update={"on_inconclusive": "warn"})
    decided = decide(result.model_copy(update={"policy": policy}))
    found = only(decided, "inconclusive")
    assert found.metric == "coverage"
    assert (
        found.message
        == "coverage is inconclusive against the base (-0.017, smallest detectable change 0.032)."
    )
    settle_n = decided.metrics["coverage"].settle_n
    assert settle_n
    assert found.follow_up == f"Needs further sampling: about {settle_n:,} paired samples would settle it."
    unknown = {name: m.model_copy(update={"settle_n": None}) for name, m in decided.metrics.items()}
    unsettled = decide(decided.model_copy(update={"metrics": unknown}))
    assert (
        only(unsettled, "inconclusive").follow_up
        == "Needs further sampling: more paired samples would settle it."
    )


def with_history(result: GateResult, values: list[float]) -> GateResult:
    points = [TrendPoint(sha=f"{i + 1:040x}", value=v) for i, v in enumerate(values)]
    return decide(
        result.model_copy(update={"trend": Trend(rev="main", limit=20, points={"coverage": points})})
    )


def test_a_head_outside_the_recent_range_is_a_new_low_or_high() -> None:
    _, scores, outputs = example_scores()
    result = example_result(scores, scores, outputs)  # coverage 0.890
    low = only(with_history(result, [0.91, 0.92, 0.95]), "trend")
    assert low.message == "coverage 0.890 is below all of the last 3 committed values on main (lowest 0.910)."
    assert low.follow_up == "A new worst, not a dip within the recent range."
    high = only(with_history(result, [0.80, 0.82, 0.85]), "trend")
    assert high.message.startswith("coverage 0.890 is above all") and high.follow_up is None
    assert not [o for o in with_history(result, [0.80, 0.95, 0.85]).observations if o.kind == "trend"]
    assert not [o for o in with_history(result, [0.95, 0.96]).observations if o.kind == "trend"]


def test_churn_policy_changes_and_calls_are_reported_for_the_run() -> None:
    _, scores, outputs = example_scores()
    result = example_result(scores[1:], scores[:-2], outputs)
    calls = Reliability(
        requests=40, retries={"429": 3, "503": 1, "timeout": 2}, cache_hits=5, cache_misses=35
    )
    changed = result.model_copy(
        update={
            "policy_changes": [
                PolicyChange(key="metrics.coverage.pass", base=0.88, head=0.8, effect="looser"),
                PolicyChange(key="gate.min_samples", base=20, head=30, effect="stricter"),
            ],
            "reliability": result.reliability.model_copy(update={"calls": calls}),
        }
    )
    decided = decide(changed)
    churn = only(decided, "sample-churn")
    assert (
        churn.message == "2 samples added and 1 removed since the base; the comparison uses the 33 in both."
    )
    assert churn.follow_up == "Check that no sample was removed to hide a failure."
    policy = only(decided, "policy-changed")
    assert policy.message == (
        "2 gate policy keys differ from the base commit's params.yaml; looser: metrics.coverage.pass."
    )
    retries = only(decided, "retries")
    assert retries.message == (
        "The LLM endpoint returned 429 3 times, returned 503 once and timed out twice; "
        "every call was retried successfully (40 requests)."
    )
    assert only(decided, "cache").message.startswith("5 of 40 calls were answered from the response cache")
    order = [o.kind for o in decided.observations]
    assert order.index("sample-churn") < order.index("policy-changed") < order.index("retries")


def test_a_clean_dry_run_has_nothing_to_observe_beyond_its_bounds() -> None:
    _, scores, outputs = example_scores()
    result = example_result(scores, scores, outputs)
    assert {o.kind for o in result.observations} == {"between-bounds"}


def test_a_metric_without_a_value_in_the_other_mode_is_no_disagreement() -> None:
    """A metric the other mode skipped (a pairwise one in dry-run) has nothing to disagree with."""
    from tests.reporting import as_judged, live_info

    _, truth, outputs = example_scores()
    live = lowered(as_judged(truth), "informativeness", 16, 0.2)
    result = example_result(live, live, outputs, info=live_info(), companion=truth)
    assert result.companion is not None
    assert ("modes-disagree", "informativeness") in kinds(result)
    blank = result.companion.metrics["informativeness"].model_copy(update={"value": None, "status": "fail"})
    other = result.companion.model_copy(
        update={"metrics": result.companion.metrics | {"informativeness": blank}}
    )
    found = observe(result.model_copy(update={"companion": other}))
    assert ("modes-disagree", "informativeness") not in [(o.kind, o.metric) for o in found]
