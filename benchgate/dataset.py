"""The dataset contract: one JSON object per line, validated with file:line:field errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.config import JsonDict

from benchgate import dvc
from benchgate.errors import InputError, Problem
from benchgate.results import FieldSets

Rating = Annotated[float, Field(ge=0, le=1)]


def _object_or_string_input(schema: JsonDict) -> None:
    """`input` in the JSON Schema as its validator checks it (typed `Any` for a one-line error)."""
    cast("JsonDict", cast("JsonDict", schema["properties"])["input"])["type"] = ["object", "string"]


class Sample(BaseModel):
    """One benchmark item."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        frozen=True,
        use_attribute_docstrings=True,
        json_schema_extra=_object_or_string_input,
    )

    id: str = Field(min_length=1)
    """Unique, stable identifier; the base comparison pairs samples by it, so keep it when the
    sample's text changes."""
    input: Any
    """What the candidate model sees: a string, or an object whose keys fill the prompt's
    `{{name}}` placeholders (a string fills `{{input}}`)."""
    output: str | None = None
    """The candidate's stored answer, scored in dry-run and in live mode without a `generator`;
    a dry-run needs it unless `--allow-missing`."""
    reference: str | None = None
    """Gold answer, if there is one; the live judge sees it for comparison."""
    ground_truth: dict[str, Rating] | None = None
    """Trusted ratings of `output`, metric name -> score in 0..1; dry-run scores judged metrics with
    them, and every judged metric needs one unless `--allow-missing`."""
    latency_s: float | None = Field(default=None, ge=0)
    """Seconds the candidate took to produce `output`; the `latency_s` metric reads it."""
    meta: dict[str, Any] = Field(default_factory=dict)
    """Free-form object kept with the sample (e.g. source, tags); not judged or shown by default."""

    @field_validator("input")
    @classmethod
    def _object_or_string(cls, value: Any) -> Any:
        if not isinstance(value, (dict, str)):
            raise ValueError("must be an object or a string")
        return value


def find_outputs(path: Path, ids: set[str]) -> dict[str, str]:
    """Stored outputs of a few samples, found by searching the raw file instead of parsing all of it.

    An id is looked for as JSON writes it with and without escapes (`"\\u0431"`, `"a\\/b"`);
    ids still missing after that are looked for by parsing every line.
    """
    if not ids:
        return {}
    raw = path.read_bytes()
    found: dict[str, str] = {}
    for sample_id in sorted(ids):
        for needle in _spellings(sample_id):
            _search(raw, needle, sample_id, found)
            if sample_id in found:
                break
    if len(found) < len(ids):
        for line in raw.split(b"\n"):
            record = _record(line)
            if record is not None and record["id"] in ids and record["id"] not in found:
                found[record["id"]] = record["output"]
    return found


def stored_outputs(raw: bytes) -> dict[str, str]:
    """Every line's id -> output (lines without both, or repeated ids after the first, are passed over)."""
    found: dict[str, str] = {}
    for line in raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        record = _record(line) if line.strip() else None
        if record is not None:
            found.setdefault(record["id"], record["output"])
    return found


def _spellings(sample_id: str) -> list[bytes]:
    plain = json.dumps(sample_id, ensure_ascii=False)
    ascii_ = json.dumps(sample_id)
    return list(dict.fromkeys(text.encode() for text in (plain, ascii_, plain.replace("/", "\\/"))))


def _search(raw: bytes, needle: bytes, sample_id: str, found: dict[str, str]) -> None:
    at = raw.find(needle)
    while at != -1 and sample_id not in found:
        start = raw.rfind(b"\n", 0, at) + 1
        end = raw.find(b"\n", at)
        record = _record(raw[start : len(raw) if end == -1 else end])
        if record is not None and record["id"] == sample_id:
            found[sample_id] = record["output"]
        at = -1 if end == -1 else raw.find(needle, end)


def _record(line: bytes) -> dict[str, Any] | None:
    """A line's object when it has a string id and a string output; else None (never raises)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if (
        isinstance(record, dict)
        and isinstance(record.get("id"), str)
        and isinstance(record.get("output"), str)
    ):
        return record
    return None


SampleCheck = Callable[[Sample], "tuple[str, str] | None"]
"""What a scorer needs of each sample: None, or (field, message) when the sample lacks it."""


@dataclass(frozen=True)
class Dataset:
    """Validated samples in file order."""

    path: str
    samples: list[Sample]


def load_dataset(
    path: Path,
    metrics: list[str] | None,
    *,
    shown: str | None = None,
    complete: bool = False,
    rated: Sequence[str] | None = None,
    checks: Sequence[SampleCheck] = (),
) -> Dataset:
    """Read a dataset, raising `InputError` with every problem when any line is bad."""
    dataset, problems = read_dataset(
        path, metrics, shown=shown, complete=complete, rated=rated, checks=checks
    )
    if problems:
        raise InputError(problems)
    return dataset


def read_dataset(
    path: Path,
    metrics: list[str] | None,
    *,
    shown: str | None = None,
    complete: bool = False,
    rated: Sequence[str] | None = None,
    checks: Sequence[SampleCheck] = (),
) -> tuple[Dataset, list[Problem]]:
    """Validate every line; `metrics` (when known) are the metrics ground truth may rate.

    `complete` asks for what a dry-run reads: every sample's stored `output` and a
    ground-truth rating for each of `rated` (default: all of `metrics`; a scenario passes its
    judge metrics, since other scorers compute their values). `checks` are the scenario's
    scorers' demands on each sample (e.g. a `reference`).
    """
    problems: list[Problem] = []
    samples = scan_dataset(
        path, metrics, problems, shown=shown, complete=complete, rated=rated, checks=checks
    )
    shared = FieldSets()  # held samples share their fields sets; a scan's are dropped as they come
    return Dataset(shown or str(path), [shared.share(sample) for sample in samples]), problems


def scan_dataset(
    path: Path,
    metrics: list[str] | None,
    problems: list[Problem],
    *,
    shown: str | None = None,
    complete: bool = False,
    rated: Sequence[str] | None = None,
    checks: Sequence[SampleCheck] = (),
) -> Iterator[Sample]:
    """As `read_dataset`, each valid sample given as its line is read and every problem added to
    `problems`: a caller that keeps less than the sample (a dry-run keeps its scores) never holds
    the whole dataset. `problems` is complete once the iterator is exhausted.
    """
    name = shown or str(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        problems.append(Problem(name, None, None, dvc.not_pulled(path) or "file not found"))
        return
    except OSError as exc:
        problems.append(Problem(name, None, None, f"cannot read: {exc.strerror}"))
        return
    first_line_of: dict[str, int] = {}
    known = None if metrics is None else set(metrics)
    found = False
    with handle:
        for number, line in enumerate(_lines(handle), start=1):
            if not line or line.isspace():
                continue
            try:
                sample = Sample.model_validate_json(line)
            except ValidationError as exc:
                problems.extend(_utf8_problem(name, number, line) or _problems(name, number, exc))
                continue
            line_problems = _check_sample(name, number, sample, known, first_line_of)
            if complete:
                wanted = (metrics or []) if rated is None else rated
                line_problems += _incomplete(name, number, sample, wanted)
            for check in checks:
                failed = check(sample)
                if failed is not None:
                    line_problems.append(Problem(name, number, *failed))
            problems.extend(line_problems)
            first_line_of.setdefault(sample.id, number)
            if not line_problems:
                found = True
                yield sample
    if not found and not problems:
        problems.append(Problem(name, 1, None, "file is empty; expected one JSON object per line"))


def _lines(handle: BinaryIO) -> Iterator[bytes]:
    """The file's lines as `split(b"\\n")` gives them (a leading BOM dropped), read one at a time."""
    for number, read in enumerate(handle):
        line = read.removeprefix(b"\xef\xbb\xbf") if number == 0 else read
        yield line[:-1] if line.endswith(b"\n") else line


def _check_sample(
    name: str, number: int, sample: Sample, known: set[str] | None, first_line_of: dict[str, int]
) -> list[Problem]:
    rated = sample.ground_truth
    if sample.id not in first_line_of and (known is None or not rated or rated.keys() <= known):
        return []  # the common case, answered without building anything (1M samples: ~1 s)
    problems = []
    if sample.id in first_line_of:
        problems.append(
            Problem(
                name,
                number,
                "id",
                f"duplicate id {sample.id!r} (first on line {first_line_of[sample.id]})",
            )
        )
    unknown = set() if known is None else set(sample.ground_truth or {}) - known
    for metric in sorted(unknown):
        expected = ", ".join(sorted(known or ())) or "none"
        problems.append(
            Problem(
                name,
                number,
                f"ground_truth.{metric}",
                f"not a metric of this scenario ({expected})",
            )
        )
    return problems


def _incomplete(name: str, number: int, sample: Sample, metrics: Sequence[str]) -> list[Problem]:
    truth = sample.ground_truth
    if sample.output is not None and truth is not None and truth.keys() >= set(metrics):
        return []
    problems = []
    if sample.output is None:
        problems.append(Problem(name, number, "output", "missing: a dry-run judges the stored output"))
    truth = sample.ground_truth or {}
    for metric in metrics:
        if metric not in truth:
            problems.append(
                Problem(name, number, f"ground_truth.{metric}", "missing: a dry-run reads this rating")
            )
    return problems


def _utf8_problem(name: str, number: int, line: bytes) -> list[Problem]:
    """Invalid UTF-8 explained as such (only looked for once a line fails to parse)."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(name, number, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)")]
    return []


def _problems(name: str, number: int, exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        if error["type"] == "json_invalid":
            detail = str(error["ctx"].get("error", "")) if error.get("ctx") else ""
            detail = detail.replace(" at line 1 ", " at ")
            problems.append(Problem(name, number, None, f"invalid JSON: {detail or error['msg']}"))
            continue
        field = ".".join(str(part) for part in error["loc"]) or None
        problems.append(Problem(name, number, field, _message(error)))
    return problems


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "finite_number":
        return "must be a finite number (NaN and Infinity are not allowed)"
    if kind == "model_type":
        return "each line must be a JSON object"
    return str(error["msg"]).removeprefix("Value error, ")
