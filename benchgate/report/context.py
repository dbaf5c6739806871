"""What was gated, against what: metadata, the base, policy changes, how samples paired. Pure."""

from __future__ import annotations

from benchgate import formatting as fmt
from benchgate import neutralise as safe
from benchgate.outcome import GateResult
from benchgate.report.labels import details


def metadata(r: GateResult) -> str:
    m = r.meta
    dataset = f"{safe.inline(m.dataset.path)} · {m.samples:,} samples · sha256 `{m.dataset.sha256[:12]}`"
    if m.limit is not None:
        dataset += f" · first {m.limit:,} only (--limit)"
    prompt = f"{safe.inline(m.prompt_version)} · {safe.inline(m.prompt.path)} sha256 `{m.prompt.sha256[:12]}`"
    if m.base_dataset_sha256 is not None:
        dataset += " · " + (
            "unchanged since base" if m.base_dataset_sha256 == m.dataset.sha256 else "**changed since base**"
        )
        prompt += " · " + (
            "unchanged since base" if m.base_prompt_sha256 == m.prompt.sha256 else "**changed since base**"
        )
    head = f"`{r.head.sha[:12]}`" if r.head.sha else "not a git commit"
    if r.head.dirty:
        head += " + uncommitted results"
    lines = [
        "### Metadata",
        f"- **Scenario:** `{r.scenario}` · mode `{r.mode}`",
        f"- **Dataset:** {dataset}",
        f"- **Prompt version:** {prompt}",
        f"- **Candidate model:** {safe.inline(m.model)} · **Judge:** {safe.inline(m.judge)}"
        + (f" via {safe.inline(m.endpoint)}" if m.endpoint else ""),
        f"- **Base:** {_base(r)} · **Head:** {head}",
    ]
    if r.run_url:  # validated by its pattern: only a workflow run URL can get here
        lines.append(f"- **Artifacts:** [report.html, gate.json and junit.xml of this run]({r.run_url})")
    return "\n".join(lines)


def _base(r: GateResult) -> str:
    b = r.base
    rev = safe.inline(b.rev) if b.rev else "none"
    sha = f" @ `{b.sha[:12]}`" if b.sha else ""
    notes = [] if b.found else ["no baseline"]
    if b.chosen_by == "merge-base" and b.default_branch:
        notes.append(f"merge-base with {safe.inline(b.default_branch)}")
    elif b.chosen_by == "head":
        notes.append("uncommitted results compared with the commit they sit on")
    elif b.chosen_by == "guessed":
        notes.append(
            "**guessed**: no default branch found, so the previous commit; "
            "pass `--base REV` or set `gate.base` in params.yaml"
        )
    if b.sha is not None and b.sha == r.head.sha and b.chosen_by != "head":
        notes.append("**the same commit as the head**")
    return rev + sha + (f" ({'; '.join(notes)})" if notes else "")


def policy_changes(r: GateResult) -> str:
    lines = [
        "### Gate policy changed in this PR",
        "| Key | Base | Head | Effect |",
        "| --- | --- | --- | --- |",
    ]
    for change in r.policy_changes:
        effect = "**looser**" if change.effect == "looser" else change.effect
        cells = [safe.inline(change.key, 80), _setting(change.base), _setting(change.head), effect]
        lines.append("| " + " | ".join(cells) + " |")
    whose = "the base commit's" if r.policy.source == "base" else "this PR's"
    lines.append(
        f"\nThresholds and policy applied: {whose} params.yaml (`gate.policy_from: {r.policy.source}`)."
    )
    return "\n".join(lines)


def _setting(value: float | str | bool | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float):
        return fmt.bound(value)
    return safe.inline(str(value), 40)


def samples(r: GateResult) -> str:
    s = r.samples
    if not r.base.found:
        return f"### Samples\n{s.head:,} samples at head; nothing to pair with."
    counts = f"{s.paired:,} paired by id · {s.added_count:,} added · {s.removed_count:,} removed"
    return f"### Samples\n{counts} (head {s.head:,}, base {s.base:,})."


def id_lists(r: GateResult) -> str:
    s = r.samples
    parts = []
    for label, ids, count in (
        ("Added", s.added, s.added_count),
        ("Removed", s.removed, s.removed_count),
    ):
        if ids:
            more = f" and {count - len(ids):,} more" if count > len(ids) else ""
            parts.append(f"{label} ({count:,}): " + ", ".join(safe.inline(i, 60) for i in ids) + more)
    return details("Added and removed sample ids", "\n\n".join(parts))
