"""`benchgate ci`: what the GitHub Action runs. Resolve the run, run the stages, gate, publish."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchgate import dvc, git
from benchgate import governance as roles
from benchgate.commands.gate import ApprovalsFor, GateOutcome, HistoryOptions, gate_scenario
from benchgate.commands.matrix import merge_all, run_shards
from benchgate.commands.run import LiveOptions, needs_offline_only, run_scenario
from benchgate.config import Governance
from benchgate.errors import GitError, GitHubDenied, InputError
from benchgate.github.api import GitHubAPI
from benchgate.github.context import RunContext, read_context
from benchgate.github.reviews import read_approvals
from benchgate.github.sticky import upsert
from benchgate.github.workflow import annotate, append_summary, set_outputs, summary_room
from benchgate.outcome import RUN_URL, Approvals, GateStatus
from benchgate.params_file import Project, load_project
from benchgate.report import COMMENT_LIMIT, marker, render, utf8_size
from benchgate.report.junit import render_junit
from benchgate.results import Mode, Shard
from benchgate.status import worst

CI_DIR = ".benchgate/ci"
SHARDS_DIR = ".benchgate/shards"
"""The shards directory when `--shard` is given without `--shards-dir`."""
OFFLINE_ONLY_ENV = "BENCHGATE_OFFLINE_ONLY"
"""`benchgate run --offline-only` as the environment of a `dvc repro` stage sees it."""
BASE_ENV = "BENCHGATE_BASE"
"""`benchgate run --base`: the commit pairwise metrics compare with, the gate's own base."""
REUSE_FROM_ENV = "BENCHGATE_REUSE_FROM"
"""`benchgate run --reuse-from`, likewise."""


@dataclass(frozen=True)
class CIOptions:
    """What the action's inputs ask for."""

    params: Path
    scenarios: list[str]
    mode: Mode
    base: str | None = None
    fail_on_warn: bool | None = None
    comment: bool = True
    comment_author: str | None = None
    run: bool = True
    """False gates the results already in the work tree (e.g. shards merged by `benchgate merge`)."""
    shard: Shard | None = None
    """A matrix job: score only this shard of every scenario into the shards directory; no gate."""
    shards_dir: Path | None = None
    """With `shard`, where it goes; without, merge every scenario's shards from here and gate them."""


@dataclass
class CIOutcome:
    """What happened, for the exit code and the log."""

    status: GateStatus = "pass"
    failed: bool = False
    base: str | None = None
    gates: dict[str, GateOutcome] = field(default_factory=dict)
    report_path: Path | None = None
    gate_json: Path | None = None
    junit_path: Path | None = None
    comment_urls: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the run did differently from what was asked (e.g. live without an endpoint: offline only)."""
    shards: dict[str, Path] = field(default_factory=dict)
    """Scenario -> the shard directory a matrix job wrote, or the results its shards were merged into."""


def run_ci(options: CIOptions, env: Mapping[str, str] | None = None) -> CIOutcome:
    """Run, gate and publish every chosen scenario; raises only for errors that stop everything."""
    env = os.environ if env is None else env
    context = read_context(env)
    project = load_project(options.params)
    names = options.scenarios or sorted(project.params.scenarios)
    for name in names:
        project.scenario(name, check_pulled=False)
    # Only the datasets of the scenarios run; the base's results come from git, not from DVC.
    dvc.pull(project.root, [project.params.scenarios[name].dataset for name in names])
    base = options.base or _base_commit(project.root, context)
    if options.shard is not None:  # a matrix job: the run alone, no gate, no comment
        directory = options.shards_dir or project.root / SHARDS_DIR
        return CIOutcome(
            base=base, shards=run_shards(project, names, options.mode, options.shard, directory, base=base)
        )
    outcome = CIOutcome(base=base)
    run = options.run and options.shards_dir is None
    if options.shards_dir is not None:
        outcome.shards = merge_all(project, names, options.mode, options.shards_dir)
    stages = dvc.list_stages(project.root) if dvc.has_pipeline(project.root) else set()
    if stages and run:  # validate before dvc: bad data is exit 2 with file:line, not a failed stage
        _refuse_bad_inputs(project, options.mode, names)
    history = HistoryOptions(rev=context.base_sha, label=env.get("GITHUB_BASE_REF") or None, fetch=True)
    approvals_for = _approvals_reader(context, env.get("GITHUB_TOKEN")) if context.is_pr else None
    for name in names:
        offline = run and options.mode == "live" and needs_offline_only(project, name)
        if offline:
            outcome.notes.append(
                f"{name}: no LLM endpoint is configured (LLM_URL or llm.url), so this live run scores "
                "only the metrics that need no LLM (--offline-only); the others are reported as skipped"
            )
            annotate("warning", f"benchgate {name}: offline only", outcome.notes[-1])
        if run:
            _reproduce(project, name, options.mode, stages, offline_only=offline, base=outcome.base)
        outcome.gates[name] = gate_scenario(
            options.params,
            name,
            options.mode,
            base=outcome.base,
            base_chosen_by="explicit" if options.base else "ci",
            fail_on_warn=options.fail_on_warn,
            run_url=run_url(env),
            env=env,
            history=history,
            approvals_for=approvals_for,
        )
    results = [gate.result for gate in outcome.gates.values()]
    outcome.status = worst(*(r.status for r in results))
    outcome.failed = any(r.failed for r in results)
    _write_combined(project, outcome)
    _annotate(outcome)
    if env.get("GITHUB_STEP_SUMMARY"):
        _summarise(Path(env["GITHUB_STEP_SUMMARY"]), outcome)
    outputs = Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None
    if outputs is not None:
        set_outputs(
            outputs,
            {
                "status": outcome.status,
                "report-path": str(outcome.report_path.resolve()) if outcome.report_path else "",
                "gate-json": str(outcome.gate_json.resolve()) if outcome.gate_json else "",
                "junit-path": str(outcome.junit_path.resolve()) if outcome.junit_path else "",
                "report-html": "\n".join(
                    str(gate.html_path.resolve()) for gate in outcome.gates.values() if gate.html_path
                ),
            },
        )
    try:
        if context.is_pr and options.comment:
            _comment(context, env.get("GITHUB_TOKEN"), options.comment_author, outcome)
    finally:
        if outputs is not None:
            set_outputs(outputs, {"comment-url": " ".join(outcome.comment_urls.values())})
    return outcome


def _base_commit(root: Path, context: RunContext) -> str | None:
    """The PR's base via merge-base, or the commit before a push; fetched into shallow clones."""
    top = git.toplevel(root)
    if top is None or context.base_sha is None:
        return None
    if git.resolve(context.base_sha, top) is None:
        done = git.run_git(["fetch", "--quiet", "--depth=1", "origin", context.base_sha], top, check=False)
        if done.returncode != 0 or git.resolve(context.base_sha, top) is None:
            raise GitError(
                f"cannot fetch the base commit {context.base_sha} from origin; "
                "check out with `fetch-depth: 0` or allow fetching it"
            )
    if context.is_pr:
        return git.merge_base("HEAD", context.base_sha, top) or context.base_sha
    return context.base_sha


def _approvals_reader(context: RunContext, token: str | None) -> ApprovalsFor:
    """The PR's reviews resolved for a governance policy, read once per policy (scenarios share it)."""
    read: dict[str, Approvals] = {}
    number = context.pr_number or 0

    def approvals_for(governance: Governance) -> Approvals:
        key = governance.model_dump_json()
        if key in read:
            return read[key]
        if not token or not context.repository:
            read[key] = roles.unavailable(governance, number, "no GITHUB_TOKEN: the reviews were not read")
            return read[key]

        async def fetch() -> Approvals:
            api = GitHubAPI(context.api_url, context.repository or "", token)
            try:
                return await read_approvals(api, number, governance)
            finally:
                await api.aclose()

        read[key] = asyncio.run(fetch())
        return read[key]

    return approvals_for


def _refuse_bad_inputs(project: Project, mode: Mode, names: list[str]) -> None:
    from benchgate.commands.validate import validate

    problems = validate([project.params_path], complete=mode == "dry-run", only=names).problems
    if problems:
        raise InputError(problems)


def _reproduce(
    project: Project, name: str, mode: Mode, stages: set[str], *, offline_only: bool, base: str | None
) -> None:
    """`dvc repro` of the scenario's stage when dvc.yaml defines it; otherwise run it here.

    A live run reuses the judgements of the same base commit the gate compares with, and its
    pairwise metrics compare with that commit's outputs.
    """
    stage = dvc.stage_name(name, mode)
    if stage in stages:
        env = {OFFLINE_ONLY_ENV: "1"} if offline_only else {}
        if base is not None:
            env[REUSE_FROM_ENV] = base
            env[BASE_ENV] = base
        dvc.repro(project.root, stage, env=env or None)
        return
    live = LiveOptions(reuse_from=base)
    run_scenario(project.params_path, name, mode, offline_only=offline_only, live=live, base=base)


def _write_combined(project: Project, outcome: CIOutcome) -> None:
    directory = project.root / CI_DIR
    directory.mkdir(parents=True, exist_ok=True)
    outcome.report_path = directory / "report.md"
    outcome.gate_json = directory / "gate.json"
    reports = [gate.report_path.read_text(encoding="utf-8") for gate in outcome.gates.values()]
    outcome.report_path.write_text("\n---\n\n".join(reports), encoding="utf-8")
    combined = {
        "status": outcome.status,
        "failed": outcome.failed,
        "scenarios": {
            name: json.loads(gate.json_path.read_text(encoding="utf-8"))
            for name, gate in outcome.gates.items()
        },
    }
    outcome.gate_json.write_text(json.dumps(combined, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    outcome.junit_path = directory / "junit.xml"
    outcome.junit_path.write_bytes(render_junit([gate.result for gate in outcome.gates.values()]))


def run_url(env: Mapping[str, str]) -> str | None:
    """This workflow run's page (its artifacts), when the runner says where it is."""
    parts = [env.get(name, "") for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts):
        return None
    url = f"{parts[0].rstrip('/')}/{parts[1]}/actions/runs/{parts[2]}"
    return url if re.fullmatch(RUN_URL, url) else None


def _annotate(outcome: CIOutcome) -> None:
    for name, gate in outcome.gates.items():
        for reason in gate.result.reasons:
            if reason.kind == "approval":
                level = "error" if gate.result.failed else "warning"
                annotate(level, f"benchgate {name}: approvals pending", reason.message)
        for metric, result in gate.result.metrics.items():
            if result.status != "pass":
                level = "error" if result.status == "fail" else "warning"
                reasons = [r.message for r in gate.result.reasons if r.metric in (metric, None)]
                annotate(
                    level, f"benchgate {name}: {metric} {result.status}", "; ".join(reasons) or result.status
                )


def _summarise(path: Path, outcome: CIOutcome) -> None:
    gates = list(outcome.gates.values())
    for index, gate in enumerate(gates):
        budget = summary_room(path) // (len(gates) - index) - 2
        append_summary(path, render(gate.result, max_size=budget, measure=utf8_size) + "\n")


def _comment(context: RunContext, token: str | None, author: str | None, outcome: CIOutcome) -> None:
    if not token or not context.repository or context.pr_number is None:
        outcome.warnings.append("no GITHUB_TOKEN or repository: the PR comment was skipped")
        annotate("warning", "benchgate", outcome.warnings[-1])
        return
    number = context.pr_number

    async def post_all() -> None:
        api = GitHubAPI(context.api_url, context.repository or "", token)
        try:
            for name, gate in outcome.gates.items():
                body = render(gate.result, max_size=COMMENT_LIMIT)
                outcome.comment_urls[name] = await upsert(api, number, marker(name), body, author)
        finally:
            await api.aclose()

    try:
        asyncio.run(post_all())
    except GitHubDenied as exc:
        outcome.warnings.append(f"could not comment on PR #{number} ({exc}); the step summary has the report")
        annotate("warning", "benchgate", outcome.warnings[-1])
