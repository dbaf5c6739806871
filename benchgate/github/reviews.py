"""Reading a pull request's reviews and the team members they need, then resolving roles."""

from __future__ import annotations

from benchgate import governance as roles
from benchgate.config import Governance
from benchgate.errors import GitHubError
from benchgate.github.api import GitHubAPI
from benchgate.outcome import Approvals


async def read_approvals(api: GitHubAPI, pr: int, governance: Governance) -> Approvals:
    """Every role's state from the PR's reviews; what cannot be read is unverified, never approved.

    Team members are read only for teams that could decide a role (a reviewer not listed by
    name); a token that may not read a team leaves that team unverified.
    """
    try:
        reviews = roles.parse_reviews(await api.reviews(pr))
    except GitHubError as exc:
        return roles.unavailable(governance, pr, f"cannot read the reviews of PR #{pr} ({exc})")
    members: dict[str, frozenset[str] | None] = {}
    for team in roles.teams_needed(governance, reviews):
        org, slug = team.split("/", 1)
        try:
            listed = await api.team_members(org, slug)
        except GitHubError:
            members[team] = None
            continue
        members[team] = frozenset(
            str(user["login"]).lower() for user in listed if isinstance(user.get("login"), str)
        )
    return roles.resolve(governance, pr, reviews, members)
