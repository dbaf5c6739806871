"""Untrusted text (model outputs, judge replies, sample ids) made inert for Markdown. Pure.

Everything untrusted is shown as code, where GitHub renders no HTML, links, images or
mentions. On top of that, a zero-width space breaks `@name` and `<!--`, so that neither a
copy of the text nor a raw-body search for our sticky marker can be fooled; in prose, which
GitHub autolinks, it also breaks `://` and `www.`.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_BACKTICKS = re.compile(r"`+")
_WHITESPACE = re.compile(r"\s+")


def defuse(text: str) -> str:
    """Break mentions and HTML comment openers without changing what a reader sees."""
    return _defuse_marker(text.replace("@", "@" + ZWSP))


def _defuse_marker(text: str) -> str:
    return text.replace("<!--", "<!" + ZWSP + "--").replace("-->", "--" + ZWSP + ">")


def inline(text: str | None, limit: int = 120) -> str:
    """One line of code, safe inside a table cell."""
    if text is None:
        return "—"
    flat = _WHITESPACE.sub(" ", text).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    if not flat:
        return "(empty)"
    flat = defuse(flat).replace("|", "¦")
    fence = "`" * (_longest_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def block(text: str, limit: int = 2000, language: str = "text", *, ours: bool = False) -> str:
    """A fenced code block that no content can close early.

    `ours` marks text we wrote (commands to copy): only marker look-alikes are broken,
    so that it still pastes into a shell.
    """
    body = text if len(text) <= limit else text[:limit] + "\n… (truncated)"
    body = _defuse_marker(body) if ours else defuse(body)
    fence = "`" * max(3, _longest_run(body) + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>!|#~])")


def text(plain: str) -> str:
    """Prose that may quote untrusted names: Markdown punctuation escaped, mentions broken."""
    # Prose is autolinked by GitHub (code is not): break URL schemes and `www.` too.
    unlinked = plain.replace("://", ":" + ZWSP + "//").replace("www.", "www" + ZWSP + ".")
    return defuse(_MARKDOWN_PUNCTUATION.sub(r"\\\1", unlinked))
