"""What an OpenAI-compatible server sends back, read without trusting its shape. Pure.

Servers differ and proxies in front of them differ more: a 200 may carry an HTML page, a JSON
list or an object without `choices`; an error may put its text in `error.message` (OpenAI),
`message`, `detail` as a string or as FastAPI's list of `{loc, msg}` (vLLM, llama-cpp-python)
or nowhere but the raw body. Every shape is read into the same few fields or rejected with a
reason; nothing here raises anything else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_DETAIL_CHARS = 300
_SPACES = re.compile(r"\s+")


class Malformed(ValueError):
    """A 200 whose body is not a chat completion; the message says what is wrong with it."""


@dataclass(frozen=True)
class Completion:
    """The parts of a chat completion benchgate uses."""

    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    served_model: str | None
    """The `model` the server says answered (an alias may resolve to a dated snapshot)."""


@dataclass(frozen=True)
class ErrorDetail:
    """An error answer's text and machine-readable labels."""

    text: str
    """One line, at most 300 characters."""
    labels: frozenset[str]
    """Every string `code` and `type` found (e.g. "insufficient_quota")."""


def read_completion(raw: bytes) -> Completion:
    """The completion in a 200's body; `Malformed` naming the first thing that is not as promised."""
    body = _json(raw)
    if body is None:
        raise Malformed("body is not JSON")
    if not isinstance(body, dict):
        raise Malformed(f"body is a JSON {_kind(body)}, not an object")
    choices = body.get("choices")
    if not isinstance(choices, list):
        raise Malformed("body has no `choices` list" if choices is None else "`choices` is not a list")
    if not choices:
        raise Malformed("`choices` is empty")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise Malformed(f"choices[0] is a JSON {_kind(choice)}, not an object")
    message = choice.get("message")
    if not isinstance(message, dict):
        raise Malformed("choices[0].message is missing or not an object")
    content = _text(message.get("content"))
    if content is None:
        raise Malformed("choices[0].message.content is not text")
    usage = body.get("usage")
    if not isinstance(usage, dict):
        usage = {}
    finish = choice.get("finish_reason")
    model = body.get("model")
    return Completion(
        content,
        finish if isinstance(finish, str) else None,
        _count(usage.get("prompt_tokens")),
        _count(usage.get("completion_tokens")),
        model[:200] if isinstance(model, str) and model else None,
    )


def error_detail(raw: bytes, reason: str) -> ErrorDetail:
    """An error body's message from wherever the server put it; else the raw text; else `reason`."""
    body = _json(raw)
    parts: list[str] = []
    labels: set[str] = set()
    if isinstance(body, dict):
        error = body.get("error")
        for holder in (error, body):
            if isinstance(holder, dict):
                labels.update(v for k in ("code", "type") if isinstance(v := holder.get(k), str))
        if isinstance(error, dict):
            parts.append(_described(error.get("message")))
            if isinstance(error.get("param"), str):
                parts.append(f"(param {error['param']})")
        else:
            parts.append(_described(error))
        parts += [_described(body.get("message")), _described(body.get("detail"))]
    text = " ".join(p for p in parts if p) or _plain(raw) or reason
    return ErrorDetail(_one_line(text), frozenset(labels))


def _described(value: Any) -> str:
    """A message, a detail string, or FastAPI's `[{"loc": [...], "msg": ...}]` as `loc: msg; ...`."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        items = []
        for item in value[:5]:
            if isinstance(item, dict):
                loc = item.get("loc")
                where = ".".join(str(p) for p in loc) if isinstance(loc, list) else ""
                msg = _described(item.get("msg") or item.get("message"))
                items.append(f"{where}: {msg}" if where else msg)
            else:
                items.append(_described(item))
        return "; ".join(i for i in items if i)
    if isinstance(value, dict):
        return _described(value.get("message") or value.get("msg")) or _compact(value)
    return "" if value is None else _compact(value)


def _text(content: Any) -> str | None:
    """Message content: a string, null (nothing said), or a list of typed parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict)]
        if all(isinstance(t, str) for t in texts):
            return "".join(t for t in texts if isinstance(t, str))
    return None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the parser's depth
        return None


def _count(value: Any) -> int:
    """A token count, or 0 for anything that is not a non-negative integer (bools included)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _kind(value: Any) -> str:
    return {list: "list", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)[:_DETAIL_CHARS]
    except (TypeError, ValueError, RecursionError):
        return ""


def _plain(raw: bytes) -> str:
    return raw[: 4 * _DETAIL_CHARS].decode("utf-8", errors="replace").strip()


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()[:_DETAIL_CHARS]
