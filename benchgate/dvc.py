"""Everything benchgate knows about DVC: the stage names dvc.yaml uses, and `dvc` run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from benchgate.errors import InfraError
from benchgate.results import Mode

PIPELINE = "dvc.yaml"
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
    done = _dvc(root, "repro", stage, env=env)
    sys.stderr.write(done.stdout + done.stderr)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InfraError(f"dvc repro {stage} failed: {last}")


def stage_for(root: Path, live: list[str], scenario: str, mode: Mode) -> str | None:
    """The stage that runs `scenario` in `mode`, when the project's dvc.yaml has one.

    As dvc.yaml's matrices are written: a dry-run stage for every scenario, a live stage only
    for the scenarios listed under `live:` in params.yaml.
    """
    if not has_pipeline(root) or (mode == "live" and scenario not in live):
        return None
    return stage_name(scenario, mode)
