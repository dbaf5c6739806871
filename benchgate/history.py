"""The trend's data: a scenario's committed metrics at the default branch's latest result commits.

Read from git history without checking anything out, at a bounded cost: one `git log` for the
commits that changed metrics.json and one `git cat-file --batch` process for all of their
blobs. A shallow clone is deepened once, by a bounded number of commits, when fetching is
allowed; otherwise (or when the fetch fails) the trend says what it lacks. Nothing here can
fail the gate: a trend that cannot be read is shown as unavailable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from benchgate import git
from benchgate.errors import GitError
from benchgate.outcome import Trend, TrendPoint

FETCH_DEPTH_PER_POINT = 10
"""Commits fetched per wanted point when a shallow clone lacks history (results change
every few commits at most in a benchmark repository)."""
MAX_FETCH_DEPTH = 1_000
MAX_BLOB_BYTES = 1024 * 1024
"""A metrics.json larger than this is not one benchgate wrote; it is skipped."""


@dataclass(frozen=True)
class TrendSource:
    """Where the history is read from, and what to leave out of it."""

    rev: str
    """Branch or commit whose first-parent history is read (e.g. `origin/main`, a SHA)."""
    label: str | None
    """How the report names it."""
    exclude: str | None = None
    """The gated commit itself, when it is on that history (its value is the last point anyway)."""


def read_trend(
    top: Path, metrics_path: str, source: TrendSource, limit: int, metrics: list[str], *, fetch: bool
) -> Trend:
    """Each metric's value at the last `limit` commits of `source.rev` that changed `metrics_path`."""
    try:
        return _read(top, metrics_path, source, limit, metrics, fetch=fetch)
    except GitError as exc:
        return Trend(rev=source.label, limit=limit, unavailable=str(exc))


def _read(
    top: Path, metrics_path: str, source: TrendSource, limit: int, metrics: list[str], *, fetch: bool
) -> Trend:
    tip = git.resolve(source.rev, top)
    if tip is None:
        return Trend(rev=source.label, limit=limit, unavailable=f"{source.rev} is not in this clone")
    shas = _result_commits(top, tip, metrics_path, limit, source.exclude)
    shallow = len(shas) < limit and git.is_shallow(top)
    why_short = None
    if shallow and fetch:
        depth = min(MAX_FETCH_DEPTH, FETCH_DEPTH_PER_POINT * limit)
        done = git.run_git(
            ["fetch", "--quiet", "--no-tags", f"--deepen={depth}", "origin", tip], top, check=False
        )
        if done.returncode == 0:
            shas = _result_commits(top, tip, metrics_path, limit, source.exclude)
            shallow = len(shas) < limit and git.is_shallow(top)
        else:
            why_short = f"this shallow clone could not fetch more history ({_first_line(done.stderr)})"
    elif shallow:
        why_short = (
            "this shallow clone ends before that many result commits; "
            f"`git fetch --deepen={FETCH_DEPTH_PER_POINT * limit}` or `fetch-depth: 0` reads more"
        )
    if not shas:
        reason = (
            why_short or f"no commit of {source.label or source.rev} has committed results for this scenario"
        )
        return Trend(rev=source.label, limit=limit, unavailable=reason)
    blobs = _blobs(top, [f"{sha}:{metrics_path}" for sha in shas])
    points: dict[str, list[TrendPoint]] = {name: [] for name in metrics}
    for sha in reversed(shas):  # oldest first
        values = _values(blobs.get(f"{sha}:{metrics_path}"), metrics)
        for name, value in values.items():
            points[name].append(TrendPoint(sha=sha, value=value))
    return Trend(
        rev=source.label,
        limit=limit,
        points={name: found for name, found in points.items() if found},
        truncated=shallow,
    )


def _result_commits(top: Path, tip: str, path: str, limit: int, exclude: str | None) -> list[str]:
    """Newest first: the first-parent commits from `tip` that changed `path` (one git log)."""
    args = ["log", "--first-parent", "--format=%H", f"-n{limit + 1}", "--end-of-options", tip, "--", path]
    done = git.run_git(args, top, check=False)
    if done.returncode != 0:
        raise GitError(f"cannot read the history of {path}: {_first_line(done.stderr)}")
    shas = [line for line in done.stdout.decode("ascii", "replace").split() if line != exclude]
    return shas[:limit]


def _blobs(top: Path, objects: list[str]) -> dict[str, bytes]:
    """`<rev>:<path>` -> bytes, for all objects in one `git cat-file --batch` process."""
    if any("\n" in name for name in objects):
        raise GitError("a results path with a line break cannot be read from history")
    done = git.run_git(["cat-file", "--batch"], top, stdin="".join(f"{o}\n" for o in objects).encode())
    out, found, at = done.stdout, {}, 0
    try:
        for name in objects:
            end = out.index(b"\n", at)
            header = out[at:end].split()
            at = end + 1
            if len(header) != 3:  # `<name> missing`: no such file at that commit
                continue
            size = int(header[2])
            if header[1] == b"blob":
                found[name] = out[at : at + size]
            at += size + 1  # the object, then a line feed
    except ValueError:
        raise GitError("git cat-file --batch answered in a format this benchgate does not read") from None
    return found


def _values(blob: bytes | None, metrics: list[str]) -> dict[str, float]:
    """Each metric's `value` in a metrics.json; anything unreadable is left out."""
    if blob is None or len(blob) > MAX_BLOB_BYTES:
        return {}
    try:
        data = json.loads(blob)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    values = {}
    for name in metrics:
        entry = data.get(name)
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            values[name] = float(value)
    return values


def _first_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "no message"
