"""Scorer configs that cannot work are refused with the file, line and key that says why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchgate.commands.validate import validate
from benchmarks.synthetic import write_scored_project
from tests.conftest import benchgate

PARAMS = "params.yaml"
DATASET = "data/scenarios/scored/dataset.jsonl"
TICKET = '      ticket:     {pass: 0.90, scorer: {type: regex, pattern: "TICKET-[0-9]+", must_match: true}}\n'


def block(scorer_lines: str) -> str:
    """The ticket metric written in block style, so that each scorer key has a line of its own."""
    return "      ticket:\n        pass: 0.90\n        scorer:\n" + scorer_lines


# case -> (replacement of the ticket line, the line that must be named (its text), field, message)
CASES: dict[str, tuple[str, str, str, str]] = {
    "bad regex": (
        block('          type: regex\n          pattern: "TICKET-[0-9"\n          must_match: true\n'),
        '          pattern: "TICKET-[0-9"',
        "scenarios.scored.metrics.ticket.scorer.pattern",
        "not a valid regular expression",
    ),
    "unknown key in a scorer": (
        block(
            "          type: regex\n          pattern: x\n          must_match: true\n          flags: i\n"
        ),
        "          flags: i",
        "scenarios.scored.metrics.ticket.scorer.flags",
        "unknown key",
    ),
    "both directions": (
        block(
            "          type: regex\n          pattern: x\n"
            "          must_match: true\n          must_not_match: true\n"
        ),
        "        scorer:",
        "scenarios.scored.metrics.ticket.scorer",
        "set exactly one of",
    ),
    "no type": (
        block("          pattern: x\n"),
        "        scorer:",
        "scenarios.scored.metrics.ticket.scorer",
        "needs a `type:`",
    ),
    "unknown type": (
        block("          type: regexp\n          pattern: x\n"),
        "          type: regexp",
        "scenarios.scored.metrics.ticket.scorer.type",
        "unknown scorer type 'regexp' (did you mean 'regex'?)",
    ),
    "missing schema file": (
        block("          type: json_schema\n          schema: schemas/nope.json\n"),
        "          schema: schemas/nope.json",
        "scenarios.scored.metrics.ticket.scorer.schema",
        "no such file: schemas/nope.json",
    ),
    "python function that does not import": (
        block('          type: python\n          function: "checks.nowhere:score"\n'),
        '          function: "checks.nowhere:score"',
        "scenarios.scored.metrics.ticket.scorer.function",
        "cannot import checks.nowhere: ModuleNotFoundError",
    ),
    "python function badly written": (
        block('          type: python\n          function: "checks.policy"\n'),
        '          function: "checks.policy"',
        "scenarios.scored.metrics.ticket.scorer.function",
        "must look like `package.module:name`",
    ),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    write_scored_project(root, 30)
    return root


@pytest.fixture
def project(pristine: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(pristine, root)
    return root


@pytest.mark.parametrize("case", sorted(CASES))
def test_scorer_config_problems_name_their_line(case: str, project: Path) -> None:
    replacement, named, field, message = CASES[case]
    text = (project / PARAMS).read_text(encoding="utf-8")
    assert TICKET in text
    text = text.replace(TICKET, replacement)
    (project / PARAMS).write_text(text, encoding="utf-8")
    line = text.splitlines().index(named) + 1

    [problem] = validate([project / PARAMS]).problems
    assert (problem.path, problem.line, problem.field) == (str(project / PARAMS), line, field), problem
    assert message in problem.message


def test_latency_takes_no_scorer(project: Path) -> None:
    text = (project / PARAMS).read_text(encoding="utf-8")
    text = text.replace("max_drop: 10}", "max_drop: 10, scorer: exact_match}")
    (project / PARAMS).write_text(text, encoding="utf-8")
    [problem] = validate([project / PARAMS]).problems
    assert problem.field == "scenarios.scored.metrics.latency_s.scorer"
    numbered = enumerate(text.splitlines(), start=1)
    assert problem.line == next(n for n, line in numbered if line.lstrip().startswith("latency_s:"))
    assert problem.message == "read from each sample's latency_s, it takes no scorer"


def test_run_refuses_a_bad_scorer_with_exit_2_and_writes_nothing(project: Path) -> None:
    text = (
        (project / PARAMS).read_text(encoding="utf-8").replace("checks.policy:score", "checks.policy:scroe")
    )
    (project / PARAMS).write_text(text, encoding="utf-8")
    done = benchgate(project, "run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"benchgate: error: {PARAMS}:13: scenarios.scored.metrics.policy.scorer.function: "
        "checks.policy has no attribute 'scroe'"
    )
    assert not (project / "data" / "results").exists()


def test_samples_without_what_a_scorer_needs_are_named_by_line_and_field(project: Path) -> None:
    lines = (project / DATASET).read_text(encoding="utf-8").splitlines()
    for number in (4, 9):
        record = json.loads(lines[number - 1])
        record["reference"] = None
        lines[number - 1] = json.dumps(record)
    (project / DATASET).write_text("\n".join(lines) + "\n", encoding="utf-8")

    problems = validate([project / PARAMS]).problems
    assert [(p.path, p.line, p.field) for p in problems] == [
        (DATASET, 4, "reference"),
        (DATASET, 4, "reference"),
        (DATASET, 9, "reference"),
        (DATASET, 9, "reference"),
    ]
    assert {p.message for p in problems} == {
        "metric exact (exact_match) compares with the reference; this sample has none",
        "metric overlap (chrf) compares with the reference; this sample has none",
    }
    done = benchgate(project, "run")
    assert done.returncode == 2
    assert done.stderr.startswith(f"benchgate: error: {DATASET}:4: reference: metric ")


def test_a_live_scenario_needs_a_judge_only_for_judge_metrics(project: Path) -> None:
    params = project / PARAMS
    text = params.read_text(encoding="utf-8").replace("    judge: {model: synthetic-judge}\n", "")
    params.write_text(text + "live: [scored]\n", encoding="utf-8")
    assert validate([params]).problems == [], "every metric has its own scorer: no judge needed"

    judged = text.replace("    metrics:\n", "    metrics:\n      coverage:   {pass: 0.80}\n")
    params.write_text(judged + "live: [scored]\n", encoding="utf-8")
    [problem] = [p for p in validate([params]).problems if p.path == str(params)]
    assert (problem.field, problem.message) == (
        "live.0",
        "scenario 'scored' has judge metrics but no `judge:`",
    )
