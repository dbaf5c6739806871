"""`benchgate validate`: every problem in params files and every dataset they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchgate.config import Scenario
from benchgate.dataset import SampleCheck, read_dataset
from benchgate.errors import Problem
from benchgate.params_file import problems_at, read_params

PARAMS_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Validation:
    """What was checked and what is wrong."""

    files: int
    problems: list[Problem]


def validate(paths: list[Path]) -> Validation:
    """Check params files (and their datasets) and loose datasets, collecting every problem.

    Loose datasets are checked against the metrics of the params files given alongside.
    """
    problems: list[Problem] = []
    files = 0
    metrics: list[str] | None = None
    for params in [p for p in paths if p.suffix in PARAMS_SUFFIXES]:
        parsed, found = read_params(params)
        problems += found
        files += 1
        for name, spec in parsed.scenarios.items() if parsed else []:
            metrics = (metrics or []) + [m for m in spec.quality_metrics if m not in (metrics or [])]
            found, checks = _scorer_problems(params, name, spec)
            problems += found
            if (params.parent / spec.dataset).is_file():
                problems += read_dataset(
                    params.parent / spec.dataset, spec.quality_metrics, shown=spec.dataset, checks=checks
                )[1]
                files += 1
    for dataset in [p for p in paths if p.suffix not in PARAMS_SUFFIXES]:
        problems += read_dataset(dataset, metrics, shown=str(dataset))[1]
        files += 1
    return Validation(files, sorted(problems, key=Problem.order))


def _scorer_problems(params: Path, name: str, spec: Scenario) -> tuple[list[Problem], list[SampleCheck]]:
    """Scorers that cannot be built (schema files, imports, installed types); the others' sample checks."""
    from benchgate.scorers.registry import build_scorers

    scorers = build_scorers(params.parent, spec, "dry-run")
    found = problems_at(params, scorers.locations(name)) if scorers.problems else []
    return found, list(scorers.checks())
