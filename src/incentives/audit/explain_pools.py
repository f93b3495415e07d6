"""Explaining pool and budget steps: the member's factor, remainder share and the pool's totals.

The pool steps of a member (``<pool>_pool``, ``_factor``, ``_scaled``, ``_remainder``,
``_award``) are read from the pool's allocation, not from a formula; their derivations are
written here from the member's breakdown values and the pool's figures in manifest.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from incentives.display import format_recorded

__all__ = ["POOL_ROLES", "budget_blocks", "pool_blocks", "pool_step"]

POOL_ROLES = ("pool", "factor", "scaled", "remainder", "award")


def _num(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def _money(value: object) -> str:
    number = _num(value)
    return str(value) if number is None else f"{number:,.2f}"


def _group(spec: Mapping[str, Any], row: Mapping[str, str]) -> str:
    by = spec.get("by")
    return str(row.get(by, "")) if by else ""


def _figures(
    manifest: Mapping[str, Any], policy_id: str, name: str, group: str, section: str
) -> list[Mapping[str, Any]]:
    key = "pool" if section == "pools" else "budget"
    return [
        line
        for line in manifest.get(section, [])
        if line.get("policy") == policy_id and line.get(key) == name and line.get("group") == group
    ]


def pool_step(name: str, spec: Mapping[str, Any], row: Mapping[str, str], shown: str) -> str | None:
    """The derivation of a pool step of ``spec`` (the policy's), or None for any other step."""
    for pool, p in spec.get("pools", {}).items():
        role = name.removeprefix(f"{pool}_") if name.startswith(f"{pool}_") else None
        if role not in POOL_ROLES:
            continue
        unit = p.get("round", "minor_unit")
        unit_text = "the currency's minor unit" if unit == "minor_unit" else str(unit)
        cell = row.get
        if role == "pool":
            return (
                f"{name} = max(0, {pool}_funding) rounded down to {unit_text} = "
                f"max(0, {_cell(cell(f'{pool}_funding'))}) = {shown}"
            )
        if role == "factor":
            return f"{name} = the one factor that fits the pool's awards to the pool = {shown}"
        if role == "scaled":
            award = _cell(cell(f"{pool}_award_in", ""))
            factor = _cell(cell(f"{pool}_factor", ""))
            caps = []
            if p.get("cap_share") is not None:
                caps.append(f"{_pct(p['cap_share'])} of the pool")
            if p.get("cap") is not None:
                caps.append(f"{pool}_cap {_cell(cell(f'{pool}_cap', ''))}")
            if caps:
                return (
                    f"{name} = min(cap: {' and '.join(caps)}, factor × award) = "
                    f"min(cap, {factor} × {award}) = {shown}"
                )
            return f"{name} = factor × award = {factor} × {award} = {shown}"
        if role == "remainder":
            return (
                f"{name} = {shown}: when the pool is spent exactly, the awards are rounded down "
                f"and the difference is handed out one unit ({unit_text}) at a time to the "
                "largest remainders, ties by employee_id; otherwise each award is rounded half "
                "up and nothing is handed out"
            )
        return (
            f"{name} = {pool}_scaled rounded to {unit_text} (down when the pool is spent "
            f"exactly, else half up) + {pool}_remainder = {_cell(cell(f'{pool}_scaled', ''))} → {shown}"
        )
    return None


def _pct(value: object) -> str:
    number = _num(value)
    return str(value) if number is None else f"{(number * 100).normalize():f}%"


def pool_blocks(
    spec: Mapping[str, Any], row: Mapping[str, str], manifest: Mapping[str, Any], policy_id: str
) -> list[dict[str, Any]]:
    """The totals of each pool the employee is a member of (from manifest.json)."""
    blocks = []
    places = int(spec.get("policy", {}).get("breakdown_decimals", 6))
    for pool, p in spec.get("pools", {}).items():
        member = row.get(f"{pool}_member", "true")
        if member != "true" or not row.get(f"{pool}_award"):
            continue
        group = _group(p, row)
        for line in _figures(manifest, policy_id, pool, group, "pools"):
            cur = line.get("currency", "")
            where = f" {p.get('by')} = {group}" if group else ""
            text = (
                f"pool {pool}{where}: funding {_recorded(line.get('funding'), places)} → pool "
                f"{cur} {_cell(line.get('pool_amount'))}; {line.get('members')} members' awards "
                f"{_recorded(line.get('awards_before'), places)} (after caps "
                f"{_recorded(line.get('awards_capped'), places)}); factor "
                f"{_recorded(line.get('factor'), places)} ({line.get('scaling')}); "
                f"{line.get('remainder_units')} remainder unit(s); allocated "
                f"{_cell(line.get('allocated'))}, unspent {_cell(line.get('unspent'))}"
            )
            blocks.append({"pool": pool, "group": group, "figures": dict(line), "text": text})
    return blocks


def _recorded(value: object, places: int) -> str:
    """An unrounded pool figure (funding, awards, factor) as the breakdown records such values:
    at ``breakdown_decimals``, no trailing zeros, grouped (exact in the manifest)."""
    number = _num(value)
    if number is None:
        return str(value)
    if -number.as_tuple().exponent > places:  # type: ignore[operator]
        number = number.quantize(Decimal(1).scaleb(-places))
    return format_recorded(number.normalize() if number else Decimal(0))


def budget_blocks(
    spec: Mapping[str, Any], row: Mapping[str, str], manifest: Mapping[str, Any], policy_id: str
) -> list[dict[str, Any]]:
    """The budget of each group the employee counts in (from manifest.json)."""
    blocks = []
    for budget, b in spec.get("budgets", {}).items():
        if not row.get(f"{budget}_payroll") or row.get(f"{budget}_included", "true") != "true":
            continue
        group = _group(b, row)
        for line in _figures(manifest, policy_id, budget, group, "budgets"):
            cur = line.get("currency", "")
            where = f" {b.get('by')} = {group}" if group else ""
            status = "OVER" if line.get("over") else "within"
            text = (
                f"budget {budget}{where}: {cur} {_money(line.get('amount'))} "
                f"({line.get('basis')}), spend {_money(line.get('spend'))}, difference "
                f"{_money(line.get('difference'))}, {_used(line.get('used_pct'))} used: {status}; "
                f"this employee: payroll {_cell(row.get(f'{budget}_payroll'))}, "
                f"spend {_cell(row.get(f'{budget}_spend'))}"
            )
            blocks.append({"budget": budget, "group": group, "figures": dict(line), "text": text})
    return blocks


def _cell(text: object) -> str:
    """A breakdown cell as recorded, grouped for a person: ``42000`` → ``42,000``."""
    number = _num(text)
    return str(text or "") if number is None else format_recorded(number)


def _used(value: object) -> str:
    """A budget's share used (a fraction in budgets.csv and the manifest) as a percent."""
    number = _num(value)
    return "-" if number is None else format_recorded(number, "percent")
