"""pass / warn / fail: ordering statuses and judging a value against its bounds. Pure."""

from __future__ import annotations

from typing import Protocol, overload

from benchgate.config import Direction
from benchgate.outcome import GateStatus, Status


class Bounds(Protocol):
    """A metric's bounds: `MetricSpec` from params.yaml, or `Threshold` as gate.json records it."""

    @property
    def pass_(self) -> float: ...
    @property
    def warn(self) -> float | None: ...
    @property
    def direction(self) -> Direction: ...


_RANK: dict[GateStatus, int] = {"pass": 0, "warn": 1, "pending": 2, "fail": 3}


@overload
def worst(*statuses: Status) -> Status: ...
@overload
def worst(*statuses: GateStatus) -> GateStatus: ...
def worst(*statuses: GateStatus) -> GateStatus:
    """The most severe status (`pending` ranks between warn and fail)."""
    return max(statuses, key=_RANK.__getitem__, default="pass")


def threshold_status(value: float | None, spec: Bounds) -> Status:
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
