"""`benchgate run`: judge a scenario's samples and write scores.jsonl, metrics.json, run.json."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from benchgate.config import Price, Scenario
from benchgate.dataset import Sample, load_dataset
from benchgate.errors import InputError, Problem, UsageError
from benchgate.fingerprint import file_ref
from benchgate.ground_truth import judge_with_ground_truth
from benchgate.metrics import summarise
from benchgate.params_file import Project, load_project
from benchgate.results import MetricSummary, Mode, Reliability, RunInfo, SampleScore
from benchgate.results_store import write_run

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
    allow_missing: bool = False,
) -> RunOutcome:
    """Judge every sample (or the first `limit`) and write the run's three files.

    A dry-run needs every sample's stored output and ground truth; `allow_missing` leaves
    what is missing unscored instead (counted, never 0).
    """
    project = load_project(params)
    name, spec = project.scenario(scenario)
    complete = mode == "dry-run" and not allow_missing
    dataset = load_dataset(
        project.path(spec.dataset), spec.quality_metrics, shown=spec.dataset, complete=complete
    )
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


def endpoint(own: str | None, project: Project) -> str | None:
    """A model's endpoint: its own url, else LLM_URL, else llm.url in params.yaml."""
    return own or os.environ.get("LLM_URL") or project.params.llm.url


def _shown_endpoint(project: Project, spec: Scenario) -> str | None:
    from benchgate.llm.client import shown_url

    url = endpoint(spec.judge.url if spec.judge else None, project)
    return shown_url(url) if url else None


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
    judge_url = endpoint(spec.judge.url, project)
    generator_url = endpoint(spec.generator.url, project) if spec.generator else None
    if judge_url is None or (spec.generator is not None and generator_url is None):
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
        judge_url=judge_url,
        generator=spec.generator,
        generator_url=generator_url,
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
