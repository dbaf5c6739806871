"""A live run's pairwise metrics: each sample's output against the base's, judged in both orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchgate.config import JudgeSpec, Scenario
from benchgate.dataset import Sample
from benchgate.llm.client import ChatClient
from benchgate.llm.endpoint import Endpoint
from benchgate.llm.judge import FormatNegotiator
from benchgate.llm.pairwise import Pair, PairJudge, PairPrompt, calls, identical_or_pairs, judge_pairs
from benchgate.llm.progress import Progress
from benchgate.llm.prompt import render_input
from benchgate.pairwise import VALUE, outcome
from benchgate.results import PairVotes, SampleScore

NO_OUTPUT = "no output to compare"
UNREADABLE = "judge replies unreadable in one order or both"


@dataclass(frozen=True)
class PairwiseWork:
    """The pairwise metrics of a live run and what they compare with."""

    metrics: dict[str, tuple[PairPrompt, int]]
    """Metric -> (its prompt, samples per order)."""
    base: dict[str, str]
    """Base output per sample id."""


def pairs_of(samples: Sequence[Sample], scores: Sequence[SampleScore], base: dict[str, str]) -> list[Pair]:
    """Each sample with a base output and a non-blank head output (generated, else stored)."""
    found = []
    for sample, score in zip(samples, scores, strict=True):
        head = score.output if score.output is not None else sample.output
        if sample.id in base and head and head.strip():
            found.append(Pair(sample.id, render_input(sample.input), head, base[sample.id]))
    return found


def planned_calls(work: PairwiseWork, samples: Sequence[Sample], spec: Scenario) -> int:
    """Calls the pairwise metrics make when every reply is readable: 2 x k x changed pairs.

    Before generating, a generated output counts as changed (it cannot be known to be identical).
    """
    if spec.generator is None:
        stored = [SampleScore.trusted(s.id, scores={}, unscored={}, latency_s=None) for s in samples]
        changed = len(identical_or_pairs(pairs_of(samples, stored, work.base))[1])
    else:
        changed = sum(s.id in work.base for s in samples)
    return sum(calls(changed, k) for _, k in work.metrics.values())


async def score_pairs(
    work: PairwiseWork,
    judge: tuple[JudgeSpec, Endpoint],
    samples: Sequence[Sample],
    scores: list[SampleScore],
    client: ChatClient,
    *,
    progress: Progress,
    workers: int,
) -> tuple[list[SampleScore], int]:
    """(the scores with every pairwise metric added, re-asks); samples in the same order."""
    spec, endpoint = judge
    pairs = pairs_of(samples, scores, work.base)
    same, changed = identical_or_pairs(pairs)
    negotiator = FormatNegotiator(client.cache)
    votes: dict[str, dict[str, PairVotes]] = {}
    reasks = 0
    for metric, (prompt, k) in work.metrics.items():
        asked = PairJudge(spec, endpoint, prompt, k)
        found, again = await judge_pairs(client, negotiator, asked, changed, progress, workers=workers)
        votes[metric] = found | dict.fromkeys(same, PairVotes(identical=True))
        reasks += again
    paired = {pair.id for pair in pairs}
    updated = []
    for sample, score in zip(samples, scores, strict=True):
        values, unscored, kept = dict(score.scores), dict(score.unscored), dict(score.pairwise)
        for metric in work.metrics:
            if sample.id in paired:
                mine = votes[metric][sample.id]
                kept[metric] = mine
                result = outcome(mine)
                if result is None:
                    unscored[metric] = UNREADABLE
                else:
                    values[metric] = VALUE[result]
            elif sample.id in work.base:
                unscored[metric] = NO_OUTPUT
        update = {"scores": values, "unscored": unscored, "pairwise": kept}
        updated.append(score.model_copy(update=update))
    return updated, reasks
