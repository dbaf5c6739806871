"""A live run: generate (when the scenario has a generator), then judge every metric of every sample."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from benchgate.config import GeneratorSpec, JudgeSpec, Scenario
from benchgate.dataset import Sample
from benchgate.llm.budget import BudgetExceeded
from benchgate.llm.client import ChatClient
from benchgate.llm.criterion import criterion_for
from benchgate.llm.endpoint import Endpoint
from benchgate.llm.judge import FormatNegotiator, Judgement, Question, judge_once, judge_question
from benchgate.llm.pool import drain
from benchgate.llm.progress import Progress
from benchgate.llm.prompt import render_input, render_prompt
from benchgate.llm.reuse import Reused, fingerprint
from benchgate.results import SampleScore

NO_OUTPUT = "no output to judge"
REASON_LIMIT = 300


@dataclass(frozen=True)
class LivePlan:
    """What to call, where."""

    scenario: Scenario
    judge: JudgeSpec
    judge_endpoint: Endpoint | None
    """None when no metric is judged."""
    generator: GeneratorSpec | None
    generator_endpoint: Endpoint | None
    template: str
    prompt_path: str
    metrics: tuple[str, ...] | None = None
    """Metrics to judge; default: every metric whose scorer is the judge."""
    settings: Mapping[str, bytes] = field(default_factory=dict)
    """Metric -> `reuse.settings_digest`: judgements then carry fingerprints (none without)."""
    reuse: Mapping[str, Reused] = field(default_factory=dict)
    """Fingerprint -> the base commit's judgement, copied instead of asked."""

    @property
    def judged(self) -> list[str]:
        """The metrics the LLM judge scores, in params order."""
        return list(self.scenario.judge_metrics if self.metrics is None else self.metrics)

    def question(self, metric: str, source: str, output: str, reference: str | None) -> Question:
        """What the judge is asked about one sample's output for `metric`."""
        criterion = criterion_for(self.scenario.judge, metric, self.scenario.metrics[metric])
        return judge_question(criterion, source, output, reference)

    def calls(self, samples: int) -> int:
        """Calls a run of `samples` makes when every reply is readable."""
        per_sample = len(self.judged) * self.judge.samples + (1 if self.generator else 0)
        return samples * per_sample


@dataclass
class _Run:
    plan: LivePlan
    client: ChatClient
    progress: Progress
    negotiator: FormatNegotiator
    reasks: int = 0
    results: dict[str, SampleScore] = field(default_factory=dict)
    reused: Counter[str] = field(default_factory=Counter)
    stopped: bool = False
    """The cost cap refused a call: the samples not finished stay out of `results`."""


@dataclass(frozen=True)
class LiveResult:
    """What a live run produced."""

    scores: dict[str, SampleScore]
    """Sample id -> scores, for every sample finished (all of them unless the cap stopped the run)."""
    reasks: int
    reused: Counter[str]
    """Metric -> judgements copied from the base."""
    stopped: bool
    """The cost cap stopped the run before every sample was finished."""


async def run_live(
    plan: LivePlan, samples: list[Sample], client: ChatClient, progress: Progress, *, workers: int
) -> LiveResult:
    """Every sample's scores, unless the cost cap stops the run first.

    A fatal error stops every worker; calls that finished stay in the cache for the next run.
    When the cap refuses a call, each worker finishes what it has in flight and stops.
    """
    run = _Run(plan, client, progress, FormatNegotiator(client.cache))

    async def score(sample: Sample) -> bool:
        try:
            run.results[sample.id] = await _score_sample(run, sample)
        except BudgetExceeded:
            run.stopped = True
        return not run.stopped

    await drain(samples, score, workers=workers)
    return LiveResult(run.results, run.reasks, run.reused, run.stopped)


async def _score_sample(run: _Run, sample: Sample) -> SampleScore:
    plan = run.plan
    output, latency, generated = sample.output, sample.latency_s, None
    if plan.generator is not None and plan.generator_endpoint is not None:
        generated, latency = await _generate(run, plan.generator, plan.generator_endpoint, sample)
        output = generated
    metrics = plan.judged
    if not output or not output.strip():
        run.progress.advance(len(metrics) * plan.judge.samples)
        unscored = dict.fromkeys(metrics, NO_OUTPUT)
        return SampleScore(id=sample.id, unscored=unscored, latency_s=latency, output=generated)
    source = render_input(sample.input)
    asks, asked, copied, fingerprints = [], [], {}, {}
    k = plan.judge.samples
    for metric in metrics:
        question = plan.question(metric, source, output, sample.reference)
        if metric in plan.settings:
            fingerprints[metric] = fingerprint(plan.settings[metric], question)
            if fingerprints[metric] in plan.reuse:
                copied[metric] = plan.reuse[fingerprints[metric]]
                run.progress.advance(k)
                continue
        asked.append(metric)
        asks += [_judge(run, question, repeat) for repeat in range(k)]
    judgements = await _all_of(asks)
    scores, unscored, replies, reasons, kept = {}, {}, {}, {}, {}
    for metric, judgement in copied.items():
        run.reused[metric] += 1
        scores[metric] = judgement.score
        if judgement.judgements is not None:
            kept[metric] = judgement.judgements
        if judgement.reason:
            reasons[metric] = judgement.reason
    for index, metric in enumerate(asked):
        mine = judgements[index * k : (index + 1) * k]
        run.reasks += sum(j.reasks for j in mine)
        readable = [j.score for j in mine if j.score is not None]
        if readable:
            scores[metric] = round(sum(readable) / len(readable), 6)
            if k > 1:  # every judgement, for the judge-noise figures and the two-stage CI
                kept[metric] = [round(score, 6) for score in readable]
            why = next((j.reason for j in mine if j.score is not None and j.reason), None)
            if why:
                reasons[metric] = why if len(why) <= REASON_LIMIT else why[: REASON_LIMIT - 1] + "…"
        else:
            unscored[metric] = mine[0].reason or "unscored"
            replies[metric] = mine[0].raw or ""
    return SampleScore(
        id=sample.id,
        scores=_in_order(scores, metrics),
        unscored=unscored,
        latency_s=latency,
        replies=replies,
        reasons=_in_order(reasons, metrics),
        output=generated,
        judgements=_in_order(kept, metrics),
        fingerprints=fingerprints,
    )


_V = TypeVar("_V")


def _in_order(values: dict[str, _V], metrics: list[str]) -> dict[str, _V]:
    """Copied and asked judgements in params order, as a run without reuse writes them."""
    return {metric: values[metric] for metric in metrics if metric in values}


async def _all_of(asks: list[Coroutine[Any, Any, Judgement]]) -> list[Judgement]:
    """Every judgement, each call let finish (and be cached) before the first failure is raised.

    Without this, a refusal by the cost cap would leave the sample's other calls running unawaited.
    """
    done = await asyncio.gather(*asks, return_exceptions=True)
    for result in done:
        if isinstance(result, BaseException):
            raise result
    return [result for result in done if not isinstance(result, BaseException)]


async def _generate(run: _Run, spec: GeneratorSpec, endpoint: Endpoint, sample: Sample) -> tuple[str, float]:
    reply = await run.client.complete(endpoint, generator_payload(run.plan, spec, sample))
    run.progress.advance()
    return reply.content, reply.latency_s


def generator_payload(plan: LivePlan, spec: GeneratorSpec, sample: Sample) -> dict[str, Any]:
    """The request body that generates one sample's output."""
    prompt = render_prompt(plan.template, sample.input, shown=plan.prompt_path, sample_id=sample.id)
    payload: dict[str, Any] = {
        "model": spec.model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": spec.temperature,
        "max_tokens": spec.max_tokens,
    }
    if spec.seed is not None:
        payload["seed"] = spec.seed
    return payload


async def _judge(run: _Run, question: Question, repeat: int) -> Judgement:
    plan = run.plan
    if plan.judge_endpoint is None:
        raise AssertionError("run_scenario gives a judged scenario its endpoint")
    judgement = await judge_once(
        run.client, run.negotiator, plan.judge, plan.judge_endpoint, question, repeat=repeat
    )
    run.progress.advance()
    return judgement


def default_cache_path(root: Path) -> Path:
    """Where responses are cached unless told otherwise."""
    return root / ".benchgate" / "cache.sqlite"
