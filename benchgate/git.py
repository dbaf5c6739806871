"""The git commands benchgate needs, run as subprocesses."""

from __future__ import annotations

import subprocess
from collections.abc import Generator
from pathlib import Path

from benchgate.errors import GitError


def run_git(
    args: list[str], cwd: Path, *, check: bool = True, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run git (with `stdin` as input); with `check`, a failure raises `GitError` with git's first line."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, input=stdin)
    except FileNotFoundError:
        raise GitError(_MISSING) from None
    if check and done.returncode != 0:
        raise _failure(args, done.returncode, done.stderr)
    return done


_MISSING = "git is not installed or not on PATH"


def _failure(args: list[str], code: int, stderr: bytes) -> GitError:
    message = stderr.decode("utf-8", "replace").strip().splitlines()
    return GitError(f"git {' '.join(args)} failed: {message[0] if message else f'exit {code}'}")


def _text(args: list[str], cwd: Path) -> str:
    return run_git(args, cwd).stdout.decode("utf-8", "replace").strip()


def toplevel(cwd: Path) -> Path | None:
    """Root of the work tree containing `cwd`, or None outside git."""
    done = run_git(["rev-parse", "--show-toplevel"], cwd, check=False)
    return Path(done.stdout.decode().strip()) if done.returncode == 0 else None


def resolve(rev: str, cwd: Path) -> str | None:
    """Commit sha of `rev`, or None when this clone does not have it."""
    done = run_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd,
        check=False,
    )
    return done.stdout.decode().strip() if done.returncode == 0 else None


def is_shallow(cwd: Path) -> bool:
    """Whether this clone lacks part of its history."""
    return _text(["rev-parse", "--is-shallow-repository"], cwd) == "true"


def current_branch(cwd: Path) -> str | None:
    """Checked-out branch name; None on a detached HEAD."""
    done = run_git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd, check=False)
    if done.returncode != 0:
        return None
    return done.stdout.decode().strip() or None


def symbolic_ref(name: str, cwd: Path) -> str | None:
    """What a symbolic ref (e.g. `refs/remotes/origin/HEAD`) points at, or None."""
    done = run_git(["symbolic-ref", "--quiet", name], cwd, check=False)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def config_value(key: str, cwd: Path) -> str | None:
    """A git config value (repository, global or system), or None when unset."""
    done = run_git(["config", "--get", key], cwd, check=False)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def merge_base(a: str, b: str, cwd: Path) -> str | None:
    """Best common ancestor, or None when the histories do not meet (or are cut)."""
    done = run_git(["merge-base", a, b], cwd, check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def show(sha: str, path: str, cwd: Path) -> bytes | None:
    """A file's bytes at a commit; None when the file is not in that commit."""
    if not _exists(sha, path, cwd):
        return None
    return run_git(["cat-file", "blob", f"{sha}:{path}"], cwd).stdout


def stream(sha: str, path: str, cwd: Path, chunk: int = 1 << 20) -> Generator[bytes] | None:
    """A file's bytes at a commit in chunks as git writes them (a large file is never held whole);
    None when the file is not in that commit. A git failure raises `GitError` once read to the end."""
    if not _exists(sha, path, cwd):
        return None
    return _chunks(["cat-file", "blob", f"{sha}:{path}"], cwd, chunk)


def _exists(sha: str, path: str, cwd: Path) -> bool:
    return run_git(["cat-file", "-e", f"{sha}:{path}"], cwd, check=False).returncode == 0


def _chunks(args: list[str], cwd: Path, size: int) -> Generator[bytes]:
    try:
        process = subprocess.Popen(["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise GitError(_MISSING) from None
    with process:  # closes the pipes and waits for git
        assert process.stdout is not None and process.stderr is not None
        read_all = False
        try:
            while chunk := process.stdout.read(size):
                yield chunk
            read_all = True
        finally:
            if not read_all:  # the reader stopped early: git would block on a full pipe
                process.kill()
        stderr = process.stderr.read()
    if process.returncode != 0:
        raise _failure(args, process.returncode, stderr)


def differs_from_head(paths: list[str], cwd: Path) -> bool:
    """Whether any of `paths` differs from HEAD in the work tree (or is untracked)."""
    done = run_git(["status", "--porcelain", "--untracked-files=all", "--", *paths], cwd, check=False)
    return bool(done.stdout.strip())
