"""`benchgate validate`: every problem in params files and every dataset they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchgate import dvc
from benchgate.collection import batch_step
from benchgate.config import Scenario
from benchgate.dataset import SampleCheck, read_dataset
from benchgate.errors import Problem
from benchgate.params_file import problems_at, read_params

PARAMS_SUFFIXES = (".yaml", ".yml")
DEFAULT = Path("params.yaml")


@dataclass(frozen=True)
class Validation:
    """What was checked and what is wrong."""

    files: int
    problems: list[Problem]


@batch_step
def validate(paths: list[Path], *, complete: bool = True, only: list[str] | None = None) -> Validation:
    """Check params files (and their datasets) and loose datasets, collecting every problem.

    A loose dataset is checked against the scenario that names it (else against every metric)
    in the params files given alongside, or in ./params.yaml when none is given. `complete`
    also asks for what a dry-run reads: stored outputs and ground truth. `only` limits the
    datasets read to those scenarios' (the others may be in a DVC remote, not pulled).
    """
    problems: list[Problem] = []
    files = 0
    named = [p for p in paths if p.suffix in PARAMS_SUFFIXES]
    scenarios: dict[Path, Scenario] = {}
    metrics: list[str] = []
    for params in named or ([DEFAULT] if DEFAULT.is_file() else []):
        parsed, found = read_params(params)
        for spec in parsed.scenarios.values() if parsed else []:
            metrics += [m for m in spec.quality_metrics if m not in metrics]
            scenarios[(params.parent / spec.dataset).resolve()] = spec
        if params not in named:
            continue  # only lends its metrics to the datasets given
        problems += found
        files += 1
        for name, spec in parsed.scenarios.items() if parsed else []:
            found, checks = _scorer_problems(params, name, spec)
            problems += found
            dataset = params.parent / spec.dataset
            if (only is None or name in only) and (dataset.is_file() or dvc.not_pulled(dataset)):
                problems += read_dataset(
                    dataset,
                    spec.quality_metrics,
                    shown=spec.dataset,
                    complete=complete,
                    rated=spec.judge_metrics,
                    checks=checks,
                )[1]
                files += 1
    for dataset in [p for p in paths if p.suffix not in PARAMS_SUFFIXES]:
        own = scenarios.get(dataset.resolve())
        known = own.quality_metrics if own is not None else (metrics or None)
        rated = own.judge_metrics if own is not None else None
        complete_here = complete and own is not None
        problems += read_dataset(dataset, known, shown=str(dataset), complete=complete_here, rated=rated)[1]
        files += 1
    return Validation(files, sorted(problems, key=Problem.order))


def _scorer_problems(params: Path, name: str, spec: Scenario) -> tuple[list[Problem], list[SampleCheck]]:
    """Scorers that cannot be built (schema files, imports, installed types); the others' sample checks."""
    from benchgate.scorers.registry import build_scorers

    scorers = build_scorers(params.parent, spec, "dry-run")
    found = problems_at(params, scorers.locations(name)) if scorers.problems else []
    return found, list(scorers.checks())
