"""The pairwise judge: two fenced outputs labelled A and B, asked in both orders, read defensively.

The judge answers `{"winner": "A" | "B" | "tie", "reason": "..."}`, or in plain-text mode a
last line `WINNER: A|B|TIE`. Each changed pair is asked with the head's output as A, then with
the base's as A; every call is its own cache entry, so a re-run or a resumed run is free.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from benchgate.config import JudgeLabels, JudgeSpec
from benchgate.llm.client import ChatClient, Reply
from benchgate.llm.criterion import DEFAULT_INSTRUCTIONS, FENCE_RULE, STYLES, fenced
from benchgate.llm.endpoint import Endpoint
from benchgate.llm.judge import FormatNegotiator, chat_payload, style_of
from benchgate.llm.pool import drain
from benchgate.llm.progress import Progress
from benchgate.llm.replies import EchoGuard, json_objects
from benchgate.results import PairVotes, Vote

PROMPT_VERSION = "1"
"""Revision of the pairwise prompt and its reading; part of the scorer's identity in run.json."""
Slot = Literal["A", "B", "tie"]
WINNER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"winner": {"type": "string", "enum": ["A", "B", "tie"]}, "reason": {"type": "string"}},
    "required": ["winner", "reason"],
    "additionalProperties": False,
}
COMPARE = (
    "You compare two answers, A and B, to the same input against one criterion. The order in which "
    "the answers are shown is arbitrary and must not influence you; neither must their length."
)
FORMAT_LINE = {
    "json": 'Reply with only a JSON object: {"winner": "A" | "B" | "tie", "reason": "<one short sentence>"}.',
    "text": "Reply with one short sentence of reasoning, then a last line of exactly the form "
    "WINNER: A, WINNER: B or WINNER: TIE, and nothing after it.",
}
ASK = {
    "json": "Return the JSON object naming the better answer for this criterion now.",
    "text": "Give your reason, then the last line WINNER: A|B|TIE now.",
}
REASK = {
    "json": 'That reply could not be read ({problem}). Reply with only the JSON object {{"winner": ...}}.',
    "text": "That reply could not be read ({problem}). End your reply with the line WINNER: A, "
    "WINNER: B or WINNER: TIE, nothing after it.",
}
_WINNER_LINE = re.compile(r"\**\s*WINNER\s*:\s*\**\s*(A|B|TIE)\s*\**", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    """One sample's two outputs to compare, with the input both answered."""

    id: str
    source: str
    head: str
    base: str


@dataclass(frozen=True)
class Read:
    """A reply read: the slot it names, or the problem that kept it from being read."""

    winner: Slot | None
    reason: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class PairPrompt:
    """What the pairwise judge is told for one metric; the same for every pair of a run."""

    instructions: str
    """`judge.instructions` (the scenario's framing), or the domain-free default."""
    rubric: str
    """The metric's question about the two answers."""
    input_label: str = "Input"
    """Heading of the input block (`judge.labels.input`)."""

    def system(self, style: str) -> str:
        """Framing, the comparison rule, the fencing rule, the reply format."""
        return f"{self.instructions} {COMPARE} {FENCE_RULE} {FORMAT_LINE[style]}"

    def messages(self, source: str, first: str, second: str, style: str) -> list[dict[str, str]]:
        """System prompt, then the fenced input and answers (A shown first), then the criterion."""
        tag = hashlib.sha256(f"{source}\0{first}\0{second}".encode()).hexdigest()[:12]
        material = "\n\n".join(
            [
                fenced(self.input_label, source, tag),
                fenced("Answer A", first, tag),
                fenced("Answer B", second, tag),
                f"Criterion — {self.rubric}",
            ]
        )
        return [
            {"role": "system", "content": self.system(style)},
            {"role": "user", "content": f"{material}\n\n{ASK[style]}"},
        ]

    def identity(self) -> dict[str, Any]:
        """Everything that shapes the prompt, for the scorer's identity in run.json."""
        return {
            "version": PROMPT_VERSION,
            "system": {style: self.system(style) for style in STYLES},
            "ask": ASK,
            "reask": REASK,
            "rubric": self.rubric,
            "input_label": self.input_label,
        }


def prompt_for(judge: JudgeSpec | None, rubric: str) -> PairPrompt:
    """A pairwise metric's prompt, from the scenario's `judge:` and the metric's rubric."""
    instructions = judge.instructions if judge and judge.instructions else DEFAULT_INSTRUCTIONS
    label = judge.labels.input if judge else JudgeLabels().input
    return PairPrompt(instructions.strip(), rubric.strip(), label)


def read_winner(text: str, style: str, prompt: str = "") -> Read:
    """The slot a reply names; objects or lines copied from the prompt do not count."""
    if not text.strip():
        return Read(None, problem="empty reply")
    echoed = EchoGuard(prompt)
    if style == "text":
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        match = _WINNER_LINE.fullmatch(lines[-1])
        if match is None or echoed(lines[-1]):
            return Read(None, problem=f"last line is not `WINNER: A|B|TIE`: {lines[-1][:40]!r}")
        return _slot(match.group(1), " ".join(lines[:-1]) or None)
    try:
        whole = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        whole = None
    found = [(text, whole)] if isinstance(whole, dict) else list(reversed(json_objects(text)))
    for raw, obj in found:
        if "winner" in obj and not echoed(raw):
            return _slot(obj.get("winner"), obj.get("reason"))
    return Read(None, problem="no JSON object with a winner")


def _slot(raw: object, reason: object) -> Read:
    name = raw.strip().upper() if isinstance(raw, str) else None
    if name not in ("A", "B", "TIE"):
        return Read(None, problem=f"winner is not A, B or tie: {str(raw)[:40]!r}")
    slot: Slot = "tie" if name == "TIE" else "A" if name == "A" else "B"
    return Read(slot, str(reason)[:500] if isinstance(reason, str) else None)


def vote(slot: Slot, head_first: bool) -> Vote:
    """A slot named in one order, as the commit whose output sat there."""
    if slot == "tie":
        return "tie"
    return "head" if (slot == "A") == head_first else "base"


def response_format(mode: str) -> dict[str, Any] | None:
    """The request field for a negotiation mode."""
    if mode == "json_schema":
        schema = {"name": "winner", "strict": True, "schema": WINNER_SCHEMA}
        return {"type": "json_schema", "json_schema": schema}
    if mode == "json_object":
        return {"type": "json_object", "schema": WINNER_SCHEMA}
    return None


@dataclass(frozen=True)
class PairJudge:
    """Who judges the pairs of one metric, how often, and by which criterion."""

    spec: JudgeSpec
    endpoint: Endpoint
    prompt: PairPrompt
    samples: int


def pair_payload(
    judge: PairJudge,
    pair: Pair,
    mode: str,
    *,
    head_first: bool,
    repeat: int,
    turns: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """One order of one pair as a request body (what the cache keys and the estimate counts)."""
    first, second = (pair.head, pair.base) if head_first else (pair.base, pair.head)
    style = style_of(mode)
    conversation = judge.prompt.messages(pair.source, first, second, style)
    for reply, problem in turns:
        conversation += [
            {"role": "assistant", "content": reply},
            {"role": "user", "content": REASK[style].format(problem=problem)},
        ]
    return chat_payload(judge.spec, conversation, repeat, response_format(mode))


def pair_extra(repeat: int) -> dict[str, Any]:
    """The cache key's extra part for one pairwise call: its repeat and the pairwise prompt version."""
    return {"repeat": repeat, "pairwise": PROMPT_VERSION}


async def ask_once(
    client: ChatClient,
    negotiator: FormatNegotiator,
    judge: PairJudge,
    pair: Pair,
    *,
    head_first: bool,
    repeat: int,
) -> tuple[Vote | None, int]:
    """(vote, re-asks): one order of one pair; an unreadable reply is asked again once."""
    turns = list[tuple[str, str]]()
    for asked in range(2):
        sent: dict[str, list[dict[str, str]]] = {}

        def ask(
            mode: str, turns: list[tuple[str, str]] = turns, sent: dict[str, Any] = sent
        ) -> Awaitable[Reply]:
            payload = pair_payload(judge, pair, mode, head_first=head_first, repeat=repeat, turns=turns)
            sent[mode] = payload["messages"]
            return client.complete(judge.endpoint, payload, pair_extra(repeat))

        mode, reply = await negotiator.send(f"{judge.endpoint.identity}|{judge.spec.model}|pairwise", ask)
        prompt = "\n".join(m["content"] for m in sent[mode] if m["role"] != "assistant")
        found = read_winner(reply.content, style_of(mode), prompt)
        if found.winner is not None:
            return vote(found.winner, head_first), asked
        client.mark_unreadable(reply)
        turns = [*turns, (reply.content, found.problem or "unreadable")]
    return None, 1


async def judge_pairs(
    client: ChatClient,
    negotiator: FormatNegotiator,
    judge: PairJudge,
    pairs: Sequence[Pair],
    progress: Progress,
    *,
    workers: int,
) -> tuple[dict[str, PairVotes], int]:
    """(votes by sample id, re-asks): every pair in both orders, `judge.samples` times each."""
    jobs = [(p, first, r) for p in pairs for first in (True, False) for r in range(judge.samples)]
    found: dict[tuple[str, bool, int], Vote | None] = {}
    reasks = 0

    async def ask(job: tuple[Pair, bool, int]) -> bool:
        nonlocal reasks
        pair, first, repeat = job
        got, again = await ask_once(client, negotiator, judge, pair, head_first=first, repeat=repeat)
        found[pair.id, first, repeat] = got
        reasks += again
        progress.advance()
        return True

    await drain(jobs, ask, workers=workers)
    votes = {}
    for pair in pairs:
        orders = [
            [v for r in range(judge.samples) if (v := found[pair.id, first, r]) is not None]
            for first in (True, False)
        ]
        votes[pair.id] = PairVotes(head_first=orders[0], base_first=orders[1])
    return votes, reasks


def identical_or_pairs(pairs: Sequence[Pair]) -> tuple[list[str], list[Pair]]:
    """(ids of byte-identical pairs, the pairs to send): identical outputs are ties, never sent."""
    same = [p.id for p in pairs if p.head == p.base]
    return same, [p for p in pairs if p.head != p.base]


def calls(changed: int, samples: int) -> int:
    """Calls a pairwise metric makes when every reply is readable: 2 orders x k x changed pairs."""
    return 2 * samples * changed
