"""What a simulation reads of each employee's outcomes: per policy outcome its pay (by
component and by pay code and currency) and its payout as % of target; the per-employee facts
a taker (a summary by group) is given."""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import attrs

from incentives.engine.outcome import EmployeeOutcome
from incentives.engine.passes import Item
from incentives.money import EXACT_CONTEXT

__all__ = [
    "EmployeeFacts",
    "FactsTaker",
    "Pay",
    "PolicyFacts",
    "PolicyPay",
    "aligned",
    "by_code",
    "changes_header",
    "pct_of_target",
    "policy_facts",
]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_POINT = Decimal("0.01")
_ADD = EXACT_CONTEXT.add
# a % of target: exact but for the division, rounded once to 0.01 points
_PCT_CONTEXT = EXACT_CONTEXT.copy()
_PCT_CONTEXT.traps[decimal.Inexact] = False

# (policy id, component) → (pay code, currency, amount); None: rejected under that calculation
Pay = dict[tuple[str, str], tuple[str, str, Decimal]] | None


@attrs.frozen
class PolicyPay:
    """What a policy pays, as the tally reads it from a trace: (component, pay code, slot) for
    every component and split part, the slots of the components' totals, the target's slot."""

    slots: tuple[tuple[str, str, int], ...]
    total_slots: tuple[int, ...]
    target_slot: int | None
    codes_unique: bool = attrs.field(init=False)  # one component per pay code

    def __attrs_post_init__(self) -> None:
        unique = len({code for _, code, _ in self.slots}) == len(self.slots)
        object.__setattr__(self, "codes_unique", unique)


@attrs.frozen
class EmployeeFacts:
    """One employee under every calculation (index 0 the baseline): what a row gives."""

    employee_id: str
    cells: Mapping[str, object]
    pay: tuple[Pay, ...]
    # per calculation: (policy id, payout % of target at 0.01 points) for each eligible
    # employee of a policy with a positive target
    pct_of_target: tuple[tuple[tuple[str, Decimal], ...], ...]
    # per calculation, the engine's item itself (an `EmployeeOutcome`, whose policy outcomes
    # hold each step's value; a `Rejection`): a taker reads what it needs, keeps none of it
    outcomes: tuple[Item, ...] = ()


def changes_header(names: Sequence[str]) -> list[str]:
    """changes.csv's columns: the employee, component and baseline, then each scenario's
    amount and delta."""
    head = ["employee_id", "policy", "component", "pay_code", "currency", "baseline"]
    for name in names:
        head += [name, f"{name}_delta"]
    return head


class FactsTaker(Protocol):
    """Takes each employee's facts in one share (made per share, returned to the parent
    with the share's tally, so it must pickle): a summary by group, say. A taker with a
    class attribute ``needs_pay = False`` reads ``outcomes`` only: it is given ``pay`` and
    ``pct_of_target`` empty, and the tally keeps its fast path."""

    def take(self, facts: EmployeeFacts) -> None: ...


class PolicyFacts(NamedTuple):
    """One policy outcome's figures: per (pay code, currency) its amount, each component
    (name, pay code, currency, amount), how many are non-zero, (policy, % of target)."""

    codes: tuple[tuple[tuple[str, str], Decimal], ...]
    comps: tuple[tuple[str, str, str, Decimal], ...]
    nonzero: int
    pct: tuple[str, Decimal] | None


def aligned(outs: Sequence[Item]) -> bool:
    """Whether every calculation computed the employee under the same policies."""
    base = outs[0]
    if not isinstance(base, EmployeeOutcome):
        return False
    ids = [po.policy.id for po in base.outcomes]
    for out in outs[1:]:
        if out is base:
            continue
        if not isinstance(out, EmployeeOutcome) or len(out.outcomes) != len(ids):
            return False
        if any(po.policy.id != pid for po, pid in zip(out.outcomes, ids, strict=True)):
            return False
    return True


def policy_facts(po: Any, read: PolicyPay, made: dict[int, PolicyFacts]) -> PolicyFacts:
    """A policy outcome's figures (`PolicyFacts`), worked out once per outcome in a row."""
    found = made.get(id(po))
    if found is not None:
        return found
    trace, currency = po.trace, po.currency
    comps = tuple([(name, code, currency, trace[slot]) for name, code, slot in read.slots])
    if read.codes_unique:  # one component per pay code: the codes' amounts are the components'
        codes = tuple([((c[1], currency), c[3]) for c in comps])
    else:
        sums: dict[tuple[str, str], Decimal] = {}
        for _, code, _, amount in comps:
            key = (code, currency)
            sums[key] = _ADD(sums.get(key, _ZERO), amount)
        codes = tuple(sums.items())
    pct = pct_of_target(po, read)
    found = made[id(po)] = PolicyFacts(
        codes,
        comps,
        sum([1 for c in comps if c[3]]),
        None if pct is None else (po.policy.id, pct),
    )
    return found


def pct_of_target(po: Any, read: PolicyPay) -> Decimal | None:
    """Payout (the components' totals) as % of the target step, 0.01 points, half up; None
    when not eligible or without a positive target."""
    if read.target_slot is None or not po.eligible:
        return None
    trace = po.trace
    target = trace[read.target_slot]
    if not isinstance(target, Decimal) or target <= 0:
        return None
    ctx = _PCT_CONTEXT
    paid = sum((trace[s] for s in read.total_slots), _ZERO)
    return ctx.divide(ctx.multiply(paid, _HUNDRED), target).quantize(
        _POINT, rounding=decimal.ROUND_HALF_UP, context=ctx
    )


def by_code(pay: Pay) -> dict[tuple[str, str], Decimal] | None:
    """An employee's pay per (pay code, currency): components sharing a code add up."""
    if pay is None:
        return None
    codes: dict[tuple[str, str], Decimal] = {}
    for code, currency, amount in pay.values():
        key = (code, currency)
        codes[key] = _ADD(codes.get(key, _ZERO), amount)
    return codes
