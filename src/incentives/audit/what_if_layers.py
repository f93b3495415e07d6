"""What a what-if run changed, in words: the layers its manifest records (docs/what-if.md),
one line per change, as the report's banner, `diff` and payroll's control report print them."""

from __future__ import annotations

import json

from incentives.errors import shorten

__all__ = ["what_if_lines"]


def what_if_lines(layers: object) -> list[str]:
    """Each change of a manifest's what-if layers (docs/what-if.md) as one line, as the
    report's banner, `diff` and payroll's control report print them: an override as ``policy:
    path = value (set by LAYER; policy says …)``, a scenario's input change as ``LAYER:
    inputs where …: rating +1 step, … (20 employee(s) changed, 4 clamped)``; the layer of the
    policy files as written is no change and has no line; a layer of another shape is its
    JSON, shortened."""
    lines = []
    for layer in layers if isinstance(layers, list) else [layers]:
        if not isinstance(layer, dict) or not ({"overrides", "inputs"} & layer.keys()):
            if not (isinstance(layer, dict) and layer.get("layer") == "policy files"):
                lines.append(shorten(json.dumps(layer, ensure_ascii=False, sort_keys=True), 300))
            continue
        name = layer.get("layer")
        for edit in layer.get("overrides") or []:
            says = edit.get("policy_says")
            said = "not in the policy" if says is None else f"policy says {says}"
            lines.append(
                f"{edit.get('policy')}: {edit.get('path')} = {edit.get('value')} "
                f"(set by {name}; {said})"
            )
        for change in layer.get("inputs") or []:
            what = ", ".join(f"{k} {v}" for k, v in (change.get("changes") or {}).items())
            lines.append(
                f"{name}: inputs where {change.get('where')}: {what} "
                f"({change.get('employees_changed')} employee(s) changed, "
                f"{change.get('employees_clamped')} clamped to their bounds)"
            )
    return lines
