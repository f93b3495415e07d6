"""Pools and budgets as steps: each one becomes a few named steps of its policy.

A pool ``P`` (``pools:``) adds, in its members' breakdown:

    P_member     whether the employee is in the pool (only with ``members:``)
    P_award_in   the individual award converted into the pool's currency (fx, rate shown)
    P_cap        the member's own cap (only with ``cap:``), in the pool's currency
    P_funding    the funding formula (the same for every member of a group)
    P_pool       the pool: funding never below 0, rounded down to the pool's unit
    P_factor     the pool's scaling factor (1 when no scaling applies)
    P_scaled     min(cap, factor × award), before rounding
    P_remainder  the member's share of the rounding difference (0 or one unit)
    P_award      the scaled award rounded to the unit, plus the remainder share
    P_payout     the allocation converted back into the pay currency at the rate the award
                 came in with (the award itself for an employee who is not a member)

The first four and the last are ordinary formula steps; the five in between read the pool's
allocation, solved between the passes over the roster (`incentives.engine.pools`). A budget
``B`` (``budgets:``) adds ``B_included`` (with ``include:``), ``B_payroll`` and ``B_spend``,
both converted into the budget's currency; the run adds them up per group.

Problems in these steps are reported at the pool's or budget's own lines.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs

from incentives.money import CURRENCY_MINOR_UNITS, minor_unit
from incentives.rulebook.language.schema import (
    GateSpec,
    PolicyFile,
    StepSpec,
    ValueType,
    VariantSpec,
)
from incentives.rulebook.runtime.allocation_defs import BudgetDef, PoolDef

__all__ = [
    "Synthetic",
    "budget_defs",
    "expand",
    "pool_defs",
]

# the steps read from the pool's allocation: (role, what it shows, the roles it reads)
POOL_STATE_ROLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pool", "the pool of the group: funding, never below 0, rounded down to the unit", ()),
    ("factor", "the pool's scaling factor (1: no scaling)", ()),
    ("scaled", "min(cap, factor × award_in)", ("award_in", "cap")),
    ("remainder", "largest-remainder share of the pool's rounding difference", ("scaled", "cap")),
    ("award", "scaled rounded to the unit + remainder", ("scaled", "remainder")),
)


LineOf = Callable[[tuple[str | int, ...]], int | None]


@attrs.frozen
class Synthetic:
    """A step made from a pool or a budget: where it is written and what it is for."""

    owner: str  # the pool or budget
    section: str  # pools | budgets
    role: str
    path: tuple[str | int, ...]
    custom: bool = False  # read from the pool's allocation (generated code, no formula)
    deps: tuple[str, ...] = ()  # for custom steps: the steps they read


def _name(owner: str, role: str) -> str:
    return f"{owner}_{role}"


def expand(
    spec: PolicyFile,
) -> tuple[PolicyFile, dict[str, Synthetic], list[tuple[tuple[str | int, ...], str, str]]]:
    """The policy with the steps of its pools and budgets added; the added steps; problems
    found on the way (path, message, hint)."""
    if not spec.pools and not spec.budgets:
        return spec, {}, []
    steps = dict(spec.steps)
    made: dict[str, Synthetic] = {}
    problems: list[tuple[tuple[str | int, ...], str, str]] = []
    ccy = spec.policy.currency

    def add(
        owner: str,
        section: str,
        role: str,
        step: StepSpec,
        key: str | None = None,
        deps: tuple[str, ...] | None = None,  # a step read from the pool's allocation
    ) -> None:
        name = _name(owner, role)
        path: tuple[str | int, ...] = (section, owner) if key is None else (section, owner, key)
        made[name] = Synthetic(owner, section, role, path, deps is not None, deps or ())
        if name in steps:
            problems.append(
                (
                    path,
                    f"step '{name}' is already declared",
                    f"{section} {owner} adds a step of this name: rename one of them",
                )
            )
            return
        steps[name] = step

    by_award: dict[str, list[str]] = {}
    for name, pool in spec.pools.items():
        by_award.setdefault(pool.award, []).append(name)
    for name, pool in spec.pools.items():
        cur = pool.currency
        if cur not in CURRENCY_MINOR_UNITS:
            problems.append(
                (
                    (("pools", name, "currency")),
                    f"unknown currency code '{cur}'",
                    "an ISO 4217 code such as USD or EUR",
                )
            )
            cur = "USD"
        if pool.award not in spec.steps:
            problems.append(
                (
                    ("pools", name, "award"),
                    f"unknown step '{pool.award}'",
                    "name the step holding each member's individual award",
                )
            )
        award = pool.award if pool.award in spec.steps else "0"
        if pool.by is not None and pool.by not in spec.inputs:
            problems.append(
                (
                    ("pools", name, "by"),
                    f"'{pool.by}' is not an input of this policy",
                    "declare it under inputs",
                )
            )
        sharing = by_award[pool.award]
        if len(sharing) > 1 and pool.members is None:
            others = ", ".join(p for p in sharing if p != name)
            problems.append(
                (
                    ("pools", name),
                    f"pool '{name}' allocates '{pool.award}' like pool(s) {others}, and takes every eligible employee",
                    "give each pool of the same award 'members:' so that an employee is in one",
                )
            )
        member = _name(name, "member")
        if pool.members is not None:
            earlier = [
                p for p in sharing[: sharing.index(name)] if spec.pools[p].members is not None
            ]
            gates = [
                GateSpec(
                    name=f"not_in_{other}",
                    when=f"{_name(other, 'member')} and ({pool.members})",
                    outcome="reject",
                    reason=f"in two pools of award '{pool.award}' ({other} and {name}); an employee is in one pool of an award",
                )
                for other in earlier
            ]
            add(
                name,
                "pools",
                "member",
                StepSpec(formula=pool.members, type="boolean", gates=gates),
                "members",
            )
        into = f"fx({award}, {ccy}, '{cur}')"
        add(
            name,
            "pools",
            "award_in",
            _either(member if pool.members else None, into, "0", "decimal"),
            "award",
        )
        if pool.cap is not None:
            add(name, "pools", "cap", StepSpec(formula=pool.cap, type="decimal"), "cap")
        add(name, "pools", "funding", StepSpec(formula=pool.funding, type="decimal"), "funding")
        for role, text, reads in POOL_STATE_ROLES:
            deps = tuple(_name(name, r) for r in reads if r != "cap" or pool.cap is not None)
            if pool.members is not None:
                deps = (*deps, member)
            add(name, "pools", role, StepSpec(formula=text, type="decimal"), deps=deps)
        # back into the pay currency at the rate the award came in with: an award that is
        # not scaled is paid as it was (two quoted rates are rarely exact inverses)
        back = f"{_name(name, 'award')} / fx(1, {ccy}, '{cur}')"
        add(
            name, "pools", "payout", _either(member if pool.members else None, back, award, "money")
        )
    for name, budget in spec.budgets.items():
        cur = budget.currency
        if cur not in CURRENCY_MINOR_UNITS:
            problems.append(
                (
                    ("budgets", name, "currency"),
                    f"unknown currency code '{cur}'",
                    "an ISO 4217 code such as USD or EUR",
                )
            )
            cur = "USD"
        if budget.by is not None and budget.by not in spec.inputs:
            problems.append(
                (
                    ("budgets", name, "by"),
                    f"'{budget.by}' is not an input of this policy",
                    "declare it under inputs",
                )
            )
        included = _name(name, "included") if budget.include is not None else None
        if budget.include is not None:
            add(
                name,
                "budgets",
                "included",
                StepSpec(formula=budget.include, type="boolean"),
                "include",
            )
        for role in ("payroll", "spend"):
            text = f"fx({getattr(budget, role)}, {ccy}, '{cur}')"
            add(name, "budgets", role, _either(included, text, "0", "decimal"), role)
    return spec.model_copy(update={"steps": steps}), made, problems


def _either(flag: str | None, formula: str, otherwise: str, type_: ValueType) -> StepSpec:
    """``formula`` when the step ``flag`` holds (always without one), else ``otherwise``."""
    if flag is None:
        return StepSpec(formula=formula, type=type_)
    return StepSpec(
        variants=[VariantSpec(when=flag, formula=formula), VariantSpec(formula=otherwise)],
        type=type_,
    )


def pool_defs(spec: PolicyFile, line_of: LineOf) -> tuple[PoolDef, ...]:
    defs = []
    for name, pool in spec.pools.items():
        cur = pool.currency if pool.currency in CURRENCY_MINOR_UNITS else "USD"
        unit = minor_unit(cur) if pool.round == "minor_unit" else Decimal(pool.round)
        defs.append(
            PoolDef(
                name=name,
                by=pool.by,
                currency=cur,
                unit=unit,
                cap_share=pool.cap_share,
                scale_up=pool.scale == "up_and_down",
                redistribute=pool.excess == "redistribute",
                has_cap=pool.cap is not None,
                has_members=pool.members is not None,
                line=line_of(("pools", name)),
            )
        )
    return tuple(defs)


def budget_defs(
    spec: PolicyFile, line_of: LineOf, slot_of: Callable[[str, str], int]
) -> tuple[BudgetDef, ...]:
    defs = []
    for name, budget in spec.budgets.items():
        amounts = tuple(sorted(budget.amount.items())) if isinstance(budget.amount, dict) else ()
        defs.append(
            BudgetDef(
                name=name,
                by=budget.by,
                currency=budget.currency,
                percent=budget.percent,
                amount=None if isinstance(budget.amount, dict) else budget.amount,
                amounts=amounts,
                over=budget.over,
                line=line_of(("budgets", name)),
                payroll_slot=slot_of(_name(name, "payroll"), "step"),
                spend_slot=slot_of(_name(name, "spend"), "step"),
                included_slot=slot_of(_name(name, "included"), "step") if budget.include else None,
                by_slot=slot_of(budget.by, "input") if budget.by else None,
            )
        )
    return tuple(defs)
