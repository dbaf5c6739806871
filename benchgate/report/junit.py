"""gate.json -> JUnit XML, so GitLab, Jenkins and Buildkite test views show the gate. Pure.

One <testsuite> per scenario; one <testcase> per metric, one for reliability (unscored
share) and one for the base comparison. A part that fails the check is a <failure> (a warn
too when fail_on_warn is on); a warn that passes stays a passed case whose <system-out>
starts with `WARN:` and is listed in the suite's `benchgate.warnings` property, because
test UIs have no warn state but do show a case's output; a missing baseline is <skipped>
(every UI counts and shows skipped cases with their message), or a <failure> when it alone
fails the gate. Every case's <system-out> has its numbers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from benchgate import formatting as fmt
from benchgate.outcome import GateResult, MetricResult
from benchgate.report import cells

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
    explained = any(case.find("failure") is not None for case in cases)
    cases.append(_baseline_case(r, classname, explained))
    warned = [name for name, m in r.metrics.items() if m.status == "warn" and not r.fail_on_warn]
    properties = {
        "benchgate.status": r.status,
        "benchgate.failed": str(r.failed).lower(),
        "benchgate.fail_on_warn": str(r.fail_on_warn).lower(),
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
    reasons = [reason for reason in r.reasons if reason.startswith(f"{name} ")]
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
    over = bool(rel.judgements) and rel.unscored / rel.judgements > rel.max_unscored
    reasons = [reason for reason in r.reasons if "judgements are unscored" in reason]
    retries = ", ".join(f"{kind} x{count}" for kind, count in sorted(calls.retries.items())) or "none"
    lines = [
        f"unscored {rel.unscored} of {rel.judgements} judgements "
        f"({fmt.share(rel.unscored, rel.judgements)}; max {fmt.bound(100 * rel.max_unscored)}%)",
        f"requests {calls.requests}, retried: {retries}, cache hits {calls.cache_hits}, "
        f"judge re-asks {calls.reasks}",
    ]
    return _case(r, classname, "reliability", status="fail" if over else "pass", reasons=reasons, lines=lines)


def _baseline_case(r: GateResult, classname: str, explained: bool) -> ET.Element:
    s = r.samples
    if r.base.found:
        lines = [
            f"compared with {r.base.rev} @ {r.base.sha}: {s.paired} paired, "
            f"{s.added_count} added, {s.removed_count} removed"
        ]
        return _case(r, classname, "baseline", status="pass", reasons=[], lines=lines)
    reasons = [reason for reason in r.reasons if reason.startswith("no baseline")]
    message = reasons[0] if reasons else f"no baseline: {r.base.reason or 'none'}"
    if reasons and r.failed and not explained:
        return _case(r, classname, "baseline", status="fail", reasons=reasons, lines=[message])
    case = _bare(classname, "baseline")
    ET.SubElement(case, "skipped", {"message": _clean(message)})
    return case


def _case(
    r: GateResult, classname: str, name: str, *, status: str, reasons: list[str], lines: list[str]
) -> ET.Element:
    case = _bare(classname, name)
    failing = status == "fail" or (status == "warn" and r.fail_on_warn)
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
