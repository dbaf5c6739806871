"""The foundation's promises, checked with real git, real dvc and the real CLI."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from benchmarks.synthetic import lower_metric, write_dataset, write_project
from tests.conftest import EXAMPLE, benchgate, commit_all, dvc, git

DATASET = f"data/scenarios/{EXAMPLE}/dataset.jsonl"
GATE_JSON = f".benchgate/reports/{EXAMPLE}/dry-run/gate.json"
REPORT = f".benchgate/reports/{EXAMPLE}/dry-run/report.md"


def test_fresh_clone_reruns_nothing_then_only_the_edited_scenario(clone: Path) -> None:
    repro = dvc(clone, "repro")
    assert repro.returncode == 0, repro.stderr
    assert "Running stage" not in repro.stdout
    assert dvc(clone, "status").stdout.strip() == "Data and pipelines are up to date."

    # A second scenario, so that "only the edited one reruns" means something.
    other = clone / "data/scenarios/other"
    other.mkdir(parents=True)
    shutil.copy(clone / f"data/scenarios/{EXAMPLE}/prompt.md", other / "prompt.md")
    write_dataset(other / "dataset.jsonl", 30)
    params = (clone / "params.yaml").read_text(encoding="utf-8")
    block = params[params.index(f"  {EXAMPLE}:") : params.index("\ngate:") + 1]
    (clone / "params.yaml").write_text(
        params.replace("\ngate:", "\n" + block.replace(EXAMPLE, "other") + "gate:"),
        encoding="utf-8",
    )
    assert dvc(clone, "repro").returncode == 0
    commit_all(clone, "second scenario")

    lower_metric(clone / DATASET, "coverage", 1, 0.3)
    repro = dvc(clone, "repro")
    assert repro.returncode == 0, repro.stderr
    assert f"Running stage 'bench@{EXAMPLE}-dry-run'" in repro.stdout
    assert "Running stage 'bench@other-dry-run'" not in repro.stdout
    diff = dvc(clone, "metrics", "diff", "--json")
    changed = json.loads(diff.stdout)
    coverage = changed[f"data/results/{EXAMPLE}/dry-run/metrics.json"]["coverage.value"]
    assert coverage["diff"] < 0
    assert not any("other" in path for path in changed)


def test_ten_samples_losing_coverage_is_a_regression(clone: Path) -> None:
    changed = lower_metric(clone / DATASET, "coverage", 10, 0.2)
    assert len(changed) == 10
    assert benchgate(clone, "run").returncode == 0
    commit_all(clone, "head: coverage lowered on 10 samples")

    done = benchgate(clone, "gate", "--base", "HEAD~1")
    assert done.returncode == 1, done.stdout + done.stderr
    result = json.loads((clone / GATE_JSON).read_text(encoding="utf-8"))
    coverage = result["metrics"]["coverage"]
    assert coverage["verdict"] == "regressed"
    assert coverage["delta_ci"][1] < 0
    assert coverage["delta"] == round(-0.2 * 10 / 36, 6)
    assert {result["metrics"][m]["verdict"] for m in ("accuracy", "coherence", "informativeness")} == {
        "unchanged"
    }
    assert [w["id"] for w in result["worst"]] == sorted(changed)
    assert result["status"] == "fail"
    assert "FAIL" in done.stdout
    assert str(Path(REPORT)) in done.stdout


def test_reordered_dataset_changes_nothing_and_reports_are_byte_identical(clone: Path) -> None:
    path = clone / DATASET
    lines = path.read_text(encoding="utf-8").splitlines()
    random.Random(3).shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert benchgate(clone, "run").returncode == 0
    commit_all(clone, "head: same samples, new order")

    first = benchgate(clone, "gate", "--base", "HEAD~1", "--report", "first.md", "--json", "first.json")
    second = benchgate(clone, "gate", "--base", "HEAD~1", "--report", "second.md", "--json", "second.json")
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0
    result = json.loads((clone / "first.json").read_text(encoding="utf-8"))
    assert "regressed" not in {m["verdict"] for m in result["metrics"].values()}
    assert {m["delta"] for m in result["metrics"].values()} == {0.0}
    assert (clone / "first.md").read_bytes() == (clone / "second.md").read_bytes()
    assert (clone / "first.json").read_bytes() == (clone / "second.json").read_bytes()


def test_base_is_read_from_git_without_any_dvc_cache(clone: Path) -> None:
    assert not (clone / ".dvc" / "cache").exists()
    lower_metric(clone / DATASET, "accuracy", 36, 0.01)
    assert benchgate(clone, "run").returncode == 0
    done = benchgate(clone, "gate", "--base", "HEAD")
    assert done.returncode == 0, done.stderr
    result = json.loads((clone / GATE_JSON).read_text(encoding="utf-8"))
    assert result["base"]["found"] is True
    assert result["head"]["dirty"] is True
    assert result["metrics"]["accuracy"]["delta"] == -0.01


def test_shallow_clone_missing_the_base_says_how_to_fetch_it(project_origin: Path, tmp_path: Path) -> None:
    full = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(project_origin), str(full))
    base = git(full, "rev-parse", "HEAD")
    lower_metric(full / DATASET, "coverage", 10, 0.2)
    assert benchgate(full, "run").returncode == 0
    commit_all(full, "head")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{full}", str(shallow))
    git(full, "config", "uploadpack.allowAnySHA1InWant", "true")

    done = benchgate(shallow, "gate", "--base", base)
    assert done.returncode == 3
    assert f"git fetch --depth=1 origin {base}" in done.stderr
    assert "Traceback" not in done.stderr

    git(shallow, "fetch", "-q", "--depth=1", "origin", base)
    done = benchgate(shallow, "gate", "--base", base)
    assert done.returncode == 1, done.stderr
    assert json.loads((shallow / GATE_JSON).read_text())["metrics"]["coverage"]["verdict"] == "regressed"


def test_stale_results_are_refused(clone: Path) -> None:
    lower_metric(clone / DATASET, "coverage", 1, 0.1)
    done = benchgate(clone, "gate")
    assert done.returncode == 2
    assert "results are stale" in done.stderr
    assert "dvc repro" in done.stderr


def test_renaming_every_id_while_lowering_a_metric_is_no_baseline_and_warns(repo: Path) -> None:
    dataset = write_project(repo, 40)
    params = repo / "params.yaml"  # bounds the lowered coverage still meets: only the comparison can object
    params.write_text(
        params.read_text().replace("coverage:        {pass: 0.88, warn: 0.80}", "coverage: {pass: 0.7}")
    )
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "base")
    lower_metric(dataset, "coverage", 40, 0.1)
    dataset.write_text(
        dataset.read_text(encoding="utf-8").replace('"id": "s', '"id": "renamed-s'), encoding="utf-8"
    )
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "rename every id")
    done = benchgate(repo, "gate", "--json", "gate.json")
    assert done.returncode == 0, done.stderr
    result = json.loads((repo / "gate.json").read_text())
    assert result["status"] == "warn"  # never a pass, never a quiet "inconclusive"
    assert {m["verdict"] for m in result["metrics"].values()} == {"no-baseline"}
    assert "no sample ids in common with the base (40 added, 40 removed)" in done.stdout


def test_a_renamed_metric_is_no_baseline_and_warns(repo: Path) -> None:
    dataset = write_project(repo, 40)
    assert benchgate(repo, "run").returncode == 0
    commit_all(repo, "base")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("      coverage:  ", "      recall:    "))
    dataset.write_text(
        dataset.read_text(encoding="utf-8").replace('"coverage":', '"recall":'), encoding="utf-8"
    )
    assert benchgate(repo, "run").returncode == 0, benchgate(repo, "run").stderr
    commit_all(repo, "rename coverage to recall")
    done = benchgate(repo, "gate", "--json", "gate.json", "--report", "report.md")
    assert done.returncode == 0, done.stderr
    result = json.loads((repo / "gate.json").read_text())
    assert result["status"] == "warn"
    assert (result["metrics"]["recall"]["verdict"], result["metrics"]["recall"]["no_baseline"]) == (
        "no-baseline",
        "not-at-base",
    )
    assert result["base_only_metrics"] == ["coverage"]
    assert "recall has no values at the base commit (a new or renamed metric)" in done.stdout
