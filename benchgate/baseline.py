"""Which commit is the base, and its committed results and params, read straight from git."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from benchgate import git
from benchgate.errors import GitError, UsageError
from benchgate.outcome import BaseChoice, BaseRef
from benchgate.results import RunFiles
from benchgate.results_store import RUN_INFO, SCORES, parse_run

FALLBACK_BRANCHES = ("main", "master", "origin/main", "origin/master")


@dataclass(frozen=True)
class BaseHints:
    """What points at the default branch besides git itself, and the state of the work tree."""

    ci_branch: str | None = None
    """The branch CI says the change targets (GITHUB_BASE_REF) or the repository's default."""
    configured: str | None = None
    """`gate.base` from params.yaml."""
    dirty: bool = False
    """The gated results differ from the ones committed at HEAD."""


@dataclass(frozen=True)
class Baseline:
    """The base commit and, when it has them, its results and its params.yaml."""

    ref: BaseRef
    files: RunFiles | None
    params: bytes | None = None


@dataclass(frozen=True)
class _Choice:
    label: str | None
    sha: str | None
    chosen_by: BaseChoice
    default_branch: str | None = None
    why_none: str = ""


def find_baseline(
    root: Path, results_dir: str, rev: str | None, *, params: Path, hints: BaseHints | None = None
) -> Baseline:
    """Resolve `rev` (or the default base) and read its committed results for `results_dir`."""
    top = git.toplevel(root)
    if top is None:
        if rev is not None:
            raise UsageError(f"--base {rev}: {root.resolve()} is not inside a git repository")
        return Baseline(BaseRef(rev=None, reason="not a git repository"), None)
    if rev is not None:
        choice = _Choice(rev, _resolve_explicit(rev, top), "explicit")
    else:
        choice = default_base(top, hints or BaseHints())
    ref = BaseRef(
        rev=choice.label, sha=choice.sha, chosen_by=choice.chosen_by, default_branch=choice.default_branch
    )
    if choice.sha is None:
        return Baseline(ref.model_copy(update={"reason": choice.why_none}), None)
    in_repo = _in_repo(root / results_dir, top)
    scores = git.show(choice.sha, str(in_repo / SCORES), top)
    info = git.show(choice.sha, str(in_repo / RUN_INFO), top)
    base_params = git.show(choice.sha, str(_in_repo(params, top)), top)
    if scores is None or info is None:
        reason = f"{choice.sha[:12]} has no committed results in {in_repo}"
        return Baseline(ref.model_copy(update={"reason": reason}), None, base_params)
    files = parse_run(scores, info, f"{choice.label}:{in_repo}")
    return Baseline(ref.model_copy(update={"found": True}), files, base_params)


def _in_repo(path: Path, top: Path) -> PurePosixPath:
    return PurePosixPath(path.resolve().relative_to(top.resolve()).as_posix())


def default_branch(top: Path, hints: BaseHints) -> str | None:
    """The default branch as a rev: CI's target, origin/HEAD, gate.base, init.defaultBranch, main/master.

    `gate.base` (the project's own statement) comes before `init.defaultBranch`, which is a
    setting of the machine, not of the project.
    """
    if hints.ci_branch:
        for candidate in (f"origin/{hints.ci_branch}", hints.ci_branch):
            if git.resolve(candidate, top):
                return candidate
    origin_head = git.symbolic_ref("refs/remotes/origin/HEAD", top)
    if origin_head is not None:
        return origin_head.removeprefix("refs/remotes/")
    for configured in (hints.configured, git.config_value("init.defaultBranch", top)):
        if configured:
            for candidate in (configured, f"origin/{configured}"):
                if git.resolve(candidate, top):
                    return candidate
    return next((name for name in FALLBACK_BRANCHES if git.resolve(name, top)), None)


def default_base(top: Path, hints: BaseHints) -> _Choice:
    """Merge-base with the default branch; on it, the previous commit (HEAD for uncommitted results)."""
    head = git.resolve("HEAD", top)
    if head is None:
        return _Choice(None, None, "none", why_none="the repository has no commits yet")
    default = default_branch(top, hints)
    on_default = default is not None and (
        git.resolve(default, top) == head or git.current_branch(top) == default.removeprefix("origin/")
    )
    if default is not None and not on_default:
        found = git.merge_base("HEAD", default, top)
        if found is not None and found != head:
            return _Choice(default, found, "merge-base", default)
        if found is None and git.is_shallow(top):
            raise GitError(
                f"this shallow clone cannot find where HEAD branched from {default}; "
                "fetch more history (`git fetch --unshallow`) or pass --base REV"
            )
        if found is None:
            return _Choice(default, None, "none", default, f"HEAD shares no history with {default}")
        # HEAD is an ancestor of the default branch (a detached checkout of an older commit of
        # it): the merge-base is HEAD itself, so compare with HEAD's parent instead.
    if hints.dirty and (on_default or default is None):
        return _Choice("HEAD", head, "head", default)
    parent = git.resolve("HEAD~1", top)
    if parent is None and git.is_shallow(top):
        raise GitError(
            "this shallow clone lacks HEAD~1; fetch it with `git fetch --deepen=1` or pass --base REV"
        )
    chosen: BaseChoice = "parent" if default is not None else "guessed"
    return _Choice("HEAD~1", parent, chosen, default, "the head commit has no parent to compare with")


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
