"""The trend as Mermaid and sparklines: numbers and validated SHAs only, whatever gate.json says."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from pydantic import ValidationError

from benchgate.outcome import GateResult, Trend, TrendPoint
from benchgate.report import render
from benchgate.report.trend import sparkline
from tests.reporting import example_result, example_scores
from tests.test_report import assert_inert

LABEL = r'("[0-9a-f]{7}"|"head")'
MERMAID_LINE = re.compile(
    rf'^(xychart-beta|    title "[A-Za-z0-9_.-]+"|    x-axis \[{LABEL}(, {LABEL})*\]'
    r'|    y-axis "[A-Za-z0-9_.-]+" -?[0-9.]+ --> -?[0-9.]+|    line \[-?[0-9.]+(, -?[0-9.]+)*\])$'
)


def with_trend(trend: Trend) -> GateResult:
    _, scores, outputs = example_scores()
    return example_result(scores, scores, outputs).model_copy(update={"trend": trend})


def history(count: int, rev: str | None = "origin/main") -> Trend:
    points = {
        name: [TrendPoint(sha=f"{i:040x}", value=0.8 + i / 100) for i in range(count)]
        for name in ("coverage", "accuracy", "coherence", "informativeness")
    }
    points["latency_s"] = [TrendPoint(sha=f"{i:040x}", value=180.0 + i) for i in range(count)]
    return Trend(rev=rev, limit=20, points=points)


def fences(text: str) -> list[tuple[str, str]]:
    return [(t.info, t.content) for t in MarkdownIt("commonmark").parse(text) if t.type == "fence"]


def test_each_metric_gets_a_mermaid_chart_of_the_history_then_the_head() -> None:
    text = render(with_trend(history(12)))
    charts = [content for info, content in fences(text) if info == "mermaid"]
    assert len(charts) == 5
    for chart in charts:
        lines = chart.strip("\n").split("\n")
        assert all(MERMAID_LINE.match(line) for line in lines), lines
        labels = re.search(r"x-axis \[(.*)\]", chart)
        assert labels and labels.group(1).count('"') // 2 == 13 and labels.group(1).endswith('"head"')
        values = re.findall(r"line \[(.*)\]", chart)
        assert [len(v.split(", ")) for v in values] == [13, 13]
    # history 0.80 .. 0.91, then the head's 0.890: one bar each, the last just below the top
    assert "\n| coverage | ▁▂▂▃▄▄▅▅▆▇▇█▇ | 0.800 | 0.910 | 0.890 |" in text
    assert_inert(text)


def test_sparkline_spans_the_eight_levels_and_a_flat_run_sits_in_the_middle() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([2.0, 2.0, 2.0]) == "▄▄▄"
    assert sparkline([]) == ""


def test_hostile_trend_fields_are_refused_or_stay_outside_the_chart() -> None:
    with pytest.raises(ValidationError):
        TrendPoint(sha='abc"] \nline [1', value=0.5)
    with pytest.raises(ValidationError):
        TrendPoint(sha="a" * 40, value=float("nan"))
    plain = with_trend(history(1)).model_dump(by_alias=True)
    with pytest.raises(ValidationError, match="may use only letters"):
        GateResult.model_validate({**plain, "trend": {"limit": 20, "points": {'x"]\n': []}}})
    text = render(
        with_trend(history(3, rev="main <img src=x onerror=alert(1)> @someone [x](http://evil.example)"))
    )
    for _, chart in fences(text):
        assert "evil" not in chart and "img" not in chart
    assert_inert(text)


def test_an_unavailable_trend_says_why_and_a_shallow_one_says_it_is_cut() -> None:
    gone = Trend(rev="main", limit=20, unavailable="this shallow clone could not fetch more history")
    text = render(with_trend(gone))
    assert "### Trend\n_Unavailable: this shallow clone could not fetch more history_" in text
    assert not [info for info, _ in fences(text) if info == "mermaid"]
    cut = render(with_trend(history(2).model_copy(update={"truncated": True})))
    assert "This shallow clone's history ends there." in cut


def test_a_report_that_must_shrink_drops_the_charts_last_and_keeps_the_trend_table() -> None:
    result = with_trend(history(100))
    full = render(result)
    charts = sum(len(chart) for _, chart in fences(full) if _ == "mermaid")
    assert charts > 10_000
    without_details = render(result, max_size=len(full) - 10)
    assert "Trimmed to fit" in without_details and "trend charts" not in without_details.split("Trimmed")[1]
    assert len([info for info, _ in fences(without_details) if info == "mermaid"]) == 5
    small = render(result, max_size=len(full) - charts)
    assert "trend charts" in small.split("Trimmed to fit", 1)[1]
    assert not [info for info, _ in fences(small) if info == "mermaid"]
    assert "\n| coverage | " in small.split("### Trend", 1)[1] and "| **Overall** |" in small


def test_the_intro_counts_commits_in_words_a_reader_expects() -> None:
    assert "The last commit on `origin/main` that changed" in render(with_trend(history(1)))
    assert "The last 12 commits on `origin/main` that changed" in render(with_trend(history(12)))
