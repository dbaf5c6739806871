"""pass / warn / fail: ordering statuses and judging a value against its bounds. Pure."""

from __future__ import annotations

from benchgate.config import MetricSpec
from benchgate.outcome import Status

_RANK: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


def worst(*statuses: Status) -> Status:
    """The most severe status."""
    return max(statuses, key=_RANK.__getitem__, default="pass")


def threshold_status(value: float | None, spec: MetricSpec) -> Status:
    """pass / warn / fail of a value against its bounds; no value fails."""
    if value is None:
        return "fail"

    def meets(bound: float) -> bool:
        return value >= bound if spec.direction == "higher" else value <= bound

    if meets(spec.pass_):
        return "pass"
    if spec.warn is not None and meets(spec.warn):
        return "warn"
    return "fail"
