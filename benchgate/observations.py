"""Observations & follow-ups, written from a decided gate result alone (the pilot's section 4). Pure.

Every sentence is built from validated numbers and names in gate.json, in a fixed order, so
the same result always reads the same and `publish` can write them again instead of trusting
what an untrusted gate.json says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from benchgate import formatting as fmt
from benchgate.outcome import GateResult, MetricResult, Observation

LOW_AGREEMENT = 0.5
"""Spearman ρ below which the LLM judge is said to agree weakly with ground truth (no policy
key sets it yet; it only writes an observation)."""
TREND_MIN_POINTS = 3
"""Committed values needed before a head value is called a new low or high."""
POLICY_KEYS_SHOWN = 5
_COUNTS = {1: "once", 2: "twice"}


def observe(r: GateResult) -> list[Observation]:
    """Every observation, kind by kind in `ObservationKind` order, metrics in params order."""
    found: list[Observation] = []
    for write in _WRITERS:
        found += write(r)
    return found


def _regressed(r: GateResult) -> Iterator[Observation]:
    for name, m in r.metrics.items():
        if m.verdict == "regressed":
            yield Observation(
                kind="regressed",
                metric=name,
                message=(
                    f"{name} regressed by {_change(name, m)}, "
                    f"beyond its max drop {fmt.bound(m.threshold.max_drop)}."
                ),
                follow_up="Compare the worst-regressed samples with the base before merging.",
            )


def _improved(r: GateResult) -> Iterator[Observation]:
    for name, m in r.metrics.items():
        if m.verdict == "improved":
            yield Observation(kind="improved", metric=name, message=f"{name} improved by {_change(name, m)}.")


def _inconclusive(r: GateResult) -> Iterator[Observation]:
    for name, m in r.metrics.items():
        if m.verdict != "inconclusive":
            continue
        seen, more = unsettled(name, m)
        yield Observation(
            kind="inconclusive",
            metric=name,
            message=f"{name} is inconclusive against the base ({seen}).",
            follow_up=f"Needs further sampling: {more} would settle it.",
        )


def _between_bounds(r: GateResult) -> Iterator[Observation]:
    for name, m in r.metrics.items():
        t = m.threshold
        if m.threshold_status != "warn" or m.value is None or t.warn is None:
            continue
        sign = "≥" if t.direction == "higher" else "≤"
        yield Observation(
            kind="between-bounds",
            metric=name,
            message=(
                f"{name} is {fmt.value(name, m.value)} in {r.mode} (WARN): between the warn bound "
                f"{fmt.bound(t.warn)} and the pass bound {fmt.bound(t.pass_)}."
            ),
            follow_up=(
                f"{fmt.value(name, abs(t.pass_ - m.value))} short of the target {sign}{fmt.bound(t.pass_)}: "
                "needs further sampling or prompt work before go-live."
            ),
        )


def _modes_disagree(r: GateResult) -> Iterator[Observation]:
    other = r.companion
    if other is None:
        return
    for name, m in r.metrics.items():
        theirs = other.metrics.get(name)
        # A side without a value (skipped, or nothing scored) is missing evidence, reported as such
        # elsewhere; it has no verdict to disagree with.
        if theirs is None or theirs.value is None or m.value is None or theirs.status == m.threshold_status:
            continue
        sides = [(r.mode, m.value, m.threshold_status), (other.mode, theirs.value, theirs.status)]
        sides.sort(key=lambda side: side[0])  # dry-run before live, as the pilot's table reads
        said = " but ".join(
            f"{mode} {fmt.value(name, value)} ({status.upper()})" for mode, value, status in sides
        )
        yield Observation(
            kind="modes-disagree",
            metric=name,
            message=f"{name}: {said}; the two modes disagree.",
            follow_up="Compare the LLM judge with the stored ratings on this metric before trusting either.",
        )


def _low_agreement(r: GateResult) -> Iterator[Observation]:
    for name, a in r.agreement.items():
        if a.spearman is None or a.spearman >= LOW_AGREEMENT:
            continue
        yield Observation(
            kind="low-agreement",
            metric=name,
            message=(
                f"{name}: the LLM judge agrees weakly with ground truth (Spearman ρ {a.spearman:.2f} "
                f"on {a.n:,} samples, below {LOW_AGREEMENT:.2f})."
            ),
            follow_up="Sharpen the metric's description (the judge's rubric) before trusting live verdicts.",
        )


def _trend(r: GateResult) -> Iterator[Observation]:
    if r.trend is None:
        return
    where = f"on {r.trend.rev}" if r.trend.rev else "on the default branch"
    for name, points in r.trend.points.items():
        m = r.metrics.get(name)
        if m is None or m.value is None or len(points) < TREND_MIN_POINTS:
            continue
        values = [p.value for p in points]
        higher = m.threshold.direction == "higher"
        low, high = min(values), max(values)
        if m.value < low or m.value > high:
            new_low = m.value < low
            better = new_low != higher
            edge = "below" if new_low else "above"
            bound = fmt.value(name, low if new_low else high)
            yield Observation(
                kind="trend",
                metric=name,
                message=(
                    f"{name} {fmt.value(name, m.value)} is {edge} all of the last {len(values)} committed "
                    f"values {where} ({'lowest' if new_low else 'highest'} {bound})."
                ),
                follow_up=None if better else "A new worst, not a dip within the recent range.",
            )


def _sample_churn(r: GateResult) -> Iterator[Observation]:
    s = r.samples
    if not r.base.found or not (s.added_count or s.removed_count):
        return
    yield Observation(
        kind="sample-churn",
        message=(
            f"{s.added_count:,} {_plural(s.added_count, 'sample')} added and {s.removed_count:,} removed "
            "since the base; "
            f"the comparison uses the {s.paired:,} in both."
        ),
        follow_up="Check that no sample was removed to hide a failure." if s.removed_count else None,
    )


def _policy_changed(r: GateResult) -> Iterator[Observation]:
    changes = r.policy_changes
    if not changes:
        return
    looser = [c.key[:80] for c in changes if c.effect == "looser"]
    shown = ", ".join(looser[:POLICY_KEYS_SHOWN]) + (" and more" if len(looser) > POLICY_KEYS_SHOWN else "")
    verb = "differs" if len(changes) == 1 else "differ"
    message = (
        f"{len(changes)} gate policy {_plural(len(changes), 'key')} {verb} from the base commit's params.yaml"
    )
    message += f"; looser: {shown}." if looser else "; none is looser."
    follow_up = None
    if looser and r.policy.source == "head":
        follow_up = "A reviewer should confirm the looser keys, or set gate.policy_from: base."
    yield Observation(kind="policy-changed", message=message, follow_up=follow_up)


def _retries(r: GateResult) -> Iterator[Observation]:
    calls = r.reliability.calls
    if not calls.retries and not calls.reasks:
        return
    parts = [_failure(kind[:40], count) for kind, count in sorted(calls.retries.items())]
    if parts:
        message = (
            f"The LLM endpoint {_joined(parts)}; every call was retried successfully "
            f"({calls.requests:,} requests)."
        )
    else:
        message = f"The LLM endpoint answered every one of {calls.requests:,} requests without a retry."
    if calls.reasks:
        replies = _plural(calls.reasks, "reply was", "replies were")
        message += f" {calls.reasks:,} unreadable judge {replies} asked again."
    follow_up = "Monitor the endpoint before relying on it in CI." if parts else None
    yield Observation(kind="retries", message=message, follow_up=follow_up)


def _unscored(r: GateResult) -> Iterator[Observation]:
    rel = r.reliability
    if not rel.unscored:
        return
    over = rel.judgements and rel.unscored / rel.judgements > rel.max_unscored
    yield Observation(
        kind="unscored",
        message=(
            f"{rel.unscored:,} of {rel.judgements:,} judgements unscored "
            f"({fmt.share(rel.unscored, rel.judgements)}; max {fmt.bound(100 * rel.max_unscored)}%)"
            + (", over the limit." if over else ".")
        ),
        follow_up="Read the raw replies under Unscored judgements: a judge off its format skews a metric.",
    )


def _cache(r: GateResult) -> Iterator[Observation]:
    calls = r.reliability.calls
    if not calls.cache_hits:
        return
    total = calls.cache_hits + calls.cache_misses
    yield Observation(
        kind="cache",
        message=(
            f"{calls.cache_hits:,} of {total:,} calls were answered from the response cache "
            "(requests identical to an earlier run's)."
        ),
    )


def unsettled(name: str, m: MetricResult) -> tuple[str, str]:
    """What an inconclusive comparison saw, and how many paired samples would settle it."""
    seen = "too few paired samples"
    if m.delta is not None:
        seen = f"{fmt.signed(name, m.delta)}, smallest detectable change {fmt.value(name, m.mde)}"
    return seen, f"about {m.settle_n:,} paired samples" if m.settle_n else "more paired samples"


def _change(name: str, m: MetricResult) -> str:
    low, high = m.delta_ci or (None, None)
    interval = f"CI {fmt.signed(name, low)} to {fmt.signed(name, high)}"
    return f"{fmt.signed(name, m.delta)} against the base ({interval}, p {fmt.p_value(m.p_value)})"


def _failure(kind: str, count: int) -> str:
    times = _COUNTS.get(count, f"{count:,} times")
    if kind.isdigit():
        return f"returned {kind} {times}"
    described = {
        "timeout": "timed out",
        "reset": "dropped the connection",
        "connect": "refused the connection",
    }
    return f"{described.get(kind, f'failed with {kind}')} {times}"


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _plural(count: int, one: str, many: str | None = None) -> str:
    return one if count == 1 else many or one + "s"


_WRITERS: list[Callable[[GateResult], Iterator[Observation]]] = [
    _regressed,
    _improved,
    _inconclusive,
    _between_bounds,
    _modes_disagree,
    _low_agreement,
    _trend,
    _sample_churn,
    _policy_changed,
    _retries,
    _unscored,
    _cache,
]
