"""The pool solver as it was first written (one method call per member per figure): the
plain reference `incentives.engine.pools.solve_pool` is held to (tests/test_pool_solver.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from incentives.engine.pools import PoolMember, PoolRule, PoolState, _floor
from incentives.money import add_exact

_ZERO = Decimal(0)
_ONE = Decimal(1)


def plain_solve_pool(rule: PoolRule, funding: Decimal, members: Iterable[PoolMember]) -> PoolState:
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
