"""What a run needs of a policy's pools and budgets: their rules and where their values are.

Built by the compiler (`compiler.allocations`), read by the engine's passes.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from incentives.money import minor_unit, round_to

__all__ = ["BudgetDef", "PoolDef"]


@attrs.frozen
class PoolDef:
    """What the run needs to solve a pool: its rule and where its members' values are."""

    name: str
    by: str | None
    currency: str
    unit: Decimal
    cap_share: Decimal | None
    scale_up: bool
    redistribute: bool
    has_cap: bool
    has_members: bool
    line: int | None


@attrs.frozen
class BudgetDef:
    name: str
    by: str | None
    currency: str
    percent: Decimal | None
    amount: Decimal | None
    amounts: tuple[tuple[str, Decimal], ...]
    over: str
    line: int | None
    payroll_slot: int = -1
    spend_slot: int = -1
    included_slot: int | None = None
    by_slot: int | None = None

    def basis(self) -> str:
        if self.percent is not None:
            return f"{(self.percent * 100).normalize():f}% of eligible payroll"
        return "fixed amount"

    def budget_for(self, key: object, payroll: Decimal) -> Decimal | None:
        """The budget of a group, rounded to the currency's minor unit (None: none declared)."""
        if self.percent is not None:
            amount = payroll * self.percent
        elif self.amounts:
            found = dict(self.amounts).get(str(key))
            if found is None:
                return None
            amount = found
        else:
            assert self.amount is not None
            amount = self.amount
        return round_to(amount, minor_unit(self.currency))
