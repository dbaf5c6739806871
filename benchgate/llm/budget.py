"""A hard cost cap: a call is sent only when even its most expensive answer keeps the run under the cap. Pure.

Each call reserves its worst case (its prompt's tokens, counted before sending, plus
`max_tokens` of completion) while in flight, and is charged what the endpoint reported once
answered; a call is refused when what was spent, plus what is reserved, plus its own worst
case would pass the cap. After the first refusal every later call is refused too, so the run
stops at one point instead of squeezing in small calls around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchgate.config import Price
from benchgate.results import ModelTokens


class BudgetExceeded(Exception):
    """The next call could pass the cost cap; nothing more is sent."""


def cost_usd(price: Price, prompt_tokens: int, completion_tokens: int) -> float:
    """USD for one call's tokens."""
    return (prompt_tokens * price.prompt_per_mtok + completion_tokens * price.completion_per_mtok) / 1e6


def priced_total(tokens: Mapping[str, ModelTokens], prices: Mapping[str, Price]) -> float | None:
    """USD for model -> tokens, rounded to 4 places; None when no model is priced.

    Models are added in name order, so the float sum does not depend on which call came first.
    """
    total, priced = 0.0, False
    for model, used in sorted(tokens.items()):
        price = prices.get(model)
        if price is not None:
            priced = True
            total += cost_usd(price, used.prompt_tokens, used.completion_tokens)
    return round(total, 4) if priced else None


@dataclass
class Budget:
    """The cap, what has been spent, and what calls in flight may still cost."""

    cap_usd: float
    prices: Mapping[str, Price]
    """Every model the run calls has one (checked before the run starts)."""
    prompt_tokens: Callable[[str, list[dict[str, Any]]], int]
    """(model, messages) -> the prompt's tokens, counted as the estimate counts them."""
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    stopped: bool = False
    refused: int = field(default=0)

    def admit(self, payload: dict[str, Any]) -> float:
        """Reserve a call's worst case and return it; BudgetExceeded when it could pass the cap."""
        model = str(payload.get("model"))
        worst = cost_usd(
            self.prices[model],
            self.prompt_tokens(model, payload.get("messages") or []),
            int(payload.get("max_tokens") or 0),
        )
        if self.stopped or self.spent_usd + self.reserved_usd + worst > self.cap_usd:
            self.stopped = True
            self.refused += 1
            raise BudgetExceeded
        self.reserved_usd += worst
        return worst

    def settle(self, reservation: float, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        """An answered call: free its reservation, charge what the endpoint reported."""
        self.reserved_usd -= reservation
        self.spent_usd += cost_usd(self.prices[model], prompt_tokens, completion_tokens)

    def release(self, reservation: float) -> None:
        """A call that failed: nothing was charged for it."""
        self.reserved_usd -= reservation
