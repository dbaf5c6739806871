"""The Action and every workflow pass zizmor's audit (offline, every persona) and GitHub's schemas.

A finding passes only when an inline `# zizmor: ignore[rule] reason` suppresses it; the reason
is required, and a suppression that suppresses nothing is itself a problem. Configuration
files are not read (`--no-config`), so no finding can be waved through without a reason
beside it. Both tools run offline: zizmor with `--offline`, check-jsonschema on the schemas
it ships.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

# Directories audit every file in them, so a workflow added later is guarded too.
AUDITED = ("action.yml", ".github/workflows", ".github/dependabot.yml")
SUPPRESSION = re.compile(r"#\s*zizmor:\s*ignore\[([^\]]*)\](.*)$")
MIN_REASON_WORDS = 3
# zizmor's exit codes: 0 clean, 10 + the highest severity when there are findings.
AUDIT_EXIT_CODES = {0, 10, 11, 12, 13, 14}
PIN = re.compile(r"uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})(?:\s+#\s*(v\d+(?:\.\d+)*))?")
USES = re.compile(r"^\s*-?\s*uses:\s*([^\s#]+)", re.MULTILINE)
PLACEHOLDER_SHA = "0" * 40
# The strictest persona; no configuration file, so only inline suppressions count; a file
# zizmor cannot parse fails instead of being skipped.
ZIZMOR_FLAGS = (
    "--offline",
    "--no-config",
    "--persona=auditor",
    "--strict-collection",
    "--format=json",
    "--no-progress",
)


def tool(name: str) -> str:
    """A console script of this interpreter's environment (the test extras install it)."""
    path = Path(sys.executable).parent / name
    assert path.is_file(), f"{name} is not installed: pip install -e '.[test]'"
    return str(path)


def offline_env() -> dict[str, str]:
    """No GitHub token reaches the tools, so nothing could go online even by mistake."""
    drop = {"GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN", "ZIZMOR_CONFIG"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def audited_files(root: Path) -> list[str]:
    """Every file the audit reads, relative to `root` (as zizmor reports them)."""
    files: list[str] = []
    for entry in AUDITED:
        path = root / entry
        if path.is_dir():
            files += sorted(str(p.relative_to(root)) for p in path.iterdir() if p.suffix in {".yml", ".yaml"})
        elif path.is_file():
            files.append(entry)
    return files


def zizmor(root: Path, *flags: str) -> list[dict[str, Any]]:
    """zizmor's findings (its JSON v1 format) for the audited files under `root`."""
    inputs = [entry for entry in AUDITED if (root / entry).exists()]
    done = subprocess.run(
        [tool("zizmor"), *ZIZMOR_FLAGS, *flags, *inputs],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=offline_env(),
    )
    assert done.returncode in AUDIT_EXIT_CODES, f"zizmor failed ({done.returncode}): {done.stderr}"
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def where(location: dict[str, Any]) -> tuple[str, int, int]:
    """File and first and last line (1-based) of a finding's location."""
    path = location["symbolic"]["key"]["Local"]["verbatim_path"]
    span = location["concrete"]["location"]
    return path, span["start_point"]["row"] + 1, span["end_point"]["row"] + 1


def describe(finding: dict[str, Any]) -> str:
    primary = next(loc for loc in finding["locations"] if loc["symbolic"]["kind"] == "Primary")
    path, line, _ = where(primary)
    severity = finding["determinations"]["severity"]
    return f"{path}:{line}: {finding['ident']} ({severity}): {primary['symbolic']['annotation']}"


def suppressions(root: Path) -> list[tuple[str, int, list[str], str]]:
    """Every `zizmor: ignore[...]` comment: file, line, rules and the reason after it."""
    found = []
    for relative in audited_files(root):
        for number, line in enumerate((root / relative).read_text().splitlines(), start=1):
            match = SUPPRESSION.search(line)
            if match:
                rules = [rule.strip() for rule in match.group(1).split(",") if rule.strip()]
                found.append((relative, number, rules, match.group(2).strip(" -:—")))
    return found


def audit(root: Path) -> list[str]:
    """Findings nobody suppressed, and suppressions with no reason or nothing to suppress."""
    problems = [describe(finding) for finding in zizmor(root)]
    everything = zizmor(root, "--no-ignores")
    for path, line, rules, reason in suppressions(root):
        if len(reason.split()) < MIN_REASON_WORDS:
            problems.append(f"{path}:{line}: a zizmor suppression needs a reason after it")
        for rule in rules:
            spans = [where(loc) for f in everything if f["ident"] == rule for loc in f["locations"]]
            if not any(p == path and first <= line <= last for p, first, last in spans):
                problems.append(f"{path}:{line}: ignore[{rule}] suppresses nothing")
    return problems


def copy_audited(destination: Path) -> Path:
    """The audited files copied under `destination`, to change them without touching the tree."""
    for relative in audited_files(ROOT):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, target)
    return destination


def test_the_action_and_every_workflow_pass_the_audit() -> None:
    assert audit(ROOT) == []


def test_every_suppression_names_its_reason() -> None:
    found = suppressions(ROOT)
    assert found, "the fork-comment trigger needs one, so zero means the scan is broken"
    assert all(len(reason.split()) >= MIN_REASON_WORDS for *_, reason in found)


def _unpin(text: str) -> str:
    return re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v4", text, count=1)


def _drop_reason(text: str) -> str:
    return re.sub(r"(zizmor: ignore\[dangerous-triggers\]).*", r"\1", text)


def _stale_suppression(text: str) -> str:
    return text.replace(
        "name: benchgate (fork comment)",
        "name: benchgate (fork comment)  # zizmor: ignore[artipacked] no checkout on this line",
        1,
    )


def _persist_credentials(text: str) -> str:
    return text.replace("persist-credentials: false", "persist-credentials: true", 1)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_unpin, "unpinned-uses"),
        (_drop_reason, "needs a reason"),
        (_stale_suppression, "ignore[artipacked] suppresses nothing"),
        (_persist_credentials, "artipacked"),
    ],
    ids=["unpinned", "no-reason", "stale", "credentials"],
)
def test_the_audit_fails_on_what_it_guards(
    change: Callable[[str], str], expected: str, tmp_path: Path
) -> None:
    root = copy_audited(tmp_path)
    workflow = root / ".github/workflows/benchgate-fork-comment.yml"
    workflow.write_text(change(workflow.read_text()))
    problems = audit(root)
    assert any(expected in problem and "benchgate-fork-comment.yml" in problem for problem in problems), (
        problems
    )


def schema_targets(root: Path) -> list[tuple[str, list[str]]]:
    """check-jsonschema's bundled schema for each kind of audited file."""
    files = audited_files(root)
    workflows = [f for f in files if f.startswith(".github/workflows/")]
    targets = [("vendor.github-workflows", workflows), ("vendor.github-actions", ["action.yml"])]
    if ".github/dependabot.yml" in files:
        targets.append(("vendor.dependabot", [".github/dependabot.yml"]))
    return targets


def check_schema(root: Path, schema: str, files: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *files],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=offline_env(),
    )


@pytest.mark.parametrize(("schema", "files"), schema_targets(ROOT), ids=str)
def test_every_file_matches_githubs_schema(schema: str, files: list[str]) -> None:
    assert files
    done = check_schema(ROOT, schema, files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_an_invalid_workflow(tmp_path: Path) -> None:
    root = copy_audited(tmp_path)
    workflow = root / ".github/workflows/benchgate-pr.yml"
    workflow.write_text(workflow.read_text().replace("runs-on:", "runs_on:", 1))
    done = check_schema(root, "vendor.github-workflows", [str(workflow.relative_to(root))])
    assert done.returncode == 1 and "benchgate-pr.yml" in done.stdout


def pins(text: str) -> dict[str, set[tuple[str, str | None]]]:
    """Each action pinned in `text`: the commits it is pinned to, with their version comments."""
    found: dict[str, set[tuple[str, str | None]]] = {}
    for action, sha, version in PIN.findall(text):
        found.setdefault(action, set()).add((sha, version or None))
    return found


def test_every_action_is_pinned_once_with_its_version() -> None:
    texts = {name: (ROOT / name).read_text() for name in audited_files(ROOT)}
    external = [
        (name, ref)
        for name, text in texts.items()
        for ref in USES.findall(text)
        if not ref.startswith(("./", "$/", "docker://"))
    ]
    assert external
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref) for _, ref in external), external
    merged: dict[str, set[tuple[str, str | None]]] = {}
    for text in texts.values():
        for action, pinned in pins(text).items():
            merged.setdefault(action, set()).update(pinned)
    for action, pinned in merged.items():
        [(_, version)] = pinned  # one commit per action everywhere, so one update moves them all
        assert version, f"{action}: the pin needs its version in a trailing comment"


def readme_workflow() -> str:
    """The copy-paste workflow of README's "GitHub Action" section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## GitHub Action\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "README's GitHub Action section has no yaml block"
    return match.group(1)


def assert_users_workflow_passes(root: Path, text: str) -> None:
    """A workflow users copy (README's, `benchgate init`'s), with the action's pin filled in, at
    `root`/.github/workflows/benchgate.yml: audited, schema-checked, pinned as ours are."""
    assert "OWNER/benchgate@<sha>" in text, "users pin this action to a commit too"
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / "benchgate.yml").write_text(
        text.replace("OWNER/benchgate@<sha>", f"OWNER/benchgate@{PLACEHOLDER_SHA}")
    )
    assert audit(root) == []
    done = check_schema(root, "vendor.github-workflows", [".github/workflows/benchgate.yml"])
    assert done.returncode == 0, done.stdout
    ours = pins((ROOT / ".github/workflows/benchgate-pr.yml").read_text())
    theirs = {action: pinned for action, pinned in pins(text).items() if action != "OWNER/benchgate"}
    assert theirs and all(ours.get(action) == pinned for action, pinned in theirs.items())


def test_readmes_workflow_is_the_audited_pinned_one(tmp_path: Path) -> None:
    (tmp_path / "action.yml").write_text((ROOT / "action.yml").read_text())
    assert_users_workflow_passes(tmp_path, readme_workflow())
