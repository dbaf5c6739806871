"""Every kind of bad input: one line naming file and line, exit code 2, no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.synthetic import write_project
from tests.conftest import benchgate

PARAMS = "params.yaml"
DATASET = "data/scenarios/synthetic/dataset.jsonl"


def edit_params(old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / PARAMS
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def replace_params(text: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / PARAMS).write_text(text, encoding="utf-8")

    return apply


def edit_line(number: int, change: Callable[[dict], object]) -> Callable[[Path], None]:  # type: ignore[type-arg]
    """Replace dataset line `number` (1-based) by what `change` returns for its record."""

    def apply(root: Path) -> None:
        path = root / DATASET
        lines = path.read_bytes().split(b"\n")
        record = json.loads(lines[number - 1])
        new = change(record)
        lines[number - 1] = new if isinstance(new, bytes) else json.dumps(new, ensure_ascii=False).encode()
        path.write_bytes(b"\n".join(lines))

    return apply


def with_key(key: str, value: object) -> Callable[[dict], dict]:  # type: ignore[type-arg]
    def change(record: dict) -> dict:  # type: ignore[type-arg]
        record[key] = value
        return record

    return change


def with_rating(metric: str, value: object) -> Callable[[dict], dict]:  # type: ignore[type-arg]
    def change(record: dict) -> dict:  # type: ignore[type-arg]
        record["ground_truth"][metric] = value
        return record

    return change


def without(key: str) -> Callable[[dict], dict]:  # type: ignore[type-arg]
    def change(record: dict) -> dict:  # type: ignore[type-arg]
        del record[key]
        return record

    return change


def empty_dataset(root: Path) -> None:
    (root / DATASET).write_bytes(b"")


CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # params.yaml
    "yaml syntax": (
        edit_params("coverage:        {pass: 0.88, warn: 0.80}", "coverage: {pass: 0.88, warn: 0.80"),
        f"{PARAMS}:10",
        "invalid YAML",
    ),
    "duplicate yaml key": (
        edit_params("    model: synthetic-model\n", "    model: a\n    model: b\n"),
        f"{PARAMS}:7",
        "duplicate key",
    ),
    "unknown top-level key": (
        edit_params("gate:", "gates: {}\ngate:"),
        f"{PARAMS}:15",
        "gates: unknown key",
    ),
    "unknown scenario key": (
        edit_params("    model: synthetic-model", "    model: synthetic-model\n    temprature: 0"),
        f"{PARAMS}:7",
        "temprature: unknown key",
    ),
    "missing required key": (
        edit_params("    model: synthetic-model\n", ""),
        f"{PARAMS}:2",
        "model: required key is missing",
    ),
    "threshold not a number": (
        edit_params("{pass: 0.88, warn: 0.80}", "{pass: high, warn: 0.80}"),
        f"{PARAMS}:9",
        "coverage.pass",
    ),
    "warn stricter than pass": (
        edit_params("{pass: 0.90, warn: 0.85}", "{pass: 0.90, warn: 0.95}"),
        f"{PARAMS}:10",
        "warn (0.95) must be <= pass",
    ),
    "bad direction": (
        edit_params("direction: lower", "direction: down"),
        f"{PARAMS}:13",
        "direction",
    ),
    "alpha out of range": (
        edit_params("alpha: 0.05", "alpha: 1.5"),
        f"{PARAMS}:14",
        "regression.alpha",
    ),
    "max_unscored over 1": (
        edit_params("max_unscored: 0.05", "max_unscored: 2"),
        f"{PARAMS}:15",
        "gate.max_unscored",
    ),
    "min_samples zero": (
        edit_params("min_samples: 20", "min_samples: 0"),
        f"{PARAMS}:15",
        "gate.min_samples",
    ),
    "dataset file missing": (
        edit_params("dataset: data/scenarios/synthetic/dataset.jsonl", "dataset: data/nope.jsonl"),
        f"{PARAMS}:3",
        "no such file: data/nope.jsonl",
    ),
    "judged threshold above 1": (
        edit_params("{pass: 0.88, warn: 0.82}", "{pass: 88, warn: 82}"),
        f"{PARAMS}:12",  # the metric's own line, not `metrics:`
        "cannot be met",
    ),
    "bad metric name": (
        edit_params("      accuracy:", "      'acc|uracy':"),
        f"{PARAMS}:10",  # the bad name's own line
        "metric name",
    ),
    "nan threshold": (
        edit_params("{pass: 0.90, warn: 0.85}", "{pass: .nan, warn: 0.85}"),
        f"{PARAMS}:10",
        "finite number",
    ),
    "empty params": (replace_params(""), f"{PARAMS}:1", "file is empty"),
    "params is a list": (
        replace_params("- a\n- b\n"),
        f"{PARAMS}:1",
        "top level must be a mapping",
    ),
    "python name of pass": (
        edit_params("{pass: 0.90, warn: 0.85}", "{pass_: 0.90, warn: 0.85}"),
        f"{PARAMS}:10",
        "pass: required key is missing",
    ),
    "on_regression typo": (
        edit_params("on_regression: fail", "on_regression: explode"),
        f"{PARAMS}:14",
        "on_regression",
    ),
    "results outside the repository": (
        edit_params("    model: synthetic-model", "    model: synthetic-model\n    results: ../../elsewhere"),
        f"{PARAMS}:7",
        "results: '../../elsewhere' must be a relative path inside the repository",
    ),
    "bad scenario name": (
        edit_params("  synthetic:\n", "  'syn thetic':\n"),
        f"{PARAMS}:2",  # the name's own line
        "scenario name 'syn thetic'",
    ),
    "approver neither login nor team": (
        edit_params("gate:", "governance:\n  approvers:\n    Tech Lead: [alice, 'not a login!']\ngate:"),
        f"{PARAMS}:17",
        "governance.approvers.Tech Lead.1: 'not a login!' is neither a GitHub login nor an org/team slug",
    ),
    "role nobody can fill": (
        edit_params("gate:", "governance:\n  approvers:\n    Tech Lead: [alice]\n    Analyst: []\ngate:"),
        f"{PARAMS}:18",
        "governance.approvers.Analyst: role 'Analyst' lists nobody who can fill it",
    ),
    "approvals required from nobody": (
        edit_params("gate:", "governance: {required: true}\ngate:"),
        f"{PARAMS}:15",
        "governance.required: approvals are required but no approvers are listed",
    ),
    "live names no scenario": (
        edit_params("gate:", "live:\n  - synthetic\n  - nope\ngate:"),
        f"{PARAMS}:17",  # the entry's own line
        "live.1: no scenario 'nope'",
    ),
    # dataset
    "dry-run sample without output": (
        edit_line(20, without("output")),
        f"{DATASET}:20",
        "output: missing: a dry-run judges the stored output",
    ),
    "dry-run sample without a rating": (
        edit_line(
            21,
            lambda r: {**r, "ground_truth": {k: v for k, v in r["ground_truth"].items() if k != "accuracy"}},
        ),
        f"{DATASET}:21",
        "ground_truth.accuracy: missing: a dry-run reads this rating",
    ),
    "invalid json": (
        edit_line(4, lambda r: b'{"id": "x", "input": '),
        f"{DATASET}:4",
        "invalid JSON",
    ),
    "missing id": (edit_line(5, without("id")), f"{DATASET}:5", "id: required field is missing"),
    "extra field": (edit_line(6, with_key("scroe", 1)), f"{DATASET}:6", "scroe: unknown field"),
    "duplicate id": (
        edit_line(7, with_key("id", "s0000001")),
        f"{DATASET}:7",
        "duplicate id 's0000001' (first on line 2)",
    ),
    "nan rating": (
        edit_line(8, lambda r: json.dumps(r).replace('"coverage": ', '"coverage": NaN, "x": ').encode()),
        f"{DATASET}:8",
        "finite number",
    ),
    "infinite latency": (
        edit_line(
            9,
            lambda r: (
                json.dumps({**r, "latency_s": 0}).replace('"latency_s": 0', '"latency_s": Infinity').encode()
            ),
        ),
        f"{DATASET}:9",
        "latency_s: must be a finite number",
    ),
    "rating above 1": (
        edit_line(10, with_rating("accuracy", 1.5)),
        f"{DATASET}:10",
        "ground_truth.accuracy: Input should be less than or equal to 1",
    ),
    "negative rating": (
        edit_line(11, with_rating("coherence", -0.1)),
        f"{DATASET}:11",
        "ground_truth.coherence",
    ),
    "rating as string": (
        edit_line(12, with_rating("coverage", "0.9")),
        f"{DATASET}:12",
        "ground_truth.coverage",
    ),
    "rating as bool": (
        edit_line(13, with_rating("coverage", True)),
        f"{DATASET}:13",
        "ground_truth.coverage",
    ),
    "unknown metric rated": (
        edit_line(14, with_rating("coverag", 0.9)),
        f"{DATASET}:14",
        "ground_truth.coverag: not a metric of this scenario",
    ),
    "input is a number": (
        edit_line(15, with_key("input", 42)),
        f"{DATASET}:15",
        "input: must be an object or a string",
    ),
    "negative latency": (edit_line(16, with_key("latency_s", -3)), f"{DATASET}:16", "latency_s"),
    "line is an array": (
        edit_line(17, lambda r: [r]),
        f"{DATASET}:17",
        "each line must be a JSON object",
    ),
    "empty id": (edit_line(18, with_key("id", "")), f"{DATASET}:18", "id:"),
    "not utf-8": (
        edit_line(19, lambda r: json.dumps(r, ensure_ascii=False).encode("cp1251")),
        f"{DATASET}:19",
        "not valid UTF-8",
    ),
    "empty dataset": (empty_dataset, f"{DATASET}:1", "file is empty"),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    write_project(root, 30)
    return root


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_located_line_and_exit_2(case: str, pristine: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    mutate, location, fragment = CASES[case]
    mutate(root)
    done = benchgate(root, "run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"benchgate: error: {location}:"), lines[0]
    assert fragment in lines[0]
    assert not (root / "data" / "results").exists(), "nothing is written from bad input"


def test_validate_lists_every_problem_not_just_the_first(pristine: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    for case in ("missing id", "extra field", "rating above 1", "not utf-8"):
        CASES[case][0](root)
    done = benchgate(root, "validate")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [f"{DATASET}:{n}" for n in (5, 6, 10, 19)]
    assert lines[-1] == "4 problems in 2 files"


def test_validate_on_good_input_says_ok(pristine: Path) -> None:
    done = benchgate(pristine, "validate")
    assert (done.returncode, done.stdout.strip()) == (0, "ok: 2 files, no problems")


def test_allow_missing_leaves_what_is_missing_unscored(pristine: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    CASES["dry-run sample without a rating"][0](root)
    assert benchgate(root, "validate").returncode == 2
    assert benchgate(root, "validate", "--allow-missing").returncode == 0
    done = benchgate(root, "run", "--allow-missing")
    assert done.returncode == 0, done.stderr
    assert "accuracy" in done.stdout and "1 unscored" in done.stdout


def test_a_dataset_validated_alone_is_checked_against_the_params_beside_it(
    pristine: Path, tmp_path: Path
) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    CASES["unknown metric rated"][0](root)
    done = benchgate(root, "validate", DATASET)
    assert done.returncode == 2
    assert "ground_truth.coverag: not a metric of this scenario" in done.stderr


def test_a_results_file_with_an_unknown_mode_is_a_located_error(pristine: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    assert benchgate(root, "run").returncode == 0
    info = root / "data/results/synthetic/dry-run/run.json"
    info.write_text(info.read_text().replace('"mode": "dry-run"', '"mode": "dryrun"'))
    done = benchgate(root, "gate")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("benchgate: error: data/results/synthetic/dry-run/run.json: mode:")
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_unwritable_output_path_is_a_usage_error_and_keeps_the_rest(
    pristine: Path, tmp_path: Path
) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    assert benchgate(root, "run").returncode == 0
    (root / "a-file").write_text("not a directory")
    done = benchgate(root, "gate", "--json", "a-file/gate.json")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("benchgate: error: --json a-file/gate.json: cannot create its directory")
    assert len(done.stderr.strip().splitlines()) == 1
    done = benchgate(root, "gate", "--report", str(root))
    assert done.returncode == 2 and "is a directory" in done.stderr
