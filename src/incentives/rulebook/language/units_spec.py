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
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from incentives.rulebook.language.values import Num, Text

__all__ = ["UNIT_NAME", "ConvertSpec", "check_units", "units_round"]

UNIT_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class ConvertSpec(BaseModel):
    """A money pay component paid in units instead (``convert:``): its rounded amount ÷ the
    price of one unit, counted down to ``step`` (whole shares); what the units did not buy is
    paid in cash under the component's own pay code, or forfeited."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    name: Text  # the pay component in units (a column of results.csv)
    unit: Text
    price: Text  # formula: the price of one unit, money in the pay currency
    pay_code: Text
    remainder: Literal["cash", "forfeit"] = "cash"
    step: Num = Decimal(1)  # units are counted down to a multiple of this (1: whole units)
    description: Text = ""

    @model_validator(mode="after")
    def _checked(self) -> ConvertSpec:
        _unit_name(self.unit)
        if self.step <= 0:
            raise ValueError(f"a conversion counts units by a step above 0 (1), not {self.step}")
        return self


def _unit_name(unit: str) -> None:
    if not UNIT_NAME.match(unit):
        raise ValueError(
            f"unit '{unit}' must be a lower-case name (shares, units, points): an upper-case "
            "code reads as a currency"
        )


class _UnitComponent(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def split(self) -> list[Any]: ...
    @property
    def round(self) -> Any: ...
    @property
    def convert(self) -> ConvertSpec | None: ...


def units_round(data: Any) -> Any:
    """A component in units without ``round:`` rounds down to whole units."""
    if isinstance(data, dict) and data.get("unit") is not None and "round" not in data:
        return {**data, "round": {"step": "1", "mode": "down"}}
    return data


_T = TypeVar("_T", bound=_UnitComponent)


def check_units(component: _T) -> _T:
    """A unit is a lower-case name; units are counted, not split or rounded to a currency."""
    unit = component.unit
    if component.convert is not None and (unit is not None or component.split):
        raise ValueError(
            f"pay component '{component.name}' is converted into {component.convert.unit}: it "
            "is money (no 'unit') and takes no split (split it in a step before)"
        )
    if unit is None:
        return component
    _unit_name(unit)
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
