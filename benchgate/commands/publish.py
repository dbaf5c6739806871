"""`benchgate publish`: post gate results as the sticky PR comment, from a trusted workflow.

For pull requests from forks the gate runs without write access and uploads its gate.json;
a `workflow_run` job on the base repository posts it. That gate.json is untrusted data: it
is validated as a gate result and re-rendered here (never posted as Markdown it carries),
and the PR number is checked against the commit the gate ran on.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from benchgate import reproduce
from benchgate.errors import GitHubDenied, InputError, Problem, UsageError
from benchgate.gate import decide
from benchgate.github.api import GitHubAPI, GitHubRateLimited
from benchgate.github.reviews import read_approvals
from benchgate.github.sticky import upsert
from benchgate.outcome import GateResult
from benchgate.report import COMMENT_LIMIT, marker, render

MAX_GATE_JSON = 5 * 1024 * 1024
MAX_DEPTH = 12
"""gate.json nests at most a few levels; anything deeper is not ours."""
MAX_TEXT = 2_000
"""Longest string kept from an untrusted gate.json (the renderer shortens most further)."""
MAX_ITEMS = 500
"""Longest list or mapping kept (benchgate itself writes at most 50 ids, 20 unscored items)."""
ENDPOINT = re.compile(r"^https?://[A-Za-z0-9.\[\]:_-]+(/[A-Za-z0-9._~/-]*)?$")
"""An endpoint as run.json records it (no credentials, no query): anything else is dropped."""


@dataclass(frozen=True)
class Published:
    """Comment URLs per scenario and whether the gate failed."""

    urls: dict[str, str]
    failed: bool


def read_results(path: Path) -> list[GateResult]:
    """A gate.json or the combined `benchgate ci` one, validated field by field and re-derived.

    Whatever can be rebuilt is rebuilt rather than read: status, verdicts, reasons and
    observations come from `gate.decide` over the validated measurements, the reproduce commands
    from validated SHAs, scenario, mode and stage; every string is capped before it is validated.
    Approvals are not read at all: `publish` reads the pull request's reviews itself.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(str(path), None, None, f"cannot read: {exc.strerror}")]) from None
    if len(raw) > MAX_GATE_JSON:
        raise InputError([Problem(str(path), None, None, "larger than any gate.json benchgate writes")])
    try:
        data = json.loads(raw)
        entries = data["scenarios"].values() if isinstance(data, dict) and "scenarios" in data else [data]
        return [_rebuilt(GateResult.model_validate(_untrusted(entry))) for entry in entries]
    except RecursionError:
        raise InputError([Problem(str(path), None, None, "nested too deeply to be a gate.json")]) from None
    except (ValueError, AttributeError, TypeError) as exc:
        first = exc.errors(include_url=False)[0] if isinstance(exc, ValidationError) else None
        field = ".".join(str(p) for p in first["loc"]) if first else None
        message = first["msg"] if first else "not a gate.json written by benchgate"
        raise InputError([Problem(str(path), None, field, message)]) from None


def _untrusted(entry: Any) -> Any:
    """The entry without the fields publish rebuilds, every string capped."""
    if not isinstance(entry, dict):
        raise TypeError("not an object")
    derived = {"status", "failed", "reasons", "reproduce", "observations", "approvals"}
    return _capped({key: value for key, value in entry.items() if key not in derived}, depth=0)


def _capped(node: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("nested deeper than any gate.json benchgate writes")
    if isinstance(node, str):
        return node if len(node) <= MAX_TEXT else node[:MAX_TEXT] + "…"
    if isinstance(node, list):
        return [_capped(item, depth + 1) for item in node[:MAX_ITEMS]]
    if isinstance(node, dict):
        return {
            str(key)[:MAX_TEXT]: _capped(value, depth + 1) for key, value in list(node.items())[:MAX_ITEMS]
        }
    return node


def _rebuilt(result: GateResult) -> GateResult:
    endpoint = result.meta.endpoint if result.meta.endpoint and ENDPOINT.match(result.meta.endpoint) else None
    commands = reproduce.commands(
        result.scenario,
        result.mode,
        head_sha=result.head.sha,
        base_sha=result.base.sha,
        stage=result.meta.stage,
        endpoint=endpoint,
    )
    return decide(result.model_copy(update={"reproduce": commands}))


def publish(
    gate_json: Path,
    pr: int,
    *,
    expect_head_sha: str | None = None,
    author: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Published:
    """Upsert one sticky comment per scenario in `gate_json` on PR `pr`."""
    env = os.environ if env is None else env
    results = read_results(gate_json)
    token, repository = env.get("GITHUB_TOKEN"), env.get("GITHUB_REPOSITORY")
    if not token or not repository:
        raise UsageError("publish needs GITHUB_TOKEN and GITHUB_REPOSITORY in the environment")
    api_url = env.get("GITHUB_API_URL", "https://api.github.com")
    # The artifacts link may only point at this repository's own workflow runs.
    runs = f"{env.get('GITHUB_SERVER_URL', 'https://github.com').rstrip('/')}/{repository}/actions/runs/"
    results = [
        r if r.run_url is None or r.run_url.startswith(runs) else r.model_copy(update={"run_url": None})
        for r in results
    ]

    decided: list[GateResult] = []

    async def post() -> dict[str, str]:
        api = GitHubAPI(api_url, repository, token)
        try:
            if expect_head_sha is not None:
                head = await api.pull_head_sha(pr)
                if head != expect_head_sha:
                    raise UsageError(f"PR #{pr} is at {head}, not at {expect_head_sha}: refusing to post")
            urls = {}
            for untrusted in results:
                result = await _with_approvals(api, pr, untrusted)
                decided.append(result)
                body = render(result, max_size=COMMENT_LIMIT)
                urls[result.scenario] = await upsert(api, pr, marker(result.scenario), body, author)
            return urls
        finally:
            await api.aclose()

    try:
        urls = asyncio.run(post())
    except GitHubRateLimited:
        raise
    except GitHubDenied as exc:
        raise GitHubDenied(f"{exc} (the token needs pull-requests: write)") from None
    return Published(urls, any(r.failed for r in decided))


async def _with_approvals(api: GitHubAPI, pr: int, result: GateResult) -> GateResult:
    """The result decided again with the approvals this PR's reviews give, read here, never trusted."""
    governance = result.policy.governance
    if not governance.approvers:
        return result
    return decide(result.model_copy(update={"approvals": await read_approvals(api, pr, governance)}))
