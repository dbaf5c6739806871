"""The shell commands that reproduce a gate outcome, built only from validated fields. Pure.

`publish` rebuilds them from an untrusted gate.json instead of posting the commands it carries.
"""

from __future__ import annotations

import shlex

from benchgate.results import Mode


def commands(
    scenario: str,
    mode: Mode,
    *,
    head_sha: str | None,
    base_sha: str | None,
    stage: str | None,
    endpoint: str | None,
) -> list[str]:
    """Check out the head, rerun the scenario (its dvc.yaml stage when it has one), gate against the base."""
    found = [f"git checkout {head_sha}"] if head_sha else []
    env = f"LLM_URL={shlex.quote(endpoint)} " if mode == "live" and endpoint else ""
    name = shlex.quote(scenario)
    if stage is not None:
        found.append(f"{env}dvc repro {shlex.quote(stage)}")
    else:
        found.append(f"{env}benchgate run --scenario {name} --mode {mode}")
    base_flag = f" --base {base_sha}" if base_sha else ""
    found.append(f"benchgate gate --scenario {name} --mode {mode}{base_flag}")
    return found
