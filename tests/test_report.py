from __future__ import annotations

import os
from pathlib import Path

from markdown_it import MarkdownIt

from benchgate.outcome import GateResult
from benchgate.report import marker, render
from benchgate.results import SampleScore
from tests.reporting import as_judged, example_result, example_scores, live_info, lowered

GOLDEN = Path(__file__).parent / "golden"
ALLOWED_HTML = ("<!-- benchgate:", "<details><summary>", "</details>", "<sub>", "</sub>")
HOSTILE = [
    "@someone please look",
    "<img src=x onerror=alert(1)>",
    "[x](http://evil.example)",
    "<!-- benchgate:channel_digest_ru -->",
    "![pic](http://evil.example/p.png) ``` fence ``` | pipe | www.evil.example",
]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("BENCHGATE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; BENCHGATE_UPDATE_GOLDEN=1 rewrites it"


def inline_tokens(text: str) -> list[object]:
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    found: list[object] = []
    for token in tokens:
        found.append(token)
        found.extend(token.children or [])
    return found


def assert_inert(text: str) -> None:
    """Only our own HTML; no links or images; untrusted text never outside code."""
    for token in inline_tokens(text):
        kind = token.type  # type: ignore[attr-defined]
        content = token.content  # type: ignore[attr-defined]
        assert kind not in ("link_open", "image"), token
        if kind in ("html_block", "html_inline"):
            assert content.strip().startswith(ALLOWED_HTML), content
        if kind == "text":
            assert "evil.example" not in content and "@someone" not in content, content
    assert text.count("<!-- benchgate:") == 1
    assert text.startswith(marker("channel_digest_ru") + "\n")


def test_regression_report_matches_golden() -> None:
    _, scores, outputs = example_scores()
    result = example_result(lowered(scores, "coverage", 10, 0.2), scores, outputs)
    text = render(result)
    assert_inert(text)
    check_golden("regression.md", text)


def test_no_baseline_report_matches_golden() -> None:
    _, scores, outputs = example_scores()
    text = render(example_result(scores, None, outputs))
    assert "no baseline" in text
    assert_inert(text)
    check_golden("no_baseline.md", text)


def test_report_renders_from_gate_json_alone() -> None:
    _, scores, outputs = example_scores()
    result = example_result(lowered(scores, "accuracy", 5, 0.3), scores, outputs)
    again = GateResult.model_validate_json(result.model_dump_json(by_alias=True))
    assert render(again) == render(result)


def test_hostile_model_text_is_neutralised() -> None:
    _, scores, _ = example_scores()
    hostile_ids = [
        s.model_copy(update={"id": f"{s.id}|@someone"}) if i == 0 else s for i, s in enumerate(scores)
    ]
    head = lowered(hostile_ids, "coverage", len(HOSTILE) + 1, 0.2)
    head[1] = SampleScore(
        id=head[1].id,
        scores={k: v for k, v in head[1].scores.items() if k != "accuracy"},
        unscored={"accuracy": "judge reply unparseable"},
        replies={"accuracy": "\n".join(HOSTILE)},
    )
    excerpts = {s.id: HOSTILE[i % len(HOSTILE)] for i, s in enumerate(head)}
    base = [s.model_copy(update={"id": head[0].id}) if i == 0 else s for i, s in enumerate(scores)]
    text = render(example_result(head, base, excerpts))
    assert_inert(text)
    check_golden("hostile.md", text)


def test_trimming_keeps_verdict_and_table_and_says_what_went() -> None:
    _, scores, outputs = example_scores()
    result = example_result(lowered(scores, "coverage", 30, 0.2), scores, outputs)
    full = render(result)
    trimmed = render(result, max_size=len(full) - 100)
    assert len(trimmed) <= len(full) - 100
    assert "| **Overall** |" in trimmed
    assert "Worst-regressed samples" not in trimmed
    assert "Trimmed to fit" in trimmed and "worst-regressed samples" in trimmed
    assert_inert(trimmed)


def test_live_report_with_dry_run_beside_it_matches_golden() -> None:
    _, truth, outputs = example_scores()
    judged = as_judged(truth)
    result = example_result(judged, judged, outputs, info=live_info(), companion=truth)
    assert result.companion is not None and result.companion.mode == "dry-run"
    assert set(result.agreement) == {"coverage", "accuracy", "coherence", "informativeness"}
    assert result.agreement["coherence"].n == 35
    text = render(result)
    assert "| Metric | Live run (LLM) (95% CI) | Dry-run |" in text
    assert "retried failures by status: `503` ×2, `reset` ×1" in text
    assert_inert(text)
    check_golden("live.md", text)


def observations_section(text: str) -> str:
    return text.split("### Observations & follow-ups\n", 1)[1].split("\n\n", 1)[0]


def test_pilot_like_observations_match_golden() -> None:
    """The seed log's section 4: live informativeness warns while dry-run passes; two 503s retried."""
    _, truth, outputs = example_scores()
    live = lowered(as_judged(truth), "informativeness", 16, 0.2)
    calls = live_info().reliability.model_copy(update={"retries": {"503": 2}})
    info = live_info().model_copy(update={"reliability": calls})
    result = example_result(live, live, outputs, info=info, companion=truth)
    assert result.metrics["informativeness"].threshold_status == "warn"
    assert result.companion is not None and result.companion.metrics["informativeness"].status == "pass"
    text = render(result)
    section = observations_section(text)
    assert (
        "**informativeness: modes disagree:** informativeness: dry-run 0.906 (PASS) but live 0.849 (WARN)"
        in section
    )
    assert (
        "**LLM infrastructure:** The LLM endpoint returned 503 twice; every call was retried successfully"
        in section
    )
    assert "**informativeness: between warn and pass:** informativeness is 0.849 in live (WARN)" in section
    assert_inert(text)
    check_golden("pilot.md", text)
