"""What the passes over the roster collect for pools and budgets, and check afterwards.

The first pass (or a pool pass) collects each pool's members per group, with what gives the
group's funding; `merge_pools` joins the shares of the workers. The last pass adds each
employee's payroll and spend to their budget group (`count_budgets`) and notes a member whose
funding differs from the one its pool was solved with (`check_funding`).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from incentives.engine.outcome import Summary
from incentives.engine.pools import Member
from incentives.errors import PolicyError, Problem
from incentives.money import EXACT_CONTEXT, add_exact
from incentives.rulebook.runtime.allocation_defs import BudgetDef, PoolDef
from incentives.rulebook.runtime.policy import BoundPolicy, CompiledPolicy

__all__ = [
    "BudgetSlots",
    "Claims",
    "FundingOf",
    "PoolPartials",
    "budget_slots",
    "check_funding",
    "count_budgets",
    "funding_checks",
    "merge_pools",
    "one_funding",
]

_ZERO = Decimal(0)
_EXACT_ADD = EXACT_CONTEXT.add

# (policy, pool) → group → the group's claims (`Claims`)
PoolPartials = dict[tuple[str, str], dict[object, "Claims"]]
FundingOf = Callable[[int, PoolDef, object, dict[Any, Any]], Decimal]


class Claims:
    """The members a pass collected in one group of one pool, as three columns: their ids,
    awards and own caps (None without), the numbers as text (a `Decimal`'s text gives it back
    exactly, and a list of texts pickles for the parent of the workers many times faster than
    one of `Decimal`s or of a tuple per member); and what gives the group's funding
    (``found``: {funding: the lowest employee_id that gave it} from a pool pass, or
    {None: (employee_id, values, item, segments)} of the member with the lowest id from the
    first pass)."""

    __slots__ = ("awards", "caps", "found", "ids")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.awards: list[str] = []
        self.caps: list[str | None] = []
        self.found: dict[Any, Any] = {}

    def add(self, employee_id: str, award: Decimal, cap: Decimal | None) -> None:
        self.ids.append(employee_id)
        self.awards.append(str(award))
        self.caps.append(None if cap is None else str(cap))

    def members(self) -> Iterator[Member]:
        """Each member (id, award, cap) as `solve_pool` takes it, the decimals collected."""
        return zip(self.ids, map(Decimal, self.awards), map(_cap, self.caps), strict=True)

    def __getstate__(self) -> tuple[Any, ...]:
        return self.ids, self.awards, self.caps, self.found

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.ids, self.awards, self.caps, self.found = state


def _cap(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def merge_pools(partials: Iterable[PoolPartials]) -> PoolPartials:
    """Pool partials of shares merged: members concatenated, the lowest employee_id kept."""
    merged: PoolPartials = {}
    for part in partials:
        for pool_key, groups in part.items():
            target = merged.setdefault(pool_key, {})
            for key, claims in groups.items():
                acc = target.get(key)
                if acc is None:
                    acc = target[key] = Claims()
                acc.ids += claims.ids
                acc.awards += claims.awards
                acc.caps += claims.caps
                for what, given in claims.found.items():
                    seen = acc.found.get(what)
                    if seen is None or _lowest(given) < _lowest(seen):
                        acc.found[what] = given
    return merged


def _lowest(given: Any) -> str:
    return given if isinstance(given, str) else str(given[0])


def funding_checks(policy: CompiledPolicy) -> tuple[tuple[str, int | None, int, int], ...]:
    slots = policy.slots
    index = {(slot.kind, slot.name): i for i, slot in enumerate(slots)}
    return tuple(
        (
            pool.name,
            index[("input", pool.by)] if pool.by else None,
            funding_slot,
            index[("step", f"{pool.name}_award")],
        )
        for pool, funding_slot in zip(policy.pools, policy.funding_slots, strict=True)
    )


def check_funding(
    s: Summary,
    policy_id: str,
    fundings: tuple[dict[str, dict[object, Any]], tuple[tuple[str, int | None, int, int], ...]],
    trace: tuple[Any, ...],
    employee_id: str,
) -> None:
    states, checks = fundings
    for name, by_slot, funding_slot, award_slot in checks:
        if trace[award_slot] is None:
            continue  # not a member (or not eligible)
        key = None if by_slot is None else trace[by_slot]
        value = trace[funding_slot]
        if value != states[name][key].funding:
            conflict = (policy_id, name, key)
            seen = s.pool_conflicts.get(conflict)
            if seen is None or employee_id < seen[0]:
                s.pool_conflicts[conflict] = (employee_id, value)


# a budget as the last pass counts it: (name, payroll slot, included slot, group slot, spend slot)
BudgetSlots = tuple[str, int, "int | None", "int | None", int]


def budget_slots(budgets: Iterable[BudgetDef]) -> tuple[BudgetSlots, ...]:
    """What `count_budgets` reads of each budget, as plain tuples (looked up once per run)."""
    return tuple(
        (b.name, b.payroll_slot, b.included_slot, b.by_slot, b.spend_slot) for b in budgets
    )


def count_budgets(
    s: Summary,
    policy_id: str,
    budgets: tuple[BudgetSlots, ...],
    trace: tuple[Any, ...],
    currency: str,
) -> None:
    """Add an employee's payroll and spend to each budget's group that includes them."""
    sums = s.budgets
    for name, payroll_slot, included_slot, by_slot, spend_slot in budgets:
        payroll = trace[payroll_slot]
        if payroll is None or (included_slot is not None and not trace[included_slot]):
            continue  # not eligible, or not included by the budget
        key = (policy_id, name, None if by_slot is None else trace[by_slot], currency)
        acc = sums.get(key)
        if acc is None:
            acc = sums[key] = [0, _ZERO, _ZERO]
        spend = trace[spend_slot]
        try:  # `add_exact` inline (two calls less per budget and employee)
            paid, spent = _EXACT_ADD(acc[1], payroll), _EXACT_ADD(acc[2], spend)
        except decimal.Inexact:
            add_exact(acc[1], payroll)  # raises, saying why
            add_exact(acc[2], spend)
            raise
        acc[0] += 1
        acc[1] = paid
        acc[2] = spent


def one_funding(
    bound: BoundPolicy, _index: int, pool: PoolDef, key: object, fundings: dict[Decimal, str]
) -> Decimal:
    """The funding every member of a group gave; members that disagree are a policy fault."""
    if len(fundings) == 1:
        return next(iter(fundings))
    shown = ", ".join(
        f"{eid} gives {value}" for value, eid in sorted(fundings.items(), key=lambda kv: kv[1])[:3]
    )
    group = "" if key is None else f" for {pool.by} '{key}'"
    raise PolicyError(
        [
            Problem(
                bound.policy.file,
                pool.line,
                f"pools.{pool.name}.funding",
                f"the funding differs between members of the pool{group} ({shown})",
                "the funding formula may read only what is the same for the whole group: "
                "group totals, parameters, plan results, the group's own input",
            )
        ]
    )
