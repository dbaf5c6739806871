"""The base commit's outputs, for pairwise metrics: read from git, never regenerated.

The base's committed results say which dataset it judged and hold any outputs it generated;
the rest are that dataset's stored outputs at the base commit. Without committed results,
a scenario that judges stored outputs (no generator) takes its dataset at the base commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benchgate import git
from benchgate.baseline import BaseHints, find_baseline
from benchgate.dataset import stored_outputs
from benchgate.params_file import Project
from benchgate.results import Mode, PairwiseBase
from benchgate.score_lines import ScoreLines


@dataclass(frozen=True)
class BaseOutputs:
    """What the pairwise metrics compare with: the base, and its output per sample id."""

    base: PairwiseBase
    outputs: dict[str, str] = field(default_factory=dict)


def base_outputs(project: Project, name: str, mode: Mode, rev: str | None, hints: BaseHints) -> BaseOutputs:
    """The base commit's outputs for scenario `name` (`rev`, else the gate's default base)."""
    spec = project.params.scenarios[name]
    results_dir = project.results_dir(name, mode)
    found = find_baseline(project.root, results_dir, rev, params=project.params_path, hints=hints)
    ref = found.ref
    if ref.sha is None:
        return BaseOutputs(PairwiseBase(rev=ref.rev, sha=None, reason=ref.reason or "no base commit"))
    top = git.toplevel(project.root)
    assert top is not None, "find_baseline found a commit, so this is a git repository"
    if found.files is not None:
        generated = ScoreLines.of(found.files.scores).outputs()
        stored = _dataset_at(ref.sha, project.root / found.files.info.dataset.path, top)
        outputs = (stored or {}) | generated
        if outputs:
            return BaseOutputs(PairwiseBase(rev=ref.rev, sha=ref.sha, outputs="results"), outputs)
    elif spec.generator is None:
        stored = _dataset_at(ref.sha, project.path(spec.dataset), top)
        if stored:
            return BaseOutputs(PairwiseBase(rev=ref.rev, sha=ref.sha, outputs="dataset"), stored)
    reason = f"{ref.sha[:12]} has no committed outputs for {name} ({mode} results or its dataset)"
    return BaseOutputs(PairwiseBase(rev=ref.rev, sha=ref.sha, reason=reason))


def _dataset_at(sha: str, path: Path, top: Path) -> dict[str, str] | None:
    try:
        inside = path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    raw = git.show(sha, inside, top)
    return None if raw is None else stored_outputs(raw)
