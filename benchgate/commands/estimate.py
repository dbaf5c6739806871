"""`benchgate run --estimate`: the calls a live run would send, their tokens and cost, before sending any.

Calls are built exactly as the run builds them, so a call the response cache would answer,
and a judgement reused from the base commit, cost nothing and are counted apart. Prompt
tokens are counted on the request bodies (`llm.tokens`: tiktoken where it can, else a
labelled estimate). Completion tokens are not known before the answer: the base run's
average per call when the base was judged by the same model without a generator, else
`max_tokens` (an upper bound), and the estimate says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchgate.commands.live_calls import LiveOptions, LiveSetup, cap, prepare_live
from benchgate.commands.pairwise_base import pairwise_base
from benchgate.commands.run import load_scorers, select_samples
from benchgate.dataset import Sample
from benchgate.params_file import load_project
from benchgate.results import Shard


@dataclass
class ModelEstimate:
    """One model's share of the calls."""

    model: str
    calls: int = 0
    """Calls that would be sent (not cached, not reused)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    """None: no price configured for the model."""
    counted_by: str = ""
    """How prompt tokens were counted (tiktoken's encoding, or the labelled estimate)."""
    completion_from: str = ""
    """Where the completion tokens per call come from."""


@dataclass
class Estimate:
    """What a live run would cost."""

    scenario: str
    samples: int
    planned: int = 0
    """Every call the run makes when nothing is cached or reused."""
    cached: int = 0
    """Calls the response cache would answer."""
    reused: int = 0
    """Judgements copied from the base commit's results."""
    models: dict[str, ModelEstimate] = field(default_factory=dict)
    cap_usd: float | None = None

    @property
    def cost_usd(self) -> float | None:
        """The total, when every model that would be called has a price."""
        costs = [m.cost_usd for m in self.models.values() if m.calls]
        return None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 4)


def estimate_run(
    params: Path,
    scenario: str | None,
    *,
    limit: int | None = None,
    shard: Shard | None = None,
    live: LiveOptions | None = None,
    base: str | None = None,
) -> Estimate:
    """Build every call of a live run and count what would be sent; nothing goes over the network."""
    from benchgate.scorers.plan import plan_run

    options = live or LiveOptions()
    project = load_project(params)
    name, spec = project.scenario(scenario)
    scorers = load_scorers(project, name, spec, "live")
    samples = select_samples(project, spec, scorers, "live", limit=limit, shard=shard)
    plan = plan_run(spec, scorers, "live", no_llm=None)
    plan, compared = pairwise_base(project, name, spec, plan, base)
    estimate = Estimate(name, len(samples), cap_usd=cap(project, options))
    if not plan.calls_llm:
        return estimate
    setup = prepare_live(
        project, name, spec, samples, plan=plan, scorers=scorers, options=options, compared=compared
    )
    cache = _open_cache(project.root, options)
    try:
        _count(estimate, setup, samples, cache)
    finally:
        if cache is not None:
            cache.close()
    prices = project.params.llm.prices
    from benchgate.llm.budget import cost_usd

    for entry in estimate.models.values():
        price = prices.get(entry.model)
        if price is not None:
            entry.cost_usd = round(cost_usd(price, entry.prompt_tokens, entry.completion_tokens), 4)
    return estimate


def _open_cache(root: Path, options: LiveOptions) -> Any:
    """The response cache when it exists (an estimate never creates one)."""
    from benchgate.llm.cache import ResponseCache
    from benchgate.llm.live import default_cache_path

    path = options.cache or default_cache_path(root)
    return ResponseCache(path) if options.use_cache and path.is_file() else None


def _count(estimate: Estimate, setup: LiveSetup, samples: list[Sample], cache: Any) -> None:
    from benchgate.llm.cache import cache_key, canonical
    from benchgate.llm.judge import MODES, judge_payload
    from benchgate.llm.live import generator_payload
    from benchgate.llm.prompt import render_input
    from benchgate.llm.reuse import fingerprint
    from benchgate.llm.tokens import counter_for

    plan = setup.plan
    generator, judge, at = plan.generator, plan.judge, plan.judge_endpoint
    mode = MODES[0]
    if cache is not None and at is not None:
        mode = cache.format_mode(f"{at.identity}|{judge.model}") or mode
    average, source = judge.max_tokens, _upper(judge.max_tokens)
    calls = setup.base_calls
    if generator is None and calls is not None and calls.cache_misses and calls.completion_tokens:
        average = round(calls.completion_tokens / calls.cache_misses)
        source = f"the base run's average, {average} a call"

    def add(model: str, payload: dict[str, Any], where: str, extra: dict[str, Any], completion: int) -> None:
        estimate.planned += 1
        if cache is not None:
            stored = cache.get(cache_key(canonical(payload), where, extra))
            if stored is not None and not stored.unreadable:
                estimate.cached += 1
                return
        counter = counter_for(model)
        entry = estimate.models.setdefault(model, ModelEstimate(model, counted_by=counter.method))
        entry.calls += 1
        entry.prompt_tokens += counter.prompt_tokens(payload["messages"])
        entry.completion_tokens += completion
        if not entry.completion_from:
            entry.completion_from = source if model == judge.model else _upper(completion)

    for sample in samples:
        output = sample.output or ""
        if generator is not None and plan.generator_endpoint is not None:
            body = generator_payload(plan, generator, sample)
            add(generator.model, body, plan.generator_endpoint.identity, {}, generator.max_tokens)
        if at is None or not (output.strip() or generator):
            continue
        source_text = render_input(sample.input)
        for metric in plan.judged:
            question = plan.question(metric, source_text, output, sample.reference)
            if metric in plan.settings and fingerprint(plan.settings[metric], question) in plan.reuse:
                estimate.planned += judge.samples
                estimate.reused += judge.samples
                continue
            for repeat in range(judge.samples):
                payload = judge_payload(judge, question, mode, repeat)
                add(judge.model, payload, at.identity, {"repeat": repeat}, average)
    if setup.pairwise is not None and at is not None:
        _count_pairs(setup, samples, cache, add, average)


def _count_pairs(setup: LiveSetup, samples: list[Sample], cache: Any, add: Any, average: int) -> None:
    """Both orders of every changed pair, `samples` times each; identical outputs cost nothing.

    With a generator the head outputs are not known yet: every pair counts as changed, sized
    by its base output.
    """
    from benchgate.llm.judge import MODES
    from benchgate.llm.pairwise import Pair, PairJudge, identical_or_pairs, pair_extra, pair_payload
    from benchgate.llm.prompt import render_input

    plan, work = setup.plan, setup.pairwise
    assert work is not None and plan.judge_endpoint is not None
    at, judge = plan.judge_endpoint, plan.judge
    mode = MODES[0]
    if cache is not None:
        mode = cache.format_mode(f"{at.identity}|{judge.model}|pairwise") or mode
    pairs = []
    for sample in samples:
        base = work.base.get(sample.id)
        head = base if plan.generator is not None else sample.output
        if base is not None and head and head.strip():
            pairs.append(Pair(sample.id, render_input(sample.input), head, base))
    changed = pairs if plan.generator is not None else identical_or_pairs(pairs)[1]
    for prompt, k in work.metrics.values():
        asked = PairJudge(judge, at, prompt, k)
        for pair in changed:
            for head_first in (True, False):
                for repeat in range(k):
                    payload = pair_payload(asked, pair, mode, head_first=head_first, repeat=repeat)
                    add(judge.model, payload, at.identity, pair_extra(repeat), average)


def _upper(max_tokens: int) -> str:
    return f"max_tokens {max_tokens}, an upper bound"
