"""Reference-overlap scorers agree with their libraries' own entry points, mapped to 0..1."""

from __future__ import annotations

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from benchgate.scorers import ScoredSample
from benchgate.scorers.base import Unscorable
from benchgate.scorers.overlap import Bleu, Chrf, RougeL
from benchgate.scorers.specs import BleuScorer, ChrfScorer, RougeLScorer

HYP = "The quick brown fox jumps over the lazy dog near the river bank"
REF = "The quick brown fox jumped over the lazy dog by the river bank"


def on(reference: str | None) -> ScoredSample:
    return ScoredSample("s", "", reference, {})


def test_bleu_is_sacrebleus_score_over_100() -> None:
    mine = Bleu(BleuScorer(type="bleu")).score(HYP, on(REF)).value
    # Every n-gram order matches here, so corpus BLEU of one sentence equals sentence BLEU.
    assert mine == pytest.approx(sacrebleu.corpus_bleu([HYP], [[REF]]).score / 100, abs=1e-6)
    assert 0 < mine < 1
    assert Bleu(BleuScorer(type="bleu")).score(REF, on(REF)).value == 1.0
    assert Bleu(BleuScorer(type="bleu")).score("zebra", on(REF)).value == 0.0


def test_chrf_and_chrf_plus_plus_are_sacrebleus_over_100() -> None:
    chrf = Chrf(ChrfScorer(type="chrf")).score(HYP, on(REF)).value
    assert chrf == pytest.approx(sacrebleu.corpus_chrf([HYP], [[REF]]).score / 100, abs=1e-6)
    plus = Chrf(ChrfScorer(type="chrf", word_order=2)).score(HYP, on(REF)).value
    assert plus == pytest.approx(sacrebleu.corpus_chrf([HYP], [[REF]], word_order=2).score / 100, abs=1e-6)
    assert plus != chrf
    lower = Chrf(ChrfScorer(type="chrf", lowercase=True)).score("HELLO", on("hello")).value
    assert lower == 1.0


def test_rouge_l_matches_rouge_score_on_ascii_and_counts_cyrillic() -> None:
    mine = RougeL(RougeLScorer(type="rouge_l")).score(HYP, on(REF)).value
    theirs = rouge_scorer.RougeScorer(["rougeL"]).score(REF, HYP)["rougeL"].fmeasure
    assert mine == pytest.approx(theirs, abs=1e-6)
    stemmed = RougeL(RougeLScorer(type="rouge_l", use_stemmer=True)).score(HYP, on(REF)).value
    theirs = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True).score(REF, HYP)["rougeL"].fmeasure
    assert stemmed == pytest.approx(theirs, abs=1e-6)
    assert stemmed > mine  # "jumps"/"jumped" meet once stemmed

    # rouge-score's own tokenizer keeps [a-z0-9] only: Russian text would score 0 against anything.
    russian_default = rouge_scorer.RougeScorer(["rougeL"]).score("кот сидит на ковре", "кот на ковре")
    assert russian_default["rougeL"].fmeasure == 0.0
    # LCS 3 of 3 output words and of 4 reference words: F = 2 * 1 * 0.75 / 1.75.
    russian = RougeL(RougeLScorer(type="rouge_l")).score("Кот на ковре.", on("кот сидит на ковре"))
    assert russian.value == round(2 * 0.75 / 1.75, 6)


@pytest.mark.parametrize("scorer", [Bleu(BleuScorer(type="bleu")), Chrf(ChrfScorer(type="chrf"))])
def test_no_reference_is_unscorable(scorer: Bleu | Chrf) -> None:
    with pytest.raises(Unscorable):
        scorer.score(HYP, on(None))
