"""A fake OpenAI-compatible chat-completions server for end-to-end tests and benchmarks.

Why a real socket server instead of an httpx mock transport: the client under test is an
async httpx client whose behaviour (connection pooling, keep-alive, retries on transport
errors, back-off on 429/503) only shows up over real TCP. This fake speaks the real wire
format, keeps state (stats, capacity), is deterministic for a seed and injects faults.

Stdlib only, binds 127.0.0.1 only. Use it in-process::

    with FakeOpenAIServer(FakeConfig(p_503=0.1, seed=1)) as server:
        ...  # point the client at server.url + "/v1"
        assert server.stats()["status"].get("503", 0) > 0

or as a separate process (for benchmarks, so the fake does not share the client's GIL)::

    python -m tests.fakes.openai_server --port 0 --capacity 32 --service-time 0.1 --seed 1

which prints exactly one line, the base URL, once it is listening.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import io
import json
import math
import re
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal, TypeVar

JsonDict = dict[str, Any]
Transport = Literal["ok", "reset", "503", "429"]
ContentFault = Literal["ok", "malformed", "truncated"]
Responder = Callable[[JsonDict], str]
"""Produces the assistant message content for a parsed chat-completions request body."""

HOST = "127.0.0.1"
MAX_BODY_BYTES = 16 * 1024 * 1024
CREATED_BASE = 1_700_000_000
MALFORMED_CONTENT = "The digest looks fine, I'd say four out of five."
_T = TypeVar("_T")


@dataclass(frozen=True)
class FakeConfig:
    """Behaviour of one fake server; immutable so a running server cannot drift mid-test."""

    seed: int = 0
    """Seeds every pseudo-random choice (faults, ids, scores) so runs are reproducible."""
    models: tuple[str, ...] = ("judge-model", "gen-model")
    """Model ids that exist; any other requested model gets OpenAI's 404 model_not_found."""
    api_key: str | None = None
    """When set, requests need `Authorization: Bearer <key>`, else 401 (the key is never echoed)."""
    service_time_s: float = 0.0
    """Simulated inference time per successful completion, spent while holding a capacity slot."""
    capacity: int | None = None
    """Max completions served at once (None: unlimited), to exercise client-side concurrency."""
    overload: Literal["429", "queue"] = "429"
    """Beyond capacity: answer 429 with Retry-After at once, or wait for a free slot."""
    retry_after_s: float = 1.0
    """Sent on 429/503 as `Retry-After` (integer seconds, rounded up) and `retry-after-ms`."""
    queue_timeout_s: float = 60.0
    """In queue mode, a request waiting longer than this for a slot gets 503 (bounds the wait)."""
    p_503: float = 0.0
    """Probability that an admitted request gets 503 with Retry-After."""
    p_429: float = 0.0
    """Probability that an admitted request gets a rate-limit 429 with Retry-After."""
    p_reset: float = 0.0
    """Probability that the connection is reset (RST via SO_LINGER 0) without any response."""
    p_malformed: float = 0.0
    """Probability that a 200 carries prose instead of the responder's content (not JSON)."""
    p_truncated: float = 0.0
    """Probability that a 200 carries the content cut in half with finish_reason "length"."""
    p_slow: float = 0.0
    """Probability that a request is delayed by an extra `slow_s` (to trip client timeouts)."""
    slow_s: float = 5.0
    """Extra delay of a slow request, on top of `service_time_s`."""
    reject_json_schema: bool = False
    """Mimic llama.cpp's server: response_format type json_schema gets HTTP 500."""
    insufficient_quota: bool = False
    """Every completion gets 429 insufficient_quota without Retry-After (must not be retried)."""
    reject_response_format: bool = False
    """Mimic a server without structured output behind FastAPI validation: any response_format
    gets HTTP 422 with `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}` and no `error`."""

    def __post_init__(self) -> None:
        """Fail at construction, not mid-test, when a configuration cannot mean anything."""
        for name in ("p_503", "p_429", "p_reset", "p_malformed", "p_truncated", "p_slow"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        if self.p_reset + self.p_503 + self.p_429 > 1.0 + 1e-9:
            raise ValueError("p_reset + p_503 + p_429 must not exceed 1")
        if self.p_malformed + self.p_truncated > 1.0 + 1e-9:
            raise ValueError("p_malformed + p_truncated must not exceed 1")
        if self.capacity is not None and self.capacity < 1:
            raise ValueError("capacity must be at least 1 (or None for unlimited)")
        if self.overload not in ("429", "queue"):
            raise ValueError(f"overload must be '429' or 'queue', got {self.overload!r}")
        if min(self.service_time_s, self.retry_after_s, self.slow_s, self.queue_timeout_s) < 0:
            raise ValueError("durations must not be negative")
        if not self.models:
            raise ValueError("at least one model is needed")


# --------------------------------------------------------------------------- determinism


def canonical_json(body: object) -> bytes:
    """One byte string per JSON value, independent of key order and whitespace on the wire."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def body_hash(body: object) -> str:
    """The key under which stats count a request body (sha256 hex of its canonical JSON)."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class Fate:
    """What happens to one request, fixed up front from (seed, body, repetition) only.

    Deciding from a hash instead of a shared RNG keeps outcomes independent of thread
    scheduling: the n-th arrival of a given body always meets the same fate.
    """

    request_id: str
    transport: Transport
    slow: bool
    content: ContentFault


def _unit(digest: bytes, index: int) -> float:
    """The index-th uniform number in [0, 1) carried by a digest (8 bytes each)."""
    chunk = digest[8 * index : 8 * index + 8]
    return int.from_bytes(chunk, "big") / 2.0**64


def _pick(u: float, options: Sequence[tuple[float, _T]], default: _T) -> _T:
    """Map a uniform number onto consecutive probability bands, falling back to default."""
    edge = 0.0
    for probability, outcome in options:
        edge += probability
        if u < edge:
            return outcome
    return default


def decide_fate(config: FakeConfig, canonical: bytes, repetition: int) -> Fate:
    """The fate of the `repetition`-th (0-based) arrival of a body, for this config's seed."""
    digest = hashlib.sha256(b"%d:%d:" % (config.seed, repetition) + canonical).digest()
    transports: list[tuple[float, Transport]] = [
        (config.p_reset, "reset"),
        (config.p_503, "503"),
        (config.p_429, "429"),
    ]
    faults: list[tuple[float, ContentFault]] = [
        (config.p_malformed, "malformed"),
        (config.p_truncated, "truncated"),
    ]
    return Fate(
        request_id="chatcmpl-" + digest.hex()[:29],
        transport=_pick(_unit(digest, 0), transports, "ok"),
        slow=_unit(digest, 1) < config.p_slow,
        content=_pick(_unit(digest, 2), faults, "ok"),
    )


# --------------------------------------------------------------------------- content


def message_text(message: object) -> str:
    """Text of a chat message whose content is a string or a list of typed parts."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(p for p in parts if isinstance(p, str))
    return ""


def last_user_text(request: JsonDict) -> str:
    """The last user message (or the last message at all), which the default reply echoes."""
    messages = [m for m in request.get("messages", []) if isinstance(m, dict)]
    users = [m for m in messages if m.get("role") == "user"]
    chosen = users or messages
    return message_text(chosen[-1]) if chosen else ""


def looks_like_judge(request: JsonDict) -> bool:
    """A judge call asks for a score or a structured format; everything else is generation."""
    if "response_format" in request:
        return True
    return any("score" in message_text(m).lower() for m in request.get("messages", []))


def judge_score(seed: int, text: str) -> int:
    """A score in 1..5 that depends only on the seed and the judged text."""
    digest = hashlib.sha256(f"{seed}:score:{text}".encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % 5


def make_default_responder(seed: int) -> Responder:
    """Judge calls get `{"score", "reason"}` JSON (or a last line `SCORE: n` when asked for one in
    plain text); other calls get a short Russian digest."""

    def respond(request: JsonDict) -> str:
        text = last_user_text(request)
        if looks_like_judge(request):
            score = judge_score(seed, text)
            reason = f"Оценка {score} из 5: детерминированный ответ фейкового судьи."
            if "response_format" not in request and "SCORE: N" in text:
                return f"{reason}\nSCORE: {score}"  # asked for plain text with an anchored last line
            return json.dumps({"score": score, "reason": reason}, ensure_ascii=False)
        return "Дайджест: " + " ".join(text.split())[:200]

    return respond


_ANSWER = re.compile(r"Answer (A|B):\n<<<DATA (\w+)>>>\n(.*?)\n<<<END DATA \2>>>", re.DOTALL)


def pairwise_answers(request: JsonDict) -> tuple[str, str] | None:
    """The two fenced answers (A, B) of a pairwise judge call, or None for any other call."""
    found = {m.group(1): m.group(3) for m in _ANSWER.finditer(last_user_text(request))}
    return (found["A"], found["B"]) if set(found) == {"A", "B"} else None


def make_pairwise_responder(
    marker: str, position_bias: float = 0.0, seed: int = 0, other: Responder | None = None
) -> Responder:
    """A pairwise judge that prefers the answer containing `marker` (a tie when both or neither do)
    and, on a share `position_bias` of calls (fixed per request body and seed), names A whatever the
    answers say. Calls that are not pairwise go to `other` (default: `make_default_responder`)."""
    if not 0.0 <= position_bias <= 1.0:
        raise ValueError(f"position_bias must be within 0..1, got {position_bias}")
    fallback = other or make_default_responder(seed)

    def respond(request: JsonDict) -> str:
        answers = pairwise_answers(request)
        if answers is None:
            return fallback(request)
        first, second = (marker in answer for answer in answers)
        winner = "tie" if first == second else "A" if first else "B"
        asked = canonical_json([request.get("messages"), request.get("seed")])
        digest = hashlib.sha256(b"%d:" % seed + asked).digest()
        if _unit(digest, 0) < position_bias:
            winner = "A"
        if "response_format" not in request and "WINNER: A|B|TIE" in last_user_text(request):
            return f"The fake judge prefers {winner}.\nWINNER: {winner.upper()}"
        return json.dumps({"winner": winner, "reason": "fake pairwise judge"})

    return respond


def approx_tokens(chars: int) -> int:
    """OpenAI-ish token estimate (about four characters per token), never zero."""
    return max(1, round(chars / 4))


def chat_completion(
    config: FakeConfig, request: JsonDict, fate: Fate, content: str, finish_reason: str
) -> JsonDict:
    """A reply in the exact shape of OpenAI's non-streaming chat.completion object."""
    prompt_chars = sum(len(message_text(m)) for m in request.get("messages", []))
    prompt_tokens = approx_tokens(prompt_chars)
    completion_tokens = approx_tokens(len(content))
    return {
        "id": fate.request_id,
        "object": "chat.completion",
        "created": CREATED_BASE + config.seed % 1_000_000,
        "model": request["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def apply_content_fault(content: str, fault: str) -> tuple[str, str, str | None]:
    """(content, finish_reason, stats tag) after a malformed/truncated fault, if any.

    Any proper prefix of a JSON object is invalid JSON, so cutting in half always breaks it.
    """
    if fault == "malformed":
        return MALFORMED_CONTENT, "stop", "malformed"
    if fault == "truncated":
        return content[: max(1, len(content) // 2)], "length", "truncated"
    return content, "stop", None


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """What the handler should write; status 0 means reset the connection instead."""

    status: int
    payload: JsonDict | None = None
    headers: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()


RESET = Reply(0, tags=("reset",))


def openai_error(
    status: int,
    message: str,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """An error in OpenAI's `{"error": {message, type, param, code}}` envelope."""
    error = {"message": message, "type": error_type, "param": param, "code": code}
    return Reply(status, {"error": error}, headers)


def retry_headers(config: FakeConfig) -> tuple[tuple[str, str], ...]:
    """Both spellings real servers use, so clients honouring either can be tested."""
    seconds = config.retry_after_s
    return (
        ("Retry-After", str(math.ceil(seconds))),
        ("retry-after-ms", str(round(seconds * 1000))),
    )


def rate_limited(config: FakeConfig, tag: str) -> Reply:
    """A retryable 429, as OpenAI sends when requests per minute are exceeded."""
    reply = openai_error(
        429,
        "Rate limit reached for requests. Please try again later.",
        "requests",
        "rate_limit_exceeded",
        headers=retry_headers(config),
    )
    return Reply(reply.status, reply.payload, reply.headers, (tag,))


def overloaded_503(config: FakeConfig, message: str) -> Reply:
    """A retryable 503, as OpenAI sends when the engine is overloaded."""
    return openai_error(503, message, "server_error", headers=retry_headers(config))


def quota_exhausted() -> Reply:
    """A 429 that must NOT be retried: no Retry-After, distinct type and code."""
    message = "You exceeded your current quota, please check your plan and billing details."
    return openai_error(429, message, "insufficient_quota", "insufficient_quota")


def llama_cpp_schema_error() -> Reply:
    """llama.cpp's server rejects json_schema response formats with this exact 500 body."""
    error = {
        "code": 500,
        "message": "Input should be 'text' or 'json_object'",
        "type": "server_error",
    }
    return Reply(500, {"error": error})


def fastapi_extra_field(name: str) -> Reply:
    """FastAPI/pydantic's 422 for a field the server's model forbids: `detail` list, no `error`."""
    detail = [{"type": "extra_forbidden", "loc": ["body", name], "msg": "Extra inputs are not permitted"}]
    return Reply(422, {"detail": detail})


def parse_body(raw: bytes) -> JsonDict | None:
    """The JSON object in a request body, or None when it is not one."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return body if isinstance(body, dict) else None


def validation_error(body: JsonDict) -> Reply | None:
    """The 400 OpenAI returns for missing required fields."""
    if not isinstance(body.get("model"), str):
        return openai_error(400, "You must provide a model parameter.", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return openai_error(
            400,
            "Missing required parameter: 'messages'.",
            param="messages",
            code="missing_required_parameter",
        )
    return None


# --------------------------------------------------------------------------- state


@dataclass
class _Counters:
    """Mutable stats; only touched under `_State.cond`."""

    total_requests: int = 0
    status: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    peak_in_flight: int = 0
    by_body: dict[str, int] = field(default_factory=dict)
    by_body_ok: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _State:
    """Thread-safe stats, capacity slots and per-body repetition counts behind one lock."""

    TAGS = ("reset", "malformed", "truncated", "slow", "overloaded")

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.counters = _Counters()
        self.in_flight = 0
        self.stopping = False
        self._seen: dict[str, int] = {}

    def record_receipt(self, digest: str | None) -> int:
        """Count an arriving request; returns how often this exact body arrived before."""
        with self.cond:
            self.counters.total_requests += 1
            if digest is None:
                return 0
            by_body = self.counters.by_body
            by_body[digest] = by_body.get(digest, 0) + 1
            repetition = self._seen.get(digest, 0)
            self._seen[digest] = repetition + 1
            return repetition

    def record_outcome(self, reply: Reply, digest: str | None) -> None:
        """Count the status (or "reset") and fault tags of a finished request."""
        key = "reset" if reply.status == 0 else str(reply.status)
        with self.cond:
            status = self.counters.status
            status[key] = status.get(key, 0) + 1
            for tag in reply.tags:
                self.counters.tags[tag] = self.counters.tags.get(tag, 0) + 1
            if reply.status == 200 and reply.payload is not None:
                usage = reply.payload.get("usage") or {}
                self.counters.prompt_tokens += int(usage.get("prompt_tokens", 0))
                self.counters.completion_tokens += int(usage.get("completion_tokens", 0))
            if reply.status == 200 and digest is not None:
                ok = self.counters.by_body_ok
                ok[digest] = ok.get(digest, 0) + 1

    def admit(self, capacity: int | None, wait: bool, timeout_s: float) -> bool:
        """Take a serving slot; waits (bounded by timeout_s and stop) only when `wait`."""
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while capacity is not None and self.in_flight >= capacity:
                remaining = deadline - time.monotonic()
                if not wait or self.stopping or remaining <= 0:
                    return False
                self.cond.wait(remaining)
            self.in_flight += 1
            self.counters.peak_in_flight = max(self.counters.peak_in_flight, self.in_flight)
            return True

    def release(self) -> None:
        """Free a serving slot and wake one queued request."""
        with self.cond:
            self.in_flight -= 1
            self.cond.notify()

    def stop(self) -> None:
        """Wake every queued request so shutdown never waits for a slot."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def snapshot(self) -> JsonDict:
        """A deep copy of the stats, safe to serialise while requests keep arriving."""
        with self.cond:
            c = self.counters
            stats: JsonDict = {
                "total_requests": c.total_requests,
                "status": dict(c.status),
                "in_flight": self.in_flight,
                "peak_in_flight": c.peak_in_flight,
                "by_body": dict(c.by_body),
                "by_body_ok": dict(c.by_body_ok),
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
            }
            stats.update({tag: c.tags.get(tag, 0) for tag in self.TAGS})
            return stats

    def reset_stats(self) -> None:
        """Zero the stats; repetition counts stay, so fates keep advancing across resets."""
        with self.cond:
            self.counters = _Counters(peak_in_flight=self.in_flight)


# --------------------------------------------------------------------------- engine


class _Engine:
    """Decides replies; knows nothing about sockets so its rules read top to bottom."""

    def __init__(self, config: FakeConfig, responder: Responder) -> None:
        self.config = config
        self.responder = responder
        self.state = _State()
        self._stop_event = threading.Event()

    def stop(self) -> None:
        """Cut short every pause and queue wait."""
        self._stop_event.set()
        self.state.stop()

    def authorized(self, authorization: str | None) -> bool:
        """Constant-time comparison, so the fake never teaches clients timing habits."""
        if self.config.api_key is None:
            return True
        expected = f"Bearer {self.config.api_key}".encode()
        return hmac.compare_digest((authorization or "").encode(), expected)

    def unauthorized(self) -> Reply:
        """OpenAI's 401, deliberately without any part of the received key."""
        return openai_error(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")

    def models_reply(self, authorization: str | None) -> Reply:
        """GET /v1/models in OpenAI's list format."""
        if not self.authorized(authorization):
            return self.unauthorized()
        created = CREATED_BASE + self.config.seed % 1_000_000
        data = [
            {"id": m, "object": "model", "created": created, "owned_by": "benchgate-fake"}
            for m in self.config.models
        ]
        return Reply(200, {"object": "list", "data": data})

    def completion(self, authorization: str | None, raw: bytes) -> Reply:
        """POST /v1/chat/completions: count it, decide the reply, count the outcome."""
        body = parse_body(raw)
        digest = body_hash(body) if body is not None else None
        repetition = self.state.record_receipt(digest)
        reply = self._checked(authorization, body, repetition)
        self.state.record_outcome(reply, digest)
        return reply

    def _checked(self, authorization: str | None, body: JsonDict | None, repetition: int) -> Reply:
        """Checks in the order real servers apply them: auth, request, model, quota, capacity."""
        if not self.authorized(authorization):
            return self.unauthorized()
        if body is None:
            return openai_error(400, "We could not parse the JSON body of your request.")
        invalid = validation_error(body)
        if invalid is not None:
            return invalid
        if body["model"] not in self.config.models:
            message = f"The model `{body['model']}` does not exist or you do not have access to it."
            return openai_error(404, message, code="model_not_found")
        if self.config.insufficient_quota:
            return quota_exhausted()
        return self._admitted(body, repetition)

    def _admitted(self, body: JsonDict, repetition: int) -> Reply:
        """Hold a capacity slot while serving; released before the reply is written.

        Releasing before the write means a client that never has more than `capacity`
        requests outstanding can never see an overload 429 caused by the server's own lag.
        """
        config = self.config
        queue = config.overload == "queue"
        if not self.state.admit(config.capacity, queue, config.queue_timeout_s):
            if queue:
                return overloaded_503(config, "Timed out waiting for a free slot.")
            return rate_limited(config, "overloaded")
        try:
            return self._serve(body, decide_fate(config, canonical_json(body), repetition))
        finally:
            self.state.release()

    def _serve(self, body: JsonDict, fate: Fate) -> Reply:
        """Injected faults first, then the response_format check, then the real reply."""
        if fate.transport == "reset":
            return RESET
        if fate.transport == "503":
            return overloaded_503(self.config, "The server is overloaded or not ready yet.")
        if fate.transport == "429":
            return rate_limited(self.config, "injected")
        tags: tuple[str, ...] = ()
        if fate.slow:
            tags = ("slow",)
            if not self._pause(self.config.slow_s):
                return overloaded_503(self.config, "The server is shutting down.")
        if self.config.reject_json_schema and self._wants_json_schema(body):
            return llama_cpp_schema_error()
        if self.config.reject_response_format and "response_format" in body:
            return fastapi_extra_field("response_format")
        if not self._pause(self.config.service_time_s):
            return overloaded_503(self.config, "The server is shutting down.")
        return self._reply(body, fate, tags)

    @staticmethod
    def _wants_json_schema(body: JsonDict) -> bool:
        """llama.cpp accepts only 'text' and 'json_object' (the latter with a schema)."""
        response_format = body.get("response_format")
        if not isinstance(response_format, dict):
            return False
        return response_format.get("type") not in ("text", "json_object")

    def _pause(self, seconds: float) -> bool:
        """Sleep that stop() cuts short; False when it was cut short."""
        if seconds <= 0:
            return True
        return not self._stop_event.wait(seconds)

    def _reply(self, body: JsonDict, fate: Fate, tags: tuple[str, ...]) -> Reply:
        """The 200 completion, with the responder's content possibly broken by a fault."""
        try:
            content = self.responder(body)
        except Exception as exc:  # a broken test responder must surface as a 500, not a hang
            return openai_error(500, f"Responder failed: {exc!r}", "server_error")
        content, finish_reason, tag = apply_content_fault(content, fate.content)
        payload = chat_completion(self.config, body, fate, content, finish_reason)
        return Reply(200, payload, tags=(*tags, tag) if tag else tags)


# --------------------------------------------------------------------------- HTTP layer


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler; all decisions are delegated to the engine."""

    protocol_version = "HTTP/1.1"
    # http.server writes headers and body in separate send() calls; with Nagle on, the
    # body waits for the client's delayed ACK (~40 ms) on every keep-alive response.
    disable_nagle_algorithm = True
    # Buffer the response so headers and body usually leave in one segment; flushed by
    # http.server after each request.
    wbufsize = 64 * 1024
    # An idle keep-alive connection is dropped after this, so no handler thread lives forever.
    timeout = 120

    def setup(self) -> None:
        """Register the connection so stop() can close it even while the client idles."""
        super().setup()
        self._server().track(self.connection, add=True)

    def finish(self) -> None:
        """Unregister the connection (closing it is http.server's job)."""
        try:
            super().finish()
        finally:
            self._server().track(self.connection, add=False)

    def _server(self) -> _HTTPServer:
        """The typed server (http.server types it as BaseServer)."""
        server = self.server
        assert isinstance(server, _HTTPServer)
        return server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: it would flood test output and cost throughput."""

    def do_GET(self) -> None:
        """Model listing and the stats endpoint."""
        if self._read_body() is None:
            return
        engine = self._server().engine
        route = self.path.split("?", 1)[0]
        if route == "/v1/models":
            self._send(engine.models_reply(self.headers.get("Authorization")))
        elif route == "/_stats":
            self._send(Reply(200, engine.state.snapshot()))
        else:
            self._send(openai_error(404, f"Unknown route: GET {route}"))

    def do_POST(self) -> None:
        """Chat completions and the stats reset endpoint."""
        raw = self._read_body()
        if raw is None:
            return
        engine = self._server().engine
        route = self.path.split("?", 1)[0]
        if route == "/v1/chat/completions":
            self._send(engine.completion(self.headers.get("Authorization"), raw))
        elif route == "/_reset_stats":
            engine.state.reset_stats()
            self._send(Reply(200, {"ok": True}))
        else:
            self._send(openai_error(404, f"Unknown route: POST {route}"))

    def _read_body(self) -> bytes | None:
        """The whole body (so keep-alive stays in sync), or None after sending an error."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(openai_error(411, "Chunked request bodies are not supported."))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._send(openai_error(413, "Request body too large or Content-Length invalid."))
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        """Write a JSON reply with Content-Length, or reset the connection for status 0."""
        if reply.status == 0:
            self._reset()
            return
        body = json.dumps(reply.payload, ensure_ascii=False).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        """Close with SO_LINGER 0: the kernel sends RST, the client sees a reset, not EOF.

        The buffered files hold references to the socket; they are closed first so that
        close() really closes (http.server's own shutdown(SHUT_WR) would send a FIN first).
        wfile is then replaced by a sink because http.server still flushes it afterwards.
        """
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.wfile.close()
        self.wfile = io.BytesIO()
        self.connection.close()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors from http.server, in the OpenAI envelope too."""
        self.close_connection = True
        self._send(openai_error(code, message or explain or "Bad request."))


class _HTTPServer(ThreadingHTTPServer):
    """Thread per connection; sized for hundreds of concurrent keep-alive clients."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # listen() backlog: bursts of connects must not be dropped

    def __init__(self, port: int, engine: _Engine, tls: ssl.SSLContext | None = None) -> None:
        self.engine = engine
        self.tls = tls
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """With TLS, the handshake runs here, in the connection's own thread, not in accept()."""
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            secured = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that rejected our certificate, or spoke plain HTTP
        try:
            super().finish_request(secured, client_address)
        finally:
            secured.close()

    def server_bind(self) -> None:
        """Bind without HTTPServer's getfqdn(), a reverse DNS lookup that can stall offline."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = HOST
        self.server_port = self.server_address[1]

    def track(self, connection: socket.socket, *, add: bool) -> None:
        """Remember or forget an open client connection."""
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every client connection so idle keep-alive handlers exit at once."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (and our own shutdown) are normal; report anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------- public API


class FakeOpenAIServer:
    """The fake server as a context manager: started on entry, stopped on exit."""

    def __init__(
        self,
        config: FakeConfig | None = None,
        responder: Responder | None = None,
        *,
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """`tls`: (certificate, key) PEM files to serve HTTPS instead of HTTP."""
        self.config = config or FakeConfig()
        self._tls = None
        if tls is not None:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls)
        self._engine = _Engine(self.config, responder or make_default_responder(self.config.seed))
        self._requested_port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def responder(self) -> Responder:
        """The content source for 200 replies; assignable while the server runs."""
        return self._engine.responder

    @responder.setter
    def responder(self, responder: Responder) -> None:
        self._engine.responder = responder

    def start(self) -> FakeOpenAIServer:
        """Bind 127.0.0.1 and serve in a daemon thread; returns self for chaining."""
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._httpd = _HTTPServer(self._requested_port, self._engine, self._tls)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-openai-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly, even with queued requests or clients holding keep-alive connections."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._engine.stop()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        thread.join(timeout=5)

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was requested)."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL without `/v1`, e.g. `http://127.0.0.1:43211` (`https://` when serving TLS)."""
        return f"{'https' if self._tls else 'http'}://{HOST}:{self.port}"

    def stats(self) -> JsonDict:
        """Counters since start (or the last reset); same JSON as `GET /_stats`.

        Only chat-completions traffic is counted. Keys: total_requests; status (counts by
        HTTP status as strings, plus "reset" for connections reset without a response, so
        the values sum to total_requests once nothing is in flight); reset, malformed,
        truncated, slow (fault counts); overloaded (capacity 429s); in_flight and
        peak_in_flight (requests holding a capacity slot); by_body and by_body_ok (arrivals
        and 200s per sha256 hex of the canonical request body); prompt_tokens and
        completion_tokens (the usage the 200s reported: about four characters a token).
        """
        return self._engine.state.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters, as `POST /_reset_stats` does."""
        self._engine.state.reset_stats()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    """Flags mirror FakeConfig fields (durations in seconds)."""
    p = argparse.ArgumentParser(
        prog="python -m tests.fakes.openai_server",
        description="Fake OpenAI chat-completions server; prints its base URL once listening.",
    )
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--models", default="judge-model,gen-model", help="comma-separated ids")
    p.add_argument("--api-key", default=None)
    p.add_argument("--service-time", type=float, default=0.0)
    p.add_argument("--capacity", type=int, default=None)
    p.add_argument("--overload", choices=("429", "queue"), default="429")
    p.add_argument("--retry-after", type=float, default=1.0)
    p.add_argument("--queue-timeout", type=float, default=60.0)
    for fault in ("503", "429", "reset", "malformed", "truncated", "slow"):
        p.add_argument(f"--p-{fault}", type=float, default=0.0)
    p.add_argument("--slow-s", "--slow-time", dest="slow_s", type=float, default=5.0)
    p.add_argument("--reject-json-schema", action="store_true")
    p.add_argument("--insufficient-quota", action="store_true")
    p.add_argument("--reject-response-format", action="store_true")
    p.add_argument("--max-lifetime", type=float, default=3600.0, help="exit after this many seconds")
    return p


def config_from_args(args: argparse.Namespace) -> FakeConfig:
    """The FakeConfig a parsed command line describes."""
    return FakeConfig(
        seed=args.seed,
        models=tuple(m.strip() for m in args.models.split(",") if m.strip()),
        api_key=args.api_key,
        service_time_s=args.service_time,
        capacity=args.capacity,
        overload=args.overload,
        retry_after_s=args.retry_after,
        queue_timeout_s=args.queue_timeout,
        p_503=args.p_503,
        p_429=args.p_429,
        p_reset=args.p_reset,
        p_malformed=args.p_malformed,
        p_truncated=args.p_truncated,
        p_slow=args.p_slow,
        slow_s=args.slow_s,
        reject_json_schema=args.reject_json_schema,
        insufficient_quota=args.insufficient_quota,
        reject_response_format=args.reject_response_format,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT (or --max-lifetime, so an orphan cannot live forever)."""
    args = build_parser().parse_args(argv)
    stop_requested = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    deadline = time.monotonic() + args.max_lifetime
    with FakeOpenAIServer(config_from_args(args), port=args.port) as server:
        print(server.url, flush=True)
        # Short polls rather than one long wait: the signal handler only sets a flag.
        while not stop_requested.is_set() and time.monotonic() < deadline:
            time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
