"""Which commit is the base, and its committed results, read straight from git."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from benchgate import git
from benchgate.errors import GitError, UsageError
from benchgate.outcome import BaseRef
from benchgate.results import RunFiles
from benchgate.results_store import RUN_INFO, SCORES, parse_run


@dataclass(frozen=True)
class Baseline:
    """The base commit and, when it has them, its results."""

    ref: BaseRef
    files: RunFiles | None


def find_baseline(root: Path, results_dir: str, rev: str | None) -> Baseline:
    """Resolve `rev` (or the default base) and read its committed results for `results_dir`."""
    top = git.toplevel(root)
    if top is None:
        if rev is not None:
            raise UsageError(f"--base {rev}: {root.resolve()} is not inside a git repository")
        return Baseline(BaseRef(rev=None, reason="not a git repository"), None)
    label, sha, why = (rev, _resolve_explicit(rev, top), "") if rev is not None else default_base(top)
    if sha is None:
        return Baseline(BaseRef(rev=label, reason=why), None)
    in_repo = PurePosixPath((root.resolve() / results_dir).relative_to(top.resolve()).as_posix())
    scores = git.show(sha, str(in_repo / SCORES), top)
    info = git.show(sha, str(in_repo / RUN_INFO), top)
    if scores is None or info is None:
        reason = f"{sha[:12]} has no committed results in {in_repo}"
        return Baseline(BaseRef(rev=label, sha=sha, reason=reason), None)
    files = parse_run(scores, info, f"{label}:{in_repo}")
    return Baseline(BaseRef(rev=label, sha=sha, found=True), files)


def default_base(top: Path) -> tuple[str | None, str | None, str]:
    """(label, sha, why none): merge-base with the default branch; on it, the previous commit."""
    head = git.resolve("HEAD", top)
    if head is None:
        return None, None, "the repository has no commits yet"
    default = git.default_branch(top)
    on_default = default is not None and (
        git.resolve(default, top) == head or git.current_branch(top) == default.removeprefix("origin/")
    )
    if default is not None and not on_default:
        found = git.merge_base("HEAD", default, top)
        if found is not None:
            return default, found, ""
        if git.is_shallow(top):
            raise GitError(
                f"this shallow clone cannot find where HEAD branched from {default}; "
                "fetch more history (`git fetch --unshallow`) or pass --base REV"
            )
        return default, None, f"HEAD shares no history with {default}"
    parent = git.resolve("HEAD~1", top)
    if parent is None and git.is_shallow(top):
        raise GitError(
            "this shallow clone lacks HEAD~1; fetch it with `git fetch --deepen=1` or pass --base REV"
        )
    return "HEAD~1", parent, "the head commit has no parent to compare with"


def _resolve_explicit(rev: str, top: Path) -> str:
    sha = git.resolve(rev, top)
    if sha is not None:
        return sha
    if git.is_shallow(top):
        raise GitError(
            f"--base {rev} is not in this shallow clone; fetch it with "
            f"`git fetch --depth=1 origin {rev}` (or `git fetch --unshallow`)"
        )
    raise UsageError(f"--base {rev}: no such commit in this repository")
