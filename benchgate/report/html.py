"""gate.json plus per-sample review rows -> report.html, one self-contained page. Pure.

Everything the page needs is inline; its Content-Security-Policy allows exactly our own
style and script (by hash), no other source of any kind, and Trusted Types so that no
script can assign HTML strings. Model text travels in a JSON data island, escaped so that
nothing in it can end the element, and reaches the page only as DOM text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup

from benchgate import __version__
from benchgate import formatting as fmt
from benchgate.config import LATENCY_METRIC
from benchgate.outcome import GateResult, MetricResult, ObservationKind
from benchgate.report import cells, pairwise
from benchgate.report.details import OBSERVATION
from benchgate.report.labels import APPROVAL
from benchgate.report.review import TAGS, ReviewRow, ReviewRows
from benchgate.report.trend import series, sparkline

_ISLAND_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_ISLAND_UNSAFE = re.compile("[<>&\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_FILTERS = {
    "all": "All",
    "regressed": "Regressed",
    "improved": "Improved",
    "unscored": "Unscored",
    "changed": "Changed output",
    "added": "Added",
    "removed": "Removed",
}


@lru_cache(maxsize=1)
def _templates() -> tuple[jinja2.Template, str, str]:
    loader = jinja2.PackageLoader("benchgate.report", "templates")
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
    css = loader.get_source(env, "report.css")[0]
    js = loader.get_source(env, "report.js")[0]
    return env.get_template("report.html.j2"), css, js


def render_html(result: GateResult, review: ReviewRows) -> str:
    """The page; byte-identical for identical input."""
    template, css, js = _templates()
    csp = "; ".join(
        [
            "default-src 'none'",
            f"style-src '{_digest(css)}'",
            f"script-src '{_digest(js)}'",
            "img-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )
    page = template.render(
        csp=csp,
        title=f"benchgate · {result.scenario} ({result.mode}) · {result.status.upper()}",
        css=Markup(css),
        js=Markup(js),
        r=result,
        outcome=_outcome(result),
        meta=_meta(result),
        level=f"{100 * (1 - result.policy.alpha):g}%",
        metrics=[_metric_row(name, m) for name, m in result.metrics.items()],
        samples_note=_samples_note(result),
        reliability_note=_reliability_note(result),
        observations=[_observation(o.kind, o.metric) for o in result.observations],
        trend=_trend_rows(result),
        approvals=_approval_rows(result),
        filters=[(name, _FILTERS[name]) for name in ("all", *TAGS)],
        cut=_cut_note(review),
        data=_island(_data(result, review)),
        version=__version__,
    )
    return _SURROGATE.sub("\ufffd", page)


def island_json(value: Any) -> str:
    """JSON that is inert inside a <script> element: no `<`, `>`, `&` or JS line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _ISLAND_UNSAFE.sub(lambda found: _ISLAND_ESCAPES[found.group()], text)


def _island(value: Any) -> Markup:
    return Markup(island_json(value))  # escaped for a script element by island_json


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _outcome(r: GateResult) -> str:
    if r.status == "warn" and not r.failed:
        return "This check passes (fail-on-warn is off)."
    if r.status == "pending":
        return (
            "This check fails until every required role approves." if r.failed else "Approvals are pending."
        )
    return "This check fails." if r.failed else "This check passes."


def _meta(r: GateResult) -> list[tuple[str, str]]:
    m = r.meta
    dataset = f"{m.dataset.path} · {m.samples:,} samples · sha256 {m.dataset.sha256[:12]}"
    if m.base_dataset_sha256 is not None:
        same = m.base_dataset_sha256 == m.dataset.sha256
        dataset += " · " + ("unchanged since base" if same else "changed since base")
    prompt = f"{m.prompt_version} · {m.prompt.path} · sha256 {m.prompt.sha256[:12]}"
    if m.base_prompt_sha256 is not None:
        prompt += " · " + ("unchanged since base" if m.base_prompt_sha256 == m.prompt.sha256 else "changed")
    base = r.base.rev or "none"
    if r.base.sha:
        base += f" @ {r.base.sha[:12]}"
    if not r.base.found:
        base += f" (no baseline: {r.base.reason})" if r.base.reason else " (no baseline)"
    head = r.head.sha[:12] if r.head.sha else "not a git commit"
    judge = m.judge + (f" via {m.endpoint}" if m.endpoint else "")
    return [
        ("Dataset", dataset),
        ("Prompt", prompt),
        ("Candidate model", m.model),
        ("Judge", judge),
        ("Base", base),
        ("Head", head + (" + uncommitted results" if r.head.dirty else "")),
    ]


def _metric_row(name: str, m: MetricResult) -> dict[str, str]:
    label = name if m.threshold.aggregate == "mean" else f"{name} ({m.threshold.aggregate})"
    return {
        "name": label,
        "value": f"win rate {cells.value_with_ci(name, m)} · {pairwise.counts(m)}"
        if pairwise.is_pairwise(m)
        else cells.value_with_ci(name, m),
        "n": f"{m.n:,}" + (f" · {m.unscored:,} unscored" if m.unscored else ""),
        "base": fmt.value(name, m.base_value),
        "delta": cells.delta_with_ci(name, m),
        "p": fmt.p_value(m.p_value),
        "verdict": m.verdict,
        "threshold": cells.bounds(m),
        "status": m.status,
    }


def _samples_note(r: GateResult) -> str:
    s = r.samples
    if not r.base.found:
        return f"{s.head:,} samples at head; no baseline to pair with."
    return f"{s.paired:,} samples paired by id · {s.added_count:,} added · {s.removed_count:,} removed."


def _reliability_note(r: GateResult) -> str:
    rel = r.reliability
    share = fmt.share(rel.unscored, rel.judgements)
    text = f"Unscored: {rel.unscored:,} of {rel.judgements:,} judgements ({share})."
    retries = ", ".join(f"{kind} ×{count}" for kind, count in sorted(rel.calls.retries.items()))
    if rel.calls.requests:
        text += f" Requests: {rel.calls.requests:,}; retried: {retries or 'none'}."
    return text


def _observation(kind: ObservationKind, metric: str | None) -> str:
    return f"{metric}: {OBSERVATION[kind]}" if metric else OBSERVATION[kind]


def _trend_rows(r: GateResult) -> list[tuple[str, str, str]] | None:
    """Metric, sparkline (oldest to head), first -> last value; None without a trend."""
    if r.trend is None or r.trend.unavailable:
        return None
    rows = []
    for name, m in r.metrics.items():
        s = series(r.trend, name, m)
        if len(s.values) > 1:
            span = (
                f"{fmt.value(name, s.values[0])} → {fmt.value(name, s.values[-1])} ({len(s.values)} points)"
            )
            rows.append((name, sparkline(s.values), span))
    return rows


def _approval_rows(r: GateResult) -> list[dict[str, str]] | None:
    """A row per role of the policy, in params order; None when there are no approvers."""
    approvers = r.policy.governance.approvers
    if not approvers:
        return None
    found = {role.role: role for role in r.approvals.roles} if r.approvals else {}
    rows = []
    for name, who in approvers.items():
        role = found.get(name)
        state = APPROVAL[role.state] if role else "— not a pull request"
        teams = role.unverified_teams if role else []
        rows.append(
            {
                "role": name,
                "state": state + (f" (team {', '.join(teams)})" if teams else ""),
                "reviewer": (role.reviewer if role else None) or "—",
                "submitted": (role.submitted_at if role else None) or "—",
                "can": ", ".join(who),
            }
        )
    return rows


def _cut_note(review: ReviewRows) -> str | None:
    if review.total <= len(review.rows):
        return None
    return (
        f"This page holds {len(review.rows):,} of {review.total:,} samples (tagged ones first); "
        "scores.jsonl has them all."
    )


def _data(r: GateResult, review: ReviewRows) -> dict[str, Any]:
    metrics = [
        {
            "name": name,
            "direction": m.threshold.direction,
            "max_drop": m.threshold.max_drop,
            "decimals": fmt.decimals(name),
            "quality": name != LATENCY_METRIC,
        }
        for name, m in r.metrics.items()
    ]
    return {"metrics": metrics, "rows": [_row(row) for row in review.rows]}


def _row(row: ReviewRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "t": list(row.tags),
        "h": row.head,
        "b": row.base,
        "d": row.deltas,
        "s": row.segments,
        "k": (1 if row.sides[0] else 0) | (2 if row.sides[1] else 0),
        "r": row.reasons,
        "u": {metric: list(pair) for metric, pair in row.unscored.items()},
    }
