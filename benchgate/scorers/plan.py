"""Which metric is scored how in a run, and which are skipped and why. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchgate.config import Scenario
from benchgate.results import Mode
from benchgate.scorers.base import Scorer
from benchgate.scorers.registry import Scorers

LIVE_ONLY = "needs an LLM; dry-run makes no calls (run it in live mode)"


@dataclass(frozen=True)
class RunPlan:
    """The split of a scenario's metrics for one run."""

    from_ground_truth: list[str] = field(default_factory=list)
    """Judge metrics read from stored ratings (dry-run)."""
    by_llm_judge: list[str] = field(default_factory=list)
    """Judge metrics asked of the LLM judge (live)."""
    pairwise: list[str] = field(default_factory=list)
    """Metrics whose LLM judge compares head with base outputs (live)."""
    in_process: dict[str, Scorer] = field(default_factory=dict)
    """Metrics scored by code in this process: deterministic, python and installed scorers."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Metrics with no values in this run, and why."""
    generates: bool = False
    """Whether the outputs come from the scenario's generator (live mode with an endpoint)."""

    @property
    def calls_llm(self) -> bool:
        """Whether the run talks to an LLM endpoint at all."""
        return self.generates or bool(self.by_llm_judge) or bool(self.pairwise)


def plan_run(scenario: Scenario, scorers: Scorers, mode: Mode, *, no_llm: str | None) -> RunPlan:
    """Split the metrics; `no_llm` is why no LLM may be called in a live run (None: it may)."""
    if mode == "live" and no_llm is not None and scenario.generator is not None:
        reason = f"the outputs come from the generator {scenario.generator.model}, which {no_llm}"
        return RunPlan(skipped=dict.fromkeys(scenario.metrics, reason))
    plan = RunPlan(generates=mode == "live" and scenario.generator is not None)
    for metric, bound in scorers.bound.items():
        pairwise = bound.info.type == "pairwise"
        if bound.scorer is None and mode == "dry-run" and not pairwise:
            plan.from_ground_truth.append(metric)
        elif bound.info.needs_llm and mode == "dry-run":
            plan.skipped[metric] = LIVE_ONLY
        elif bound.info.needs_llm and no_llm is not None:
            plan.skipped[metric] = f"needs an LLM; {no_llm}"
        elif pairwise:
            plan.pairwise.append(metric)
        elif bound.scorer is None:
            plan.by_llm_judge.append(metric)
        else:
            plan.in_process[metric] = bound.scorer
    return plan
