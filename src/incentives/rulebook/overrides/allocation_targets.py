"""Overrides of pools and budgets: a pool's funding, cap or members (formulas) or cap share, a
budget's percent or amount (per group where the policy gives one per group)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from incentives.errors import OverrideError, shorten
from incentives.rulebook.overrides.edits import (
    Edit,
    Target,
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
    if len(t.rest) != 1 or t.rest[0].keys or t.rest[0].position is not None:
        raise OverrideError(f"{t.where}: say what of pool '{t.name}': {form}")
    field = t.rest[0].name
    if field not in fields:
        raise OverrideError(
            f"{t.where}: pool '{t.name}' has no '{field}' to override"
            + (hint(field, fields) or f" ({', '.join(fields)})")
        )
    what = f"{t.where}: pool '{t.name}' {field}"
    shown = number_text(value, what) if field == "cap_share" else _formula(value, what)
    return Edit(
        t.policy.id, f"{t.name}.{field}", t.name, ("pools", t.name, field), shown, text_of(shown)
    )


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
