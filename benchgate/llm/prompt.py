"""Rendering a sample's input into the prompt under test and into the judge's view. Pure."""

from __future__ import annotations

import json
import re
from typing import Any

from benchgate.errors import InputError, Problem

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)


def render_posts(posts: list[Any]) -> str:
    """Posts as numbered lines `1. [08:15] text`; other items as JSON."""
    lines = []
    for number, post in enumerate(posts, start=1):
        if isinstance(post, dict) and isinstance(post.get("text"), str):
            time = f"[{post['time']}] " if isinstance(post.get("time"), str) else ""
            lines.append(f"{number}. {time}{post['text']}")
        else:
            lines.append(
                f"{number}. {post if isinstance(post, str) else json.dumps(post, ensure_ascii=False)}"
            )
    return "\n".join(lines)


def render_value(value: Any) -> str:
    """One input field as prompt text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return render_posts(value)
    return json.dumps(value, ensure_ascii=False)


def render_input(sample_input: Any) -> str:
    """The whole input for the judge: each field under its name, posts numbered."""
    if isinstance(sample_input, str):
        return sample_input
    return "\n".join(
        f"{key}:\n{render_value(value)}" if isinstance(value, list) else f"{key}: {render_value(value)}"
        for key, value in sample_input.items()
    )


def placeholders(template: str) -> list[str]:
    """Names used in the template, in order of first use."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(_COMMENT.sub("", template))))


def render_prompt(template: str, sample_input: Any, *, shown: str, sample_id: str) -> str:
    """Fill `{{name}}` from the input (a string input fills `{{input}}`); HTML comments are dropped."""
    fields = {"input": sample_input} if isinstance(sample_input, str) else dict(sample_input)
    body = _COMMENT.sub("", template)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fields:
            line = template[: template.find(match.group(0))].count("\n") + 1
            known = ", ".join(sorted(fields)) or "none"
            raise InputError(
                [
                    Problem(
                        shown,
                        line,
                        f"{{{{{name}}}}}",
                        f"sample {sample_id!r} has no input field {name!r} ({known})",
                    )
                ]
            )
        return render_value(fields[name])

    return _PLACEHOLDER.sub(fill, body).strip() + "\n"
