"""The `scorer:` block of a metric in params.yaml: one model per scorer type. Pure.

A metric names its scorer by `type:`. Built-in types have their own model (unknown keys
are errors); any other type is a packaged scorer found through the `benchgate.scorers`
entry-point group, whose extra keys are handed to it as its configuration.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict, JsonValue

Normalisation = Literal["case", "whitespace", "punctuation"]
FUNCTION = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


class _Spec(BaseModel):
    """Base of the scorer models: as strict as the rest of params.yaml, docstrings as descriptions."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, frozen=True, use_attribute_docstrings=True
    )


def _type_required(schema: JsonDict) -> None:
    """In params.yaml a scorer block always names its type, even the judge's."""
    schema["required"] = ["type"]


class JudgeExample(_Spec):
    """A graded output shown to the judge before the one it grades (few-shot)."""

    input: str | dict[str, Any]
    """The example's input, as a dataset sample's `input` (a string or an object of fields)."""
    output: str = Field(min_length=1)
    """The example output that was graded."""
    score: int
    """Its score on the judge's scale (`judge.scale`)."""
    reason: str | None = Field(default=None, min_length=1)
    """Why it got that score, shown with it."""


class JudgeScorer(_Spec):
    """The LLM judge: live mode asks the scenario's `judge:` model; dry-run reads `ground_truth[metric]`.

    The default scorer of every metric except `latency_s`. What the judge is asked: the scenario's
    `judge.instructions`, then this metric's `description` (the question), `rubric` and `examples`.
    Changing any of them (or the judge's model, scale or labels) changes the live scorer's identity,
    so a live base judged with another prompt is not paired.
    """

    model_config = ConfigDict(json_schema_extra=_type_required)

    type: Literal["judge"] = "judge"
    """Scorer type."""
    rubric: str | None = Field(default=None, min_length=1)
    """What each point of the judge's scale means for this metric, given as the text itself (use a
    YAML block scalar `|` for several lines), e.g. `5 = fully correct and complete; 3 = correct but
    misses a step; 1 = wrong`. Default: generic anchors (`5 = fully meets the criterion; 3 = partly;
    1 = not at all` on 1-5)."""
    examples: list[JudgeExample] = Field(default_factory=list, max_length=20)
    """Graded examples shown to the judge for this metric, each `{input, output, score, reason}`;
    scores lie on the judge's scale."""


class ExactMatchScorer(_Spec):
    """1 when the output equals the sample's `reference` (after normalisation), else 0."""

    type: Literal["exact_match"]
    """Scorer type."""
    normalise: list[Normalisation] = Field(default_factory=list)
    """Applied to both sides first: `case` (case-insensitive), `whitespace` (runs of whitespace become
    one space, ends trimmed), `punctuation` (characters other than letters, digits and whitespace dropped)."""


class _TermScorer(_Spec):
    _fixed: ClassVar[str]
    """The key that gives the strings in the config, the alternative to `from_meta`."""

    from_meta: str | None = Field(default=None, min_length=1)
    """Take the strings from this key of each sample's `meta` instead (a string or a list of strings)."""
    normalise: list[Normalisation] = Field(default_factory=list)
    """Applied to the output and the strings first, as for `exact_match`."""

    @model_validator(mode="after")
    def _one_source(self) -> _TermScorer:
        if (getattr(self, self._fixed) is None) == (self.from_meta is None):
            raise ValueError(f"give exactly one of `{self._fixed}` or `from_meta`")
        return self


class ContainsScorer(_TermScorer):
    """1 when the output contains `value` (or the sample's `meta[from_meta]`), else 0."""

    _fixed = "value"
    type: Literal["contains"]
    """Scorer type."""
    value: str | None = Field(default=None, min_length=1)
    """The string the output must contain."""


class ContainsSetScorer(_TermScorer):
    """`contains_all`: 1 when every string occurs in the output; `contains_any`: when at least one does."""

    _fixed = "values"
    type: Literal["contains_all", "contains_any"]
    """Scorer type."""
    values: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None, min_length=1)
    """The strings to look for."""


class RegexScorer(_Spec):
    """1 when the pattern is found anywhere in the output (`must_match`) or nowhere (`must_not_match`)."""

    type: Literal["regex"]
    """Scorer type."""
    pattern: str = Field(min_length=1)
    """A Python regular expression, searched for anywhere in the output; anchor it (`^...$`) for the
    whole output. Checked when params.yaml is read."""
    must_match: bool | None = None
    """`true`: the output must contain a match."""
    must_not_match: bool | None = None
    """`true`: the output must contain no match."""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _one_direction(self) -> RegexScorer:
        if [self.must_match, self.must_not_match].count(True) != 1:
            raise ValueError("set exactly one of `must_match: true` or `must_not_match: true`")
        return self


class JsonValidScorer(_Spec):
    """1 when the whole output parses as JSON, else 0."""

    type: Literal["json_valid"]
    """Scorer type."""


class JsonSchemaScorer(_Spec):
    """1 when the output is JSON that validates against a JSON Schema, else 0."""

    type: Literal["json_schema"]
    """Scorer type."""
    schema_: str = Field(alias="schema", min_length=1)
    """Path of the JSON Schema file, relative to params.yaml; the schema itself is checked when
    params.yaml is read. Its bytes are part of the scorer's identity."""

    model_config = ConfigDict(populate_by_name=True)


class LengthScorer(_Spec):
    """1 when the output's length lies within every given bound, else 0."""

    type: Literal["length"]
    """Scorer type."""
    min_chars: int | None = Field(default=None, ge=0)
    """Fewest characters (Unicode code points)."""
    max_chars: int | None = Field(default=None, ge=0)
    """Most characters."""
    min_words: int | None = Field(default=None, ge=0)
    """Fewest words (runs of non-whitespace)."""
    max_words: int | None = Field(default=None, ge=0)
    """Most words."""

    @model_validator(mode="after")
    def _some_bound(self) -> LengthScorer:
        bounds = (self.min_chars, self.max_chars, self.min_words, self.max_words)
        if all(b is None for b in bounds):
            raise ValueError("give at least one of min_chars, max_chars, min_words, max_words")
        for low, high, unit in ((bounds[0], bounds[1], "chars"), (bounds[2], bounds[3], "words")):
            if low is not None and high is not None and low > high:
                raise ValueError(f"min_{unit} ({low}) must be <= max_{unit} ({high})")
        return self


class NumericScorer(_Spec):
    """1 when the number in the output is within tolerance of the number in the sample's `reference`."""

    type: Literal["numeric"]
    """Scorer type."""
    tolerance: float = Field(default=0.0, ge=0)
    """Largest absolute difference that still counts as equal."""
    relative_tolerance: float = Field(default=0.0, ge=0)
    """Largest difference as a share of |reference| (0.01 = 1%); the looser of the two applies."""
    pick: Literal["first", "last"] = "last"
    """Which number of the output is its answer when it contains several (`1,234.5` reads as 1234.5)."""


class BleuScorer(_Spec):
    """Sentence BLEU (sacrebleu, effective order) of the output against the `reference`, mapped to 0..1.

    The metric's value is the mean of per-sample scores, not corpus BLEU.
    """

    type: Literal["bleu"]
    """Scorer type."""
    tokenize: Literal["13a", "intl", "char", "zh", "none"] = "13a"
    """sacrebleu tokenizer: `13a` (Latin scripts), `intl` (Unicode punctuation), `char`, `zh`, `none`."""
    lowercase: bool = False
    """Compare case-insensitively."""


class ChrfScorer(_Spec):
    """chrF (sacrebleu) of the output against the `reference`, mapped to 0..1; chrF++ with `word_order: 2`."""

    type: Literal["chrf"]
    """Scorer type."""
    word_order: int = Field(default=0, ge=0, le=2)
    """Word n-gram order added to the character n-grams: 0 = chrF, 2 = chrF++."""
    lowercase: bool = False
    """Compare case-insensitively."""


class RougeLScorer(_Spec):
    """ROUGE-L F-measure (rouge-score) of the output against the `reference`, in 0..1.

    Words are Unicode letter/digit runs, lower-cased, so any script counts (rouge-score's own
    tokenizer keeps ASCII only and would score Cyrillic or CJK text 0).
    """

    type: Literal["rouge_l"]
    """Scorer type."""
    use_stemmer: bool = False
    """Porter-stem English words before matching."""


class PythonScorer(_Spec):
    """Your own function, called in-process as `function(output, sample)` for every sample.

    `sample` has `id`, `input`, `reference` and `meta`. It returns a float in 0..1, a bool, or
    `benchgate.scorers.Score(value, reason)`; an exception or a value outside 0..1 leaves that sample
    unscored, with the error kept (never 0).
    """

    type: Literal["python"]
    """Scorer type."""
    function: str
    """`package.module:name`, importable from the directory of params.yaml."""
    version: str | None = Field(default=None, min_length=1)
    """Your label for the function's behaviour, recorded in run.json; bump it when scores would change,
    so the base comparison does not pair scores of two different functions."""

    @field_validator("function")
    @classmethod
    def _module_colon_name(cls, function: str) -> str:
        if not FUNCTION.match(function):
            raise ValueError(f"{function!r} must look like `package.module:name`")
        return function


class PairwiseScorer(_Spec):
    """The LLM judge compares each changed output with the base commit's output on the same input,
    in both orders (head shown first, then base); the metric is the head's win rate (ties count ½).

    Live only: a dry-run makes no calls, so the metric is skipped there. Outputs byte-identical
    to the base's are ties with no call. The base output is read from the base commit's results
    (its generated outputs, or its dataset's stored ones), never regenerated.
    """

    type: Literal["pairwise"]
    """Scorer type."""
    rubric: str = Field(min_length=1, max_length=4000)
    """The question the judge answers about the two outputs, e.g. `Which answer helps the customer
    more?`."""
    samples: int | None = Field(default=None, ge=1, le=20)
    """How many times each order of each changed pair is asked; the votes of an order are
    combined by majority. Default: `judge.samples`."""


def _not_built_in(schema: JsonDict) -> None:
    """A JSON Schema hint: an installed scorer's type is none of the built-in ones."""
    names: list[JsonValue] = [*sorted(BUILT_IN)]
    schema["not"] = {"enum": names}


class PluginScorer(BaseModel):
    """A scorer from an installed package, registered under the `benchgate.scorers` entry-point group.

    Every key besides `type` and `version` is handed to the package as its configuration.
    """

    model_config = ConfigDict(
        extra="allow", strict=True, allow_inf_nan=False, frozen=True, use_attribute_docstrings=True
    )

    type: str = Field(min_length=1, json_schema_extra=_not_built_in)
    """The entry point's name."""
    version: str | None = Field(default=None, min_length=1)
    """Overrides the version recorded in run.json (default: the package's version)."""

    @property
    def options(self) -> dict[str, Any]:
        """The configuration handed to the package."""
        return dict(self.model_extra or {})


BUILT_IN: dict[str, type[BaseModel]] = {
    "judge": JudgeScorer,
    "exact_match": ExactMatchScorer,
    "contains": ContainsScorer,
    "contains_all": ContainsSetScorer,
    "contains_any": ContainsSetScorer,
    "regex": RegexScorer,
    "json_valid": JsonValidScorer,
    "json_schema": JsonSchemaScorer,
    "length": LengthScorer,
    "numeric": NumericScorer,
    "bleu": BleuScorer,
    "chrf": ChrfScorer,
    "rouge_l": RougeLScorer,
    "python": PythonScorer,
    "pairwise": PairwiseScorer,
}
"""Scorer types benchgate ships, by `type:` name."""


def _tag(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
    elif isinstance(value, BaseModel):
        kind = getattr(value, "type", None)
    else:
        return None
    if kind is None:
        return None
    return kind if isinstance(kind, str) and kind in BUILT_IN else "plugin"


def _shorthand(value: Any) -> Any:
    """`scorer: chrf` means `scorer: {type: chrf}`."""
    return {"type": value} if isinstance(value, str) else value


ScorerSpec = Annotated[
    Annotated[JudgeScorer, Tag("judge")]
    | Annotated[ExactMatchScorer, Tag("exact_match")]
    | Annotated[ContainsScorer, Tag("contains")]
    | Annotated[ContainsSetScorer, Tag("contains_all")]
    | Annotated[ContainsSetScorer, Tag("contains_any")]
    | Annotated[RegexScorer, Tag("regex")]
    | Annotated[JsonValidScorer, Tag("json_valid")]
    | Annotated[JsonSchemaScorer, Tag("json_schema")]
    | Annotated[LengthScorer, Tag("length")]
    | Annotated[NumericScorer, Tag("numeric")]
    | Annotated[BleuScorer, Tag("bleu")]
    | Annotated[ChrfScorer, Tag("chrf")]
    | Annotated[RougeLScorer, Tag("rouge_l")]
    | Annotated[PythonScorer, Tag("python")]
    | Annotated[PairwiseScorer, Tag("pairwise")]
    | Annotated[PluginScorer, Tag("plugin")],
    Discriminator(
        _tag,
        custom_error_type="scorer_type",
        custom_error_message="needs a `type:` (built in or installed), e.g. {type: exact_match}",
    ),
    BeforeValidator(_shorthand),
]
"""A metric's scorer: a mapping with `type:`, or just the type's name."""

NEEDS_REFERENCE = frozenset({"exact_match", "numeric", "bleu", "chrf", "rouge_l"})
"""Built-in types that compare the output with each sample's `reference`."""
