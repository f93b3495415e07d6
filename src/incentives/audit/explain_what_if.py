"""Where a what-if override was used, for `explain`: ``max_multiple = 150% (set by --set;
policy says 2)`` under the policy's header and under each step and plan result that reads the
overridden value. Read from the manifest's layers (docs/what-if.md); a run of the policies
as written has none and shows nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["annotate_what_if"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL = re.compile(r"\[([^\]]*)\]")  # a table cell's keys: target_pct[level=4]
_KEY = re.compile(r"\[\w+=([^,\]]+)\]")  # a result's unit: operating_margin.actual[unit=Sales]


def _notes(manifest: Mapping[str, Any], policy_id: str) -> dict[str, dict[str, str]]:
    """Each overridden path of the policy → (name, text), the last layer's value winning."""
    found: dict[str, dict[str, str]] = {}
    for layer in manifest.get("layers", []) if manifest.get("what_if") else []:
        for edit in layer.get("overrides", []):
            if edit.get("policy") != policy_id:
                continue
            says = edit.get("policy_says")
            said = "not in the policy" if says is None else f"policy says {says}"
            key = _KEY.search(str(edit.get("path")))
            found[str(edit.get("path"))] = {
                "name": str(edit.get("name")),
                "unit": key.group(1) if key else "",
                "text": f"{edit.get('path')} = {edit.get('value')} (set by {layer.get('layer')}; {said})",
            }
    return found


def _uses(words: set[str], name: str) -> bool:
    return name in words or any(w.startswith(name + "_") for w in words)


def _cell_read(path: str, name: str, calls: list[str], spec: Mapping[str, Any]) -> bool:
    """Whether a step read the overridden cell of a table: one of its calls of the table
    names every exact key of the path (``target_pct(level=4)``); True for other overrides."""
    table = spec.get("tables", {}).get(name)
    bracket = _CELL.search(path)
    if table is None or bracket is None:
        return True
    exact = {a.get("name") for a in table.get("axes", []) if a.get("match") == "exact"}
    keys = [k.strip() for k in bracket.group(1).split(",") if k.split("=")[0].strip() in exact]
    field = path[bracket.end() :].lstrip(".")  # a named value: salary_range_max(...)
    callee = f"{name}_{field}(" if field else f"{name}("
    return any(
        text.startswith(callee) and all(k in text for k in keys)
        for text in (c.replace(", ", ",") for c in calls)
    )


def annotate_what_if(
    data: dict[str, Any], manifest: Mapping[str, Any], spec: Mapping[str, Any]
) -> None:
    """Add ``what_if`` lines to a policy's explanation data, its steps and plan results."""
    notes = _notes(manifest, str(data.get("id")))
    changed = [
        f"inputs of employees where {rule.get('where') or 'everyone'}: "
        + ", ".join(f"{k} {v}" for k, v in rule.get("changes", {}).items())
        + f" (set by {layer.get('layer')}; the inputs shown are as changed)"
        for layer in (manifest.get("layers", []) if manifest.get("what_if") else [])
        for rule in layer.get("inputs", [])
    ]
    if not notes and not changed:
        return
    data["what_if"] = [note["text"] for note in notes.values()] + changed
    cards = spec.get("scorecards", {})
    for step in data.get("steps", []):
        words = set(_NAME.findall(str(step.get("formula") or step.get("derivation", ""))))
        words.add(str(step.get("name")))
        curve = cards.get(step.get("name"), {}).get("curve")
        if curve:
            words.add(str(curve))
        calls = [str(call.get("explain", "")) for call in step.get("calls", [])]
        used = [
            n["text"]
            for path, n in notes.items()
            if _uses(words, n["name"]) and _cell_read(path, n["name"], calls, spec)
        ]
        if used:
            step["what_if"] = used
    for result in data.get("plan_results", []):
        used = [
            n["text"]
            for n in notes.values()
            if n["name"] == result.get("name") and n["unit"] in ("", result.get("unit"))
        ]
        if used:
            result["what_if"] = used
