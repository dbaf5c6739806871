"""Reading a judge's reply defensively: fences, chatter, several objects, truncation. Pure.

A reply we cannot read is reported as such (the sample stays unscored), never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SCALE = (1, 5)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_SCORE_FIELD = re.compile(r'"score"\s*:\s*"?(-?\d+(?:\.\d+)?)')
_REASON_FIELD = re.compile(r'"reason"\s*:\s*"((?:[^"\\]|\\.)*)')


@dataclass(frozen=True)
class ParsedScore:
    """A judge's score on the 1-5 scale (None when unreadable) and why."""

    score: float | None
    reason: str | None
    problem: str | None = None

    @property
    def normalised(self) -> float | None:
        """The score mapped from 1..5 onto 0..1."""
        if self.score is None:
            return None
        low, high = SCALE
        return (self.score - low) / (high - low)


def parse_score(text: str) -> ParsedScore:
    """The last JSON object with a score; else a score field in truncated JSON; else a problem."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        for obj in reversed(_json_objects(candidate)):
            if "score" in obj:
                return _checked(obj.get("score"), obj.get("reason"))
    fields = _SCORE_FIELD.findall(text)
    if fields:
        reason = _REASON_FIELD.search(text)
        return _checked(fields[-1], reason.group(1) if reason else None, truncated=True)
    if not text.strip():
        return ParsedScore(None, None, "empty reply")
    return ParsedScore(None, None, "no JSON object with a score")


def _checked(raw: object, reason: object, truncated: bool = False) -> ParsedScore:
    try:
        score = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ParsedScore(None, None, f"score is not a number: {str(raw)[:40]!r}")
    low, high = SCALE
    if not low <= score <= high:
        return ParsedScore(None, None, f"score {score:g} is outside {low}..{high}")
    note = str(reason)[:500] if isinstance(reason, str) else None
    if truncated and note:
        note += "…"
    return ParsedScore(score, note)


def _json_objects(text: str) -> list[dict[str, object]]:
    """Every top-level `{...}` in `text` that parses as a JSON object, in order."""
    found: list[dict[str, object]] = []
    depth, start, in_string, escaped = 0, -1, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"' and depth:
            in_string = True
        elif char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                try:
                    # strict=False: small models put raw newlines inside strings
                    parsed = json.loads(text[start : index + 1], strict=False)
                except ValueError:
                    continue
                if isinstance(parsed, dict):
                    found.append(parsed)
    return found
