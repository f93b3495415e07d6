"""The "Promotion readiness" block of an explanation: each criterion with its values, and ready.

Built from the breakdown row alone: a criterion's cell (``criterion.<name>``) says whether it
passed, its gap cell what is missing, and its rule is shown with the values of the names and
rating calls it read substituted (the calls as recorded in their own columns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from incentives.audit.explain_pay import where
from incentives.audit.explain_values import PolicyValues

__all__ = ["readiness", "readiness_text"]

_INDENT = "  "


def readiness(
    pv: PolicyValues,
    slots: Sequence[Mapping[str, Any]],
    file: str,
    eligible: bool,
    reason: str,
) -> dict[str, Any] | None:
    """The readiness data of one policy outcome; None for a policy without criteria."""
    criteria = [s for s in slots if s.get("kind") == "criterion"]
    if not criteria:
        return None
    block: dict[str, Any] = {"criteria": [], "ready": pv.cell("ready") == "true"}
    if not eligible:
        block["not_evaluated"] = reason or "not eligible"
        return block
    for slot in criteria:
        owner = str(slot["name"])
        rule = str(slot.get("text", ""))
        symbolic, values = pv.substitute(rule, owner)
        passed = pv.cell(owner) == "true"
        block["criteria"].append(
            {
                "name": owner.removeprefix("criterion."),
                "passed": passed,
                "rule": symbolic,
                "values": values,
                "gap": None if passed else pv.cell(f"{owner}.gap"),
                "where": where(file, slot.get("line")),
            }
        )
    return block


def readiness_text(block: Mapping[str, Any] | None) -> list[str]:
    """The text lines of a readiness block (nothing for a policy without criteria)."""
    if block is None:
        return []
    out = ["", "Promotion readiness"]
    if "not_evaluated" in block:
        out.append(f'{_INDENT}criteria not evaluated: not eligible ("{block["not_evaluated"]}")')
    for crit in block.get("criteria", []):
        verdict = "PASS" if crit["passed"] else "FAIL"
        out.append(
            f"{_INDENT}{crit['name']}: {verdict} — {crit['rule']}  (here: {crit['values']})"
            f"  [{crit['where']}]"
        )
        if not crit["passed"]:
            out.append(f"{_INDENT * 2}gap: {crit['gap']}")
    out.append(f"{_INDENT}ready: {'yes' if block['ready'] else 'no'}")
    return out
