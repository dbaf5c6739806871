"""A live run: generate (when the scenario has a generator), then judge every metric of every sample."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchgate.config import GeneratorSpec, JudgeSpec, Scenario
from benchgate.dataset import Sample
from benchgate.llm.client import ChatClient
from benchgate.llm.criterion import criterion_for
from benchgate.llm.endpoint import Endpoint
from benchgate.llm.judge import FormatNegotiator, Judgement, Question, judge_once, judge_question
from benchgate.llm.progress import Progress
from benchgate.llm.prompt import render_input, render_prompt
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

    @property
    def judged(self) -> list[str]:
        """The metrics the LLM judge scores, in params order."""
        return list(self.scenario.judge_metrics if self.metrics is None else self.metrics)

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


async def run_live(
    plan: LivePlan, samples: list[Sample], client: ChatClient, progress: Progress, *, workers: int
) -> tuple[list[SampleScore], int]:
    """(scores in dataset order, judge re-asks).

    A fatal error stops every worker; calls that finished stay in the cache for the next run.
    """
    run = _Run(plan, client, progress, FormatNegotiator(client.cache))
    queue: asyncio.Queue[Sample] = asyncio.Queue()
    for sample in samples:
        queue.put_nowait(sample)

    async def worker() -> None:
        while not queue.empty():
            sample = queue.get_nowait()
            run.results[sample.id] = await _score_sample(run, sample)

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(workers, len(samples))))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [run.results[s.id] for s in samples], run.reasks


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
    asks = []
    for metric in metrics:
        criterion = criterion_for(plan.scenario.judge, metric, plan.scenario.metrics[metric])
        question = judge_question(criterion, source, output, sample.reference)
        asks += [_judge(run, question, repeat) for repeat in range(plan.judge.samples)]
    judgements = await asyncio.gather(*asks)
    scores, unscored, replies, reasons, kept = {}, {}, {}, {}, {}
    k = plan.judge.samples
    for index, metric in enumerate(metrics):
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
        scores=scores,
        unscored=unscored,
        latency_s=latency,
        replies=replies,
        reasons=reasons,
        output=generated,
        judgements=kept,
    )


async def _generate(run: _Run, spec: GeneratorSpec, endpoint: Endpoint, sample: Sample) -> tuple[str, float]:
    prompt = render_prompt(run.plan.template, sample.input, shown=run.plan.prompt_path, sample_id=sample.id)
    payload: dict[str, Any] = {
        "model": spec.model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": spec.temperature,
        "max_tokens": spec.max_tokens,
    }
    if spec.seed is not None:
        payload["seed"] = spec.seed
    reply = await run.client.complete(endpoint, payload)
    run.progress.advance()
    return reply.content, reply.latency_s


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
