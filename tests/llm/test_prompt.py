from __future__ import annotations

import pytest

from benchgate.errors import InputError
from benchgate.llm.prompt import placeholders, render_input, render_prompt

TEMPLATE = "<!-- prompt_version: v1 -->\nКанал «{{channel}}» за {{ date }}:\n{{posts}}\n"
INPUT = {
    "channel": "Вестник",
    "date": "2025-11-09",
    "posts": [{"id": 1, "time": "08:15", "text": "Мост закрыт."}, {"text": "Без времени."}],
}


def test_render_prompt_fills_fields_and_numbers_posts() -> None:
    text = render_prompt(TEMPLATE, INPUT, shown="prompt.md", sample_id="s1")
    assert text == "Канал «Вестник» за 2025-11-09:\n1. [08:15] Мост закрыт.\n2. Без времени.\n"
    assert placeholders(TEMPLATE) == ["channel", "date", "posts"]


def test_a_string_input_fills_the_input_placeholder() -> None:
    assert render_prompt("Q: {{input}}", "why?", shown="p.md", sample_id="s") == "Q: why?\n"


def test_a_missing_field_names_prompt_line_and_sample() -> None:
    with pytest.raises(InputError) as caught:
        render_prompt("line one\nline two {{author}}\n", INPUT, shown="prompt.md", sample_id="s7")
    assert str(caught.value) == (
        "prompt.md:2: {{author}}: sample 's7' has no input field 'author' (channel, date, posts)"
    )


def test_render_input_for_the_judge() -> None:
    assert (
        render_input(INPUT)
        == "channel: Вестник\ndate: 2025-11-09\nposts:\n1. [08:15] Мост закрыт.\n2. Без времени."
    )
