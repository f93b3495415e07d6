"""Pay components in units (shares, units, points) instead of money.

A component with ``unit: shares`` pays a count: its step is a number of units (a share
conversion ``deferred_amount / share_price``), rounded by default **down to whole units**
(``round: {step: 1, mode: down}``, so a conversion never gives a share the amount did not
buy), printed as an integer, totalled per unit in the run's summary and manifest, never
formatted as money or converted with fx. A unit is a lower-case name, so it can never be
taken for a currency code.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, TypeVar

__all__ = ["UNIT_NAME", "check_units", "units_round"]

UNIT_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class _UnitComponent(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def split(self) -> list[Any]: ...
    @property
    def round(self) -> Any: ...


def units_round(data: Any) -> Any:
    """A component in units without ``round:`` rounds down to whole units."""
    if isinstance(data, dict) and data.get("unit") is not None and "round" not in data:
        return {**data, "round": {"step": "1", "mode": "down"}}
    return data


_T = TypeVar("_T", bound=_UnitComponent)


def check_units(component: _T) -> _T:
    """A unit is a lower-case name; units are counted, not split or rounded to a currency."""
    unit = component.unit
    if unit is None:
        return component
    if not UNIT_NAME.match(unit):
        raise ValueError(
            f"unit '{unit}' must be a lower-case name (shares, units, points): an upper-case "
            "code reads as a currency"
        )
    if component.round.step == "minor_unit":
        raise ValueError(
            f"pay component '{component.name}' is paid in {unit}, which have no minor unit: "
            "round to a number step (round: {step: 1, mode: down} for whole units)"
        )
    if component.split:
        raise ValueError(
            f"pay component '{component.name}' is paid in {unit}: split the money before it "
            "is converted (a component in units takes no split)"
        )
    return component
