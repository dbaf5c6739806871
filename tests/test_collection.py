"""Batch steps run with automatic cycle collection paused, and leave it as they found it."""

from __future__ import annotations

import gc

import pytest

from benchgate.collection import batch_step, paused


def test_paused_restores_what_it_found_even_on_an_error() -> None:
    seen = []

    @batch_step
    def failing() -> None:
        seen.append(gc.isenabled())
        raise ValueError("a bad input mid-step")

    assert gc.isenabled()
    with pytest.raises(ValueError, match="mid-step"):
        failing()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled(), "a caller that had it off keeps it off"
    finally:
        gc.enable()


def test_a_batch_step_runs_paused_and_returns_its_value() -> None:
    @batch_step
    def step(x: int) -> tuple[int, bool]:
        return x * 2, gc.isenabled()

    assert step(21) == (42, False) and gc.isenabled()
    assert step.__name__ == "step"
