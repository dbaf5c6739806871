"""Install + run benchmark: what the Action's install step costs with pip and with uv.

Each run makes a fresh virtualenv (not timed; its pip upgraded, as setup-python's is recent),
then times the install as action.yml does it:
  pip: `python -m pip install ROOT`
  uv:  `python -m pip install uv` (the bootstrap), then `uv pip install --python python ROOT`
and then the example in a fresh repository with that environment on PATH: `dvc repro --force`
(every stage reruns, as when a PR edits the data) and `benchgate gate --base HEAD`.
A cold cache is an empty PIP_CACHE_DIR / UV_CACHE_DIR (every package downloaded); a warm one
was filled by an untimed install just before. Needs `uv` nowhere: the bootstrap fetches it.

Usage: python -m benchmarks.install [RUNS]   (default 3)
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ("params.yaml", "dvc.yaml", "dvc.lock", ".dvcignore", ".dvc/config", ".dvc/.gitignore", "data")
Step = Callable[[Path, dict[str, str]], None]


def source(directory: Path) -> Path:
    """HEAD's tracked files, as the Action's checkout holds them (no .venv or caches to copy)."""
    tree = directory / "benchgate"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def run(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # the example's gate passes: any other exit is a broken run
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")


def install_pip(venv: Path, env: dict[str, str]) -> None:
    run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", env["BENCHGATE_SOURCE"]], venv, env)


def bootstrap_uv(venv: Path, env: dict[str, str]) -> None:
    run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "uv"], venv, env)


def install_uv(venv: Path, env: dict[str, str]) -> None:
    python = str(venv / "bin/python")
    command = [str(venv / "bin/uv"), "pip", "install", "--quiet", "--python", python]
    run([*command, env["BENCHGATE_SOURCE"]], venv, env)


def example(directory: Path, env: dict[str, str]) -> Path:
    """The bundled example as a fresh one-commit repository."""
    project = directory / "example"
    project.mkdir()
    for name in EXAMPLE:
        source = ROOT / name
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            shutil.copy2(source, project / name)
    user = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*user, "commit", "-q", "-m", "example"]):
        run(["git", *args], project, env)
    return project


def timed(step: Step, venv: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    step(venv, env)
    return time.perf_counter() - start


def one_run(installer: str, tree: Path, cache: Path, prime: bool) -> tuple[float, float, float]:
    """(bootstrap s, install s, run s) in a fresh virtualenv using `cache` (primed first if asked)."""
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        env = {**os.environ, "PIP_CACHE_DIR": str(cache / "pip"), "UV_CACHE_DIR": str(cache / "uv")}
        env.update({"DVC_NO_ANALYTICS": "1", "BENCHGATE_SOURCE": str(tree)})
        env.pop("VIRTUAL_ENV", None)
        steps: list[Step] = [bootstrap_uv, install_uv] if installer == "uv" else [install_pip]
        if prime:
            primer = directory / "primer"
            fresh_venv(primer, env)
            for step in steps:
                step(primer, env)
        venv = directory / "venv"
        fresh_venv(venv, env)
        times = [timed(step, venv, env) for step in steps]
        bootstrap, install = (times[0], times[1]) if installer == "uv" else (0.0, times[0])
        project = example(directory, env)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        start = time.perf_counter()
        run(["dvc", "repro", "--force"], project, env)
        run(["benchgate", "gate", "--base", "HEAD"], project, env)
        return bootstrap, install, time.perf_counter() - start


def fresh_venv(venv: Path, env: dict[str, str]) -> None:
    run([sys.executable, "-m", "venv", str(venv)], venv.parent, env)
    run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], venv.parent, env)


def main(runs: int) -> None:
    machine = f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    print(f"# benchgate install benchmark · {machine} · load average {load()}")
    print("| installer | cache | bootstrap s | install s | dvc repro + gate s |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as temp:
        tree = source(Path(temp))
        for installer in ("pip", "uv"):
            for state in ("cold", "warm"):
                rows = []
                for index in range(runs):
                    # A warm cache is shared by the runs of a row and primed before the first.
                    cache = Path(temp) / f"{installer}-{state}" / ("" if state == "warm" else str(index))
                    rows.append(one_run(installer, tree, cache, prime=state == "warm" and index == 0))
                print(f"| {installer} | {state} | {' | '.join(columns(rows))} |", flush=True)
    print(f"load average after: {load()}")


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def columns(rows: list[tuple[float, float, float]]) -> list[str]:
    """Each figure's runs and their median; a dash for a step the installer has not."""
    shown = []
    for values in zip(*rows, strict=True):
        listed = " / ".join(f"{v:.1f}" for v in values)
        shown.append(f"{listed} (median {statistics.median(values):.1f})" if any(values) else "—")
    return shown


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
