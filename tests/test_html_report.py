"""report.html: rows, diff and escaping as data, then the page itself in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from benchgate.commands.ci import run_url
from benchgate.commands.publish import read_results
from benchgate.config import Governance
from benchgate.dataset_lines import FileLines
from benchgate.errors import InputError
from benchgate.gate import decide
from benchgate.outcome import Approvals, GateResult, RoleApproval, Trend, TrendPoint
from benchgate.report import render, review
from benchgate.report.html import island_json, render_html
from benchgate.report.review import Outputs, build_rows, word_diff
from benchgate.results import SampleScore
from benchgate.review_rows import DatasetOutputs
from benchmarks.synthetic import lower_metric, write_project
from tests import browser as browser_module
from tests.browser import (
    all_pages,
    chromium,
    click_filter,
    console,
    need_browser,
    open_report,
    serve,
    visible_ids,
)
from tests.conftest import ROOT, benchgate, commit_all, git
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer
from tests.reporting import example_result, example_scores, lowered

DATASET = "data/scenarios/channel_digest_ru/dataset.jsonl"
REPORT = ".benchgate/reports/channel_digest_ru/dry-run/report.html"
HOSTILE = [
    "<script>document.title='pwned'; window.pwned = 1</script>",
    "<img src=x onerror=\"document.title='pwned'; window.pwned = 2\">",
    "</script><script>document.title='pwned'; window.pwned = 3</script>",
    "<a href=\"javascript:document.title='pwned'\">click me</a> javascript:window.pwned=4",
    "line\u2028separator\u2029paragraph <!-- <script> {{7*7}} &amp; &lt;b&gt;",
]


class _Elements(HTMLParser):
    """Tags with their attributes and the raw text of script/style elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.raw:
            self._open = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.raw[self._open][-1] += data


def parsed(page: str) -> _Elements:
    elements = _Elements()
    elements.feed(page)
    return elements


def hostile_report() -> tuple[GateResult, str, list[str]]:
    """The example with hostile head outputs, ids, judge reasons and an unscored reply."""
    _, scores, outputs = example_scores()
    head = lowered(scores, "coverage", 10, 0.25)
    ids = [f"hostile-{i}{text}" for i, text in enumerate(HOSTILE)]
    head = [s.model_copy(update={"id": ids[i]}) if i < len(ids) else s for i, s in enumerate(head)]
    base = [s.model_copy(update={"id": ids[i]}) if i < len(ids) else s for i, s in enumerate(scores)]
    head[0] = head[0].model_copy(update={"reasons": {m: HOSTILE[k] for k, m in enumerate(head[0].scores)}})
    head[1] = SampleScore(
        id=head[1].id,
        scores={k: v for k, v in head[1].scores.items() if k != "accuracy"},
        unscored={"accuracy": HOSTILE[1]},
        replies={"accuracy": "\n".join(HOSTILE)},
    )
    head_outputs = {s.id: f"{HOSTILE[i % len(HOSTILE)]} {outputs[scores[i].id]}" for i, s in enumerate(head)}
    base_outputs = {s.id: outputs[scores[i].id] for i, s in enumerate(base)}
    result = example_result(head, base, {})
    page = render_html(result, build_rows(result, head, base, Outputs(head_outputs, base_outputs)))
    return result, page, ids


def edited_example(root: Path, regress: int = 8, dataset: Path | None = None) -> list[str]:
    """Commit the example's results, then a head whose first `regress` digests lost three words."""
    assert benchgate(root, "run").returncode == 0
    commit_all(root, "base")
    path = dataset or root / DATASET
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for record in records[:regress]:
        record["output"] = record["output"].split(" ", 3)[-1]
        record["ground_truth"]["coverage"] = round(record["ground_truth"]["coverage"] - 0.25, 2)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert benchgate(root, "run").returncode == 0
    commit_all(root, "head: shorter digests")
    return [r["id"] for r in records[:regress]]


def island(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="benchgate-data">(.*?)</script>', page, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


# --- rows and diff -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", ""),
        ("same text", "same text"),
        ("Днём до +4, к вечеру снег.", "Днём до +5, к вечеру мокрый снег."),
        ("  leading\n\nand trailing  ", "leading and\ttrailing"),
        ("a b c d e", ""),
        ("", "x y"),
    ],
)
def test_word_diff_rebuilds_both_sides_exactly(before: str, after: str) -> None:
    segments = word_diff(before, after)
    assert "".join(text for op, text in segments if op != 2) == after
    assert "".join(text for op, text in segments if op != 1) == before
    assert all(text for _, text in segments)


def test_word_diff_marks_whole_words() -> None:
    segments = word_diff("снег ночью, гололёд", "снег днём, гололёд")
    assert segments == [(0, "снег "), (2, "ночью, "), (1, "днём, "), (0, "гололёд")]


def test_rows_are_tagged_from_scores_and_outputs() -> None:
    _, scores, outputs = example_scores()
    head = lowered(scores, "coverage", 3, 0.25)
    base = lowered(scores, "accuracy", 4, 0.05)[3:]
    head[4] = SampleScore(
        id=head[4].id, unscored={"coverage": "judge reply unreadable"}, replies={"coverage": "?"}
    )
    head[5] = head[5].model_copy(update={"id": "new-sample"})
    head_outputs = {**outputs, scores[6].id: "rewritten"}
    result = example_result(head, base, {})
    rows = build_rows(result, head, base, Outputs(head_outputs, outputs)).rows
    tags = {row.id: row.tags for row in rows if row.tags}
    assert tags == {
        scores[0].id: ("added",),
        scores[1].id: ("added",),
        scores[2].id: ("added",),
        scores[3].id: ("improved",),
        scores[4].id: ("unscored",),
        "new-sample": ("added",),
        scores[6].id: ("changed",),
        scores[5].id: ("removed",),
    }
    both = build_rows(result, head, scores, Outputs(head_outputs, outputs)).rows
    assert both[0].tags == ("regressed",)
    assert both[0].deltas["coverage"] == -0.25 and both[0].deltas["latency_s"] == 0
    assert rows[4].unscored == {"coverage": ("judge reply unreadable", "?")}
    assert rows[3].sides == (True, True) and rows[0].sides == (True, False)


def test_latency_changes_alone_tag_nothing() -> None:
    _, scores, outputs = example_scores()
    slower = [s.model_copy(update={"latency_s": (s.latency_s or 0) + 60}) for s in scores]
    result = example_result(slower, scores, {})
    rows = build_rows(result, slower, scores, Outputs(outputs, outputs)).rows
    assert all(row.tags == () for row in rows)
    assert rows[0].deltas["latency_s"] == 60


def test_past_the_row_limit_tagged_rows_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "ROW_LIMIT", 5)
    _, scores, outputs = example_scores()
    head = lowered(scores[::-1], "coverage", 3, 0.25)
    result = example_result(head, scores, {})
    built = build_rows(result, head, scores, Outputs(outputs, outputs))
    assert built.total == len(scores) and len(built.rows) == 5
    assert [row.id for row in built.rows[:3]] == [s.id for s in head[:3]]
    page = render_html(result, built)
    assert f"This page holds 5 of {len(scores)} samples" in page


# --- the page as text ----------------------------------------------------------------------


def test_json_island_cannot_end_its_script_element() -> None:
    value = {"text": HOSTILE, "id": "</script><!--<script>"}
    text = island_json(value)
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == value


def test_page_is_self_contained_pinned_by_its_csp_and_deterministic() -> None:
    page = hostile_report()[1]
    assert page == hostile_report()[1]
    elements = parsed(page)
    names = [tag for tag, _ in elements.tags]
    assert names.count("script") == 2 and names.count("style") == 1
    assert not {"img", "a", "link", "iframe", "object", "embed", "form", "base"} & set(names)
    assert all(not {"src", "href", "style"} & set(attrs) for _, attrs in elements.tags)
    assert not any(name.startswith("on") for _, attrs in elements.tags for name in attrs)
    csp = next(a["content"] for t, a in elements.tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None and "default-src 'none'" in csp and "unsafe" not in csp
    assert "require-trusted-types-for 'script'" in csp
    code, data = elements.raw["script"][1], elements.raw["script"][0]
    for body in (code, elements.raw["style"][0]):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "url(" not in elements.raw["style"][0] and "@import" not in elements.raw["style"][0]
    assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "eval(" not in code
    assert "pwned" not in page.split('id="benchgate-data">')[0]
    rows = json.loads(data)["rows"]
    assert rows[0]["r"]["coverage"] == HOSTILE[0]
    assert HOSTILE[1] in rows[1]["u"]["accuracy"][0]


def test_gate_writes_the_html_beside_the_report_with_base_outputs_from_git(example: Path) -> None:
    regressed = edited_example(example)
    committed = {
        json.loads(line)["id"]: json.loads(line)["output"]
        for line in git(example, "show", f"HEAD~1:{DATASET}").splitlines()
    }
    done = benchgate(example, "gate", "--report", "out/review.md")
    assert done.returncode == 1, done.stderr
    page = (example / "out/review.html").read_text(encoding="utf-8")
    data = island(page)
    rows = {row["id"]: row for row in data["rows"]}
    assert sorted(i for i, row in rows.items() if "regressed" in row["t"]) == sorted(regressed)
    assert sorted(i for i, row in rows.items() if "changed" in row["t"]) == sorted(regressed)
    first = rows[regressed[0]]
    assert first["k"] == 3
    assert "".join(text for op, text in first["s"] if op != 1) == committed[regressed[0]]
    assert any(op == 2 for op, _ in first["s"]) and not any(op == 1 for op, _ in first["s"])
    assert "coverage regressed against the base" in page


# --- in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Any:
    need_browser()
    with chromium() as driver:
        yield driver


def test_browser_loads_cleanly_and_the_regressed_filter_shows_exactly_them(
    example: Path, browser: Any
) -> None:
    regressed = edited_example(example)
    assert benchgate(example, "gate").returncode == 1
    with serve(example / Path(REPORT).parent) as url:
        assert open_report(browser, url + "report.html") == []
        assert len(visible_ids(browser)) == 36
        click_filter(browser, "regressed")
        assert sorted(visible_ids(browser)) == sorted(regressed)
        assert browser.find_element("id", "shown").text == f"Samples 1–{len(regressed)} of {len(regressed)}"
        click_filter(browser, "unscored")
        assert visible_ids(browser) == []
        click_filter(browser, "all")
        search = browser.find_element("id", "search")
        search.send_keys(regressed[3])
        browser.implicitly_wait(0)
        wait_for(browser, lambda: visible_ids(browser) == [regressed[3]])
        article = browser.find_element("css selector", "#rows article.sample")
        assert article.find_elements("css selector", ".side del")
        assert console(browser) == []


def test_hostile_model_text_never_runs_and_is_shown_as_text(tmp_path: Path, browser: Any) -> None:
    _, page, ids = hostile_report()
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    with serve(tmp_path) as url:
        assert open_report(browser, url + "report.html") == []
        title = browser.title
        shown = browser.execute_script(
            "return Array.from(document.querySelectorAll('#rows article.sample'), a => a.textContent)"
        )
        state = browser.execute_script(
            "return [window.pwned === undefined, document.querySelectorAll('script').length,"
            " document.querySelectorAll('img, a, iframe').length]"
        )
        assert state == [True, 2, 0]
        assert title.startswith("benchgate · channel_digest_ru") and "pwned" not in title
        text = "\n".join(shown)
        for payload in HOSTILE:
            assert payload in text
        assert "{{7*7}}" in text
        click_filter(browser, "unscored")
        assert visible_ids(browser) == [ids[1]]
        assert browser.execute_script(
            "return window.pwned === undefined && !document.title.includes('pwned')"
        )
        assert console(browser) == []


def test_five_thousand_samples_three_thousand_regressed(tmp_path: Path, browser: Any) -> None:
    root = tmp_path / "big"
    root.mkdir()
    dataset = write_project(root, 5000)
    git(root, "init", "-q", "-b", "main")
    assert benchgate(root, "run").returncode == 0
    commit_all(root, "base")
    regressed = lower_metric(dataset, "coverage", 3000, 0.2)
    assert benchgate(root, "run").returncode == 0
    commit_all(root, "head")
    assert benchgate(root, "gate").returncode == 1
    with serve(root / ".benchgate/reports/synthetic/dry-run") as url:
        assert open_report(browser, url + "report.html") == []
        assert browser.find_element("css selector", "button[data-filter='regressed'] .n").text == "3,000"
        click_filter(browser, "regressed")
        assert browser.find_element("id", "shown").text == "Samples 1–50 of 3,000"
        assert sorted(all_pages(browser)) == sorted(regressed)
        assert console(browser) == []


def wait_for(driver: Any, condition: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda _: condition())


# --- judge reasons -------------------------------------------------------------------------


def test_live_scores_keep_the_judges_reason_clipped_and_the_page_shows_it(tmp_path: Path) -> None:
    write_project(tmp_path, 25)
    reason = "<b>Слишком</b> кратко: " + "пропущены детали " * 40

    def respond(request: dict[str, Any]) -> str:
        return json.dumps({"score": 4, "reason": reason}, ensure_ascii=False)

    with FakeOpenAIServer(FakeConfig(seed=2, models=("synthetic-judge",)), respond) as server:
        done = benchgate(tmp_path, "run", "--mode", "live", env={"LLM_URL": server.url})
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "data/results/synthetic/live/scores.jsonl").read_text(encoding="utf-8").splitlines()
    stored = [json.loads(line)["reasons"] for line in lines]
    clipped = reason[:299] + "…"
    assert stored == [dict.fromkeys(("coverage", "accuracy", "coherence", "informativeness"), clipped)] * 25
    assert benchgate(tmp_path, "gate", "--mode", "live").returncode in (0, 1)
    page = (tmp_path / ".benchgate/reports/synthetic/live/report.html").read_text(encoding="utf-8")
    assert island(page)["rows"][0]["r"]["coverage"] == clipped
    assert "<b>Слишком" not in page


def test_dry_run_scores_are_unchanged_by_the_reasons_field(example: Path) -> None:
    committed = (ROOT / "data/results/channel_digest_ru/dry-run/scores.jsonl").read_bytes()
    assert benchgate(example, "run").returncode == 0
    assert (example / "data/results/channel_digest_ru/dry-run/scores.jsonl").read_bytes() == committed
    assert b"reasons" not in committed


# --- the link to the run's artifacts -------------------------------------------------------

RUN = "https://github.example.com/acme/bench/actions/runs/987654321"


def test_the_markdown_report_links_the_run_when_known() -> None:
    _, scores, outputs = example_scores()
    result = example_result(scores, scores, outputs)
    assert "Artifacts" not in render(result)
    linked = render(result.model_copy(update={"run_url": RUN}))
    tokens = MarkdownIt("commonmark").parse(linked)
    hrefs = [c.attrGet("href") for t in tokens for c in t.children or [] if c.type == "link_open"]
    assert hrefs == [RUN]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "http://github.com/acme/bench/actions/runs/1",
        "https://github.com/acme/bench/actions/runs/1) [click](https://evil.example",
        "https://github.com/acme/bench/actions/runs/1/../../../evil",
        "https://github.com/../../actions/runs/1",
        "https://github.com/acme/bench/pulls/1",
    ],
)
def test_an_untrusted_gate_json_cannot_carry_another_link(tmp_path: Path, url: str) -> None:
    _, scores, outputs = example_scores()
    data = example_result(scores, scores, outputs).model_dump(by_alias=True) | {"run_url": url}
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="run_url"):
        read_results(path)
    env = {"GITHUB_SERVER_URL": url, "GITHUB_REPOSITORY": "acme/bench", "GITHUB_RUN_ID": "1"}
    assert run_url(env) is None or run_url(env) == "https://github.com/acme/bench/actions/runs/1"


def test_ci_builds_the_run_url_only_from_all_three_variables() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.com/",
        "GITHUB_REPOSITORY": "acme/.github",
        "GITHUB_RUN_ID": "42",
    }
    assert run_url(env) == "https://github.com/acme/.github/actions/runs/42"
    assert run_url({**env, "GITHUB_RUN_ID": ""}) is None
    assert run_url({**env, "GITHUB_REPOSITORY": "acme/bench/../x"}) is None
    assert run_url({**env, "GITHUB_REPOSITORY": "../.."}) is None


def test_dataset_lines_are_found_by_id_whatever_the_key_order_or_escapes(tmp_path: Path) -> None:
    lines = [
        b'{"id": "plain", "output": "a"}',
        b'{"output": "b", "id": "late"}',
        '{"id": "кириллица \\"в кавычках\\"", "output": "c"}'.encode(),
        b'{"id": "plain", "output": "second copy"}',
        b"not json",
        b'{"id": 7}',
    ]
    path = tmp_path / "dataset.jsonl"
    path.write_bytes(b"\n".join(lines))
    with FileLines(path) as found:
        assert sorted(found) == sorted(["plain", "late", 'кириллица "в кавычках"'])
        outputs = DatasetOutputs({"late": "generated"}, found)
        assert (outputs["plain"], outputs["late"], outputs['кириллица "в кавычках"']) == (
            "a",
            "generated",
            "c",
        )
        assert outputs.get("missing") is None


def test_a_missing_browser_fails_when_ci_requires_it_or_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_module, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv(browser_module.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="/nonexistent/chromium is missing"):
        need_browser()
    monkeypatch.delenv(browser_module.REQUIRE)
    with pytest.raises(pytest.skip.Exception, match="apt-get install"):
        need_browser()


def test_the_page_shows_trend_observations_and_approvals_as_text() -> None:
    _, scores, outputs = example_scores()
    result = example_result(lowered(scores, "coverage", 10, 0.25), scores, outputs)
    role = "<script>window.pwned=5</script>"
    governance = Governance.model_validate({"approvers": {role: ["alice", "acme/leads"]}, "required": True})
    approvals = Approvals(
        pr=7,
        roles=[RoleApproval(role=role, state="unverified", reviewer="dave", unverified_teams=["acme/leads"])],
    )
    points = [TrendPoint(sha=f"{i + 1:040x}", value=0.9 + i / 100) for i in range(4)]
    trend = Trend(rev="main<b>", limit=20, points={"coverage": points})
    policy = result.policy.model_copy(update={"governance": governance})
    decided = decide(result.model_copy(update={"policy": policy, "approvals": approvals, "trend": trend}))
    page = render_html(decided, build_rows(decided, scores, scores, Outputs(outputs, outputs)))
    assert decided.status == "fail" and decided.observations
    assert '<section id="trend">' in page and "main&lt;b&gt;" in page
    assert '<td>coverage</td><td class="spark">' in page and "(5 points)" in page
    assert '<section id="observations">' in page
    assert "<b>coverage: regression:</b> coverage regressed by" in page
    assert '<section id="approvals">' in page and "❔ cannot verify (team acme/leads)" in page
    assert "&lt;script&gt;window.pwned=5&lt;/script&gt;" in page and "<script>window.pwned" not in page
