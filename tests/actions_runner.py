"""A simulated GitHub Actions runner for action.yml and the workflows that use it, without network.

It does what the runner does to the parts our YAML uses: `${{ }}` expansion from a context,
the `if:` conditions of the form we write (`!cancelled()`, `X != ''`, `X == 'v'`, joined by
`&&`), step outputs read from a fresh $GITHUB_OUTPUT per step, and the artifact actions as
copies into a local store (upload-artifact's least-common-ancestor layout, download's
`pattern` and `merge-multiple`). Anything else it meets is an error, so a workflow cannot
grow a step this runner silently skips.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.conftest import ROOT
from tests.test_action import expand, run_step

ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())
SELF = "$/"
_COMPARISON = re.compile(r"^(.+?)\s*(==|!=)\s*'([^']*)'$")
_EXPRESSION = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$", re.DOTALL)


def read_outputs(path: Path) -> dict[str, str]:
    """A $GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
            continue
        name, value = line.split("=", 1)
        outputs[name] = value
        index += 1
    return outputs


def condition(text: str | None, context: dict[str, str]) -> bool:
    """An `if:` as the runner evaluates it, for the forms our YAML uses (and nothing else)."""
    if text is None:
        return True
    found = _EXPRESSION.match(text.strip())
    body = found.group(1) if found else text.strip()
    result = True
    for term in (t.strip() for t in body.split("&&")):
        if term == "!cancelled()":
            continue
        comparison = _COMPARISON.match(term)
        assert comparison, f"the simulated runner cannot evaluate {term!r}"
        value = context[comparison.group(1).strip()]
        result = result and ((value == comparison.group(3)) == (comparison.group(2) == "=="))
    return result


@dataclass
class Runner:
    """One machine: a base environment and an artifact store shared by the jobs of one run."""

    env: dict[str, str]
    artifacts: Path
    uploaded: dict[str, list[str]] = field(default_factory=dict)
    """Artifact name -> the files in it, relative to its root."""
    logs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    """Every `run:` step's result, in order (for failure messages)."""

    def upload(self, inputs: dict[str, str], cwd: Path) -> None:
        """upload-artifact v4: the files stored relative to the paths' least common ancestor."""
        paths = [cwd / line.strip() for line in inputs["path"].splitlines() if line.strip()]
        assert paths and all(p.exists() for p in paths), f"upload-artifact: no such file in {paths}"
        root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in paths]))
        target = self.artifacts / inputs["name"]
        assert not target.exists(), f"artifact {inputs['name']} uploaded twice in one run"
        for path in paths:
            if path.is_dir():
                shutil.copytree(path, target / path.relative_to(root), dirs_exist_ok=True)
            else:
                (target / path.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target / path.relative_to(root))
        files = (str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
        self.uploaded[inputs["name"]] = sorted(files)

    def download(self, inputs: dict[str, str], cwd: Path) -> None:
        """download-artifact v4: one by `name`, or every match of `pattern` (merged or one folder each)."""
        destination = cwd / inputs["path"]
        chosen = inputs.get("pattern") or inputs["name"]
        names = sorted(name for name in self.uploaded if fnmatch.fnmatchcase(name, chosen))
        assert names, f"download-artifact: no artifact matches {chosen}"
        together = "name" in inputs or inputs.get("merge-multiple", "").lower() == "true"
        for name in names:
            into = destination if together else destination / name
            shutil.copytree(self.artifacts / name, into, dirs_exist_ok=True)

    def uses(self, uses: str, inputs: dict[str, str], cwd: Path) -> int:
        """A `uses:` step of an action simulated here."""
        action = uses.split("@", 1)[0]
        if action == "actions/upload-artifact":
            self.upload(inputs, cwd)
        elif action == "actions/download-artifact":
            self.download(inputs, cwd)
        else:  # set-up steps whose effect the caller provides; a cache starts cold
            assert action in ("actions/setup-python", "actions/checkout") or action.startswith(
                "actions/cache"
            ), f"the simulated runner cannot run {uses}"
        return 0

    def action(self, given: dict[str, str], cwd: Path, outer: dict[str, str]) -> tuple[int, dict[str, str]]:
        """action.yml with `given` inputs: its exit code (the first failing step's) and its outputs."""
        for name in given:
            assert name in ACTION["inputs"], f"action.yml has no input {name}"
        context = dict(outer)
        for name, spec in ACTION["inputs"].items():
            context[f"inputs.{name}"] = given.get(name, expand(str(spec.get("default", "")), outer))
        for name in re.findall(r"steps\.[\w-]+\.outputs\.[\w-]+", str(ACTION)):
            context[name] = ""  # an output no step has set expands to ''
        code = 0
        for step in ACTION["runs"]["steps"]:
            after_failure = "!cancelled()" in str(step.get("if", ""))
            if (code and not after_failure) or not condition(step.get("if"), context):
                continue
            done = self.step(step, cwd, context)
            code = code or done
        return code, {name: expand(output["value"], context) for name, output in ACTION["outputs"].items()}

    def step(self, step: dict[str, Any], cwd: Path, context: dict[str, str]) -> int:
        """One step in `cwd` (or its working-directory); a `run:` step's outputs go into `context`."""
        with_inputs = {k: expand(str(v), context) for k, v in (step.get("with") or {}).items()}
        where = cwd / expand(str(step.get("working-directory", ".")), context)
        if step.get("uses") == SELF:  # a workflow's step running this repository's action
            code, outputs = self.action(with_inputs, where, context)
            context.update({f"steps.{step.get('id')}.outputs.{k}": v for k, v in outputs.items()})
            return code
        if "uses" in step:
            return self.uses(step["uses"], with_inputs, where)
        output = self.artifacts.parent / f"github-output-{len(self.logs)}.txt"
        env = {**self.env, "GITHUB_OUTPUT": str(output)}
        env.update({k: expand(str(v), context) for k, v in (step.get("env") or {}).items()})
        done = run_step(step["run"], where, env)
        self.logs.append(done)
        assert "Traceback" not in done.stderr, done.stderr
        for name, value in read_outputs(output).items():
            if step.get("id"):
                context[f"steps.{step['id']}.outputs.{name}"] = value
        return done.returncode
