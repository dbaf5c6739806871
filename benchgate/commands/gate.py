"""`benchgate gate`: head results + base results from git -> gate.json, report.md, a status."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from benchgate import dvc, git, policy, reproduce
from benchgate.baseline import BaseHints, Baseline, find_baseline
from benchgate.collection import batch_step
from benchgate.config import GatePolicy, Governance, Scenario
from benchgate.dataset import find_outputs, load_dataset
from benchgate.errors import InputError, Problem, UsageError
from benchgate.fingerprint import file_ref
from benchgate.gate import GateInput, evaluate, with_excerpts
from benchgate.ground_truth import judge_with_ground_truth
from benchgate.history import TrendSource, read_trend
from benchgate.outcome import Approvals, BaseChoice, BaseRef, GateResult, HeadRef, PolicyChange, Trend
from benchgate.params_file import Project, load_project, parse_params
from benchgate.report import render
from benchgate.report.html import render_html
from benchgate.report.junit import render_junit
from benchgate.results import FileRef, Mode, RunFiles, SampleScore
from benchgate.results_store import METRICS, RUN_INFO, SCORES, read_run
from benchgate.review_rows import gather_rows
from benchgate.score_lines import ScoreLines

EXCERPT = 500
"""Characters of each output kept beside a most-lost pair in gate.json."""
REPORTS = ".benchgate/reports"
ApprovalsFor = Callable[[Governance], Approvals | None]
"""Reads the pull request's reviews for a governance policy (`benchgate ci` supplies it)."""


@dataclass(frozen=True)
class HistoryOptions:
    """Where the trend's history comes from, when the caller knows better than the base."""

    rev: str | None = None
    """Tip of the default branch (CI: the PR's base commit); default: derived from the base."""
    label: str | None = None
    """How the report names it (e.g. the PR's base branch)."""
    fetch: bool = False
    """A shallow clone may fetch more history (CI); locally it only says what it lacks."""


@dataclass(frozen=True)
class GateOutcome:
    """The decision and where it was written."""

    result: GateResult
    json_path: Path
    report_path: Path
    html_path: Path | None = None
    junit_path: Path | None = None


@batch_step
def gate_scenario(
    params: Path,
    scenario: str | None,
    mode: Mode,
    *,
    base: str | None,
    base_chosen_by: BaseChoice = "explicit",
    fail_on_warn: bool | None = None,
    json_path: Path | None = None,
    report_path: Path | None = None,
    junit_path: Path | None = None,
    run_url: str | None = None,
    env: Mapping[str, str] | None = None,
    history: HistoryOptions | None = None,
    approvals_for: ApprovalsFor | None = None,
) -> GateOutcome:
    """Gate one scenario's results in the work tree against the base commit's."""
    env = os.environ if env is None else env
    project = load_project(params)
    name, spec = project.scenario(scenario)
    out = project.root / REPORTS / name / mode
    targets = {"--json": json_path or out / "gate.json", "--report": report_path or out / "report.md"}
    targets["report.html"] = targets["--report"].with_suffix(".html")
    if junit_path is not None:
        targets["--junit"] = junit_path
    for option, target in targets.items():
        _prepare(option, target)
    results_dir = project.results_dir(name, mode)
    head = read_run(project.root / results_dir, results_dir)
    current = (file_ref(project.root, spec.dataset), file_ref(project.root, spec.prompt))
    stale = _staleness(head, current)
    if stale:
        raise InputError([Problem(f"{results_dir}/run.json", None, None, stale)])
    head_ref = _head_ref(project.root, results_dir)
    hints = BaseHints(
        ci_branch=env.get("GITHUB_BASE_REF") or None,
        configured=project.params.gate.base,
        dirty=head_ref.dirty,
    )
    baseline = find_baseline(project.root, results_dir, base, params=project.params_path, hints=hints)
    if base is not None:
        baseline = replace(baseline, ref=baseline.ref.model_copy(update={"chosen_by": base_chosen_by}))
    judged, gate_policy, source, changes, governance = _policy(project, name, baseline)
    if fail_on_warn is not None:
        gate_policy = gate_policy.model_copy(update={"fail_on_warn": fail_on_warn})
    stage = dvc.stage_for(project.root, project.params.live, name, mode)
    gate_input = GateInput(
        scenario_name=name,
        scenario=judged,
        policy=gate_policy,
        head=head,
        base=baseline.files,
        base_ref=baseline.ref,
        head_ref=head_ref,
        reproduce=reproduce.commands(
            name,
            mode,
            head_sha=head_ref.sha,
            base_sha=baseline.ref.sha,
            stage=stage,
            endpoint=head.info.endpoint,
        ),
        companion=_companion(project, name, mode, current),
        stage=stage,
        policy_source=source,
        policy_changes=changes,
        labels=_labels(project, spec) if mode == "live" else None,
        governance=governance,
        approvals=approvals_for(governance) if approvals_for and governance.approvers else None,
        trend=_trend(
            project,
            results_dir,
            baseline.ref,
            head_ref,
            limit=gate_policy.trend,
            metrics=list(judged.metrics),
            history=history,
        ),
    )
    result = evaluate(gate_input)
    generated = ScoreLines.of(head.scores).outputs()
    wanted = {w.id for w in result.worst}
    excerpts = {i: generated[i] for i in wanted if i in generated}
    excerpts |= find_outputs(project.path(spec.dataset), wanted - set(excerpts))
    result = with_excerpts(result, excerpts).model_copy(update={"run_url": run_url})
    if result.lost_pairs:
        result = _with_pair_excerpts(project, (name, mode), head, result, hints)
    rows = gather_rows(project.root, head, baseline, result)
    files = {
        "--json": (targets["--json"], result.model_dump_json(indent=2, by_alias=True) + "\n"),
        "--report": (targets["--report"], render(result)),
        "report.html": (targets["report.html"], render_html(result, rows)),
    }
    if junit_path is not None:
        files["--junit"] = (junit_path, render_junit([result]).decode())
    _write(files)
    return GateOutcome(result, targets["--json"], targets["--report"], targets["report.html"], junit_path)


def _with_pair_excerpts(
    project: Project, run: tuple[str, Mode], head: RunFiles, result: GateResult, hints: BaseHints
) -> GateResult:
    """The most-lost pairs with both outputs: the head's as judged, the base's from the commit the
    run judged against (read from git again, as the run did)."""
    from benchgate.base_outputs import base_outputs

    name, mode = run
    spec = project.params.scenarios[name]
    wanted = {pair.id for pair in result.lost_pairs}
    mine = {i: output for i, output in ScoreLines.of(head.scores).outputs().items() if i in wanted}
    mine |= find_outputs(project.path(spec.dataset), wanted - set(mine))
    judged_against = head.info.pairwise_base.sha if head.info.pairwise_base else None
    theirs = base_outputs(project, name, mode, judged_against, hints).outputs if judged_against else {}
    lost = [
        pair.model_copy(
            update={"head_excerpt": _start(mine.get(pair.id)), "base_excerpt": _start(theirs.get(pair.id))}
        )
        for pair in result.lost_pairs
    ]
    return result.model_copy(update={"lost_pairs": lost})


def _start(text: str | None) -> str | None:
    return None if text is None else text[:EXCERPT]


def _policy(
    project: Project, name: str, baseline: Baseline
) -> tuple[Scenario, GatePolicy, Literal["head", "base"], list[PolicyChange], Governance]:
    """The scenario, gate policy and governance that judge the head, whose they are, and what
    changed since the base."""
    head = project.params
    head_scenario = head.scenarios[name]
    base_params = parse_params(baseline.params, "base params.yaml")[0] if baseline.params else None
    if base_params is None:
        return head_scenario, head.gate, "head", [], head.governance
    base_scenario = base_params.scenarios.get(name)
    changes = policy.changes(
        head_scenario,
        head.gate,
        base_scenario,
        base_params.gate,
        head_governance=head.governance,
        base_governance=base_params.governance,
    )
    if not policy.uses_base(head.gate, base_params.gate):
        return head_scenario, head.gate, "head", changes, head.governance
    judged = policy.effective(head_scenario, base_scenario) if base_scenario else head_scenario
    return judged, base_params.gate, "base", changes, base_params.governance


def _trend(
    project: Project,
    results_dir: str,
    base: BaseRef,
    head: HeadRef,
    *,
    limit: int,
    metrics: list[str],
    history: HistoryOptions | None,
) -> Trend | None:
    """The default branch's recent values of these results; never an error, at worst unavailable."""
    if limit == 0:
        return None
    history = history or HistoryOptions()
    top = git.toplevel(project.root)
    rev, label = history.rev, history.label
    if rev is None and base.chosen_by == "merge-base" and base.default_branch:
        rev, label = base.default_branch, label or base.default_branch
    elif rev is None:
        rev, label = base.sha, label or base.rev
    if top is None or rev is None:
        why = "not a git repository" if top is None else "there is no base commit to read history from"
        return Trend(rev=label, limit=limit, unavailable=why)
    path = (project.root / results_dir / METRICS).resolve().relative_to(top.resolve()).as_posix()
    source = TrendSource(rev=rev, label=label, exclude=None if head.dirty else head.sha)
    return read_trend(top, path, source, limit, metrics, fetch=history.fetch)


def _prepare(option: str, path: Path) -> None:
    """Fail before any work when an output cannot be written where asked."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot create its directory ({exc.strerror})") from None
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory")


def _write(files: dict[str, tuple[Path, str]]) -> None:
    """Write every output that can be written, then report the ones that could not."""
    failed = []
    for option, (path, text) in files.items():
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            failed.append(f"{option} {path}: cannot write ({exc.strerror})")
    if failed:
        raise UsageError("; ".join(failed))


def _staleness(run: RunFiles, current: tuple[FileRef, FileRef]) -> str | None:
    """Why results no longer match today's dataset and prompt, if they do not."""
    for recorded, now in zip((run.info.dataset, run.info.prompt), current, strict=True):
        if now.sha256 != recorded.sha256:
            return (
                f"results are stale: {now.path} changed since they were computed; "
                "run `dvc repro` or `benchgate run`"
            )
    return None


def _companion(project: Project, name: str, mode: Mode, current: tuple[FileRef, FileRef]) -> RunFiles | None:
    """The other mode's results, when present and computed from the same files."""
    other: Mode = "live" if mode == "dry-run" else "dry-run"
    directory = project.results_dir(name, other)
    if not (project.root / directory / "run.json").is_file():
        return None
    files = read_run(project.root / directory, directory)
    return None if _staleness(files, current) else files


def _labels(project: Project, spec: Scenario) -> list[SampleScore] | None:
    """The dataset's ground truth of the judge metrics (what a live judge is checked against)."""
    if not spec.judge_metrics:
        return None
    dataset = load_dataset(project.path(spec.dataset), spec.quality_metrics, shown=spec.dataset)
    return judge_with_ground_truth(dataset.samples, spec.judge_metrics)


def _head_ref(root: Path, results_dir: str) -> HeadRef:
    top = git.toplevel(root)
    if top is None:
        return HeadRef(sha=None)
    sha = git.resolve("HEAD", top)
    # The files the gate reads, not the whole directory: shard results beside them do not count.
    files = [f"{results_dir}/{name}" for name in (SCORES, METRICS, RUN_INFO)]
    return HeadRef(sha=sha, dirty=sha is not None and git.differs_from_head(files, root))
