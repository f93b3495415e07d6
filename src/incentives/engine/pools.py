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

import array
import decimal
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import compress, repeat
from operator import floordiv, mod, mul, or_
from typing import NamedTuple

import attrs

from incentives.money import EXACT_CONTEXT, add_exact

__all__ = ["Member", "PoolMember", "PoolRule", "PoolState", "solve_pool"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_EXACT_ADD = EXACT_CONTEXT.add
_EXACT_DIGITS = decimal.Context(prec=decimal.MAX_PREC)  # `normalize` without rounding


@attrs.frozen
class PoolRule:
    """How a pool allocates (from its ``pools:`` entry)."""

    unit: Decimal = Decimal("0.01")
    cap_share: Decimal | None = None
    scale_up: bool = False
    redistribute: bool = True


# one member of a pool: (employee_id, award, own cap or None)
Member = tuple[str, Decimal, Decimal | None]


class PoolMember(NamedTuple):
    """One member (`Member`) with its fields named."""

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
    # the last value `share` rounded down and what it gave: the final pass asks `rounded` for
    # the very same value next (a member's remainder, then its award), which is not divided
    # and rounded down again
    _floored: tuple[Decimal, Decimal] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

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
        floored = self._floored
        if floored is not None and floored[0] is scaled:  # `share` has just worked it out
            return floored[1]
        return _floor(scaled, self.rule.unit)

    def share(self, scaled: Decimal, cap: Decimal | None, employee_id: str) -> Decimal:
        """One unit if the member's remainder is among the largest, else 0."""
        if self.cutoff is None or scaled <= 0:
            return _ZERO  # a member awarded nothing gets no part of the remainder either
        unit = self.rule.unit
        low = _floor(scaled, unit)
        self._floored = (scaled, low)
        limit = self.effective_cap(cap)
        if limit is not None and low + unit > limit:
            return _ZERO
        return unit if (low - scaled, employee_id) <= self.cutoff else _ZERO


def _floor(value: Decimal, unit: Decimal) -> Decimal:
    return (value / unit).to_integral_value(rounding=decimal.ROUND_FLOOR) * unit


def solve_pool(rule: PoolRule, funding: Decimal, members: Iterable[Member]) -> PoolState:
    """Solve one pool; see the module docstring. Members in any order give the same state.

    Memory beyond the members themselves stays small: each figure is a streamed sum over the
    members (sorted by id, so that every sum is taken in one order), the factor is found by
    capping in rounds, and the remainder cut-off by counting remainders in buckets, then
    sorting the one bucket it falls in. Each member's base and effective cap are worked out
    once (`_Bases`: two lists of references and a bucket number per member), so every later
    round reads them instead of recomputing them per member (the same figures as
    `PoolState.base` and `PoolState.scaled`; tests/test_pool_solver.py holds the solver to
    the plain one it replaces)."""
    unit = rule.unit
    ordered = sorted(members)
    amount = _floor(max(funding, _ZERO), unit)
    share_cap = None if rule.cap_share is None else _floor(rule.cap_share * amount, unit)
    state = PoolState(
        rule, funding, amount, len(ordered), _ZERO, _ZERO, _ONE, "none", _ZERO, None, 0,
        _ZERO, share_cap,
    )  # fmt: skip
    bases = _Bases(state, ordered)
    state.sum_awards, state.sum_capped = bases.sum_awards, bases.sum_capped
    wanted = bases.sum_awards if rule.redistribute else bases.sum_capped  # what caps leave
    # the pool is the target when the claims exceed it, or fall short and it scales up
    target = amount if wanted > amount or (rule.scale_up and 0 < wanted < amount) else wanted
    if bases.all_capped:  # only members with an award receive: the pool cannot exceed their caps
        target = min(target, bases.ceiling)
    state.factor = _factor(bases, target, bases.sum_capped)
    state.scaling = "down" if state.factor < 1 else "up" if state.factor > 1 else "none"
    state.target = amount if target == amount else _floor(target, unit)
    if target != amount:  # no scaling: each award rounded half up, if that fits the pool
        state.half_up = True
        rounded = _ZERO
        for value in bases.scaled():
            rounded = add_exact(rounded, state.rounded(value))
        if rounded <= amount:
            state.target = state.allocated = rounded
            return state
        state.half_up = False  # too close to the pool: spend it by largest remainder
    floors = bases.floors()
    left = max(0, int((state.target - floors) / unit))
    if left:
        state.cutoff, left = _cutoff(bases, left)
    state.units = left
    state.allocated = floors + unit * left
    return state


_BUCKETS = 4096
_CHUNK = 8192  # members whose figures are worked out at once (`_floors_in_units`)
_TEN_THOUSAND = 10_000
_NO_BUCKET = -1  # a member that may not take a unit


class _Bases:
    """Per member of a pool (in id order), what every round of its solve reads: the award the
    factor applies to and the effective cap (`PoolState.base`), and once the factor is set,
    the bucket of its remainder; and the sums taken over them."""

    def __init__(self, state: PoolState, ordered: Sequence[Member]) -> None:
        self.state = state
        self.ordered = ordered
        self.buckets = array.array("h")
        self.counts: list[int] = []
        self.bases: list[Decimal] = []
        self.limits: list[Decimal | None] = []
        try:
            if not self._quick_sums():
                self._sums(_EXACT_ADD)
        except decimal.Inexact:
            self._sums(add_exact)  # a sum beyond the totals' digits: `add_exact`'s message

    def _quick_sums(self) -> bool:
        """`_sums` of a pool whose members have no cap of their own and no award below 0 or
        above the share cap (the usual pool: every limit is the share cap, every base its
        award), from C loops over the awards: the same figures, each sum taken in the same
        order in the same context (an exact sum of n equal limits is their product). False
        for any other pool, and nothing set."""
        ordered, share_cap = self.ordered, self.state.share_cap
        caps = [cap for _, _, cap in ordered]
        if not caps or caps.count(None) != len(caps):
            return False
        awards = [award for _, award, _ in ordered]
        if min(awards) < _ZERO or (share_cap is not None and share_cap < max(awards)):
            return False
        with decimal.localcontext(EXACT_CONTEXT):
            total = sum(awards, _ZERO)  # `add` in order, from 0, as `_sums` does
            paid = len(awards) - awards.count(_ZERO)  # the members with a base above 0
            ceiling = _ZERO if share_cap is None or not paid else _ZERO + share_cap * paid
        self.bases, self.limits = awards, [share_cap] * len(awards)
        self.sum_awards = self.sum_capped = total
        self.ceiling, self.all_capped = ceiling, share_cap is not None or not paid
        return True

    def _sums(self, add: Callable[[Decimal, Decimal], Decimal]) -> None:
        state = self.state
        share_cap, effective_cap = state.share_cap, state.effective_cap
        redistribute = state.rule.redistribute
        self.bases = []
        self.limits = []
        base_of, limit_of = self.bases.append, self.limits.append
        sum_awards = sum_capped = ceiling = _ZERO
        all_capped = True  # every member with an award has a cap
        for _, award, cap in self.ordered:
            limit = share_cap if cap is None else effective_cap(cap)
            if award < _ZERO:  # max(award, 0)
                award = _ZERO
            capped = award if limit is None or not limit < award else limit  # min(award, limit)
            base = award if redistribute else capped
            sum_awards = add(sum_awards, award)  # reported sums never round
            sum_capped = add(sum_capped, capped)
            if base > 0:
                if limit is None:
                    all_capped = False
                else:
                    ceiling = add(ceiling, limit)
            base_of(base)
            limit_of(limit)
        self.sum_awards, self.sum_capped, self.ceiling = sum_awards, sum_capped, ceiling
        self.all_capped = all_capped

    def scaled(self) -> Iterator[Decimal]:
        """Each member's min(cap, factor × base): `PoolState.scaled` of its award and cap."""
        factor = self.state.factor
        for base, limit in zip(self.bases, self.limits, strict=True):
            value = base if factor == _ONE else factor * base
            yield value if limit is None or value <= limit else limit

    def floors(self) -> Decimal:
        """Σ each member's scaled award rounded down to the unit; each member that may take a
        unit (awarded something, and a unit more stays within its cap) counted in the bucket
        of its remainder (`counts`), and its bucket noted (`buckets`)."""
        try:
            found = self._floors_in_units()
            return self._floors(_EXACT_ADD) if found is None else found
        except decimal.Inexact:
            return self._floors(add_exact)  # `add_exact`'s message

    def _floors_in_units(self) -> Decimal | None:
        """`_floors` when the unit is a power of ten (0.01, 1, 100: a scaled value, rounded to
        the context's digits, times a power of ten is exact, so its floor is an integer's),
        the factor is not 1 (every value scaled) and every member's limit is the share cap
        (a whole number of units: a unit more stays within it for any value below it), by C
        loops over a chunk of members at a time (`map`, no Python frame per member): the
        floors summed as integers of units and made a `Decimal` once. The buckets are those
        of the remainder's first 4 decimals (in units, 10,000 buckets): larger remainders in
        higher buckets, as in `_floors`, which is all `_cutoff` and `keys` need. (The sum's exponent may
        differ from `_floors`', never its value: `solve_pool` adds a multiple of the unit to
        it, which sets the exponent.) None for any other pool."""
        state = self.state
        unit, factor, share_cap = state.rule.unit, state.factor, state.share_cap
        limits = self.limits
        if (
            factor == _ONE
            or not factor > _ZERO
            or unit.normalize(_EXACT_DIGITS).as_tuple().digits != (1,)
            or (limits and limits.count(share_cap) != len(limits))
        ):
            return None
        # a remainder's bucket: its first 4 decimals (in units), a larger one in a higher one
        counts = self.counts = [0] * _TEN_THOUSAND
        marks: list[int] = []  # each member's bucket, or `_NO_BUCKET`
        whole = 0
        # a value times ``scale`` (exact: its digits unchanged) is its units to 4 decimals;
        # the factor times ``scale`` times a base is the scaled value's (rounded the same)
        scale = _ONE.scaleb(4 - unit.adjusted())
        factor_scaled = factor * scale
        cap = None if share_cap is None else share_cap * scale
        room = -1 if share_cap is None else int(share_cap * scale) // _TEN_THOUSAND
        bases = self.bases
        for start in range(0, len(bases), _CHUNK):  # C loops over a chunk of members at a time
            chunk = bases[start : start + _CHUNK]
            values = list(map(mul, repeat(factor_scaled), chunk))  # `scaled`, in 1/10^4 units
            if cap is not None and cap < max(values):
                values = list(map(min, values, repeat(cap)))
            fine = list(map(int, values))  # no value is below 0
            lows = list(map(floordiv, fine, repeat(_TEN_THOUSAND)))  # the floors, in units
            whole += sum(lows)
            found = list(map(mod, fine, repeat(_TEN_THOUSAND)))
            # a unit more only to a member awarded something (the factor is above 0), and
            # below its cap by a unit
            no_unit = map(_ZERO.__ge__, chunk)
            if room >= 0:
                no_unit = map(or_, no_unit, map(room.__le__, lows))
            for index in compress(range(len(found)), no_unit):
                found[index] = _NO_BUCKET
            marks += found
        for bucket, members in Counter(marks).items():
            if bucket != _NO_BUCKET:
                counts[bucket] = members
        self.buckets = array.array("h", struct.pack(f"{len(marks)}h", *marks))
        return EXACT_CONTEXT.add(_ZERO, EXACT_CONTEXT.multiply(Decimal(whole), unit))

    def _floors(self, add: Callable[[Decimal, Decimal], Decimal]) -> Decimal:
        unit = self.state.rule.unit
        floors = _ZERO
        counts = self.counts = [0] * _BUCKETS
        buckets = self.buckets = array.array("h", bytes(2 * len(self.bases)))
        top = _BUCKETS - 1
        for index, (value, limit) in enumerate(zip(self.scaled(), self.limits, strict=True)):
            # _floor(value, unit), inline; the bucket: a larger remainder in a higher one
            low = (value / unit).to_integral_value(rounding=decimal.ROUND_FLOOR) * unit
            floors = add(floors, low)
            if value > 0 and (limit is None or low + unit <= limit):
                bucket = min(top, int(-(low - value) * _BUCKETS / unit))
                counts[bucket] += 1
                buckets[index] = bucket
            else:
                buckets[index] = _NO_BUCKET
        return floors

    def keys(self, bucket: int) -> Iterator[tuple[Decimal, str]]:
        """The key (−remainder, employee_id) of each member in ``bucket``."""
        unit = self.state.rule.unit
        factor = self.state.factor
        ordered, bases, limits = self.ordered, self.bases, self.limits
        for index in compress(range(len(bases)), map(bucket.__eq__, self.buckets)):
            base, limit = bases[index], limits[index]
            value = base if factor == _ONE else factor * base
            if limit is not None and value > limit:
                value = limit
            yield _floor(value, unit) - value, ordered[index][0]


def _cutoff(bases: _Bases, left: int) -> tuple[tuple[Decimal, str] | None, int]:
    """The key of the last member given a unit when ``left`` units go to the smallest keys
    (the largest remainders), and how many units are given (fewer when fewer members may take
    one). The remainders are counted by bucket first, so only the members of the bucket the
    cut-off falls in are sorted."""
    counts = bases.counts
    given = min(left, sum(counts))
    if given == 0:
        return None, 0
    before = 0
    for bucket in range(len(counts) - 1, -1, -1):  # the largest remainders first
        if before + counts[bucket] >= given:
            break
        before += counts[bucket]
    inside = sorted(bases.keys(bucket))
    return inside[given - before - 1], given


def _factor(bases: _Bases, target: Decimal, at_one: Decimal) -> Decimal:
    """The factor f with Σ min(cap, f × base) = target (1 when that needs no scaling).

    Water-filling by rounds: scale everyone, hold at their cap those it puts at or above it,
    share what is left among the others; the capped set only grows, so a few rounds settle it.
    """
    if target == at_one:
        return _ONE
    amounts = bases.bases
    total = sum(compress(amounts, map(_ZERO.__lt__, amounts)), _ZERO)  # the bases above 0
    if total == 0:
        return _ONE
    factor = target / total  # with nobody held at a cap
    share_cap = bases.state.share_cap
    if bases.limits.count(share_cap) == len(amounts) and (
        share_cap is None or factor * max(amounts) < share_cap
    ):
        # every limit the share cap, and the largest base below it once scaled: nobody is
        # held, the loop's first round settles with ``rest`` the same sum as ``total``
        return (target - _ZERO) / total
    capped_count = 0
    pairs = bases.bases, bases.limits
    while True:
        held = rest = _ZERO
        count = 0
        for amount, limit in zip(*pairs, strict=True):
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
