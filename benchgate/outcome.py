"""gate.json: the complete outcome of a gate, enough to render the report on its own. Pure."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from benchgate.config import PLAIN_NAME
from benchgate.results import FileRef, Mode, Reliability

Status = Literal["pass", "warn", "fail"]
Verdict = Literal["improved", "unchanged", "regressed", "inconclusive", "no-baseline", "skipped"]
Unpaired = Literal["scorer-changed", "skipped-at-base"]
SCHEMA_VERSION = 1
SHA = r"^[0-9a-f]{40,64}$"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BaseRef(_Out):
    """The commit the head is compared with."""

    rev: str | None
    """Revision as asked for or chosen (e.g. `main`, `HEAD~1`)."""
    sha: str | None = Field(default=None, pattern=SHA)
    """Resolved commit, when it exists."""
    found: bool = False
    """Whether that commit has results for this scenario and mode."""
    reason: str | None = None
    """Why there is no baseline, when `found` is false."""


class HeadRef(_Out):
    """The commit whose working tree was gated."""

    sha: str | None = Field(pattern=SHA)
    """HEAD commit; null outside a git repository."""
    dirty: bool = False
    """Whether the gated results differ from the committed ones."""


class Threshold(_Out):
    """A metric's bounds as configured."""

    pass_: float = Field(alias="pass")
    """Pass bound."""
    warn: float | None
    """Warn bound, if any."""
    direction: Literal["higher", "lower"]
    """Which way is better."""
    aggregate: Literal["mean", "p50", "p95"]
    """How per-sample values were aggregated."""
    max_drop: float
    """Change that matters against the base, in the metric's unit."""


class Latency(_Out):
    """Latency distribution in seconds."""

    mean: float
    """Mean."""
    p50: float
    """Median."""
    p95: float
    """95th percentile."""


class MetricResult(_Out):
    """One metric: value, thresholds, and change against the base."""

    value: float | None
    """Aggregate over scored samples."""
    ci: tuple[float, float] | None
    """95% confidence interval of `value`."""
    n: int
    """Samples with a value."""
    unscored: int
    """Samples without a value."""
    threshold: Threshold
    """Configured bounds."""
    threshold_status: Status
    """Status from the bounds alone."""
    base_value: float | None = None
    """Aggregate at the base commit."""
    delta: float | None = None
    """aggregate(head) - aggregate(base) over paired samples, in the metric's unit."""
    delta_ci: tuple[float, float] | None = None
    """Confidence interval of `delta` at level 1 - alpha."""
    p_value: float | None = None
    """Two-sided p-value of `delta` against no change."""
    mde: float | None = None
    """Smallest |delta| this comparison would detect with 80% power."""
    n_paired: int = 0
    """Samples scored at both commits."""
    method: str | None = None
    """How `delta_ci` was computed."""
    verdict: Verdict
    """Change against the base."""
    status: Status
    """Worst of the threshold status and the regression policy."""
    latency: Latency | None = None
    """Latency metric only: its distribution."""
    skipped: str | None = None
    """Why the run has no values for this metric (verdict `skipped`; status from `gate.on_skipped`)."""
    unpaired: Unpaired | None = None
    """Why the metric was not compared with a base that has results (verdict `no-baseline`)."""


class SampleSets(_Out):
    """How head and base samples paired up by id."""

    head: int
    """Samples at head."""
    base: int
    """Samples at base (0 without a baseline)."""
    paired: int
    """Ids present at both."""
    added: list[str] = Field(default_factory=list)
    """Ids only at head (first 50)."""
    added_count: int = 0
    """All ids only at head."""
    removed: list[str] = Field(default_factory=list)
    """Ids only at base (first 50)."""
    removed_count: int = 0
    """All ids only at base."""


class SampleChange(_Out):
    """A paired sample and how much worse it got."""

    id: str
    """Sample id."""
    deltas: dict[str, float]
    """Metric -> head - base."""
    excerpt: str | None = None
    """Start of the head output (untrusted text)."""


class UnscoredItem(_Out):
    """A judgement that produced no score."""

    id: str
    """Sample id."""
    metric: str
    """Metric left unscored."""
    reason: str
    """Why."""
    reply: str | None = None
    """Raw judge reply, truncated (untrusted text)."""


class ReliabilityResult(_Out):
    """Judge coverage and call statistics."""

    judgements: int
    """Sample x judged-metric pairs."""
    unscored: int
    """Of those, how many have no score."""
    max_unscored: float
    """Allowed share of unscored judgements."""
    calls: Reliability = Reliability()
    """Requests, retries by status, cache and tokens."""
    unscored_items: list[UnscoredItem] = Field(default_factory=list)
    """First unscored judgements, with raw replies."""


class Meta(_Out):
    """What was gated."""

    dataset: FileRef
    """Dataset at head."""
    samples: int
    """Samples judged at head."""
    limit: int | None = None
    """`--limit` of the head run, if any."""
    prompt: FileRef
    """Prompt at head."""
    prompt_version: str
    """Prompt label."""
    model: str
    """Candidate model."""
    judge: str
    """Judge (`ground truth` or a model)."""
    endpoint: str | None = None
    """LLM endpoint of a live run."""
    base_dataset_sha256: str | None = None
    """Dataset digest at base, to show whether it changed."""
    base_prompt_sha256: str | None = None
    """Prompt digest at base."""


class CompanionMetric(_Out):
    """A metric in the other mode."""

    value: float | None
    """Its aggregate."""
    status: Status
    """Its threshold status."""


class CompanionRun(_Out):
    """The other mode's results, shown beside the gated ones (like the pilot's two columns)."""

    mode: Mode
    """`dry-run` or `live`."""
    judge: str
    """Who judged it."""
    metrics: dict[str, CompanionMetric]
    """Per metric."""
    status: Status
    """Worst threshold status."""


class Agreement(_Out):
    """How the LLM judge's scores relate to ground truth on the same samples."""

    n: int
    """Samples with both."""
    spearman: float | None
    """Rank correlation (None when a side is constant)."""
    mean_abs_diff: float
    """Mean |judge - truth| on the 0..1 scale."""


class GateResult(_Out):
    """The whole gate.json."""

    schema_version: int = SCHEMA_VERSION
    """Bumped on incompatible changes."""
    status: Status
    """Overall: worst of every part."""
    failed: bool
    """Whether the gate fails the check (`fail`, or `warn` with fail_on_warn)."""
    fail_on_warn: bool
    """Policy in effect."""
    alpha: float
    """Significance level of the base comparison; delta CIs are at 1 - alpha."""
    scenario: str
    """Scenario name."""
    mode: Mode
    """`dry-run` or `live`."""
    base: BaseRef
    """Comparison commit."""
    head: HeadRef
    """Gated commit."""
    meta: Meta
    """Dataset, prompt, models."""
    metrics: dict[str, MetricResult]
    """Per metric, in params order."""
    samples: SampleSets
    """Pairing of samples by id."""
    worst: list[SampleChange] = Field(default_factory=list)
    """Most regressed paired samples, worst first."""
    reliability: ReliabilityResult
    """Judge coverage and calls."""
    reasons: list[str] = Field(default_factory=list)
    """Every cause of a non-pass status, in plain words."""
    reproduce: list[str] = Field(default_factory=list)
    """Shell commands that reproduce this outcome."""
    companion: CompanionRun | None = None
    """The other mode's results at head, when present (not gated)."""
    agreement: dict[str, Agreement] = Field(default_factory=dict)
    """LLM judge vs ground truth per metric, when both modes ran."""

    @model_validator(mode="after")
    def _names_are_plain(self) -> GateResult:
        # gate.json may come from an untrusted run (fork PRs): names reach Markdown and the marker.
        names = [
            self.scenario,
            *self.metrics,
            *self.agreement,
            *(self.companion.metrics if self.companion else []),
            *(metric for change in self.worst for metric in change.deltas),
            *(item.metric for item in self.reliability.unscored_items),
        ]
        for name in names:
            if not PLAIN_NAME.match(name):
                raise ValueError(f"name {name[:40]!r} may use only letters, digits, '_', '.', '-'")
        return self
