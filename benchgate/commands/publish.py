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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from benchgate.errors import GitHubDenied, InputError, Problem, UsageError
from benchgate.github.api import GitHubAPI
from benchgate.github.sticky import upsert
from benchgate.outcome import GateResult
from benchgate.report import COMMENT_LIMIT, marker, render

MAX_GATE_JSON = 5 * 1024 * 1024


@dataclass(frozen=True)
class Published:
    """Comment URLs per scenario and whether the gate failed."""

    urls: dict[str, str]
    failed: bool


def read_results(path: Path) -> list[GateResult]:
    """A gate.json or the combined `benchgate ci` one, validated field by field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(str(path), None, None, f"cannot read: {exc.strerror}")]) from None
    if len(raw) > MAX_GATE_JSON:
        raise InputError([Problem(str(path), None, None, "larger than any gate.json benchgate writes")])
    try:
        data = json.loads(raw)
        entries = data["scenarios"].values() if isinstance(data, dict) and "scenarios" in data else [data]
        return [GateResult.model_validate(entry) for entry in entries]
    except (ValueError, AttributeError, TypeError) as exc:
        first = exc.errors(include_url=False)[0] if isinstance(exc, ValidationError) else None
        field = ".".join(str(p) for p in first["loc"]) if first else None
        message = first["msg"] if first else "not a gate.json written by benchgate"
        raise InputError([Problem(str(path), None, field, message)]) from None


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

    async def post() -> dict[str, str]:
        api = GitHubAPI(api_url, repository, token)
        try:
            if expect_head_sha is not None:
                head = await api.pull_head_sha(pr)
                if head != expect_head_sha:
                    raise UsageError(f"PR #{pr} is at {head}, not at {expect_head_sha}: refusing to post")
            urls = {}
            for result in results:
                body = render(result, max_size=COMMENT_LIMIT)
                urls[result.scenario] = await upsert(api, pr, marker(result.scenario), body, author)
            return urls
        finally:
            await api.aclose()

    try:
        urls = asyncio.run(post())
    except GitHubDenied as exc:
        raise GitHubDenied(f"{exc} (the token needs pull-requests: write)") from None
    return Published(urls, any(r.failed for r in results))
