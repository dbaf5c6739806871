"""gate.json -> JUnit XML, so GitLab, Jenkins and Buildkite test views show the gate. Pure.

One <testsuite> per scenario; one <testcase> per metric, one for reliability (unscored
share), one for the base comparison and, in a pull request with `governance.approvers`, one
for the approvals. A part that fails the check is a <failure> (a warn too when fail_on_warn
is on, a pending approval when governance.on_pending fails it); a warn that passes stays a
passed case whose <system-out> starts with `WARN:` and is listed in the suite's
`benchgate.warnings` property, because test UIs have no warn state but do show a case's
output; a missing baseline is <skipped> (every UI counts and shows skipped cases with their
message), or a <failure> when it alone fails the gate. Every case's <system-out> has its numbers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from benchgate import formatting as fmt
from benchgate.outcome import GateResult, MetricResult, Reason
from benchgate.report import cells
from benchgate.status import worst

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(results: list[GateResult]) -> bytes:
    """A <testsuites> document with one suite per gate result; byte-identical for identical input."""
    root = ET.Element("testsuites", {"name": "benchgate"})
    suites = [_suite(result) for result in results]
    root.extend(suites)
    _count(root, [case for suite in suites for case in suite.iter("testcase")])
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode() + b"\n"


def _suite(r: GateResult) -> ET.Element:
    suite = ET.Element("testsuite", {"name": _clean(f"{r.scenario} ({r.mode})")})
    classname = f"benchgate.{r.scenario}.{r.mode}"
    cases = [_metric_case(r, classname, name, m) for name, m in r.metrics.items()]
    cases.append(_reliability_case(r, classname))
    cases.append(_baseline_case(r, classname))
    if r.approvals is not None and r.policy.governance.approvers:
        cases.append(_approvals_case(r, classname))
    warned = [case.get("name", "") for case in cases if case.get("name") in _warned(r)]
    properties = {
        "benchgate.status": r.status,
        "benchgate.failed": str(r.failed).lower(),
        "benchgate.fail_on_warn": str(r.policy.fail_on_warn).lower(),
        "benchgate.mode": r.mode,
        "benchgate.base": f"{r.base.rev or 'none'} {r.base.sha or ''}".strip(),
        "benchgate.head": r.head.sha or "",
        "benchgate.warnings": ", ".join(warned),
    }
    if r.run_url:
        properties["benchgate.run_url"] = r.run_url
    block = ET.SubElement(suite, "properties")
    for name, value in properties.items():
        ET.SubElement(block, "property", {"name": name, "value": _clean(value)})
    suite.extend(cases)
    _count(suite, cases)
    return suite


def _metric_case(r: GateResult, classname: str, name: str, m: MetricResult) -> ET.Element:
    reasons = [reason.message for reason in r.reasons if reason.metric == name]
    if not reasons and m.verdict == "no-baseline":  # a cause all metrics share is given once, gate-wide
        reasons = [x.message for x in r.reasons if x.kind == "no-baseline" and x.metric is None]
    lines = [
        f"{name} ({m.threshold.aggregate}): {cells.value_with_ci(name, m)}, n {m.n}, unscored {m.unscored}",
        f"threshold {cells.bounds(m)}: {m.threshold_status}",
    ]
    if m.verdict == "no-baseline":
        lines.append("versus base: no baseline")
    else:
        change = f"{cells.delta_with_ci(name, m)}, p {fmt.p_value(m.p_value)}"
        base = fmt.value(name, m.base_value)
        lines.append(f"versus base {base}: {change}, {m.n_paired} paired: {m.verdict}")
    return _case(
        r, classname, name, status=m.status, reasons=reasons or [f"{name} is {m.status}"], lines=lines
    )


def _reliability_case(r: GateResult, classname: str) -> ET.Element:
    rel, calls = r.reliability, r.reliability.calls
    unscored = [reason for reason in r.reasons if reason.kind == "unscored"]
    reasons = [reason.message for reason in unscored]
    retries = ", ".join(f"{kind} x{count}" for kind, count in sorted(calls.retries.items())) or "none"
    lines = [
        f"unscored {rel.unscored} of {rel.judgements} judgements "
        f"({fmt.share(rel.unscored, rel.judgements)}; max {fmt.bound(100 * rel.max_unscored)}%)",
        f"requests {calls.requests}, retried: {retries}, cache hits {calls.cache_hits}, "
        f"judge re-asks {calls.reasks}",
    ]
    status = worst(*(reason.status for reason in unscored)) if unscored else "pass"
    return _case(r, classname, "reliability", status=status, reasons=reasons, lines=lines)


def _baseline_case(r: GateResult, classname: str) -> ET.Element:
    s = r.samples
    missing = [reason for reason in r.reasons if reason.kind == "no-baseline" and reason.metric is None]
    if not missing and not r.base.found:
        missing = [
            Reason(kind="no-baseline", status="pass", message=f"no baseline: {r.base.reason or 'none'}")
        ]
    if not missing:
        lines = [
            f"compared with {r.base.rev} @ {r.base.sha}: {s.paired} paired, "
            f"{s.added_count} added, {s.removed_count} removed"
        ]
        return _case(r, classname, "baseline", status="pass", reasons=[], lines=lines)
    status = worst(*(reason.status for reason in missing))
    messages = [reason.message for reason in missing]
    if status == "fail" or (status == "warn" and r.policy.fail_on_warn):
        return _case(r, classname, "baseline", status=status, reasons=messages, lines=messages)
    case = _bare(classname, "baseline")
    ET.SubElement(case, "skipped", {"message": _clean("; ".join(messages))})
    return case


def _approvals_case(r: GateResult, classname: str) -> ET.Element:
    assert r.approvals is not None
    waiting = [reason.message for reason in r.reasons if reason.kind == "approval"]
    lines = [
        f"{role.role}: {role.state}"
        + (f" by {role.reviewer} at {role.submitted_at}" if role.reviewer else "")
        for role in r.approvals.roles
    ]
    case = _bare(classname, "approvals")
    if waiting and r.failed:
        failure = ET.SubElement(
            case, "failure", {"message": _clean("; ".join(waiting)), "type": "benchgate.pending"}
        )
        failure.text = _clean("\n".join(waiting))
    elif waiting:
        lines = [f"PENDING: {'; '.join(waiting)}", *lines]
    ET.SubElement(case, "system-out").text = _clean("\n".join(lines))
    return case


def _warned(r: GateResult) -> set[str]:
    """Cases whose status is a warn that does not fail the check."""
    if r.policy.fail_on_warn:
        return set()
    names = {name for name, m in r.metrics.items() if m.status == "warn"}
    missing = [x for x in r.reasons if x.kind == "no-baseline" and x.metric is None]
    if missing and worst(*(x.status for x in missing)) == "warn":
        names.add("baseline")
    return names


def _case(
    r: GateResult, classname: str, name: str, *, status: str, reasons: list[str], lines: list[str]
) -> ET.Element:
    case = _bare(classname, name)
    failing = status == "fail" or (status == "warn" and r.policy.fail_on_warn)
    if failing:
        message = _clean("; ".join(reasons) or status)
        failure = ET.SubElement(case, "failure", {"message": message, "type": f"benchgate.{status}"})
        failure.text = _clean("\n".join(reasons))
    elif status == "warn":
        lines = [f"WARN: {'; '.join(reasons) or name}", *lines]
    ET.SubElement(case, "system-out").text = _clean("\n".join(lines))
    return case


def _bare(classname: str, name: str) -> ET.Element:
    return ET.Element("testcase", {"classname": classname, "name": _clean(name), "time": "0"})


def _count(element: ET.Element, cases: list[ET.Element]) -> None:
    counts = {
        "tests": len(cases),
        "failures": sum(case.find("failure") is not None for case in cases),
        "errors": 0,
        "skipped": sum(case.find("skipped") is not None for case in cases),
    }
    for name, count in counts.items():
        element.set(name, str(count))
    element.set("time", "0")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
