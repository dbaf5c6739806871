"""`benchgate validate`: every problem in params files and every dataset they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchgate.dataset import read_dataset
from benchgate.errors import Problem
from benchgate.params_file import read_params

PARAMS_SUFFIXES = (".yaml", ".yml")
DEFAULT = Path("params.yaml")


@dataclass(frozen=True)
class Validation:
    """What was checked and what is wrong."""

    files: int
    problems: list[Problem]


def validate(paths: list[Path], *, complete: bool = True) -> Validation:
    """Check params files (and their datasets) and loose datasets, collecting every problem.

    A loose dataset is checked against the scenario that names it (else against every metric)
    in the params files given alongside, or in ./params.yaml when none is given. `complete`
    also asks for what a dry-run reads: stored outputs and ground truth.
    """
    problems: list[Problem] = []
    files = 0
    named = [p for p in paths if p.suffix in PARAMS_SUFFIXES]
    scenarios: dict[Path, list[str]] = {}
    metrics: list[str] = []
    for params in named or ([DEFAULT] if DEFAULT.is_file() else []):
        parsed, found = read_params(params)
        for spec in parsed.scenarios.values() if parsed else []:
            metrics += [m for m in spec.quality_metrics if m not in metrics]
            scenarios[(params.parent / spec.dataset).resolve()] = spec.quality_metrics
        if params not in named:
            continue  # only lends its metrics to the datasets given
        problems += found
        files += 1
        for spec in parsed.scenarios.values() if parsed else []:
            if (params.parent / spec.dataset).is_file():
                dataset = params.parent / spec.dataset
                problems += read_dataset(
                    dataset, spec.quality_metrics, shown=spec.dataset, complete=complete
                )[1]
                files += 1
    for dataset in [p for p in paths if p.suffix not in PARAMS_SUFFIXES]:
        own = scenarios.get(dataset.resolve())
        known = own if own is not None else (metrics or None)
        problems += read_dataset(dataset, known, shown=str(dataset), complete=complete and own is not None)[1]
        files += 1
    return Validation(files, sorted(problems, key=Problem.order))
