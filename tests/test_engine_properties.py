"""Engine invariants over generated employees: floors, caps, monotonicity, exact splits, totals.

The policies are compiled once per module (a module-scoped fixture); each example only
computes a few employees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_helpers import load, outcome, policy_yaml, run
from incentives.audit.manifest import manifest_data
from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome
from incentives.model import GoalInput, Rejection
from incentives.money import minor_unit, round_to
from incentives.rulebook.rulebook import Rulebook
from strategies import attainments, decimals, employee_rows, goal_figures, shares

D = Decimal

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BONUS = policy_yaml(
    """
    parameters:
      pool: 10000
    rating_scales:
      numeric:
        min: 1
        max: 5
    tables:
      rating_multiplier:
        axes:
          - {name: rating, match: exact, at: [1, 2, 3, 4, 5]}
        values: [0%, 50%, 100%, 120%, 150%]
    curves:
      goal_payout:
        points: [[80%, 50%], [95%, 100%], [105%, 100%], [150%, 200%]]
      company_payout:
        points: [[50%, 0%], [100%, 100%], [200%, 150%]]
    scorecards:
      individual:
        scope: employee
        max_goals: 2
        curve: goal_payout
    steps:
      target:
        formula: "salary * 10%"
        type: money
        round: {step: 0.01, mode: half_up}
      unit_target:  # pay-currency money adds up within one currency
        aggregate: sum
        of: target
        by: currency
      unit_share: "target / unit_target if unit_target > 0 else 0"
      pool_bonus: {formula: "pool * unit_share", type: money}
      company: "company_payout(attainment)"
      bonus:
        formula: "target * company * individual * rating_multiplier(rating) + target * adjustment"
        type: money
        floor: 0
        cap: "target * 2"
    pay:
      - name: annual_bonus
        step: bonus
        pay_code: AIP
        split:
          - {name: annual_bonus_excess, pay_code: AIPX, above: "target * 150%"}
      - name: pool_award
        step: pool_bonus
        pay_code: POOL
    """,
    inputs="""
    salary: {type: decimal, min: 0}
    unit: {type: text}
    rating: {type: rating, scale: numeric}
    adjustment: {type: percent, min: -10%, max: 0%}
    attainment: {type: percent}
    """,
)

SPLIT = """
    steps:
      bonus: {formula: "amount", type: money}
    pay:
      - name: annual_bonus
        step: bonus
        pay_code: AIP
        split:
          - {name: excess, pay_code: AIPX, above: "limit"}
          - {name: deferred, pay_code: DEF, share: {share}}
    """
SPLIT_INPUTS = """
    amount: {type: decimal}
    limit: {type: decimal}
    """


@pytest.fixture(scope="module")
def bonus_rules(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    return load(tmp_path_factory.mktemp("bonus"), BONUS)


@pytest.fixture(scope="module")
def split_rules(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Rulebook]:
    """A rulebook per split share, compiled on first use."""
    compiled: dict[str, Rulebook] = {}
    folder = tmp_path_factory.mktemp("split")

    def get(share: str) -> Rulebook:
        if share not in compiled:
            text = policy_yaml(SPLIT.replace("{share}", share), inputs=SPLIT_INPUTS)
            compiled[share] = load(folder, text)
        return compiled[share]

    return get


def goals_of(figures: Sequence[tuple[str, str, str]]) -> tuple[GoalInput, ...]:
    """Goals with equal weights (one goal 100%, two goals 50% each)."""
    weight = "100%" if len(figures) == 1 else "50%"
    return tuple(GoalInput(f"goal {i}", t, a, weight, d) for i, (t, a, d) in enumerate(figures, 1))


def compute_one(
    rules: Rulebook,
    row: Mapping[str, str],
    goals: Sequence[tuple[str, str, str]] = (("100", "100", "higher"),),
) -> PolicyOutcome:
    _, [item] = run(rules, [{**row, "employee_id": "E1"}], goals={"E1": goals_of(goals)})
    out = outcome(item)
    assert isinstance(out, PolicyOutcome), out
    return out


goal_lists = st.lists(goal_figures(), min_size=1, max_size=2)


# --------------------------------------------------------------------------- floor and cap


@FAST
@given(row=employee_rows(), goals=goal_lists)
def test_a_floored_payout_is_never_negative(
    bonus_rules: Rulebook, row: dict[str, str], goals: list[tuple[str, str, str]]
) -> None:
    """With floor 0 the bonus and every pay line are ≥ 0, whatever the adjustment (−10%..0%)."""
    out = compute_one(bonus_rules, row, goals)
    assert out.value("bonus") >= 0
    for name in ("pay.annual_bonus", "pay.annual_bonus_excess", "pay.annual_bonus.total"):
        assert out.value(name) >= 0
        assert not out.value(name).is_signed()


@FAST
@given(row=employee_rows(), goals=goal_lists)
def test_a_capped_payout_is_never_above_its_cap(
    bonus_rules: Rulebook, row: dict[str, str], goals: list[tuple[str, str, str]]
) -> None:
    """bonus ≤ target × 2, and the rounded pay total ≤ round(target × 2)."""
    out = compute_one(bonus_rules, row, goals)
    cap = out.value("target") * 2
    assert out.value("bonus") <= cap
    assert out.value("pay.annual_bonus.total") <= round_to(cap, minor_unit(row["currency"]))


# ------------------------------------------------------------------------------ monotone


@FAST
@given(
    row=employee_rows(),
    target=decimals("0.01", "1000", 2),
    actuals=st.lists(decimals("0", "3000", 2), min_size=2, max_size=2),
    direction=st.sampled_from(["higher", "lower"]),
    other=goal_figures(),
)
def test_payout_never_falls_when_a_goals_attainment_rises(
    bonus_rules: Rulebook,
    row: dict[str, str],
    target: Decimal,
    actuals: list[Decimal],
    direction: str,
    other: tuple[str, str, str],
) -> None:
    """Two goals; the first's actual moves so that its attainment rises (a higher actual when
    higher is better, a lower one when lower is better): the bonus does not fall."""
    low, high = sorted(actuals)
    worse, better = (low, high) if direction == "higher" else (high, low)
    before = compute_one(bonus_rules, row, [(str(target), str(worse), direction), other])
    after = compute_one(bonus_rules, row, [(str(target), str(better), direction), other])
    goal_before, goal_after = (
        before.value("individual.goals")[0],
        after.value("individual.goals")[0],
    )
    assert goal_before[5] <= goal_after[5]  # attainment
    assert before.value("individual") <= after.value("individual")
    assert before.value("bonus") <= after.value("bonus")


@FAST
@given(
    row=employee_rows(),
    ratings=st.lists(st.integers(1, 5), min_size=2, max_size=2),
    goals=goal_lists,
)
def test_payout_never_falls_when_the_rating_rises(
    bonus_rules: Rulebook,
    row: dict[str, str],
    ratings: list[int],
    goals: list[tuple[str, str, str]],
) -> None:
    """The rating table is monotone (0%, 50%, 100%, 120%, 150%): a higher rating never pays less."""
    low, high = sorted(ratings)
    before = compute_one(bonus_rules, {**row, "rating": str(low)}, goals)
    after = compute_one(bonus_rules, {**row, "rating": str(high)}, goals)
    assert before.value("bonus") <= after.value("bonus")
    assert before.value("pay.annual_bonus.total") <= after.value("pay.annual_bonus.total")


@FAST
@given(row=employee_rows(), levels=st.lists(attainments(), min_size=2, max_size=2))
def test_payout_never_falls_when_the_company_result_rises(
    bonus_rules: Rulebook, row: dict[str, str], levels: list[Decimal]
) -> None:
    """The company curve is monotone: a higher attainment never pays less."""
    low, high = sorted(levels)
    before = compute_one(bonus_rules, {**row, "attainment": str(low)})
    after = compute_one(bonus_rules, {**row, "attainment": str(high)})
    assert before.value("bonus") <= after.value("bonus")


# --------------------------------------------------------------------------------- splits


amounts = decimals("-0.01", "1000000", 4)
limits = decimals("-100", "1000000", 4)


@FAST
@given(
    share=shares(),
    amount=amounts,
    limit=limits,
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_split_parts_sum_exactly_to_the_rounded_total(
    split_rules: Callable[[str], Rulebook],
    share: str,
    amount: Decimal,
    limit: Decimal,
    currency: str,
) -> None:
    """For any amount, limit and share: total = round(amount, minor unit, half up), every part is
    on the minor-unit grid and kept + above part + share part = total exactly."""
    amount = amount if amount >= 0 else D(0)  # a negative total is rejected (tested elsewhere)
    rules = split_rules(share)
    _, [item] = run(rules, [{"amount": str(amount), "limit": str(limit), "currency": currency}])
    out = outcome(item)
    assert isinstance(out, PolicyOutcome), out
    unit = minor_unit(currency)
    total = out.value("pay.annual_bonus.total")
    parts = [out.value(n) for n in ("pay.annual_bonus", "pay.excess", "pay.deferred")]
    assert total == round_to(amount, unit)
    assert sum(parts) == total
    for part in parts:
        assert part % unit == 0


@FAST
@given(share=shares(), amount=decimals("0", "1000000", 4), limit=limits)
def test_split_parts_are_never_negative(
    split_rules: Callable[[str], Rulebook], share: str, amount: Decimal, limit: Decimal
) -> None:
    """Each part and the kept remainder lie between 0 and the rounded total (or the row is rejected)."""
    _, [item] = run(split_rules(share), [{"amount": str(amount), "limit": str(limit)}])
    out = outcome(item)
    if isinstance(out, Rejection):
        return
    total = out.value("pay.annual_bonus.total")
    for name in ("pay.annual_bonus", "pay.excess", "pay.deferred"):
        assert 0 <= out.value(name) <= total, (name, out.value(name), total)


# ------------------------------------------------------------------ totals and ordering

rosters = st.lists(st.tuples(employee_rows(), goal_lists), min_size=1, max_size=8)


def as_roster(
    drawn: list[tuple[dict[str, str], list[tuple[str, str, str]]]],
) -> tuple[list[dict[str, str]], dict[str, tuple[GoalInput, ...]]]:
    rows = [{**row, "employee_id": f"E{i:03d}"} for i, (row, _) in enumerate(drawn)]
    goals = {f"E{i:03d}": goals_of(g) for i, (_, g) in enumerate(drawn)}
    return rows, goals


@FAST
@given(drawn=rosters)
def test_manifest_totals_equal_the_sum_of_the_outcomes(
    bonus_rules: Rulebook, drawn: list[tuple[dict[str, str], list[tuple[str, str, str]]]]
) -> None:
    """For each currency and pay component, the manifest's total is the sum of the employees'
    pay lines; the manifest counts reconcile."""
    rows, goals = as_roster(drawn)
    calc, items = run(bonus_rules, rows, goals=goals)
    expected: dict[tuple[str, str, str], Decimal] = {}
    for item in items:
        assert isinstance(item, EmployeeOutcome), item
        po = item.outcomes[0]
        for name, code in (
            ("annual_bonus", "AIP"),
            ("annual_bonus_excess", "AIPX"),
            ("pool_award", "POOL"),
        ):
            key = (po.currency, name, code)
            expected[key] = expected.get(key, D(0)) + po.value(f"pay.{name}")
    manifest = manifest_data(calc, inputs={}, as_of="2027-03-15", orphan_rows=0)
    got = {(t["currency"], t["component"], t["pay_code"]): t["amount"] for t in manifest["totals"]}
    assert got == expected
    assert manifest["counts"]["reconciles"] is True
    assert manifest["counts"]["computed"] == len(rows)
    per_currency: dict[str, Decimal] = {}
    for (currency, _, _), amount in got.items():
        per_currency[currency] = per_currency.get(currency, D(0)) + amount
    assert sum(per_currency.values()) == sum(expected.values())


@FAST
@given(drawn=rosters, data=st.data())
def test_results_do_not_depend_on_the_order_of_employees(
    bonus_rules: Rulebook,
    drawn: list[tuple[dict[str, str], list[tuple[str, str, str]]]],
    data: st.DataObject,
) -> None:
    """Shuffling the roster changes no employee's trace (group totals included) and no total."""
    rows, goals = as_roster(drawn)
    shuffled = data.draw(st.permutations(rows))
    calc_a, items_a = run(bonus_rules, rows, goals=goals)
    calc_b, items_b = run(bonus_rules, shuffled, goals=goals)
    traces_a = {
        i.employee_id: i.outcomes[0].trace for i in items_a if isinstance(i, EmployeeOutcome)
    }
    traces_b = {
        i.employee_id: i.outcomes[0].trace for i in items_b if isinstance(i, EmployeeOutcome)
    }
    assert traces_a == traces_b
    assert calc_a.summary.totals == calc_b.summary.totals
    assert calc_a.group_totals() == calc_b.group_totals()
    assert [i.employee_id for i in items_b] == [
        r["employee_id"] for r in shuffled
    ]  # input order kept
