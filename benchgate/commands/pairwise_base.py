"""What a live run's pairwise metrics compare with: the base commit's outputs, read from git."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from benchgate.config import Scenario
from benchgate.params_file import Project
from benchgate.scorers.plan import RunPlan

if TYPE_CHECKING:
    from benchgate.base_outputs import BaseOutputs
    from benchgate.llm.pairs import PairwiseWork


def pairwise_base(
    project: Project, name: str, spec: Scenario, plan: RunPlan, rev: str | None
) -> tuple[RunPlan, BaseOutputs | None]:
    """The base outputs the pairwise metrics compare with; without any, those metrics are skipped."""
    if not plan.pairwise:
        return plan, None
    from benchgate import git
    from benchgate.base_outputs import base_outputs
    from benchgate.baseline import BaseHints

    inputs = [str(project.params_path), str(project.path(spec.dataset)), str(project.path(spec.prompt))]
    hints = BaseHints(
        ci_branch=os.environ.get("GITHUB_BASE_REF") or None,
        configured=project.params.gate.base,
        # Uncommitted inputs are what the gate will see as uncommitted results: the same base.
        dirty=git.toplevel(project.root) is not None and git.differs_from_head(inputs, project.root),
    )
    found = base_outputs(project, name, "live", rev, hints)
    if not found.outputs:
        why = f"no base outputs to compare with: {found.base.reason}"[:300]
        plan = replace(plan, pairwise=[], skipped=plan.skipped | dict.fromkeys(plan.pairwise, why))
    return plan, found


def pairwise_work(spec: Scenario, plan: RunPlan, compared: BaseOutputs | None) -> PairwiseWork | None:
    """Each pairwise metric's prompt and samples per order, with the base outputs, or None."""
    if not plan.pairwise or compared is None:
        return None
    from benchgate.llm.pairs import PairwiseWork
    from benchgate.llm.pairwise import prompt_for
    from benchgate.scorers.registry import pairwise_samples
    from benchgate.scorers.specs import PairwiseScorer

    metrics = {}
    for metric in plan.pairwise:
        scorer = spec.scorer(metric)
        assert isinstance(scorer, PairwiseScorer)
        metrics[metric] = (prompt_for(spec.judge, scorer.rubric), pairwise_samples(spec, scorer))
    return PairwiseWork(metrics=metrics, base=compared.outputs)
