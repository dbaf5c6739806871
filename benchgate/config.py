"""The params.yaml contract: scenarios, metric thresholds, regression and gate policy.

Pure models; `params_file` reads them from disk with line numbers for every error.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LATENCY_METRIC = "latency_s"
"""The one metric read from each sample's `latency_s` instead of being judged."""

Direction = Literal["higher", "lower"]
Aggregate = Literal["mean", "p50", "p95"]
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""Scenario and metric names: safe in paths, DVC stage names, Markdown and the comment marker."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class MetricSpec(_Strict):
    """How one metric is aggregated and judged against its thresholds."""

    model_config = ConfigDict(populate_by_name=True)

    pass_: float = Field(alias="pass")
    """Bound the aggregate must meet (>= for higher-is-better, <= for lower) to pass."""
    warn: float | None = None
    """Looser bound: between `warn` and `pass` the metric warns; beyond it, it fails."""
    direction: Direction = "higher"
    """Whether larger values are better (`higher`) or worse (`lower`, e.g. latency)."""
    aggregate: Aggregate = "mean"
    """How per-sample values become the metric's value."""
    max_drop: float | None = Field(default=None, ge=0)
    """Per-metric override of the scenario's `regression.max_drop`, in the metric's unit."""
    description: str | None = None
    """What the metric measures; the LLM judge's rubric is built from it."""

    @model_validator(mode="after")
    def _warn_is_looser_than_pass(self) -> MetricSpec:
        if self.warn is None:
            return self
        if self.direction == "higher" and self.warn > self.pass_:
            raise ValueError(f"warn ({self.warn}) must be <= pass ({self.pass_}) when higher is better")
        if self.direction == "lower" and self.warn < self.pass_:
            raise ValueError(f"warn ({self.warn}) must be >= pass ({self.pass_}) when lower is better")
        return self


class RegressionPolicy(_Strict):
    """When a change against the base commit counts as a regression, and what it does."""

    max_drop: float = Field(default=0.02, ge=0)
    """Smallest mean drop that matters; smaller significant changes are `unchanged`."""
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    """Significance level; confidence intervals on deltas are at level 1 - alpha."""
    on_regression: Literal["fail", "warn", "ignore"] = "fail"
    """Gate status contributed by a `regressed` metric."""
    on_missing_baseline: Literal["fail", "warn", "ignore"] = "warn"
    """Gate status contributed when the base commit has no results to compare with."""


class ModelCall(_Strict):
    """A model behind an OpenAI-compatible endpoint, and how to sample it."""

    model: str = Field(min_length=1)
    """Model name as the endpoint knows it."""
    url: str | None = None
    """Endpoint for this model; default: LLM_URL, then llm.url."""
    temperature: float = Field(default=0.0, ge=0, le=2)
    """Sampling temperature."""
    max_tokens: int = Field(default=512, ge=1, le=32_768)
    """Completion length cap."""
    seed: int | None = 0
    """Sampling seed sent to the endpoint (part of the cache key); null sends none."""


class JudgeSpec(ModelCall):
    """The LLM judge used in live mode."""

    samples: int = Field(default=1, ge=1, le=20)
    """Judgements per item, averaged (k)."""
    max_tokens: int = Field(default=256, ge=16, le=32_768)
    """Room for the JSON verdict and a short reason."""


class GeneratorSpec(ModelCall):
    """The candidate model run on each sample's input in live mode."""


class Price(_Strict):
    """What a model costs, for the report's estimate."""

    prompt_per_mtok: float = Field(ge=0)
    """USD per million prompt tokens."""
    completion_per_mtok: float = Field(ge=0)
    """USD per million completion tokens."""


class LLMSettings(_Strict):
    """How live mode talks to OpenAI-compatible endpoints."""

    url: str | None = None
    """Default endpoint (`http://host:port`, `.../v1` or the full chat path; a query string is sent
    last and never shown); the LLM_URL variable wins."""
    timeout_s: float = Field(default=120.0, gt=0)
    """Per-request timeout: the whole answer must arrive within it (connecting takes at most 10 s more)."""
    concurrency: int = Field(default=8, ge=1, le=1024)
    """Requests in flight at the start; adapts to the endpoint from there."""
    max_concurrency: int = Field(default=64, ge=1, le=1024)
    """Cap for adaptive concurrency."""
    max_attempts: int = Field(default=8, ge=1, le=50)
    """Attempts per call for transient failures (429, 5xx, timeouts, dropped connections)."""
    max_retry_s: float = Field(default=120.0, gt=0)
    """Longest a single call may take, counted from its first attempt: no wait ends and no retry
    starts after it, and a server asking to wait longer than is left ends the call at once."""
    prices: dict[str, Price] = Field(default_factory=dict)
    """Model -> price, for cost estimates."""


class Scenario(_Strict):
    """One benchmark: a dataset, the prompt under test, and its metrics."""

    dataset: str = Field(min_length=1)
    """Path of the JSONL dataset, relative to params.yaml."""
    prompt: str = Field(min_length=1)
    """Path of the prompt under test, relative to params.yaml."""
    prompt_version: str = Field(min_length=1)
    """Human label of the prompt, shown in the report."""
    model: str = Field(min_length=1)
    """Candidate (generator) model whose outputs are judged."""
    judge: JudgeSpec | None = None
    """LLM judge for live mode; dry-run uses the stored ground truth."""
    generator: GeneratorSpec | None = None
    """Candidate model to run on each input in live mode; without it the stored outputs are judged."""
    metrics: dict[str, MetricSpec] = Field(min_length=1)
    """Metric name -> thresholds. `latency_s` is read from samples; the rest are judged."""
    regression: RegressionPolicy = RegressionPolicy()
    """Comparison with the base commit."""
    results: str | None = None
    """Directory for stage outputs; default `data/results/<scenario>`."""

    @field_validator("metrics")
    @classmethod
    def _metric_names_are_plain(cls, metrics: dict[str, MetricSpec]) -> dict[str, MetricSpec]:
        for name, spec in metrics.items():
            if not PLAIN_NAME.match(name):
                raise ValueError(f"metric name {name!r} may use only letters, digits, '_', '.', '-'")
            bounds = [b for b in (spec.pass_, spec.warn) if b is not None]
            if name != LATENCY_METRIC and any(not 0 <= b <= 1 for b in bounds):
                raise ValueError(f"{name}: judged scores lie in 0..1, so thresholds {bounds} cannot be met")
        return metrics

    def max_drop(self, metric: str) -> float:
        """The change that matters for `metric`: its own override or the scenario's."""
        own = self.metrics[metric].max_drop
        return self.regression.max_drop if own is None else own

    @property
    def quality_metrics(self) -> list[str]:
        """Judged metrics, in params order."""
        return [name for name in self.metrics if name != LATENCY_METRIC]


class GatePolicy(_Strict):
    """Rules that apply to every scenario's gate."""

    fail_on_warn: bool = False
    """Turn an overall `warn` into a failing exit code."""
    max_unscored: float = Field(default=0.05, ge=0, le=1)
    """Largest share of unscored (sample, metric) judgements before the gate fails."""
    min_samples: int = Field(default=20, ge=1)
    """Fewest scored samples a metric needs for its verdict to count."""


class Params(_Strict):
    """The whole params.yaml."""

    scenarios: dict[str, Scenario] = Field(min_length=1)
    """Scenario name -> definition."""
    gate: GatePolicy = GatePolicy()
    """Gate policy shared by all scenarios."""
    llm: LLMSettings = LLMSettings()
    """Endpoint and call policy for live mode."""
    live: list[str] = Field(default_factory=list)
    """Scenarios whose live stage `dvc repro` runs (dvc.yaml's `bench-live` matrix)."""

    @field_validator("scenarios")
    @classmethod
    def _names_are_path_safe(cls, scenarios: dict[str, Scenario]) -> dict[str, Scenario]:
        for name in scenarios:
            if not PLAIN_NAME.match(name):
                raise ValueError(f"scenario name {name!r} may use only letters, digits, '_', '.', '-'")
        return scenarios

    @model_validator(mode="after")
    def _live_scenarios_exist_and_have_a_judge(self) -> Params:
        for name in self.live:
            if name not in self.scenarios:
                raise ValueError(f"live: no scenario {name!r}")
            if self.scenarios[name].judge is None:
                raise ValueError(f"live: scenario {name!r} has no judge")
        if self.llm.max_concurrency < self.llm.concurrency:
            raise ValueError("llm.max_concurrency must be >= llm.concurrency")
        return self
