"""The few GitHub REST calls benchgate makes (issue comments, reviews, team members), with retries
and clear refusals."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

from benchgate import __version__
from benchgate.errors import GitHubDenied, GitHubError
from benchgate.retry import RetryPolicy, TransientHTTPError, error_kind, retry_after_s, with_retries


class GitHubRateLimited(GitHubDenied):
    """The token's rate limit is spent for longer than a run should wait: like a read-only token."""


class AmbiguousWrite(GitHubError):
    """A write failed after it was sent: it may or may not have taken effect."""


MAX_PAGES = 1_000
"""Pages of a listing read before giving up loudly (100,000 comments at 100 a page)."""
POLICY = RetryPolicy(max_attempts=5, max_retry_s=90, backoff_s=1.0, backoff_max_s=20)
LONGEST_RATE_LIMIT_WAIT_S = 60.0
"""A rate limit that resets later than this is treated like a token without permission."""


class GitHubAPI:
    """Issue comments and pull request reviews on one repository, and its organisation's teams."""

    def __init__(
        self,
        api_url: str,
        repository: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy = POLICY,
    ) -> None:
        self._api = api_url.rstrip("/")
        self._root = f"{self._api}/repos/{repository}"
        self._policy = policy
        self.retries = 0
        self._http = httpx.AsyncClient(
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Authorization": f"Bearer {token}",
                "User-Agent": f"benchgate/{__version__}",
            },
            timeout=30.0,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close connections."""
        await self._http.aclose()

    async def comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment on the issue or PR, following `Link: rel="next"` through all pages."""
        return await self._pages(
            f"{self._root}/issues/{number}/comments?per_page=100", f"PR #{number}", "comments"
        )

    async def reviews(self, number: int) -> list[dict[str, Any]]:
        """Every review of the pull request, oldest first, through all pages."""
        return await self._pages(
            f"{self._root}/pulls/{number}/reviews?per_page=100", f"PR #{number}", "reviews"
        )

    async def team_members(self, org: str, team: str) -> list[dict[str, Any]]:
        """Every member of `org/team` (needs a token that may read the organisation's members)."""
        url = f"{self._api}/orgs/{quote(org, safe='')}/teams/{quote(team, safe='')}/members?per_page=100"
        return await self._pages(url, f"team {org}/{team}", "members")

    async def _pages(self, url: str, owner: str, what: str) -> list[dict[str, Any]]:
        """A listing, following `Link: rel="next"`; more than `MAX_PAGES` pages is an error, not a cut."""
        found: list[dict[str, Any]] = []
        next_url: str | None = url
        for read in range(MAX_PAGES + 1):
            if next_url is None:
                break
            if read == MAX_PAGES:
                raise GitHubError(f"{owner} has more than {MAX_PAGES:,} pages of {what}; not all were read")
            response = await self._call("GET", next_url)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GET {_path(next_url)}: expected a list of {what}")
            found.extend(item for item in page if isinstance(item, dict))
            next_url = response.links.get("next", {}).get("url")
        return found

    async def pull_head_sha(self, number: int) -> str | None:
        """The pull request's current head commit."""
        head = (await self._call("GET", f"{self._root}/pulls/{number}")).json().get("head")
        return str(head.get("sha")) if isinstance(head, dict) else None

    async def create_comment(self, number: int, body: str) -> dict[str, Any]:
        """Post a new comment. Never retried once sent: a failed POST may still have created it
        (`AmbiguousWrite`), and a retry would post it twice."""
        url = f"{self._root}/issues/{number}/comments"
        return dict((await self._call("POST", url, {"body": body}, resend=False)).json())

    async def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        """Replace a comment's body."""
        return dict(
            (await self._call("PATCH", f"{self._root}/issues/comments/{comment_id}", {"body": body})).json()
        )

    async def delete_comment(self, comment_id: int) -> None:
        """Remove a comment."""
        await self._call("DELETE", f"{self._root}/issues/comments/{comment_id}")

    async def _call(
        self, method: str, url: str, json: dict[str, Any] | None = None, *, resend: bool = True
    ) -> httpx.Response:
        async def attempt() -> httpx.Response:
            try:
                response = await self._http.request(method, url, json=json)
            except httpx.TransportError as exc:
                if resend or isinstance(exc, httpx.ConnectError):  # not connected: nothing was sent
                    raise
                raise AmbiguousWrite(
                    f"GitHub API {method} {_path(url)}: {error_kind(exc)} after sending"
                ) from None
            try:
                return self._checked(method, url, response)
            except TransientHTTPError as exc:
                if resend or exc.status == 429 or _rate_limited(response, str(exc)):
                    raise  # rate limits refuse the request before acting on it
                raise AmbiguousWrite(
                    f"GitHub API {method} {_path(url)}: HTTP {exc.status} after sending"
                ) from None

        try:
            return await with_retries(attempt, self._policy, on_retry=self._count, answered_once=lambda: True)
        except TransientHTTPError as exc:
            if exc.status == 429 or "rate limit" in str(exc).lower():
                raise GitHubRateLimited(
                    f"GitHub API {method} {_path(url)}: still rate limited ({exc})"
                ) from None
            raise GitHubError(
                f"GitHub API {method} {_path(url)} still failing after retries: {exc}"
            ) from None
        except httpx.TransportError as exc:
            raise GitHubError(
                f"GitHub API {method} {_path(url)} still failing after retries: {error_kind(exc)}"
            ) from None

    def _checked(self, method: str, url: str, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status < 300:
            return response
        message = _message(response)
        if _rate_limited(response, message):
            wait = _wait_s(response)
            if wait is not None and wait > LONGEST_RATE_LIMIT_WAIT_S:
                raise GitHubRateLimited(
                    f"GitHub API {method} {_path(url)}: rate limit reached; it resets in {wait:.0f} s"
                )
            raise TransientHTTPError(status, wait, message)
        if status >= 500:
            raise TransientHTTPError(status, retry_after_s(response.headers), message)
        what = f"GitHub API {method} {_path(url)}: HTTP {status} {message}"
        if status in (401, 403, 404):
            raise GitHubDenied(what)
        raise GitHubError(what)

    def _count(self, kind: str) -> None:
        self.retries += 1


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return (
        str(body.get("message", response.reason_phrase)) if isinstance(body, dict) else response.reason_phrase
    )


def _rate_limited(response: httpx.Response, message: str) -> bool:
    """GitHub signals primary and secondary rate limits with 403 or 429."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    exhausted = response.headers.get("x-ratelimit-remaining") == "0"
    return exhausted or "retry-after" in response.headers or "rate limit" in message.lower()


def _wait_s(response: httpx.Response) -> float | None:
    asked = retry_after_s(response.headers)
    if asked is not None:
        return asked
    reset = response.headers.get("x-ratelimit-reset")
    return max(0.0, float(reset) - time.time()) if reset and reset.isdigit() else 60.0


def _path(url: str) -> str:
    return httpx.URL(url).path
