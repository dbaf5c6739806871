"""Deterministic built-in scorers: string, pattern, JSON, length and number checks. Pure, no network.

Each is built once per run from its validated config (patterns compiled, schemas loaded) and
then called per sample; a failed check scores 0 with a reason, and only a sample that cannot
be judged at all (no reference to compare with) is unscored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from benchgate.scorers.base import Score, ScoredSample, Unscorable, clip, reference_of
from benchgate.scorers.specs import (
    ContainsScorer,
    ContainsSetScorer,
    ExactMatchScorer,
    LengthScorer,
    Normalisation,
    NumericScorer,
    RegexScorer,
)

PASS = Score(1.0)
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_NUMBER = re.compile(r"[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")


class SampleFields(Protocol):
    """The dataset fields a scorer may need before it runs (checked by `benchgate validate`)."""

    @property
    def reference(self) -> str | None: ...
    @property
    def meta(self) -> Mapping[str, Any]: ...


Problem = tuple[str, str]
"""(field, message) about one dataset sample."""


def normaliser(steps: Sequence[Normalisation]) -> Callable[[str], str]:
    """The text transformation `normalise:` asks for (punctuation, then whitespace, then case)."""
    chosen: list[Callable[[str], str]] = []
    if "punctuation" in steps:
        chosen.append(lambda text: _PUNCTUATION.sub("", text))
    if "whitespace" in steps:
        chosen.append(lambda text: " ".join(text.split()))
    if "case" in steps:
        chosen.append(str.casefold)

    def apply(text: str) -> str:
        for step in chosen:
            text = step(text)
        return text

    return apply


def reference_problem(sample: SampleFields) -> Problem | None:
    """A missing reference, for scorers that compare with it."""
    if sample.reference is None:
        return "reference", "compares with the reference; this sample has none"
    return None


class ExactMatch:
    """`exact_match`."""

    def __init__(self, spec: ExactMatchScorer) -> None:
        self._normal = normaliser(spec.normalise)

    def check(self, sample: SampleFields) -> Problem | None:
        """See `reference_problem`."""
        return reference_problem(sample)

    def score(self, output: str, sample: ScoredSample) -> Score:
        """1 when equal after normalisation."""
        if self._normal(output) == self._normal(reference_of(sample)):
            return PASS
        return Score(0.0, "differs from the reference")


class Contains:
    """`contains`, `contains_all` and `contains_any`."""

    def __init__(self, spec: ContainsScorer | ContainsSetScorer) -> None:
        self._normal = normaliser(spec.normalise)
        self._any = spec.type == "contains_any"
        self._key = spec.from_meta
        fixed = [spec.value] if isinstance(spec, ContainsScorer) and spec.value else []
        if isinstance(spec, ContainsSetScorer) and spec.values:
            fixed = list(spec.values)
        self._fixed = [self._normal(term) for term in fixed]

    def check(self, sample: SampleFields) -> Problem | None:
        """A `from_meta` key that is absent or not text."""
        if self._key is None:
            return None
        field = f"meta.{self._key}"
        if self._key not in sample.meta:
            return field, "reads its strings from here; this sample has none"
        if _terms(sample.meta[self._key]) is None:
            return field, "must be a string or a list of strings"
        return None

    def score(self, output: str, sample: ScoredSample) -> Score:
        """1 when the output holds every (or, for `contains_any`, some) term."""
        terms = self._fixed
        if self._key is not None:
            found = _terms(sample.meta.get(self._key))
            if found is None:
                raise Unscorable(f"meta.{self._key} is not a string or a list of strings")
            terms = [self._normal(term) for term in found]
        text = self._normal(output)
        missing = [term for term in terms if term not in text]
        if self._any:
            return PASS if len(missing) < len(terms) else Score(0.0, "contains none of the terms")
        if not missing:
            return PASS
        return Score(0.0, clip("missing: " + ", ".join(repr(term) for term in missing)))


def _terms(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    return None


class Regex:
    """`regex`."""

    def __init__(self, spec: RegexScorer) -> None:
        self._pattern = re.compile(spec.pattern)
        self._must_match = bool(spec.must_match)

    def score(self, output: str, sample: ScoredSample) -> Score:
        """1 when a match is found (or, with `must_not_match`, when none is)."""
        found = self._pattern.search(output)
        if self._must_match:
            return PASS if found else Score(0.0, "no match")
        return PASS if found is None else Score(0.0, clip(f"matched {found.group(0)!r}"))


class JsonValid:
    """`json_valid`."""

    def score(self, output: str, sample: ScoredSample) -> Score:
        """1 when the output parses as JSON."""
        try:
            json.loads(output)
        except ValueError as exc:
            return Score(0.0, clip(f"not JSON: {exc}"))
        return PASS


class JsonSchema:
    """`json_schema`; `validator` is a jsonschema validator built once from the schema file."""

    def __init__(self, validator: Any) -> None:
        from jsonschema.exceptions import best_match

        self._validator = validator
        self._best_match = best_match

    def score(self, output: str, sample: ScoredSample) -> Score:
        """1 when the output is JSON that the schema accepts."""
        try:
            document = json.loads(output)
        except ValueError as exc:
            return Score(0.0, clip(f"not JSON: {exc}"))
        if self._validator.is_valid(document):
            return PASS
        error = self._best_match(self._validator.iter_errors(document))
        return Score(0.0, clip(f"{error.json_path}: {error.message}"))


class Length:
    """`length`."""

    def __init__(self, spec: LengthScorer) -> None:
        self._spec = spec

    def score(self, output: str, sample: ScoredSample) -> Score:
        """1 when every bound holds."""
        spec = self._spec
        chars = len(output)
        words = len(output.split()) if spec.min_words is not None or spec.max_words is not None else 0
        for count, low, high, unit in (
            (chars, spec.min_chars, spec.max_chars, "characters"),
            (words, spec.min_words, spec.max_words, "words"),
        ):
            if low is not None and count < low:
                return Score(0.0, f"{count} {unit}, fewer than {low}")
            if high is not None and count > high:
                return Score(0.0, f"{count} {unit}, more than {high}")
        return PASS


class Numeric:
    """`numeric`."""

    def __init__(self, spec: NumericScorer) -> None:
        self._spec = spec

    def check(self, sample: SampleFields) -> Problem | None:
        """A reference that is missing or holds no number."""
        missing = reference_problem(sample)
        if missing is None and parse_number(sample.reference or "", self._spec.pick) is None:
            return "reference", "compares numbers; this sample's reference holds none"
        return missing

    def score(self, output: str, sample: ScoredSample) -> Score:
        """1 when the output's number is within tolerance of the reference's."""
        expected = parse_number(reference_of(sample), self._spec.pick)
        if expected is None:
            raise Unscorable("the reference holds no number")
        found = parse_number(output, self._spec.pick)
        if found is None:
            return Score(0.0, "no number in the output")
        allowed = max(self._spec.tolerance, self._spec.relative_tolerance * abs(expected))
        if abs(found - expected) <= allowed:
            return PASS
        return Score(0.0, f"{found:g} is not {expected:g}")


def parse_number(text: str, pick: str) -> float | None:
    """The first or last number written in `text` (thousands commas allowed), if any."""
    matches = _NUMBER.findall(text)
    if not matches:
        return None
    number = float(matches[-1 if pick == "last" else 0].replace(",", ""))
    return number if math.isfinite(number) else None
