"""Static types, the reviewer's holes: pay-currency money summed across currencies, pool and
split limits in the wrong currency, non-true/false conditions, a step whose declared type
contradicts its formula, and single-currency plans (where the one code IS the pay currency).

Each test writes a policy and asserts the problem `check` reports (field, message, column,
hint) or, for a policy that is right, the value it pays.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine_helpers import FixedRates, compute, load, problems_of
from engine_helpers import only_problem as only
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import Problem
from incentives.model import Rejection

D = Decimal
END = datetime.date(2026, 12, 31)

BASE = """\
policy:
  id: t-bonus
  title: Test
  version: "1"
  kind: bonus
  effective: {{from: 2026-01-01, to: 2026-12-31}}
  performance_period: {{start: 2026-01-01, end: 2026-12-31}}
  payout_date: 2027-03-15
  population: "{population}"
  currency: {header}
inputs:
  employee_id: {{type: text}}
  plan: {{type: text}}
  unit: {{type: text, allowed: [Sales, Engineering]}}
  level: {{type: integer, min: 1, max: 8}}
  base_salary: {{type: decimal, min: 0}}
  currency: {{type: text, allowed: [{allowed}]}}
  on_pip: {{type: boolean, required: false, default: false}}
  termination_date: {{type: date, required: false}}
parameters:
  cap_usd: 250000
{eligibility}steps:
  target_bonus:
    formula: "base_salary * 10%"
    type: money
  target_usd:
    formula: "fx(target_bonus, currency, 'USD')"
    type: decimal
{steps}{extra}pay:
  - name: annual_bonus
    step: {pay}
    pay_code: AIP
{split}"""


def policy(
    steps: str,
    *,
    extra: str = "",
    pay: str = "bonus",
    split: str = "",
    population: str = "plan == 'AIP'",
    allowed: str = "USD, EUR, GBP",
    header: str = "currency",
    eligibility: str = "",
) -> str:
    return BASE.format(
        steps=steps,
        extra=extra,
        pay=pay,
        split=split,
        population=population,
        allowed=allowed,
        header=header,
        eligibility=eligibility,
    )


def column_of(problem: Problem, text: str, written: str, column: int) -> None:
    """``problem`` is at file:line:column, where ``column`` (1-based) of ``written`` is."""
    assert problem.line is not None, str(problem)
    line = text.splitlines()[problem.line - 1]
    assert problem.column == line.index(written) + column, (str(problem), line)


def paid(item: PolicyOutcome | Rejection, step: str = "bonus") -> Decimal:
    assert isinstance(item, PolicyOutcome), item
    value = item.value(step)
    assert isinstance(value, Decimal)
    return value


def row(
    employee: str, currency: str, salary: str, unit: str = "Sales", **more: str
) -> dict[str, str]:
    return {
        "employee_id": employee,
        "plan": "AIP",
        "unit": unit,
        "level": "3",
        "base_salary": salary,
        "currency": currency,
        **more,
    }


RATES = FixedRates(
    {
        ("USD", "USD", "average", END): "1",
        ("GBP", "USD", "average", END): "1.25",
        ("EUR", "USD", "average", END): "1.10",
        ("USD", "EUR", "average", END): "0.90",
        ("EUR", "EUR", "average", END): "1",
    }
)

# -- 1. aggregates of pay-currency money ----------------------------------------------------------

SHARE = """\
  tot:
    aggregate: {how}
    of: {of}
{by}  share:
    formula: "{of} / tot"
    type: percent
  bonus:
    formula: "100000 * share"
    type: money
"""


@pytest.mark.parametrize("how", ["sum", "mean", "min", "max"])
def test_aggregating_pay_currency_money_across_currencies_is_an_error(
    tmp_path: Path, how: str
) -> None:
    """A sum of target_bonus over a unit adds dollars to pounds: an error at the step's `of:`,
    with the conversion to aggregate instead."""
    text = policy(SHARE.format(how=how, of="target_bonus", by="    by: unit\n"))
    problem = only(tmp_path, text)
    assert problem.field == "steps.tot.of"
    assert problem.message == (
        f"aggregate: {how} of step 'target_bonus', which is money in the pay currency, adds "
        "up employees paid in different currencies (input 'currency' allows USD, EUR, GBP)"
    )
    assert problem.hint == (
        "aggregate a step converted into one currency, e.g. "
        "fx(target_bonus, currency, 'USD'), or group by: currency"
    )
    assert problem.line == text.splitlines().index("    of: target_bonus") + 1


def test_count_and_money_in_a_named_currency_aggregate_fine(tmp_path: Path) -> None:
    """Summing the USD conversion is right: each share is the employee's USD over the unit's."""
    text = policy(
        SHARE.format(how="sum", of="target_usd", by="    by: unit\n")
        + "  n:\n    aggregate: count\n    of: target_bonus\n"
    )
    outs = compute(
        tmp_path, text, [row("1", "USD", "300000"), row("2", "GBP", "80000")], rates=RATES
    )
    # USD 30,000 and GBP 8,000 = USD 10,000: shares 75% and 25%
    assert [paid(o) for o in outs] == [D("75000.00"), D("25000.00")]


@pytest.mark.parametrize(
    ("by", "allowed", "header"),
    [
        ("    by: currency\n", "USD, EUR, GBP", "currency"),
        ("    by: unit\n", "EUR", "currency"),
    ],
)
def test_pay_currency_money_aggregates_when_every_member_has_one_currency(
    tmp_path: Path, by: str, allowed: str, header: str
) -> None:
    """Grouped by the currency input, or a plan whose currency input allows one code: fine."""
    text = policy(SHARE.format(how="sum", of="target_bonus", by=by), allowed=allowed, header=header)
    load(tmp_path, text)


# -- 2. pool funding and cap, split limits ---------------------------------------------------------

POOL = """\
pools:
  pp:
    by: unit
    currency: USD
    award: {award}
    funding: "{funding}"
    round: 0.01
{cap}"""
BONUS = '  bonus:\n    formula: "target_bonus"\n    type: money\n'


def test_pool_funding_in_the_pay_currency_is_an_error(tmp_path: Path) -> None:
    text = policy(
        BONUS,
        extra=POOL.format(award="bonus", funding="target_bonus * 3", cap=""),
        pay="pp_payout",
    )
    problem = only(tmp_path, text)
    assert problem.field == "pools.pp.funding"
    assert problem.message == (
        "the pool's funding must be in the pool's currency, USD, not money in the pay currency "
        "in 'target_bonus * 3'"
    )
    assert problem.hint == "convert it: fx(target_bonus * 3, currency, 'USD')"
    column_of(problem, text, "target_bonus * 3", 1)


def test_a_pool_cap_in_the_pay_currency_is_an_error(tmp_path: Path) -> None:
    text = policy(
        BONUS,
        extra=POOL.format(award="bonus", funding="100000", cap='    cap: "target_bonus"\n'),
        pay="pp_payout",
    )
    problem = only(tmp_path, text)
    assert problem.field == "pools.pp.cap"
    assert problem.message == (
        "the pool's cap must be in the pool's currency, USD, not money in the pay currency "
        "in 'target_bonus'"
    )
    assert problem.hint == "convert it: fx(target_bonus, currency, 'USD')"


def test_pool_limits_in_the_pool_currency_are_fine(tmp_path: Path) -> None:
    text = policy(
        BONUS,
        extra=POOL.format(
            award="bonus", funding="target_usd * 3", cap='    cap: "target_usd * 2"\n'
        ),
        pay="pp_payout",
    )
    load(tmp_path, text)


def test_a_pool_award_already_in_the_pool_currency_points_at_what_was_written(
    tmp_path: Path,
) -> None:
    """award: target_usd (already USD) is converted by the pool from the pay currency: the
    message quotes 'target_usd', never the pool's generated fx(...)."""
    text = policy(
        BONUS,
        extra=POOL.format(award="target_usd", funding="100000", cap=""),
        pay="pp_payout",
    )
    problem = only(tmp_path, text)
    assert problem.field == "pools.pp.award"
    assert "fx(" not in problem.message
    assert "at column" not in problem.message
    assert problem.message == (
        "the award must be in the pay currency (it is converted into USD), not money in USD "
        "in 'target_usd'"
    )
    assert problem.hint == "award the step in the pay currency: the amount before fx"
    column_of(problem, text, "award: target_usd", len("award: ") + 1)


def test_a_split_limit_in_usd_is_an_error(tmp_path: Path) -> None:
    text = policy(
        BONUS,
        split='    split:\n      - {name: ex, pay_code: EX, above: "target_usd * 1.5"}\n',
    )
    problem = only(tmp_path, text)
    assert problem.field == "pay[0].split[0].above"
    assert problem.message == (
        "a split limit must be in the pay currency, not money in USD in 'target_usd * 1.5'"
    )
    assert problem.hint == "convert it: fx(target_usd * 1.5, 'USD', currency)"
    column_of(problem, text, "target_usd * 1.5", 1)


# -- 3. conditions must be true/false ---------------------------------------------------------------


def test_a_population_that_is_text_is_an_error(tmp_path: Path) -> None:
    """population: "plan" covered every employee with any plan (an LTI employee was paid)."""
    text = policy(BONUS, population="plan")
    problem = only(tmp_path, text)
    assert problem.field == "policy.population"
    assert problem.message == ("a condition must be true/false; 'plan' is text in 'plan'")
    assert problem.hint == "compare it: plan == 'AIP'"
    column_of(problem, text, '"plan"', 2)


@pytest.mark.parametrize(
    ("rule", "at", "hint"),
    [
        ("base_salary", "base_salary", "compare it: base_salary > 0"),
        ("not level", "level", "compare it: level > 0"),
        ("level and base_salary > 0", "level", "compare it: level > 0"),
        (
            "base_salary > 0 or termination_date",
            "termination_date",
            "test it: is_missing(termination_date)",
        ),
        ("1 if level else 0", "level", "compare it: level > 0"),
    ],
)
def test_a_number_used_as_a_condition_is_an_error(
    tmp_path: Path, rule: str, at: str, hint: str
) -> None:
    text = policy(
        BONUS,
        eligibility=f'eligibility:\n  - {{name: ok, rule: "{rule}", reason: r}}\n'
        if not rule.startswith("1 if")
        else "",
        extra="",
    )
    if rule.startswith("1 if"):
        text = policy(BONUS + f'  x:\n    formula: "{rule}"\n')
    problem = only(tmp_path, text)
    assert problem.message.startswith("a condition must be true/false; ")
    assert problem.hint == hint
    column_of(problem, text, rule, rule.index(at) + 1)


def test_a_gate_when_that_is_a_number_is_an_error(tmp_path: Path) -> None:
    text = policy(
        '  bonus:\n    formula: "target_bonus"\n    type: money\n    gates:\n'
        '      - {name: g, when: "level", outcome: zero, reason: "x"}\n'
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.gates[0].when"
    assert problem.message == "a condition must be true/false; 'level' is a whole number in 'level'"
    assert problem.hint == "compare it: level > 0"


def test_true_false_values_are_conditions(tmp_path: Path) -> None:
    """Comparisons, in, is_missing, a boolean input, a boolean step, and/or/not of them."""
    text = policy(
        '  senior:\n    formula: "level > 4"\n    type: boolean\n'
        '  bonus:\n    formula: "0 if senior and not on_pip else target_bonus"\n    type: money\n'
        "    gates:\n"
        '      - {name: g, when: "on_pip or not is_missing(termination_date)", outcome: zero, reason: "x"}\n'
        '      - {name: h, when: "unit in (\'Sales\',) and (senior or level > 1)", outcome: zero, reason: "y"}\n',
        population="plan == 'AIP' and not on_pip",
        eligibility='eligibility:\n  - {name: ok, rule: "is_missing(termination_date)", reason: r}\n',
    )
    load(tmp_path, text)


# -- 4. a declared type contradicting the formula ----------------------------------------------------


def test_a_money_step_whose_formula_is_true_false_is_an_error(tmp_path: Path) -> None:
    text = policy(BONUS + '  d:\n    formula: "level > 3"\n    type: money\n')
    problem = only(tmp_path, text)
    assert problem.field == "steps.d.formula"
    assert problem.message == ("step 'd' is declared type: money but its formula gives true/false")


def test_a_boolean_step_whose_formula_is_a_number_is_an_error(tmp_path: Path) -> None:
    text = policy(BONUS + '  d:\n    formula: "level * 2"\n    type: boolean\n')
    problem = only(tmp_path, text)
    assert problem.message == ("step 'd' is declared type: boolean but its formula gives a number")


# -- 5. single-currency plans ---------------------------------------------------------------------


def test_the_one_allowed_code_is_the_pay_currency(tmp_path: Path) -> None:
    """allowed: [EUR]: fx(cap_usd, 'USD', 'EUR') is in the pay currency, and pays right."""
    text = policy(
        "  bonus:\n    formula: \"min(target_bonus, fx(cap_usd, 'USD', 'EUR') / 100)\"\n"
        "    type: money\n",
        allowed="EUR",
    )
    [out] = compute(tmp_path, text, [row("1", "EUR", "50000")], rates=RATES)
    assert paid(out) == D("2250.00")  # min(5,000, 250,000 × 0.90 / 100)


def test_a_usd_only_plan_compares_pay_money_with_usd(tmp_path: Path) -> None:
    text = policy(
        '  bonus:\n    formula: "min(target_bonus, target_usd)"\n    type: money\n',
        allowed="USD",
    )
    load(tmp_path, text)


def test_a_literal_header_currency_gives_one_error(tmp_path: Path) -> None:
    """currency: EUR (a code, not an input) is one mistake: one message, no fx error after it."""
    text = policy(BONUS, header="EUR")
    problem = only(tmp_path, text)
    assert problem.field == "policy.currency"


def test_the_currency_hint_is_the_simplest_conversion(tmp_path: Path) -> None:
    """target_bonus + its own USD conversion: the fix is to drop the conversion, not to nest
    fx twice."""
    text = policy(
        "  bonus:\n    formula: \"target_bonus + fx(target_bonus, currency, 'USD')\"\n"
        "    type: money\n"
    )
    problem = only(tmp_path, text)
    assert problem.hint == (
        "convert one side first, e.g. target_bonus instead of fx(target_bonus, currency, 'USD')"
    )


def test_pool_members_and_budget_include_must_be_true_false(tmp_path: Path) -> None:
    """members: "level" and include: "base_salary" are conditions, at their own lines."""
    pool = POOL.format(award="bonus", funding="100000", cap="") + '    members: "level"\n'
    budget = (
        "budgets:\n  bb:\n    currency: USD\n    payroll: base_salary\n    spend: bonus\n"
        '    include: "base_salary"\n    percent: 3%\n'
    )
    text = policy(BONUS, extra=pool + budget, pay="pp_payout")
    found = sorted((p.field, p.message, p.hint) for p in problems_of(tmp_path, text))
    assert found == [
        (
            "budgets.bb.include",
            "a condition must be true/false; 'base_salary' is a number in 'base_salary'",
            "compare it: base_salary > 0",
        ),
        (
            "pools.pp.members",
            "a condition must be true/false; 'level' is a whole number in 'level'",
            "compare it: level > 0",
        ),
    ]


def test_a_budget_spend_already_converted_quotes_what_was_written(tmp_path: Path) -> None:
    budget = (
        "budgets:\n  bb:\n    currency: USD\n    payroll: base_salary\n    spend: target_usd\n"
        "    percent: 3%\n"
    )
    text = policy(BONUS, extra=budget)
    problem = only(tmp_path, text)
    assert problem.field == "budgets.bb.spend"
    assert problem.message == (
        "the budget's spend must be in the pay currency (it is converted into USD), not money "
        "in USD in 'target_usd'"
    )
    assert problem.hint == "write the spend in the pay currency: the amount before fx"


def test_a_variant_when_must_be_true_false(tmp_path: Path) -> None:
    text = policy(
        '  bonus:\n    type: money\n    variants:\n      - {when: "base_salary", formula: "1"}\n'
        '      - {formula: "target_bonus"}\n'
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.variants[0].when"
    assert problem.hint == "compare it: base_salary > 0"
