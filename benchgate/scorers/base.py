"""What every scorer shares: the sample it sees, the score it returns, how a result is read. Pure."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

NOTE_LIMIT = 300
"""Longest reason or error text kept per sample and metric."""


class Score(NamedTuple):
    """A score with its explanation: `value` in 0..1 (or a bool), `reason` kept beside it."""

    value: float | bool
    reason: str | None = None


class ScoredSample(NamedTuple):
    """What a scorer sees of a dataset sample (the output is passed separately)."""

    id: str
    input: Any
    reference: str | None
    meta: Mapping[str, Any]


class Unscorable(Exception):
    """This sample gets no value for this metric; the message says why (never counted as 0)."""


class Scorer(Protocol):
    """Anything that scores one output at a time."""

    def score(self, output: str, sample: ScoredSample, /) -> Score | float | bool:
        """The output's score for one sample."""
        ...


def reference_of(sample: ScoredSample) -> str:
    """The sample's reference, for scorers that compare with it."""
    if sample.reference is None:
        raise Unscorable("no reference to compare with")
    return sample.reference


def read_result(result: object) -> tuple[float, str | None]:
    """A scorer's return value as (value in 0..1, reason); `Unscorable` when it is not one."""
    reason, raw = None, result
    if isinstance(result, Score):
        raw, reason = result
    if type(raw) is float and 0.0 <= raw <= 1.0:  # the common case, without the ABC check below
        value = raw
    elif isinstance(raw, bool):
        value = 1.0 if raw else 0.0
    elif isinstance(raw, numbers.Real):
        value = float(raw)
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise Unscorable(f"returned {raw!r}, outside 0..1")
    else:
        kind = type(raw).__name__
        raise Unscorable(f"returned {kind}; expected a float in 0..1, a bool or Score(value, reason)")
    return round(value, 6), None if reason is None else clip(str(reason))


def clip(text: str) -> str:
    """A reason or error on one line, short enough to keep for every sample."""
    if len(text) <= NOTE_LIMIT and text.isprintable():
        return text
    text = " ".join(text.split())
    return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"
