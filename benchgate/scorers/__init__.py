"""Scorers: how each sample of a metric gets its value. The public names for your own scorers.

A python scorer (`scorer: {type: python, function: "pkg.mod:name"}`) is called as
`name(output, sample)` and returns a float in 0..1, a bool, or `Score(value, reason)`.
An installed scorer's entry point (group `benchgate.scorers`) is a factory called with its
configuration that returns an object with `score(output, sample)`.

Importing this package is cheap: the scorer families load only when a run needs them.
"""

from benchgate.scorers.base import Score, ScoredSample

__all__ = ["Score", "ScoredSample"]
