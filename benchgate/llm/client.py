"""An async client for OpenAI-compatible `/v1/chat/completions`: retries, back-pressure, cache."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from benchgate import __version__
from benchgate.errors import LLMError
from benchgate.llm.budget import Budget
from benchgate.llm.cache import UNREADABLE_AGAIN, UNREADABLE_ONCE, ResponseCache, Stored, cache_key, canonical
from benchgate.llm.endpoint import Endpoint, shown_url
from benchgate.llm.limiter import AdaptiveLimiter
from benchgate.llm.transport import Transports
from benchgate.llm.wire import Malformed, read_completion
from benchgate.llm.wire import error_detail as read_error
from benchgate.retry import (
    RETRYABLE_STATUS,
    MalformedReply,
    RetryPolicy,
    ServerWaitTooLong,
    TransientHTTPError,
    certificate_failure,
    error_kind,
    retry_after_s,
    with_retries,
)

_FORMAT_REJECTION = re.compile(
    r"response_format|json_schema|json_object|structured output|Input should be 'text'", re.IGNORECASE
)
_TOKEN_LIKE = re.compile(r"\b(sk|pk|key|tok|token)[-_][A-Za-z0-9*._-]{4,}", re.IGNORECASE)
_STORED_FIELDS = {"content": str, "prompt_tokens": int, "completion_tokens": int, "latency_s": float}


class UnsupportedResponseFormat(Exception):
    """The endpoint rejected the request's `response_format`; the caller tries a simpler one.

    The message is the complete error for when no simpler format is left to try.
    """


@dataclass(frozen=True)
class Reply:
    """One completion, fresh or from the cache."""

    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cached: bool
    served_model: str | None = None
    """The model the server said answered."""
    key: str | None = None
    """The cache key, when the cache is on."""
    unreadable_runs: int = 0
    """Earlier runs that found this call's reply unreadable (0, or 1 for a second look)."""


@dataclass
class CallStats:
    """What the calls cost and how they went."""

    requests: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    cache_hits: int = 0
    cache_misses: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_by_model: dict[str, list[int]] = field(default_factory=dict)
    """Model -> [prompt, completion] tokens of fresh calls."""


class ChatClient:
    """Sends chat completions with one retry policy, adaptive concurrency and a response cache."""

    def __init__(
        self,
        *,
        api_key: str | None,
        policy: RetryPolicy,
        limiter: AdaptiveLimiter,
        timeout_s: float,
        cache: ResponseCache | None,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: Budget | None = None,
    ) -> None:
        self._api_key = api_key
        self.budget = budget
        self._policy = policy
        self.limiter = limiter
        self.cache = cache
        self.stats = CallStats()
        self._answered = False
        self._fatal: LLMError | None = None
        self._headers = [
            (b"user-agent", f"benchgate/{__version__}".encode()),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json"),
            (b"accept-encoding", b"identity"),  # small answers: compressing them only costs CPU
        ]
        if api_key:
            self._headers.append((b"authorization", f"Bearer {api_key}".encode()))
        connect = min(timeout_s, 10.0)
        self._timeouts = {"connect": connect, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
        self._transports = Transports(transport)
        self._routes: dict[str, tuple[httpx.URL, httpx.Headers]] = {}
        self._served: dict[tuple[str, str], str] = {}
        """(endpoint identity, requested model) -> the model it served in this run."""

    def check(self, endpoint: Endpoint) -> None:
        """Build the route to `endpoint` now, so a proxy this install cannot use fails before any work."""
        self._transports.for_url(self._route(endpoint)[0])

    async def aclose(self) -> None:
        """Close connections."""
        await self._transports.aclose()

    async def complete(
        self, endpoint: Endpoint, payload: dict[str, Any], key_extra: dict[str, Any] | None = None
    ) -> Reply:
        """One completion; served from the cache when this exact call was made before."""
        body = canonical(payload)
        model = str(payload.get("model"))
        key = cache_key(body, endpoint.identity, key_extra or {})
        second_look = 0
        if self.cache is not None:
            stored = self.cache.get(key)
            if stored is not None:
                replayed = self._replayable(stored, (endpoint.identity, model), key)
                if replayed is not None:
                    self.stats.cache_hits += 1
                    return replayed
                second_look = int(stored.unreadable == UNREADABLE_ONCE)
        reservation = self.budget.admit(payload) if self.budget is not None else 0.0
        self.stats.cache_misses += 1
        try:
            reply = await self._send_with_retries(endpoint, payload, body)
        except BaseException:
            if self.budget is not None:
                self.budget.release(reservation)
            raise
        if self.budget is not None:
            self.budget.settle(reservation, model, reply.prompt_tokens, reply.completion_tokens)
        if reply.served_model is not None:
            self._served[endpoint.identity, model] = reply.served_model
        if self.cache is None:
            return reply
        self.cache.put(key, model, reply.served_model, _stored(reply))
        return replace(reply, key=key, unreadable_runs=second_look)

    def mark_unreadable(self, reply: Reply) -> None:
        """The judge could not read `reply`: the next run asks again, once."""
        if self.cache is not None and reply.key is not None and reply.unreadable_runs < UNREADABLE_AGAIN:
            self.cache.flag_unreadable(reply.key, reply.unreadable_runs + 1)

    def _replayable(self, stored: Stored, served_key: tuple[str, str], key: str) -> Reply | None:
        """A cached reply, unless it awaits its second look or another model serves this endpoint now."""
        if stored.unreadable == UNREADABLE_ONCE:
            return None
        current = self._served.get(served_key)
        if current is not None and stored.served is not None and stored.served != current:
            return None
        row = stored.reply
        if any(not isinstance(row.get(name), kind) for name, kind in _STORED_FIELDS.items()):
            return None  # written by another version, or edited: ask again
        finish = row.get("finish_reason")
        return Reply(
            row["content"],
            finish if isinstance(finish, str) else None,
            row["prompt_tokens"],
            row["completion_tokens"],
            row["latency_s"],
            cached=True,
            served_model=stored.served,
            key=key,
            unreadable_runs=stored.unreadable,
        )

    async def _send_with_retries(self, endpoint: Endpoint, payload: dict[str, Any], body: bytes) -> Reply:
        try:
            return await with_retries(
                lambda: self._send(endpoint, payload, body),
                self._policy,
                on_retry=self._count_retry,
                answered_once=lambda: self._answered,
            )
        except ServerWaitTooLong as exc:
            where = _where(endpoint, payload)
            raise LLMError(
                f"{where}: {self._scrub(str(exc))}; finished calls are cached, rerun later"
            ) from None
        except (TransientHTTPError, httpx.HTTPError) as exc:
            rejected = certificate_failure(exc)
            if rejected is not None:
                raise LLMError(
                    f"{_where(endpoint, payload)}: TLS certificate not trusted "
                    f"({getattr(rejected, 'verify_message', None) or rejected}); if your own CA signed it, "
                    "set SSL_CERT_FILE to that CA's PEM file (or SSL_CERT_DIR to a hashed directory)"
                ) from None
            raise LLMError(
                f"{_where(endpoint, payload)} still failing after retries: "
                f"{self._scrub(str(exc) or error_kind(exc))}; finished calls are cached, rerun to resume"
            ) from None

    async def _send(self, endpoint: Endpoint, payload: dict[str, Any], body: bytes) -> Reply:
        async with self.limiter.slot():
            if self._fatal is not None:
                raise self._fatal  # one refusal is enough: send nothing more
            in_flight = self.limiter.in_flight
            self.stats.requests += 1
            started = time.perf_counter()
            try:
                response = await self._post(endpoint, body)
            except httpx.TimeoutException:
                self.limiter.faltered()
                raise
            elapsed = time.perf_counter() - started
        self._answered = True
        if response.status_code == 200:
            self.limiter.succeeded()
            return self._parse(payload, response, elapsed)
        self._raise_for(endpoint, payload, response, in_flight)
        raise AssertionError("unreachable")

    def _route(self, endpoint: Endpoint) -> tuple[httpx.URL, httpx.Headers]:
        """The parsed URL and the request headers (Host included), built once per endpoint."""
        route = self._routes.get(endpoint.url)
        if route is None:
            url = httpx.URL(endpoint.url)
            host = httpx.Request("POST", url).headers["host"].encode()
            route = self._routes[endpoint.url] = (url, httpx.Headers([*self._headers, (b"host", host)]))
        return route

    async def _post(self, endpoint: Endpoint, body: bytes) -> httpx.Response:
        # The transport directly, without httpx.Client's cookie jar, auth and redirect
        # machinery: none applies to an API call, and together they cost ~0.5 ms a request.
        url, headers = self._route(endpoint)
        request = httpx.Request(
            "POST", url, headers=headers, content=body, extensions={"timeout": self._timeouts}
        )
        response = await self._transports.for_url(url).handle_async_request(request)
        await response.aread()
        return response

    def _parse(self, payload: dict[str, Any], response: httpx.Response, elapsed: float) -> Reply:
        try:
            completion = read_completion(response.content)
        except Malformed as exc:
            raise MalformedReply(str(exc)) from None
        prompt, completion_tokens = completion.prompt_tokens, completion.completion_tokens
        self.stats.prompt_tokens += prompt
        self.stats.completion_tokens += completion_tokens
        counts = self.stats.tokens_by_model.setdefault(str(payload.get("model")), [0, 0])
        counts[0] += prompt
        counts[1] += completion_tokens
        return Reply(
            completion.content,
            completion.finish_reason,
            prompt,
            completion_tokens,
            round(elapsed, 3),
            cached=False,
            served_model=completion.served_model,
        )

    def _raise_for(
        self, endpoint: Endpoint, payload: dict[str, Any], response: httpx.Response, in_flight: int
    ) -> None:
        status = response.status_code
        error = read_error(response.content, response.reason_phrase or "no detail")
        detail = self._scrub(error.text)
        where = _where(endpoint, payload)
        if "response_format" in payload and (
            # The next try differs only in response_format, and a format is only remembered once
            # a request in it succeeds, so any 400/422 may be taken for a rejection of it; a 500
            # may be transient, so only one that names the format counts (llama.cpp's does).
            status in (400, 422) or (status == 500 and _FORMAT_REJECTION.search(detail))
        ):
            raise UnsupportedResponseFormat(f"{where}: HTTP {status} {detail} (the request was rejected)")
        if "insufficient_quota" in error.labels:
            raise self._fail(f"{where}: insufficient quota ({detail}); add credit or use another key")
        if status in RETRYABLE_STATUS or status >= 500:
            if status == 429:
                self.limiter.overloaded(in_flight)
            elif status == 503:
                self.limiter.faltered()
            raise TransientHTTPError(status, retry_after_s(response.headers), detail)
        hint = {
            401: "check LLM_API_KEY",
            403: "the key may not use this model",
            404: "check the model name and LLM_URL",
        }.get(status, "the request was rejected")
        if 300 <= status < 400:
            hint = f"it redirects to {shown_url(response.headers.get('location', '?'))}; use that address"
        raise self._fail(f"{where}: HTTP {status} {detail} ({hint})")

    def _fail(self, message: str) -> LLMError:
        self._fatal = LLMError(message)
        return self._fatal

    def _count_retry(self, kind: str) -> None:
        self.stats.retries[kind] += 1

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "[redacted]")
        return _TOKEN_LIKE.sub("[redacted]", text)


def _where(endpoint: Endpoint, payload: dict[str, Any]) -> str:
    return f"LLM endpoint {endpoint.shown} (model {payload.get('model')!r})"


def _stored(reply: Reply) -> dict[str, Any]:
    return {
        "content": reply.content,
        "finish_reason": reply.finish_reason,
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "latency_s": reply.latency_s,
    }
