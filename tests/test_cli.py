from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import benchgate

VERBS = ["run", "gate", "validate"]


def test_help_lists_every_verb_and_the_exit_codes(tmp_path: Path) -> None:
    done = benchgate(tmp_path, "--help")
    assert done.returncode == 0
    for verb in VERBS:
        assert f"  {verb} " in done.stdout
    assert "0 gate passed" in done.stdout and "3 infrastructure error" in done.stdout


@pytest.mark.parametrize("verb", VERBS)
def test_each_verb_has_help(verb: str, tmp_path: Path) -> None:
    done = benchgate(tmp_path, verb, "--help")
    assert done.returncode == 0
    assert f"Usage: benchgate {verb}" in done.stdout


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys; from benchgate.cli import cli; "
        "heavy = ('numpy', 'pydantic', 'dvc', 'httpx', 'ruamel.yaml', 'markdown_it'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_unknown_scenario_is_a_usage_error(tmp_path: Path) -> None:
    from benchmarks.synthetic import write_project

    write_project(tmp_path, 25)
    done = benchgate(tmp_path, "run", "--scenario", "nope")
    assert done.returncode == 2
    assert done.stderr.strip() == "benchgate: error: no scenario 'nope' in params.yaml (defined: synthetic)"


def test_missing_params_says_where_to_run(tmp_path: Path) -> None:
    done = benchgate(tmp_path, "gate")
    assert done.returncode == 2
    assert "params.yaml: file not found" in done.stderr


def test_gate_before_any_run_says_how_to_make_results(tmp_path: Path) -> None:
    from benchmarks.synthetic import write_project

    write_project(tmp_path, 25)
    done = benchgate(tmp_path, "gate")
    assert done.returncode == 2
    assert "not found; run `dvc repro` or `benchgate run` first" in done.stderr
