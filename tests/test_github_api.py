"""The GitHub client against the fake GitHub API: writes are never doubled, reads never cut short."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgate.errors import GitHubError
from benchgate.github import api as github_api
from benchgate.github.api import GitHubAPI
from benchgate.github.sticky import upsert
from benchgate.retry import RetryPolicy
from tests.conftest import benchgate
from tests.fakes.github_server import FakeGitHub
from tests.test_ci import BOT, OWNER, PR, REPO, TOKEN, actions_env, ours, pull_request

MARKER = "<!-- benchgate:synthetic -->"
FAST = RetryPolicy(max_attempts=3, max_retry_s=5, backoff_s=0.01, backoff_max_s=0.05)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as server:  # type: ignore[dict-item]
        server.add_issue(OWNER, REPO, PR)
        yield server


def post(github: FakeGitHub, body: str) -> str:
    async def go() -> str:
        client = GitHubAPI(github.api_url, f"{OWNER}/{REPO}", TOKEN, policy=FAST)
        try:
            return await upsert(client, PR, MARKER, body)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_a_post_that_fails_after_creating_the_comment_is_not_posted_again(github: FakeGitHub) -> None:
    github.fail_next_write_after_processing(502)
    url = post(github, MARKER + "\nfirst")
    [comment] = [c for c in github.comments(OWNER, REPO, PR) if str(c["body"]).startswith(MARKER)]
    assert url == comment["html_url"]
    assert [m for m, path, _ in github.requests if m == "POST"] == ["POST"]


def test_comments_beyond_the_page_cap_are_an_error_not_a_silent_duplicate(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(250):
        github.add_comment(OWNER, REPO, PR, f"comment {i}")
    post(github, MARKER + "\nfirst")  # ours is comment 251: on the third page of 100
    monkeypatch.setattr(github_api, "MAX_PAGES", 2)
    with pytest.raises(GitHubError, match="more than 2 pages of comments"):
        post(github, MARKER + "\nsecond")
    monkeypatch.setattr(github_api, "MAX_PAGES", 3)
    post(github, MARKER + "\nthird")
    [comment] = ours_all(github)
    assert str(comment["body"]).endswith("third")


def ours_all(github: FakeGitHub) -> list[dict[str, object]]:
    return [c for c in github.comments(OWNER, REPO, PR) if str(c["body"]).startswith(MARKER)]


def test_a_spent_rate_limit_warns_like_a_read_only_token(repo: Path, github: FakeGitHub) -> None:
    base, head = pull_request(repo)
    github.rate_limit_next(1, reset_in_s=3_600)
    done = benchgate(repo, "ci", env=actions_env(repo, github, base, head))
    assert done.returncode == 1, done.stdout + done.stderr  # the gate's own verdict, not exit 3
    assert "::warning title=benchgate::could not comment on PR #7" in done.stdout
    assert "rate limit reached; it resets in" in done.stdout
    assert ours(github) == []
