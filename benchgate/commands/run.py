"""`benchgate run`: judge a scenario's samples and write scores.jsonl, metrics.json, run.json."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from benchgate.config import JudgeSpec, Price, Scenario
from benchgate.dataset import Sample, load_dataset
from benchgate.errors import InputError, Problem, UsageError
from benchgate.fingerprint import file_ref
from benchgate.ground_truth import judge_with_ground_truth
from benchgate.metrics import summarise
from benchgate.params_file import Project, load_project, problems_at
from benchgate.results import MetricSummary, Mode, Reliability, RunInfo, SampleScore, Shard
from benchgate.results_store import write_run
from benchgate.scorers.plan import RunPlan, plan_run
from benchgate.scorers.registry import Scorers
from benchgate.shards import belongs

if TYPE_CHECKING:
    from benchgate.base_outputs import BaseOutputs
    from benchgate.llm.endpoint import Endpoint
    from benchgate.llm.pairs import PairwiseWork

GROUND_TRUTH_JUDGE = "ground truth"
NO_ENDPOINT = "no LLM endpoint is configured (LLM_URL or llm.url)"
OFFLINE_ONLY = "the run was asked to make no LLM calls (--offline-only)"


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


@dataclass(frozen=True)
class LiveOptions:
    """Live-mode switches from the command line."""

    cache: Path | None = None
    """Response cache file; default `.benchgate/cache.sqlite` under the project."""
    use_cache: bool = True
    """False ignores and does not fill the cache."""


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
    dataset = load_dataset(
        project.path(spec.dataset),
        spec.quality_metrics,
        shown=spec.dataset,
        complete=mode == "dry-run" and not allow_missing,
        rated=spec.judge_metrics,
        checks=scorers.checks(),
    )
    samples = dataset.samples[:limit] if limit else dataset.samples
    if shard is not None:
        if limit:
            raise UsageError("--shard splits the whole dataset; it cannot be combined with --limit")
        samples = [sample for sample in samples if belongs(sample.id, shard)]
    plan = plan_run(spec, scorers, mode, no_llm=_no_llm(project, spec, mode, offline_only))
    plan, compared = _pairwise_base(project, name, spec, plan, base)
    reliability = Reliability()
    judged: list[SampleScore] | None = None
    judge = "none"
    if plan.from_ground_truth:
        judged = judge_with_ground_truth(samples, plan.from_ground_truth)
        judge = GROUND_TRUTH_JUDGE
    elif plan.calls_llm:
        judged, reliability = _live_scores(
            project,
            spec,
            samples,
            live or LiveOptions(),
            plan.by_llm_judge,
            pairwise=_pairwise_work(spec, plan, compared),
        )
        judge = spec.judge.model if spec.judge and (plan.by_llm_judge or plan.pairwise) else "none"
    scores = _with_offline_scores(spec, plan, samples, judged)
    summaries = summarise(scores, spec, name, plan.skipped)
    info = RunInfo(
        scenario=name,
        mode=mode,
        dataset=file_ref(project.root, spec.dataset),
        samples=len(samples),
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
    write_run(directory, scores, summaries, info)
    return RunOutcome(name, mode, directory, len(samples), summaries, reliability, plan.skipped)


def load_scorers(project: Project, name: str, spec: Scenario, mode: Mode) -> Scorers:
    """Every scored metric's scorer; a config problem is an `InputError` at its params.yaml line."""
    from benchgate.scorers.registry import build_scorers

    scorers = build_scorers(project.root, spec, mode)
    if scorers.problems:
        raise InputError(problems_at(project.params_path, scorers.locations(name)))
    return scorers


def _pairwise_base(
    project: Project, name: str, spec: Scenario, plan: RunPlan, rev: str | None
) -> tuple[RunPlan, BaseOutputs | None]:
    """The base outputs the pairwise metrics compare with; without any, those metrics are skipped."""
    if not plan.pairwise:
        return plan, None
    from benchgate import git
    from benchgate.base_outputs import base_outputs
    from benchgate.baseline import BaseHints

    inputs = [str(project.params_path), str(project.path(spec.dataset)), str(project.path(spec.prompt))]
    hints = BaseHints(
        ci_branch=os.environ.get("GITHUB_BASE_REF") or None,
        configured=project.params.gate.base,
        # Uncommitted inputs are what the gate will see as uncommitted results: the same base.
        dirty=git.toplevel(project.root) is not None and git.differs_from_head(inputs, project.root),
    )
    found = base_outputs(project, name, "live", rev, hints)
    if not found.outputs:
        why = f"no base outputs to compare with: {found.base.reason}"[:300]
        plan = replace(plan, pairwise=[], skipped=plan.skipped | dict.fromkeys(plan.pairwise, why))
    return plan, found


def _pairwise_work(spec: Scenario, plan: RunPlan, compared: BaseOutputs | None) -> PairwiseWork | None:
    if not plan.pairwise or compared is None:
        return None
    from benchgate.llm.pairs import PairwiseWork
    from benchgate.llm.pairwise import prompt_for
    from benchgate.scorers.registry import pairwise_samples
    from benchgate.scorers.specs import PairwiseScorer

    metrics = {}
    for metric in plan.pairwise:
        scorer = spec.scorer(metric)
        assert isinstance(scorer, PairwiseScorer)
        metrics[metric] = (prompt_for(spec.judge, scorer.rubric), pairwise_samples(spec, scorer))
    return PairwiseWork(metrics=metrics, base=compared.outputs)


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


def endpoint(own: str | None, project: Project, model: str | None = None) -> Endpoint | None:
    """A model's endpoint, validated: its own url, else LLM_URL, else llm.url in params.yaml."""
    from benchgate.llm.endpoint import parse_endpoint

    shown = project.params_path.name
    for value, source in (
        (own, f"{shown}: the url of model {model!r}"),
        (os.environ.get("LLM_URL"), "LLM_URL"),
        (project.params.llm.url, f"{shown}: llm.url"),
    ):
        if value:
            return parse_endpoint(value, source)
    return None


def _shown_endpoint(project: Project, spec: Scenario) -> str | None:
    found = endpoint(
        spec.judge.url if spec.judge else None, project, spec.judge.model if spec.judge else None
    )
    return found.shown if found else None


def _live_scores(
    project: Project,
    spec: Scenario,
    samples: list[Sample],
    options: LiveOptions,
    metrics: list[str],
    *,
    pairwise: PairwiseWork | None = None,
) -> tuple[list[SampleScore], Reliability]:
    import asyncio

    from benchgate.llm.cache import ResponseCache
    from benchgate.llm.client import ChatClient
    from benchgate.llm.limiter import AdaptiveLimiter
    from benchgate.llm.live import LivePlan, default_cache_path, run_live
    from benchgate.llm.pairs import planned_calls, score_pairs
    from benchgate.llm.progress import progress_for
    from benchgate.retry import RetryPolicy

    judged = [*metrics, *(pairwise.metrics if pairwise else ())]
    if spec.judge is None and judged:
        raise UsageError(
            f"{project.params_path}: metrics {', '.join(judged)} are judged but the scenario has no "
            "`judge:`; live mode needs one"
        )
    judge_at = endpoint(
        spec.judge.url if spec.judge else None, project, spec.judge.model if spec.judge else None
    )
    generator_at = endpoint(spec.generator.url, project, spec.generator.model) if spec.generator else None
    if (judged and judge_at is None) or (spec.generator is not None and generator_at is None):
        raise UsageError(
            "live mode needs an LLM endpoint: set LLM_URL or llm.url in params.yaml "
            "(or pass --offline-only to score only the metrics that need no LLM)"
        )
    if spec.generator is None:
        missing = [s.id for s in samples if s.output is None]
        if missing:
            problem = f"{len(missing)} samples have no `output` and the scenario has no generator"
            raise InputError([Problem(spec.dataset, None, "output", f"{problem} (first: {missing[0]!r})")])
    settings = project.params.llm
    plan = LivePlan(
        scenario=spec,
        judge=spec.judge or JudgeSpec(model="none"),
        judge_endpoint=judge_at,
        generator=spec.generator,
        generator_endpoint=generator_at,
        template=project.path(spec.prompt).read_text(encoding="utf-8"),
        prompt_path=spec.prompt,
        metrics=tuple(metrics),
    )
    cache = ResponseCache(options.cache or default_cache_path(project.root)) if options.use_cache else None
    limiter = AdaptiveLimiter(settings.concurrency, settings.max_concurrency)
    client = ChatClient(
        api_key=_api_key(),
        policy=RetryPolicy(max_attempts=settings.max_attempts, max_retry_s=settings.max_retry_s),
        limiter=limiter,
        timeout_s=settings.timeout_s,
        cache=cache,
    )
    for route in (judge_at, generator_at):
        if route is not None:
            client.check(route)  # a proxy this install cannot use fails before any work

    async def go() -> tuple[list[SampleScore], int]:
        try:
            retries = lambda: sum(client.stats.retries.values())  # noqa: E731
            total = plan.calls(len(samples)) + (planned_calls(pairwise, samples, spec) if pairwise else 0)
            with progress_for(total, retries, f"{spec.prompt_version} live") as progress:
                workers = settings.max_concurrency
                found, reasks = await run_live(plan, samples, client, progress, workers=workers)
                if pairwise is None or judge_at is None or spec.judge is None:
                    return found, reasks
                judge = (spec.judge, judge_at)
                found, more = await score_pairs(
                    pairwise, judge, samples, found, client, progress=progress, workers=workers
                )
                return found, reasks + more
        finally:
            await client.aclose()

    try:
        scores, reasks = asyncio.run(go())
    finally:
        if cache is not None:
            cache.close()
    stats = client.stats
    return scores, Reliability(
        requests=stats.requests,
        retries=dict(sorted(stats.retries.items())),
        cache_hits=stats.cache_hits,
        cache_misses=stats.cache_misses,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        reasks=reasks,
        cost_usd=_cost(stats.tokens_by_model, settings.prices),
    )


def _api_key() -> str | None:
    """LLM_API_KEY without surrounding whitespace (a trailing newline from a secrets file is common)."""
    key = os.environ.get("LLM_API_KEY", "").strip()
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        raise UsageError("LLM_API_KEY contains a control character or line break; check how it is set")
    return key or None


def _cost(tokens: dict[str, list[int]], prices: dict[str, Price]) -> float | None:
    total, priced = 0.0, False
    for model, (prompt, completion) in tokens.items():
        price = prices.get(model)
        if price is not None:
            priced = True
            total += (prompt * price.prompt_per_mtok + completion * price.completion_per_mtok) / 1e6
    return round(total, 4) if priced else None
