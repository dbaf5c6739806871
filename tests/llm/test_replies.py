from __future__ import annotations

import json

import pytest

from benchgate.config import MetricSpec
from benchgate.llm.criterion import criterion_for
from benchgate.llm.judge import judge_question
from benchgate.llm.replies import SCALES, parse_score, parse_score_line

SYSTEM = criterion_for(None, "coverage", MetricSpec.model_validate({"pass": 0.8})).system("json")


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ('{"score": 4, "reason": "fine"}', 4.0),
        ('```json\n{"score": 5, "reason": "all posts"}\n```', 5.0),
        ('Sure! Here is my verdict: {"score": 3, "reason": "missed {one} post"} Thanks.', 3.0),
        ('{"score": 2, "reason": "a"} ... actually {"score": 4, "reason": "b"}', 4.0),
        ('{"score": "4", "reason": "string score"}', 4.0),
        ('{"reason": "quote \\" inside", "score": 1}', 1.0),
    ],
)
def test_readable_replies(reply: str, score: float) -> None:
    verdict = parse_score(reply, prompt=SYSTEM)
    assert verdict.score == score
    assert verdict.normalised == (score - 1) / 4


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("The digest looks fine, I'd say four out of five.", "no JSON object with a score"),
        ('{"score": 7, "reason": "great"}', "score 7 is outside 1..5"),
        ('{"score": 0}', "score 0 is outside 1..5"),
        ('{"score": "high"}', "score is not a number"),
        ('{"score": true, "reason": "yes"}', "score is not a number: 'True'"),
        ('{"score": [4]}', "score is not a number"),
        ('{"score": 4, "reas', "no JSON object with a score"),
        ('I will answer as {"score": 1-5, "reason": "..."} asks.', "no JSON object with a score"),
        ("   ", "empty reply"),
    ],
)
def test_unreadable_replies_are_unscored_not_wrong(reply: str, problem: str) -> None:
    verdict = parse_score(reply, prompt=SYSTEM)
    assert verdict.score is None
    assert verdict.normalised is None
    assert verdict.problem is not None and verdict.problem.startswith(problem)


def test_truncated_json_is_read_only_when_the_server_cut_the_reply() -> None:
    cut = parse_score('{"score": 4, "reason": "all posts but o', finish_reason="length")
    assert (cut.score, cut.reason) == (4.0, "all posts but o…")
    assert parse_score('{"score": 4, "reason": "all posts but o', finish_reason="stop").score is None


def test_an_echoed_example_or_rubric_is_not_a_verdict() -> None:
    spec = MetricSpec.model_validate(
        {"pass": 0.8, "description": 'answer like {"score": 3, "reason": "one post is missing"}'}
    )
    question = judge_question(criterion_for(None, "coverage", spec), "posts", "digest", None)
    prompt = "\n".join(m["content"] for m in question.messages("json"))
    echo = 'You asked: answer like {"score": 3,\n   "reason": "one post is missing"}'
    assert parse_score(echo, prompt=prompt).score is None
    assert parse_score(echo + ' My verdict: {"score": 5, "reason": "all"}', prompt=prompt).score == 5.0
    cut_echo = 'Format: {"score": 3, "reason": "one post is missing"} then {"score": 2, "rea'
    assert parse_score(cut_echo, finish_reason="length", prompt=prompt).score == 2.0


def test_raw_newlines_inside_strings_are_read() -> None:
    assert parse_score('{ "score": 2, "reason": "line one\nline two" }  ').score == 2.0


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("All posts are covered.\nSCORE: 5", 5.0),
        ("One is missing.\n\n**SCORE: 4**\n", 4.0),
        ("score: 2", 2.0),
    ],
)
def test_plain_text_mode_reads_the_anchored_last_line(reply: str, score: float) -> None:
    verdict = parse_score_line(reply)
    assert verdict.score == score


@pytest.mark.parametrize(
    "reply",
    [
        "SCORE: 4\nI hope this helps!",
        "Anchors: 5 = fully meets the criterion; 3 = partly; 1 = not at all.",
        "Reply with a last line SCORE: N",
        "SCORE: N",
        "SCORE: 4/5",
        "SCORE: true",
        '{"score": 4, "reason": "json instead"}',
        "",
    ],
)
def test_plain_text_mode_reads_nothing_else(reply: str) -> None:
    verdict = parse_score_line(reply, prompt="Reply with a last line SCORE: N")
    assert verdict.score is None and verdict.problem


@pytest.mark.parametrize(
    ("scale", "reply", "normalised"),
    [
        ("1-10", '{"score": 10, "reason": "solved"}', 1.0),
        ("1-10", '{"score": 1, "reason": "wrong"}', 0.0),
        ("1-10", '{"score": 4, "reason": "partly"}', 1 / 3),
        ("binary", '{"score": 1, "reason": "yes"}', 1.0),
        ("binary", '{"score": 0, "reason": "no"}', 0.0),
        ("1-5", '{"score": 3, "reason": "partly"}', 0.5),
    ],
)
def test_each_scale_maps_onto_zero_to_one(scale: str, reply: str, normalised: float) -> None:
    verdict = parse_score(reply, scale=SCALES[scale])
    assert verdict.normalised == pytest.approx(normalised)
    assert parse_score_line(f"fine\nSCORE: {json.loads(reply)['score']}", scale=SCALES[scale]).normalised == (
        pytest.approx(normalised)
    )


@pytest.mark.parametrize(
    ("scale", "reply", "problem"),
    [
        ("binary", '{"score": 0.5}', "score 0.5 is neither 0 nor 1"),
        ("binary", '{"score": 2}', "score 2 is outside 0..1"),
        ("1-10", '{"score": 0}', "score 0 is outside 1..10"),
        ("1-10", '{"score": 11}', "score 11 is outside 1..10"),
    ],
)
def test_a_score_off_the_scale_is_unscored(scale: str, reply: str, problem: str) -> None:
    verdict = parse_score(reply, scale=SCALES[scale])
    assert (verdict.score, verdict.problem) == (None, problem)
