"""The outputs behind each sample's scores at head and base, read for the HTML report.

Head: the run's generated `output`, else the dataset's in the work tree. Base: the base
run's generated output, else the dataset file at the base commit read with `git show`
(skipped when its bytes are not the ones the base run recorded, e.g. a DVC-tracked dataset).

Datasets are large and the page holds a bounded number of rows, so lines are indexed by id
(a byte match when the id comes first, as benchgate and most writers put it) and parsed only
when a row needs its output. A base line equal byte for byte to a head line holds the same
sample, so it is known unchanged without parsing either.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from benchgate import git
from benchgate.baseline import Baseline
from benchgate.outcome import GateResult
from benchgate.report.review import Outputs, ReviewRows, build_rows
from benchgate.results import RunFiles
from benchgate.score_lines import ScoreLines

_LEADING_ID = re.compile(rb'\{\s*"id"\s*:\s*("(?:[^"\\]|\\.)*")')


class DatasetOutputs(Mapping[str, str]):
    """Sample id -> output, from generated outputs first, then dataset lines parsed on demand."""

    def __init__(self, generated: dict[str, str], lines: dict[str, bytes]) -> None:
        self._generated = generated
        self._lines = lines
        self._parsed: dict[str, str | None] = {}

    def __getitem__(self, sample_id: str) -> str:
        if sample_id in self._generated:
            return self._generated[sample_id]
        if sample_id not in self._parsed:
            line = self._lines.get(sample_id)
            self._parsed[sample_id] = None if line is None else _output(line)
        found = self._parsed[sample_id]
        if found is None:
            raise KeyError(sample_id)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._generated.keys() | self._lines.keys())

    def __len__(self) -> int:
        return len(self._generated.keys() | self._lines.keys())


def gather_rows(root: Path, head: RunFiles, baseline: Baseline, result: GateResult) -> ReviewRows:
    """Review rows for every sample of the head and base runs."""
    lines = _lines((root / head.info.dataset.path).read_bytes())
    head_lines = index_lines(lines)
    head_generated = _generated(head)
    base_outputs: Mapping[str, str] = {}
    same: set[str] = set()
    base = baseline.files
    if base is not None and baseline.ref.sha is not None:
        base_generated = _generated(base)
        recorded = base.info.dataset
        base_lines: dict[str, bytes] | None = None
        if recorded.sha256 == head.info.dataset.sha256:
            base_lines = head_lines
        else:
            raw = _show(root, baseline.ref.sha, recorded.path)
            if raw is not None and hashlib.sha256(raw).hexdigest() == recorded.sha256:
                seen = set(lines)
                differing = index_lines([line for line in _lines(raw) if line not in seen])
                base_lines = {**{i: head_lines[i] for i in head_lines if i not in differing}, **differing}
        if base_lines is not None:
            base_outputs = DatasetOutputs(base_generated, base_lines)
            same = {
                i
                for i, line in head_lines.items()
                if base_lines.get(i) is line and i not in head_generated and i not in base_generated
            }
    head_outputs = DatasetOutputs(head_generated, head_lines)
    scores = base.scores if base is not None else None
    return build_rows(result, head.scores, scores, Outputs(head_outputs, base_outputs, frozenset(same)))


def index_lines(lines: list[bytes]) -> dict[str, bytes]:
    """Sample id -> its line (the first, should an id repeat); lines without an id are left out."""
    found: dict[str, bytes] = {}
    for line in lines:
        match = _LEADING_ID.match(line)
        if match is None:
            sample_id = _field(line, "id")
        else:
            quoted = match.group(1)
            sample_id = _loads(quoted) if b"\\" in quoted else quoted[1:-1].decode("utf-8", "replace")
        if isinstance(sample_id, str):
            found.setdefault(sample_id, line)
    return found


def _output(line: bytes) -> str | None:
    output = _field(line, "output")
    return output if isinstance(output, str) else None


def _field(line: bytes, name: str) -> object:
    record = _loads(line)
    return record.get(name) if isinstance(record, dict) else None


def _loads(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _lines(raw: bytes) -> list[bytes]:
    body = raw.removeprefix(b"\xef\xbb\xbf")
    return [line.rstrip(b"\r") for line in body.split(b"\n") if line.strip()]


def _generated(run: RunFiles) -> dict[str, str]:
    return ScoreLines.of(run.scores).outputs()


def _show(root: Path, sha: str, relative: str) -> bytes | None:
    top = git.toplevel(root)
    if top is None:
        return None
    try:
        in_repo = PurePosixPath((root.resolve() / relative).relative_to(top.resolve()).as_posix())
    except ValueError:  # a dataset outside the repository has no history to read
        return None
    return git.show(sha, str(in_repo), top)
