"""Offline scoring: every deterministic, python or installed scorer over every sample's output. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from benchgate.scorers.base import ScoredSample, Scorer, Unscorable, read_result

if TYPE_CHECKING:
    from benchgate.dataset import Sample

NO_OUTPUT = "no output to score"


@dataclass
class Scored:
    """One sample's values from the offline scorers."""

    scores: dict[str, float] = field(default_factory=dict)
    unscored: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def score_offline(
    scorers: Mapping[str, Scorer], samples: Sequence[Sample], outputs: Sequence[str | None]
) -> list[Scored]:
    """Each sample's scores, in sample order; metrics in the order of `scorers`."""
    results = []
    for sample, output in zip(samples, outputs, strict=True):
        found = Scored()
        if output is None:
            found.unscored = dict.fromkeys(scorers, NO_OUTPUT)
            results.append(found)
            continue
        view = ScoredSample(sample.id, sample.input, sample.reference, sample.meta)
        for metric, scorer in scorers.items():
            try:
                value, note = read_result(scorer.score(output, view))
            except Unscorable as exc:
                found.unscored[metric] = str(exc)
                continue
            found.scores[metric] = value
            if note is not None:
                found.notes[metric] = note
        results.append(found)
    return results
