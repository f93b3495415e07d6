"""What an override path names in a policy, and the edit of the policy's data it makes.

    resolve(path, value, policies, layer=...) -> Edit

The rulebook recompiles the policy from the edited data (`Rulebook.with_overrides`). A plan
result's figure (``revenue_growth.actual``) is also pinned, so that a ``--results`` file cannot
undo it (precedence: policy file < --results < scenario < --set). Parameters and results are
resolved here; lookups in `lookup_targets`, pools and budgets in `allocation_targets`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from incentives.errors import OverrideError, shorten
from incentives.rulebook.overrides.allocation_targets import budget_edit, pool_edit
from incentives.rulebook.overrides.edits import (
    Edit,
    Target,
    at_path,
    hint,
    listed,
    no_bracket,
    no_more,
    number_text,
    text_of,
)
from incentives.rulebook.overrides.grammar import OverridePath
from incentives.rulebook.overrides.lookup_targets import curve_edit, table_edit, tier_edit
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = ["FIGURES", "SECTIONS", "resolve"]

SECTIONS = ("parameters", "results", "tables", "curves", "tiers", "pools", "budgets")
FIGURES = ("actual", "threshold", "target", "maximum", "attainment", "stated_payout")
_NOT_OVERRIDABLE = {
    "steps": "a step",
    "inputs": "a roster input (change inputs in a scenario file's 'inputs:')",
    "scorecards": "a scorecard (override its results or curve instead)",
    "rating_scales": "a rating scale",
}


def _find(path: OverridePath, policies: Sequence[CompiledPolicy]) -> Target:
    ids = [p.id for p in policies]
    chosen = list(policies)
    if path.policy is not None:
        chosen = [p for p in policies if p.id == path.policy]
        if not chosen:
            raise OverrideError(
                f"override '{shorten(path.text)}': no policy '{shorten(path.policy)}'"
                + (hint(path.policy, ids) or f" (policies: {listed(ids)})")
            )
    segments = path.segments
    section = None
    if segments[0].name in SECTIONS and len(segments) > 1 and not segments[0].keys:
        section, segments = segments[0].name, segments[1:]
    head, rest = segments[0], segments[1:]
    found: list[tuple[CompiledPolicy, str]] = []
    for policy in chosen:
        for sec in (section,) if section else SECTIONS:
            if head.name in (getattr(policy.spec, sec) or {}):
                found.append((policy, sec))
    where = f"override '{shorten(path.text)}'"
    if not found:
        for policy in chosen:
            for sec, what in _NOT_OVERRIDABLE.items():
                if head.name in (getattr(policy.spec, sec) or {}):
                    raise OverrideError(
                        f"{where}: '{head.name}' is {what} of policy '{policy.id}', which an "
                        "override cannot change; override what it reads (a parameter, table, "
                        "curve or plan result)"
                    )
        sections = (section,) if section else SECTIONS
        known = sorted({n for p in chosen for sec in sections for n in getattr(p.spec, sec) or {}})
        raise OverrideError(
            f"{where}: no parameter, result, table, curve, tier, pool or budget "
            f"'{shorten(head.name)}'" + (hint(head.name, known) or f" (names: {listed(known)})")
        )
    if len(found) > 1:
        both = ", ".join(f"{p.id}:{path}" for p, _ in found)
        raise OverrideError(
            f"{where}: '{head.name}' is in {len(found)} policies; write one of {both}"
        )
    policy, sec = found[0]
    return Target(policy, sec, head.name, head, rest, f"{where} (policy '{policy.id}')")


def resolve(
    path: OverridePath, value: Any, policies: Sequence[CompiledPolicy], *, layer: str
) -> Edit:
    """The edit ``path = value`` makes; an unknown policy, name, key or position, or a value
    of the wrong type, is an `OverrideError` with what was meant where it can tell."""
    t = _find(path, policies)
    edit: Edit = _RESOLVERS[t.section](t, value, layer)
    data = t.policy.document.data if t.policy.document is not None else {}
    says = at_path(data, edit.data_path)
    if says is None and edit.data_path[-1] == "override":  # a fixed payout: the curve's
        says = at_path(data, (*edit.data_path[:-1], "payout"))
    elif isinstance(says, dict) and "payout" in says:
        says = says["payout"]
    return attrs.evolve(edit, policy_says=None if says is None else text_of(says))


def _parameter(t: Target, value: Any, layer: str) -> Edit:
    no_bracket(t, t.head, t.name)
    no_more(t, t.rest, t.name)
    what = f"{t.where}: parameter '{t.name}'"
    shown = number_text(value, what)
    return Edit(t.policy.id, t.name, t.name, ("parameters", t.name), shown, text_of(shown))


def _result(t: Target, value: Any, layer: str) -> Edit:
    spec = t.policy.spec.results[t.name]
    fields = (*FIGURES, "payout")
    form = f"{t.name}.actual (or .{', .'.join(f for f in fields if f != 'actual')})"
    if not t.rest:
        raise OverrideError(f"{t.where}: say which figure of result '{t.name}': {form}")
    field_seg = t.rest[0]
    no_more(t, t.rest[1:], form)
    if field_seg.name not in fields:
        raise OverrideError(
            f"{t.where}: result '{t.name}' has no '{field_seg.name}'"
            + (hint(field_seg.name, fields) or f" (figures: {', '.join(fields)})")
        )
    if field_seg.position is not None or t.head.position is not None:
        raise OverrideError(
            f"{t.where}: a result takes keys ([{spec.by or 'unit'}=...]), not a position"
        )
    keys = t.head.keys + field_seg.keys
    field = field_seg.name
    path = f"{t.name}.{field}"
    unit = ""
    if keys:
        if not spec.by:
            raise OverrideError(f"{t.where}: result '{t.name}' is company-wide; drop the [...]")
        if len(keys) != 1 or keys[0][0] != spec.by:
            raise OverrideError(
                f"{t.where}: result '{t.name}' is keyed by {spec.by}: write "
                f"{t.name}.{field}[{spec.by}=...]" + hint(keys[0][0], [spec.by])
            )
        unit = keys[0][1]
        units = sorted(spec.units or {})
        if unit not in units:
            raise OverrideError(
                f"{t.where}: result '{t.name}' has no {spec.by} '{shorten(unit)}'"
                + (hint(unit, units) or f" ({spec.by}s: {listed(units)})")
            )
        path += f"[{spec.by}={unit}]"
    elif spec.by and field != "payout":
        raise OverrideError(
            f"{t.where}: result '{t.name}' is given by {spec.by}; name one, e.g. "
            f"'{t.name}.{field}[{spec.by}={min(spec.units or ['...'])}]'"
        )
    what = f"{t.where}: result '{t.name}' {field}"
    if field == "payout":
        if unit:
            raise OverrideError(
                f"{what}: a result's payout is fixed for every {spec.by} at once; write "
                f"{t.name}.payout, or set {t.name}.actual[{spec.by}={unit}]"
            )
        if isinstance(value, list | tuple):
            if len(value) != 3:
                raise OverrideError(
                    f"{what}: a payout curve is [at threshold, at target, at maximum], e.g. "
                    "'[50%, 100%, 200%]'"
                )
            shown: Any = [number_text(v, what) for v in value]
            return Edit(
                t.policy.id, path, t.name, ("results", t.name, "payout"), shown, text_of(shown)
            )
        fixed = number_text(value, what)
        reason = f"what-if: set by {layer}"
        return Edit(
            t.policy.id,
            path,
            t.name,
            ("results", t.name, "override"),
            {"payout": fixed, "reason": reason},
            text_of(fixed),
        )
    shown = number_text(value, what)
    data_path: tuple[str | int, ...] = (
        ("results", t.name, "units", unit, field) if unit else ("results", t.name, field)
    )
    return Edit(
        t.policy.id, path, t.name, data_path, shown, text_of(shown), figure=(t.name, unit, field)
    )


_RESOLVERS: Mapping[str, Any] = {
    "parameters": _parameter,
    "results": _result,
    "tables": table_edit,
    "curves": curve_edit,
    "tiers": tier_edit,
    "pools": pool_edit,
    "budgets": budget_edit,
}
