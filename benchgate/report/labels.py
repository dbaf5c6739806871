"""Words and marks shared by the report's sections. Pure."""

from __future__ import annotations

from benchgate.outcome import Calibration, Status, Verdict

STATUS: dict[Status, str] = {"pass": "✅ PASS", "warn": "⚠️ WARN", "fail": "❌ FAIL"}
ICON: dict[Status, str] = {"pass": "✅", "warn": "⚠️", "fail": "❌"}
VERDICT: dict[Verdict, str] = {
    "improved": "▲ improved",
    "unchanged": "= unchanged",
    "regressed": "▼ regressed",
    "inconclusive": "? inconclusive",
    "no-baseline": "— no baseline",
    "skipped": "⏭ skipped",
}
CALIBRATION: dict[Calibration | None, str] = {"calibrated": "✅ calibrated", "uncalibrated": "⚠️ uncalibrated"}
UNPAIRED = {"scorer-changed": "scorer changed", "skipped-at-base": "skipped at base"}
"""Causes of a metric's own no-baseline worth naming in its table cell."""


def details(summary: str, body: str) -> str:
    """A collapsed block (GitHub renders <details>)."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"
