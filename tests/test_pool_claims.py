"""A pool's claims as a pass collects them (`Claims`): shares of a roster collected apart,
pickled (as forked workers hand them to the parent) and merged give back every member's award
and cap exactly, digits and exponent, and the lowest employee_id behind the funding."""

from __future__ import annotations

import itertools
import pickle
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.engine.allocation_passes import Claims, PoolPartials, merge_pools
from strategies import decimals

D = Decimal

awards = decimals("-1000", "100000", 2) | decimals("0", "100000", 6).map(Decimal.normalize)
members = st.lists(
    st.tuples(st.integers(0, 9999).map(lambda n: f"E{n:04d}"), awards, st.none() | awards),
    min_size=1,
    max_size=40,
    unique_by=lambda m: m[0],
)


@settings(max_examples=100, deadline=None)
@given(members, st.lists(st.integers(0, 40), max_size=3))
def test_claims_merged_from_pickled_shares_are_the_members_collected(
    collected: list[tuple[str, Decimal, Decimal | None]], cuts: list[int]
) -> None:
    bounds = [0, *sorted(cuts), len(collected)]
    shares: list[PoolPartials] = []
    for start, stop in itertools.pairwise(bounds):
        claims = Claims()
        for employee_id, award, cap in collected[start:stop]:
            claims.add(employee_id, award, cap)
            seen = claims.found.get(award)
            if seen is None or employee_id < seen:
                claims.found[award] = employee_id
        part: PoolPartials = {("p", "pool"): {"X": claims}}
        shares.append(pickle.loads(pickle.dumps(part, pickle.HIGHEST_PROTOCOL)))
    merged = merge_pools(shares)[("p", "pool")]["X"]
    back = list(merged.members())
    assert [(i, repr(a), repr(c)) for i, a, c in back] == [
        (i, repr(a), repr(c)) for i, a, c in collected
    ]
    lowest: dict[Decimal, str] = {}
    for employee_id, award, _ in collected:
        lowest[award] = min(employee_id, lowest.get(award, employee_id))
    assert merged.found == lowest
