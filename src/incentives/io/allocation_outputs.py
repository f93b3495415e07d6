"""budgets.csv and pools.csv: one row per group of each budget and pool of a run."""

from __future__ import annotations

from decimal import Decimal

from incentives.engine.allocation_report import BudgetLine, PoolLine
from incentives.io.writers import format_cell

__all__ = ["BUDGETS_HEADER", "POOLS_HEADER", "budget_row", "pool_row"]

_ONE = Decimal(1)

BUDGETS_HEADER = (
    "policy", "budget", "group", "currency", "employees", "eligible_payroll", "basis", "amount",
    "spend", "difference", "used_pct", "status", "rates",
)  # fmt: skip
POOLS_HEADER = (
    "policy", "pool", "group", "currency", "members", "funding", "pool_amount", "awards_before_scaling",
    "awards_after_caps", "factor", "scaling", "remainder_units", "allocated", "unspent",
)  # fmt: skip


def budget_row(line: BudgetLine) -> list[str]:
    status = ("over" if line.severity == "warning" else "over (error)") if line.over else "within"
    if line.amount is None:
        status = "no budget declared"
    cells: tuple[object, ...] = (
        line.policy, line.budget, line.group, line.currency, line.employees, line.payroll,
        line.basis, line.amount, line.spend, line.difference, line.used_pct, status, line.rates,
    )  # fmt: skip
    return [format_cell(cell) for cell in cells]


def pool_row(line: PoolLine) -> list[str]:
    cells: tuple[object, ...] = (
        line.policy, line.pool, line.group, line.currency, line.members, _exact(line.funding),
        line.pool_amount, _exact(line.awards_before), _exact(line.awards_capped), line.factor,
        line.scaling,
        line.remainder_units, line.allocated, line.unspent,
    )  # fmt: skip
    return [format_cell(cell) for cell in cells]


def _exact(value: Decimal) -> Decimal:
    """An exact sum without the trailing zeros of its operands (466765.251752000 → 466765.251752)."""
    return value.normalize() if value != value.to_integral_value() else value.quantize(_ONE)
