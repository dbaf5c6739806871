from __future__ import annotations

import pytest

from benchgate.llm.replies import parse_score


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ('{"score": 4, "reason": "fine"}', 4.0),
        ('```json\n{"score": 5, "reason": "all posts"}\n```', 5.0),
        ('Sure! Here is my verdict: {"score": 3, "reason": "missed {one} post"} Thanks.', 3.0),
        ('{"score": 2, "reason": "a"} ... actually {"score": 4, "reason": "b"}', 4.0),
        ('{"score": "4", "reason": "string score"}', 4.0),
        ('{"score": 4, "reas', 4.0),
        ('{"reason": "quote \\" inside", "score": 1}', 1.0),
    ],
)
def test_readable_replies(reply: str, score: float) -> None:
    verdict = parse_score(reply)
    assert verdict.score == score
    assert verdict.normalised == (score - 1) / 4


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("The digest looks fine, I'd say four out of five.", "no JSON object with a score"),
        ('{"score": 7, "reason": "great"}', "score 7 is outside 1..5"),
        ('{"score": 0}', "score 0 is outside 1..5"),
        ('{"score": "high"}', "score is not a number"),
        ("   ", "empty reply"),
    ],
)
def test_unreadable_replies_are_unscored_not_wrong(reply: str, problem: str) -> None:
    verdict = parse_score(reply)
    assert verdict.score is None
    assert verdict.normalised is None
    assert verdict.problem is not None and verdict.problem.startswith(problem)


def test_raw_newlines_inside_strings_are_read() -> None:
    assert parse_score('{ "score": 2, "reason": "line one\nline two" }  ').score == 2.0
