"""The dry-run judge: stored ground-truth ratings, no network. Pure."""

from __future__ import annotations

from benchgate.dataset import Sample
from benchgate.results import SampleScore

NO_GROUND_TRUTH = "no ground truth"


def judge_with_ground_truth(samples: list[Sample], metrics: list[str]) -> list[SampleScore]:
    """Score each sample from its stored ratings; a missing rating is unscored, not zero."""
    return [judge_sample(sample, metrics) for sample in samples]


def judge_sample(sample: Sample, metrics: list[str]) -> SampleScore:
    """One sample's scores from its stored ratings (`judge_with_ground_truth` of one)."""
    truth = sample.ground_truth or {}
    scores = {m: truth[m] for m in metrics if m in truth}
    unscored = {m: NO_GROUND_TRUTH for m in metrics if m not in truth}
    return SampleScore.trusted(sample.id, scores=scores, unscored=unscored, latency_s=sample.latency_s)
