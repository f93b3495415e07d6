"""What pools and budgets need from a run before it starts: rules to solve with, and rates.

A budget or a pool in one currency converts every member's amounts into it (and a pool back
out of it). When the policy lists the pay currencies it accepts (``allowed:`` on its currency
input), every rate that can be needed is checked before any employee is read, so a missing
rate stops the run with one clear message instead of rejecting employee after employee.
"""

from __future__ import annotations

from collections.abc import Iterable

from incentives.engine.pools import PoolRule
from incentives.errors import OptionsError, RowError
from incentives.rulebook.runtime.allocation_defs import PoolDef
from incentives.rulebook.runtime.policy import BoundPolicy

__all__ = ["check_allocation_rates", "pool_rule"]


def pool_rule(pool: PoolDef) -> PoolRule:
    return PoolRule(
        unit=pool.unit,
        cap_share=pool.cap_share,
        scale_up=pool.scale_up,
        redistribute=pool.redistribute,
    )


def check_allocation_rates(bound: Iterable[BoundPolicy]) -> None:
    """Raise `OptionsError` naming the pool or budget, the pair and the date of a missing rate."""
    for b in bound:
        policy = b.policy
        if not (policy.pools or policy.budgets) or b.fx_rate is None:
            continue
        allowed = policy.spec.inputs[policy.currency_input].allowed
        if not allowed:
            continue  # pay currencies unknown until rows are read: a row without a rate is rejected
        pays = sorted({str(c) for c in allowed})
        needs = [
            *((f"pool '{p.name}'", p.currency, True) for p in policy.pools),
            *((f"budget '{d.name}'", d.currency, False) for d in policy.budgets),
        ]
        for what, currency, both_ways in needs:
            for pay in pays:
                if pay == currency:
                    continue
                pairs = [(pay, currency), (currency, pay)] if both_ways else [(pay, currency)]
                for frm, to in pairs:
                    try:
                        b.fx_rate(frm, to)
                    except RowError as exc:
                        raise OptionsError(
                            f"{what} of policy '{policy.id}' is in {currency} and employees may be "
                            f"paid in {pay} ({policy.currency_input} allows it): {exc.reason}; "
                            f"add the rate to the rates file (--rates)"
                        ) from None
