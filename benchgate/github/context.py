"""Where `benchgate ci` runs: the event, the repository, the commits, from GITHUB_* variables."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchgate.errors import UsageError

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class RunContext:
    """What the Actions run is about."""

    event: str
    """`pull_request`, `push`, ... (GITHUB_EVENT_NAME)."""
    repository: str | None
    """`owner/name`."""
    api_url: str
    """REST API root (GitHub Enterprise: `https://host/api/v3`; Gitea: `.../api/v1`)."""
    pr_number: int | None
    """The pull request, for pull_request events."""
    base_sha: str | None
    """PR base tip, or the commit before a push."""
    head_sha: str | None
    """PR head, or the pushed commit."""

    @property
    def is_pr(self) -> bool:
        """Whether there is a pull request to comment on."""
        return self.pr_number is not None


def read_context(env: Mapping[str, str] | None = None) -> RunContext:
    """Read the run context; outside Actions, a `local` context with no PR."""
    env = os.environ if env is None else env
    event_name = env.get("GITHUB_EVENT_NAME", "local")
    payload = _event(env.get("GITHUB_EVENT_PATH"))
    pr = payload.get("pull_request") if isinstance(payload.get("pull_request"), dict) else None
    base = head = None
    number = None
    if pr is not None:
        number = _int(pr.get("number", payload.get("number")))
        base = _sha(pr.get("base", {}).get("sha"))
        head = _sha(pr.get("head", {}).get("sha"))
    elif event_name == "push":
        before = _sha(payload.get("before"))
        base = None if before == ZERO_SHA else before
        head = _sha(payload.get("after")) or env.get("GITHUB_SHA")
    return RunContext(
        event=event_name,
        repository=env.get("GITHUB_REPOSITORY"),
        api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        pr_number=number,
        base_sha=base,
        head_sha=head or env.get("GITHUB_SHA"),
    )


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: file not found") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: not a JSON event ({exc})") from None
    if not isinstance(payload, dict):
        raise UsageError(f"GITHUB_EVENT_PATH {path}: the event is not a JSON object")
    return payload


def _sha(value: object) -> str | None:
    text = str(value) if value is not None else ""
    return text if len(text) == 40 and all(c in "0123456789abcdef" for c in text) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None
