"""The reference users read: `benchgate schema`, docs/params.md and docs/dataset.md."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

from benchgate import config, dataset
from benchgate.commands.validate import validate
from benchgate.dataset import read_dataset
from benchgate.llm.prompt import render_prompt
from benchgate.params_file import parse_params
from benchgate.reference import REFERENCES, SUBJECTS, json_schema, markdown
from benchgate.reference.pages import page
from benchgate.reference.subjects import Reference, Subject
from tests.conftest import EXAMPLE, ROOT, benchgate

BUNDLED_DATASET = ROOT / "data" / "scenarios" / EXAMPLE / "dataset.jsonl"


def printed_schema(tmp_path: Path, *args: str) -> dict[str, Any]:
    done = benchgate(tmp_path, "schema", *args)
    assert done.returncode == 0, done.stderr
    schema: dict[str, Any] = json.loads(done.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every error, with those inside `anyOf` branches (e.g. an optional section) spelled out."""
    validator = jsonschema.Draft202012Validator(schema)
    found = []
    pending = list(validator.iter_errors(instance))
    while pending:
        error = pending.pop(0)
        found.append(f"{error.json_path}: {error.message}")
        pending += error.context or []
    return found


def bundled_params() -> Any:
    return YAML(typ="safe").load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def benchgate_problems(document: Any) -> list[str]:
    """What benchgate itself says of a params document (dumped back to YAML bytes)."""
    text = json.dumps(document)  # JSON is YAML; keeps the test independent of ruamel's dumper
    params, problems = parse_params(text.encode(), "params.yaml")
    return [str(problem) for problem in problems] if problems or params is None else []


MISSPELT = [
    ((), "scenarios", "scenario"),
    (("scenarios", EXAMPLE), "prompt_version", "prompt_verison"),
    (("scenarios", EXAMPLE, "metrics", "coverage"), "warn", "wran"),
    (("scenarios", EXAMPLE, "judge"), "samples", "sample"),
    (("scenarios", EXAMPLE, "regression"), "on_regression", "on_regresion"),
    (("gate",), "min_samples", "min_sample"),
    (("llm",), "max_concurrency", "max_concurency"),
]


def test_schema_validates_the_bundled_params_yaml(tmp_path: Path) -> None:
    schema = printed_schema(tmp_path)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("urn:benchgate:params:") and schema["title"] == "benchgate params.yaml"
    assert errors(schema, bundled_params()) == []
    assert printed_schema(tmp_path, "params", "--format", "json") == schema == json_schema("params")


@pytest.mark.parametrize(("parent", "key", "typo"), MISSPELT)
def test_schema_rejects_a_misspelt_key_as_benchgate_does(
    parent: tuple[str, ...], key: str, typo: str
) -> None:
    document = bundled_params()
    node = document
    for part in parent:
        node = node[part]
    node[typo] = node.pop(key)
    found = errors(json_schema("params"), document)
    assert any(f"'{typo}' was unexpected" in error for error in found), found
    assert any(typo in problem for problem in benchgate_problems(document))


BAD_VALUES = [
    (("scenarios", EXAMPLE, "metrics", "coverage", "pass"), "0.88"),
    (("scenarios", EXAMPLE, "metrics", "coverage", "direction"), "up"),
    (("scenarios", EXAMPLE, "regression", "alpha"), 0.5),
    (("scenarios", EXAMPLE, "regression", "on_regression"), "stop"),
    (("scenarios", EXAMPLE, "judge", "samples"), 0),
    (("scenarios", EXAMPLE, "prompt_version"), ""),
    (("gate", "max_unscored"), 1.5),
    (("gate", "policy_from"), "main"),
    (("llm", "timeout_s"), 0),
    (("live",), EXAMPLE),
]


@pytest.mark.parametrize(("loc", "value"), BAD_VALUES)
def test_schema_and_benchgate_agree_on_bad_values(loc: tuple[str, ...], value: Any) -> None:
    document = bundled_params()
    node = document
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value
    assert errors(json_schema("params"), document)
    assert benchgate_problems(document)


def test_schema_hints_plain_names_for_scenarios_and_metrics() -> None:
    schema = json_schema("params")
    for parent, name in ((("scenarios",), "bad name"), (("scenarios", EXAMPLE, "metrics"), "a/b")):
        document = bundled_params()
        node = document
        for part in parent:
            node = node[part]
        node[name] = node.pop(next(iter(node)))
        assert any("does not match" in error for error in errors(schema, document))
        assert benchgate_problems(document)


def test_check_jsonschema_checks_params_yaml_with_the_printed_schema(tmp_path: Path) -> None:
    (tmp_path / "params.schema.json").write_text(benchgate(tmp_path, "schema").stdout, encoding="utf-8")
    bad = (ROOT / "params.yaml").read_text(encoding="utf-8").replace("fail_on_warn:", "fail_on_wran:")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    check = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(tmp_path / "params.schema.json")]
    done = subprocess.run(
        [*check, str(ROOT / "params.yaml"), str(tmp_path / "bad.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    [failure] = [line for line in done.stdout.splitlines() if "::" in line]
    assert "bad.yaml::$.gate" in failure and "'fail_on_wran' was unexpected" in failure


def dataset_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in BUNDLED_DATASET.read_text(encoding="utf-8").splitlines() if line]


BAD_LINES = [
    {"ouput": "misspelt"},
    {"input": 5},
    {"id": ""},
    {"ground_truth": {"coverage": 1.5}},
    {"latency_s": -1},
    {"meta": []},
]


def test_dataset_schema_validates_every_bundled_line(tmp_path: Path) -> None:
    schema = printed_schema(tmp_path, "dataset")
    assert schema["$id"].startswith("urn:benchgate:dataset:")
    lines = dataset_lines()
    assert len(lines) == 36
    assert [error for line in lines for error in errors(schema, line)] == []


@pytest.mark.parametrize("change", BAD_LINES)
def test_dataset_schema_and_loader_agree_on_bad_lines(tmp_path: Path, change: dict[str, Any]) -> None:
    line = {**dataset_lines()[0], **change}
    assert errors(json_schema("dataset"), line)
    path = tmp_path / "dataset.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    _, problems = read_dataset(path, None)
    assert problems


@pytest.mark.parametrize("subject", SUBJECTS)
def test_committed_docs_are_what_the_generator_prints(tmp_path: Path, subject: Subject) -> None:
    reference = REFERENCES[subject]
    done = subprocess.run(
        [sys.executable, "-m", "benchgate", *reference.command.split()[1:]],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    committed = (ROOT / reference.doc).read_bytes() if (ROOT / reference.doc).is_file() else b""
    if committed != done.stdout:
        diff = difflib.unified_diff(
            committed.decode().splitlines(),
            done.stdout.decode().splitlines(),
            reference.doc,
            "generated",
            lineterm="",
        )
        excerpt = "\n".join(list(diff)[:30])
        pytest.fail(f"{reference.doc} is out of date: run `{reference.command} > {reference.doc}`\n{excerpt}")


def documented_models() -> list[type[BaseModel]]:
    return [
        value
        for module in (config, dataset)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__
    ]


def test_every_model_and_field_has_a_description() -> None:
    models = documented_models()
    assert config.MetricSpec in models and dataset.Sample in models
    for model in models:
        assert (model.__doc__ or "").strip(), f"{model.__name__} has no docstring"
        for name, info in model.model_fields.items():
            assert (info.description or "").strip(), f"{model.__name__}.{name} has no docstring under it"


def test_aliases_are_documented_under_the_key_users_write() -> None:
    spec = json_schema("params")["$defs"]["MetricSpec"]["properties"]
    assert "pass_" not in spec
    assert spec["pass"]["description"] == " ".join(
        str(config.MetricSpec.model_fields["pass_"].description).split()
    )
    text = markdown("params")
    assert "| `pass` | number |" in text and "pass_" not in text


def object_schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [schema, *schema.get("$defs", {}).values()]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_every_key_and_section_is_in_the_page(subject: Subject) -> None:
    schema = json_schema(subject)
    text = markdown(subject)
    for node in object_schemas(schema):
        assert node["description"] in text
        for key, prop in node["properties"].items():
            rows = [line for line in text.splitlines() if line.startswith(f"| `{key}` |")]
            described = " ".join(prop["description"].split()).replace("|", "\\|")
            assert any(row.endswith(f" | {described} |") for row in rows), (key, described)


def assert_links_resolve(text: str, siblings: Path | None = None) -> None:
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    assert len(anchors) == text.count("<a id="), "duplicate anchors"
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, target
        elif siblings is not None and not target.startswith("http"):
            assert (siblings / target).is_file(), target


@pytest.mark.parametrize("subject", SUBJECTS)
def test_links_in_the_page_resolve(subject: Subject) -> None:
    assert_links_resolve(markdown(subject), ROOT / "docs")


def test_params_sections_are_depth_first_in_file_order() -> None:
    headings = re.findall(r"^### (.+)$", markdown("params"), flags=re.MULTILINE)
    assert headings[:6] == [
        "Top level",
        "`scenarios.<name>`",
        "`scenarios.<name>.judge`",
        "`scenarios.<name>.judge.labels`",
        "`scenarios.<name>.generator`",
        "`scenarios.<name>.metrics.<name>`",
    ]
    assert headings.index("`gate`") > headings.index("`scenarios.<name>.regression`")
    assert headings.index("`llm`") < headings.index("`llm.prices.<name>`") < headings.index("`governance`")
    assert headings[-1] == "`governance`"


def test_worked_examples_make_one_valid_project(tmp_path: Path) -> None:
    params = REFERENCES["params"].example
    (tmp_path / "params.yaml").write_text(params, encoding="utf-8")
    parsed, problems = parse_params(params.encode(), "params.yaml")
    assert parsed is not None and problems == []
    assert errors(json_schema("params"), YAML(typ="safe").load(params)) == []
    [(name, scenario)] = parsed.scenarios.items()
    lines = REFERENCES["dataset"].example.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert errors(json_schema("dataset"), json.loads(line)) == []
    data = tmp_path / scenario.dataset
    data.parent.mkdir(parents=True)
    data.write_text(REFERENCES["dataset"].example, encoding="utf-8")
    prompt = "Answer the customer politely.\n\n{{question}}\n"
    (tmp_path / scenario.prompt).write_text(prompt, encoding="utf-8")
    checked = validate([tmp_path / "params.yaml"], complete=True)
    assert (checked.files, checked.problems) == (2, [])
    for line in lines:
        sample = dataset.Sample.model_validate_json(line)
        assert sample.input["question"] in render_prompt(prompt, sample.input, shown="p", sample_id=sample.id)
    assert name in markdown("dataset")
    assert params in markdown("params") and REFERENCES["dataset"].example in markdown("dataset")


def test_cli_offers_exactly_the_subjects_and_formats() -> None:
    from benchgate.cli import schema
    from benchgate.commands.schema import FORMATS

    choices = {param.name: list(getattr(param.type, "choices", [])) for param in schema.params}
    assert choices["subject"] == list(SUBJECTS) and choices["form"] == list(FORMATS)


# A model shaped like the scorer configs to come: a discriminated union, the same model at two
# keys, a list of models, an untagged union and maps; the page must document each exactly once.
class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class RegexCheck(_Doc):
    """Matches a pattern."""

    type: Literal["regex"]
    """Scorer type."""
    pattern: str = Field(min_length=1, max_length=200)
    """The pattern."""


class ExactCheck(_Doc):
    """Compares with the reference."""

    type: Literal["exact_match"] = "exact_match"
    """Scorer type."""
    normalise: list[Literal["case", "whitespace"]] = Field(default_factory=list, max_length=2)
    """What to ignore."""


class Shot(_Doc):
    """A few-shot example."""

    output: str
    """An answer."""
    score: int = Field(ge=1, le=5)
    """Its score."""


class Check(_Doc):
    """A metric."""

    scorer: Annotated[RegexCheck | ExactCheck, Field(discriminator="type")] | None = None
    """How it is scored."""
    fallback: RegexCheck | None = None
    """The same model at a second key."""
    shots: list[Shot] = Field(default_factory=list)
    """Examples."""
    either: RegexCheck | Shot | None = None
    """An untagged union."""
    minimum: dict[str, float] = Field(default_factory=dict)
    """Named bounds."""


class Suite(_Doc):
    """Root."""

    checks: dict[str, Check]
    """Checks by name."""


def test_the_page_generator_documents_any_model_shape() -> None:
    reference = Reference(
        name="suite",
        model=Suite,
        title="suite",
        heading="Suite reference",
        root="Top level",
        doc="docs/suite.md",
        command="benchgate schema suite --format markdown",
        source="tests/test_reference.py",
        intro="A suite.",
        example_intro="An example.",
        example='{"checks": {}}',
        example_language="json",
    )
    text = page(reference)
    assert_links_resolve(text)
    headings = re.findall(r"^### (.+)$", text, flags=re.MULTILINE)
    assert headings == [
        "Top level",
        "`checks.<name>`",
        "`checks.<name>.scorer` with `type: regex`",
        "`checks.<name>.scorer` with `type: exact_match`",
        "`checks.<name>.shots[]`",
    ]
    rows = {line.split(" | ")[0][2:]: line for line in text.splitlines() if line.startswith("| `")}
    types = [line for line in text.splitlines() if line.startswith("| `type` |")]
    assert "[`type: regex`](#checks-name-scorer-type-regex)" in rows["`scorer`"]
    assert "see [`checks.<name>.scorer` with `type: regex`]" in rows["`fallback`"]
    assert "| list of object | see [`checks.<name>.shots[]`]" in rows["`shots`"]
    assert "[`RegexCheck`]" in rows["`either`"] and "[`Shot`]" in rows["`either`"]
    assert "| map of name → number |" in rows["`minimum`"]
    assert "each one of `case`, `whitespace`; at most 2 items | `[]` |" in rows["`normalise`"]
    assert types == [
        "| `type` | string | exactly `regex` | required | Scorer type. |",
        "| `type` | string | exactly `exact_match` | `exact_match` | Scorer type. |",
    ]
    assert "| integer | 1 ≤ x ≤ 5 | required |" in rows["`score`"]
    assert text.count("No other keys are allowed.") == len(object_schemas(Suite.model_json_schema()))
