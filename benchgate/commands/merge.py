"""`benchgate merge`: shard results from a CI matrix -> the run one unsharded job would have written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchgate.dataset import load_dataset
from benchgate.errors import UsageError
from benchgate.fingerprint import file_ref
from benchgate.metrics import summarise
from benchgate.params_file import load_project
from benchgate.results import Mode
from benchgate.results_store import read_run, write_run
from benchgate.shards import ShardError, merge


@dataclass(frozen=True)
class MergeOutcome:
    """Where the merged run went."""

    scenario: str
    directory: Path
    shards: int
    samples: int


def merge_shards(
    params: Path, scenario: str | None, mode: Mode, directories: list[Path], out: Path | None
) -> MergeOutcome:
    """Check the shards (complete, disjoint, same inputs as today's files) and write the merged run."""
    project = load_project(params)
    name, spec = project.scenario(scenario)
    runs = [(str(directory), read_run(directory, str(directory))) for directory in directories]
    dataset = file_ref(project.root, spec.dataset)
    for label, files in runs:
        if (files.info.scenario, files.info.mode) != (name, mode):
            raise UsageError(
                f"{label}: results of {files.info.scenario} ({files.info.mode}), not {name} ({mode})"
            )
        if files.info.dataset.sha256 != dataset.sha256:
            raise UsageError(f"{label}: computed from another version of {spec.dataset} than the work tree's")
    ids = [sample.id for sample in load_dataset(project.path(spec.dataset), None, shown=spec.dataset).samples]
    try:
        merged = merge(runs, ids, project.params.llm.prices)
    except ShardError as exc:
        raise UsageError(f"cannot merge: {exc}") from None
    directory = out or project.root / project.results_dir(name, mode)
    write_run(
        directory, merged.scores, summarise(merged.scores, spec, name, merged.info.skipped), merged.info
    )
    return MergeOutcome(name, directory, len(runs), len(merged.scores))
