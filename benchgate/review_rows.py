"""The outputs behind each sample's scores at head and base, read for the HTML report.

Head: the run's generated `output`, else the dataset's in the work tree. Base: the base
run's generated output, else the dataset file at the base commit read with `git show`
(skipped when its bytes are not the ones the base run recorded, e.g. a DVC-tracked dataset).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

from benchgate import git
from benchgate.baseline import Baseline
from benchgate.outcome import GateResult
from benchgate.report.review import Outputs, ReviewRows, build_rows
from benchgate.results import RunFiles


def gather_rows(root: Path, head: RunFiles, baseline: Baseline, result: GateResult) -> ReviewRows:
    """Review rows for every sample of the head and base runs."""
    dataset = _lines((root / head.info.dataset.path).read_bytes())
    stored = dataset_outputs(dataset)
    base_outputs: dict[str, str] = {}
    base = baseline.files
    if base is not None and baseline.ref.sha is not None:
        recorded = base.info.dataset
        raw = (
            None
            if recorded.sha256 == head.info.dataset.sha256
            else _show(root, baseline.ref.sha, recorded.path)
        )
        if raw is not None and hashlib.sha256(raw).hexdigest() == recorded.sha256:
            # A line found byte for byte at head holds the same sample: only the others are parsed.
            same = set(dataset)
            base_outputs = stored | dataset_outputs([line for line in _lines(raw) if line not in same])
        elif recorded.sha256 == head.info.dataset.sha256:
            base_outputs = dict(stored)
        base_outputs |= _generated(base)
    head_outputs = stored | _generated(head)
    scores = base.scores if base is not None else None
    return build_rows(result, head.scores, scores, Outputs(head_outputs, base_outputs))


def dataset_outputs(lines: list[bytes]) -> dict[str, str]:
    """Sample id -> stored `output` of dataset lines (lines that are not samples are skipped)."""
    try:  # one parse of all lines is much faster than one per line
        records = json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError:
        records = [_record(line) for line in lines]
    found: dict[str, str] = {}
    for record in records:
        if isinstance(record, dict):
            sample_id, output = record.get("id"), record.get("output")
            if isinstance(sample_id, str) and isinstance(output, str):
                found.setdefault(sample_id, output)
    return found


def _lines(raw: bytes) -> list[bytes]:
    return [line.rstrip(b"\r") for line in raw.removeprefix(b"\xef\xbb\xbf").split(b"\n") if line.strip()]


def _record(line: bytes) -> object:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _generated(run: RunFiles) -> dict[str, str]:
    return {s.id: s.output for s in run.scores if s.output is not None}


def _show(root: Path, sha: str, relative: str) -> bytes | None:
    top = git.toplevel(root)
    if top is None:
        return None
    try:
        in_repo = PurePosixPath((root.resolve() / relative).relative_to(top.resolve()).as_posix())
    except ValueError:  # a dataset outside the repository has no history to read
        return None
    return git.show(sha, str(in_repo), top)
