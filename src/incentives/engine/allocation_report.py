"""The figures of a run's budgets and pools, per group: what budgets.csv and pools.csv hold.

Budget figures are rounded to the budget currency's minor unit (half up) once per group, so
each line reconciles as printed: difference = budget − spend. Pool figures are exact: the pool
and the allocations are whole units, the allocated sum is what the members are paid.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import attrs

from incentives.engine.calculate import Calculation
from incentives.money import TOTALS_CONTEXT, add_exact, minor_unit, round_to

__all__ = ["BudgetLine", "PoolLine", "budget_lines", "pool_lines"]

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
_CENT = Decimal("0.01")
_ONE = Decimal(1)


@attrs.frozen
class BudgetLine:
    policy: str
    budget: str
    group: str  # the group's value ("" for a budget without `by`)
    currency: str
    employees: int
    payroll: Decimal
    basis: str
    amount: Decimal | None  # None: no amount declared for this group
    spend: Decimal
    difference: Decimal  # amount − spend
    used_pct: Decimal | None  # spend ÷ amount, a fraction (1.1544 = 115.44 %) at breakdown precision
    over: bool
    severity: str  # what the policy says an overrun is: warning | error
    rates: str  # the rates that converted other pay currencies, "EUR→USD 1.0929; ..."

    def describe(self) -> str:
        where = f"{self.budget}" + (f" {self.group}" if self.group else "")
        if self.amount is None:
            return f"{self.policy}: {where}: spend {self.currency} {self.spend:,.2f} and no budget declared for this group"
        return (
            f"{self.policy}: {where}: spend {self.currency} {self.spend:,.2f} is "
            f"{-self.difference:,.2f} over the budget of {self.amount:,.2f} ({self.used_text()} used)"
        )

    def used_text(self) -> str:
        """The share used, for a person: ``1.154412`` → ``115.44%`` (2 decimals, half up)."""
        if self.used_pct is None:
            return "-"
        return f"{round_to(self.used_pct * _HUNDRED, _CENT)}%"


@attrs.frozen
class PoolLine:
    policy: str
    pool: str
    group: str
    currency: str
    members: int
    funding: Decimal
    pool_amount: Decimal
    awards_before: Decimal  # Σ individual awards, before caps and scaling
    awards_capped: Decimal  # Σ after individual caps
    factor: Decimal
    scaling: str  # down | up | none
    remainder_units: int
    allocated: Decimal  # Σ allocations: what the members get
    unspent: Decimal


@attrs.define
class _Group:
    employees: int = 0
    payroll: Decimal = _ZERO
    spend: Decimal = _ZERO
    pays: set[str] = attrs.field(factory=set)


def budget_lines(calc: Calculation) -> list[BudgetLine]:
    """One line per policy, budget and group, in declaration and group order."""
    lines: list[BudgetLine] = []
    sums = calc.summary.budgets
    with decimal.localcontext(TOTALS_CONTEXT):  # the sums are exact, and may pass 28 digits
        for bound in calc.bound:
            policy = bound.policy
            for budget in policy.budgets:
                unit = minor_unit(budget.currency)
                places = policy.spec.policy.breakdown_decimals
                groups: dict[object, _Group] = {}
                for (pid, name, key, pay), (count, payroll, spend) in sums.items():
                    if pid == policy.id and name == budget.name:
                        group = groups.setdefault(key, _Group())
                        group.employees += count
                        group.payroll = add_exact(group.payroll, payroll)
                        group.spend = add_exact(group.spend, spend)
                        group.pays.add(pay)
                for label, _ in budget.amounts:  # declared groups nobody is counted in
                    if not any(str(k) == label for k in groups):
                        groups[label] = _Group()
                for key in sorted(groups, key=lambda k: (k is not None, str(k))):
                    group = groups[key]
                    payroll_r = round_to(group.payroll, unit)
                    spend_r = round_to(group.spend, unit)
                    amount = budget.budget_for(key, payroll_r)
                    difference = (_ZERO if amount is None else amount) - spend_r
                    used = _fraction(spend_r / amount, places) if amount else None
                    rate = bound.fx_rate
                    rates = "; ".join(
                        f"{pay}→{budget.currency} {rate(pay, budget.currency)}"
                        for pay in sorted(group.pays)
                        if pay != budget.currency and rate is not None
                    )
                    lines.append(
                        BudgetLine(
                            policy.id, budget.name, "" if key is None else str(key),
                            budget.currency, group.employees, payroll_r, budget.basis(), amount,
                            spend_r, difference, used, difference < 0, budget.over, rates,
                        )
                    )  # fmt: skip
    return lines


def pool_lines(calc: Calculation) -> list[PoolLine]:
    """One line per policy, pool and group."""
    return [
        PoolLine(
            bound.policy.id,
            pool.name,
            "" if key is None else str(key),
            pool.currency,
            state.members,
            _exact(state.funding),
            state.amount,
            _exact(state.sum_awards),
            _exact(state.sum_capped),
            _exact(state.factor),
            state.scaling,
            state.units,
            state.allocated,
            state.unspent,
        )
        for bound, pool, key, state in calc.pool_states()
    ]


def _fraction(value: Decimal, places: int) -> Decimal:
    """A ratio at the breakdown precision (half even, as breakdown.csv writes unrounded values),
    without trailing zeros: 0.787604800 → 0.7876048."""
    return _exact(value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN))


def _exact(value: Decimal) -> Decimal:
    """An exact value without the trailing zeros of its operands (466765.251752000 → 466765.251752);
    a whole number keeps no exponent (1E+2 → 100)."""
    return value.normalize() if value != value.to_integral_value() else value.quantize(_ONE)
