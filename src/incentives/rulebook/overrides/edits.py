"""An override resolved: the `Edit` of a policy file's data, and what resolving shares.

An `Edit` is a place in a policy file's data (``("tables", "target_pct", "values", 3)``) and
what to put there, exactly as a copy of the rules folder with that one line changed would hold
it; `Target` is a path's first name found in one policy, with the rest of the path.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from incentives.errors import OverrideError, shorten
from incentives.rulebook.language.values import check_number, parse_number
from incentives.rulebook.overrides.grammar import Segment
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = [
    "Edit",
    "Target",
    "at_path",
    "hint",
    "listed",
    "no_bracket",
    "no_more",
    "number_text",
    "pair",
    "text_of",
]


@attrs.frozen
class Edit:
    """One override, resolved: the policy, the place in its data, the value put there."""

    policy: str
    path: str  # canonical: target_pct[level=4]
    name: str  # the parameter, result, table, curve, tier, pool or budget it changes
    data_path: tuple[str | int, ...]
    value: Any  # plain data, as a policy file holds it
    shown: str  # the value as written
    figure: tuple[str, str, str] | None = None  # (result, unit or "", field): pinned
    policy_says: str | None = None  # the value the policy file gives (None: it gives none)

    def describe(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "path": self.path,
            "name": self.name,
            "value": self.shown,
            "policy_says": self.policy_says,
        }


def text_of(value: Any) -> str:
    """A plain-data value as a person wrote it: ``2``, ``150%``, ``[105%, 110%]``."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(text_of(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {text_of(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def at_path(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        in_list = (
            isinstance(part, int) and isinstance(data, list) and -len(data) <= part < len(data)
        )
        if not in_list and not (isinstance(part, str) and isinstance(data, dict) and part in data):
            return None
        data = data[part]
    return data


def hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def listed(known: Iterable[object]) -> str:
    names = [str(k) for k in known]
    return ", ".join(names[:20]) + (", …" if len(names) > 20 else "") if names else "none"


def number_text(value: Any, what: str) -> Any:
    """``value`` as a policy file would hold a number: its text (``150%``, ``1.10``) or a
    `Decimal`/int; anything else an `OverrideError` saying ``what`` wants a number."""
    if isinstance(value, float):
        raise OverrideError(
            f"{what}: {value!r} is a binary float (it is really {Decimal(value):.25}…); "
            f"pass a string ('{value!r}') or a Decimal"
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise OverrideError(f"{what}: {value} is not a finite number")
    try:
        number = parse_number(value)
        if not isinstance(value, str):
            check_number(number, str(value))
    except ValueError as exc:
        raise OverrideError(f"{what}: {shorten(exc, 300)}") from None
    return value.strip() if isinstance(value, str) else value


def pair(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise OverrideError(
            f"{what}: '{shorten(text_of(value))}' is not a point; write it [x, y], e.g. "
            "'[105%, 110%]'"
        )
    return [number_text(v, what) for v in value]


@attrs.frozen
class Target:
    policy: CompiledPolicy
    section: str
    name: str
    head: Segment
    rest: tuple[Segment, ...]
    where: str


def no_more(t: Target, segments: Sequence[Segment], form: str) -> None:
    if segments:
        raise OverrideError(f"{t.where}: '{segments[0]}' is not part of {form}; write {form}")


def no_bracket(t: Target, seg: Segment, form: str) -> None:
    if seg.keys or seg.position is not None:
        raise OverrideError(f"{t.where}: '{seg}' takes no [...]; write {form}")
