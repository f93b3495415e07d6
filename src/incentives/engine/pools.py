"""Fitting a pool's individual awards to its funded amount, exactly, to the unit.

One pool (one group of one ``pools:`` entry) is solved from every member's award, own cap and
the group's funding, in the declared order:

1. **Pool.** The funding, never below 0, rounded down to the pool's unit (0.01, 100, ...).
2. **Caps.** Each member's cap is the lower of its own cap and ``cap_share`` × pool, rounded
   down to the unit. With ``excess: unspent`` what a cap removes from an award is gone; with
   ``redistribute`` it goes to the other members (in proportion to their awards, within their
   own caps).
3. **Scaling.** When the (capped) awards exceed the pool, or fall short of it and the pool
   scales ``up_and_down``, every member gets min(cap, factor × award) with one factor chosen
   so that the scaled awards add up to the pool (water-filling when caps bind).
4. **Rounding and remainder.** When scaling applies, each scaled award is rounded down to the
   unit and the difference between the pool and the sum of those is handed out one unit at a
   time by the largest-remainder method, ties broken by ``employee_id``, never above a
   member's cap and never to a member whose award is zero: the pool is spent exactly. When no
   scaling applies, each award is rounded half up to the unit and the rest of the pool is
   unspent (should those roundings add up to more than the pool, it is spent by largest
   remainder instead).

Only the per-group figures are kept (`PoolState`): a member's allocation is recomputed from
its own award with `PoolState.scaled`, `rounded` and `share`, the same arithmetic as the solve,
so the second pass needs no per-member memory and the outcome does not depend on roster order.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

import attrs

__all__ = ["PoolMember", "PoolRule", "PoolState", "solve_pool"]

_ZERO = Decimal(0)
_ONE = Decimal(1)


@attrs.frozen
class PoolRule:
    """How a pool allocates (from its ``pools:`` entry)."""

    unit: Decimal = Decimal("0.01")
    cap_share: Decimal | None = None
    scale_up: bool = False
    redistribute: bool = True


class PoolMember(NamedTuple):
    """One member as the pool pass collects it (a plain tuple: cheap to keep and to pickle)."""

    employee_id: str
    award: Decimal  # in the pool's currency
    cap: Decimal | None = None  # the member's own cap, if the pool declares one


@attrs.define
class PoolState:
    """One pool's solved figures; what every member's allocation is computed from."""

    rule: PoolRule
    funding: Decimal  # as the formula gave it
    amount: Decimal  # the pool: funding ≥ 0, rounded down to the unit
    members: int
    sum_awards: Decimal  # Σ individual awards, before caps and scaling
    sum_capped: Decimal  # Σ awards after individual caps
    factor: Decimal
    scaling: str  # "down" (factor below 1), "up" (above 1: caps redistributed, or scaled up)
    target: Decimal  # what the rounded allocations add up to (the pool when scaling applies)
    cutoff: tuple[Decimal, str] | None  # the last (−remainder, employee_id) given a unit
    units: int  # units handed out by largest remainder
    allocated: Decimal  # Σ allocations
    share_cap: Decimal | None  # cap_share × pool, rounded down to the unit
    half_up: bool = False  # no scaling: each award rounded half up (no remainder handed out)

    @property
    def unspent(self) -> Decimal:
        return self.amount - self.allocated

    def effective_cap(self, cap: Decimal | None) -> Decimal | None:
        unit = self.rule.unit
        own = None if cap is None else _floor(max(cap, _ZERO), unit)
        if own is None:
            return self.share_cap
        return own if self.share_cap is None else min(own, self.share_cap)

    def base(self, award: Decimal, cap: Decimal | None) -> tuple[Decimal, Decimal | None]:
        """The award the factor applies to, and the member's effective cap."""
        award = max(award, _ZERO)
        limit = self.effective_cap(cap)
        if limit is not None and not self.rule.redistribute:
            award = min(award, limit)
        return award, limit

    def scaled(self, award: Decimal, cap: Decimal | None = None) -> Decimal:
        """min(cap, factor × award): the member's allocation before rounding."""
        base, limit = self.base(award, cap)
        value = base if self.factor == _ONE else self.factor * base
        return value if limit is None else min(value, limit)

    def rounded(self, scaled: Decimal) -> Decimal:
        """The allocation before any remainder unit: rounded down to the unit when the pool is
        spent by largest remainder, half up when no scaling applies and that fits the pool."""
        if self.half_up:
            return (scaled / self.rule.unit).quantize(_ONE, decimal.ROUND_HALF_UP) * self.rule.unit
        return _floor(scaled, self.rule.unit)

    def share(self, scaled: Decimal, cap: Decimal | None, employee_id: str) -> Decimal:
        """One unit if the member's remainder is among the largest, else 0."""
        if self.cutoff is None or scaled <= 0:
            return _ZERO  # a member awarded nothing gets no part of the remainder either
        unit = self.rule.unit
        low = _floor(scaled, unit)
        limit = self.effective_cap(cap)
        if limit is not None and low + unit > limit:
            return _ZERO
        return unit if (low - scaled, employee_id) <= self.cutoff else _ZERO


def _floor(value: Decimal, unit: Decimal) -> Decimal:
    return (value / unit).to_integral_value(rounding=decimal.ROUND_FLOOR) * unit


def solve_pool(rule: PoolRule, funding: Decimal, members: Iterable[PoolMember]) -> PoolState:
    """Solve one pool; see the module docstring. Members in any order give the same state."""
    unit = rule.unit
    ordered = sorted(members)
    amount = _floor(max(funding, _ZERO), unit)
    share_cap = None if rule.cap_share is None else _floor(rule.cap_share * amount, unit)
    state = PoolState(
        rule, funding, amount, len(ordered), _ZERO, _ZERO, _ONE, "none", _ZERO, None, 0,
        _ZERO, share_cap,
    )  # fmt: skip
    bases: list[tuple[Decimal, Decimal | None]] = []
    sum_awards = sum_capped = _ZERO
    for _, award, cap in ordered:
        base, limit = state.base(award, cap)
        bases.append((base, limit))
        award = max(award, _ZERO)
        sum_awards += award
        sum_capped += award if limit is None else min(award, limit)
    state.sum_awards, state.sum_capped = sum_awards, sum_capped
    wanted = sum_awards if rule.redistribute else sum_capped  # what caps and excess leave
    # the pool is the target when the claims exceed it, or fall short and it scales up
    target = amount if wanted > amount or (rule.scale_up and 0 < wanted < amount) else wanted
    # only members with an award can receive anything: when each of them has a cap, the
    # pool cannot hand out more than their caps add up to (everyone at their cap)
    receiving = [(base, limit) for base, limit in bases if base > 0]
    if all(limit is not None for _, limit in receiving):
        ceiling = sum((limit for _, limit in receiving if limit is not None), _ZERO)
        target = min(target, ceiling)
    state.factor = _factor(bases, target, sum_capped)
    state.scaling = "down" if state.factor < 1 else "up" if state.factor > 1 else "none"
    state.target = amount if target == amount else _floor(target, unit)
    scaled = [(state.scaled(award, cap), employee_id, cap) for employee_id, award, cap in ordered]
    if target != amount:  # no scaling: each award rounded half up, if that fits the pool
        state.half_up = True
        rounded = sum((state.rounded(value) for value, _, _ in scaled), _ZERO)
        if rounded <= amount:
            state.target = state.allocated = rounded
            return state
        state.half_up = False  # too close to the pool: spend it by largest remainder
    floors = sum((_floor(value, unit) for value, _, _ in scaled), _ZERO)
    left = max(0, int((state.target - floors) / unit))
    ranked = sorted(
        (_floor(value, unit) - value, employee_id)
        for value, employee_id, cap in scaled
        if value > 0
        and ((limit := state.effective_cap(cap)) is None or _floor(value, unit) + unit <= limit)
    )
    given = min(left, len(ranked))
    if given > 0:
        state.cutoff = ranked[given - 1]
    state.units = given
    state.allocated = floors + unit * given
    return state


def _factor(
    bases: Sequence[tuple[Decimal, Decimal | None]], target: Decimal, at_one: Decimal
) -> Decimal:
    """The factor f with Σ min(cap, f × base) = target (1 when that needs no scaling)."""
    if target == at_one:
        return _ONE
    total = sum((base for base, _ in bases), _ZERO)
    if total == 0:
        return _ONE
    # water-filling: members whose cap binds first (lowest cap / base) take their cap
    bounded = sorted(
        (limit / base, base, limit) for base, limit in bases if base > 0 and limit is not None
    )
    free = [base for base, limit in bases if base > 0 and limit is None]
    capped = _ZERO
    rest = total
    for threshold, base, limit in bounded:
        factor = (target - capped) / rest
        if factor <= threshold:
            return factor
        capped += limit
        rest -= base
    if free:
        return (target - capped) / rest
    return bounded[-1][0]  # everyone at their cap (the target is their sum)
