from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from benchgate import neutralise as safe


@pytest.mark.parametrize(
    "text",
    [
        "@someone",
        "<img src=x onerror=alert(1)>",
        "[x](http://evil.example)",
        "<!-- benchgate:channel_digest_ru -->",
        "``` code ``` and ` tick",
        "`starts and ends`",
        "a | b | c",
        "line one\nline two\n\nline four",
    ],
)
def test_inline_is_a_single_code_span(text: str) -> None:
    rendered = safe.inline(text)
    assert "<!--" not in rendered and "|" not in rendered and "\n" not in rendered
    tokens = MarkdownIt("commonmark").parseInline(rendered)[0].children or []
    assert [t.type for t in tokens] == ["code_inline"]


def test_inline_truncates_and_marks_empty() -> None:
    assert safe.inline("x" * 300, limit=10) == "`xxxxxxxxx…`"
    assert safe.inline("   ") == "(empty)"
    assert safe.inline(None) == "—"


def test_block_cannot_be_closed_by_its_content() -> None:
    text = "before\n```\n<b>escaped?</b>\n````\n@team"
    rendered = safe.block(text)
    tokens = MarkdownIt("commonmark").parse(rendered)
    assert [t.type for t in tokens] == ["fence"]
    assert "<b>escaped?</b>" in tokens[0].content
    assert "@\u200bteam" in tokens[0].content


def test_our_commands_stay_copyable_but_never_carry_the_marker() -> None:
    rendered = safe.block("dvc repro bench@x-dry-run\n<!-- benchgate:x -->", language="bash", ours=True)
    assert "bench@x-dry-run" in rendered
    assert "<!-- benchgate" not in rendered


def test_prose_escapes_markdown() -> None:
    assert safe.text("a <b> [c](d) @e") == "a \\<b\\> \\[c\\](d) @\u200be"
