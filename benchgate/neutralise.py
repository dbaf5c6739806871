"""Untrusted text (model outputs, judge replies, sample ids) made inert for Markdown. Pure.

Everything untrusted is shown as code, where GitHub renders no HTML, links, images or
mentions. On top of that, a zero-width space breaks `@name` and `<!--`, so that neither a
copy of the text nor a raw-body search for our sticky marker can be fooled; in prose, which
GitHub autolinks, it also breaks `://` and `www.`, and escapes `&` so that an entity such as
`&commat;` cannot spell a mention after rendering. Bidirectional and invisible formatting
characters (which can make text read differently from what it is) are shown as `⟨U+XXXX⟩`.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_BACKTICKS = re.compile(r"`+")
_WHITESPACE = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(text: str) -> str:
    """Bidi overrides, isolates and marks made visible, so text cannot reorder what surrounds it."""
    return _INVISIBLE.sub(lambda match: f"⟨U+{ord(match.group()):04X}⟩", text)


def defuse(text: str) -> str:
    """Break mentions and HTML comment openers without changing what a reader sees."""
    return _defuse_marker(visible(text).replace("@", "@" + ZWSP))


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


def text(plain: str, limit: int = 1_000) -> str:
    """Prose that may quote untrusted names: one line, Markdown punctuation and `&` escaped,
    mentions and links broken."""
    flat = _WHITESPACE.sub(" ", plain).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    # Prose is autolinked by GitHub (code is not): break URL schemes and `www.` too.
    unlinked = flat.replace("://", ":" + ZWSP + "//").replace("www.", "www" + ZWSP + ".")
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", unlinked).replace("&", "&amp;")
    return defuse(escaped)
