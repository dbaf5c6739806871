"""Reviews -> roles: latest decisive review per reviewer, names and teams, nothing unverifiable approves."""

from __future__ import annotations

from typing import Any

import pytest

from benchgate.config import Governance
from benchgate.governance import parse_reviews, resolve, teams_needed, unavailable
from benchgate.outcome import Approvals

HEAD = "c" * 40
GOVERNANCE = Governance(
    approvers={"Tech Lead": ["alice", "acme/leads"], "Analyst": ["bob"], "Architect": ["carol"]},
    required=True,
)


def review(review_id: int, login: str, state: str, minute: int | None) -> dict[str, Any]:
    """One review in GitHub's wire format (drafts have no submitted_at)."""
    found: dict[str, Any] = {
        "id": review_id,
        "user": {"login": login, "type": "User"},
        "state": state,
        "commit_id": HEAD,
        "body": "",
    }
    if minute is not None:
        found["submitted_at"] = f"2025-11-15T10:{minute:02d}:00Z"
    return found


def states(approvals: Approvals) -> dict[str, tuple[str, str | None]]:
    return {role.role: (role.state, role.reviewer) for role in approvals.roles}


def resolved(*raw: dict[str, Any], members: dict[str, frozenset[str] | None] | None = None) -> Approvals:
    return resolve(GOVERNANCE, 7, parse_reviews(raw), members or {})


def test_an_approval_and_a_change_request_fill_their_roles_and_the_rest_waits() -> None:
    approvals = resolved(review(1, "Alice", "APPROVED", 1), review(2, "bob", "CHANGES_REQUESTED", 2))
    assert states(approvals) == {
        "Tech Lead": ("approved", "Alice"),
        "Analyst": ("changes-requested", "bob"),
        "Architect": ("pending", None),
    }
    lead = approvals.roles[0]
    assert lead.submitted_at == "2025-11-15T10:01:00Z" and lead.commit == HEAD


def test_the_latest_decisive_review_wins_comments_do_not_undo_and_dismissal_clears() -> None:
    assert states(resolved(review(1, "bob", "CHANGES_REQUESTED", 1), review(2, "bob", "APPROVED", 2)))[
        "Analyst"
    ] == ("approved", "bob")
    assert states(resolved(review(1, "bob", "APPROVED", 1), review(2, "bob", "COMMENTED", 2)))["Analyst"] == (
        "approved",
        "bob",
    )
    assert states(resolved(review(1, "bob", "APPROVED", 1), review(2, "bob", "DISMISSED", 2)))["Analyst"] == (
        "pending",
        None,
    )
    assert states(resolved(review(1, "bob", "PENDING", None)))["Analyst"] == ("pending", None)


def test_order_is_by_submission_time_not_by_listing_order() -> None:
    later_first = resolved(review(9, "bob", "APPROVED", 5), review(3, "bob", "CHANGES_REQUESTED", 1))
    assert states(later_first)["Analyst"] == ("approved", "bob")


def test_a_change_request_from_anyone_who_may_fill_the_role_outweighs_an_approval() -> None:
    approvals = resolved(
        review(1, "alice", "APPROVED", 1),
        review(2, "dave", "CHANGES_REQUESTED", 2),
        members={"acme/leads": frozenset({"dave"})},
    )
    assert states(approvals)["Tech Lead"] == ("changes-requested", "dave")


def test_a_team_member_approves_when_the_team_can_be_read() -> None:
    approvals = resolved(review(1, "dave", "APPROVED", 1), members={"acme/leads": frozenset({"dave"})})
    assert states(approvals)["Tech Lead"] == ("approved", "dave")
    outsider = resolved(review(1, "eve", "APPROVED", 1), members={"acme/leads": frozenset({"dave"})})
    assert states(outsider)["Tech Lead"] == ("pending", None)


def test_an_unreadable_team_never_approves_and_says_which_team() -> None:
    approvals = resolved(review(1, "dave", "APPROVED", 1), members={"acme/leads": None})
    [lead] = [role for role in approvals.roles if role.role == "Tech Lead"]
    assert (lead.state, lead.reviewer, lead.unverified_teams) == ("unverified", "dave", ["acme/leads"])
    named = resolved(
        review(1, "dave", "APPROVED", 1), review(2, "alice", "APPROVED", 2), members={"acme/leads": None}
    )
    assert states(named)["Tech Lead"] == ("approved", "alice")


def test_teams_are_read_only_when_a_reviewer_is_not_named() -> None:
    assert teams_needed(GOVERNANCE, parse_reviews([review(1, "alice", "APPROVED", 1)])) == []
    assert teams_needed(GOVERNANCE, parse_reviews([review(1, "dave", "APPROVED", 1)])) == ["acme/leads"]
    assert teams_needed(GOVERNANCE, parse_reviews([review(1, "dave", "COMMENTED", 1)])) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"id": 1, "user": None, "state": "APPROVED", "submitted_at": "2025-11-15T10:00:00Z"},
        {"id": 1, "user": {"login": "bob@x"}, "state": "APPROVED", "submitted_at": "2025-11-15T10:00:00Z"},
        {"id": "1", "user": {"login": "bob"}, "state": "APPROVED", "submitted_at": "2025-11-15T10:00:00Z"},
        {"id": 1, "user": {"login": "bob"}, "state": "LGTM", "submitted_at": "2025-11-15T10:00:00Z"},
        {"id": 1, "user": {"login": "bob"}, "state": "APPROVED", "submitted_at": "yesterday"},
        "not a review",
    ],
    ids=["ghost", "login", "id", "state", "date", "type"],
)
def test_malformed_reviews_count_for_nobody(bad: Any) -> None:
    assert states(resolve(GOVERNANCE, 7, parse_reviews([bad]), {}))["Analyst"] == ("pending", None)


def test_unreadable_reviews_leave_every_role_unverified() -> None:
    approvals = unavailable(GOVERNANCE, 7, "no GITHUB_TOKEN: the reviews were not read")
    assert {role.state for role in approvals.roles} == {"unverified"}
    assert approvals.unavailable == "no GITHUB_TOKEN: the reviews were not read"
