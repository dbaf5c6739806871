"""The example workflows: valid YAML, least privilege, and never PR code with a writable token."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(path: Path) -> dict:  # type: ignore[type-arg]
    return dict(YAML(typ="safe").load(path.read_text()))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_and_never_uses_pull_request_target(path: Path) -> None:
    workflow = load(path)
    triggers = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads a bare `on` as True
    assert "pull_request_target" not in triggers
    assert "permissions" in workflow, "explicit, least-privilege permissions"
    assert workflow["jobs"]


def test_pr_workflow_can_comment_and_read_only() -> None:
    workflow = load(ROOT / ".github/workflows/benchgate-pr.yml")
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["gate"]["steps"]
    modes = [step["with"]["mode"] for step in steps if step.get("uses") == "./"]
    assert modes == ["dry-run", "live"]


def test_fork_pair_keeps_untrusted_code_away_from_the_writable_token() -> None:
    gate = load(ROOT / ".github/workflows/benchgate-fork-pr.yml")
    assert gate["permissions"] == {"contents": "read"}
    comment = load(ROOT / ".github/workflows/benchgate-fork-comment.yml")
    triggers = comment.get("on") or comment.get(True)
    assert list(triggers) == ["workflow_run"]
    steps = comment["jobs"]["comment"]["steps"]
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout")]
    assert all("ref" not in (s.get("with") or {}) for s in checkouts), "default branch only"
    script = next(s["run"] for s in steps if "benchgate publish" in str(s.get("run", "")))
    assert "--expect-head-sha" in script and "tr -cd '0-9'" in script
