"""action.yml: every input used, every output set, and its steps run under a simulated runner."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT, tool_env
from tests.fakes.github_server import FakeGitHub
from tests.test_ci import BOT, MARKER, OWNER, PR, REPO, TOKEN, actions_env, ours, pull_request

ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def expand(text: str, context: dict[str, str]) -> str:
    """What the runner does to `${{ ... }}` in a composite action, for the names used here."""
    return EXPRESSION.sub(lambda m: context[m.group(1)], text)


def applies(step: dict[str, object], context: dict[str, str]) -> bool:
    """A step's `if:` as the runner evaluates it (the simulated runner's evaluator)."""
    from tests.actions_runner import condition

    return condition(None if step.get("if") is None else str(step["if"]), context)


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` script as the runner runs a bash step."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_input_is_used_and_every_output_comes_from_the_gate_step() -> None:
    steps_text = str(ACTION["runs"]["steps"])
    for name in ACTION["inputs"]:
        assert f"inputs.{name}" in steps_text, f"input {name} is never used"
    for name, output in ACTION["outputs"].items():
        assert output["value"] == f"${{{{ steps.gate.outputs.{name} }}}}"


def runner_path(shims: Path) -> str:
    """The runner's PATH: the shims first, then system directories, none with a `uv` or this venv."""
    venv = Path(sys.executable).parent
    system = [d for d in os.environ["PATH"].split(os.pathsep) if d and Path(d) != venv]
    return os.pathsep.join([str(shims), *(d for d in system if not (Path(d) / "uv").exists())])


def shim(path: Path, script: str) -> None:
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def runner_shims(shims: Path, record: Path, *, uv_from_pypi: bool = True, uv_works: bool = True) -> None:
    """What actions/setup-python leaves on the runner, without its network: `python` records
    every install (pip's and uv's) and hands any other call to this interpreter; `benchgate`
    is the CLI of this checkout. `uv_from_pypi` and `uv_works` say how `pip install uv` and
    uv's install of benchgate go."""
    shims.mkdir(parents=True, exist_ok=True)
    shim(
        shims / "python",
        f'if [ "$1 $2 $3" = "-m pip install" ] || [ "$1 $2" = "-m uv" ]; then echo "$@" >> {record}\n'
        f'  if [ "$2" = uv ]; then exit {0 if uv_works else 2}; fi\n'
        f'  if [ "${{!#}}" = uv ]; then exit {0 if uv_from_pypi else 1}; fi\n'
        "  exit 0\n"
        "fi\n"
        f'exec {sys.executable} "$@"\n',
    )
    shim(shims / "benchgate", f'exec {sys.executable} -m benchgate "$@"\n')


def install(tmp_path: Path, inputs: dict[str, str] | None = None, **shims: bool) -> tuple[int, list[str]]:
    """Run the action's install step; its exit code and every install it made, in order."""
    [step] = [s for s in ACTION["runs"]["steps"] if s.get("name") == "Install benchgate"]
    context = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    context.update({f"inputs.{name}": value for name, value in (inputs or {}).items()})
    record = tmp_path / "installs.txt"
    record.touch()
    runner_shims(tmp_path / "shims", record, **shims)
    env = {"PATH": runner_path(tmp_path / "shims"), "GITHUB_ACTION_PATH": str(ROOT), "HOME": str(tmp_path)}
    env.update({k: expand(str(v), context) for k, v in step["env"].items()})
    done = run_step(step["run"], tmp_path, env)
    assert "Traceback" not in done.stderr
    return done.returncode, record.read_text().splitlines()


PIP = "-m pip install --disable-pip-version-check --quiet"


@pytest.mark.parametrize(
    ("inputs", "shims", "expected"),
    [
        ({}, {}, [f"{PIP} uv", f"-m uv pip install --quiet --python {{shims}}/python {ROOT}"]),
        ({}, {"uv_from_pypi": False}, [f"{PIP} uv", f"{PIP} {ROOT}"]),
        (
            {},
            {"uv_works": False},
            [f"{PIP} uv", f"-m uv pip install --quiet --python {{shims}}/python {ROOT}", f"{PIP} {ROOT}"],
        ),
        ({"installer": "pip"}, {}, [f"{PIP} {ROOT}"]),
        (
            {"extras": "s3"},
            {},
            [f"{PIP} uv", f"-m uv pip install --quiet --python {{shims}}/python {ROOT}[s3]"],
        ),
        ({"installer": "pip", "extras": "s3,gs"}, {}, [f"{PIP} {ROOT}[s3,gs]"]),
    ],
    ids=["uv", "no-uv-on-pypi", "uv-fails", "pip", "uv-extras", "pip-extras"],
)
def test_the_install_step_uses_uv_when_it_can_and_pip_otherwise(
    inputs: dict[str, str], shims: dict[str, bool], expected: list[str], tmp_path: Path
) -> None:
    code, installs = install(tmp_path, inputs, **shims)
    assert code == 0
    assert installs == [line.format(shims=tmp_path / "shims") for line in expected]


def test_the_runners_own_uv_is_used_without_fetching_one(tmp_path: Path) -> None:
    record = tmp_path / "uv-calls.txt"
    (tmp_path / "shims").mkdir()
    shim(tmp_path / "shims" / "uv", f'echo "$@" >> {record}\n')
    code, installs = install(tmp_path)
    assert code == 0 and installs == []
    python = tmp_path / "shims" / "python"
    assert record.read_text().split() == ["pip", "install", "--quiet", "--python", str(python), str(ROOT)]


@pytest.mark.parametrize(
    "inputs", [{"installer": "conda"}, {"extras": "s3] ; rm -rf ~"}, {"extras": "../other"}], ids=str
)
def test_bad_installer_inputs_stop_before_installing(inputs: dict[str, str], tmp_path: Path) -> None:
    code, installs = install(tmp_path, inputs)
    assert code == 2 and installs == []


def test_the_action_runs_under_a_simulated_runner(repo: Path, tmp_path: Path) -> None:
    from tests.actions_runner import Runner

    tokens = {TOKEN: {"login": BOT, "write": True}}
    with FakeGitHub(tokens) as github:  # type: ignore[arg-type]
        github.add_issue(OWNER, REPO, PR)
        base, head = pull_request(repo)
        env = {**tool_env(), **actions_env(repo, github, base, head), "GITHUB_ACTION_PATH": str(ROOT)}
        # The runner's `python` is set up by actions/setup-python; here a shim records the
        # installs (no network) and hands every other call to this interpreter.
        record = tmp_path / "installs.txt"
        runner_shims(tmp_path / "shims", record)
        env["PATH"] = runner_path(tmp_path / "shims")
        (tmp_path / "artifacts").mkdir()
        runner = Runner(env, tmp_path / "artifacts")
        inputs = {"working-directory": repo.name, "llm-api-key": "sk-never-used-0000"}
        code, written = runner.action(inputs, repo.parent, {"github.token": TOKEN})
        assert record.read_text().split()[-1] == str(ROOT)
        assert "-m uv pip install" in record.read_text(), "installed with uv"
        assert [done.returncode for done in runner.logs] == [0, 1], (
            "installed; the gate fails on the regression"
        )
        assert code == 1
        assert set(written) == set(ACTION["outputs"])
        assert all(written[name] for name in written if name != "comment-url"), written
        assert written["status"] == "fail"
        [comment] = ours(github)
        assert written["comment-url"] == comment["html_url"]
        assert Path(written["report-path"]).read_text().startswith(MARKER)
        assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().startswith(MARKER)
    # The failing gate's report.html and JUnit are uploaded all the same, under the mode's name.
    [junit] = ElementTree.parse(written["junit-path"]).getroot().iter("testsuite")
    assert int(junit.get("failures") or 0) >= 1
    assert Path(written["report-html"]).read_text().startswith("<!DOCTYPE html>")
    assert runner.uploaded == {
        "benchgate-report-dry-run": ["ci/junit.xml", "reports/synthetic/dry-run/report.html"]
    }
    stored = tmp_path / "artifacts" / "benchgate-report-dry-run"
    assert (stored / "ci/junit.xml").read_bytes() == Path(written["junit-path"]).read_bytes()


def test_no_artifact_is_uploaded_without_a_name(repo: Path, tmp_path: Path) -> None:
    from tests.actions_runner import Runner

    pull_request(repo, lowered=1)
    record = tmp_path / "installs.txt"
    runner_shims(tmp_path / "shims", record)
    env = {**tool_env(), "PATH": runner_path(tmp_path / "shims"), "GITHUB_ACTION_PATH": str(ROOT)}
    env["GITHUB_OUTPUT"] = str(tmp_path / "unused.txt")
    (tmp_path / "artifacts").mkdir()
    runner = Runner(env, tmp_path / "artifacts")
    inputs = {"working-directory": repo.name, "comment": "false", "artifact-name": ""}
    code, written = runner.action(inputs, repo.parent, {"github.token": TOKEN})
    assert code == 0 and written["junit-path"] and runner.uploaded == {}


def gate_step_environment(comment: str, tmp_path: Path) -> dict[str, str]:
    """What `benchgate ci` finds in its environment when the gate step runs with `comment`."""
    [step] = [s for s in ACTION["runs"]["steps"] if s.get("id") == "gate"]
    context = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    context.update({"inputs.comment": comment, "inputs.github-token": TOKEN, "inputs.llm-api-key": "sk-0000"})
    shims = tmp_path / "shims"
    shims.mkdir(parents=True)
    record = tmp_path / "environment.txt"
    shim = shims / "benchgate"  # stands in for the real CLI: records what it was handed
    shim.write_text(f"#!/usr/bin/env bash\nenv > {record}\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    env.update({k: expand(str(v), context) for k, v in step["env"].items()})
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in record.read_text().splitlines() if "=" in line)


def test_the_token_reaches_benchgate_only_when_it_comments(tmp_path: Path) -> None:
    commenting = gate_step_environment("true", tmp_path / "on")
    assert commenting["GITHUB_TOKEN"] == TOKEN
    silent = gate_step_environment("false", tmp_path / "off")
    assert "GITHUB_TOKEN" not in silent, "with comment: false the pipeline never sees the token"
    assert silent["LLM_API_KEY"] == "sk-0000" and silent["BENCHGATE_COMMENT"] == "false"


def test_every_action_the_composite_uses_is_pinned_to_a_commit() -> None:
    used = [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]
    assert used and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref) for ref in used)


def cache_key_outputs(tmp_path: Path, **github: str) -> dict[str, str]:
    """What the response cache key step writes to $GITHUB_OUTPUT for a run in `github`'s context."""
    [step] = [s for s in ACTION["runs"]["steps"] if s.get("id") == "llm-cache-key"]
    context = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    context.update({"inputs.mode": "live", "inputs.scenarios": "b, a"})
    context.update({f"github.{name}": value for name, value in github.items()})
    context.setdefault("github.head_ref || github.ref_name", github.get("head_ref") or github["ref_name"])
    context.setdefault("github.base_ref", github.get("base_ref", ""))
    context.setdefault("github.event.pull_request.base.sha", github.get("base_sha", ""))
    assert applies(step, context)
    tmp_path.mkdir(parents=True)
    output = tmp_path / "output.txt"
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), "GITHUB_SHA": "c" * 40}
    env.update({k: expand(str(v), context) for k, v in step["env"].items()})
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    lines = output.read_text().splitlines()
    start = lines.index("restore-keys<<BENCHGATE_EOF")
    written = dict(line.split("=", 1) for line in lines[:start])
    written["restore-keys"] = "\n".join(lines[start + 1 : lines.index("BENCHGATE_EOF")])
    return written


def test_the_response_cache_is_keyed_per_commit_and_restored_from_the_branch_then_the_base(
    tmp_path: Path,
) -> None:
    pr = cache_key_outputs(
        tmp_path / "pr", head_ref="feature/x,y", ref_name="7/merge", base_ref="main", base_sha="b" * 40
    )
    prefix = pr["key"].split("-feature")[0]
    assert prefix.startswith("benchgate-llm-v1-") and prefix.endswith("-live-all")
    assert pr["key"] == f"{prefix}-feature/x_y-{'c' * 40}", "a comma may not appear in a cache key"
    assert pr["restore-keys"].splitlines() == [
        f"{prefix}-feature/x_y-",  # this branch's last run: a re-push sends only new requests
        f"{prefix}-main-{'b' * 40}",  # the PR's base commit
        f"{prefix}-main-",  # else the base branch's newest
    ]
    assert pr["path"] == "./.benchgate/cache.sqlite"
    push = cache_key_outputs(tmp_path / "push", ref_name="main")
    assert push["key"].startswith(prefix), "the scenario set is named the same in any order"
    assert push["restore-keys"].splitlines() == [f"{prefix}-main-"]
    skipped = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    cache_steps = [s for s in ACTION["runs"]["steps"] if "llm-cache" in str(s.get("if", ""))]
    assert len(cache_steps) == 2 and not any(applies(s, skipped) for s in cache_steps), "dry-run: no cache"
