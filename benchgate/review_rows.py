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
    dataset = (root / head.info.dataset.path).read_bytes()
    head_outputs = dataset_outputs(dataset) | _generated(head)
    base_outputs: dict[str, str] = {}
    base = baseline.files
    if base is not None and baseline.ref.sha is not None:
        recorded = base.info.dataset
        if recorded.sha256 == head.info.dataset.sha256:
            raw: bytes | None = dataset
        else:
            raw = _show(root, baseline.ref.sha, recorded.path)
            if raw is not None and hashlib.sha256(raw).hexdigest() != recorded.sha256:
                raw = None
        base_outputs = (dataset_outputs(raw) if raw is not None else {}) | _generated(base)
    scores = base.scores if base is not None else None
    return build_rows(result, head.scores, scores, Outputs(head_outputs, base_outputs))


def dataset_outputs(raw: bytes) -> dict[str, str]:
    """Sample id -> stored `output` of a dataset file (lines that are not samples are skipped)."""
    found: dict[str, str] = {}
    for line in raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if (
            isinstance(record, dict)
            and isinstance(record.get("id"), str)
            and isinstance(record.get("output"), str)
        ):
            found.setdefault(record["id"], record["output"])
    return found


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
