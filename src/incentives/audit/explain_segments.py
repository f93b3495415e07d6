"""Explaining a step weighted by segments from its breakdown cell (``<step>.segments``).

The cell lists each segment as ``start..end <days>d <weight>% <value> (input=value, …)``; the
explanation lists the segments with the inputs the history set in each, and the weighted sum
Σ value × days ÷ period days worked out, checked against the step's recorded value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from incentives.audit.explain_values import close_enough
from incentives.display import format_recorded, format_value
from incentives.money import ENGINE_CONTEXT

__all__ = ["explain_segments", "parse_segments"]

_SEGMENT = re.compile(r"^(\S+)\.\.(\S+) (\d+)d (\S+)% (\S+)(?: \((.*)\))?$")


def parse_segments(cell: str) -> list[dict[str, Any]]:
    """The segments of a breakdown cell, in order; an unreadable part is kept as its text."""
    found: list[dict[str, Any]] = []
    for part in cell.lstrip("'").split(" | ") if cell else []:
        match = _SEGMENT.match(part.strip())
        if match is None:
            found.append({"text": part})
            continue
        start, end, days, weight, value, changed = match.groups()
        found.append(
            {
                "start": start,
                "end": end,
                "days": int(days),
                "weight": weight + "%",
                "value": value,
                "changed": [c.strip() for c in changed.split(", ")] if changed else [],
            }
        )
    return found


def explain_segments(
    name: str,
    type_: str,
    cell: str,
    raw: object,
    places: int,
    warnings: list[str],
    earned: bool = False,
) -> dict[str, Any]:
    """The segments of step ``name`` and their weighted sum, checked against ``raw``; an
    ``earned`` step's segments are weighed by the share earned in each (days employed, or
    months), shown as recorded."""
    segments = parse_segments(cell)
    if earned:
        return _earned(name, type_, segments, raw)
    terms: list[str] = []
    total = Decimal(0)
    period_days = 0
    readable = True
    for seg in segments:
        if "start" not in seg:
            readable = False
            continue
        changed = ", ".join(seg["changed"]) or "the roster values"
        seg["text"] = (
            f"{seg['start']} to {seg['end']}: {seg['days']} days, weight {seg['weight']}, "
            f"{name} = {format_value(_number(seg['value']), type_)} with {changed}"
        )
        number = _number(seg["value"])
        if isinstance(number, Decimal):
            with localcontext(ENGINE_CONTEXT):
                total += number * seg["days"]
        else:
            readable = False
        period_days += seg["days"]
        terms.append(f"{format_value(number, type_)} × {seg['days']}")
    block: dict[str, Any] = {"segments": segments}
    if readable and period_days:
        with localcontext(ENGINE_CONTEXT):
            weighted = total / period_days  # a check: the text shows the recorded value
        shown = format_recorded(raw, type_) if isinstance(raw, Decimal) else str(weighted)
        block["sum"] = (
            f"{name} = Σ value × days ÷ period days = ({' + '.join(terms)}) ÷ {period_days} "
            f"= {shown}"
        )
        if isinstance(raw, Decimal) and not close_enough(weighted, raw, places):
            warnings.append(
                f"step {name}: the weighted sum of its segments, {weighted}, differs from the "
                f"recorded {raw}"
            )
    return block


def _earned(name: str, type_: str, segments: list[dict[str, Any]], raw: object) -> dict[str, Any]:
    """Each segment with the days employed in it and its weight, and the sum as recorded (the
    weights are exact fractions the cell shows rounded, so the sum is not recomputed)."""
    terms = []
    for seg in segments:
        if "start" not in seg:
            return {"segments": segments}
        changed = ", ".join(seg["changed"]) or "the roster values"
        value = format_value(_number(seg["value"]), type_)
        seg["text"] = (
            f"{seg['start']} to {seg['end']}: {seg['days']} days employed, weight "
            f"{seg['weight']}, {name} = {value} with {changed}"
        )
        terms.append(f"{value} × {seg['weight']}")
    shown = format_recorded(raw, type_) if isinstance(raw, Decimal) else str(raw)
    return {
        "segments": segments,
        "sum": f"{name} = Σ value × share earned = {' + '.join(terms)} = {shown}",
    }


def _number(text: str) -> object:
    try:
        return Decimal(text)
    except InvalidOperation:
        return text
