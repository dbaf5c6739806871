"""`benchgate gate`: head results + base results from git -> gate.json, report.md, a status."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from benchgate import dvc, git
from benchgate.baseline import find_baseline
from benchgate.errors import InputError, Problem
from benchgate.fingerprint import file_ref
from benchgate.gate import GateInput, evaluate, with_excerpts
from benchgate.outcome import GateResult, HeadRef
from benchgate.params_file import Project, load_project
from benchgate.report import render
from benchgate.report.html import render_html
from benchgate.report.junit import render_junit
from benchgate.results import FileRef, Mode, RunFiles
from benchgate.results_store import read_run
from benchgate.review_rows import gather_rows

REPORTS = ".benchgate/reports"


@dataclass(frozen=True)
class GateOutcome:
    """The decision and where it was written."""

    result: GateResult
    json_path: Path
    report_path: Path
    html_path: Path | None = None
    junit_path: Path | None = None


def gate_scenario(
    params: Path,
    scenario: str | None,
    mode: Mode,
    *,
    base: str | None,
    fail_on_warn: bool | None = None,
    json_path: Path | None = None,
    report_path: Path | None = None,
    junit_path: Path | None = None,
    run_url: str | None = None,
) -> GateOutcome:
    """Gate one scenario's results in the work tree against the base commit's."""
    project = load_project(params)
    name, spec = project.scenario(scenario)
    results_dir = project.results_dir(name, mode)
    head = read_run(project.root / results_dir, results_dir)
    current = (file_ref(project.root, spec.dataset), file_ref(project.root, spec.prompt))
    stale = _staleness(head, current)
    if stale:
        raise InputError([Problem(f"{results_dir}/run.json", None, None, stale)])
    baseline = find_baseline(project.root, results_dir, base)
    policy = project.params.gate
    if fail_on_warn is not None:
        policy = policy.model_copy(update={"fail_on_warn": fail_on_warn})
    head_ref = _head_ref(project.root, results_dir)
    gate_input = GateInput(
        scenario_name=name,
        scenario=spec,
        policy=policy,
        head=head,
        base=baseline.files,
        base_ref=baseline.ref,
        head_ref=head_ref,
        reproduce=_reproduce(project, name, mode, head, (head_ref.sha, baseline.ref.sha)),
        companion=_companion(project, name, mode, current),
    )
    result = evaluate(gate_input)
    generated = {s.id: s.output for s in head.scores if s.output is not None}
    wanted = {w.id for w in result.worst}
    excerpts = {i: generated[i] for i in wanted if i in generated}
    excerpts |= _excerpts(project, spec.dataset, wanted - set(excerpts))
    result = with_excerpts(result, excerpts).model_copy(update={"run_url": run_url})
    out = project.root / REPORTS / name / mode
    json_path = json_path or out / "gate.json"
    report_path = report_path or out / "report.md"
    html_path = report_path.with_suffix(".html")
    for path in (json_path, report_path, *([junit_path] if junit_path else [])):
        path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(result.model_dump_json(indent=2, by_alias=True) + "\n", encoding="utf-8")
    report_path.write_text(render(result), encoding="utf-8")
    rows = gather_rows(project.root, head, baseline, result)
    html_path.write_text(render_html(result, rows), encoding="utf-8")
    if junit_path is not None:
        junit_path.write_bytes(render_junit([result]))
    return GateOutcome(result, json_path, report_path, html_path, junit_path)


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


def _head_ref(root: Path, results_dir: str) -> HeadRef:
    top = git.toplevel(root)
    if top is None:
        return HeadRef(sha=None)
    sha = git.resolve("HEAD", top)
    return HeadRef(sha=sha, dirty=sha is not None and git.differs_from_head([results_dir], root))


def _excerpts(project: Project, dataset: str, ids: set[str]) -> dict[str, str]:
    """Outputs of a few samples, found by searching the raw file instead of parsing all of it."""
    if not ids:
        return {}
    raw = project.path(dataset).read_bytes()
    found: dict[str, str] = {}
    for sample_id in sorted(ids):
        needle = json.dumps(sample_id, ensure_ascii=False).encode()
        at = raw.find(needle)
        while at != -1 and sample_id not in found:
            start = raw.rfind(b"\n", 0, at) + 1
            end = raw.find(b"\n", at)
            record = json.loads(raw[start : len(raw) if end == -1 else end])
            if (
                isinstance(record, dict)
                and record.get("id") == sample_id
                and isinstance(record.get("output"), str)
            ):
                found[sample_id] = record["output"]
            at = raw.find(needle, at + 1) if end == -1 else raw.find(needle, end)
    return found


def _reproduce(
    project: Project, name: str, mode: Mode, head: RunFiles, shas: tuple[str | None, str | None]
) -> list[str]:
    head_sha, base_sha = shas
    commands = [f"git checkout {head_sha}"] if head_sha else []
    env = f"LLM_URL={shlex.quote(head.info.endpoint)} " if mode == "live" and head.info.endpoint else ""
    if dvc.has_pipeline(project.root):
        commands.append(f"{env}dvc repro {shlex.quote(dvc.stage_name(name, mode))}")
    else:
        commands.append(f"{env}benchgate run --scenario {shlex.quote(name)} --mode {mode}")
    base_flag = f" --base {base_sha}" if base_sha else ""
    commands.append(f"benchgate gate --scenario {shlex.quote(name)} --mode {mode}{base_flag}")
    return commands
