"""Everything benchgate knows about DVC: the stage names dvc.yaml uses, the `.dvc` files that track
data kept in a DVC remote, and `dvc` run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from benchgate.crash import redact
from benchgate.errors import InfraError
from benchgate.results import Mode

PIPELINE = "dvc.yaml"
POINTER_SUFFIX = ".dvc"
"""`dvc add FILE` writes FILE.dvc (its hash, committed) and git-ignores FILE, whose bytes live in a remote."""
STAGE_BY_MODE: dict[Mode, str] = {"dry-run": "bench", "live": "bench-live"}
"""The matrix stage of each mode in dvc.yaml; a scenario's stage is `<stage>@<scenario>-<mode>`."""


def stage_name(scenario: str, mode: Mode) -> str:
    """The dvc.yaml stage that runs `scenario` in `mode`."""
    return f"{STAGE_BY_MODE[mode]}@{scenario}-{mode}"


def has_pipeline(root: Path) -> bool:
    """Whether the project defines a DVC pipeline."""
    return (root / PIPELINE).is_file()


def _dvc(root: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The interpreter's own dvc, so a virtualenv's install is used even when not on PATH.
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env} if env else None,
    )


def list_stages(root: Path) -> set[str]:
    """Names of every stage dvc.yaml defines (matrix stages expanded); empty when DVC cannot read it."""
    done = _dvc(root, "stage", "list", "--name-only")
    return set(done.stdout.split()) if done.returncode == 0 else set()


def repro(root: Path, stage: str, env: Mapping[str, str] | None = None) -> None:
    """`dvc repro STAGE` (with `env` added to the environment), its output passed to stderr.

    A failure is an infrastructure error.
    """
    _checked(_dvc(root, "repro", stage, env=env), f"dvc repro {stage}")


def pointer(path: Path) -> Path:
    """The `.dvc` file that tracks `path` once it is `dvc add`-ed."""
    return path.with_name(path.name + POINTER_SUFFIX)


def not_pulled(path: Path) -> str | None:
    """Why `path` is missing when DVC tracks it and it was not pulled; None when it is there or untracked."""
    if path.exists() or not pointer(path).is_file():
        return None
    return f"tracked by DVC but not in the work tree: run `dvc pull {pointer(path)}`"


def pull(root: Path, paths: list[str]) -> list[str]:
    """`dvc pull` of exactly those `paths` (relative to `root`) that DVC tracks and the work tree lacks.

    Returns the `.dvc` files pulled; runs no `dvc` at all when there are none. A failing pull
    (remote unreachable, credentials missing) is an infrastructure error.
    """
    targets = [str(pointer(Path(p))) for p in paths if not_pulled(root / p)]
    targets = list(dict.fromkeys(targets))
    if targets:
        _checked(_dvc(root, "pull", *targets), f"dvc pull {' '.join(targets)}")
    return targets


def _checked(done: subprocess.CompletedProcess[str], command: str) -> None:
    """DVC's output passed to stderr; a failure raised with DVC's own error lines. Both redacted."""
    sys.stderr.write(redact(done.stdout + done.stderr))
    if done.returncode != 0:
        raise InfraError(f"{command} failed: {failure(done.stderr)}")


def failure(stderr: str) -> str:
    """DVC's own error in one line, redacted: its last `ERROR:` line, after the first when they differ.

    DVC names the cause first ("Unable to locate credentials") and sums up last ("1 files
    failed to download"), and may end on a help link, so its last line alone is often not
    the error; without any `ERROR:` line, the last line is all there is.
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    shown = list(dict.fromkeys(errors[:1] + errors[-1:])) or lines[-1:] or ["no output"]
    return redact("; ".join(shown))


def stage_for(root: Path, live: list[str], scenario: str, mode: Mode) -> str | None:
    """The stage that runs `scenario` in `mode`, when the project's dvc.yaml has one.

    As dvc.yaml's matrices are written: a dry-run stage for every scenario, a live stage only
    for the scenarios listed under `live:` in params.yaml.
    """
    if not has_pipeline(root) or (mode == "live" and scenario not in live):
        return None
    return stage_name(scenario, mode)
