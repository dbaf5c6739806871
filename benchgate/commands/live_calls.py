"""A live run's calls: endpoints, the base judgements reused, the cost cap, and the client that sends them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from benchgate.config import JudgeSpec, Scenario
from benchgate.dataset import Sample
from benchgate.errors import BenchgateError, GitError, InputError, Problem, UsageError
from benchgate.params_file import Project
from benchgate.results import ModelTokens, Reliability, SampleScore, Shard, Truncation

if TYPE_CHECKING:
    from benchgate.base_outputs import BaseOutputs
    from benchgate.llm.budget import Budget
    from benchgate.llm.endpoint import Endpoint
    from benchgate.llm.live import LivePlan
    from benchgate.llm.pairs import PairwiseWork
    from benchgate.scorers.plan import RunPlan
    from benchgate.scorers.registry import Scorers

BUDGET_REASON = "not judged: the run stopped at its cost cap"


@dataclass(frozen=True)
class LiveOptions:
    """Live-mode switches from the command line."""

    cache: Path | None = None
    """Response cache file; default `.benchgate/cache.sqlite` under the project."""
    use_cache: bool = True
    """False ignores and does not fill the cache."""
    max_cost_usd: float | None = None
    """`--max-cost`: a hard cap on what the run's calls may cost; default `llm.max_cost_usd`."""
    reuse: bool = True
    """Copy the base commit's judgements whose inputs are byte-identical instead of asking again."""
    reuse_from: str | None = None
    """The commit to reuse from; default: the base `benchgate gate` would choose."""


@dataclass(frozen=True)
class LiveSetup:
    """Everything a live run (or its estimate) needs before the first call."""

    plan: LivePlan
    base: Sequence[SampleScore] = field(default_factory=list)
    """The base commit's live scores judgements are reused from (empty: none)."""
    base_calls: Reliability | None = None
    """The base run's call statistics (its average completion feeds the estimate)."""
    pairwise: PairwiseWork | None = None
    """The pairwise metrics' prompts and base outputs (None: the run has none to judge)."""


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


def prepare_live(
    project: Project,
    name: str,
    spec: Scenario,
    samples: list[Sample],
    *,
    plan: RunPlan,
    scorers: Scorers,
    options: LiveOptions,
    compared: BaseOutputs | None,
) -> LiveSetup:
    """Check the endpoints and inputs of what the run plan judges (LLM-judged and pairwise metrics),
    and find the base judgements that can be reused."""
    from benchgate.commands.pairwise_base import pairwise_work
    from benchgate.llm.live import LivePlan
    from benchgate.llm.reuse import reusable, settings_digest

    metrics, infos = plan.by_llm_judge, scorers.infos()
    pairwise = pairwise_work(spec, plan, compared)

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
    judge = spec.judge or JudgeSpec(model="none")
    settings = {}
    if judge_at is not None and spec.judge is not None:
        settings = {m: settings_digest(judge_at.identity, judge, m, infos.get(m)) for m in metrics}
    base, base_calls = _base_run(project, name, options) if settings else ([], None)
    live_plan = LivePlan(
        scenario=spec,
        judge=judge,
        judge_endpoint=judge_at,
        generator=spec.generator,
        generator_endpoint=generator_at,
        template=project.path(spec.prompt).read_text(encoding="utf-8"),
        prompt_path=spec.prompt,
        metrics=tuple(metrics),
        settings=settings,
        reuse=reusable(base, metrics) if options.reuse else {},
    )
    return LiveSetup(live_plan, base, base_calls, pairwise)


def _base_run(
    project: Project, name: str, options: LiveOptions
) -> tuple[Sequence[SampleScore], Reliability | None]:
    """The base commit's committed live results; nothing when there are none (or no git).

    An explicit `--reuse-from` that cannot be read is an error; the default base is only a
    saving, so when it cannot be found the run simply asks everything.
    """
    from benchgate.baseline import BaseHints, find_baseline

    # `dirty`: this run is about to replace the results, so on the default branch the base is
    # HEAD itself, whose committed results are the newest.
    hints = BaseHints(
        ci_branch=os.environ.get("GITHUB_BASE_REF") or None, configured=project.params.gate.base, dirty=True
    )
    try:
        found = find_baseline(
            project.root,
            project.results_dir(name, "live"),
            options.reuse_from,
            params=project.params_path,
            hints=hints,
        )
    except BenchgateError as exc:
        if options.reuse_from is None:
            return [], None
        if isinstance(exc, (UsageError, GitError)):  # find_baseline words these for the gate's option
            raise type(exc)(str(exc).replace("--base", "--reuse-from")) from None
        raise
    if found.files is None or found.files.info.mode != "live":
        return [], None
    return found.files.scores, found.files.info.reliability


def live_scores(
    project: Project, spec: Scenario, samples: list[Sample], options: LiveOptions, setup: LiveSetup
) -> tuple[list[SampleScore], Reliability]:
    """Send the run's calls; samples the cost cap left unjudged are unscored, and the run says so."""
    import asyncio

    from benchgate.llm.budget import BudgetExceeded, priced_total
    from benchgate.llm.cache import ResponseCache
    from benchgate.llm.client import ChatClient
    from benchgate.llm.limiter import AdaptiveLimiter
    from benchgate.llm.live import LiveResult, default_cache_path, run_live
    from benchgate.llm.pairs import planned_calls, score_pairs
    from benchgate.llm.progress import progress_for
    from benchgate.llm.reuse import counts
    from benchgate.retry import RetryPolicy

    plan, settings = setup.plan, project.params.llm
    budget = _budget(project, spec, options)
    cache = ResponseCache(options.cache or default_cache_path(project.root)) if options.use_cache else None
    client = ChatClient(
        api_key=_api_key(),
        policy=RetryPolicy(max_attempts=settings.max_attempts, max_retry_s=settings.max_retry_s),
        limiter=AdaptiveLimiter(settings.concurrency, settings.max_concurrency),
        timeout_s=settings.timeout_s,
        cache=cache,
        budget=budget,
    )
    for route in (plan.judge_endpoint, plan.generator_endpoint):
        if route is not None:
            client.check(route)  # a proxy this install cannot use fails before any work

    work = setup.pairwise
    pair_calls = planned_calls(work, samples, spec) if work is not None else 0

    async def go() -> tuple[LiveResult, list[SampleScore]]:
        try:
            retries = lambda: sum(client.stats.retries.values())  # noqa: E731
            total = plan.calls(len(samples)) + pair_calls
            with progress_for(total, retries, f"{spec.prompt_version} live") as progress:
                workers = settings.max_concurrency
                found = await run_live(plan, samples, client, progress, workers=workers)
                scores = [found.scores.get(s.id) or _unjudged(s, plan.judged) for s in samples]
                if work is None or found.stopped or plan.judge_endpoint is None or spec.judge is None:
                    return found, _unjudged_pairs(scores, work)
                judge = (spec.judge, plan.judge_endpoint)
                try:
                    scores, more = await score_pairs(
                        work, judge, samples, scores, client, progress=progress, workers=workers
                    )
                except BudgetExceeded:
                    return replace(found, stopped=True), _unjudged_pairs(scores, work)
                return replace(found, reasks=found.reasks + more), scores
        finally:
            await client.aclose()

    try:
        result, scores = asyncio.run(go())
    finally:
        if cache is not None:
            cache.close()
    stats = client.stats
    used = sorted(stats.tokens_by_model.items())
    tokens = {m: ModelTokens(prompt_tokens=p, completion_tokens=c) for m, (p, c) in used}
    truncated = None
    if result.stopped and budget is not None:
        reused = sum(result.reused.values()) * plan.judge.samples
        truncated = Truncation(
            cap_usd=budget.cap_usd,
            spent_usd=round(budget.spent_usd, 6),
            calls_done=stats.cache_hits + stats.cache_misses,
            calls_planned=plan.calls(len(samples)) + pair_calls - reused,
        )
    return scores, Reliability(
        requests=stats.requests,
        retries=dict(sorted(stats.retries.items())),
        cache_hits=stats.cache_hits,
        cache_misses=stats.cache_misses,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        reasks=result.reasks,
        tokens_by_model=tokens,
        cost_usd=priced_total(tokens, settings.prices),
        reused=counts(result.reused, plan.judged),
        truncated=truncated,
    )


def _unjudged(sample: Sample, metrics: list[str]) -> SampleScore:
    return SampleScore.trusted(
        sample.id, scores={}, unscored=dict.fromkeys(metrics, BUDGET_REASON), latency_s=sample.latency_s
    )


def _unjudged_pairs(scores: list[SampleScore], work: PairwiseWork | None) -> list[SampleScore]:
    """The scores with each pairwise metric unscored: the cost cap stopped the run before them."""
    if work is None:
        return scores
    missing = dict.fromkeys(work.metrics, BUDGET_REASON)
    return [score.model_copy(update={"unscored": score.unscored | missing}) for score in scores]


def models(spec: Scenario, plan_metrics: list[str]) -> list[str]:
    """The models a live run calls: the generator's, then the judge's."""
    called = [spec.generator.model] if spec.generator else []
    if spec.judge is not None and plan_metrics and spec.judge.model not in called:
        called.append(spec.judge.model)
    return called


def cap(project: Project, options: LiveOptions) -> float | None:
    """The cost cap in force: `--max-cost`, else `llm.max_cost_usd`."""
    return options.max_cost_usd if options.max_cost_usd is not None else project.params.llm.max_cost_usd


def per_shard(project: Project, options: LiveOptions, shard: Shard | None) -> LiveOptions:
    """A shard's options: its share of the cost cap, so N shards together stay within it."""
    limit = cap(project, options)
    if shard is None or limit is None:
        return options
    return replace(options, max_cost_usd=limit / shard.count)


def _budget(project: Project, spec: Scenario, options: LiveOptions) -> Budget | None:
    from benchgate.llm.budget import Budget
    from benchgate.llm.tokens import counter_for

    limit = cap(project, options)
    if limit is None:
        return None
    prices = project.params.llm.prices
    judged = [*spec.judge_metrics, *spec.pairwise_metrics]
    unpriced = [m for m in models(spec, judged) if m not in prices]
    if unpriced:
        raise UsageError(
            f"{project.params_path}: a cost cap needs a price for every model called; "
            f"llm.prices has none for {', '.join(repr(m) for m in unpriced)}"
        )
    return Budget(limit, prices, lambda model, messages: counter_for(model).prompt_tokens(messages))


def _api_key() -> str | None:
    """LLM_API_KEY without surrounding whitespace (a trailing newline from a secrets file is common)."""
    key = os.environ.get("LLM_API_KEY", "").strip()
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        raise UsageError("LLM_API_KEY contains a control character or line break; check how it is set")
    return key or None
