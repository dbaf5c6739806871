"""An async client for OpenAI-compatible `/v1/chat/completions`: retries, back-pressure, cache."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchgate import __version__
from benchgate.errors import LLMError
from benchgate.llm.cache import ResponseCache, cache_key, canonical
from benchgate.llm.limiter import AdaptiveLimiter
from benchgate.llm.transport import Transports
from benchgate.retry import (
    RETRYABLE_STATUS,
    RetryPolicy,
    TransientHTTPError,
    error_kind,
    retry_after_s,
    with_retries,
)

_FORMAT_REJECTION = re.compile(
    r"response_format|json_schema|json_object|Input should be 'text'", re.IGNORECASE
)
_TOKEN_LIKE = re.compile(r"\b(sk|pk|key|tok|token)[-_][A-Za-z0-9*._-]{4,}", re.IGNORECASE)


class UnsupportedResponseFormat(Exception):
    """The endpoint rejected the requested `response_format`; the caller tries a simpler one."""


@dataclass(frozen=True)
class Reply:
    """One completion, fresh or from the cache."""

    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cached: bool


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


def chat_url(base: str) -> str:
    """Accept `http://host:port`, `.../v1` or the full path, as the pilot's LLM_URL did."""
    url = base.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


def shown_url(url: str) -> str:
    """The URL without credentials, for messages."""
    return re.sub(r"//[^/@]*@", "//", url)


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
    ) -> None:
        self._api_key = api_key
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
        ]
        if api_key:
            self._headers.append((b"authorization", f"Bearer {api_key}".encode()))
        connect = min(timeout_s, 10.0)
        self._timeouts = {"connect": connect, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
        self._transports = Transports(transport)
        self._urls: dict[str, httpx.URL] = {}

    async def aclose(self) -> None:
        """Close connections."""
        await self._transports.aclose()

    async def complete(
        self, url: str, payload: dict[str, Any], key_extra: dict[str, Any] | None = None
    ) -> Reply:
        """One completion; served from the cache when this exact call was made before."""
        body = canonical(payload)
        key = cache_key(body, key_extra or {})
        if self.cache is not None:
            stored = self.cache.get(key)
            if stored is not None:
                self.stats.cache_hits += 1
                return Reply(cached=True, **stored)
        self.stats.cache_misses += 1
        reply = await self._send_with_retries(chat_url(url), payload, body)
        if self.cache is not None:
            self.cache.put(key, str(payload.get("model")), _stored(reply))
        return reply

    async def _send_with_retries(self, url: str, payload: dict[str, Any], body: bytes) -> Reply:
        try:
            return await with_retries(
                lambda: self._send(url, payload, body),
                self._policy,
                on_retry=self._count_retry,
                answered_once=lambda: self._answered,
            )
        except (TransientHTTPError, httpx.TransportError, httpx.TimeoutException) as exc:
            model = payload.get("model")
            raise LLMError(
                f"LLM endpoint {shown_url(url)} (model {model!r}) still failing after retries: "
                f"{self._scrub(str(exc) or error_kind(exc))}; finished calls are cached, rerun to resume"
            ) from None

    async def _send(self, url: str, payload: dict[str, Any], body: bytes) -> Reply:
        async with self.limiter.slot():
            if self._fatal is not None:
                raise self._fatal  # one refusal is enough: send nothing more
            in_flight = self.limiter.in_flight
            self.stats.requests += 1
            started = time.perf_counter()
            try:
                response = await self._post(url, body)
            except httpx.TimeoutException:
                self.limiter.faltered()
                raise
            elapsed = time.perf_counter() - started
        self._answered = True
        if response.status_code == 200:
            self.limiter.succeeded()
            return self._parse(url, payload, response, elapsed)
        self._raise_for(url, payload, response, in_flight)
        raise AssertionError("unreachable")

    async def _post(self, url: str, body: bytes) -> httpx.Response:
        # The transport directly, without httpx.Client's cookie jar, auth and redirect
        # machinery: none applies to an API call, and together they cost ~0.5 ms a request.
        parsed = self._urls.get(url) or self._urls.setdefault(url, httpx.URL(url))
        request = httpx.Request(
            "POST", parsed, headers=self._headers, content=body, extensions={"timeout": self._timeouts}
        )
        response = await self._transports.for_url(parsed).handle_async_request(request)
        await response.aread()
        return response

    def _parse(self, url: str, payload: dict[str, Any], response: httpx.Response, elapsed: float) -> Reply:
        try:
            body = response.json()
            choice = body["choices"][0]
            content = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise TransientHTTPError(200, None, "reply is not an OpenAI chat completion") from None
        usage = body.get("usage") or {}
        prompt, completion = (
            int(usage.get("prompt_tokens") or 0),
            int(usage.get("completion_tokens") or 0),
        )
        self.stats.prompt_tokens += prompt
        self.stats.completion_tokens += completion
        counts = self.stats.tokens_by_model.setdefault(str(payload.get("model")), [0, 0])
        counts[0] += prompt
        counts[1] += completion
        return Reply(
            str(content),
            choice.get("finish_reason"),
            prompt,
            completion,
            round(elapsed, 3),
            cached=False,
        )

    def _raise_for(self, url: str, payload: dict[str, Any], response: httpx.Response, in_flight: int) -> None:
        status = response.status_code
        detail, code = _error_detail(response)
        detail = self._scrub(detail)
        if "response_format" in payload and status in (400, 422, 500) and _FORMAT_REJECTION.search(detail):
            raise UnsupportedResponseFormat(detail)
        where = f"LLM endpoint {shown_url(url)} (model {payload.get('model')!r})"
        if code == "insufficient_quota":
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


def _error_detail(response: httpx.Response) -> tuple[str, str | None]:
    try:
        error = response.json().get("error")
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase, None
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300], error.get("code") if isinstance(
            error.get("code"), str
        ) else None
    return str(error)[:300], None


def _stored(reply: Reply) -> dict[str, Any]:
    return {
        "content": reply.content,
        "finish_reason": reply.finish_reason,
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "latency_s": reply.latency_s,
    }
