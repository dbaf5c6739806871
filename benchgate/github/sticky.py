"""One comment per scenario per pull request, found by its hidden marker and updated in place."""

from __future__ import annotations

from typing import Any

from benchgate.github.api import AmbiguousWrite, GitHubAPI


def is_ours(comment: dict[str, Any], marker: str, author: str | None) -> bool:
    """Our comment starts with the marker line and was written by a bot (or the given login).

    Requiring the first line (not just any occurrence) means a report quoting the marker, or
    a person quoting our comment, is never mistaken for it; requiring a bot author means a
    person's comment that starts with the marker is never overwritten.
    """
    body = comment.get("body")
    user = comment.get("user")
    user = user if isinstance(user, dict) else {}
    if not isinstance(body, str) or body.split("\n", 1)[0].strip() != marker:
        return False
    if author is not None:
        return bool(user.get("login") == author)
    return bool(user.get("type") == "Bot")


async def upsert(api: GitHubAPI, number: int, marker: str, body: str, author: str | None = None) -> str:
    """Update our comment (removing any duplicates) or create it; returns its URL."""
    ours = [c for c in await api.comments(number) if is_ours(c, marker, author)]
    if not ours:
        try:
            created = await api.create_comment(number, body)
        except AmbiguousWrite:
            # The POST may have gone through: look before posting again, so that a flaky
            # answer never leaves two comments behind.
            ours = [c for c in await api.comments(number) if is_ours(c, marker, author)]
            if not ours:
                created = await api.create_comment(number, body)
        if not ours:
            return str(created.get("html_url", ""))
    updated = await api.update_comment(int(ours[0]["id"]), body)
    for duplicate in ours[1:]:
        await api.delete_comment(int(duplicate["id"]))
    return str(updated.get("html_url", ""))
