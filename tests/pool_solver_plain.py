"""A plain pool solver: `incentives.engine.pools.solve_pool` as it was first written (each
member's figures recomputed through `PoolState`'s methods in every round), with the cut-off
found by sorting every key instead of counting them in buckets. The reference the solver is
held to, figure by figure (tests/test_pool_solver.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from incentives.engine.pools import PoolMember, PoolRule, PoolState, _floor
from incentives.money import add_exact

_ZERO = Decimal(0)
_ONE = Decimal(1)


def plain_solve_pool(rule: PoolRule, funding: Decimal, members: Iterable[PoolMember]) -> PoolState:
    """The `PoolState` of one pool, as `solve_pool` gives it (see engine/pools.py)."""
    ordered = sorted(members)
    unit = rule.unit
    pool = _floor(max(funding, _ZERO), unit)
    state = PoolState(
        rule=rule,
        funding=funding,
        amount=pool,
        members=len(ordered),
        sum_awards=_ZERO,
        sum_capped=_ZERO,
        factor=_ONE,
        scaling="none",
        target=_ZERO,
        cutoff=None,
        units=0,
        allocated=_ZERO,
        share_cap=None if rule.cap_share is None else _floor(rule.cap_share * pool, unit),
    )
    amount = state.amount
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
    keyed = [(low, key) for low, key in _keys(state, ordered)]
    floors = _ZERO
    for low, _ in keyed:
        floors = add_exact(floors, low)
    left = max(0, int((state.target - floors) / unit))
    if left:
        # the units go to the smallest keys (the largest remainders), one each, in a plain sort
        keys = sorted(key for _, key in keyed if key is not None)
        left = min(left, len(keys))
        state.cutoff = keys[left - 1] if left else None
    state.units = left
    state.allocated = floors + unit * left
    return state


def _keys(
    state: PoolState, ordered: Sequence[PoolMember]
) -> Iterator[tuple[Decimal, tuple[Decimal, str] | None]]:
    """Per member, its award rounded down to the unit and, if it may take a unit (awarded
    something, and a unit more stays within its cap), its key (−remainder, employee_id)."""
    unit = state.rule.unit
    for employee_id, award, cap in ordered:
        value = state.scaled(award, cap)
        low = _floor(value, unit)
        limit = state.effective_cap(cap)
        may_take = value > 0 and (limit is None or low + unit <= limit)
        yield low, (low - value, employee_id) if may_take else None


def _factor(
    state: PoolState, ordered: Sequence[PoolMember], target: Decimal, at_one: Decimal
) -> Decimal:
    """The factor f with Σ min(cap, f × base) = target (1 when that needs no scaling), by
    rounds of water-filling: those the factor puts at or above their cap are held there."""
    if target == at_one:
        return _ONE
    bases = [state.base(award, cap) for _, award, cap in ordered]
    awarded = [(amount, limit) for amount, limit in bases if amount > 0]
    total = sum((amount for amount, _ in awarded), _ZERO)
    if total == 0:
        return _ONE
    factor = target / total
    held_before = 0
    while True:
        at_cap = [limit is not None and factor * amount >= limit for amount, limit in awarded]
        held = sum((limit for (_, limit), c in zip(awarded, at_cap, strict=True) if c), _ZERO)
        rest = sum((amount for (amount, _), c in zip(awarded, at_cap, strict=True) if not c), _ZERO)
        if rest == 0:
            return factor
        count = sum(at_cap)
        factor, settled = (target - held) / rest, count == held_before
        held_before = count
        if settled:
            return factor
