"""Scorers written by the project: a `python` function, or an installed package's scorer.

Their code runs in-process; whatever it raises or returns that is not a score leaves that one
sample unscored, with the error kept, and the run goes on.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchgate.scorers.base import Score, ScoredSample, Unscorable, clip, read_result


class Guarded:
    """A scorer around your code: exceptions and unusable values become `Unscorable`."""

    def __init__(self, call: Callable[[str, ScoredSample], Any]) -> None:
        self._call = call

    def score(self, output: str, sample: ScoredSample) -> Score:
        """Your code's score, read strictly."""
        try:
            result = self._call(output, sample)
        except Exception as exc:  # anything user code raises is that sample's problem, not the run's
            raise Unscorable(clip(f"{type(exc).__name__}: {exc}")) from None
        value, reason = read_result(result)
        return Score(value, reason)


def import_function(reference: str, root: Path) -> Callable[..., Any]:
    """`package.module:name`, imported with the project root first on sys.path; `ValueError` says why not."""
    module_name, _, attribute = reference.partition(":")
    top = str(root.resolve())
    if top not in sys.path:
        sys.path.insert(0, top)
    try:
        found: Any = importlib.import_module(module_name)
    except Exception as exc:  # an import runs arbitrary code: any failure is a config error
        raise ValueError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ValueError(f"{module_name} has no attribute {attribute!r}")
        found = getattr(found, part)
    if not callable(found):
        raise ValueError(f"{reference} is not callable")
    return found  # type: ignore[no-any-return]
