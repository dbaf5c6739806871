"""The fake GitHub server, exercised over real sockets with httpx.

End-to-end tests trust this double to behave like GitHub; these tests pin the wire details
they rely on (Link headers, status codes, error bodies, fault injection).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.github_server import FakeGitHub, RecordedRequest, TokenGrant

WRITE_TOKEN = "ghs_writeTOKEN0123456789abcdef"
READ_TOKEN = "ghs_readONLY0123456789abcdef"
TOKENS: dict[str, TokenGrant] = {
    WRITE_TOKEN: {"login": "benchgate[bot]", "write": True},
    READ_TOKEN: {"login": "reader", "write": False},
}
ACCEPT = "application/vnd.github+json"
ISSUE = "/repos/octo/widgets/issues/7/comments"
LINK_PART = re.compile(r'<([^>]+)>; rel="(\w+)"')


def make_client(server: FakeGitHub, token: str = WRITE_TOKEN, scheme: str = "Bearer") -> httpx.Client:
    """A client configured the way benchgate configures its own."""
    headers = {
        "Accept": ACCEPT,
        "Authorization": f"{scheme} {token}",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    # Plain HTTP on loopback: skipping TLS setup saves ~0.2 s of certifi loading per client.
    return httpx.Client(base_url=server.api_url, headers=headers, timeout=5, verify=False)


def links(response: httpx.Response) -> dict[str, str]:
    """The Link header as rel → URL."""
    return {rel: url for url, rel in LINK_PART.findall(response.headers.get("Link", ""))}


def seed(server: FakeGitHub, count: int) -> None:
    """Unrelated comments from other users, like a busy PR."""
    for n in range(count):
        server.add_comment("octo", "widgets", 7, f"unrelated comment {n}", login=f"user{n % 7}")


@pytest.fixture
def server() -> Iterator[FakeGitHub]:
    """A running fake with one issue and no comments."""
    with FakeGitHub(tokens=TOKENS) as fake:
        fake.add_issue("octo", "widgets", 7)
        yield fake
        assert fake.errors == []


@pytest.fixture
def client(server: FakeGitHub) -> Iterator[httpx.Client]:
    """A write-capable client on the fake."""
    with make_client(server) as http:
        yield http


def test_pagination_two_pages_with_github_link_rels(server: FakeGitHub, client: httpx.Client) -> None:
    seed(server, 150)
    first = client.get(ISSUE, params={"per_page": 100})
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    assert len(first.json()) == 100
    base = f"{server.api_url}/repos/octo/widgets/issues/7/comments"
    assert links(first) == {
        "next": f"{base}?per_page=100&page=2",
        "last": f"{base}?per_page=100&page=2",
    }
    second = client.get(links(first)["next"])
    assert len(second.json()) == 50
    assert links(second) == {
        "prev": f"{base}?per_page=100&page=1",
        "first": f"{base}?per_page=100&page=1",
    }


def test_following_next_visits_every_comment_in_id_order(server: FakeGitHub, client: httpx.Client) -> None:
    seed(server, 250)
    ids: list[int] = []
    url: str | None = f"{ISSUE}?per_page=100"
    while url:
        response = client.get(url)
        ids += [comment["id"] for comment in response.json()]
        url = links(response).get("next")
    assert len(ids) == 250
    assert ids == sorted(set(ids))
    middle = client.get(ISSUE, params={"per_page": 100, "page": 2})
    assert set(links(middle)) == {"prev", "next", "last", "first"}
    assert middle.headers["Link"].index('rel="prev"') < middle.headers["Link"].index('rel="next"')


def test_per_page_clamps_to_100_and_defaults_to_30(server: FakeGitHub, client: httpx.Client) -> None:
    seed(server, 150)
    clamped = client.get(ISSUE, params={"per_page": 500})
    assert len(clamped.json()) == 100
    assert "per_page=100&page=2" in links(clamped)["next"]
    default = client.get(ISSUE)
    assert len(default.json()) == 30
    assert links(default)["last"].endswith("per_page=30&page=5")


def test_empty_issue_lists_nothing_without_link(client: httpx.Client) -> None:
    response = client.get(ISSUE)
    assert response.json() == []
    assert "Link" not in response.headers


def test_create_returns_201_with_location_and_full_comment(server: FakeGitHub, client: httpx.Client) -> None:
    response = client.post(ISSUE, json={"body": "<!-- benchgate -->\nreport"})
    assert response.status_code == 201
    comment = response.json()
    assert response.headers["Location"] == comment["url"]
    assert comment["url"] == f"{server.api_url}/repos/octo/widgets/issues/comments/{comment['id']}"
    assert comment["html_url"] == (f"https://github.example/octo/widgets/pull/7#issuecomment-{comment['id']}")
    assert comment["issue_url"] == f"{server.api_url}/repos/octo/widgets/issues/7"
    assert comment["user"]["login"] == "benchgate[bot]"
    assert comment["user"]["type"] == "Bot"
    assert comment["id"] >= 1000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", comment["created_at"])
    assert client.get(response.headers["Location"]).json() == comment
    assert server.comments("octo", "widgets", 7) == [comment]


def test_update_edits_in_place_and_moves_updated_at(server: FakeGitHub, client: httpx.Client) -> None:
    created = client.post(ISSUE, json={"body": "old"}).json()
    response = client.patch(created["url"], json={"body": "new"})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["id"], updated["body"]) == (created["id"], "new")
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] > created["updated_at"]
    assert [c["body"] for c in server.comments("octo", "widgets", 7)] == ["new"]


def test_delete_returns_empty_204_then_404(server: FakeGitHub, client: httpx.Client) -> None:
    created = client.post(ISSUE, json={"body": "doomed"}).json()
    response = client.delete(created["url"])
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    assert client.get(created["url"]).status_code == 404
    assert server.comments("octo", "widgets", 7) == []


def test_unknown_repo_issue_or_comment_is_404(server: FakeGitHub, client: httpx.Client) -> None:
    elsewhere = client.post(ISSUE, json={"body": "x"}).json()
    server.add_issue("octo", "other", 1)
    assert client.get("/repos/octo/nope/issues/7/comments").status_code == 404
    assert client.get("/repos/octo/widgets/issues/8/comments").status_code == 404
    assert client.post("/repos/octo/widgets/issues/8/comments", json={"body": "x"}).status_code == 404
    assert client.get("/repos/octo/widgets/issues/comments/999999").status_code == 404
    wrong_repo = f"/repos/octo/other/issues/comments/{elsewhere['id']}"
    assert client.get(wrong_repo).json()["message"] == "Not Found"


def test_bad_or_missing_token_is_401_and_never_echoed(server: FakeGitHub) -> None:
    bad = "ghp_notARealToken_0123456789"
    with make_client(server, token=bad) as http:
        response = http.get(ISSUE)
    assert response.status_code == 401
    assert response.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    assert bad not in response.text
    assert bad not in str(response.headers)
    assert bad not in repr(server.requests)
    no_auth = httpx.get(server.api_url + ISSUE, headers={"Accept": ACCEPT}, verify=False)
    assert no_auth.status_code == 401


def test_token_scheme_is_accepted_like_bearer(server: FakeGitHub) -> None:
    with make_client(server, scheme="token") as http:
        assert http.get(ISSUE).status_code == 200


def test_read_only_token_can_read_but_not_write(server: FakeGitHub, client: httpx.Client) -> None:
    created = client.post(ISSUE, json={"body": "mine"}).json()
    with make_client(server, token=READ_TOKEN) as reader:
        assert reader.get(ISSUE).status_code == 200
        assert reader.get(created["url"]).status_code == 200
        posted = reader.post(ISSUE, json={"body": "x"})
        patched = reader.patch(created["url"], json={"body": "x"})
    for response in (posted, patched):
        assert response.status_code == 403
        assert response.json()["message"] == "Resource not accessible by integration"
    assert [c["body"] for c in server.comments("octo", "widgets", 7)] == ["mine"]


def test_body_limit_counts_characters_not_bytes(server: FakeGitHub, client: httpx.Client) -> None:
    at_limit = client.post(ISSUE, json={"body": "я" * 65_536})
    assert at_limit.status_code == 201
    assert at_limit.json()["body"] == "я" * 65_536
    too_long = client.post(ISSUE, json={"body": "a" * 65_537})
    assert too_long.status_code == 422
    assert too_long.json()["message"] == "Validation Failed"
    assert too_long.json()["errors"] == [
        {
            "resource": "IssueComment",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 65536 characters)",
        }
    ]
    assert client.patch(at_limit.json()["url"], json={"body": "a" * 65_537}).status_code == 422
    assert len(server.comments("octo", "widgets", 7)) == 1


def test_missing_or_malformed_body(client: httpx.Client) -> None:
    assert client.post(ISSUE, json={}).status_code == 422
    assert client.post(ISSUE, json={"body": 5}).status_code == 422
    malformed = client.post(ISSUE, content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400


def test_wrong_accept_header_is_415_and_counted(server: FakeGitHub, client: httpx.Client) -> None:
    response = client.get(ISSUE, headers={"Accept": "application/json"})
    assert response.status_code == 415
    assert "Accept" in response.json()["message"]
    with_params = client.get(ISSUE, headers={"Accept": "application/vnd.github.v3+json; q=1"})
    assert with_params.status_code == 200
    assert server.stats().header_violations == {"accept": 1}


def test_fail_next_502_then_recovers(server: FakeGitHub, client: httpx.Client) -> None:
    server.fail_next(2, 502, retry_after=3)
    statuses = [client.get(ISSUE) for _ in range(3)]
    assert [r.status_code for r in statuses] == [502, 502, 200]
    assert statuses[0].headers["retry-after"] == "3"
    assert [r.status for r in server.requests] == [502, 502, 200]


def test_fail_next_secondary_rate_limit(server: FakeGitHub, client: httpx.Client) -> None:
    server.fail_next(1, 403, retry_after=0, secondary_rate_limit=True)
    limited = client.post(ISSUE, json={"body": "report"})
    assert limited.status_code == 403
    assert limited.headers["retry-after"] == "0"
    assert limited.json()["message"] == (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    )
    assert server.comments("octo", "widgets", 7) == []
    assert client.post(ISSUE, json={"body": "report"}).status_code == 201


def test_enterprise_prefix_routes_and_appears_in_links() -> None:
    with FakeGitHub(tokens=TOKENS, prefix="/api/v3") as server:
        server.add_issue("octo", "widgets", 7)
        seed(server, 101)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v3", server.api_url)
        with make_client(server) as http:
            response = http.get(ISSUE, params={"per_page": 100})
            assert response.status_code == 200
            assert "/api/v3/repos/octo/widgets/issues/7/comments?" in links(response)["next"]
            assert http.get(links(response)["next"]).json()[0]["url"].startswith(server.api_url)
        root = server.api_url.removesuffix("/api/v3")
        headers = {"Accept": ACCEPT, "Authorization": f"Bearer {WRITE_TOKEN}"}
        bare = httpx.get(root + ISSUE, headers=headers, verify=False)
        assert bare.status_code == 404


def test_request_log_and_stats(server: FakeGitHub, client: httpx.Client) -> None:
    client.get(ISSUE, params={"per_page": 5})
    client.post(ISSUE, json={"body": "x"})
    client.get(ISSUE, headers={"Accept": "text/html"})
    assert server.requests == [
        RecordedRequest("GET", f"{ISSUE}?per_page=5", 200),
        ("POST", ISSUE, 201),
        ("GET", ISSUE, 415),
    ]
    stats = server.stats()
    assert stats.by_method == {"GET": 2, "POST": 1}
    assert stats.by_status == {200: 1, 201: 1, 415: 1}
    assert stats.header_violations == {"accept": 1}


def test_clock_is_deterministic_one_second_per_mutation(server: FakeGitHub) -> None:
    first = server.add_comment("octo", "widgets", 7, "a")
    second = server.add_comment("octo", "widgets", 7, "b")
    assert first["created_at"] == "2024-05-01T12:00:01Z"
    assert second["created_at"] == "2024-05-01T12:00:02Z"
    assert (first["id"], second["id"]) == (1000, 1001)


REVIEWS = "/repos/octo/widgets/pulls/7/reviews"


def test_reviews_in_githubs_wire_format_paged_and_drafts_hidden(
    server: FakeGitHub, client: httpx.Client
) -> None:
    server.add_issue("octo", "widgets", 7, head_sha="a" * 40)
    ids = [server.add_review("octo", "widgets", 7, f"user{n}", "COMMENTED") for n in range(3)]
    server.add_review("octo", "widgets", 7, "alice", "APPROVED", commit_id="b" * 40)
    server.add_review("octo", "widgets", 7, "drafter", "PENDING")
    first = client.get(REVIEWS, params={"per_page": 2})
    assert first.status_code == 200 and "next" in links(first)
    listed = first.json() + client.get(links(first)["next"]).json()
    assert [r["id"] for r in listed] == [*ids, ids[-1] + 1], "the draft is its author's alone"
    approval = listed[-1]
    assert approval["user"] == {"login": "alice", "id": approval["user"]["id"], "type": "User"}
    assert (approval["state"], approval["commit_id"]) == ("APPROVED", "b" * 40)
    assert approval["submitted_at"] == "2024-05-01T12:00:04Z"
    assert listed[0]["commit_id"] == "a" * 40, "a review is of the PR's head unless said otherwise"
    server.dismiss_review("octo", "widgets", 7, approval["id"])
    assert client.get(REVIEWS, params={"per_page": 10}).json()[-1]["state"] == "DISMISSED"
    with make_client(server, token="ghs_drafter") as other:
        assert other.get(REVIEWS).status_code == 401


def test_team_members_need_a_token_that_may_read_the_organisation() -> None:
    tokens: dict[str, TokenGrant] = {
        **TOKENS,
        "ghs_org": {"login": "app[bot]", "write": False, "read_org": True},
    }
    with FakeGitHub(tokens=tokens) as server:
        server.add_team("acme", "leads", ["dave", "erin"])
        members = "/orgs/acme/teams/leads/members"
        with make_client(server) as plain:
            denied = plain.get(members)
            assert (
                denied.status_code == 403
                and denied.json()["message"] == "Resource not accessible by integration"
            )
        with make_client(server, token="ghs_org") as org:
            assert [u["login"] for u in org.get(members).json()] == ["dave", "erin"]
            assert org.get("/orgs/acme/teams/nobody/members").status_code == 404
        assert server.errors == []
