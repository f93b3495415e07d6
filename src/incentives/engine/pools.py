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
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import NamedTuple

import attrs

from incentives.money import add_exact

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
        if cap is None:
            return self.share_cap
        own = _floor(max(cap, _ZERO), self.rule.unit)
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
        limit = self.share_cap if cap is None else self.effective_cap(cap)
        if award < 0:
            award = _ZERO
        if limit is not None and award > limit and not self.rule.redistribute:
            award = limit  # what the cap removes is not paid: the factor applies to the rest
        value = award if self.factor == _ONE else self.factor * award
        return value if limit is None or value <= limit else limit

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
    """Solve one pool; see the module docstring. Members in any order give the same state.

    Memory beyond the members themselves stays small: each figure is a streamed sum over the
    members (sorted by id, so that every sum is taken in one order), the factor is found by
    capping in rounds, and the remainder cut-off by counting remainders in buckets, then
    sorting the one bucket it falls in."""
    unit = rule.unit
    ordered = sorted(members)
    amount = _floor(max(funding, _ZERO), unit)
    share_cap = None if rule.cap_share is None else _floor(rule.cap_share * amount, unit)
    state = PoolState(
        rule, funding, amount, len(ordered), _ZERO, _ZERO, _ONE, "none", _ZERO, None, 0,
        _ZERO, share_cap,
    )  # fmt: skip
    sum_awards = sum_capped = ceiling = _ZERO
    all_capped = True  # every member with an award has a cap
    for _, award, cap in ordered:
        base, limit = state.base(award, cap)
        award = max(award, _ZERO)
        sum_awards = add_exact(sum_awards, award)  # reported sums never round
        sum_capped = add_exact(sum_capped, award if limit is None else min(award, limit))
        if base > 0:
            if limit is None:
                all_capped = False
            else:
                ceiling = add_exact(ceiling, limit)
    state.sum_awards, state.sum_capped = sum_awards, sum_capped
    wanted = sum_awards if rule.redistribute else sum_capped  # what caps and excess leave
    # the pool is the target when the claims exceed it, or fall short and it scales up
    target = amount if wanted > amount or (rule.scale_up and 0 < wanted < amount) else wanted
    if all_capped:  # only members with an award receive: the pool cannot exceed their caps
        target = min(target, ceiling)
    state.factor = _factor(state, ordered, target, sum_capped)
    state.scaling = "down" if state.factor < 1 else "up" if state.factor > 1 else "none"
    state.target = amount if target == amount else _floor(target, unit)
    if target != amount:  # no scaling: each award rounded half up, if that fits the pool
        state.half_up = True
        rounded = _ZERO
        for _, a, c in ordered:
            rounded = add_exact(rounded, state.rounded(state.scaled(a, c)))
        if rounded <= amount:
            state.target = state.allocated = rounded
            return state
        state.half_up = False  # too close to the pool: spend it by largest remainder
    floors = _ZERO
    buckets = [0] * _BUCKETS  # members that may take a unit, by remainder (see _keys)
    for low, key in _keys(state, ordered):
        floors = add_exact(floors, low)
        if key is not None:
            buckets[_bucket(key[0], unit)] += 1
    left = max(0, int((state.target - floors) / unit))
    if left:
        state.cutoff, left = _cutoff(state, ordered, left, buckets)
    state.units = left
    state.allocated = floors + unit * left
    return state


_BUCKETS = 4096


def _bucket(negative_remainder: Decimal, unit: Decimal) -> int:
    """A bucket of remainders: a larger remainder is in a higher bucket."""
    return min(_BUCKETS - 1, int(-negative_remainder * _BUCKETS / unit))


def _keys(
    state: PoolState, ordered: Sequence[PoolMember]
) -> Iterator[tuple[Decimal, tuple[Decimal, str] | None]]:
    """Per member, its award rounded down to the unit and, if it may take a unit (awarded
    something, and a unit more stays within its cap), its key (−remainder, employee_id)."""
    unit = state.rule.unit
    scaled, effective_cap = state.scaled, state.effective_cap
    for employee_id, award, cap in ordered:
        value = scaled(award, cap)
        low = _floor(value, unit)
        key = None
        if value > 0:
            limit = effective_cap(cap)
            if limit is None or low + unit <= limit:
                key = (low - value, employee_id)
        yield low, key


def _cutoff(
    state: PoolState, ordered: Sequence[PoolMember], left: int, buckets: list[int]
) -> tuple[tuple[Decimal, str] | None, int]:
    """The key of the last member given a unit when ``left`` units go to the smallest keys
    (the largest remainders), and how many units are given (fewer when fewer members may take
    one). The remainders are counted by bucket first, so only the members of the bucket the
    cut-off falls in are sorted."""
    given = min(left, sum(buckets))
    if given == 0:
        return None, 0
    before = 0
    for bucket in range(_BUCKETS - 1, -1, -1):  # the largest remainders first
        if before + buckets[bucket] >= given:
            break
        before += buckets[bucket]
    unit = state.rule.unit
    inside = sorted(
        key
        for _, key in _keys(state, ordered)
        if key is not None and _bucket(key[0], unit) == bucket
    )
    return inside[given - before - 1], given


def _factor(
    state: PoolState, ordered: Sequence[PoolMember], target: Decimal, at_one: Decimal
) -> Decimal:
    """The factor f with Σ min(cap, f × base) = target (1 when that needs no scaling).

    Water-filling by rounds: scale everyone, hold at their cap those it puts at or above it,
    share what is left among the others; the capped set only grows, so a few rounds settle it.
    """
    if target == at_one:
        return _ONE
    base = state.base
    total = sum((b for b, _ in (base(award, cap) for _, award, cap in ordered) if b > 0), _ZERO)
    if total == 0:
        return _ONE
    factor = target / total  # with nobody held at a cap
    capped_count = 0
    while True:
        held = rest = _ZERO
        count = 0
        for _, award, cap in ordered:
            amount, limit = base(award, cap)
            if amount <= 0:
                continue
            if limit is not None and factor * amount >= limit:
                held += limit
                count += 1
            else:
                rest += amount
        if rest == 0:  # everyone at their cap (the target is their sum)
            return factor
        settled = count == capped_count
        factor, capped_count = (target - held) / rest, count
        if settled:
            return factor
