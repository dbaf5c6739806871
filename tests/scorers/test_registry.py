"""Building scorers from params: identities, python functions, installed scorers, and refusals."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgate.config import Scenario
from benchgate.dataset import Sample
from benchgate.scorers.engine import NO_OUTPUT, score_offline
from benchgate.scorers.registry import ENTRY_POINT_GROUP, Scorers, build_scorers


def scenario(**metrics: dict[str, object]) -> Scenario:
    return Scenario.model_validate(
        {
            "dataset": "d.jsonl",
            "prompt": "p.md",
            "prompt_version": "v1",
            "model": "m",
            "judge": {"model": "judge-a"},
            "metrics": {name: {"pass": 0.5, **spec} for name, spec in metrics.items()},
        }
    )


def built(root: Path, **metrics: dict[str, object]) -> Scorers:
    return build_scorers(root, scenario(**metrics), "dry-run")


def test_identity_is_stable_and_follows_the_config(tmp_path: Path) -> None:
    one = built(tmp_path, m={"scorer": {"type": "exact_match", "normalise": ["case"]}}).infos()["m"]
    again = built(tmp_path, m={"scorer": {"type": "exact_match", "normalise": ["case"]}}).infos()["m"]
    other = built(tmp_path, m={"scorer": {"type": "exact_match", "normalise": ["whitespace"]}}).infos()["m"]
    default = built(tmp_path, m={"scorer": {"type": "exact_match", "normalise": []}}).infos()["m"]
    bare = built(tmp_path, m={"scorer": "exact_match"}).infos()["m"]
    assert one == again and one.same_as(again)
    assert not one.same_as(other)
    assert default.same_as(bare), "spelling out a default does not change the scorer"
    assert (one.type, one.version, one.needs_llm, one.package) == (
        "exact_match",
        "1",
        False,
        "benchgate 0.1.0",
    )


def test_the_judge_is_the_default_and_its_live_identity_includes_model_and_question(tmp_path: Path) -> None:
    plain = scenario(q={}, r={"description": "Is it polite?"})
    dry = build_scorers(tmp_path, plain, "dry-run").infos()
    live = build_scorers(tmp_path, plain, "live").infos()
    assert dry["q"].type == "judge" and dry["q"].needs_llm
    assert dry["q"].same_as(dry["r"]), "ground truth does not read the description"
    assert not live["q"].same_as(live["r"])
    other_judge = plain.model_copy(update={"judge": plain.judge.model_copy(update={"model": "judge-b"})})  # type: ignore[union-attr]
    assert not live["q"].same_as(build_scorers(tmp_path, other_judge, "live").infos()["q"])
    assert build_scorers(tmp_path, plain, "live").bound["q"].scorer is None


def test_a_json_schema_is_part_of_the_identity(tmp_path: Path) -> None:
    schema = tmp_path / "answer.json"
    schema.write_text(json.dumps({"type": "object"}))
    first = built(tmp_path, m={"scorer": {"type": "json_schema", "schema": "answer.json"}}).infos()["m"]
    schema.write_text(json.dumps({"type": "object", "required": ["a"]}))
    second = built(tmp_path, m={"scorer": {"type": "json_schema", "schema": "answer.json"}}).infos()["m"]
    assert not first.same_as(second)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (None, "no such file: answer.json"),
        ("{not json", "answer.json is not JSON"),
        ('"a string"', "is not a JSON Schema (an object or a boolean)"),
        ('{"type": "objekt"}', "answer.json is not a valid JSON Schema: 'objekt' is not valid"),
    ],
)
def test_bad_schema_files_are_refused_at_the_schema_key(
    tmp_path: Path, schema: str | None, message: str
) -> None:
    if schema is not None:
        (tmp_path / "answer.json").write_text(schema)
    found = built(tmp_path, m={"scorer": {"type": "json_schema", "schema": "answer.json"}})
    [problem] = found.problems
    assert (problem.metric, problem.key) == ("m", "schema")
    assert message in problem.message
    assert found.locations("s") == [(["scenarios", "s", "metrics", "m", "scorer", "schema"], problem.message)]


@pytest.fixture
def project_module(tmp_path: Path) -> Iterator[Path]:
    """A project directory with a package `mychecks`, removed from sys.modules afterwards."""
    package = tmp_path / "mychecks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    yield tmp_path
    for name in [n for n in sys.modules if n == "mychecks" or n.startswith("mychecks.")]:
        del sys.modules[name]
    if str(tmp_path.resolve()) in sys.path:
        sys.path.remove(str(tmp_path.resolve()))


def test_python_scorer_runs_in_process_and_keeps_errors(project_module: Path) -> None:
    (project_module / "mychecks" / "tone.py").write_text(
        textwrap.dedent(
            """
            from benchgate.scorers import Score

            def score(output, sample):
                if sample.meta.get("boom"):
                    raise KeyError("no tone for " + sample.id)
                if sample.meta.get("wild"):
                    return 7
                if sample.meta.get("nothing"):
                    return None
                return Score(0.5, "half polite") if "please" in output else "please" in sample.input
            """
        )
    )
    found = built(project_module, tone={"scorer": {"type": "python", "function": "mychecks.tone:score"}})
    assert not found.problems
    info = found.infos()["tone"]
    assert info.version.startswith("source "), "without version:, the module's source stands for it"
    scorer = {"tone": found.bound["tone"].scorer}
    samples = [
        Sample(id="a", input="x", output="please"),
        Sample(id="b", input="please", output="no"),
        Sample(id="c", input="x", output="no", meta={"boom": True}),
        Sample(id="d", input="x", output="no", meta={"wild": True}),
        Sample(id="e", input="x", output="no", meta={"nothing": True}),
        Sample(id="f", input="x", output=None),
    ]
    results = score_offline(scorer, samples, [s.output for s in samples])  # type: ignore[arg-type]
    assert [r.scores for r in results] == [{"tone": 0.5}, {"tone": 1.0}, {}, {}, {}, {}]
    assert results[0].notes == {"tone": "half polite"}
    assert [r.unscored.get("tone") for r in results[2:]] == [
        "KeyError: 'no tone for c'",
        "returned 7, outside 0..1",
        "returned NoneType; expected a float in 0..1, a bool or Score(value, reason)",
        NO_OUTPUT,
    ]
    versioned = built(
        project_module, tone={"scorer": {"type": "python", "function": "mychecks.tone:score", "version": "3"}}
    )
    assert versioned.infos()["tone"].version == "3"


@pytest.mark.parametrize(
    ("source", "function", "message"),
    [
        (None, "mychecks.missing:score", "cannot import mychecks.missing: ModuleNotFoundError"),
        (
            "raise RuntimeError('import-time failure')",
            "mychecks.bad:score",
            "RuntimeError: import-time failure",
        ),
        ("def score(:\n", "mychecks.bad:score", "cannot import mychecks.bad: SyntaxError"),
        ("x = 1", "mychecks.bad:score", "mychecks.bad has no attribute 'score'"),
        ("score = 42", "mychecks.bad:score", "mychecks.bad:score is not callable"),
    ],
)
def test_a_python_scorer_that_cannot_be_imported_is_a_config_error(
    project_module: Path, source: str | None, function: str, message: str
) -> None:
    if source is not None:
        (project_module / "mychecks" / "bad.py").write_text(source)
    [problem] = built(project_module, m={"scorer": {"type": "python", "function": function}}).problems
    assert problem.key == "function"
    assert message in problem.message


def install_plugin(site: Path, body: str, *, name: str = "acme_scorers", version: str = "2.4.0") -> None:
    """A distribution as pip leaves it: the module and a dist-info with its entry point."""
    (site / f"{name}.py").write_text(textwrap.dedent(body))
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nword_budget = {name}:WordBudget\nbroken = {name}:Broken\n"
    )


PLUGIN = """
    class WordBudget:
        needs_reference = True

        def __init__(self, config):
            self.limit = int(config.get("limit", 10))
            if self.limit < 1:
                raise ValueError("limit must be positive")

        def score(self, output, sample):
            if output == "crash":
                raise ValueError("crashed")
            return len(output.split()) <= self.limit

    class Broken:
        def __init__(self, config):
            pass
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "site"
    path.mkdir()
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path))
    sys.modules.pop("acme_scorers", None)


def test_an_installed_scorer_is_found_by_its_entry_point(site: Path, tmp_path: Path) -> None:
    install_plugin(site, PLUGIN)
    found = built(tmp_path, brief={"scorer": {"type": "word_budget", "limit": 3}})
    assert not found.problems
    info = found.infos()["brief"]
    assert (info.type, info.version, info.package, info.needs_llm) == (
        "word_budget",
        "2.4.0",
        "acme_scorers 2.4.0",
        False,
    )
    samples = [
        Sample(id=i, input="", output=o, reference="r") for i, o in (("a", "one two"), ("b", "a b c d"))
    ]
    samples.append(Sample(id="c", input="", output="crash", reference="r"))
    results = score_offline({"brief": found.bound["brief"].scorer}, samples, [s.output for s in samples])  # type: ignore[dict-item]
    assert [r.scores.get("brief") for r in results] == [1.0, 0.0, None]
    assert results[2].unscored == {"brief": "ValueError: crashed"}
    assert found.checks()[0](Sample(id="x", input="")) == (
        "reference",
        "metric brief (word_budget) compares with the reference; this sample has none",
    )
    pinned = built(tmp_path, brief={"scorer": {"type": "word_budget", "version": "7"}}).infos()["brief"]
    assert pinned.version == "7"
    assert not pinned.same_as(info)


def test_installed_scorers_that_refuse_or_lack_score_are_config_errors(site: Path, tmp_path: Path) -> None:
    install_plugin(site, PLUGIN)
    [refused] = built(tmp_path, m={"scorer": {"type": "word_budget", "limit": 0}}).problems
    assert refused.key == "type" and "limit must be positive" in refused.message
    [lacking] = built(tmp_path, m={"scorer": {"type": "broken"}}).problems
    assert "has no score(output, sample) method" in lacking.message


def test_an_unknown_type_names_the_entry_point_group_and_a_near_miss(tmp_path: Path) -> None:
    [problem] = built(tmp_path, m={"scorer": {"type": "json_shema"}}).problems
    assert problem.key == "type"
    assert "unknown scorer type 'json_shema'" in problem.message
    assert "did you mean 'json_schema'?" in problem.message
    assert ENTRY_POINT_GROUP in problem.message
