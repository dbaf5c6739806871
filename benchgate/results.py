"""What a run leaves behind: per-sample scores, per-metric summaries and run metadata. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["dry-run", "live"]
"""How a run was judged: stored ground truth (`dry-run`) or an LLM judge (`live`)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Vote = Literal["head", "base", "tie"]
"""One pairwise judgement, in terms of the commits: which one's output the judge preferred."""


class PairVotes(_Record):
    """A pairwise metric's judgements of one sample (head output vs base output)."""

    head_first: list[Vote] = Field(default_factory=list)
    """Readable votes with the head's output shown first (as `A`), one per `samples` repeat."""
    base_first: list[Vote] = Field(default_factory=list)
    """Readable votes with the base's output shown first."""
    identical: bool = False
    """The outputs were byte-identical: a tie, and no call was made."""


class SampleScore(_Record):
    """One line of scores.jsonl."""

    id: str
    """Sample id from the dataset."""
    scores: dict[str, float] = Field(default_factory=dict)
    """Judged metric -> score in 0..1, for the metrics that were scored."""
    unscored: dict[str, str] = Field(default_factory=dict)
    """Judged metric -> why it has no score (never counted as 0)."""
    latency_s: float | None = None
    """Candidate latency for this sample, when known."""
    replies: dict[str, str] = Field(default_factory=dict)
    """Raw judge replies kept for unscored metrics, shown (neutralised) in the report."""
    reasons: dict[str, str] = Field(default_factory=dict)
    """Judged metric -> the judge's one-sentence reason for its score (live mode), clipped."""
    output: str | None = None
    """Output generated in this run (live mode with a generator); else the dataset's is used."""
    notes: dict[str, str] = Field(default_factory=dict)
    """Scored metric -> the scorer's explanation of its score, when it gave one."""
    judgements: dict[str, list[float]] = Field(default_factory=dict)
    """Judged metric -> every readable judgement (0..1) whose mean is its score; kept only when
    `judge.samples` > 1, so runs judged once write the same bytes as before."""
    fingerprints: dict[str, str] = Field(default_factory=dict)
    """LLM-judged metric -> sha256 of everything its judgement was asked from (endpoint, judge
    settings, scorer identity and version, the exact messages): a later run whose fingerprint is
    equal reuses this judgement instead of asking again (`benchgate run --reuse-from`)."""
    pairwise: dict[str, PairVotes] = Field(default_factory=dict)
    """Pairwise metric -> the votes behind its score (1 head wins, 0 base wins, 0.5 tie)."""

    @classmethod
    def trusted(
        cls,
        id: str,
        *,
        scores: dict[str, float],
        unscored: dict[str, str],
        latency_s: float | None,
    ) -> SampleScore:
        """A record from values validated already, built without validating them again.

        What `model_construct` leaves behind with every field given, without its per-field
        loop: at 1M samples that loop is a quarter of a dry-run (docs/benchmarks.md).
        """
        record = _new(cls)
        _set(
            record,
            "__dict__",
            {
                "id": id,
                "scores": scores,
                "unscored": unscored,
                "latency_s": latency_s,
                "replies": _EMPTY,
                "reasons": _EMPTY,
                "output": None,
                "notes": _EMPTY,
                "judgements": _EMPTY,
                "fingerprints": _EMPTY,
                "pairwise": _EMPTY,
            },
        )
        # One set for every record: each has every field set, and a frozen model never adds to it.
        _set(record, "__pydantic_fields_set__", _SCORE_FIELDS)
        _set(record, "__pydantic_extra__", None)
        _set(record, "__pydantic_private__", None)
        return record


Record = TypeVar("Record", bound=BaseModel)


class FieldSets:
    """One `__pydantic_fields_set__` per distinct set of given fields, shared by the records of a file.

    pydantic keeps a set per record (216 bytes, 728 from five fields on); records read from one
    file give the same fields, and a frozen record never adds to its set, so they can share it:
    at 1M held samples that is ~0.7 GB of a dataset. Dict fields left out of a line (their
    default, empty) share one empty dict the same way. (scores.jsonl is read as columns instead:
    `score_lines`.)
    """

    def __init__(self) -> None:
        self._known: dict[tuple[type[BaseModel], frozenset[str]], tuple[set[str], dict[str, Any]]] = {}

    def share(self, record: Record) -> Record:
        """The record, its fields set replaced by the shared equal one, its defaulted dicts by `_EMPTY`."""
        assert record.model_config.get("frozen"), "only a frozen record can share its fields set"
        given = record.__pydantic_fields_set__
        key = (type(record), frozenset(given))
        known = self._known.get(key)
        if known is None:
            defaulted = {name: _EMPTY for name in _dict_fields(key[0]) if name not in given}
            known = self._known[key] = (given, defaulted)
        _set(record, "__pydantic_fields_set__", known[0])
        record.__dict__.update(known[1])
        return record


_EMPTY: dict[Any, Any] = {}
"""The empty dict that defaulted dict fields of frozen records share (64 bytes each otherwise: at
1M records of six such fields, ~0.4 GB of each scores.jsonl read). Never mutate a record's dict."""


@cache
def _dict_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, info in cls.model_fields.items() if info.default_factory is dict)


_new = object.__new__
_set = object.__setattr__  # the model is frozen: pydantic itself sets its fields this way
_SCORE_FIELDS = set(SampleScore.model_fields)


class MetricSummary(_Record):
    """One metric's entry in metrics.json (what `dvc metrics diff` compares)."""

    value: float | None
    """Aggregate over scored samples; null when none was scored."""
    ci_low: float | None
    """Lower bound of the 95% confidence interval."""
    ci_high: float | None
    """Upper bound of the 95% confidence interval."""
    n: int
    """Samples that contributed a value."""
    unscored: int
    """Samples without a value (judge failure, missing ground truth or latency)."""
    mean: float | None = None
    """Latency only: mean seconds."""
    p50: float | None = None
    """Latency only: median seconds."""
    p95: float | None = None
    """Latency only: 95th percentile seconds."""
    skipped: str | None = None
    """Why the run computed no values for this metric (e.g. its scorer needs an LLM and none was set up)."""
    ci_method: str | None = None
    """Set when the interval is not the default bootstrap over samples: `two-stage bootstrap`
    (samples, then judgements within samples) for a metric judged k > 1 times; `win rate vs ½: ...`
    for a pairwise metric (the gate's sign-flip test against ½, inverted)."""


class FileRef(_Record):
    """A project file as the run saw it."""

    path: str
    """Path relative to the project root."""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """Hex digest of the file's bytes."""


class Truncation(_Record):
    """How far a run got before its cost cap stopped it: such results are never gated as a pass."""

    cap_usd: float
    """The cap in force (`--max-cost` or `llm.max_cost_usd`)."""
    spent_usd: float
    """What the calls that were sent cost, priced from the tokens the endpoint reported."""
    calls_done: int
    """Calls answered (sent or from the cache) before the run stopped."""
    calls_planned: int
    """Calls the whole run needed (judgements reused from the base excluded)."""


class ModelTokens(_Record):
    """The tokens one model's fresh calls used (cache hits cost nothing)."""

    prompt_tokens: int = 0
    """Prompt tokens reported by the endpoint."""
    completion_tokens: int = 0
    """Completion tokens reported by the endpoint."""


class Reliability(_Record):
    """How the run's calls went; all zero in dry-run."""

    requests: int = 0
    """HTTP requests sent (cache hits excluded)."""
    retries: dict[str, int] = Field(default_factory=dict)
    """Retried attempts by HTTP status or error kind, e.g. {"503": 2}."""
    cache_hits: int = 0
    """Calls answered from the response cache."""
    cache_misses: int = 0
    """Calls that went to the endpoint."""
    prompt_tokens: int = 0
    """Prompt tokens reported by the endpoint."""
    completion_tokens: int = 0
    """Completion tokens reported by the endpoint."""
    reasks: int = 0
    """Judge replies that could not be read and were asked for again."""
    tokens_by_model: dict[str, ModelTokens] = Field(default_factory=dict)
    """Model -> its fresh calls' tokens, by model name: what `cost_usd` prices. Merged shards add
    these up and price the sum, as one run does (summing the shards' rounded costs would not give
    the same cents). Omitted from run.json when empty."""
    cost_usd: float | None = None
    """Estimated cost when prices are configured: `tokens_by_model` priced, rounded to 4 places."""
    reused: dict[str, int] = Field(default_factory=dict)
    """Metric -> judgements copied from the base commit's results because their inputs were
    byte-identical (same fingerprint): no call was made for them. Omitted from run.json when empty."""
    truncated: Truncation | None = None
    """Set when the cost cap stopped the run before every call was made; omitted otherwise."""


class ScorerInfo(_Record):
    """Which scorer produced a metric's values: the base comparison pairs only identical scorers."""

    type: str
    """Scorer type (`judge`, `exact_match`, `python`, an installed scorer's name, ...)."""
    version: str
    """Revision of the scorer's behaviour: benchgate's own for built-ins, `version:` for python,
    the package's (or `version:`) for installed scorers."""
    config_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """Digest of the scorer's configuration (and of any file it reads, such as a JSON Schema)."""
    needs_llm: bool
    """Whether it calls an LLM (such metrics are skipped when none is configured)."""
    package: str | None = None
    """Distribution that implements it and its version, for provenance (e.g. `sacrebleu 2.6.0`)."""

    def same_as(self, other: ScorerInfo) -> bool:
        """Whether scores from `other` may be paired with scores from this one."""
        mine = (self.type, self.version, self.config_sha256)
        return mine == (other.type, other.version, other.config_sha256)


class PairwiseBase(_Record):
    """What a run's pairwise metrics compared the head's outputs with."""

    rev: str | None
    """The base as named (`main`, `HEAD~1`, a sha), or None when none was found."""
    sha: str | None
    """The base commit, or None when none was found."""
    outputs: Literal["results", "dataset"] | None = None
    """Where the base outputs came from: the base's committed results (generated outputs, else
    its dataset's) or, without base results, the dataset at the base commit."""
    reason: str | None = None
    """Why there is no base to compare with, when there is none."""


class Shard(_Record):
    """Which part of a sharded run this is (`benchgate run --shard i/N`)."""

    index: int = Field(ge=1)
    """1-based shard number."""
    count: int = Field(ge=1)
    """How many shards the samples were split into."""


class RunInfo(_Record):
    """run.json: everything about a run that is not a number per metric."""

    scenario: str
    """Scenario name."""
    mode: Mode
    """`dry-run` or `live`."""
    dataset: FileRef
    """The dataset that was judged."""
    samples: int
    """Samples judged (after --limit)."""
    limit: int | None = None
    """`--limit` used, if any: only the first N samples were judged."""
    prompt: FileRef
    """The prompt under test."""
    prompt_version: str
    """Prompt label from params.yaml."""
    model: str
    """Candidate model."""
    judge: str
    """`ground truth` or the judge model's name."""
    endpoint: str | None = None
    """Base URL of the LLM endpoint used (credentials removed), live mode only."""
    reliability: Reliability = Reliability()
    """Call statistics (live mode)."""
    scorers: dict[str, ScorerInfo] = Field(default_factory=dict)
    """Scored metric -> its scorer's identity (empty in results written before scorers existed)."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Metric -> why it has no values in this run (its scorer needs an LLM and none was available)."""
    pairwise_base: PairwiseBase | None = None
    """Set when the scenario has pairwise metrics (live mode): the commit they were judged against."""
    shard: Shard | None = None
    """Set on one shard's results; `benchgate merge` combines all shards into an unsharded run."""


@dataclass(frozen=True)
class RunFiles:
    """A run's outputs as read back (from the work tree or from a commit)."""

    scores: Sequence[SampleScore]
    """In file order; read from a file, a `ScoreLines` (columns, records on demand)."""
    info: RunInfo
