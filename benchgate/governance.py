"""Approvals: a pull request's reviews resolved into the roles of `governance.approvers`. Pure.

The pilot ended with a sign-off per role (Tech Lead, Analyst, Architect); here each role is
filled by the latest decisive review of someone who may fill it. Reading the reviews and team
members is I/O and lives in `github.reviews`; this module only decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from benchgate.config import GITHUB_LOGIN, Governance
from benchgate.outcome import SHA, TIMESTAMP, Approvals, ApprovalState, RoleApproval

Decision = Literal["APPROVED", "CHANGES_REQUESTED"]
_LOGIN = re.compile(GITHUB_LOGIN)
_SHA = re.compile(SHA)
_TIMESTAMP = re.compile(TIMESTAMP)
_STATES = frozenset({"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"})


@dataclass(frozen=True)
class Review:
    """One submitted review, as GitHub's `GET /pulls/{n}/reviews` lists it."""

    id: int
    login: str
    state: str
    submitted_at: str | None
    commit: str | None


@dataclass(frozen=True)
class _Verdict:
    login: str
    decision: Decision
    review: Review


def parse_reviews(raw: Iterable[Any]) -> list[Review]:
    """Reviews from the API's JSON; entries that are not well-formed reviews are skipped.

    A review of a deleted account has no user and cannot fill a role; GitHub's `PENDING` (a
    draft) has no `submitted_at` and is kept only to be ignored by `decisions`.
    """
    found = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        user = item.get("user")
        login = user.get("login") if isinstance(user, dict) else None
        state, review_id = item.get("state"), item.get("id")
        if not (isinstance(login, str) and _LOGIN.match(login) and state in _STATES):
            continue
        if not isinstance(review_id, int) or isinstance(review_id, bool):
            continue
        submitted, commit = item.get("submitted_at"), item.get("commit_id")
        found.append(
            Review(
                id=review_id,
                login=login,
                state=str(state),
                submitted_at=submitted
                if isinstance(submitted, str) and _TIMESTAMP.match(submitted)
                else None,
                commit=commit if isinstance(commit, str) and _SHA.match(commit) else None,
            )
        )
    return found


def decisions(reviews: Iterable[Review]) -> dict[str, _Verdict]:
    """Each reviewer's standing decision (keyed by lower-case login): the latest review wins.

    Comments do not undo a decision (GitHub keeps an approval through later comments); a
    dismissed latest review leaves no decision; drafts are not reviews yet.
    """
    standing: dict[str, _Verdict] = {}
    ordered = sorted(
        (r for r in reviews if r.state != "PENDING" and r.submitted_at is not None),
        key=lambda r: (r.submitted_at or "", r.id),
    )
    for review in ordered:
        key = review.login.lower()
        if review.state in ("APPROVED", "CHANGES_REQUESTED"):
            decision: Decision = "APPROVED" if review.state == "APPROVED" else "CHANGES_REQUESTED"
            standing[key] = _Verdict(review.login, decision, review)
        elif review.state == "DISMISSED":
            standing.pop(key, None)
    return standing


def teams_needed(governance: Governance, reviews: Iterable[Review]) -> list[str]:
    """The listed teams whose members must be read: only where a decided reviewer is not listed by name."""
    standing = decisions(reviews)
    needed: set[str] = set()
    for who in governance.approvers.values():
        users = {entry.lower() for entry in who if "/" not in entry}
        if any(login not in users for login in standing):
            needed.update(entry.lower() for entry in who if "/" in entry)
    return sorted(needed)


def resolve(
    governance: Governance,
    pr: int,
    reviews: Iterable[Review],
    members: Mapping[str, frozenset[str] | None],
) -> Approvals:
    """Every role's state. `members` maps `org/team` (lower case) to its logins (lower case), or
    None when the token may not read them: such a team never approves anyone."""
    standing = sorted(decisions(reviews).values(), key=lambda v: (v.review.submitted_at or "", v.review.id))
    roles = []
    for role, who in governance.approvers.items():
        users = {entry.lower() for entry in who if "/" not in entry}
        teams = [entry.lower() for entry in who if "/" in entry]
        unreadable = [team for team in teams if team in members and members[team] is None]
        verified, unverified = [], []
        for verdict in standing:
            key = verdict.login.lower()
            if key in users or any(key in (members.get(team) or frozenset()) for team in teams):
                verified.append(verdict)
            elif unreadable:
                unverified.append(verdict)
        roles.append(_role(role, verified, unverified, unreadable))
    return Approvals(pr=pr, roles=roles)


def _role(
    role: str, verified: list[_Verdict], unverified: list[_Verdict], unreadable: list[str]
) -> RoleApproval:
    """Changes requested by anyone who may fill the role outweigh another's approval."""
    state: ApprovalState = "pending"
    chosen = None
    objections = [v for v in verified if v.decision == "CHANGES_REQUESTED"]
    approvals = [v for v in verified if v.decision == "APPROVED"]
    if objections:
        state, chosen = "changes-requested", objections[-1]
    elif approvals:
        state, chosen = "approved", approvals[-1]
    elif unverified:
        state, chosen = "unverified", unverified[-1]
    if chosen is None:
        return RoleApproval(role=role, state=state)
    return RoleApproval(
        role=role,
        state=state,
        reviewer=chosen.login,
        submitted_at=chosen.review.submitted_at,
        commit=chosen.review.commit,
        unverified_teams=unreadable if state == "unverified" else [],
    )


def unavailable(governance: Governance, pr: int, why: str) -> Approvals:
    """Reviews that could not be read: no role can be shown as approved."""
    roles = [RoleApproval(role=role, state="unverified") for role in governance.approvers]
    return Approvals(pr=pr, roles=roles, unavailable=why)
