"""Shared fixtures: real git repositories in temp dirs and the CLI run as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "channel_digest_ru"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.update(
    {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
)


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd`, failing the test on error; returns stdout."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def commit_all(cwd: Path, message: str) -> str:
    """Stage everything and commit; returns the new sha."""
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)
    return git(cwd, "rev-parse", "HEAD")


def benchgate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, real exit code, real stderr."""
    return subprocess.run(
        [sys.executable, "-m", "benchgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository on branch main."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


@pytest.fixture
def example(repo: Path) -> Path:
    """The bundled example scenario copied into a fresh repository (nothing run or committed)."""
    shutil.copy(ROOT / "params.yaml", repo / "params.yaml")
    shutil.copytree(ROOT / "data" / "scenarios" / EXAMPLE, repo / "data" / "scenarios" / EXAMPLE)
    return repo


def tool_env() -> dict[str, str]:
    """Environment in which `benchgate` and `dvc` resolve to this interpreter's installs."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def dvc(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Real `dvc`, run the way a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**tool_env(), **(env or {})},
    )


def snapshot_project(destination: Path) -> Path:
    """This checkout's files (tracked and new, as in the work tree) committed into a new repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    destination.mkdir(parents=True)
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "-q", "-b", "main")
    commit_all(destination, "snapshot of the project")
    return destination


@pytest.fixture(scope="session")
def project_origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as an 'origin' repository that tests clone from."""
    origin = snapshot_project(tmp_path_factory.mktemp("origin") / "benchgate")
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    return origin


@pytest.fixture
def clone(project_origin: Path, tmp_path: Path) -> Path:
    """A fresh full clone of the project."""
    target = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project_origin), str(target))
    return target
