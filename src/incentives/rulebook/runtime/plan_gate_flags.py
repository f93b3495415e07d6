"""One flag per gate of a plan scorecard, read from the run's record of that scorecard.

`binding` records each plan scorecard once per run (per unit); the generated code reads the
flags (``PLAN_GATES_<card>``, see `contract`) into trace slots of kind ``gate``, in the order
`compiler.plan_gates.plan_gates` lists the gates. A gate's flag is set when it applied and
changed something: a ``cap`` only when it binds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["applied_flags"]


def applied_flags(record: Mapping[str, Any]) -> tuple[bool, ...]:
    """The flags of one unit's record of a plan scorecard, in `plan_gates` order."""
    flags: list[bool] = []
    _item_flags(record.get("items", []), flags)
    flags += [_noted(gate) for gate in record.get("gates", [])]
    return tuple(flags)


def _item_flags(items: Sequence[Mapping[str, Any]], flags: list[bool]) -> None:
    for entry in items:
        _item_flags(entry.get("items", []), flags)
        flags += [_noted(gate) for gate in entry.get("gates", [])]


def _noted(gate: Mapping[str, Any]) -> bool:
    return bool(gate["applied"]) and (gate["outcome"] != "cap" or bool(gate["bound"]))
