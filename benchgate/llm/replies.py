"""Reading a judge's reply defensively: fences, chatter, several objects, truncation. Pure.

A reply we cannot read is reported as such (the sample stays unscored), never guessed:
- an object or line that repeats the instructions (the format line, an example, the rubric)
  is not the judge's verdict, so text found verbatim in the prompt is skipped;
- a score must be a number (or a numeric string); `true` is not 1;
- reading a `"score": N` field out of broken JSON is only done for a reply the server says it
  cut short (`finish_reason: "length"`), where the field before the cut is the model's own;
- in plain-text mode the judge was asked to end with `SCORE: N`, and only that last line counts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SCALE = (1, 5)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_SCORE_FIELD = re.compile(r'"score"\s*:\s*"?(-?\d+(?:\.\d+)?)')
_REASON_FIELD = re.compile(r'"reason"\s*:\s*"((?:[^"\\]|\\.)*)')
_SCORE_LINE = re.compile(r"\**\s*SCORE\s*:\s*\**\s*(\S+?)\s*\**", re.IGNORECASE)
_CUT = "length"


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


def parse_score(text: str, *, finish_reason: str | None = None, prompt: str = "") -> ParsedScore:
    """The last JSON object with a score that is not a copy of the prompt; else a problem.

    `prompt` is the instruction text the judge was given (system and user messages).
    """
    if not text.strip():
        return ParsedScore(None, None, "empty reply")
    echoed = _Echo(prompt)
    try:
        whole = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict) and "score" in whole and not echoed(text):
        return _checked(whole.get("score"), whole.get("reason"))
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        for raw, obj in reversed(_json_objects(candidate)):
            if "score" in obj and not echoed(raw):
                return _checked(obj.get("score"), obj.get("reason"))
    if finish_reason == _CUT:
        fields = [m for m in _SCORE_FIELD.finditer(text) if not echoed(_line_of(text, m.start()))]
        if fields:
            reason = _REASON_FIELD.search(text, fields[-1].end())
            return _checked(fields[-1].group(1), reason.group(1) if reason else None, truncated=True)
    return ParsedScore(None, None, "no JSON object with a score")


def parse_score_line(text: str, *, prompt: str = "") -> ParsedScore:
    """Plain-text mode: only an anchored last line `SCORE: N` counts; the lines above are the reason."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ParsedScore(None, None, "empty reply")
    match = _SCORE_LINE.fullmatch(lines[-1])
    if match is None or _Echo(prompt)(lines[-1]):
        return ParsedScore(None, None, f"last line is not `SCORE: N`: {lines[-1][:40]!r}")
    reason = " ".join(lines[:-1]) or None
    return _checked(match.group(1), reason)


class _Echo:
    """Whether a piece of the reply is a copy of the prompt (compared with whitespace collapsed)."""

    def __init__(self, prompt: str) -> None:
        self._prompt = prompt
        self._flat: str | None = None

    def __call__(self, piece: str) -> bool:
        flat = " ".join(piece.split())
        if not flat or not self._prompt:
            return False
        if self._flat is None:
            self._flat = " ".join(self._prompt.split())
        return flat in self._flat


def _line_of(text: str, index: int) -> str:
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return text[start : end if end >= 0 else len(text)]


def _checked(raw: object, reason: object, truncated: bool = False) -> ParsedScore:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return ParsedScore(None, None, f"score is not a number: {str(raw)[:40]!r}")
    try:
        score = float(raw)
    except ValueError:
        return ParsedScore(None, None, f"score is not a number: {str(raw)[:40]!r}")
    low, high = SCALE
    if not low <= score <= high:
        return ParsedScore(None, None, f"score {score:g} is outside {low}..{high}")
    note = str(reason)[:500] if isinstance(reason, str) else None
    if truncated and note:
        note += "…"
    return ParsedScore(score, note)


def _json_objects(text: str) -> list[tuple[str, dict[str, object]]]:
    """Every top-level `{...}` in `text` that parses as a JSON object, with its text, in order."""
    found: list[tuple[str, dict[str, object]]] = []
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
                raw = text[start : index + 1]
                try:
                    # strict=False: small models put raw newlines inside strings
                    parsed = json.loads(raw, strict=False)
                except (ValueError, RecursionError):
                    continue
                if isinstance(parsed, dict):
                    found.append((raw, parsed))
    return found
