"""scores.jsonl held as columns plus the lines: every record reads back as the file says."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from benchgate import score_lines
from benchgate.errors import InputError
from benchgate.metrics import ScoreTable
from benchgate.results import PairVotes, SampleScore
from benchgate.results_store import SCORES, parse_scores
from benchgate.score_lines import ScoreLines

LINES = (
    b'{"id":"b","scores":{"x":0.5,"y":0.25},"latency_s":1.5}\n'
    b"\n"
    b'{"id":"a","scores":{"x":0.75}}\r\n'
    b'{"id":"c","unscored":{"y":"no JSON in the reply"},"replies":{"y":"meh"},"latency_s":2.0}\n'
    b'{"id":"d","scores":{"y":1.0},"output":"generated","judgements":{"y":[1.0,1.0]}}\n'
    b'{"id":"e","scores":{"x":0.0},"pairwise":{"p":{"head_first":["head"],"base_first":["tie"]}}}'
)


def test_every_record_reads_back_as_its_line_says() -> None:
    lines = ScoreLines.parse(LINES)
    expected = [SampleScore.model_validate_json(line) for line in LINES.splitlines() if line.strip()]
    assert list(lines) == expected and len(lines) == 5
    # The fields a line gave stay the fields set, so writing a record back gives its line.
    assert [s.model_dump_json(exclude_unset=True) for s in lines] == [
        s.model_dump_json(exclude_unset=True) for s in expected
    ]
    assert lines[-1] == expected[-1] and lines[1:3] == expected[1:3]
    with pytest.raises(IndexError):
        lines[5]


def test_columns_hold_each_metric_in_file_order_with_nan_where_absent() -> None:
    lines = ScoreLines.parse(LINES)
    assert lines.ids == ["b", "a", "c", "d", "e"]
    np.testing.assert_array_equal(lines.column("x"), [0.5, 0.75, math.nan, math.nan, 0.0])
    np.testing.assert_array_equal(lines.column("y"), [0.25, math.nan, math.nan, 1.0, math.nan])
    np.testing.assert_array_equal(lines.column("latency_s"), [1.5, math.nan, 2.0, math.nan, math.nan])
    assert np.isnan(lines.column("never")).all()
    assert lines.present() == {"x", "y", "latency_s"}  # y is unscored on c and scored on d
    assert list(lines.detailed()) == [2, 3, 4]
    assert lines.outputs() == {"d": "generated"}
    assert lines.detailed()[4].pairwise["p"] == PairVotes(head_first=["head"], base_first=["tie"])


def test_a_metric_first_seen_past_the_first_batch_is_nan_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score_lines, "BATCH", 2)
    raw = b"".join(b'{"id":"s%d","scores":{"x":%d}}\n' % (n, n) for n in range(5))
    raw += b'{"id":"late","scores":{"z":0.5}}\n'
    lines = ScoreLines.parse(raw)
    np.testing.assert_array_equal(lines.column("x"), [0, 1, 2, 3, 4, math.nan])
    np.testing.assert_array_equal(lines.column("z"), [math.nan] * 5 + [0.5])
    assert lines[5] == SampleScore(id="late", scores={"z": 0.5})


def test_records_in_memory_and_read_from_a_file_build_the_same_table() -> None:
    read = ScoreLines.parse(LINES)
    table, again = ScoreTable.build(read, ["x", "y", "latency_s"]), ScoreTable.build(list(read), ["x", "y"])
    assert table.ids == again.ids == ["a", "b", "c", "d", "e"]
    np.testing.assert_array_equal(table.columns["x"], again.columns["x"])
    np.testing.assert_array_equal(table.columns["latency_s"], [math.nan, 1.5, 2.0, math.nan, math.nan])
    # y was judged twice on d; b's single score stands for its judgements.
    assert [list(g) for g in table.judgements["y"]] == [[0.25], [1.0, 1.0]]
    assert [list(g) for g in again.judgements["y"]] == [[0.25], [1.0, 1.0]]


def test_a_bad_line_is_named_with_its_number_and_field() -> None:
    raw = LINES + b'\n{"id":"f","scores":{"x":"high"}}\n{"id":"g","extra":1}\nnot json\n'
    with pytest.raises(ValidationError):
        ScoreLines.parse(raw)
    with pytest.raises(InputError) as caught:
        parse_scores(raw, SCORES)
    found = [(p.line, p.field) for p in caught.value.problems]
    assert found == [(7, "scores.x"), (8, "extra"), (9, None)]
    assert all(
        p.path == SCORES and "not a benchgate score record" in p.message for p in caught.value.problems
    )
