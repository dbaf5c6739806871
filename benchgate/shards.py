"""Shards: which samples a CI matrix job judges, and putting the jobs' results back together. Pure.

A sample's shard is a hash of its id, so it does not depend on the dataset's order or on
the other samples: base and head, and every re-run, shard alike. Merging checks that the
shards are complete, disjoint and from the same inputs, then rebuilds exactly what one
unsharded run would have written.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchgate.config import Price
from benchgate.llm.budget import priced_total
from benchgate.results import ModelTokens, Reliability, RunFiles, RunInfo, SampleScore, Shard

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 256


class ShardError(ValueError):
    """Shards that cannot be merged into one run, and why."""


def parse(spec: str) -> Shard:
    """`i/N` (1 <= i <= N) -> Shard; anything else is a ValueError saying what is expected."""
    found = _SPEC.match(spec)
    if found is None:
        raise ValueError(f"{spec!r} is not of the form i/N, e.g. 2/4")
    index, count = int(found.group(1)), int(found.group(2))
    if not 1 <= count <= MAX_SHARDS or not 1 <= index <= count:
        raise ValueError(f"{spec!r}: need 1 <= i <= N <= {MAX_SHARDS}")
    return Shard(index=index, count=count)


def shard_of(sample_id: str, count: int) -> int:
    """The 1-based shard of a sample id among `count` (stable across commits and machines)."""
    digest = hashlib.blake2b(sample_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def belongs(sample_id: str, shard: Shard) -> bool:
    """Whether the sample is judged by this shard."""
    return shard_of(sample_id, shard.count) == shard.index


@dataclass(frozen=True)
class Merged:
    """One run's scores (in dataset order) and run.json, rebuilt from its shards."""

    scores: list[SampleScore]
    info: RunInfo


def merge(
    shards: Sequence[tuple[str, RunFiles]], dataset_ids: Sequence[str], prices: Mapping[str, Price]
) -> Merged:
    """Check and combine shard runs (each with a label for messages, e.g. its directory).

    `prices` (llm.prices) price the shards' summed tokens, as the unsharded run prices its own.
    """
    if not shards:
        raise ShardError("no shard directories given")
    _check_set(shards)
    first = shards[0][1].info
    for label, files in shards[1:]:
        _check_same_inputs(first, label, files.info)
    for label, files in shards:
        spent = files.info.reliability
        if priced_total(spent.tokens_by_model, prices) != spent.cost_usd:
            raise ShardError(
                f"{label}: its cost (${spent.cost_usd}) is not what today's llm.prices make of its "
                "tokens per model; rerun it with this params.yaml"
            )
    by_id: dict[str, SampleScore] = {}
    for label, files in shards:
        shard = files.info.shard
        assert shard is not None
        for score in files.scores:
            if score.id in by_id:
                raise ShardError(f"{label}: sample {score.id!r} is also in another shard (overlap)")
            if not belongs(score.id, shard):
                home = f"{shard_of(score.id, shard.count)}/{shard.count}"
                raise ShardError(f"{label}: sample {score.id!r} belongs to shard {home} (overlapping shards)")
            by_id[score.id] = score
    missing = [i for i in dataset_ids if i not in by_id]
    if missing or len(by_id) != len(dataset_ids):
        extra = sorted(set(by_id) - set(dataset_ids))
        what = f"{len(missing)} dataset samples are in no shard (first: {missing[0]!r})" if missing else ""
        what = what or f"{len(extra)} scored samples are not in the dataset (first: {extra[0]!r})"
        raise ShardError(what)
    calls = [files.info.reliability for _, files in shards]
    info = first.model_copy(
        update={
            "samples": len(dataset_ids),
            "shard": None,
            "reliability": _summed(calls, prices, list(first.scorers)),
        }
    )
    return Merged([by_id[i] for i in dataset_ids], info)


def _check_set(shards: Sequence[tuple[str, RunFiles]]) -> None:
    counts = set()
    seen: Counter[int] = Counter()
    for label, files in shards:
        shard = files.info.shard
        if shard is None:
            raise ShardError(
                f"{label}: not a shard run (run.json has no `shard`; use `benchgate run --shard i/N`)"
            )
        if files.info.reliability.truncated is not None:
            raise ShardError(f"{label}: stopped at its cost cap (budget-truncated); rerun it before merging")
        counts.add(shard.count)
        seen[shard.index] += 1
    if len(counts) > 1:
        raise ShardError(f"shards of different splits: {' and '.join(f'N={n}' for n in sorted(counts))}")
    count = counts.pop()
    twice = sorted(index for index, times in seen.items() if times > 1)
    if twice:
        raise ShardError(f"shard {twice[0]}/{count} is given more than once (overlap)")
    absent = [index for index in range(1, count + 1) if index not in seen]
    if absent:
        raise ShardError(
            f"missing shard{'s' * (len(absent) > 1)} {', '.join(f'{i}/{count}' for i in absent)}"
        )


def _check_same_inputs(first: RunInfo, label: str, info: RunInfo) -> None:
    for what, mine, theirs in (
        ("scenario", first.scenario, info.scenario),
        ("mode", first.mode, info.mode),
        ("dataset", first.dataset.sha256, info.dataset.sha256),
        ("prompt", first.prompt.sha256, info.prompt.sha256),
        ("scorers", _scorers(first), _scorers(info)),
        ("judge", first.judge, info.judge),
        ("model", first.model, info.model),
        ("skipped metrics", sorted(first.skipped), sorted(info.skipped)),
        ("pairwise base", _compared_with(first), _compared_with(info)),
    ):
        if mine != theirs:
            raise ShardError(
                f"{label}: another {what} than the first shard's (mixed inputs cannot be merged)"
            )


def _compared_with(info: RunInfo) -> str | None:
    return info.pairwise_base.sha if info.pairwise_base else None


def _scorers(info: RunInfo) -> list[tuple[str, str]]:
    return sorted((metric, scorer.model_dump_json()) for metric, scorer in info.scorers.items())


def _summed(calls: list[Reliability], prices: Mapping[str, Price], metrics: list[str]) -> Reliability:
    """The shards' counters added up, keyed in the order one run writes: models by name, metrics
    in params order (run.json's `scorers`), whichever shard met them first."""
    retries: Counter[str] = Counter()
    reused: Counter[str] = Counter()
    prompt: Counter[str] = Counter()
    completion: Counter[str] = Counter()
    for reliability in calls:
        retries.update(reliability.retries)
        reused.update(reliability.reused)
        for model, used in reliability.tokens_by_model.items():
            prompt[model] += used.prompt_tokens
            completion[model] += used.completion_tokens
    tokens = {
        model: ModelTokens(prompt_tokens=prompt[model], completion_tokens=completion[model])
        for model in sorted(prompt)
    }
    return Reliability(
        requests=sum(c.requests for c in calls),
        retries=dict(sorted(retries.items())),
        cache_hits=sum(c.cache_hits for c in calls),
        cache_misses=sum(c.cache_misses for c in calls),
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
        reasks=sum(c.reasks for c in calls),
        tokens_by_model=tokens,
        cost_usd=priced_total(tokens, prices),
        reused={m: reused[m] for m in [*metrics, *sorted(set(reused) - set(metrics))] if reused[m]},
    )
