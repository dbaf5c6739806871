"""Reading and writing a run's files: scores.jsonl, metrics.json, run.json."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from benchgate.errors import InputError, Problem
from benchgate.results import MetricSummary, RunFiles, RunInfo, SampleScore
from benchgate.score_lines import ScoreLines

SCORES = "scores.jsonl"
METRICS = "metrics.json"
RUN_INFO = "run.json"


def write_run(
    directory: Path, scores: list[SampleScore], summaries: dict[str, MetricSummary], info: RunInfo
) -> None:
    """Write the three files atomically, each replaced only once fully written."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = (score.model_dump_json(exclude_defaults=True) + "\n" for score in scores)
    _replace_lines(directory / SCORES, lines)
    metrics = {name: summary.model_dump(exclude_none=True) for name, summary in summaries.items()}
    _replace(directory / METRICS, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    _replace(directory / RUN_INFO, info_json(info))


def info_json(info: RunInfo) -> str:
    """run.json's text: keys that are unset stay out, so runs without them write the same bytes as before.

    An unsharded run.json carries no `shard` key, so merged shards write what one run writes; runs
    without pairwise metrics carry no `pairwise_base`.
    """
    calls = info.reliability
    unset = {name for name in ("tokens_by_model", "reused", "truncated") if not getattr(calls, name)}
    exclude: dict[str, Any] = {"reliability": unset} if unset else {}
    for name in ("shard", "pairwise_base"):
        if getattr(info, name) is None:
            exclude[name] = True
    return info.model_dump_json(indent=2, exclude=exclude or None) + "\n"


def read_run(directory: Path, shown: str) -> RunFiles:
    """Read a run from the working tree; missing files are an error that says how to make them."""
    try:
        scores = (directory / SCORES).read_bytes()
        info = (directory / RUN_INFO).read_bytes()
    except FileNotFoundError as exc:
        name = Path(exc.filename).name if exc.filename else SCORES
        raise InputError(
            [
                Problem(
                    f"{shown}/{name}",
                    None,
                    None,
                    "not found; run `dvc repro` or `benchgate run` first",
                )
            ]
        ) from None
    return parse_run(scores, info, shown)


def parse_run(scores: bytes, info: bytes, shown: str) -> RunFiles:
    """Parse run files from bytes (the working tree or `git show`)."""
    return RunFiles(parse_scores(scores, f"{shown}/{SCORES}"), parse_info(info, f"{shown}/{RUN_INFO}"))


def parse_scores(raw: bytes, shown: str) -> ScoreLines:
    """scores.jsonl -> records, with file:line errors."""
    try:
        return ScoreLines.parse(raw)
    except ValidationError:
        pass  # read again line by line, to say which lines are wrong and why
    problems = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            SampleScore.model_validate_json(line)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in error["loc"]) or None
            problems.append(Problem(shown, number, field, f"not a benchgate score record: {error['msg']}"))
    if not problems:  # every line is valid alone, but pydantic disagreed on the batch: never guess
        problems.append(Problem(shown, None, None, "not a benchgate scores file"))
    raise InputError(problems)


def parse_info(raw: bytes, shown: str) -> RunInfo:
    """run.json -> RunInfo."""
    try:
        return RunInfo.model_validate_json(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        raise InputError([Problem(shown, None, field, f"not a benchgate run file: {error['msg']}")]) from None


def _replace_lines(path: Path, lines: Iterator[str]) -> None:
    """As `_replace`, written in chunks: 1M lines never sit in memory as one string."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        while chunk := "".join(islice(lines, 10_000)):
            handle.write(chunk)
    os.replace(temporary, path)


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
