"""The pool solver (`incentives.engine.pools`): awards fitted to a funded pool, exactly, to the unit.

A member's allocation is what the second pass computes from the solved `PoolState`:
``rounded(scaled) + share(scaled, cap, id)`` with ``scaled = state.scaled(award, cap)``. The
examples are worked by hand in their comments; the properties hold for generated pools of
1 to 30 members with any funding, unit, caps, scaling and excess rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal, localcontext

from hypothesis import example, given, settings
from hypothesis import strategies as st

from incentives.engine.pools import PoolMember, PoolRule, PoolState, solve_pool
from incentives.money import ENGINE_CONTEXT
from pool_solver_plain import plain_solve_pool
from strategies import decimals

D = Decimal
M = PoolMember

CENT = D("0.01")
PROPERTIES = settings(max_examples=200, deadline=None)


def allocate(
    rule: PoolRule, funding: Decimal, members: Sequence[PoolMember]
) -> tuple[PoolState, dict[str, Decimal]]:
    """Solve the pool and compute every member's allocation, as the engine's two passes do."""
    with localcontext(ENGINE_CONTEXT):
        state = solve_pool(rule, funding, members)
        allocations: dict[str, Decimal] = {}
        for employee_id, award, cap in members:
            scaled = state.scaled(award, cap)
            allocations[employee_id] = state.rounded(scaled) + state.share(scaled, cap, employee_id)
    return state, allocations


def equal_awards(ids: Sequence[str], award: str) -> list[PoolMember]:
    return [M(i, D(award)) for i in ids]


# ------------------------------------------------------------------ worked examples


def test_three_equal_awards_split_a_pool_to_the_cent_lowest_id_first() -> None:
    """1,000.00 over 3 × 500 (claims 1,500): factor 2/3, each 333.333… → 333.33 (999.99);
    the one cent left goes to the tie-break winner, the lowest id "1", whatever the order."""
    state, got = allocate(PoolRule(), D("1000.00"), equal_awards(["3", "1", "2"], "500"))
    assert got == {"1": D("333.34"), "2": D("333.33"), "3": D("333.33")}
    assert state.scaling == "down"
    assert state.units == 1
    assert state.allocated == D("1000.00")
    assert state.unspent == 0
    assert sum(got.values()) == state.amount == D("1000.00")


def test_equal_remainders_give_the_extra_cents_to_the_lowest_ids() -> None:
    """1,000.02 over 4 × 500 (claims 2,000): factor 0.50001, each 250.005 → 250.00 (1,000.00);
    2 cents left, the four remainders (0.005) tie, so "1" and "2" get 250.01."""
    state, got = allocate(PoolRule(), D("1000.02"), equal_awards(["4", "3", "2", "1"], "500"))
    assert got == {"1": D("250.01"), "2": D("250.01"), "3": D("250.00"), "4": D("250.00")}
    assert state.units == 2
    assert state.allocated == D("1000.02")
    assert state.unspent == 0


def test_the_bigger_remainder_wins_the_cent_whatever_the_id() -> None:
    """1.00 over A = 1 and B = 2 (claims 3): factor 1/3, A 0.333… → 0.33 (remainder 0.0033…),
    B 0.666… → 0.66 (remainder 0.0066…); the one cent left goes to B, the bigger remainder,
    although "A" sorts first: A 0.33, B 0.67."""
    state, got = allocate(PoolRule(), D("1.00"), [M("A", D(1)), M("B", D(2))])
    assert got == {"A": D("0.33"), "B": D("0.67")}
    assert state.units == 1
    assert state.allocated == D("1.00")


def test_a_pool_in_hundreds_hands_out_whole_hundreds() -> None:
    """Unit 100, 1,000 over 3 × 500: each 333.33… → 300 (900); the 100 left goes to "1":
    400 / 300 / 300."""
    state, got = allocate(PoolRule(unit=D(100)), D(1000), equal_awards(["2", "3", "1"], "500"))
    assert got == {"1": D(400), "2": D(300), "3": D(300)}
    assert state.amount == D(1000)
    assert state.allocated == D(1000)
    assert state.unspent == 0


def test_funding_is_rounded_down_to_the_unit_but_kept_as_given() -> None:
    """Unit 100, funding 1,050: the pool is 1,000 (rounded down), the same 400 / 300 / 300 as a
    1,000 funding; the state keeps the funding as the formula gave it, 1,050."""
    state, got = allocate(PoolRule(unit=D(100)), D(1050), equal_awards(["1", "2", "3"], "500"))
    assert state.funding == D(1050)
    assert state.amount == D(1000)
    assert got == {"1": D(400), "2": D(300), "3": D(300)}
    assert state.unspent == 0


def test_a_share_cap_redistributes_the_excess_to_the_others() -> None:
    """Cap 40% of 1,000 = 400. a = 800, b = 100, c = 100: a is held at 400; the other 600
    goes to b and c in proportion to their awards (factor 3): 300 each. Nothing unspent."""
    rule = PoolRule(cap_share=D("0.4"))
    state, got = allocate(rule, D(1000), [M("a", D(800)), M("b", D(100)), M("c", D(100))])
    assert got == {"a": D(400), "b": D(300), "c": D(300)}
    assert state.share_cap == D(400)
    assert state.allocated == D(1000)
    assert state.unspent == 0


def test_a_share_cap_with_unspent_excess_leaves_it_in_the_pool() -> None:
    """Same pool with ``excess: unspent``: a is cut to 400 and the 400 it loses is gone; the
    capped claims (600) fit the pool, so nothing scales: a 400, b 100, c 100, unspent 400."""
    rule = PoolRule(cap_share=D("0.4"), redistribute=False)
    state, got = allocate(rule, D(1000), [M("a", D(800)), M("b", D(100)), M("c", D(100))])
    assert got == {"a": D(400), "b": D(100), "c": D(100)}
    assert state.scaling == "none"
    assert state.sum_awards == D(1000)
    assert state.sum_capped == D(600)
    assert state.allocated == D(600)
    assert state.unspent == D(400)


def test_the_lower_of_own_cap_and_share_cap_wins_rounded_down_to_the_unit() -> None:
    """Unit 1, cap 30% of 1,000 = 300. Own caps: a 250.75 → 250 (rounded down, below 300);
    b 500 → 300 (the share cap is lower); c none → 300. Awards 600 each, unspent excess: the
    capped claims 250 + 300 + 300 = 850 fit the pool unscaled, 150 unspent."""
    rule = PoolRule(unit=D(1), cap_share=D("0.3"), redistribute=False)
    members = [M("a", D(600), D("250.75")), M("b", D(600), D(500)), M("c", D(600))]
    state, got = allocate(rule, D(1000), members)
    assert state.effective_cap(D("250.75")) == D(250)
    assert state.effective_cap(D(500)) == D(300)
    assert state.effective_cap(None) == D(300)
    assert got == {"a": D(250), "b": D(300), "c": D(300)}
    assert state.allocated == D(850)
    assert state.unspent == D(150)


def test_when_every_member_is_capped_the_rest_of_the_pool_stays_unspent() -> None:
    """Same caps, excess redistributed: claims 1,800 exceed 1,000, but the caps (250 + 300 +
    300 = 850) cannot take it all, so everyone is at their cap and 150 stays unspent."""
    rule = PoolRule(unit=D(1), cap_share=D("0.3"))
    members = [M("a", D(600), D("250.75")), M("b", D(600), D(500)), M("c", D(600))]
    state, got = allocate(rule, D(1000), members)
    assert got == {"a": D(250), "b": D(300), "c": D(300)}
    assert state.target == D(850)
    assert state.allocated == D(850)
    assert state.unspent == D(150)


def test_a_member_awarded_nothing_leaves_the_caps_no_roomier() -> None:
    """Cap 50% of 1,000 = 500, excess redistributed; a = 2,000, b = 0. a is held at 500 and b,
    awarded nothing, gets nothing (0 × any factor, and no remainder unit): 500 allocated, 500
    unspent. The target (what the rounded allocations add up to) is then 500, not the pool:
    b's cap of 500 cannot take any of it."""
    state, got = allocate(PoolRule(cap_share=D("0.5")), D(1000), [M("a", D(2000)), M("b", D(0))])
    assert got == {"a": D(500), "b": 0}
    assert state.allocated == D(500)
    assert state.unspent == D(500)
    assert state.target == state.allocated  # not the whole pool of 1,000


def test_negative_funding_is_an_empty_pool() -> None:
    """Funding −500 counts as 0: the pool is 0 and every allocation 0, none negative; with a
    40% cap the share cap is 0 too."""
    for rule in (PoolRule(), PoolRule(cap_share=D("0.4")), PoolRule(scale_up=True)):
        state, got = allocate(rule, D(-500), [M("a", D(100)), M("b", D(200), D(50))])
        assert state.amount == 0
        assert state.share_cap in (None, 0)
        assert got == {"a": 0, "b": 0}
        assert state.allocated == 0
        assert state.unspent == 0


UNDER = [M("a", D("100.40")), M("b", D("200.70")), M("c", D("198.90"))]  # Σ 500.00


def test_an_under_claimed_pool_pays_the_awards_and_keeps_the_rest() -> None:
    """Unit 1, pool 1,000, claims 500.00, no scaling up: the awards are rounded, never above
    what they add up to. Floors 100 + 200 + 198 = 498, 2 units left by remainder: c (.90) and
    b (.70) → 100 / 201 / 199 = 500; 500 unspent."""
    state, got = allocate(PoolRule(unit=D(1)), D(1000), UNDER)
    assert got == {"a": D(100), "b": D(201), "c": D(199)}
    assert state.scaling == "none"
    assert state.allocated == D(500)
    assert state.unspent == D(500)


def test_an_under_claimed_pool_that_scales_up_is_spent_exactly() -> None:
    """Same pool scaling up: factor 1,000 / 500 = 2, 200.80 / 401.40 / 397.80; floors 200 +
    401 + 397 = 998, 2 units left: a and c (.80 each; b has .40) → 201 / 401 / 398 = 1,000."""
    state, got = allocate(PoolRule(unit=D(1), scale_up=True), D(1000), UNDER)
    assert state.factor == 2
    assert state.scaling == "up"
    assert got == {"a": D(201), "b": D(401), "c": D(398)}
    assert state.allocated == D(1000)
    assert state.unspent == 0


def test_roster_order_does_not_change_any_allocation() -> None:
    """999.99 over d = 300, b = 300, a = 250 (own cap 200), c = 150, in all 24 orders. a is
    held at 200; the other 799.99 over 750 of awards (factor 1.0666533…): b and d 319.996,
    c 159.998 → floors 319.99 + 319.99 + 159.99 + 200 = 999.97; 2 cents left: c (remainder
    .008), then b over d on the tie (.006 each) → a 200, b 320.00, c 160.00, d 319.99."""
    members = [M("d", D(300)), M("b", D(300)), M("a", D(250), D(200)), M("c", D(150))]
    rule = PoolRule()
    reference, expected = allocate(rule, D("999.99"), members)
    assert expected == {"a": D(200), "b": D("320.00"), "c": D("160.00"), "d": D("319.99")}
    assert reference.units == 2
    for order in itertools.permutations(members):
        state, got = allocate(rule, D("999.99"), order)
        assert got == expected
        assert state == reference


# ------------------------------------------------------------------ properties


# the strategies `pools` draws from, built once: a strategy built inside a draw is built and
# validated again for every value drawn, which cost Hypothesis more than the solving it tests
_IDS = st.sets(st.integers(0, 9999), min_size=1, max_size=30)
_AWARDS = decimals("0", "100000", 2)
_CAPS = st.none() | _AWARDS
_UNITS = st.sampled_from([D("0.01"), D(1), D(100)])
_SHARE_CAPS = st.none() | decimals("0.01", "1", 2)
_FUNDINGS = decimals("-1000", "2000000", 2)
_NEAR_RATIOS = decimals("0.05", "2", 2)


@st.composite
def pools(draw: st.DrawFn, *, caps: bool = True) -> tuple[PoolRule, Decimal, list[PoolMember]]:
    """(rule, funding, members): 1–30 members with unique ids, awards 0–100,000 in cents,
    optional own caps; funding −1,000–2,000,000; unit 0.01, 1 or 100; an optional share cap.
    Without ``caps``, no member has a cap and the rule has no share cap."""
    numbers = draw(_IDS)
    members = []
    for n in sorted(numbers):
        award = draw(_AWARDS)
        cap = draw(_CAPS) if caps else None
        members.append(M(f"E{n:04d}", award, cap))
    members = draw(st.permutations(members))
    rule = PoolRule(
        unit=draw(_UNITS),
        cap_share=draw(_SHARE_CAPS) if caps else None,
        scale_up=draw(st.booleans()),
        redistribute=draw(st.booleans()),
    )
    # any funding, or one near the claims (so pools scale down, up or just fit, caps binding)
    if draw(st.booleans()):
        return rule, draw(_FUNDINGS), members
    claims = sum((award for _, award, _ in members), D(0))
    return rule, min(draw(_NEAR_RATIOS) * claims, D(2_000_000)).quantize(CENT), members


Pool = tuple[PoolRule, Decimal, list[PoolMember]]


@PROPERTIES
@given(pools())
def test_allocations_add_up_to_what_the_state_reports(pool: Pool) -> None:
    """Σ allocations = allocated exactly, allocated + unspent = pool, allocated ≤ pool."""
    state, got = allocate(*pool)
    assert sum(got.values()) == state.allocated
    assert state.allocated + state.unspent == state.amount
    assert state.allocated <= state.amount


@PROPERTIES
@given(pools())
@example((PoolRule(cap_share=D("0.5")), D(1000), [M("a", D(2000)), M("b", D(0))]))
@example((PoolRule(), D(1000), [M("a", D(2000), D(500)), M("b", D(0))]))
def test_a_pool_that_is_the_target_is_spent_exactly(pool: Pool) -> None:
    """When the target is the pool (scaling applied and the caps can take it), Σ allocations
    is the pool to the cent."""
    state, got = allocate(*pool)
    if state.target == state.amount:
        assert sum(got.values()) == state.amount


@PROPERTIES
@given(pools())
def test_an_award_rounded_after_its_remainder_is_rounded_afresh(pool: Pool) -> None:
    """The final pass asks a member's remainder (`share`), then its rounded award of the very
    same value (which `share` has rounded down already): the award is what a fresh value
    gives, for every member in turn."""
    rule, funding, members = pool
    with localcontext(ENGINE_CONTEXT):
        state = solve_pool(rule, funding, members)
        for employee_id, award, cap in members:
            scaled = state.scaled(award, cap)
            fresh = state.rounded(D(str(scaled)))
            state.share(scaled, cap, employee_id)
            assert repr(state.rounded(scaled)) == repr(fresh)


@PROPERTIES
@given(pools())
def test_no_allocation_is_negative_or_above_the_members_cap(pool: Pool) -> None:
    state, got = allocate(*pool)
    for employee_id, _, cap in pool[2]:
        assert got[employee_id] >= 0
        limit = state.effective_cap(cap)
        if limit is not None:
            assert got[employee_id] <= limit


@PROPERTIES
@given(pools())
def test_every_allocation_is_a_whole_number_of_units(pool: Pool) -> None:
    state, got = allocate(*pool)
    unit = state.rule.unit
    for value in got.values():
        assert value % unit == 0, (value, unit)


@PROPERTIES
@given(pools(), st.data())
def test_shuffled_members_get_the_same_allocations(pool: Pool, data: st.DataObject) -> None:
    rule, funding, members = pool
    state, got = allocate(rule, funding, members)
    shuffled = data.draw(st.permutations(members))
    again, got_again = allocate(rule, funding, shuffled)
    assert got_again == got
    assert again == state


@PROPERTIES
@given(pools(caps=False))
def test_a_bigger_award_never_gets_a_smaller_allocation(pool: Pool) -> None:
    """Without caps, award_i > award_j ⇒ allocation_i ≥ allocation_j (ties and remainders
    cannot reorder members by more than their unit)."""
    _, got = allocate(*pool)
    for (i, award_i, _), (j, award_j, _) in itertools.permutations(pool[2], 2):
        if award_i > award_j:
            assert got[i] >= got[j], (i, award_i, got[i], j, award_j, got[j])


@PROPERTIES
@given(pools())
def test_an_uncapped_allocation_is_within_one_unit_of_factor_times_award(pool: Pool) -> None:
    """Scaled down, every member whose cap does not bind (no cap, or the award and factor ×
    award both within it) gets factor × award to less than one unit, up or down."""
    state, got = allocate(*pool)
    if state.scaling != "down":
        return
    unit = state.rule.unit
    with localcontext(ENGINE_CONTEXT):
        for employee_id, award, cap in pool[2]:
            exact = state.factor * award
            limit = state.effective_cap(cap)
            if limit is None or (award <= limit and exact <= limit):
                assert abs(got[employee_id] - exact) < unit, (employee_id, award, exact)


@PROPERTIES
@given(pools(caps=False))
def test_without_caps_a_scaled_down_pool_gives_everyone_factor_times_award(pool: Pool) -> None:
    """No caps at all, scaled down: every allocation within one unit of factor × award."""
    state, got = allocate(*pool)
    if state.scaling != "down":
        return
    with localcontext(ENGINE_CONTEXT):
        for employee_id, award, _ in pool[2]:
            assert abs(got[employee_id] - state.factor * award) < state.rule.unit


@PROPERTIES
@given(pools())
def test_the_remainder_goes_to_the_largest_remainders_by_a_plain_sort(
    case: tuple[PoolRule, Decimal, list[PoolMember]],
) -> None:
    """Against a plain reading of the rule: when the pool is spent by largest remainder, sort
    every member that may take a unit by (remainder descending, employee_id) and give one unit
    to each of the first (target − Σ rounded down) ÷ unit; the solver gives the same allocations."""
    rule, funding, members = case
    state, got = allocate(rule, funding, members)
    if state.half_up:
        return  # no remainder handed out: each award is rounded half up
    unit = rule.unit
    with localcontext(ENGINE_CONTEXT):
        scaled = {m.employee_id: state.scaled(m.award, m.cap) for m in members}
        floors = {
            e: (v / unit).to_integral_value(rounding="ROUND_FLOOR") * unit
            for e, v in scaled.items()
        }
        caps = {m.employee_id: state.effective_cap(m.cap) for m in members}
        takers = sorted(
            (floors[e] - v, e)
            for e, v in scaled.items()
            if v > 0 and (caps[e] is None or floors[e] + unit <= caps[e])
        )
        units = int((state.target - sum(floors.values())) / unit)
        given = {e for _, e in takers[: max(0, units)]}
        expected = {e: floors[e] + (unit if e in given else 0) for e in scaled}
    assert got == expected


def test_the_sums_a_pool_reports_are_exact_beyond_28_digits() -> None:
    """11 awards of 9,900,000,000,000,000,000,000,000.01 claim 108,900,000,000,000,000,000,000,000.11
    (29 digits): pools.csv shows that sum, not one rounded to the engine's 28 digits."""
    members = equal_awards([f"E{i:02}" for i in range(11)], "9900000000000000000000000.01")
    state, _ = allocate(PoolRule(), D("1000.00"), members)
    assert state.sum_awards == D("108900000000000000000000000.11")
    assert state.sum_capped == D("108900000000000000000000000.11")


@given(pools(), st.data())
@PROPERTIES
def test_the_solver_states_every_figure_as_the_plain_solver_does(
    pool: Pool, data: st.DataObject
) -> None:
    """The solver works each member's base and cap out once and notes its remainder's bucket;
    the plain solver (tests/pool_solver_plain.py) recomputes them per round: the same state,
    to the last digit and exponent of every figure (awards and caps written with fewer or
    more decimals, or negative, pick the same operand of every min and max)."""
    rule, funding, members = pool
    forms = st.sampled_from(["as is", "normalised", "negative", "more decimals"])

    def written(value: Decimal | None) -> Decimal | None:
        form = data.draw(forms)
        if value is None or form == "as is":
            return value
        if form == "normalised":
            return value.normalize()
        return -value if form == "negative" else value.quantize(D("0.0001"))

    members = [M(m.employee_id, written(m.award) or D(0), written(m.cap)) for m in members]
    with localcontext(ENGINE_CONTEXT):
        assert repr(solve_pool(rule, funding, members)) == repr(
            plain_solve_pool(rule, funding, members)
        )


def test_an_award_equal_to_its_cap_keeps_the_award_as_written() -> None:
    """min(award, cap) of equal values is the award (5.0, not the cap's 5.00): the capped sum
    the pool reports is 8.0, as the plain solver has it."""
    members = [M("A", D("5.0"), D("5.00")), M("B", D("3"))]
    for redistribute in (True, False):
        rule = PoolRule(redistribute=redistribute)
        with localcontext(ENGINE_CONTEXT):
            state = solve_pool(rule, D(100), members)
            assert repr(state) == repr(plain_solve_pool(rule, D(100), members))
        assert str(state.sum_capped) == "8.0"


@given(pools(), st.sampled_from([2, 6, 21]), st.booleans())
@PROPERTIES
def test_a_pool_without_own_caps_is_solved_as_the_plain_solver_does(
    pool: Pool, digits: int, negative: bool
) -> None:
    """A pool whose members have no cap of their own (the usual pool: only a share cap, if
    any) is summed and floored in C loops and integers of units (`_Bases._quick_sums`,
    `_floors_in_units`): the same state as the plain solver's, to the last digit and
    exponent, with awards of 2 to 21 decimals (as a formula gives them), or one below 0."""
    rule, funding, members = pool
    step = D(1).scaleb(-digits)
    awards = [(m.award * D("1.000123456789")).quantize(step) for m in members]
    if negative:
        awards[0] = -awards[0]
    plain = [M(m.employee_id, award) for m, award in zip(members, awards, strict=True)]
    with localcontext(ENGINE_CONTEXT):
        assert repr(solve_pool(rule, funding, plain)) == repr(
            plain_solve_pool(rule, funding, plain)
        )
