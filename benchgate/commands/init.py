"""`benchgate init`: write a working project from a template (package data), refusing to overwrite.

Every template is a complete project: params.yaml with a comment on each key, a 3-line dataset
with stored outputs (and ground truth where a judge scores), its prompt, the same dvc.yaml shape
as benchgate's own example, a .gitignore, a pull-request workflow and a README. The DVC repository
marker (`.dvc/`) is written too, as `dvc init` would, so `git init && git commit && dvc repro`
works right after; an existing `.dvc/` is left alone.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from benchgate.errors import UsageError

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

TEMPLATES = {
    "qa": "support_answers",
    "summarise": "summaries",
    "classify": "ticket_triage",
    "digest-ru": "channel_digest_ru",
}
"""Template -> the scenario it writes."""
JUDGED = {"qa", "summarise", "digest-ru"}
"""Templates whose scenario has LLM-judged metrics (ground truth in the dataset)."""
# Stored under other names: a `dvc.yaml` inside benchgate's own repository would join its pipeline.
COMMON = {
    "dvc-yaml": "dvc.yaml",
    "gitignore": ".gitignore",
    "workflow.yml": ".github/workflows/benchgate.yml",
}
"""Shared template file -> where it goes in the project."""
DVC_MARKER = {"dvc-config": ".dvc/config", "dvc-gitignore": ".dvc/.gitignore"}


@dataclass(frozen=True)
class Written:
    """What `init` wrote, relative to the project directory, in writing order."""

    directory: Path
    scenario: str
    files: list[str]


def _templates() -> Traversable:
    return files("benchgate").joinpath("project_templates")


def plan(template: str, directory: Path) -> dict[str, bytes]:
    """Every file of the project, by path relative to `directory`, with its content."""
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r}: choose one of {', '.join(TEMPLATES)}")
    scenario = TEMPLATES[template]
    own, common = _templates().joinpath(template), _templates().joinpath("common")
    data = f"data/scenarios/{scenario}"
    out: dict[str, bytes] = {
        "params.yaml": own.joinpath("params.yaml").read_bytes(),
        f"{data}/dataset.jsonl": own.joinpath("dataset.jsonl").read_bytes(),
        f"{data}/prompt.md": own.joinpath("prompt.md").read_bytes(),
    }
    out |= {target: common.joinpath(source).read_bytes() for source, target in COMMON.items()}
    out["README.md"] = _readme(common, template, scenario, data).encode("utf-8")
    if not (directory / ".dvc").exists():
        out |= {target: common.joinpath(source).read_bytes() for source, target in DVC_MARKER.items()}
    return out


def _readme(common: Traversable, template: str, scenario: str, data: str) -> str:
    from jinja2 import Environment, StrictUndefined

    environment = Environment(autoescape=False, keep_trailing_newline=True, undefined=StrictUndefined)
    page = environment.from_string(common.joinpath("README.md.j2").read_text(encoding="utf-8"))
    return page.render(
        scenario=scenario,
        template=template,
        dataset=f"{data}/dataset.jsonl",
        prompt=f"{data}/prompt.md",
        judged=template in JUDGED,
        reference=template != "digest-ru",
    )


def init_project(directory: Path, template: str, *, force: bool) -> Written:
    """Write the template's project into `directory` (created if missing).

    Without `force`, nothing is written when any of the files exists already.
    """
    contents = plan(template, directory)
    if not force:
        taken = [name for name in contents if (directory / name).exists()]
        if taken:
            more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
            raise UsageError(
                f"{directory / taken[0]} already exists{more}; benchgate init writes only into a "
                "directory without these files (pass --force to overwrite them)"
            )
    for name, content in contents.items():
        target = directory / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as exc:
            raise UsageError(f"{target}: cannot write ({exc.strerror})") from None
    return Written(directory, TEMPLATES[template], list(contents))
