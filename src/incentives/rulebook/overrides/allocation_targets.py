"""Overrides of pools and budgets: a pool's funding, cap or members (formulas; for one group,
``funding[unit=Sales]``) or cap share, a budget's percent or amount (per group where the
policy gives one per group)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from incentives.errors import OverrideError, shorten
from incentives.rulebook.overrides.edits import (
    Edit,
    Target,
    at_path,
    hint,
    listed,
    no_bracket,
    number_text,
    text_of,
)

__all__ = ["budget_edit", "pool_edit"]

_POOL_FORMULAS = ("funding", "cap", "members")


def _formula(value: Any, what: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return text_of(value)
    raise OverrideError(f"{what}: '{shorten(text_of(value))}' is not a formula or a number")


def pool_edit(t: Target, value: Any, layer: str) -> Edit:
    fields = (*_POOL_FORMULAS, "cap_share")
    form = f"{t.name}.funding, {t.name}.cap or {t.name}.cap_share"
    no_bracket(t, t.head, form)
    if len(t.rest) != 1 or t.rest[0].position is not None:
        raise OverrideError(f"{t.where}: say what of pool '{t.name}': {form}")
    field = t.rest[0].name
    if field not in fields:
        raise OverrideError(
            f"{t.where}: pool '{t.name}' has no '{field}' to override"
            + (hint(field, fields) or f" ({', '.join(fields)})")
        )
    what = f"{t.where}: pool '{t.name}' {field}"
    shown = number_text(value, what) if field == "cap_share" else _formula(value, what)
    path = f"{t.name}.{field}"
    stored: Any = shown
    if t.rest[0].keys:
        stored, path = _for_one_group(t, field, shown)
    return Edit(t.policy.id, path, t.name, ("pools", t.name, field), stored, text_of(shown))


def _for_one_group(t: Target, field: str, formula: str) -> tuple[str, str]:
    """``funding[unit=Sales]``: the formula for that group, the policy's for the others."""
    spec = t.policy.spec.pools[t.name]
    keys = t.rest[0].keys
    if field == "cap_share" or spec.by is None or len(keys) != 1 or keys[0][0] != spec.by:
        by = f"[{spec.by}=...]" if spec.by and field != "cap_share" else ""
        raise OverrideError(
            f"{t.where}: pool '{t.name}' {field} takes no such key; write {t.name}.{field}{by}"
            + (hint(keys[0][0], [str(spec.by)]) if by and keys else "")
        )
    group = keys[0][1]
    field_spec = t.policy.spec.inputs.get(spec.by)
    allowed = [str(a) for a in (field_spec.allowed or [])] if field_spec else []
    if allowed and group not in allowed:
        raise OverrideError(
            f"{t.where}: pool '{t.name}' has no {spec.by} '{shorten(group)}'"
            + (hint(group, allowed) or f" ({listed(allowed)})")
        )
    original = at_path(
        t.policy.document.data if t.policy.document else {}, ("pools", t.name, field)
    )
    if not isinstance(original, str):
        raise OverrideError(
            f"{t.where}: pool '{t.name}' has no {field} to keep for the other groups; "
            f"set {t.name}.{field} for every group"
        )
    if field_spec is not None and field_spec.type in ("integer", "decimal", "percent"):
        literal = text_of(number_text(group, f"{t.where}: {spec.by}"))
    elif "'" in group:
        raise OverrideError(f"{t.where}: a group name holding ' cannot be written in a formula")
    else:
        literal = f"'{group}'"
    combined = f"({formula}) if {spec.by} == {literal} else ({original})"
    return combined, f"{t.name}.{field}[{spec.by}={group}]"


def budget_edit(t: Target, value: Any, layer: str) -> Edit:
    spec = t.policy.spec.budgets[t.name]
    form = f"{t.name}.percent or {t.name}.amount" + (f"[{spec.by}=...]" if spec.by else "")
    no_bracket(t, t.head, form)
    if len(t.rest) != 1 or t.rest[0].position is not None:
        raise OverrideError(f"{t.where}: say what of budget '{t.name}': {form}")
    seg = t.rest[0]
    if seg.name not in ("percent", "amount"):
        raise OverrideError(
            f"{t.where}: budget '{t.name}' has no '{seg.name}' to override"
            + (hint(seg.name, ("percent", "amount")) or " (percent, amount)")
        )
    what = f"{t.where}: budget '{t.name}' {seg.name}"
    shown = number_text(value, what)
    data_path: tuple[str | int, ...] = ("budgets", t.name, seg.name)
    path = f"{t.name}.{seg.name}"
    if seg.keys:
        groups = spec.amount if isinstance(spec.amount, dict) else None
        if seg.name != "amount" or groups is None or len(seg.keys) != 1:
            raise OverrideError(
                f"{t.where}: only a budget whose amount is given per {spec.by or 'group'} takes "
                f"a key; write {t.name}.{seg.name}"
            )
        key, group = seg.keys[0]
        if key != spec.by:
            raise OverrideError(
                f"{t.where}: budget '{t.name}' is by {spec.by}; write {t.name}.amount[{spec.by}=...]"
            )
        if group not in groups:
            raise OverrideError(
                f"{t.where}: budget '{t.name}' has no amount for {spec.by} '{shorten(group)}'"
                + (hint(group, groups) or f" ({listed(groups)})")
            )
        data_path += (group,)
        path += f"[{key}={group}]"
    elif seg.name == "amount" and isinstance(spec.amount, dict):
        raise OverrideError(
            f"{t.where}: budget '{t.name}' gives an amount per {spec.by}; write {t.name}.amount[{spec.by}=...]"
        )
    return Edit(t.policy.id, path, t.name, data_path, shown, text_of(shown))
