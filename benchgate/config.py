"""The params.yaml contract: scenarios, metric thresholds, regression and gate policy.

Pure models; `params_file` reads them from disk with line numbers for every error. Checks
that span several fields return located problems (`Params.problems`) instead of raising, so
that each one can name the line of the key at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from benchgate.llm.replies import DEFAULT_SCALE, SCALES, Scale
from benchgate.scorers.specs import JudgeScorer, ScorerSpec

LATENCY_METRIC = "latency_s"
"""The one metric read from each sample's `latency_s` instead of being judged."""

Direction = Literal["higher", "lower"]
OnOutcome = Literal["fail", "warn", "ignore"]
"""What a gate outcome contributes to the overall status (`ignore` contributes nothing)."""
Aggregate = Literal["mean", "p50", "p95"]
Located = tuple[tuple[str | int, ...], str]
"""A problem as (path of keys in params.yaml, message)."""
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""Scenario and metric names: safe in paths, DVC stage names, Markdown and the comment marker."""
GITHUB_LOGIN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$"
"""A GitHub user (or app bot) login: what a review's `user.login` can be."""
GITHUB_TEAM = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
"""An `org/team-slug` reference."""
APPROVER = re.compile(f"{GITHUB_LOGIN}|{GITHUB_TEAM}")
ROLE = re.compile(r"^[^\x00-\x1f\x7f]{1,60}$")
"""A role name as params.yaml may give it: one line, short (shown as escaped prose)."""
TREND_MAX = 100
"""Longest trend a gate reads (each point is one git read; more would not fit a chart)."""


def _plain_names(*fields: str) -> Callable[[JsonDict], None]:
    """A JSON Schema hint for editors: these maps' keys are plain names (`problems` checks them)."""

    def hint(schema: JsonDict) -> None:
        properties = cast("JsonDict", schema["properties"])
        for field in fields:
            cast("JsonDict", properties[field])["propertyNames"] = {"pattern": PLAIN_NAME.pattern}

    return hint


class _Strict(BaseModel):
    """Base of the params models: unknown keys, loose types and NaN are errors, and the docstring
    under each field is its description in `benchgate schema` and docs/params.md."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, frozen=True, use_attribute_docstrings=True
    )


def _scorer_shorthand(schema: JsonDict) -> None:
    """A JSON Schema hint: `scorer: chrf` is short for `scorer: {type: chrf}`."""
    scorer = cast("JsonDict", cast("JsonDict", schema["properties"])["scorer"])
    options = cast("list[JsonDict]", scorer["anyOf"])
    shorthand: JsonDict = {
        "type": "string",
        "minLength": 1,
        "description": "A scorer type: `chrf` is `{type: chrf}`.",
    }
    options.insert(1, shorthand)


class MetricSpec(_Strict):
    """How one metric is aggregated and judged against its thresholds."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra=_scorer_shorthand)

    pass_: float = Field(alias="pass")
    """Bound the metric's aggregate must reach to pass: at least this when `direction` is `higher`,
    at most this when `lower`. Scores lie in 0..1; `latency_s` is in seconds."""
    warn: float | None = None
    """Looser bound than `pass`: an aggregate between the two warns, one beyond `warn` fails.
    Without it, missing `pass` fails."""
    direction: Direction = "higher"
    """Whether larger values are better (`higher`, as for scores) or worse (`lower`, e.g. latency)."""
    aggregate: Aggregate = "mean"
    """How per-sample values become the metric's value: their mean, median (`p50`) or 95th
    percentile (`p95`). Thresholds and the base comparison both use it."""
    max_drop: float | None = Field(default=None, ge=0)
    """This metric's own `regression.max_drop`, in its unit (score points, or seconds for
    `latency_s`); default: the scenario's."""
    description: str | None = None
    """What the metric measures, as the question the LLM judge is asked (`<metric>: <description>`);
    the meaning of each score comes from the judge scorer's `rubric`."""
    scorer: ScorerSpec | None = None
    """How each sample gets its value: `judge` (the default), a deterministic built-in such as
    `{type: json_schema, schema: schemas/answer.json}`, `{type: python, function: "pkg.mod:name"}`,
    or an installed scorer's type. `latency_s` takes none: it is read from the samples."""

    @model_validator(mode="after")
    def _warn_is_looser_than_pass(self) -> MetricSpec:
        if self.warn is None:
            return self
        if self.direction == "higher" and self.warn > self.pass_:
            raise ValueError(f"warn ({self.warn}) must be <= pass ({self.pass_}) when higher is better")
        if self.direction == "lower" and self.warn < self.pass_:
            raise ValueError(f"warn ({self.warn}) must be >= pass ({self.pass_}) when lower is better")
        return self


DEFAULT_SCORER = JudgeScorer()


class RegressionPolicy(_Strict):
    """When a change against the base commit counts as a regression, and what it does."""

    max_drop: float = Field(default=0.02, ge=0)
    """Smallest change of a metric's aggregate against the base commit that matters, in score
    points (0.02 = 2 points on the 0..1 scale): a significant drop larger than this is `regressed`,
    a change whose confidence interval lies within ±max_drop is `unchanged`."""
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    """Significance level of the paired comparison with the base commit: changes get a
    1 - alpha confidence interval (0.05 gives 95%)."""
    on_regression: OnOutcome = "fail"
    """Gate status contributed by a `regressed` metric (`fail`, `warn`, or `ignore` it)."""
    on_missing_baseline: OnOutcome = "warn"
    """Gate status contributed by a metric with nothing to compare with: no base results, no
    paired samples, a metric the base commit does not have (new or renamed), or one that cannot
    be paired with the base (its scorer changed, or the base skipped it)."""
    on_inconclusive: OnOutcome = "ignore"
    """Gate status contributed by an `inconclusive` metric (too few samples to decide)."""


class ModelCall(_Strict):
    """A model behind an OpenAI-compatible endpoint, and how to sample it."""

    model: str = Field(min_length=1)
    """Model name as the endpoint knows it (sent as `model` in every request)."""
    url: str | None = None
    """Endpoint for this model; default: LLM_URL, then llm.url."""
    temperature: float = Field(default=0.0, ge=0, le=2)
    """Sampling temperature; 0 makes answers as repeatable as the endpoint allows."""
    max_tokens: int = Field(default=512, ge=1, le=32_768)
    """Most tokens the model may generate per call."""
    seed: int | None = 0
    """Sampling seed sent to the endpoint (part of the cache key); null sends none."""


JudgeScale = Literal["1-5", "1-10", "binary"]
"""Scales the judge may score on (benchgate/llm/replies.py maps each onto 0..1)."""


class JudgeLabels(_Strict):
    """Headings of the fenced blocks the judge sees, in the task's own words."""

    input: str = Field(default="Input", min_length=1, max_length=120)
    """Heading of the sample's input (e.g. `Customer question`, `Source posts`)."""
    output: str = Field(default="Output to evaluate", min_length=1, max_length=120)
    """Heading of the output being graded (e.g. `Assistant answer`)."""
    reference: str = Field(default="Reference (for comparison only)", min_length=1, max_length=120)
    """Heading of the sample's `reference`, shown when it has one."""


AgreementStatistic = Literal["spearman", "kendall", "kappa"]
"""Judge-vs-truth agreement statistics a `judge.min_agreement` bound may name."""


class JudgeSpec(ModelCall):
    """The LLM judge used in live mode."""

    samples: int = Field(default=1, ge=1, le=20)
    """How many times each (sample, metric) is judged; the scores are averaged. More than 1
    smooths a noisy judge at that many times the calls, keeps every judgement in scores.jsonl
    and reports the judge's noise (its share of the variance, flips across the pass bound)."""
    max_tokens: int = Field(default=256, ge=16, le=32_768)
    """Most tokens per judgement: room for the JSON verdict and a short reason."""
    min_agreement: dict[AgreementStatistic, Annotated[float, Field(ge=-1, le=1)]] = Field(
        default_factory=dict
    )
    """Least agreement with ground truth the judge must show on the labelled samples (those
    with `ground_truth` for the metric), e.g. `{spearman: 0.5}`; any of `spearman`, `kendall`
    (tau-b) and `kappa` (quadratic-weighted, on the judge's scale). A live metric whose 95%
    interval's lower bound falls below a bound, or that has no labelled samples, is
    `uncalibrated`. Empty: agreement is reported, never gated."""
    on_uncalibrated: OnOutcome = "warn"
    """Gate status contributed by an `uncalibrated` metric (`fail`, `warn`, or `ignore` it)."""
    instructions: str | None = Field(default=None, min_length=1)
    """The task framing the judge reads first, e.g. `You grade answers of a customer-support
    assistant.` Default: an impartial evaluator, naming no domain. Each metric adds its question
    (`description`), `rubric` and `examples` (under `scorer: {type: judge, ...}`)."""
    scale: JudgeScale = "1-5"
    """The scale the judge scores on, mapped onto 0..1: `1-5` ((s - 1) / 4), `1-10` ((s - 1) / 9)
    or `binary` (0 or 1). Ground truth stays in 0..1 whatever the scale."""
    labels: JudgeLabels = JudgeLabels()
    """Headings of the blocks shown to the judge: `{input, output, reference}`."""
    max_position_bias: float | None = Field(default=None, ge=0, le=1)
    """Largest share (0..1) of a pairwise metric's judged pairs whose verdict may follow the
    position instead of the answer (the judge picked the same slot in both orders). A pairwise
    metric whose position bias's 95% interval reaches above it is `uncalibrated` (as with
    `min_agreement`, the judge must show it is within the bound). Unset: position bias is
    reported, never gated."""


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
    """Seconds to wait for one whole response (connecting may take up to 10 s more) before the
    attempt counts as a timeout (and is retried)."""
    concurrency: int = Field(default=8, ge=1, le=1024)
    """Requests in flight at the start; from there it grows until the endpoint pushes back (429)
    and settles just below."""
    max_concurrency: int = Field(default=64, ge=1, le=1024)
    """Most requests ever in flight, however well the endpoint keeps up; at least `concurrency`."""
    max_attempts: int = Field(default=8, ge=1, le=50)
    """Attempts per call for transient failures (429, 5xx, timeouts, dropped connections)."""
    max_retry_s: float = Field(default=120.0, gt=0)
    """Seconds a single call may take, counted from its first attempt, before it fails: no wait
    ends and no retry starts after it, and a server asking to wait longer ends the call at once."""
    prices: dict[str, Price] = Field(default_factory=dict)
    """Model name -> price, for the cost estimate in run.json and the report, `benchgate run
    --estimate` and the cost cap; unlisted models are not estimated (no cost without a price)."""
    max_cost_usd: float | None = Field(default=None, gt=0)
    """A hard cap, in USD, on what one live run's calls may cost (`--max-cost` overrides it): a call
    is sent only when even its longest answer (`max_tokens`) keeps the run under the cap. A run
    that reaches it stops sending, keeps every finished call in the cache, writes its results
    marked budget-truncated (never gated as a pass) and exits 3; the next run resumes from the
    cache. Every model called needs a price in `prices`. Empty: no cap."""


class Scenario(_Strict):
    """One benchmark: a dataset, the prompt under test, and its metrics."""

    model_config = ConfigDict(json_schema_extra=_plain_names("metrics"))

    dataset: str = Field(min_length=1)
    """Path of the dataset, one JSON sample a line (see docs/dataset.md), relative to params.yaml."""
    prompt: str = Field(min_length=1)
    """Path of the prompt under test, relative to params.yaml; in live mode each sample's input
    fills its `{{name}}` placeholders."""
    prompt_version: str = Field(min_length=1)
    """Your label for this version of the prompt (e.g. `support-2025-06-v2`), shown in the report
    and recorded in run.json."""
    model: str = Field(min_length=1)
    """Name of the candidate model whose outputs are judged, shown in the report."""
    judge: JudgeSpec | None = None
    """LLM judge for live mode; dry-run uses the stored ground truth."""
    generator: GeneratorSpec | None = None
    """Candidate model to run on each input in live mode; without it the stored outputs are judged."""
    metrics: dict[str, MetricSpec] = Field(min_length=1)
    """Metric name -> thresholds. `latency_s` is read from samples; the rest are judged."""
    regression: RegressionPolicy = RegressionPolicy()
    """How changes against the base commit are tested, and what a regression does to the gate."""
    results: str | None = None
    """Directory for stage outputs, relative to params.yaml and inside the repository;
    default `data/results/<scenario>`."""

    def problems(self) -> Iterator[Located]:
        """Names, threshold ranges and the results path, each located at its own key."""
        for name, spec in self.metrics.items():
            if not PLAIN_NAME.match(name):
                yield ("metrics", name), f"metric name {name!r} may use only letters, digits, '_', '.', '-'"
                continue
            if name == LATENCY_METRIC:
                if spec.scorer is not None:
                    yield ("metrics", name, "scorer"), "read from each sample's latency_s, it takes no scorer"
                continue
            for key, bound in (("pass", spec.pass_), ("warn", spec.warn)):
                if bound is not None and not 0 <= bound <= 1:
                    yield ("metrics", name, key), f"scores lie in 0..1, so the bound {bound:g} cannot be met"
            yield from self._example_problems(name)
        if self.results is not None:
            path = PurePosixPath(self.results.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts or self.results[1:3] == ":/":
                yield ("results",), f"{self.results!r} must be a relative path inside the repository"

    def _example_problems(self, metric: str) -> Iterator[Located]:
        """Judge examples whose score is not a score of the judge's scale."""
        scorer = self.metrics[metric].scorer
        if not isinstance(scorer, JudgeScorer):
            return
        scale = self.judge_scale
        for index, example in enumerate(scorer.examples):
            if not scale.low <= example.score <= scale.high:
                yield (
                    ("metrics", metric, "scorer", "examples", index, "score"),
                    f"score {example.score} is not on the judge's {scale.name} scale "
                    f"({scale.low}..{scale.high})",
                )

    @property
    def judge_scale(self) -> Scale:
        """The scale the judge scores on (1-5 when the scenario has no judge)."""
        return SCALES[self.judge.scale] if self.judge else DEFAULT_SCALE

    def max_drop(self, metric: str) -> float:
        """The change that matters for `metric`: its own override or the scenario's."""
        own = self.metrics[metric].max_drop
        return self.regression.max_drop if own is None else own

    @property
    def quality_metrics(self) -> list[str]:
        """Scored metrics (all but `latency_s`), in params order."""
        return [name for name in self.metrics if name != LATENCY_METRIC]

    def scorer(self, metric: str) -> ScorerSpec:
        """A scored metric's scorer: its own, else the judge."""
        return self.metrics[metric].scorer or DEFAULT_SCORER

    @property
    def judge_metrics(self) -> list[str]:
        """Metrics scored by the judge (the LLM in live mode, ground truth in dry-run), in params order."""
        return [name for name in self.quality_metrics if self.scorer(name).type == "judge"]

    @property
    def pairwise_metrics(self) -> list[str]:
        """Metrics whose judge compares head with base outputs (`type: pairwise`), in params order."""
        return [name for name in self.quality_metrics if self.scorer(name).type == "pairwise"]


class GatePolicy(_Strict):
    """Rules that apply to every scenario's gate."""

    fail_on_warn: bool = False
    """Make an overall `warn` exit 1, like a failure; `--fail-on-warn/--no-fail-on-warn` overrides it."""
    max_unscored: float = Field(default=0.05, ge=0, le=1)
    """Largest share (0..1) of a scenario's (sample, metric) judgements left unscored, e.g. by
    unreadable judge replies, before the gate fails."""
    min_samples: int = Field(default=20, ge=1)
    """Fewest samples with a value a metric needs; with fewer, the gate fails."""
    on_skipped: OnOutcome = "warn"
    """Gate status contributed by a metric the run skipped (e.g. a judge metric when no LLM endpoint
    is configured); a skipped metric is always shown as such, never as a pass."""
    base: str | None = Field(default=None, min_length=1)
    """The default branch to compare with (e.g. `trunk`, `origin/develop`) when it cannot be found
    from CI, `origin/HEAD` or `init.defaultBranch`."""
    policy_from: Literal["head", "base"] = "head"
    """Whose thresholds and policy gate a change: the head's own params.yaml, or the base commit's
    (so a pull request cannot relax its own gate). `base` set on either side wins."""
    trend: int = Field(default=20, ge=0, le=TREND_MAX)
    """How many of the default branch's latest result commits the report charts beside the head's
    value (read from git history, no checkout); 0 leaves the trend out."""


def _approver(entry: str) -> str:
    if not APPROVER.fullmatch(entry):
        raise ValueError(f"{entry[:60]!r} is neither a GitHub login nor an org/team slug")
    return entry


def _role(name: str) -> str:
    if not ROLE.match(name):
        raise ValueError(f"role {name[:40]!r} must be one line of at most 60 characters")
    return name


Approver = Annotated[str, AfterValidator(_approver)]
Role = Annotated[str, AfterValidator(_role)]


class Governance(_Strict):
    """Who must approve a change, read from the pull request's reviews (the pilot's sign-off)."""

    approvers: dict[Role, list[Approver]] = Field(default_factory=dict)
    """Role -> who can fill it: GitHub logins or `org/team` slugs, e.g.
    `{"Tech Lead": [alice, acme/leads], Analyst: [bob]}`. A role is approved by the latest
    review of anyone listed; a team needs a token that may read its members."""
    required: bool = False
    """Every role must be approved: until then the gate's status is `pending`."""
    on_pending: Literal["fail", "warn"] = "fail"
    """What `pending` does to the check: `fail` (exit 1 until approved) or `warn` (passes unless
    fail_on_warn)."""

    def problems(self) -> Iterator[Located]:
        """A role nobody can fill, and `required` without roles."""
        for role, who in self.approvers.items():
            if not who:
                yield ("approvers", role), f"role {role!r} lists nobody who can fill it"
        if self.required and not self.approvers:
            yield ("required",), "approvals are required but no approvers are listed"


class Params(_Strict):
    """The whole params.yaml."""

    model_config = ConfigDict(json_schema_extra=_plain_names("scenarios"))

    scenarios: dict[str, Scenario] = Field(min_length=1)
    """Scenario name -> definition. A name (letters, digits, `_`, `.`, `-`) is what `--scenario`
    takes and names its DVC stages and results."""
    gate: GatePolicy = GatePolicy()
    """Gate policy shared by all scenarios."""
    llm: LLMSettings = LLMSettings()
    """Endpoint and call policy for live mode."""
    live: list[str] = Field(default_factory=list)
    """Scenarios whose live stage `dvc repro` runs (dvc.yaml's `bench-live` matrix)."""
    governance: Governance = Governance()
    """Approvals the pull request needs (roles, who can fill them, whether they are required)."""

    def problems(self) -> list[Located]:
        """Every cross-field problem, located at the key that causes it (empty when all is well)."""
        found: list[Located] = []
        for name, scenario in self.scenarios.items():
            if not PLAIN_NAME.match(name):
                found.append(
                    (
                        ("scenarios", name),
                        f"scenario name {name!r} may use only letters, digits, '_', '.', '-'",
                    )
                )
                continue
            found += [(("scenarios", name, *loc), message) for loc, message in scenario.problems()]
        for index, name in enumerate(self.live):
            if name not in self.scenarios:
                found.append((("live", index), f"no scenario {name!r}"))
            elif self.scenarios[name].judge is None and self.scenarios[name].judge_metrics:
                found.append((("live", index), f"scenario {name!r} has judge metrics but no `judge:`"))
            elif self.scenarios[name].judge is None and self.scenarios[name].pairwise_metrics:
                found.append((("live", index), f"scenario {name!r} has pairwise metrics but no `judge:`"))
        found += [(("governance", *loc), message) for loc, message in self.governance.problems()]
        if self.llm.max_concurrency < self.llm.concurrency:
            found.append((("llm", "max_concurrency"), "must be >= llm.concurrency"))
        return found
