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


def test_an_unexpected_error_is_exit_4_with_one_line_and_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchgate.cli import main
    from benchgate.commands import validate

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(validate, "validate", broken)
    with pytest.raises(SystemExit) as exit_:
        main(["validate"])
    assert exit_.value.code == 4  # never 1: that would read as a failed gate
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(
        "benchgate: unexpected error (RuntimeError: boom); details in .benchgate/logs/crash-"
    )
    [log] = (tmp_path / ".benchgate" / "logs").iterdir()
    assert "Traceback" in log.read_text() and "second line" in log.read_text()


def test_a_crash_log_never_holds_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchgate import crash

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LLM_API_KEY", "sk-live-0123456789")
    log = crash.write_log(ValueError("sent Bearer sk-live-0123456789"))
    assert "sk-live-0123456789" not in log.read_text() and "[redacted]" in log.read_text()
    assert "sk-live" not in crash.summary(ValueError("key sk-live-0123456789"))
