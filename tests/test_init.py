"""`benchgate init`: every template is a working project, as a new user would start one.

Real git, real `dvc repro`, the real CLI, no network (a fresh network namespace where the
machine allows it); the generated workflow passes the same audit as this repository's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from benchgate import cli
from benchgate.commands.init import TEMPLATES
from tests.conftest import ROOT, benchgate, git, tool_env
from tests.test_scorers_end_to_end import can_unshare, offline
from tests.test_workflow_audit import assert_users_workflow_passes

FILES = {"params.yaml", "dvc.yaml", ".gitignore", ".github/workflows/benchgate.yml", "README.md"}


def offline_repro(root: Path) -> subprocess.CompletedProcess[str]:
    """`dvc repro` with no network at all when the machine allows it."""
    command = [sys.executable, "-m", "dvc", "repro"]
    if can_unshare():
        command = ["unshare", "-n", *command]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False, env=tool_env())


def init(root: Path, *args: str) -> None:
    done = benchgate(root.parent, "init", root.name, *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"next: cd {root.name} && git init")


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_a_new_project_runs_and_gates_offline_right_away(template: str, tmp_path: Path) -> None:
    root = tmp_path / "project"
    init(root, "--template", template)
    scenario = TEMPLATES[template]
    written = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    data = f"data/scenarios/{scenario}"
    assert written == FILES | {f"{data}/dataset.jsonl", f"{data}/prompt.md", ".dvc/config", ".dvc/.gitignore"}
    assert len((root / data / "dataset.jsonl").read_text().splitlines()) == 3

    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    repro = offline_repro(root)
    assert repro.returncode == 0, repro.stdout + repro.stderr
    done = offline(root, "gate")
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"WARN: {scenario} (dry-run)") and first.endswith("the gate passes"), first
    assert "no baseline to compare with" in done.stdout
    result = json.loads((root / f".benchgate/reports/{scenario}/dry-run/gate.json").read_text())
    assert all(m["threshold_status"] == "pass" for m in result["metrics"].values()), result["metrics"]
    assert git(root, "status", "--porcelain", "--ignored", ".benchgate") == "!! .benchgate/"


def test_every_block_of_params_says_what_it_is() -> None:
    for template in TEMPLATES:
        lines = (ROOT / "benchgate/project_templates" / template / "params.yaml").read_text().splitlines()
        opening = [
            (number, line)
            for number, line in enumerate(lines)
            if line.rstrip().endswith(":")
            and not line.lstrip().startswith("#")
            and len(line) - len(line.lstrip()) <= 6
        ]
        assert opening, template
        for number, line in opening:  # a scenario, its judge, metrics, each metric, the gate...
            assert lines[number - 1].lstrip().startswith("#"), (template, number + 1, line)


def test_qa_mixes_a_judge_with_deterministic_scorers() -> None:
    params = YAML(typ="safe").load((ROOT / "benchgate/project_templates/qa/params.yaml").read_text())
    scenario = params["scenarios"]["support_answers"]
    assert scenario["judge"]["instructions"].startswith("You grade answers")
    kinds = {name: (m.get("scorer") or {}).get("type", "judge") for name, m in scenario["metrics"].items()}
    assert kinds == {"correctness": "judge", "next_step": "contains_any", "concise": "length"}
    assert scenario["metrics"]["correctness"]["scorer"]["rubric"].startswith("5 = ")


def test_the_digest_template_is_the_bundled_example() -> None:
    own = ROOT / "benchgate/project_templates/digest-ru"
    yaml = YAML(typ="safe")
    example = yaml.load((ROOT / "params.yaml").read_text())["scenarios"]["channel_digest_ru"]
    assert yaml.load((own / "params.yaml").read_text())["scenarios"]["channel_digest_ru"] == example
    prompt = ROOT / "data/scenarios/channel_digest_ru/prompt.md"
    assert (own / "prompt.md").read_bytes() == prompt.read_bytes()
    dataset = (ROOT / "data/scenarios/channel_digest_ru/dataset.jsonl").read_text().splitlines()
    assert all(line in dataset for line in (own / "dataset.jsonl").read_text().splitlines())
    assert (ROOT / "benchgate/project_templates/common/dvc-yaml").read_bytes() == (
        ROOT / "dvc.yaml"
    ).read_bytes()


def test_the_generated_workflow_passes_the_audit(tmp_path: Path) -> None:
    root = tmp_path / "project"
    init(root)
    assert_users_workflow_passes(root, (root / ".github/workflows/benchgate.yml").read_text())


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "params.yaml").write_text("mine\n")
    done = benchgate(root, "init", "--template", "classify")
    assert done.returncode == 2
    assert done.stderr.startswith("benchgate: error: params.yaml already exists") and "--force" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in root.iterdir()) == ["params.yaml"], "nothing written"
    assert (root / "params.yaml").read_text() == "mine\n"

    (root / ".dvc").mkdir()
    (root / ".dvc/config").write_text("[core]\n    remote = team\n")
    done = benchgate(root, "init", "--template", "classify", "--force")
    assert done.returncode == 0, done.stderr
    assert (root / "params.yaml").read_text().startswith("# benchgate parameters")
    assert (root / ".dvc/config").read_text() == "[core]\n    remote = team\n", "an existing DVC repo is kept"
    assert benchgate(root, "validate").returncode == 0


def test_the_cli_offers_every_template() -> None:
    assert set(cli.INIT_TEMPLATES) == set(TEMPLATES)
