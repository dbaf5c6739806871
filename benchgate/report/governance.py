"""The Approvals section: each role of `governance.approvers` and the review that fills it. Pure."""

from __future__ import annotations

from benchgate import neutralise as safe
from benchgate.outcome import GateResult, RoleApproval
from benchgate.report.labels import APPROVAL, STATUS


def approvals(r: GateResult) -> str:
    """A row per role in params order: state, reviewer, when and on which commit, who may fill it."""
    governance = r.policy.governance
    found = {role.role: role for role in r.approvals.roles} if r.approvals else {}
    lines = [
        "### Approvals",
        "| Role | Status | Reviewer | Submitted | Can approve |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, who in governance.approvers.items():
        role = found.get(name)
        can = ", ".join(safe.inline(entry, 60) for entry in who)
        if role is None:
            state = "— not a pull request" if r.approvals is None else APPROVAL["unverified"]
            lines.append(f"| {safe.text(name, 60)} | {state} | — | — | {can} |")
            continue
        cells = [safe.text(name, 60), _state(role), safe.inline(role.reviewer), _when(role), can]
        lines.append("| " + " | ".join(cells) + " |")
    notes = []
    if r.approvals is None:
        notes.append("_Not a pull request: no reviews were read._")
    elif r.approvals.unavailable:
        notes.append(f"_The reviews could not be read: {safe.text(r.approvals.unavailable, 200)}_")
    if governance.required:
        effect = "fails the check" if governance.on_pending == "fail" else "warns"
        notes.append(
            f"Approvals are required: until every role approves the status is {STATUS['pending']}, "
            f"which {effect} (`governance.on_pending: {governance.on_pending}`)."
        )
    else:
        notes.append("Approvals are shown, not required (`governance.required: false`).")
    return "\n".join(lines) + "\n\n" + "\n\n".join(notes)


def _state(role: RoleApproval) -> str:
    text = APPROVAL[role.state]
    if role.unverified_teams:
        text += " (team " + ", ".join(safe.inline(team, 60) for team in role.unverified_teams) + ")"
    return text


def _when(role: RoleApproval) -> str:
    if role.submitted_at is None:
        return "—"
    text = role.submitted_at.replace("T", " ")
    return text + (f" on `{role.commit[:12]}`" if role.commit else "")
