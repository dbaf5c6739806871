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

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_SCORE_FIELD = re.compile(r'"score"\s*:\s*"?(-?\d+(?:\.\d+)?)')
_REASON_FIELD = re.compile(r'"reason"\s*:\s*"((?:[^"\\]|\\.)*)')
_SCORE_LINE = re.compile(r"\**\s*SCORE\s*:\s*\**\s*(\S+?)\s*\**", re.IGNORECASE)
_CUT = "length"


@dataclass(frozen=True)
class Scale:
    """A judge's scale: its lowest and highest score; a two-point scale takes only its ends."""

    name: str
    low: int
    high: int

    @property
    def points(self) -> int:
        """How many scores the scale has (5 for 1-5)."""
        return self.high - self.low + 1

    @property
    def binary(self) -> bool:
        """Whether only `low` and `high` are scores (no halves)."""
        return self.points == 2

    def normalise(self, score: float) -> float:
        """A score mapped onto 0..1: `low` is 0, `high` is 1 (1-10: (s - 1) / 9)."""
        return (score - self.low) / (self.high - self.low)

    def words(self) -> str:
        """The scores as the judge is told them: `an integer from 1 to 5`, `0 or 1`."""
        return f"{self.low} or {self.high}" if self.binary else f"an integer from {self.low} to {self.high}"


SCALES = {scale.name: scale for scale in (Scale("1-5", 1, 5), Scale("1-10", 1, 10), Scale("binary", 0, 1))}
"""Every scale `judge.scale` may name."""
DEFAULT_SCALE = SCALES["1-5"]


@dataclass(frozen=True)
class ParsedScore:
    """A judge's score on its scale (None when unreadable) and why."""

    score: float | None
    reason: str | None
    problem: str | None = None
    scale: Scale = DEFAULT_SCALE

    @property
    def normalised(self) -> float | None:
        """The score mapped from its scale onto 0..1."""
        return None if self.score is None else self.scale.normalise(self.score)


def parse_score(
    text: str, *, finish_reason: str | None = None, prompt: str = "", scale: Scale = DEFAULT_SCALE
) -> ParsedScore:
    """The last JSON object with a score that is not a copy of the prompt; else a problem.

    `prompt` is the instruction text the judge was given (system and user messages).
    """
    if not text.strip():
        return ParsedScore(None, None, "empty reply")
    checked = _Checker(scale)
    echoed = EchoGuard(prompt)
    try:
        whole = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict) and "score" in whole and not echoed(text):
        return checked(whole.get("score"), whole.get("reason"))
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        for raw, obj in reversed(json_objects(candidate)):
            if "score" in obj and not echoed(raw):
                return checked(obj.get("score"), obj.get("reason"))
    if finish_reason == _CUT:
        fields = [m for m in _SCORE_FIELD.finditer(text) if not echoed(_line_of(text, m.start()))]
        if fields:
            reason = _REASON_FIELD.search(text, fields[-1].end())
            return checked(fields[-1].group(1), reason.group(1) if reason else None, truncated=True)
    return ParsedScore(None, None, "no JSON object with a score")


def parse_score_line(text: str, *, prompt: str = "", scale: Scale = DEFAULT_SCALE) -> ParsedScore:
    """Plain-text mode: only an anchored last line `SCORE: N` counts; the lines above are the reason."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ParsedScore(None, None, "empty reply")
    match = _SCORE_LINE.fullmatch(lines[-1])
    if match is None or EchoGuard(prompt)(lines[-1]):
        return ParsedScore(None, None, f"last line is not `SCORE: N`: {lines[-1][:40]!r}")
    reason = " ".join(lines[:-1]) or None
    return _Checker(scale)(match.group(1), reason)


class EchoGuard:
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


class _Checker:
    """A raw score and reason read into a `ParsedScore` on one scale."""

    def __init__(self, scale: Scale) -> None:
        self._scale = scale

    def __call__(self, raw: object, reason: object, truncated: bool = False) -> ParsedScore:
        scale = self._scale
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            return ParsedScore(None, None, f"score is not a number: {str(raw)[:40]!r}", scale)
        try:
            score = float(raw)
        except ValueError:
            return ParsedScore(None, None, f"score is not a number: {str(raw)[:40]!r}", scale)
        if not scale.low <= score <= scale.high:
            return ParsedScore(None, None, f"score {score:g} is outside {scale.low}..{scale.high}", scale)
        if scale.binary and score not in (scale.low, scale.high):
            return ParsedScore(None, None, f"score {score:g} is neither {scale.low} nor {scale.high}", scale)
        note = str(reason)[:500] if isinstance(reason, str) else None
        if truncated and note:
            note += "…"
        return ParsedScore(score, note, scale=scale)


def json_objects(text: str) -> list[tuple[str, dict[str, object]]]:
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
