"""From a metric's `scorer:` config to a ready scorer and its identity.

Reads what a scorer needs from disk once per run: JSON Schema files, python modules (the
project root first on sys.path) and installed scorers (entry-point group `benchgate.scorers`).
Every problem is reported against the key of the scorer block that causes it.
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from benchgate import __version__
from benchgate.config import Scenario
from benchgate.results import Mode, ScorerInfo
from benchgate.scorers import deterministic, overlap
from benchgate.scorers.base import Scorer
from benchgate.scorers.deterministic import Problem, SampleFields, reference_problem
from benchgate.scorers.python import Guarded, import_function
from benchgate.scorers.specs import (
    BUILT_IN,
    BleuScorer,
    ChrfScorer,
    ContainsScorer,
    ContainsSetScorer,
    ExactMatchScorer,
    JsonSchemaScorer,
    LengthScorer,
    NumericScorer,
    PairwiseScorer,
    PluginScorer,
    PythonScorer,
    RegexScorer,
    RougeLScorer,
    ScorerSpec,
)

ENTRY_POINT_GROUP = "benchgate.scorers"
BUILT_IN_VERSION = "1"
"""Revision of the built-in scorers' behaviour; bumped when a built-in would score differently."""
LIBRARY = {"bleu": "sacrebleu", "chrf": "sacrebleu", "rouge_l": "rouge-score"}


@dataclass(frozen=True)
class BoundScorer:
    """A metric's scorer, ready to run, with what run.json records about it."""

    info: ScorerInfo
    scorer: Scorer | None
    """None for the judge: the run reads ground truth or asks the LLM itself."""
    check: Callable[[SampleFields], Problem | None] | None = None
    """What each dataset sample must have for this scorer (e.g. a reference)."""


@dataclass(frozen=True)
class ConfigProblem:
    """A scorer block that cannot be built."""

    metric: str
    key: str | None
    """Key inside the `scorer:` block at fault (`schema`, `function`, `type`), if one is."""
    message: str


@dataclass(frozen=True)
class Scorers:
    """Every scored metric's scorer, and what kept any from being built."""

    bound: dict[str, BoundScorer] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)

    def locations(self, scenario: str) -> list[tuple[list[str | int], str]]:
        """Each problem as (key path in params.yaml, message)."""
        found: list[tuple[list[str | int], str]] = []
        for problem in self.problems:
            loc: list[str | int] = ["scenarios", scenario, "metrics", problem.metric, "scorer"]
            found.append(([*loc, problem.key] if problem.key else loc, problem.message))
        return found

    def infos(self) -> dict[str, ScorerInfo]:
        """Metric -> identity, for run.json."""
        return {metric: bound.info for metric, bound in self.bound.items()}

    def checks(self) -> list[Callable[[SampleFields], Problem | None]]:
        """The dataset checks of every scorer that has one, each naming its metric."""
        return [
            _naming(metric, bound.info.type, bound.check)
            for metric, bound in self.bound.items()
            if bound.check is not None
        ]


def _naming(
    metric: str, kind: str, check: Callable[[SampleFields], Problem | None]
) -> Callable[[SampleFields], Problem | None]:
    def named(sample: SampleFields) -> Problem | None:
        found = check(sample)
        return None if found is None else (found[0], f"metric {metric} ({kind}) {found[1]}")

    return named


def build_scorers(root: Path, scenario: Scenario, mode: Mode) -> Scorers:
    """Build the scorer of every scored metric; `root` is the directory of params.yaml."""
    found = Scorers()
    for metric in scenario.quality_metrics:
        try:
            found.bound[metric] = _build(root, scenario, metric, mode)
        except _Refused as refused:
            found.problems.append(ConfigProblem(metric, refused.key, refused.message))
    return found


class _Refused(Exception):
    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def _build(root: Path, scenario: Scenario, metric: str, mode: Mode) -> BoundScorer:
    spec = scenario.scorer(metric)
    config = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"version"})
    config["type"] = spec.type
    if spec.type == "judge":
        # Dry-run reads stored ratings, whatever the judge would be asked.
        config = {"type": "judge"}
        if mode == "live":
            from benchgate.llm.criterion import criterion_for

            # What changes a live judgement: the prompt asked and who answers it.
            config["prompt"] = criterion_for(scenario.judge, metric, scenario.metrics[metric]).identity()
            config["model"] = scenario.judge.model if scenario.judge else None
        return BoundScorer(_info(spec, config, True, BUILT_IN_VERSION, _package("benchgate")), None)
    if isinstance(spec, PairwiseScorer):
        from benchgate.llm.pairwise import prompt_for

        # What changes a pairwise judgement: how often, who answers, and the whole prompt.
        config["samples"] = pairwise_samples(scenario, spec)
        config["model"] = scenario.judge.model if scenario.judge else None
        config["prompt"] = prompt_for(scenario.judge, spec.rubric).identity()
        return BoundScorer(_info(spec, config, True, BUILT_IN_VERSION, _package("benchgate")), None)
    if isinstance(spec, PythonScorer):
        return _python(root, spec, config)
    if isinstance(spec, PluginScorer):
        return _plugin(spec, config)
    scorer, check = _built_in(root, spec, config)
    package = _package(LIBRARY.get(spec.type, "benchgate"))
    return BoundScorer(_info(spec, config, False, BUILT_IN_VERSION, package), scorer, check)


def pairwise_samples(scenario: Scenario, spec: PairwiseScorer) -> int:
    """How many times each order of a pair is asked: the scorer's `samples`, else `judge.samples`."""
    if spec.samples is not None:
        return spec.samples
    return scenario.judge.samples if scenario.judge else 1


def _built_in(
    root: Path, spec: ScorerSpec, config: dict[str, Any]
) -> tuple[Scorer, Callable[[SampleFields], Problem | None] | None]:
    if isinstance(spec, ExactMatchScorer):
        exact = deterministic.ExactMatch(spec)
        return exact, exact.check
    if isinstance(spec, ContainsScorer | ContainsSetScorer):
        contains = deterministic.Contains(spec)
        return contains, contains.check
    if isinstance(spec, RegexScorer):
        return deterministic.Regex(spec), None
    if isinstance(spec, LengthScorer):
        return deterministic.Length(spec), None
    if isinstance(spec, NumericScorer):
        numeric = deterministic.Numeric(spec)
        return numeric, numeric.check
    if isinstance(spec, JsonSchemaScorer):
        validator, digest = _schema(root, spec.schema_)
        config["schema_sha256"] = digest
        return deterministic.JsonSchema(validator), None
    if isinstance(spec, BleuScorer):
        return overlap.Bleu(spec), reference_problem
    if isinstance(spec, ChrfScorer):
        return overlap.Chrf(spec), reference_problem
    if isinstance(spec, RougeLScorer):
        return overlap.RougeL(spec), reference_problem
    return deterministic.JsonValid(), None


def _schema(root: Path, relative: str) -> tuple[Any, str]:
    """A validator for the schema file and the file's digest."""
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    try:
        raw = (root / relative).read_bytes()
    except FileNotFoundError:
        raise _Refused("schema", f"no such file: {relative}") from None
    except OSError as exc:
        raise _Refused("schema", f"cannot read {relative}: {exc.strerror}") from None
    try:
        schema = json.loads(raw)
    except ValueError as exc:
        raise _Refused("schema", f"{relative} is not JSON: {exc}") from None
    if not isinstance(schema, dict | bool):
        raise _Refused("schema", f"{relative} is not a JSON Schema (an object or a boolean)")
    kind = validator_for(schema)
    try:
        kind.check_schema(schema)
    except SchemaError as exc:
        raise _Refused("schema", f"{relative} is not a valid JSON Schema: {exc.message}") from None
    return kind(schema), hashlib.sha256(raw).hexdigest()


def _python(root: Path, spec: PythonScorer, config: dict[str, Any]) -> BoundScorer:
    try:
        function = import_function(spec.function, root)
    except ValueError as exc:
        raise _Refused("function", str(exc)) from None
    version = spec.version or _source_digest(function)
    return BoundScorer(_info(spec, config, False, version, None), Guarded(function))


def _source_digest(function: Callable[..., Any]) -> str:
    """Without a `version:`, the function's source file stands for it: editing it changes the identity."""
    try:
        path = inspect.getsourcefile(function)
        raw = Path(path).read_bytes() if path else b""
    except (TypeError, OSError):
        raw = b""
    return f"source {hashlib.sha256(raw).hexdigest()[:16]}" if raw else "unversioned"


def _plugin(spec: PluginScorer, config: dict[str, Any]) -> BoundScorer:
    from importlib.metadata import entry_points

    named = sorted(
        (point for point in entry_points(group=ENTRY_POINT_GROUP) if point.name == spec.type),
        key=lambda point: point.value,
    )
    if not named:
        near = difflib.get_close_matches(spec.type, BUILT_IN, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise _Refused(
            "type",
            f"unknown scorer type {spec.type!r}{hint}: not built in ({', '.join(sorted(BUILT_IN))}) and "
            f"no installed package registers it under the entry-point group {ENTRY_POINT_GROUP!r}",
        )
    point = named[0]
    try:
        made = point.load()(spec.options)
    except Exception as exc:  # a plugin's own code: any failure is a config error
        raise _Refused("type", f"scorer {spec.type!r} ({point.value}) failed to load: {exc}") from None
    if not callable(getattr(made, "score", None)):
        raise _Refused("type", f"scorer {spec.type!r} ({point.value}) has no score(output, sample) method")
    dist = point.dist
    package = f"{dist.name} {dist.version}" if dist is not None else None
    version = spec.version or str(getattr(made, "version", "") or (dist.version if dist else "unversioned"))
    needs_llm = bool(getattr(made, "needs_llm", False))
    check = reference_problem if getattr(made, "needs_reference", False) else None
    return BoundScorer(_info(spec, config, needs_llm, version, package), Guarded(made.score), check)


def _info(
    spec: ScorerSpec, config: dict[str, Any], needs_llm: bool, version: str, package: str | None
) -> ScorerInfo:
    canonical = json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return ScorerInfo(
        type=spec.type,
        version=version,
        config_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        needs_llm=needs_llm,
        package=package,
    )


@cache
def _package(name: str) -> str:
    if name == "benchgate":
        return f"benchgate {__version__}"
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return name
