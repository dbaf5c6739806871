"""A fake GitHub REST API (issue comments, pull request reviews, team members), served over a
real socket on 127.0.0.1.

End-to-end tests of ``benchgate ci`` must see what the client really sends (headers, paging,
retries), so this double speaks HTTP/1.1 and GitHub's wire format instead of being a mock
object. It keeps state, so a second run can find and update the comment the first run posted,
and it injects faults, so the retry and degradation paths run against real responses.

Stdlib only, so the double cannot drift with the versions of the client libraries under test.
"""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, TypedDict
from urllib.parse import parse_qs, urlencode, urlsplit

DOCS_URL = "https://docs.github.com/rest"
SECONDARY_DOCS_URL = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
MISSING_USER_AGENT_MESSAGE = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent header."
)
MAX_BODY_CHARS = 65_536
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
FIRST_COMMENT_ID = 1000
FIRST_REVIEW_ID = 2000
REVIEW_STATES = frozenset({"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"})
FIRST_USER_ID = 5000
CLOCK_START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
ACCEPTED_MEDIA_TYPES = frozenset({"application/vnd.github+json", "application/vnd.github.v3+json"})
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
MAX_REQUEST_BYTES = 4 * 1024 * 1024
QUERY_TOKEN_KEYS = frozenset({"access_token", "token"})

_ISSUE_COMMENTS = re.compile(r"/repos/([^/]+)/([^/]+)/issues/(\d+)/comments")
_COMMENT = re.compile(r"/repos/([^/]+)/([^/]+)/issues/comments/(\d+)")
_PULL = re.compile(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)")
_REVIEWS = re.compile(r"/repos/([^/]+)/([^/]+)/pulls/(\d+)/reviews")
_TEAM_MEMBERS = re.compile(r"/orgs/([^/]+)/teams/([^/]+)/members")


class _Grant(TypedDict):
    login: str
    write: bool


class TokenGrant(_Grant, total=False):
    """What a token may do: whose it is, whether it may write (post, edit, delete), and whether
    it may read the organisation's teams (`read_org`; an Actions GITHUB_TOKEN may not)."""

    read_org: bool


class RecordedRequest(NamedTuple):
    """One request as the server saw it; a tuple so tests can compare against literals."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class FakeStats:
    """Counts that let an end-to-end test assert on traffic shape without parsing the log."""

    by_method: dict[str, int]
    by_status: dict[int, int]
    header_violations: dict[str, int]


@dataclass(frozen=True)
class _Fault:
    """A canned failure to return instead of the real answer."""

    status: int
    retry_after: int | None
    secondary_rate_limit: bool
    after_processing: bool = False
    """Serve the request for real, then answer with the failure (a write that did happen)."""
    primary_rate_limit_reset_s: int | None = None
    """Answer as an exhausted primary rate limit that resets this many seconds from now."""


@dataclass
class _Response:
    """Status, JSON body (None means an empty body) and extra headers, before serialisation."""

    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Call:
    """A routed, authenticated request: the path's ids plus what the handler needs to act."""

    owner: str
    repo: str
    number: int
    query: dict[str, list[str]]
    grant: TokenGrant
    body: bytes


@dataclass
class _Issue:
    """An issue (or pull request) that comments can be attached to; names keep their case."""

    owner: str
    repo: str
    number: int
    comment_ids: list[int] = field(default_factory=list)
    head_sha: str | None = None
    reviews: list[_Review] = field(default_factory=list)


@dataclass
class _Review:
    """A pull request review; PENDING ones are drafts, visible to their author only."""

    id: int
    login: str
    state: str
    body: str
    commit_id: str | None
    submitted_at: str | None


@dataclass
class _Comment:
    """Stored comment state; rendering to GitHub JSON happens on the way out."""

    id: int
    owner: str
    repo: str
    number: int
    body: str
    login: str
    created_at: str
    updated_at: str


def _error(status: int, message: str, extra: Mapping[str, object] | None = None) -> _Response:
    """GitHub's error shape, so clients that surface `message` show something realistic."""
    body = {"message": message, **(extra or {}), "documentation_url": DOCS_URL}
    body["status"] = str(status)
    return _Response(status, body)


def _not_found() -> _Response:
    """GitHub answers 404, not 403, for things the caller cannot see, so clients must cope."""
    return _error(404, "Not Found")


def _forbidden() -> _Response:
    """The exact message a GitHub App token without write access receives."""
    return _error(403, "Resource not accessible by integration")


def _key(owner: str, repo: str, number: int) -> tuple[str, str, int]:
    """GitHub resolves owner and repo names case-insensitively."""
    return owner.lower(), repo.lower(), number


def _fault_response(fault: _Fault) -> _Response:
    """The response for an injected fault; secondary limits use GitHub's own wording."""
    if fault.secondary_rate_limit:
        body = {"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": SECONDARY_DOCS_URL}
        response = _Response(fault.status, body)
    elif fault.primary_rate_limit_reset_s is not None:
        response = _error(fault.status, "API rate limit exceeded for installation.")
        reset = int(datetime.now(timezone.utc).timestamp()) + fault.primary_rate_limit_reset_s
        response.headers.update({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    else:
        response = _error(fault.status, responses.get(fault.status, "Error"))
    if fault.retry_after is not None:
        response.headers["retry-after"] = str(fault.retry_after)
    return response


def _accepts_github_json(accept: str) -> bool:
    """True if any listed media range is GitHub's JSON type; parameters are ignored."""
    ranges = (part.split(";", 1)[0].strip().lower() for part in accept.split(","))
    return any(media in ACCEPTED_MEDIA_TYPES for media in ranges)


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    """A positive integer query parameter; junk or non-positive values mean the default."""
    try:
        value = int(query.get(name, [""])[0])
    except ValueError:
        return default
    return value if value > 0 else default


def _link_header(base: str, per_page: int, page: int, last: int) -> str:
    """GitHub's Link header: absolute URLs, only the rels that apply, in GitHub's order."""
    rels: list[tuple[str, int]] = []
    if page > 1:
        rels.append(("prev", page - 1))
    if page < last:
        rels += [("next", page + 1), ("last", last)]
    if page > 1:
        rels.append(("first", 1))
    return ", ".join(
        f'<{base}?{urlencode({"per_page": per_page, "page": n})}>; rel="{rel}"' for rel, n in rels
    )


def _paged(items: list[dict[str, object]], query: dict[str, list[str]], base: str) -> _Response:
    """One page of a listing, with GitHub's Link header for the others."""
    per_page = min(_int_param(query, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    page = _int_param(query, "page", 1)
    last = max(1, math.ceil(len(items) / per_page))
    response = _Response(200, items[(page - 1) * per_page : page * per_page])
    link = _link_header(base, per_page, page, last)
    if link:
        response.headers["Link"] = link
    return response


def _comment_body(raw: bytes) -> str | _Response:
    """The `body` field of a create/update payload, or the 400/422 GitHub would send."""
    try:
        payload = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return _error(400, "Problems parsing JSON")
    if not isinstance(payload, dict):
        return _error(422, "Invalid request.\n\nInvalid input: object is expected.")
    if "body" not in payload:
        return _error(422, 'Invalid request.\n\n"body" wasn\'t supplied.')
    body = payload["body"]
    if not isinstance(body, str):
        return _error(422, f"Invalid request.\n\nFor 'properties/body', {body!r} is not a string.")
    if len(body) > MAX_BODY_CHARS:
        return _too_long()
    return body


def _too_long() -> _Response:
    """GitHub's 422 for an over-long comment; clients must truncate by characters, not bytes."""
    detail = {
        "resource": "IssueComment",
        "code": "custom",
        "field": "body",
        "message": f"body is too long (maximum is {MAX_BODY_CHARS} characters)",
    }
    return _error(422, "Validation Failed", {"errors": [detail]})


def _redact_query_tokens(target: str) -> str:
    """Mask tokens a client put in the URL, so the request log never holds a secret."""
    split = urlsplit(target)
    query = parse_qs(split.query, keep_blank_values=True)
    if not QUERY_TOKEN_KEYS & query.keys():
        return target
    masked = {k: ["***"] * len(v) if k in QUERY_TOKEN_KEYS else v for k, v in query.items()}
    return split._replace(query=urlencode(masked, doseq=True)).geturl()


class _Store:
    """Issues and comments, with the deterministic clock and user ids that stamp them.

    Not locked itself: the engine holds its lock around every call, so each HTTP request
    sees and makes one consistent change.
    """

    def __init__(self) -> None:
        self._issues: dict[tuple[str, str, int], _Issue] = {}
        self._comments: dict[int, _Comment] = {}
        self._next_id = FIRST_COMMENT_ID
        self._next_review_id = FIRST_REVIEW_ID
        self.teams: dict[tuple[str, str], list[str]] = {}
        self._mutations = 0
        self._user_ids: dict[str, int] = {}

    def add_issue(self, owner: str, repo: str, number: int, head_sha: str | None = None) -> _Issue:
        """Register an issue (a pull request when it has a head commit); adding it again keeps comments."""
        issue = self._issues.setdefault(_key(owner, repo, number), _Issue(owner, repo, number))
        issue.head_sha = head_sha or issue.head_sha
        return issue

    def issue(self, owner: str, repo: str, number: int) -> _Issue | None:
        """The issue, or None when the repo or the issue does not exist."""
        return self._issues.get(_key(owner, repo, number))

    def comments_of(self, issue: _Issue) -> list[_Comment]:
        """Comments in ascending id order, the order GitHub lists them."""
        return [self._comments[cid] for cid in issue.comment_ids]

    def comment(self, owner: str, repo: str, comment_id: int) -> _Comment | None:
        """A comment by id, but only through the repository it belongs to."""
        found = self._comments.get(comment_id)
        if found is None or _key(found.owner, found.repo, 0) != _key(owner, repo, 0):
            return None
        return found

    def create(self, issue: _Issue, body: str, login: str) -> _Comment:
        """Append a comment with the next id and clock tick."""
        now = self._tick()
        comment = _Comment(self._next_id, issue.owner, issue.repo, issue.number, body, login, now, now)
        self._next_id += 1
        self._comments[comment.id] = comment
        issue.comment_ids.append(comment.id)
        return comment

    def update(self, comment: _Comment, body: str) -> None:
        """Edit in place; only `updated_at` moves, as on GitHub."""
        comment.body = body
        comment.updated_at = self._tick()

    def delete(self, comment: _Comment) -> None:
        """Remove the comment from storage and from its issue's listing."""
        self._tick()
        del self._comments[comment.id]
        issue = self._issues[_key(comment.owner, comment.repo, comment.number)]
        issue.comment_ids.remove(comment.id)

    def review(self, issue: _Issue, login: str, state: str, body: str, commit_id: str | None) -> _Review:
        """Submit a review (a draft when PENDING: no `submitted_at`)."""
        submitted = None if state == "PENDING" else self._tick()
        review = _Review(self._next_review_id, login, state, body, commit_id or issue.head_sha, submitted)
        self._next_review_id += 1
        issue.reviews.append(review)
        return review

    def user(self, login: str) -> dict[str, object]:
        """A stable user object; `[bot]` logins are Bots, as GitHub App identities are."""
        user_id = self._user_ids.setdefault(login, FIRST_USER_ID + len(self._user_ids))
        kind = "Bot" if login.endswith("[bot]") else "User"
        return {"login": login, "id": user_id, "type": kind}

    def _tick(self) -> str:
        """Advance the fake clock one second; wall time would make assertions flaky."""
        self._mutations += 1
        moment = CLOCK_START + timedelta(seconds=self._mutations)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Engine:
    """Everything behind the socket: faults, header checks, auth, routing, and the log.

    Kept apart from the server lifecycle so handler threads only talk to one lock-guarded
    object; requests are served one at a time, which keeps every change atomic.
    """

    def __init__(self, tokens: Mapping[str, TokenGrant], prefix: str, html_base: str) -> None:
        self.lock = threading.Lock()
        self.store = _Store()
        self.base_url = ""
        self.errors: list[str] = []
        self.log: list[RecordedRequest] = []
        self.violations: Counter[str] = Counter()
        self.faults: deque[_Fault] = deque()
        self._tokens = {
            t: TokenGrant(login=g["login"], write=g["write"], read_org=g.get("read_org", False))
            for t, g in tokens.items()
        }
        self._prefix = prefix
        self._html_base = html_base
        self._routes: dict[tuple[str, str], Callable[[_Call], _Response]] = {
            ("issue", "GET"): self._list,
            ("pull", "GET"): self._pull,
            ("reviews", "GET"): self._reviews,
            ("issue", "POST"): self._create,
            ("comment", "GET"): self._get,
            ("comment", "PATCH"): self._update,
            ("comment", "DELETE"): self._delete,
        }

    @property
    def api_url(self) -> str:
        """The root clients are configured with, including any Enterprise/Gitea prefix."""
        return self.base_url + self._prefix

    def respond(self, method: str, target: str, headers: Message, body: bytes) -> _Response:
        """Answer one request and log it; a bug in the fake becomes a 500, never a hang."""
        with self.lock:
            try:
                response = self._dispatch(method, target, headers, body)
            except Exception as exc:
                self.errors.append(f"{method} {target}: {type(exc).__name__}: {exc}")
                response = _error(500, "Fake server error; see FakeGitHub.errors")
            self._record(method, target, response.status)
            return response

    def reject(self, method: str, target: str, response: _Response) -> _Response:
        """Log a request refused before dispatch (e.g. an unreadable body)."""
        with self.lock:
            self._record(method, target, response.status)
        return response

    def render(self, comment: _Comment) -> dict[str, object]:
        """A comment as GitHub's REST API returns it."""
        issue_url = f"{self.api_url}/repos/{comment.owner}/{comment.repo}/issues/{comment.number}"
        html = f"{self._html_base}/{comment.owner}/{comment.repo}/pull/{comment.number}"
        owner_login = comment.login.lower() == comment.owner.lower()
        return {
            "id": comment.id,
            "node_id": f"IC_kwDOFAKE{comment.id:08d}",
            "url": self._comment_url(comment),
            "html_url": f"{html}#issuecomment-{comment.id}",
            "issue_url": issue_url,
            "body": comment.body,
            "user": self.store.user(comment.login),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "author_association": "OWNER" if owner_login else "NONE",
            "performed_via_github_app": None,
        }

    def _record(self, method: str, target: str, status: int) -> None:
        """Append to the request log with any URL-borne token masked."""
        safe = _redact_query_tokens(target)
        if safe != target:
            self.violations["token-in-query"] += 1
        self.log.append(RecordedRequest(method, safe, status))

    def _dispatch(self, method: str, target: str, headers: Message, body: bytes) -> _Response:
        """Faults first (they hit any request), then headers, auth, and routing."""
        if self.faults and not self.faults[0].after_processing:
            return _fault_response(self.faults.popleft())
        if self.faults and self.faults[0].after_processing and method in ("POST", "PATCH"):
            fault = self.faults.popleft()
            self._dispatch(method, target, headers, body)
            return _fault_response(fault)
        rejection = self._check_headers(headers)
        if rejection is not None:
            return rejection
        grant = self._authenticate(headers)
        if grant is None:
            return _error(401, "Bad credentials")
        return self._route(method, target, grant, body)

    def _check_headers(self, headers: Message) -> _Response | None:
        """Refuse what GitHub refuses, and count it so tests can assert a clean client."""
        if not headers.get("User-Agent"):
            self.violations["user-agent"] += 1
            return _error(403, MISSING_USER_AGENT_MESSAGE)
        accept = headers.get("Accept", "")
        if not _accepts_github_json(accept):
            self.violations["accept"] += 1
            wanted = " or ".join(sorted(ACCEPTED_MEDIA_TYPES))
            return _error(415, f"Unsupported 'Accept' header: {accept!r}. Must accept {wanted}.")
        return None

    def _authenticate(self, headers: Message) -> TokenGrant | None:
        """Both schemes GitHub accepts; the token itself never leaves this function."""
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in {"bearer", "token"}:
            return None
        return self._tokens.get(token.strip())

    def _route(self, method: str, target: str, grant: TokenGrant, body: bytes) -> _Response:
        """Strip the prefix, match a route, and hand over; anything else is a 404 like GitHub's."""
        split = urlsplit(target)
        if not split.path.startswith(self._prefix + "/"):
            return _not_found()
        path = split.path[len(self._prefix) :]
        team = _TEAM_MEMBERS.fullmatch(path)
        if team and method == "GET":
            return self._team_members(team[1], team[2], parse_qs(split.query), grant)
        routes = (("issue", _ISSUE_COMMENTS), ("comment", _COMMENT), ("pull", _PULL), ("reviews", _REVIEWS))
        for kind, pattern in routes:
            match = pattern.fullmatch(path)
            handler = self._routes.get((kind, method))
            if match and handler:
                query = parse_qs(split.query)
                return handler(_Call(match[1], match[2], int(match[3]), query, grant, body))
        return _not_found()

    def _list(self, call: _Call) -> _Response:
        """One page of an issue's comments, with Link headers for the rest."""
        issue = self.store.issue(call.owner, call.repo, call.number)
        if issue is None:
            return _not_found()
        base = f"{self.api_url}/repos/{issue.owner}/{issue.repo}/issues/{issue.number}/comments"
        return _paged([self.render(c) for c in self.store.comments_of(issue)], call.query, base)

    def _reviews(self, call: _Call) -> _Response:
        """A pull request's reviews, oldest first; drafts only to their author."""
        issue = self.store.issue(call.owner, call.repo, call.number)
        if issue is None:
            return _not_found()
        login = call.grant["login"]
        shown = [r for r in issue.reviews if r.state != "PENDING" or r.login == login]
        base = f"{self.api_url}/repos/{issue.owner}/{issue.repo}/pulls/{issue.number}/reviews"
        return _paged([self._render_review(issue, r) for r in shown], call.query, base)

    def _render_review(self, issue: _Issue, review: _Review) -> dict[str, object]:
        """A review as GitHub's REST API returns it (`submitted_at` absent on drafts)."""
        pull = f"{self.api_url}/repos/{issue.owner}/{issue.repo}/pulls/{issue.number}"
        html = f"{self._html_base}/{issue.owner}/{issue.repo}/pull/{issue.number}"
        rendered: dict[str, object] = {
            "id": review.id,
            "node_id": f"PRR_kwDOFAKE{review.id:08d}",
            "user": self.store.user(review.login),
            "body": review.body,
            "state": review.state,
            "html_url": f"{html}#pullrequestreview-{review.id}",
            "pull_request_url": pull,
            "author_association": "MEMBER",
            "commit_id": review.commit_id,
        }
        if review.submitted_at is not None:
            rendered["submitted_at"] = review.submitted_at
        return rendered

    def _team_members(self, org: str, slug: str, query: dict[str, list[str]], grant: TokenGrant) -> _Response:
        """A team's members: 403 for a token that may not read the organisation, 404 for no team."""
        if not grant.get("read_org"):
            return _forbidden()
        members = self.store.teams.get((org.lower(), slug.lower()))
        if members is None:
            return _not_found()
        base = f"{self.api_url}/orgs/{org}/teams/{slug}/members"
        return _paged([self.store.user(login) for login in members], query, base)

    def _pull(self, call: _Call) -> _Response:
        """A pull request: just its number and head commit, what publishers verify."""
        issue = self.store.issue(call.owner, call.repo, call.number)
        if issue is None or issue.head_sha is None:
            return _not_found()
        return _Response(200, {"number": issue.number, "head": {"sha": issue.head_sha}})

    def _create(self, call: _Call) -> _Response:
        """201 with the new comment and its API URL in `Location`."""
        issue = self.store.issue(call.owner, call.repo, call.number)
        if issue is None:
            return _not_found()
        if not call.grant["write"]:
            return _forbidden()
        body = _comment_body(call.body)
        if isinstance(body, _Response):
            return body
        comment = self.store.create(issue, body, call.grant["login"])
        return _Response(201, self.render(comment), {"Location": self._comment_url(comment)})

    def _get(self, call: _Call) -> _Response:
        """A single comment, visible only through its own repository."""
        comment = self.store.comment(call.owner, call.repo, call.number)
        return _not_found() if comment is None else _Response(200, self.render(comment))

    def _update(self, call: _Call) -> _Response:
        """Edit a comment in place; the same validation as create."""
        comment = self.store.comment(call.owner, call.repo, call.number)
        if comment is None:
            return _not_found()
        if not call.grant["write"]:
            return _forbidden()
        body = _comment_body(call.body)
        if isinstance(body, _Response):
            return body
        self.store.update(comment, body)
        return _Response(200, self.render(comment))

    def _delete(self, call: _Call) -> _Response:
        """204 with an empty body, as GitHub answers a delete."""
        comment = self.store.comment(call.owner, call.repo, call.number)
        if comment is None:
            return _not_found()
        if not call.grant["write"]:
            return _forbidden()
        self.store.delete(comment)
        return _Response(204)

    def _comment_url(self, comment: _Comment) -> str:
        """The comment's API URL, which is also what `Location` points at."""
        return f"{self.api_url}/repos/{comment.owner}/{comment.repo}/issues/comments/{comment.id}"


class _Handler(BaseHTTPRequestHandler):
    """Reads the request, asks the engine, writes the answer with an exact Content-Length."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 30
    server: _Server

    def do_GET(self) -> None:
        """Route through the shared path; methods differ only in routing."""
        self._serve()

    def do_POST(self) -> None:
        """Route through the shared path; methods differ only in routing."""
        self._serve()

    def do_PATCH(self) -> None:
        """Route through the shared path; methods differ only in routing."""
        self._serve()

    def do_DELETE(self) -> None:
        """Route through the shared path; methods differ only in routing."""
        self._serve()

    def do_PUT(self) -> None:
        """Unsupported here, but answered as GitHub would (404) rather than with 501."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output stays readable, and nothing request-derived reaches stderr."""

    def _serve(self) -> None:
        """One request/response exchange on a keep-alive connection."""
        engine = self.server.engine
        body = self._read_body()
        if isinstance(body, _Response):
            self.close_connection = True
            response = engine.reject(self.command, self.path, body)
        else:
            response = engine.respond(self.command, self.path, self.headers, body)
        self._send(response)

    def _read_body(self) -> bytes | _Response:
        """The request body by Content-Length; anything else would desync keep-alive."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _error(411, "Length Required")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return _error(400, "Invalid Content-Length")
        if not 0 <= length <= MAX_REQUEST_BYTES:
            return _error(413, "Request body too large")
        return self.rfile.read(length)

    def _send(self, response: _Response) -> None:
        """Serialise as UTF-8 JSON; Content-Length is always sent, 0 for empty bodies."""
        payload = b""
        if response.body is not None:
            payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
        self.send_response(response.status)
        if response.body is not None:
            self.send_header("Content-Type", JSON_CONTENT_TYPE)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    """Daemon handler threads, so a client holding a keep-alive socket never blocks exit."""

    daemon_threads = True

    def __init__(self, port: int, engine: _Engine) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.engine = engine

    def handle_error(self, request: object, client_address: object) -> None:
        """Client hang-ups are normal in retry tests; other errors are kept, not printed."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError | TimeoutError):
            with self.engine.lock:
                self.engine.errors.append(f"{type(exc).__name__}: {exc}")


class FakeGitHub:
    """A stateful fake of GitHub's issue-comment, review and team API on 127.0.0.1, with fault injection.

    `tokens` maps token → grant; `prefix` is "" (api.github.com), "/api/v3" (Enterprise)
    or "/api/v1" (Gitea/Forgejo). Use as a context manager, or call start()/stop().
    """

    def __init__(
        self,
        tokens: Mapping[str, TokenGrant],
        prefix: str = "",
        *,
        port: int = 0,
        html_base: str = "https://github.example",
    ) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(f"prefix must be empty or like '/api/v3', got {prefix!r}")
        self._engine = _Engine(tokens, prefix, html_base.rstrip("/"))
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> FakeGitHub:
        """Bind and serve in a background thread; returns self for chaining."""
        if self._server is not None:
            raise RuntimeError("FakeGitHub is already running")
        self._server = _Server(self._port, self._engine)
        self._engine.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def api_url(self) -> str:
        """`http://127.0.0.1:<port><prefix>`, the value to give the client as its API root."""
        if self._server is None:
            raise RuntimeError("FakeGitHub is not running; call start() first")
        return self._engine.api_url

    def add_issue(self, owner: str, repo: str, number: int, head_sha: str | None = None) -> None:
        """Make an issue (and so its repo) exist; with `head_sha` it is also a pull request."""
        with self._engine.lock:
            self._engine.store.add_issue(owner, repo, number, head_sha)

    def add_comment(
        self, owner: str, repo: str, number: int, body: str, login: str = "someone"
    ) -> dict[str, object]:
        """Seed a comment as `login`, bypassing HTTP; returns it as the API would."""
        with self._engine.lock:
            issue = self._engine.store.issue(owner, repo, number)
            if issue is None:
                raise LookupError(f"no issue {owner}/{repo}#{number}; call add_issue first")
            return self._engine.render(self._engine.store.create(issue, body, login))

    def add_review(
        self,
        owner: str,
        repo: str,
        number: int,
        login: str,
        state: str,
        *,
        commit_id: str | None = None,
        body: str = "",
    ) -> int:
        """Submit a review as `login` (state as the API spells it), bypassing HTTP; returns its id."""
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {sorted(REVIEW_STATES)}")
        with self._engine.lock:
            issue = self._engine.store.issue(owner, repo, number)
            if issue is None:
                raise LookupError(f"no pull request {owner}/{repo}#{number}; call add_issue first")
            return self._engine.store.review(issue, login, state, body, commit_id).id

    def dismiss_review(self, owner: str, repo: str, number: int, review_id: int) -> None:
        """Dismiss a review, as `PUT .../reviews/{id}/dismissals` does: its state becomes DISMISSED."""
        with self._engine.lock:
            issue = self._engine.store.issue(owner, repo, number)
            review = next(r for r in (issue.reviews if issue else []) if r.id == review_id)
            review.state = "DISMISSED"

    def add_team(self, org: str, slug: str, members: list[str]) -> None:
        """Make `org/slug` exist with these members (readable by tokens with `read_org`)."""
        with self._engine.lock:
            self._engine.store.teams[(org.lower(), slug.lower())] = list(members)

    def comments(self, owner: str, repo: str, number: int) -> list[dict[str, object]]:
        """The issue's comments as the API renders them, ascending by id."""
        with self._engine.lock:
            issue = self._engine.store.issue(owner, repo, number)
            if issue is None:
                raise LookupError(f"no issue {owner}/{repo}#{number}")
            return [self._engine.render(c) for c in self._engine.store.comments_of(issue)]

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: int | None = None,
        secondary_rate_limit: bool = False,
    ) -> None:
        """Make the next `count` requests of any kind fail with `status`.

        With `secondary_rate_limit`, the response carries GitHub's secondary-limit message and
        a `retry-after` header (default 1 s); GitHub uses 403 or 429 for it.
        """
        if count < 0:
            raise ValueError("count must be >= 0")
        if secondary_rate_limit and status not in {403, 429}:
            raise ValueError("GitHub signals a secondary rate limit with 403 or 429")
        if secondary_rate_limit and retry_after is None:
            retry_after = 1
        fault = _Fault(status, retry_after, secondary_rate_limit)
        with self._engine.lock:
            self._engine.faults.extend([fault] * count)

    def fail_next_write_after_processing(self, status: int = 502) -> None:
        """Serve the next POST or PATCH for real, then answer `status`: a write the client
        cannot tell apart from one that never happened (GitHub does this under load)."""
        with self._engine.lock:
            self._engine.faults.append(_Fault(status, None, False, after_processing=True))

    def rate_limit_next(self, count: int, reset_in_s: int, status: int = 403) -> None:
        """The next `count` requests hit an exhausted primary rate limit resetting in `reset_in_s`."""
        fault = _Fault(status, None, False, primary_rate_limit_reset_s=reset_in_s)
        with self._engine.lock:
            self._engine.faults.extend([fault] * count)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of (method, path-with-query, status) for every request so far."""
        with self._engine.lock:
            return list(self._engine.log)

    @property
    def errors(self) -> list[str]:
        """Bugs inside the fake itself (answered as 500); tests should expect this empty."""
        with self._engine.lock:
            return list(self._engine.errors)

    def stats(self) -> FakeStats:
        """Request counts by method and status, and header violations by kind."""
        with self._engine.lock:
            log = list(self._engine.log)
            violations = dict(self._engine.violations)
        return FakeStats(
            by_method=dict(Counter(r.method for r in log)),
            by_status=dict(Counter(r.status for r in log)),
            header_violations=violations,
        )
