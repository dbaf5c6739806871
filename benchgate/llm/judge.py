"""The LLM judge: fenced sample text and a criterion (llm/criterion.py), negotiated output format,
parse-or-unscored."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchgate.config import JudgeSpec
from benchgate.errors import LLMError
from benchgate.llm.cache import ResponseCache
from benchgate.llm.client import ChatClient, Reply, UnsupportedResponseFormat
from benchgate.llm.criterion import Criterion, fenced
from benchgate.llm.endpoint import Endpoint
from benchgate.llm.replies import DEFAULT_SCALE, Scale, parse_score, parse_score_line

MODES = ("json_schema", "json_object", "text")


def verdict_schema(scale: Scale = DEFAULT_SCALE) -> dict[str, Any]:
    """The JSON Schema of a verdict on `scale`."""
    return {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": scale.low, "maximum": scale.high},
            "reason": {"type": "string"},
        },
        "required": ["score", "reason"],
        "additionalProperties": False,
    }


VERDICT_SCHEMA = verdict_schema()


@dataclass(frozen=True)
class Judgement:
    """One metric of one sample: a 0..1 score, or why there is none (with the raw reply)."""

    score: float | None
    reason: str | None
    raw: str | None = None
    reasks: int = 0


@dataclass(frozen=True)
class Question:
    """One (sample, metric) to judge: the fenced material and the criterion, in either answer style."""

    criterion: Criterion
    material: str

    def messages(self, style: str, turns: Sequence[tuple[str, str]] = ()) -> list[dict[str, str]]:
        """System prompt, material, the ask; then each (unreadable reply, problem) with its re-ask."""
        conversation = [
            {"role": "system", "content": self.criterion.system(style)},
            {"role": "user", "content": f"{self.material}\n\n{self.criterion.ask(style)}"},
        ]
        for reply, problem in turns:
            conversation.append({"role": "assistant", "content": reply})
            conversation.append({"role": "user", "content": self.criterion.reask(style, problem)})
        return conversation


class FormatNegotiator:
    """Which `response_format` each endpoint and model accepts: found once, then remembered.

    Until a mode is confirmed, calls to that endpoint go one at a time, so a server that
    rejects structured output answers one error, not one per concurrent call. A mode is only
    remembered once a request in it succeeded, and the requests tried differ only in
    `response_format`, so a rejection that was about something else cannot stick.
    """

    def __init__(self, cache: ResponseCache | None) -> None:
        self._cache = cache
        self._confirmed: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def send(self, endpoint_model: str, ask: Callable[[str], Awaitable[Reply]]) -> tuple[str, Reply]:
        """(mode, reply): ask in the richest accepted mode, negotiating it first if needed."""
        mode = self._known(endpoint_model)
        if mode is None:
            async with self._locks.setdefault(endpoint_model, asyncio.Lock()):
                mode = self._known(endpoint_model)
                if mode is None:
                    return await self._negotiate(endpoint_model, ask)
        try:
            return mode, await ask(mode)
        except UnsupportedResponseFormat as exc:
            raise LLMError(str(exc)) from None  # accepted before, refused now: nothing simpler to learn

    async def _negotiate(
        self, endpoint_model: str, ask: Callable[[str], Awaitable[Reply]]
    ) -> tuple[str, Reply]:
        for mode in MODES:
            try:
                reply = await ask(mode)
            except UnsupportedResponseFormat:
                continue  # the last mode sends no response_format, so it is never rejected
            self._confirmed[endpoint_model] = mode
            if self._cache is not None:
                self._cache.remember_format(endpoint_model, mode)
            return mode, reply
        raise AssertionError("plain text cannot be rejected as a response format")

    def _known(self, endpoint_model: str) -> str | None:
        if endpoint_model not in self._confirmed and self._cache is not None:
            stored = self._cache.format_mode(endpoint_model)
            if stored in MODES:
                self._confirmed[endpoint_model] = stored
        return self._confirmed.get(endpoint_model)


def judge_question(criterion: Criterion, source: str, output: str, reference: str | None) -> Question:
    """The fenced material, then the criterion, for one (sample, metric).

    The criterion comes last so that a sample's judgements share everything before it:
    servers with prompt caching (llama.cpp, OpenAI) then evaluate the input only once.
    """
    labels = criterion.labels
    tag = hashlib.sha256(f"{source}\0{output}".encode()).hexdigest()[:12]
    parts = [fenced(labels.input, source, tag), fenced(labels.output, output, tag)]
    if reference:
        parts.append(fenced(labels.reference, reference, tag))
    parts.append(criterion.text())
    return Question(criterion, "\n\n".join(parts))


def response_format(mode: str, schema: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The request field for a negotiation mode (`schema`: the reply's, default a 1-5 verdict)."""
    schema = VERDICT_SCHEMA if schema is None else schema
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "verdict", "strict": True, "schema": schema}}
    if mode == "json_object":
        return {"type": "json_object", "schema": schema}
    return None


def style_of(mode: str) -> str:
    """The answer style a negotiated mode asks for: JSON, or a last line `SCORE: N` in plain text."""
    return "text" if mode == "text" else "json"


def judge_payload(
    spec: JudgeSpec, question: Question, mode: str, repeat: int, turns: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """One judgement's request body in a negotiation mode (what the cache keys and the estimate counts)."""
    messages = question.messages(style_of(mode), turns)
    fmt = response_format(mode, verdict_schema(question.criterion.scale))
    return chat_payload(spec, messages, repeat, fmt)


def chat_payload(
    spec: JudgeSpec,
    messages: list[dict[str, str]],
    repeat: int,
    fmt: dict[str, Any] | None,
) -> dict[str, Any]:
    """A judge's request body: its sampling settings, a seed per repeat, the negotiated `response_format`."""
    payload: dict[str, Any] = {
        "model": spec.model,
        "messages": messages,
        "temperature": spec.temperature,
        "max_tokens": spec.max_tokens,
    }
    if spec.seed is not None:
        payload["seed"] = spec.seed + repeat
    if fmt is not None:
        payload["response_format"] = fmt
    return payload


async def judge_once(
    client: ChatClient,
    negotiator: FormatNegotiator,
    spec: JudgeSpec,
    endpoint: Endpoint,
    question: Question,
    *,
    repeat: int,
) -> Judgement:
    """Ask; if the reply cannot be read, ask once more; then score or leave unscored."""
    problem, reply_text = "no reply", ""
    turns: list[tuple[str, str]] = []
    for asked in range(2):
        sent: dict[str, list[dict[str, str]]] = {}

        def ask(
            mode: str, turns: list[tuple[str, str]] = turns, sent: dict[str, list[dict[str, str]]] = sent
        ) -> Awaitable[Reply]:
            payload = judge_payload(spec, question, mode, repeat, turns)
            sent[mode] = payload["messages"]
            return client.complete(endpoint, payload, {"repeat": repeat})

        mode, reply = await negotiator.send(f"{endpoint.identity}|{spec.model}", ask)
        reply_text, style = reply.content, style_of(mode)
        prompt = "\n".join(m["content"] for m in sent[mode] if m["role"] != "assistant")
        scale = question.criterion.scale
        if style == "text":
            parsed = parse_score_line(reply_text, prompt=prompt, scale=scale)
        else:
            parsed = parse_score(reply_text, finish_reason=reply.finish_reason, prompt=prompt, scale=scale)
        if parsed.normalised is not None:
            return Judgement(parsed.normalised, parsed.reason, reasks=asked)
        client.mark_unreadable(reply)
        problem = parsed.problem or "unreadable"
        turns = [*turns, (reply_text, problem)]
    return Judgement(None, f"judge reply unreadable: {problem}", raw=reply_text, reasks=1)
