"""`benchgate run`: judge a scenario's samples and write scores.jsonl, metrics.json, run.json."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchgate.config import Price, Scenario
from benchgate.dataset import Sample, load_dataset
from benchgate.errors import InputError, Problem, UsageError
from benchgate.fingerprint import file_ref
from benchgate.ground_truth import judge_with_ground_truth
from benchgate.metrics import summarise
from benchgate.params_file import Project, load_project
from benchgate.results import MetricSummary, Mode, Reliability, RunInfo, SampleScore
from benchgate.results_store import write_run

if TYPE_CHECKING:
    from benchgate.llm.endpoint import Endpoint

GROUND_TRUTH_JUDGE = "ground truth"


@dataclass(frozen=True)
class RunOutcome:
    """Where the results went and what they say."""

    scenario: str
    mode: Mode
    directory: Path
    samples: int
    summaries: dict[str, MetricSummary]
    reliability: Reliability


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
) -> RunOutcome:
    """Judge every sample (or the first `limit`) and write the run's three files."""
    project = load_project(params)
    name, spec = project.scenario(scenario)
    dataset = load_dataset(project.path(spec.dataset), spec.quality_metrics, shown=spec.dataset)
    samples = dataset.samples[:limit] if limit else dataset.samples
    reliability = Reliability()
    if mode == "dry-run":
        scores = judge_with_ground_truth(samples, spec.quality_metrics)
        judge = GROUND_TRUTH_JUDGE
    else:
        scores, reliability = _live_scores(project, spec, samples, live or LiveOptions())
        judge = spec.judge.model if spec.judge else ""
    summaries = summarise(scores, spec, name)
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
        endpoint=_shown_endpoint(project, spec) if mode == "live" else None,
        reliability=reliability,
    )
    directory = out or project.root / project.results_dir(name, mode)
    write_run(directory, scores, summaries, info)
    return RunOutcome(name, mode, directory, len(samples), summaries, reliability)


def endpoint(own: str | None, project: Project, model: str) -> Endpoint | None:
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
    found = endpoint(spec.judge.url, project, spec.judge.model) if spec.judge else None
    return found.shown if found else None


def _live_scores(
    project: Project, spec: Scenario, samples: list[Sample], options: LiveOptions
) -> tuple[list[SampleScore], Reliability]:
    import asyncio

    from benchgate.llm.cache import ResponseCache
    from benchgate.llm.client import ChatClient
    from benchgate.llm.limiter import AdaptiveLimiter
    from benchgate.llm.live import LivePlan, default_cache_path, run_live
    from benchgate.llm.progress import progress_for
    from benchgate.retry import RetryPolicy

    if spec.judge is None:
        raise UsageError(f"{project.params_path}: this scenario has no `judge:`; live mode needs one")
    judge_at = endpoint(spec.judge.url, project, spec.judge.model)
    generator_at = endpoint(spec.generator.url, project, spec.generator.model) if spec.generator else None
    if judge_at is None or (spec.generator is not None and generator_at is None):
        raise UsageError("live mode needs an LLM endpoint: set LLM_URL or llm.url in params.yaml")
    if spec.generator is None:
        missing = [s.id for s in samples if s.output is None]
        if missing:
            problem = f"{len(missing)} samples have no `output` and the scenario has no generator"
            raise InputError([Problem(spec.dataset, None, "output", f"{problem} (first: {missing[0]!r})")])
    settings = project.params.llm
    plan = LivePlan(
        scenario=spec,
        judge=spec.judge,
        judge_endpoint=judge_at,
        generator=spec.generator,
        generator_endpoint=generator_at,
        template=project.path(spec.prompt).read_text(encoding="utf-8"),
        prompt_path=spec.prompt,
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
            with progress_for(plan.calls(len(samples)), retries, f"{spec.prompt_version} live") as progress:
                return await run_live(plan, samples, client, progress, workers=settings.max_concurrency)
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
