"""Reference-overlap scorers: BLEU and chrF (sacrebleu), ROUGE-L (rouge-score), each in 0..1. Pure.

The libraries are imported when a scorer is built, so runs that use none of them never pay
for the import (rouge-score pulls in nltk: ~0.9 s).
"""

from __future__ import annotations

import re
from typing import Any

from benchgate.scorers.base import Score, ScoredSample, reference_of
from benchgate.scorers.specs import BleuScorer, ChrfScorer, RougeLScorer

_WORD = re.compile(r"[^\W_]+")


class Bleu:
    """`bleu`: sentence BLEU with effective order (short outputs are not zeroed by missing 4-grams)."""

    def __init__(self, spec: BleuScorer) -> None:
        from sacrebleu.metrics.bleu import BLEU

        self._metric = BLEU(tokenize=spec.tokenize, lowercase=spec.lowercase, effective_order=True)

    def score(self, output: str, sample: ScoredSample) -> Score:
        """BLEU / 100."""
        return Score(round(self._metric.sentence_score(output, [reference_of(sample)]).score / 100, 6))


class Chrf:
    """`chrf`: character n-gram F-score (chrF++ with word n-grams)."""

    def __init__(self, spec: ChrfScorer) -> None:
        from sacrebleu.metrics.chrf import CHRF

        self._metric = CHRF(word_order=spec.word_order, lowercase=spec.lowercase)

    def score(self, output: str, sample: ScoredSample) -> Score:
        """chrF / 100."""
        return Score(round(self._metric.sentence_score(output, [reference_of(sample)]).score / 100, 6))


class _Words:
    """rouge-score's tokenizer interface over Unicode words (its default keeps only [a-z0-9])."""

    def __init__(self, use_stemmer: bool) -> None:
        self._stem: Any = None
        if use_stemmer:
            from nltk.stem import porter

            self._stem = porter.PorterStemmer().stem

    def tokenize(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        if self._stem is not None:
            # As rouge-score does: words of three letters or fewer are left alone.
            words = [self._stem(word) if len(word) > 3 else word for word in words]
        return words


class RougeL:
    """`rouge_l`: longest-common-subsequence F-measure over words."""

    def __init__(self, spec: RougeLScorer) -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_Words(spec.use_stemmer))

    def score(self, output: str, sample: ScoredSample) -> Score:
        """ROUGE-L F."""
        found = self._scorer.score(reference_of(sample), output)["rougeL"]
        return Score(round(float(found.fmeasure), 6))
