"""`benchgate run`: judge a scenario's samples and write scores.jsonl, metrics.json, run.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from benchgate.collection import paused
from benchgate.commands.live_calls import LiveOptions, endpoint, live_scores, per_shard, prepare_live
from benchgate.commands.pairwise_base import pairwise_base
from benchgate.config import Scenario
from benchgate.dataset import Sample, scan_dataset
from benchgate.errors import InfraError, InputError, Problem, UsageError
from benchgate.fingerprint import file_ref
from benchgate.ground_truth import judge_sample, judge_with_ground_truth
from benchgate.metrics import summarise
from benchgate.params_file import Project, load_project, problems_at
from benchgate.results import (
    FieldSets,
    MetricSummary,
    Mode,
    Reliability,
    RunInfo,
    SampleScore,
    Shard,
    Truncation,
)
from benchgate.results_store import write_run
from benchgate.scorers.plan import RunPlan, plan_run
from benchgate.scorers.registry import Scorers
from benchgate.shards import belongs

GROUND_TRUTH_JUDGE = "ground truth"
NO_ENDPOINT = "no LLM endpoint is configured (LLM_URL or llm.url)"
OFFLINE_ONLY = "the run was asked to make no LLM calls (--offline-only)"
Kept = TypeVar("Kept")


@dataclass(frozen=True)
class RunOutcome:
    """Where the results went and what they say."""

    scenario: str
    mode: Mode
    directory: Path
    samples: int
    summaries: dict[str, MetricSummary]
    reliability: Reliability
    skipped: dict[str, str] = field(default_factory=dict)


__all__ = ["LiveOptions", "endpoint", "run_scenario"]


class BudgetStop(InfraError):
    """The cost cap stopped a live run; what finished is cached and written, marked truncated."""

    def __init__(self, truncated: Truncation, directory: Path) -> None:
        self.truncated = truncated
        super().__init__(
            f"stopped before passing the cost cap of ${truncated.cap_usd:g}: {truncated.calls_done:,} of "
            f"{truncated.calls_planned:,} calls made, ${truncated.spent_usd:.4f} spent; the partial results "
            f"in {directory} are marked budget-truncated and never pass a gate. Every finished call is "
            "cached: rerun with a higher --max-cost (or none) to resume"
        )


def run_scenario(
    params: Path,
    scenario: str | None,
    mode: Mode,
    *,
    out: Path | None = None,
    limit: int | None = None,
    live: LiveOptions | None = None,
    allow_missing: bool = False,
    offline_only: bool = False,
    shard: Shard | None = None,
    base: str | None = None,
) -> RunOutcome:
    """Score every sample (or the first `limit`) and write the run's three files.

    A dry-run needs every sample's stored output and the ground truth of its judge metrics;
    `allow_missing` leaves what is missing unscored instead (counted, never 0).
    `offline_only` makes no LLM calls: metrics whose scorer needs one are skipped and say so.
    With `shard`, only the samples of that shard are scored, into `<results>/shards/<i>-of-<N>/`.
    Pairwise metrics compare with the outputs of `base` (default: the commit the gate compares with).
    """
    project = load_project(params)
    name, spec = project.scenario(scenario)
    scorers = load_scorers(project, name, spec, mode)
    plan = plan_run(spec, scorers, mode, no_llm=_no_llm(project, spec, mode, offline_only))
    judged: list[SampleScore] | None = None
    samples: list[Sample] = []
    if plan.from_ground_truth and not plan.in_process and not plan.calls_llm:
        # Only the ratings are read: each sample is judged as its line is read and not kept,
        # so a dry-run of 1M samples never holds the dataset (docs/benchmarks.md).
        rated = plan.from_ground_truth
        with paused():
            judged = chosen_samples(
                project,
                spec,
                scorers,
                mode,
                lambda sample: judge_sample(sample, rated),
                limit=limit,
                shard=shard,
                allow_missing=allow_missing,
            )
    else:
        samples = select_samples(
            project, spec, scorers, mode, limit=limit, shard=shard, allow_missing=allow_missing
        )
    plan, compared = pairwise_base(project, name, spec, plan, base)
    reliability = Reliability()
    judge = "none"
    if judged is not None:
        judge = GROUND_TRUTH_JUDGE
    elif plan.from_ground_truth:
        judged = judge_with_ground_truth(samples, plan.from_ground_truth)
        judge = GROUND_TRUTH_JUDGE
    elif plan.calls_llm:
        options = per_shard(project, live or LiveOptions(), shard)
        setup = prepare_live(
            project, name, spec, samples, plan=plan, scorers=scorers, options=options, compared=compared
        )
        judged, reliability = live_scores(project, spec, samples, options, setup)
        judge = spec.judge.model if spec.judge and (plan.by_llm_judge or plan.pairwise) else "none"
    scores = _with_offline_scores(spec, plan, samples, judged)
    with paused():  # no call is in flight any more: a batch step (benchgate/collection.py)
        summaries = summarise(scores, spec, name, plan.skipped)
    info = RunInfo(
        scenario=name,
        mode=mode,
        dataset=file_ref(project.root, spec.dataset),
        samples=len(scores),
        limit=limit,
        prompt=file_ref(project.root, spec.prompt),
        prompt_version=spec.prompt_version,
        model=spec.generator.model if spec.generator and mode == "live" else spec.model,
        judge=judge,
        endpoint=_shown_endpoint(project, spec) if plan.calls_llm else None,
        reliability=reliability,
        scorers=scorers.infos(),
        skipped=plan.skipped,
        pairwise_base=compared.base if compared else None,
        shard=shard,
    )
    directory = out or project.root / project.results_dir(name, mode)
    if out is None and shard is not None:
        directory = directory / "shards" / f"{shard.index}-of-{shard.count}"
    with paused():
        write_run(directory, scores, summaries, info)
    if reliability.truncated is not None:
        raise BudgetStop(reliability.truncated, directory)
    return RunOutcome(name, mode, directory, len(scores), summaries, reliability, plan.skipped)


def select_samples(
    project: Project,
    spec: Scenario,
    scorers: Scorers,
    mode: Mode,
    *,
    limit: int | None,
    shard: Shard | None,
    allow_missing: bool = False,
) -> list[Sample]:
    """The dataset's samples a run scores: the first `limit`, or those of one shard."""
    return chosen_samples(
        project, spec, scorers, mode, FieldSets().share, limit=limit, shard=shard, allow_missing=allow_missing
    )


def chosen_samples(
    project: Project,
    spec: Scenario,
    scorers: Scorers,
    mode: Mode,
    keep: Callable[[Sample], Kept],
    *,
    limit: int | None,
    shard: Shard | None,
    allow_missing: bool = False,
) -> list[Kept]:
    """`keep` of each sample `select_samples` gives, made as its line is read; the sample is not held."""
    problems: list[Problem] = []
    samples = scan_dataset(
        project.path(spec.dataset),
        spec.quality_metrics,
        problems,
        shown=spec.dataset,
        complete=mode == "dry-run" and not allow_missing,
        rated=spec.judge_metrics,
        checks=scorers.checks(),
    )
    kept: list[Kept] = []
    for sample in samples:
        if (shard is None or belongs(sample.id, shard)) and (not limit or len(kept) < limit):
            kept.append(keep(sample))
    if problems:
        raise InputError(problems)
    if shard is not None and limit:
        raise UsageError("--shard splits the whole dataset; it cannot be combined with --limit")
    return kept


def load_scorers(project: Project, name: str, spec: Scenario, mode: Mode) -> Scorers:
    """Every scored metric's scorer; a config problem is an `InputError` at its params.yaml line."""
    from benchgate.scorers.registry import build_scorers

    scorers = build_scorers(project.root, spec, mode)
    if scorers.problems:
        raise InputError(problems_at(project.params_path, scorers.locations(name)))
    return scorers


def _no_llm(project: Project, spec: Scenario, mode: Mode, offline_only: bool) -> str | None:
    """Why this run may not call an LLM, or None when it may (or need not)."""
    if mode != "live":
        return None
    if offline_only:
        return OFFLINE_ONLY if _has_endpoint(project, spec) else NO_ENDPOINT
    return None


def _has_endpoint(project: Project, spec: Scenario) -> bool:
    judge_url = endpoint(spec.judge.url if spec.judge else None, project)
    generator_url = endpoint(spec.generator.url, project) if spec.generator else judge_url
    return judge_url is not None and generator_url is not None


def needs_offline_only(project: Project, name: str) -> bool:
    """Whether a live run of the scenario lacks an endpoint it would need (fork PRs have no secrets)."""
    spec = project.params.scenarios[name]
    wants = spec.generator is not None or bool(spec.judge_metrics) or bool(spec.pairwise_metrics)
    return wants and not _has_endpoint(project, spec)


def _with_offline_scores(
    spec: Scenario, plan: RunPlan, samples: list[Sample], judged: list[SampleScore] | None
) -> list[SampleScore]:
    """The judged scores with the in-process scorers' values added (on the output that was judged)."""
    if judged is None:
        judged = [SampleScore.trusted(s.id, scores={}, unscored={}, latency_s=s.latency_s) for s in samples]
    if not plan.in_process:
        return judged
    from benchgate.scorers.engine import score_offline

    outputs = [j.output if j.output is not None else s.output for j, s in zip(judged, samples, strict=True)]
    offline = score_offline(plan.in_process, samples, outputs)
    order = spec.quality_metrics
    combined = []
    for first, more in zip(judged, offline, strict=True):
        scores, unscored = first.scores | more.scores, first.unscored | more.unscored
        # Copied without re-validation: every value was checked when it was produced.
        update = {
            "scores": {m: scores[m] for m in order if m in scores},
            "unscored": {m: unscored[m] for m in order if m in unscored},
            "notes": more.notes,
        }
        combined.append(first.model_copy(update=update))
    return combined


def _shown_endpoint(project: Project, spec: Scenario) -> str | None:
    found = endpoint(
        spec.judge.url if spec.judge else None, project, spec.judge.model if spec.judge else None
    )
    return found.shown if found else None
