"""The outputs behind each sample's scores at head and base, read for the HTML report.

Head: the run's generated `output`, else the dataset's in the work tree. Base: the base
run's generated output, else the dataset file at the base commit streamed from git
(skipped when its bytes are not the ones the base run recorded, e.g. a DVC-tracked dataset).

Datasets are large and the page holds a bounded number of rows, so lines are indexed by id
where they lie in the file and parsed only when a row needs its output (`dataset_lines`). A
base line equal byte for byte to the head line of its id holds the same sample, so it is
known unchanged without parsing either, and only the base lines that differ are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from benchgate import git
from benchgate.baseline import Baseline
from benchgate.dataset_lines import BaseLines, FileLines, field
from benchgate.outcome import GateResult
from benchgate.report.review import Outputs, ReviewRows, build_rows
from benchgate.results import RunFiles
from benchgate.score_lines import ScoreLines


class DatasetOutputs(Mapping[str, str]):
    """Sample id -> output, from generated outputs first, then dataset lines parsed on demand.

    Nothing parsed is kept: the rows ask for each output once to tag it and once more only if
    shown, and keeping every output tagged would hold O(changed samples) strings.
    """

    def __init__(self, generated: dict[str, str], lines: Mapping[str, bytes]) -> None:
        self._generated = generated
        self._lines = lines

    def __getitem__(self, sample_id: str) -> str:
        if sample_id in self._generated:
            return self._generated[sample_id]
        line = self._lines.get(sample_id)
        found = None if line is None else _output(line)
        if found is None:
            raise KeyError(sample_id)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._generated.keys() | self._lines.keys())

    def __len__(self) -> int:
        return len(self._generated.keys() | self._lines.keys())


def gather_rows(root: Path, head: RunFiles, baseline: Baseline, result: GateResult) -> ReviewRows:
    """Review rows for every sample of the head and base runs."""
    base = baseline.files
    recorded = base.info.dataset if base is not None and baseline.ref.sha is not None else None
    blob: Iterable[bytes] | None = None
    if recorded is not None and baseline.ref.sha is not None and recorded.sha256 != head.info.dataset.sha256:
        blob = _stream(root, baseline.ref.sha, recorded.path)
    with FileLines(root / head.info.dataset.path) as head_lines:
        head_generated = _generated(head)
        base_outputs: Mapping[str, str] = {}
        same: set[str] = set()
        if base is not None and recorded is not None:
            base_generated = _generated(base)
            base_lines: Mapping[str, bytes] | None = None
            same_lines: Iterable[str] = ()
            if recorded.sha256 == head.info.dataset.sha256:
                base_lines, same_lines = head_lines, head_lines
            elif blob is not None:
                streamed = BaseLines(head_lines, blob)
                if streamed.sha256.hexdigest() == recorded.sha256:
                    base_lines, same_lines = streamed, streamed.same()
            if base_lines is not None:
                base_outputs = DatasetOutputs(base_generated, base_lines)
                same = {i for i in same_lines if i not in head_generated and i not in base_generated}
        head_outputs = DatasetOutputs(head_generated, head_lines)
        scores = base.scores if base is not None else None
        return build_rows(result, head.scores, scores, Outputs(head_outputs, base_outputs, frozenset(same)))


def _output(line: bytes) -> str | None:
    output = field(line, "output")
    return output if isinstance(output, str) else None


def _generated(run: RunFiles) -> dict[str, str]:
    return ScoreLines.of(run.scores).outputs()


def _stream(root: Path, sha: str, relative: str) -> Iterable[bytes] | None:
    top = git.toplevel(root)
    if top is None:
        return None
    try:
        in_repo = PurePosixPath((root.resolve() / relative).relative_to(top.resolve()).as_posix())
    except ValueError:  # a dataset outside the repository has no history to read
        return None
    return git.stream(sha, str(in_repo), top)
