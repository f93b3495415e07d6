"""Loading policies: scalars read by declared type, empty sections, overrides, immutability."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import attrs
import pydantic
import pytest

from conftest import EMPLOYEES, POLICIES, RATES, RULES
from incentives.engine.calculate import PolicyOutcome, calculate
from incentives.errors import OptionsError
from incentives.io import open_roster, read_rates
from incentives.jobs import required_columns
from incentives.model import EmployeeInput, Rejection, RowSource
from incentives.rulebook.rulebook import Rulebook, load_rules
from incentives.rulebook.runtime.policy import CompiledPolicy

D = Decimal
SAMPLE_ID = "annual-bonus-2026"
SCALARS = POLICIES / "valid" / "scalars.yaml"


@pytest.fixture(scope="module")
def scalars() -> CompiledPolicy:
    (policy,) = load_rules(SCALARS).policies
    return policy


@pytest.fixture(scope="module")
def sample() -> Rulebook:
    return load_rules(RULES)


@pytest.fixture(scope="module")
def avery() -> EmployeeInput:
    """Employee 00001 of the sample roster (level 1, USD, goals from the roster columns)."""
    rulebook = load_rules(RULES)
    roster = open_roster(EMPLOYEES, required_columns=required_columns(rulebook))
    for item in roster:
        if isinstance(item, EmployeeInput) and item.employee_id == "00001":
            return item
    raise AssertionError("00001 not in the sample roster")


def compute(rulebook: Rulebook, employee: EmployeeInput) -> PolicyOutcome:
    (item,) = calculate(rulebook, [employee], rates=read_rates(RATES))
    assert not isinstance(item, Rejection), item
    # the sample's annual bonus outcome (the merit policy and the sales incentive cover the same
    # employee); a one-policy rulebook's only outcome
    (outcome,) = [o for o in item.outcomes if o.policy.id == "annual-bonus-2026"] or item.outcomes
    return outcome


def pay(outcome: PolicyOutcome) -> Decimal:
    """The rounded total of the first pay component."""
    value = outcome.trace[outcome.policy.pay[0].total_slot]
    assert isinstance(value, Decimal)
    return value


# -- scalars by declared type ------------------------------------------------------------------


def test_decimal_keeps_its_written_places(scalars: CompiledPolicy) -> None:
    """`multiplier: 1.10` is the decimal 1.10 with two places, never the float 1.1."""
    value = scalars.parameters["multiplier"]
    assert type(value) is Decimal
    assert value == D("1.10")
    assert value.as_tuple().exponent == -2


def test_leading_zero_is_decimal_not_octal(scalars: CompiledPolicy) -> None:
    """`010` is ten wherever a number is declared: a parameter and an input's max."""
    assert scalars.parameters["tens"] == 10
    assert scalars.spec.inputs["level"].max == 10


def test_exponent_notation_is_a_number(scalars: CompiledPolicy) -> None:
    """`1e3` is 1000."""
    value = scalars.parameters["threshold"]
    assert type(value) is Decimal
    assert value == 1000


def test_percent_is_a_fraction(scalars: CompiledPolicy) -> None:
    """`15%` is 0.15 exactly."""
    assert scalars.parameters["rate"] == D("0.15")
    assert str(scalars.parameters["rate"]) == "0.15"


def test_no_stays_text_in_allowed_values(scalars: CompiledPolicy) -> None:
    """`allowed: [NO, SE, DK]` on a text input is the text 'NO' (Norway), not false."""
    assert scalars.spec.inputs["country"].allowed == ["NO", "SE", "DK"]


def test_no_stays_text_as_an_exact_table_key(scalars: CompiledPolicy) -> None:
    """`at: [NO, SE, DK]` keys the table by the label 'NO'."""
    assert scalars.spec.tables["country_uplift"].axes[0].at == ["NO", "SE", "DK"]


def test_scalars_in_a_calculation() -> None:
    """Country NO (Norway) matches the NO key: 1000 × 15% × 1.10 × 1.10 = 181.50."""
    rulebook = load_rules(SCALARS)
    cells = {
        "employee_id": "7",
        "currency": "USD",
        "country": "NO",
        "level": "3",
        "base_salary": "1000",
    }
    employee = EmployeeInput("7", cells, RowSource("roster.csv", 1, 2))
    (item,) = calculate(rulebook, [employee])
    assert not isinstance(item, Rejection), item
    (outcome,) = item.outcomes
    assert outcome.value("bonus") == D("181.5")
    assert pay(outcome) == D("181.50")


def test_yes_on_no_are_text_where_text_is_declared(policy_file: Callable[..., Path]) -> None:
    """`allowed: [yes, on, NO]` and a text table key `off` stay text, not booleans."""
    path = policy_file(
        """
        policy:
          id: answers
          title: Answers
          version: "1"
          kind: bonus
          effective: {from: 2026-01-01}
          performance_period: {start: 2026-01-01, end: 2026-12-31}
          payout_date: 2027-03-15
          currency: currency
        inputs:
          employee_id: {type: text}
          currency: {type: text}
          answer: {type: text, allowed: [yes, on, NO, off]}
        tables:
          points:
            axes:
              - {name: answer, match: exact, at: [yes, on, NO, off]}
            values: [1, 2, 3, 4]
        steps:
          bonus: "points(answer)"
        """
    )
    (policy,) = load_rules(path).policies
    assert policy.spec.inputs["answer"].allowed == ["yes", "on", "NO", "off"]
    assert policy.spec.tables["points"].axes[0].at == ["yes", "on", "NO", "off"]


def test_dates_are_iso_dates(scalars: CompiledPolicy) -> None:
    """`payout_date: 2027-03-15` is 15 March 2027 and `version: "1.10"` stays the text 1.10."""
    assert scalars.spec.policy.payout_date == datetime.date(2027, 3, 15)
    assert scalars.version == "1.10"


def test_empty_sections_are_fine(policy_file: Callable[..., Path]) -> None:
    """Sections left empty (`tables:`, `parameters: {}`, `eligibility: []`) load as empty."""
    path = policy_file(
        """
        policy:
          id: empty-sections
          title: Empty sections
          version: "1"
          kind: bonus
          effective: {from: 2026-01-01}
          performance_period: {start: 2026-01-01, end: 2026-12-31}
          payout_date: 2027-03-15
          currency: currency
        inputs:
          employee_id: {type: text}
          currency: {type: text}
        rating_scales:
        parameters: {}
        results:
        tables:
        curves:
        tiers:
        scorecards:
        eligibility: []
        steps:
        pay:
        """
    )
    (policy,) = load_rules(path).policies
    assert policy.spec.tables == {}
    assert policy.spec.steps == {}
    assert policy.pay == ()


# -- with_overrides ----------------------------------------------------------------------------


def test_parameter_override_is_visible_and_the_original_unchanged(
    sample: Rulebook, avery: EmployeeInput
) -> None:
    """absolute_cap_usd 250,000 -> 1,000 caps 00001's individual award (the `bonus` step, before
    the department pool) at 1,000; the original still awards 2,161.1625. (The pay is the
    department pool's allocation, which depends on the whole unit: not checked here.)"""
    before = compute(sample, avery).value("bonus")
    variant = sample.with_overrides(SAMPLE_ID, parameters={"absolute_cap_usd": D(1000)})
    assert before == D("2161.1625")
    assert compute(variant, avery).value("bonus") == D(1000)
    assert compute(sample, avery).value("bonus") == before
    assert sample.policy(SAMPLE_ID).parameters["absolute_cap_usd"] == 250000
    assert variant.policy(SAMPLE_ID).parameters["absolute_cap_usd"] == 1000


def test_table_cell_override_is_visible_and_the_original_unchanged(
    sample: Rulebook, avery: EmployeeInput
) -> None:
    """target_pct for level 1 from 5% to 10% doubles 00001's target and individual award (the
    `bonus` step, before the department pool): 4,200.00 × 1.029125 = 4,322.325 instead of
    2,100.00 × 1.029125 = 2,161.1625."""
    variant = sample.with_overrides(SAMPLE_ID, table_values={"target_pct": {(0,): D("0.10")}})
    changed = compute(variant, avery)
    assert changed.value("target_percent") == D("0.10")
    assert changed.value("target_bonus") == D("4200.00")
    assert changed.value("bonus") == D("4322.325")
    original = compute(sample, avery)
    assert original.value("target_percent") == D("0.05")
    assert original.value("target_bonus") == D("2100.00")
    assert original.value("bonus") == D("2161.1625")


def test_curve_point_override_reaches_the_goal_scorecard(
    sample: Rulebook, avery: EmployeeInput
) -> None:
    """goal_payout's third point (105%, 100%) -> (105%, 120%): 00001's goals at 100% and 102%
    attainment now pay 110% and 114%, so the individual score rises above 1."""
    variant = sample.with_overrides(
        SAMPLE_ID, curve_points={"goal_payout": {2: (D("1.05"), D("1.20"))}}
    )
    assert compute(sample, avery).value("individual_score") == 1
    assert compute(variant, avery).value("individual_score") > 1


def test_curve_point_override_in_a_formula(policy_file: Callable[..., Path]) -> None:
    """A curve called from a formula uses the overridden point; the original keeps its own."""
    path = policy_file(
        """
        policy:
          id: curvy
          title: Curve in a formula
          version: "1"
          kind: bonus
          effective: {from: 2026-01-01}
          performance_period: {start: 2026-01-01, end: 2026-12-31}
          payout_date: 2027-03-15
          currency: currency
        inputs:
          employee_id: {type: text}
          currency: {type: text}
          attainment: {type: percent}
        curves:
          payout:
            points: [[80%, 50%], [100%, 100%], [120%, 200%]]
        steps:
          bonus:
            formula: "1000 * payout(attainment)"
            type: money
        pay:
          - {name: annual_bonus, step: bonus, pay_code: AIP}
        """
    )
    rulebook = load_rules(path)
    variant = rulebook.with_overrides("curvy", curve_points={"payout": {1: (D(1), D("1.5"))}})
    employee = EmployeeInput(
        "1", {"employee_id": "1", "currency": "USD", "attainment": "100%"}, RowSource("r", 1, 2)
    )
    assert pay(compute(rulebook, employee)) == D("1000.00")
    assert pay(compute(variant, employee)) == D("1500.00")
    assert pay(compute(rulebook, employee)) == D("1000.00")


def test_override_of_an_unknown_parameter_suggests_a_name(sample: Rulebook) -> None:
    """A typo in an override is an OptionsError with a did-you-mean, not a silent no-op."""
    with pytest.raises(OptionsError, match=r"unknown parameter .*'max_multiple'"):
        sample.with_overrides(SAMPLE_ID, parameters={"max_multipel": D(3)})


def test_invalid_override_is_refused(sample: Rulebook) -> None:
    """Overriding a curve point so the inputs are no longer increasing is an OptionsError."""
    with pytest.raises(OptionsError, match="override of 'goal_payout' is invalid"):
        sample.with_overrides(SAMPLE_ID, curve_points={"goal_payout": {1: (D("0.5"), D(1))}})


# -- immutability ------------------------------------------------------------------------------


def test_compiled_policy_and_rulebook_are_frozen(sample: Rulebook) -> None:
    """Assigning to a loaded rulebook, a compiled policy or its spec raises."""
    policy = sample.policy(SAMPLE_ID)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.file = "other.yaml"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.parameters = {}  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        sample.policies = ()  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        policy.spec.policy.id = "other"  # type: ignore[misc]
    assert isinstance(sample.policies, tuple)
    assert isinstance(policy.slots, tuple)


def test_compiled_policy_mappings_are_read_only() -> None:
    """Writing into a loaded policy's parameters raises TypeError instead of changing payouts."""
    policy = load_rules(RULES).policy(SAMPLE_ID)
    try:
        policy.parameters["absolute_cap_usd"] = D(500)  # type: ignore[index]
    except TypeError:
        return
    raise AssertionError("policy.parameters accepted an assignment")
