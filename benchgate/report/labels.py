"""Words and marks shared by the report's sections. Pure."""

from __future__ import annotations

from benchgate.outcome import ApprovalState, Calibration, GateStatus, Verdict

STATUS: dict[GateStatus, str] = {
    "pass": "✅ PASS",
    "warn": "⚠️ WARN",
    "pending": "⏳ PENDING",
    "fail": "❌ FAIL",
}
ICON: dict[GateStatus, str] = {"pass": "✅", "warn": "⚠️", "pending": "⏳", "fail": "❌"}
VERDICT: dict[Verdict, str] = {
    "improved": "▲ improved",
    "unchanged": "= unchanged",
    "regressed": "▼ regressed",
    "inconclusive": "? inconclusive",
    "no-baseline": "— no baseline",
    "skipped": "⏭ skipped",
}
CALIBRATION: dict[Calibration | None, str] = {"calibrated": "✅ calibrated", "uncalibrated": "⚠️ uncalibrated"}
APPROVAL: dict[ApprovalState, str] = {
    "approved": "✅ approved",
    "changes-requested": "❌ changes requested",
    "pending": "⏳ pending",
    "unverified": "❔ cannot verify",
}
UNPAIRED = {"scorer-changed": "scorer changed", "skipped-at-base": "skipped at base"}
"""Causes of a metric's own no-baseline worth naming in its table cell."""


def details(summary: str, body: str) -> str:
    """A collapsed block (GitHub renders <details>)."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"
