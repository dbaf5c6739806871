from __future__ import annotations

import pytest

from benchgate.compare import MetricChange, compare_metric, pair, verdict, worst_samples
from benchgate.config import MetricSpec
from benchgate.metrics import ScoreTable
from benchgate.results import SampleScore
from benchgate.stats import Change, samples_to_settle


def change(delta: float, low: float, high: float) -> Change:
    return Change(delta, low, high, p_value=0.01, mde=0.01, method="test")


@pytest.mark.parametrize(
    ("delta", "low", "high", "lower_is_better", "expected"),
    [
        (-0.05, -0.08, -0.03, False, "regressed"),
        (0.05, 0.03, 0.08, False, "improved"),
        (0.001, -0.01, 0.012, False, "unchanged"),
        (-0.03, -0.09, 0.02, False, "inconclusive"),
        (-0.01, -0.015, -0.005, False, "unchanged"),  # significant but smaller than max_drop
        (-0.019, -0.03, -0.01, False, "inconclusive"),  # significant, CI reaches past max_drop
        (12.0, 5.0, 20.0, True, "regressed"),  # latency rose: worse
        (-12.0, -20.0, -5.0, True, "improved"),
    ],
)
def test_verdict_follows_the_design_rule(
    delta: float, low: float, high: float, lower_is_better: bool, expected: str
) -> None:
    max_drop = 10.0 if lower_is_better else 0.02
    assert verdict(change(delta, low, high), max_drop, lower_is_better) == expected


def table(ids: list[str]) -> ScoreTable:
    return ScoreTable.build([SampleScore(id=i, scores={"m": 0.5}) for i in ids], ["m"])


def test_pairing_reports_added_and_removed_sorted() -> None:
    head, base = table(["c", "a", "b", "x"]), table(["b", "a", "y", "z"])
    found = pair(head, base)
    assert [head.ids[r] for r in found.head_rows] == ["a", "b"]
    assert [base.ids[r] for r in found.base_rows] == ["a", "b"]
    assert found.added == ["c", "x"]
    assert found.removed == ["y", "z"]


def test_worst_samples_rank_by_total_loss_then_id() -> None:
    base = [SampleScore(id=i, scores={"m": 0.9, "n": 0.9}) for i in "abcd"]
    head = [
        SampleScore(id="a", scores={"m": 0.7, "n": 0.9}),
        SampleScore(id="b", scores={"m": 0.85, "n": 0.85}),
        SampleScore(id="c", scores={"m": 0.95, "n": 0.9}),
        SampleScore(id="d", scores={"m": 0.7, "n": 0.9}),
        SampleScore(id="new", scores={"m": 0.1, "n": 0.1}),
    ]
    head_table, base_table = ScoreTable.build(head, ["m", "n"]), ScoreTable.build(base, ["m", "n"])
    worst = worst_samples(head_table, base_table, pair(head_table, base_table), ["m", "n"])
    assert [w.id for w in worst] == ["a", "d", "b"]
    assert worst[0].deltas == {"m": pytest.approx(-0.2), "n": 0.0}


def test_worst_samples_count_a_rise_as_worse_when_lower_is_better() -> None:
    base = [SampleScore(id=i, scores={"toxicity": 0.2}) for i in "abc"]
    head = [
        SampleScore(id="a", scores={"toxicity": 0.1}),  # better
        SampleScore(id="b", scores={"toxicity": 0.6}),  # much worse
        SampleScore(id="c", scores={"toxicity": 0.3}),  # worse
    ]
    head_table, base_table = ScoreTable.build(head, ["toxicity"]), ScoreTable.build(base, ["toxicity"])
    pairing = pair(head_table, base_table)
    worst = worst_samples(
        head_table, base_table, pairing, ["toxicity"], lower_is_better=frozenset({"toxicity"})
    )
    assert [w.id for w in worst] == ["b", "c"]
    assert worst[0].deltas == {"toxicity": pytest.approx(0.4)}  # shown as head - base


def paired_tables(head: list[float | None], base: list[float | None]) -> tuple[ScoreTable, ScoreTable]:
    def build(values: list[float | None]) -> ScoreTable:
        return ScoreTable.build(
            [SampleScore(id=f"s{i:03d}", scores={} if v is None else {"m": v}) for i, v in enumerate(values)],
            ["m"],
        )

    return build(head), build(base)


def compared(head: list[float | None], base: list[float | None], max_drop: float = 0.02) -> MetricChange:
    head_table, base_table = paired_tables(head, base)
    spec = MetricSpec.model_validate({"pass": 0.5})
    return compare_metric(
        head_table,
        base_table,
        pair(head_table, base_table),
        "m",
        spec,
        alpha=0.05,
        max_drop=max_drop,
        key="k",
    )


def test_inconclusive_change_says_how_many_samples_would_settle_it() -> None:
    base = [0.75] * 30
    head = [0.5 if i < 3 else 0.75 for i in range(30)]  # three items down one point
    found = compared(head, base)
    assert found.verdict == "inconclusive"
    assert found.change is not None
    assert found.settle_n == samples_to_settle(found.change, 30, 0.02, 0.05)
    assert found.settle_n is not None and found.settle_n > 30


def test_decisive_change_has_no_settle_n() -> None:
    found = compared([0.5] * 30, [0.75] * 30)
    assert found.verdict == "regressed"
    assert found.settle_n is None


def test_pairs_with_a_missing_value_are_left_out() -> None:
    head: list[float | None] = [None, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    base: list[float | None] = [0.75, 0.75, None, 0.75, 0.75, 0.75, 0.75, 0.75]
    found = compared(head, base)
    assert found.n_paired == 6
    assert found.change is not None and found.change.p_value == 1 / 32
    assert compared([None, None], [0.5, 0.5]).change is None


def test_too_few_pairs_for_a_bounded_interval_keep_no_change_but_a_settle_n() -> None:
    found = compared([0.5, 0.5, 0.5], [0.75, 0.75, 0.75])
    assert (found.change, found.n_paired, found.verdict) == (None, 3, "inconclusive")
    assert found.settle_n == 6
    single = compared([0.5], [0.75])
    assert (single.change, single.n_paired, single.settle_n) == (None, 1, None)
