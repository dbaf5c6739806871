"""The cost cap's arithmetic, the prompt-token counter, and judgement fingerprints (unit tests)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from benchgate.config import JudgeSpec, MetricSpec, Price
from benchgate.llm import tokens
from benchgate.llm.budget import Budget, BudgetExceeded, priced_total
from benchgate.llm.criterion import criterion_for
from benchgate.llm.judge import judge_question
from benchgate.llm.reuse import fingerprint, reusable, settings_digest
from benchgate.results import ModelTokens, SampleScore, ScorerInfo

PRICE = Price(prompt_per_mtok=1_000_000, completion_per_mtok=2_000_000)
"""$1 a prompt token, $2 a completion token: the arithmetic reads in whole dollars."""


def payload(prompt_tokens: int, max_tokens: int) -> dict[str, object]:
    return {
        "model": "m",
        "messages": [{"role": "user", "content": "x" * prompt_tokens}],
        "max_tokens": max_tokens,
    }


def budget(cap: float) -> Budget:
    return Budget(cap, {"m": PRICE}, lambda model, messages: len(str(messages[0]["content"])))


def test_a_call_is_sent_only_when_its_worst_case_fits_beside_what_is_spent_and_in_flight() -> None:
    cap = budget(100.0)
    first = cap.admit(payload(10, 20))  # worst case 10 + 2 x 20 = 50
    assert first == 50.0
    with pytest.raises(BudgetExceeded):
        cap.admit(payload(11, 20))  # 50 reserved + 51 > 100
    assert cap.stopped
    with pytest.raises(BudgetExceeded):
        cap.admit(payload(1, 1))  # once stopped, nothing is squeezed in
    cap.settle(first, "m", 10, 5)
    assert (cap.spent_usd, cap.reserved_usd) == (20.0, 0.0), "charged what was reported, not the worst case"


def test_a_failed_call_frees_its_reservation() -> None:
    cap = budget(100.0)
    reservation = cap.admit(payload(10, 20))
    cap.release(reservation)
    assert (cap.spent_usd, cap.reserved_usd) == (0.0, 0.0)
    assert cap.admit(payload(40, 30)) == 100.0, "exactly at the cap is within it"


def test_costs_need_a_price() -> None:
    one, five = (ModelTokens(prompt_tokens=n, completion_tokens=n) for n in (1, 5))
    assert priced_total({"m": one, "unpriced": five}, {"m": PRICE}) == 3.0
    assert priced_total({"unpriced": five}, {"m": PRICE}) is None


class FakeEncoding:
    def encode_ordinary(self, text: str) -> Sequence[int]:
        return list(range(len(text.split())))


def test_known_models_are_counted_by_their_encoding_and_others_are_labelled_estimates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tiktoken

    tokens.counter_for.cache_clear()
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: FakeEncoding())
    messages = [{"role": "system", "content": "one two"}, {"role": "user", "content": "three four five"}]
    exact = tokens.counter_for("gpt-4o")
    assert exact.exact and exact.method == "tiktoken o200k_base"
    assert exact.prompt_tokens(messages) == 2 + 3 + 3 * tokens.MESSAGE_OVERHEAD
    unknown = tokens.counter_for("qwen-7b")
    assert not unknown.exact and "tiktoken does not know this model" in unknown.method
    assert unknown.prompt_tokens(messages) == round(len("one twothree four five") / 4)
    tokens.counter_for.cache_clear()

    def offline(name: str) -> None:
        raise ConnectionError("no network")

    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    fallback = tokens.counter_for("gpt-4o")
    assert not fallback.exact and "o200k_base could not be loaded" in fallback.method
    tokens.counter_for.cache_clear()


SCORER = ScorerInfo(type="judge", version="1", config_sha256="0" * 64, needs_llm=True)


def test_a_fingerprint_changes_with_every_input_of_the_judgement_and_nothing_else() -> None:
    judge = JudgeSpec(model="j")
    criterion = criterion_for(None, "coverage", MetricSpec.model_validate({"pass": 0.5}))
    question = judge_question(criterion, "posts", "digest", None)
    base = fingerprint(settings_digest("http://h:1/v1/chat/completions", judge, "coverage", SCORER), question)
    changed = [
        settings_digest("http://h:2/v1/chat/completions", judge, "coverage", SCORER),
        settings_digest("http://h:1/v1/chat/completions", JudgeSpec(model="j", seed=1), "coverage", SCORER),
        settings_digest(
            "http://h:1/v1/chat/completions", JudgeSpec(model="j", samples=2), "coverage", SCORER
        ),
        settings_digest("http://h:1/v1/chat/completions", judge, "accuracy", SCORER),
        settings_digest(
            "http://h:1/v1/chat/completions",
            JudgeSpec(model="j", instructions="Be strict."),
            "coverage",
            SCORER,
        ),
        settings_digest(
            "http://h:1/v1/chat/completions", judge, "coverage", SCORER.model_copy(update={"version": "2"})
        ),
    ]
    assert all(fingerprint(other, question) != base for other in changed)
    edited = judge_question(criterion, "posts", "digest!", None)
    assert (
        fingerprint(settings_digest("http://h:1/v1/chat/completions", judge, "coverage", SCORER), edited)
        != base
    )
    gate_only = JudgeSpec(model="j", min_agreement={"spearman": 0.5}, on_uncalibrated="fail")
    same = settings_digest("http://h:1/v1/chat/completions", gate_only, "coverage", SCORER)
    assert fingerprint(same, question) == base, "what the gate does with answers does not change them"


def test_only_scored_judgements_of_the_metrics_asked_are_reused() -> None:
    record = SampleScore(
        id="a",
        scores={"coverage": 0.75},
        unscored={"accuracy": "judge reply unreadable"},
        reasons={"coverage": "fine"},
        fingerprints={"coverage": "f1", "accuracy": "f2", "coherence": "f3"},
    )
    found = reusable([record], ["coverage", "accuracy"])
    assert set(found) == {"f1"}
    assert (found["f1"].score, found["f1"].reason, found["f1"].judgements) == (0.75, "fine", None)
