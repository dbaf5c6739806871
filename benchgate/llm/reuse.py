"""Judgements a run need not ask again: the base commit's, where every input is byte-identical. Pure.

A judgement's fingerprint is a sha256 over everything its answer depends on: the judge
endpoint's identity, the judge's settings (model, temperature, max_tokens, seed, samples and
any prompt settings; not the gate-only keys), the scorer's identity and version, the metric,
and the exact messages asked (system prompt, fenced sample text, criterion). Equal
fingerprints mean the base asked exactly the same question of the same judge, so its answer
is the one the response cache would replay: copying it changes no byte of the results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from benchgate.config import JudgeSpec
from benchgate.llm.cache import canonical
from benchgate.llm.judge import Question
from benchgate.results import SampleScore, ScorerInfo

FINGERPRINT_VERSION = 1
"""Bumped whenever what a fingerprint covers changes, so old fingerprints never match new ones."""
GATE_ONLY = frozenset({"url", "min_agreement", "on_uncalibrated"})
"""JudgeSpec keys that change what the gate does with answers, not the answers (`url` is covered
by the endpoint's identity, which leaves out credentials and query)."""


@dataclass(frozen=True)
class Reused:
    """One metric's judgement of one sample, as the base commit recorded it."""

    score: float
    reason: str | None
    judgements: list[float] | None
    """Every judgement when the judge answered more than once."""


def settings_digest(endpoint: str, spec: JudgeSpec, metric: str, scorer: ScorerInfo | None) -> bytes:
    """The part of a fingerprint shared by every sample of a metric."""
    judge = spec.model_dump(mode="json", exclude=set(GATE_ONLY))
    identity = None if scorer is None else [scorer.type, scorer.version, scorer.config_sha256]
    material = {"v": FINGERPRINT_VERSION, "endpoint": endpoint, "judge": judge, "metric": metric}
    return hashlib.sha256(canonical({**material, "scorer": identity})).digest()


def fingerprint(settings: bytes, question: Question) -> str:
    """The fingerprint of one judgement: its metric's settings and the exact messages (JSON style)."""
    digest = hashlib.sha256(settings)
    digest.update(canonical({"messages": question.messages("json")}))
    return digest.hexdigest()


def reusable(scores: Iterable[SampleScore], metrics: Iterable[str]) -> dict[str, Reused]:
    """Fingerprint -> the base's judgement, for every scored judgement that carries one.

    Unscored judgements are left out: the cache asks an unreadable reply once more, and so
    must a run that would otherwise have copied it.
    """
    wanted = set(metrics)
    found: dict[str, Reused] = {}
    for record in scores:
        for metric, key in record.fingerprints.items():
            if metric in wanted and metric in record.scores:
                kept = record.judgements.get(metric)
                found[key] = Reused(record.scores[metric], record.reasons.get(metric), kept)
    return found


def counts(reused: Mapping[str, int], order: Iterable[str]) -> dict[str, int]:
    """Per-metric reuse counts in params order, without metrics that reused nothing."""
    return {metric: reused[metric] for metric in order if reused.get(metric)}
