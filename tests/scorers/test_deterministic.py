"""The deterministic built-ins, one behaviour at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema.validators import validator_for
from pydantic import TypeAdapter, ValidationError

from benchgate.scorers import Score, ScoredSample
from benchgate.scorers import deterministic as d
from benchgate.scorers.base import Unscorable, read_result
from benchgate.scorers.specs import ScorerSpec

SPEC: TypeAdapter[Any] = TypeAdapter(ScorerSpec)


def sample(reference: str | None = None, **meta: object) -> ScoredSample:
    return ScoredSample("s1", "question", reference, meta)


def build(config: dict[str, object]) -> Any:
    spec = SPEC.validate_python(config)
    kinds = {
        "exact_match": d.ExactMatch,
        "contains": d.Contains,
        "contains_all": d.Contains,
        "contains_any": d.Contains,
        "regex": d.Regex,
        "length": d.Length,
        "numeric": d.Numeric,
    }
    return kinds[spec.type](spec)


def value(config: dict[str, object], output: str, on: ScoredSample | None = None) -> float:
    return read_result(build(config).score(output, on or sample()))[0]


@pytest.mark.parametrize(
    ("normalise", "output", "reference", "expected"),
    [
        ([], "Paris", "Paris", 1.0),
        ([], "paris", "Paris", 0.0),
        (["case"], "PARIS", "paris", 1.0),
        (["case"], "Straße", "STRASSE", 1.0),
        (["whitespace"], "  New\n York ", "New York", 1.0),
        (["punctuation"], "Yes!", "Yes", 1.0),
        (["punctuation", "whitespace", "case"], "Да , конечно!", "да конечно", 1.0),
        (["whitespace"], "Yes!", "Yes", 0.0),
    ],
)
def test_exact_match_normalises_both_sides(
    normalise: list[str], output: str, reference: str, expected: float
) -> None:
    assert value({"type": "exact_match", "normalise": normalise}, output, sample(reference)) == expected


def test_exact_match_without_reference_is_unscorable_and_flagged_by_the_check() -> None:
    scorer = build({"type": "exact_match"})
    with pytest.raises(Unscorable, match="no reference"):
        scorer.score("x", sample(None))
    assert scorer.check(sample(None)) == ("reference", "compares with the reference; this sample has none")
    assert scorer.check(sample("x")) is None


def test_contains_family_from_config() -> None:
    assert value({"type": "contains", "value": "refund"}, "We will refund you") == 1.0
    assert value({"type": "contains", "value": "Refund"}, "We will refund you") == 0.0
    assert value({"type": "contains", "value": "Refund", "normalise": ["case"]}, "We will refund you") == 1.0
    both = {"type": "contains_all", "values": ["refund", "days"]}
    assert value(both, "refund within 5 days") == 1.0
    result = build(both).score("refund soon", sample())
    assert result == Score(0.0, "missing: 'days'")
    either = {"type": "contains_any", "values": ["refund", "credit"]}
    assert value(either, "store credit") == 1.0
    assert value(either, "nothing") == 0.0


def test_contains_reads_terms_from_meta_and_checks_them() -> None:
    scorer = build({"type": "contains_all", "from_meta": "required_terms"})
    good = sample(required_terms=["ticket", "refund"])
    assert read_result(scorer.score("ticket and refund", good))[0] == 1.0
    assert read_result(scorer.score("ticket", good))[0] == 0.0
    one = sample(required_terms="ticket")
    assert read_result(scorer.score("a ticket", one))[0] == 1.0
    assert scorer.check(sample()) == (
        "meta.required_terms",
        "reads its strings from here; this sample has none",
    )
    assert scorer.check(sample(required_terms=[1, 2])) == (
        "meta.required_terms",
        "must be a string or a list of strings",
    )
    with pytest.raises(Unscorable):
        scorer.score("x", sample(required_terms=[]))


@pytest.mark.parametrize(
    "config",
    [
        {"type": "contains"},
        {"type": "contains", "value": "a", "from_meta": "k"},
        {"type": "contains_all"},
        {"type": "contains_any", "values": []},
        {"type": "regex", "pattern": "a"},
        {"type": "regex", "pattern": "a", "must_match": True, "must_not_match": True},
        {"type": "regex", "pattern": "(", "must_match": True},
        {"type": "length"},
        {"type": "length", "min_words": 5, "max_words": 2},
        {"type": "numeric", "tolerance": -1},
        {"type": "exact_match", "normalise": ["accents"]},
        {"type": "exact_match", "bogus": 1},
    ],
)
def test_bad_configs_are_refused_when_params_are_read(config: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SPEC.validate_python(config)


def test_regex_must_match_and_must_not_match() -> None:
    must = {"type": "regex", "pattern": "TICKET-[0-9]+", "must_match": True}
    assert value(must, "see TICKET-42 for details") == 1.0
    assert value(must, "see ticket 42") == 0.0
    never = {"type": "regex", "pattern": r"(?i)as an ai", "must_not_match": True}
    assert value(never, "Here is the answer.") == 1.0
    assert build(never).score("As an AI, I cannot", sample()) == Score(0.0, "matched 'As an AI'")


def test_json_valid() -> None:
    scorer = d.JsonValid()
    assert scorer.score(' {"a": [1, 2]} ', sample()) == d.PASS
    broken = scorer.score('{"a": [1, 2]', sample())
    assert broken.value == 0.0
    assert broken.reason is not None and broken.reason.startswith("not JSON: ")


def test_json_schema_names_the_failing_path() -> None:
    schema = {
        "type": "object",
        "required": ["answer"],
        "properties": {
            "answer": {"type": "string"},
            "items": {"type": "array", "items": {"type": "integer"}},
        },
    }
    scorer = d.JsonSchema(validator_for(schema)(schema))
    assert scorer.score(json.dumps({"answer": "ok", "items": [1]}), sample()) == d.PASS
    assert scorer.score(json.dumps({"answer": "ok", "items": [1, "x"]}), sample()) == Score(
        0.0, "$.items[1]: 'x' is not of type 'integer'"
    )
    assert scorer.score("{}", sample()) == Score(0.0, "$: 'answer' is a required property")
    assert scorer.score("answer: ok", sample()).value == 0.0


@pytest.mark.parametrize(
    ("bounds", "output", "expected"),
    [
        ({"max_words": 3}, "one two three", 1.0),
        ({"max_words": 3}, "one two three four", 0.0),
        ({"min_words": 2}, "one", 0.0),
        ({"min_chars": 3, "max_chars": 5}, "abcd", 1.0),
        ({"min_chars": 3, "max_chars": 5}, "abcdef", 0.0),
        ({"max_chars": 4}, "дайд", 1.0),
        ({"max_chars": 10, "min_words": 2}, "onlyone", 0.0),
    ],
)
def test_length_bounds(bounds: dict[str, int], output: str, expected: float) -> None:
    assert value({"type": "length", **bounds}, output) == expected


@pytest.mark.parametrize(
    ("config", "output", "reference", "expected"),
    [
        ({}, "The answer is 42.", "42", 1.0),
        ({}, "The answer is 41.", "42", 0.0),
        ({"tolerance": 1}, "41", "42", 1.0),
        ({"relative_tolerance": 0.01}, "1,000,500", "1000000", 1.0),
        ({"relative_tolerance": 0.01}, "1,020,000", "1000000", 0.0),
        ({}, "Step 1: 6 * 7 = 42", "42", 1.0),
        ({"pick": "first"}, "Step 1: 6 * 7 = 42", "42", 0.0),
        ({}, "-3.5e2 degrees", "-350", 1.0),
        ({}, "no digits here", "42", 0.0),
    ],
)
def test_numeric(config: dict[str, object], output: str, reference: str, expected: float) -> None:
    assert value({"type": "numeric", **config}, output, sample(reference)) == expected


def test_numeric_reference_without_a_number_is_flagged() -> None:
    scorer = build({"type": "numeric"})
    assert scorer.check(sample("forty-two")) == (
        "reference",
        "compares numbers; this sample's reference holds none",
    )
    assert scorer.check(sample(None))[0] == "reference"
    with pytest.raises(Unscorable):
        scorer.score("42", sample("forty-two"))


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (True, (1.0, None)),
        (False, (0.0, None)),
        (0.25, (0.25, None)),
        (1, (1.0, None)),
        (Score(0.5, "half"), (0.5, "half")),
        (Score(True, "fine"), (1.0, "fine")),
    ],
)
def test_results_are_read_as_values_in_0_1(returned: object, expected: tuple[float, str | None]) -> None:
    assert read_result(returned) == expected


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (1.5, "returned 1.5, outside 0..1"),
        (-0.1, "outside 0..1"),
        (float("nan"), "outside 0..1"),
        (None, "returned NoneType; expected a float in 0..1, a bool or Score(value, reason)"),
        ("0.5", "returned str"),
        (Score(2.0, "too much"), "returned 2.0, outside 0..1"),
    ],
)
def test_other_results_are_unscorable(returned: object, message: str) -> None:
    with pytest.raises(Unscorable, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_result(returned)
