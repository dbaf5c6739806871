"""gate.json: the complete outcome of a gate, enough to render the report on its own. Pure."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from benchgate.config import (
    GITHUB_LOGIN,
    GITHUB_TEAM,
    PLAIN_NAME,
    TREND_MAX,
    AgreementStatistic,
    Governance,
    OnOutcome,
    Role,
)
from benchgate.results import FileRef, Mode, Reliability

Status = Literal["pass", "warn", "fail"]
GateStatus = Literal["pass", "warn", "pending", "fail"]
"""The overall status: the worst part's, or `pending` while a required approval is missing
(worse than warn, better than fail; `governance.on_pending` says whether it fails the check)."""
Verdict = Literal["improved", "unchanged", "regressed", "inconclusive", "no-baseline", "skipped"]
NoBaseline = Literal[
    "no-results", "no-pairs", "not-at-base", "scorer-changed", "skipped-at-base", "other-base"
]
"""Why a metric has nothing to compare with: the base commit has no results, no sample id is
in both, the base results lack the metric (new or renamed), its scorer changed since the base,
the base run skipped it, or (pairwise) the run judged against another commit than the gate's base."""
ReasonKind = Literal[
    "threshold",
    "regression",
    "inconclusive",
    "no-baseline",
    "min-samples",
    "unscored",
    "skipped",
    "approval",
    "uncalibrated",
    "budget-truncated",
]
Calibration = Literal["calibrated", "uncalibrated"]
"""Whether a live judge metric meets `judge.min_agreement` on the labelled samples."""
ObservationKind = Literal[
    "regressed",
    "improved",
    "inconclusive",
    "between-bounds",
    "modes-disagree",
    "low-agreement",
    "trend",
    "sample-churn",
    "policy-changed",
    "retries",
    "unscored",
    "cache",
]
"""What an observation is about; `observations.observe` writes one kind at a time, in this order."""
ApprovalState = Literal["approved", "changes-requested", "pending", "unverified"]
"""A role's state: approved by someone who can fill it, changes requested by one, no such review
yet, or a review that may count but cannot be verified (team membership unreadable)."""
BaseChoice = Literal["explicit", "ci", "merge-base", "parent", "head", "guessed", "none"]
"""How the base commit was chosen: `--base`, the CI event, the merge-base with the default
branch, the previous commit on it, HEAD itself (uncommitted results), a guess (no default
branch found: the previous commit), or not at all."""
SCHEMA_VERSION = 2
SHA = r"^[0-9a-f]{40,64}$"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
_SEGMENT = r"[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*"  # a name, never `.` or `..`
RUN_URL = rf"^https://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?/{_SEGMENT}/{_SEGMENT}/actions/runs/[0-9]{{1,20}}$"
"""$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID, and nothing else."""
STAGE = r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"


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
    chosen_by: BaseChoice = "none"
    """How the base was chosen; `guessed` is shown in the report with how to choose it."""
    default_branch: str | None = None
    """The default branch the base was derived from, when one was found."""


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


class ScorerChange(_Out):
    """Which scorer produced a metric's values at each commit, when they differ."""

    base: str = Field(max_length=200)
    """The base commit's scorer: type, version and configuration digest."""
    head: str = Field(max_length=200)
    """Head's scorer, likewise."""


class JudgeNoise(_Out):
    """The judge's repeatability on a metric judged k > 1 times per sample (`judge.samples`).

    Variance components of the one-way random-effects model (moment estimator; see
    benchgate/judge_noise.py), on the 0..1 scale.
    """

    k: int = Field(ge=2)
    """Judgements asked per sample."""
    items: int
    """Samples with at least one readable judgement."""
    repeated: int
    """Samples with two or more (the ones that show noise)."""
    within_var: float | None
    """Within-sample (judge) variance of one judgement."""
    between_var: float | None
    """Between-sample variance."""
    judge_share: float | None = Field(ge=0, le=1)
    """within / (within + between): the judge's share of one judgement's variance."""
    ci_share: float | None = Field(ge=0, le=1)
    """The judge's share of the metric value's sampling variance (what more judgements could remove)."""
    flips: int
    """Repeated samples whose judgements fall on both sides of the pass bound."""
    ci_method: str = Field(max_length=100)
    """How the metric's `ci` was computed."""

    @property
    def flip_rate(self) -> float | None:
        """flips / repeated."""
        return self.flips / self.repeated if self.repeated else None


class MetricResult(_Out):
    """One metric: value, thresholds, and change against the base.

    `threshold_status`, `verdict` and `status` are derived from the other fields by
    `gate.decide`; they are recomputed, never trusted, when a gate.json is read back.
    """

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
    threshold_status: Status = "pass"
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
    settle_n: int | None = Field(default=None, ge=0)
    """Inconclusive only: about how many paired samples would make the verdict decisive."""
    no_baseline: NoBaseline | None = None
    """Why there is nothing to compare with, when there is not."""
    scorer_change: ScorerChange | None = None
    """`scorer-changed` only: the scorer at the base and at head."""
    skipped: str | None = Field(default=None, max_length=300)
    """Why the run has no values for this metric (verdict `skipped`, status from `gate.on_skipped`)."""
    verdict: Verdict = "no-baseline"
    """Change against the base."""
    status: Status = "pass"
    """Worst of the threshold status and the regression policy."""
    latency: Latency | None = None
    """Latency metric only: its distribution."""
    llm_judged: bool = False
    """Scored by the LLM judge in this run (a live run's judge metric): `judge.min_agreement` applies."""
    judge_noise: JudgeNoise | None = None
    """Judged k > 1 times per sample: the judge's noise."""
    calibration: Calibration | None = None
    """`llm_judged` with `judge.min_agreement` set: whether the judge meets it (derived)."""
    wins: int | None = None
    """Pairwise only: pairs whose head output the judge preferred in both orders."""
    ties: int | None = None
    """Pairwise only: pairs called a tie (byte-identical outputs included, inconsistent ones not)."""
    losses: int | None = None
    """Pairwise only: pairs whose base output the judge preferred in both orders."""
    inconsistent: int | None = None
    """Pairwise only: pairs whose verdict flipped with the order (counted as ties)."""
    identical: int | None = None
    """Pairwise only: pairs with byte-identical outputs (ties, never sent to the judge)."""
    judged: int | None = None
    """Pairwise only: pairs the judge compared (not identical) with a verdict in both orders."""
    position_bias: float | None = None
    """Pairwise only: share (0..1) of judged pairs whose verdict followed the position."""
    position_bias_ci: tuple[float, float] | None = None
    """95% interval of `position_bias` (seeded bootstrap over the judged pairs)."""
    position_first: int | None = None
    """Pairwise only: inconsistent pairs in which the judge chose the first slot both times."""
    pairwise_base: str | None = None
    """Pairwise only: the commit whose outputs the run compared with."""


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


class LostPair(_Out):
    """A pairwise metric's sample whose base output the judge preferred in both orders."""

    id: str
    """Sample id."""
    metric: str
    """Pairwise metric."""
    base_votes: int
    """Votes (over both orders and every repeat) for the base's output."""
    votes: int
    """Readable votes in all."""
    head_excerpt: str | None = None
    """Start of the head output (untrusted text)."""
    base_excerpt: str | None = None
    """Start of the base output (untrusted text)."""


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

    stage: str | None = Field(default=None, pattern=STAGE)
    """The dvc.yaml stage that produced the results, when there is one."""
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
    """How the LLM judge's scores relate to ground truth on the same samples (benchgate/agreement.py).

    Intervals are 95% percentile bootstraps over samples (`resamples` of them); an interval is
    None when the statistic is undefined (a constant side) or too few samples allow one.
    """

    n: int
    """Samples with both."""
    spearman: float | None
    """Rank correlation (None when a side is constant)."""
    mean_abs_diff: float
    """Mean |judge - truth| on the 0..1 scale."""
    spearman_ci: tuple[float, float] | None = None
    """Interval of `spearman`."""
    kendall: float | None = None
    """Kendall's tau-b."""
    kendall_ci: tuple[float, float] | None = None
    """Interval of `kendall`."""
    kappa: float | None = None
    """Quadratic-weighted kappa on the judge's scale (ground truth binned to its nearest point)."""
    kappa_ci: tuple[float, float] | None = None
    """Interval of `kappa`."""
    bias: float | None = None
    """Mean judge - truth on 0..1 (positive: the judge is more lenient)."""
    bias_ci: tuple[float, float] | None = None
    """Interval of `bias`."""
    points: int | None = None
    """Points on the judge's scale that `kappa` uses (5 for 1-5)."""
    resamples: int = 0
    """Bootstrap resamples behind the intervals."""
    truth: Literal["dry-run", "dataset"] | None = None
    """Where the ground truth came from: the dry-run results or the dataset's `ground_truth`."""

    def interval(self, statistic: AgreementStatistic) -> tuple[float, float] | None:
        """The interval of a statistic `judge.min_agreement` may name."""
        return {"spearman": self.spearman_ci, "kendall": self.kendall_ci, "kappa": self.kappa_ci}[statistic]

    def value(self, statistic: AgreementStatistic) -> float | None:
        """The estimate of a statistic `judge.min_agreement` may name."""
        return {"spearman": self.spearman, "kendall": self.kendall, "kappa": self.kappa}[statistic]


class Reason(_Out):
    """One cause of a non-pass status."""

    kind: ReasonKind
    """What rule it comes from."""
    metric: str | None = None
    """The metric it concerns; None for the gate as a whole."""
    status: GateStatus
    """What it contributes to the overall status."""
    message: str
    """In plain words, numbers included."""


class Observation(_Out):
    """A finding worth a reviewer's attention, with what to do about it (the pilot's section 4).

    Derived by `gate.decide` from the other fields, so `publish` regenerates rather than trusts them.
    """

    kind: ObservationKind
    """What it is about."""
    metric: str | None = None
    """The metric it concerns; None for the run as a whole."""
    message: str
    """What was seen, numbers included."""
    follow_up: str | None = None
    """What to do next, when there is something to do."""


class TrendPoint(_Out):
    """A metric's value as committed at one commit of the default branch."""

    sha: str = Field(pattern=SHA)
    """The commit that changed the results."""
    value: float = Field(allow_inf_nan=False)
    """The metric's value in that commit's metrics.json."""


class Trend(_Out):
    """Each metric's value over the default branch's latest commits that changed these results.

    Points are oldest first; the head's own value (`metrics[m].value`) is the chart's last point.
    """

    rev: str | None = None
    """The branch or commit whose history was read (e.g. `origin/main`)."""
    limit: int = Field(ge=1, le=TREND_MAX)
    """Result commits asked for (`gate.trend`)."""
    points: dict[str, Annotated[list[TrendPoint], Field(max_length=TREND_MAX)]] = Field(default_factory=dict)
    """Metric -> values at those commits, oldest first."""
    unavailable: str | None = None
    """Why there is no trend (e.g. a shallow clone that may not fetch), when there is none."""
    truncated: bool = False
    """History ended (a shallow clone) before `limit` result commits were found."""


class RoleApproval(_Out):
    """One role of `governance.approvers` and the reviews that fill it."""

    role: Role
    """Role name as params.yaml gives it."""
    state: ApprovalState
    """Approved, changes requested, pending or unverified."""
    reviewer: str | None = Field(default=None, pattern=GITHUB_LOGIN)
    """Who approved (or requested changes, or whose review cannot be verified)."""
    submitted_at: str | None = Field(default=None, pattern=TIMESTAMP)
    """When that review was submitted."""
    commit: str | None = Field(default=None, pattern=SHA)
    """The commit that review was given on."""
    unverified_teams: list[Annotated[str, Field(pattern=GITHUB_TEAM)]] = Field(default_factory=list)
    """Listed teams whose members the token may not read (`org/team`)."""


class Approvals(_Out):
    """The pull request's reviews resolved into roles: the governance log of this run."""

    pr: int = Field(ge=1)
    """Pull request number."""
    roles: list[RoleApproval] = Field(default_factory=list)
    """Per role, in params order."""
    unavailable: str | None = None
    """Why the reviews could not be read (no token, no permission), when they could not."""


class Policy(_Out):
    """The gate policy in effect, as `gate.decide` applies it."""

    source: Literal["head", "base"] = "head"
    """Whose params.yaml it comes from (`gate.policy_from`)."""
    alpha: float = Field(gt=0, lt=0.5)
    """Significance level of the base comparison; delta CIs are at 1 - alpha."""
    fail_on_warn: bool
    """An overall warn fails the check."""
    on_regression: OnOutcome
    """Contribution of a `regressed` metric."""
    on_inconclusive: OnOutcome
    """Contribution of an `inconclusive` metric."""
    on_missing_baseline: OnOutcome
    """Contribution of a `no-baseline` metric."""
    on_skipped: OnOutcome = "warn"
    """Contribution of a `skipped` metric."""
    min_samples: int = Field(ge=1)
    """A metric with fewer values (but some) fails."""
    max_unscored: float = Field(ge=0, le=1)
    """Largest share of unscored judgements."""
    min_agreement: dict[AgreementStatistic, float] = Field(default_factory=dict)
    """`judge.min_agreement`: least lower bound of each agreement interval a live judge needs."""
    on_uncalibrated: OnOutcome = "warn"
    """Contribution of an `uncalibrated` metric."""
    max_position_bias: float | None = None
    """`judge.max_position_bias`: most position bias a pairwise metric's interval may reach."""
    governance: Governance = Governance()
    """Roles that approve a change; with `required`, a missing approval makes the status `pending`."""


class PolicyChange(_Out):
    """A threshold or policy key whose value differs from the base commit's params.yaml."""

    key: str = Field(max_length=200)
    """Dotted key, e.g. `metrics.coverage.pass` or `gate.fail_on_warn`."""
    base: float | str | bool | None
    """Value at the base commit (None: absent)."""
    head: float | str | bool | None
    """Value at head (None: absent)."""
    effect: Literal["looser", "stricter", "changed"]
    """Whether the change makes the gate easier or harder to pass."""


class GateResult(_Out):
    """The whole gate.json."""

    schema_version: int = SCHEMA_VERSION
    """Bumped on incompatible changes."""
    status: GateStatus = "pass"
    """Overall: worst of every part (derived by `gate.decide`)."""
    failed: bool = False
    """Whether the gate fails the check: `fail`, `warn` with fail_on_warn, or `pending` with
    `governance.on_pending: fail` (derived)."""
    policy: Policy
    """Gate policy in effect."""
    policy_changes: list[PolicyChange] = Field(default_factory=list)
    """Thresholds and policy that differ from the base commit's."""
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
    base_only_metrics: list[str] = Field(default_factory=list)
    """Metrics scored at the base commit that head no longer has (removed or renamed)."""
    worst: list[SampleChange] = Field(default_factory=list)
    """Most regressed paired samples, worst first."""
    lost_pairs: list[LostPair] = Field(default_factory=list)
    """Pairwise metrics: the samples the head lost most clearly, with both outputs' starts."""
    reliability: ReliabilityResult
    """Judge coverage and calls."""
    reasons: list[Reason] = Field(default_factory=list)
    """Every cause of a non-pass status (derived by `gate.decide`)."""
    reproduce: list[str] = Field(default_factory=list)
    """Shell commands that reproduce this outcome (rebuilt by `publish`)."""
    companion: CompanionRun | None = None
    """The other mode's results at head, when present (not gated)."""
    agreement: dict[str, Agreement] = Field(default_factory=dict)
    """LLM judge vs ground truth per metric, when both modes ran."""
    trend: Trend | None = None
    """Values at the default branch's latest result commits; None when `gate.trend` is 0."""
    approvals: Approvals | None = None
    """The pull request's reviews by role; None outside a pull request or without approvers."""
    observations: list[Observation] = Field(default_factory=list)
    """Findings and follow-ups (derived by `gate.decide`)."""
    run_url: str | None = Field(default=None, pattern=RUN_URL)
    """The CI workflow run that gated this, whose artifacts hold report.html (set by `benchgate ci`)."""

    @model_validator(mode="after")
    def _names_are_plain(self) -> GateResult:
        # gate.json may come from an untrusted run (fork PRs): names reach Markdown and the marker.
        names = [
            self.scenario,
            *self.metrics,
            *self.base_only_metrics,
            *self.agreement,
            *(reason.metric for reason in self.reasons if reason.metric is not None),
            *(self.companion.metrics if self.companion else []),
            *(metric for change in self.worst for metric in change.deltas),
            *(item.metric for item in self.reliability.unscored_items),
            *(self.trend.points if self.trend else []),
            *(o.metric for o in self.observations if o.metric is not None),
        ]
        for name in names:
            if not PLAIN_NAME.match(name):
                raise ValueError(f"name {name[:40]!r} may use only letters, digits, '_', '.', '-'")
        return self
