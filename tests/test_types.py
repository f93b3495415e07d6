"""Static types: a policy that would pay the wrong amount, or reject every row, fails `check`.

Each test writes a small policy (the standard header of `engine_helpers.policy_yaml`) and
asserts either the problem `check` reports (field, message with the column, hint) or, for a
policy that is now right, the value it pays.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import invoke
from engine_helpers import FixedRates, compute, load, policy_yaml, problems_of
from engine_helpers import only_problem as only
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import Problem
from incentives.model import Rejection

D = Decimal

RATED = """
rating: {type: rating, scale: performance}
salary: {type: decimal, min: 0}
"""
SCALE = """
rating_scales:
  performance:
    labels: {Exceptional: 5, Exceeds: 4, Meets: 3, Partially Meets: 2, Does Not Meet: 1}
"""


def at_column(message: str) -> tuple[str, int]:
    """``message`` as written before problems had a column of their own, split into the
    message and the column it named within the formula: '... (at column 11)' -> ('...', 11)."""
    found = re.fullmatch(r"(.*) \(at column (\d+)\)", message, re.DOTALL)
    assert found is not None, message
    return found[1], int(found[2])


def assert_at(problem: Problem, text: str, formula: str, column: int) -> None:
    """``problem`` is located at file:line:column, the column being where ``column`` (1-based)
    of ``formula`` is written in the policy file ``text``."""
    assert problem.line is not None
    written = text.splitlines()[problem.line - 1]
    assert problem.column == written.index(formula) + column, (str(problem), written)


def paid(item: PolicyOutcome | Rejection, step: str = "bonus") -> Decimal:
    assert isinstance(item, PolicyOutcome), item
    value = item.value(step)
    assert isinstance(value, Decimal)
    return value


def bonus_policy(steps: str, inputs: str = RATED, extra: str = SCALE) -> str:
    return policy_yaml(extra + "steps:\n" + steps, inputs=inputs)


# -- ratings compared with labels ---------------------------------------------------------------


GATED = bonus_policy(
    """
  bonus:
    formula: "salary * 10%"
    type: money
    gates:
      - {when: "rating == 'Does Not Meet'", outcome: zero, reason: "No bonus at Does Not Meet"}
"""
)


def test_a_rating_compared_with_its_label_compares_by_value(tmp_path: Path) -> None:
    """`rating == 'Does Not Meet'` used to compile and never match (paying in full); it now
    compares with the label's value 1: Does Not Meet is zeroed, Meets is paid."""
    low, meets = compute(
        tmp_path,
        GATED,
        [{"salary": "1000", "rating": "Does Not Meet"}, {"salary": "1000", "rating": "Meets"}],
    )
    assert paid(low) == 0
    assert paid(meets) == D("100.0")


def test_labels_work_after_in_in_eligibility_and_variants(tmp_path: Path) -> None:
    """`rating in ('Exceeds', 'Exceptional')` picks a variant; an eligibility rule and the
    population compare with labels too."""
    text = policy_yaml(
        SCALE
        + """
eligibility:
  - {name: rated, rule: "rating != 'Partially Meets'", reason: "Rated Partially Meets"}
steps:
  bonus:
    type: money
    variants:
      - {when: "rating in ('Exceeds', 'Exceptional')", formula: "salary * 20%"}
      - {formula: "salary * 10%"}
""",
        inputs=RATED,
        population="plan == 'AIP' and rating >= 'Partially Meets'",
    )
    rows = [
        {"salary": "1000", "rating": r}
        for r in ("Exceptional", "Exceeds", "Meets", "Partially Meets")
    ]
    top, exceeds, meets, low = compute(tmp_path, text, rows)
    assert (paid(top), paid(exceeds), paid(meets)) == (D("200.0"), D("200.0"), D("100.0"))
    assert isinstance(low, PolicyOutcome) and not low.eligible
    assert low.zero_reason == "Rated Partially Meets"


def test_a_text_that_is_not_a_label_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    """'Does Not Meat' is no label of the scale: the error points at its column and suggests
    the label."""
    text = GATED.replace("'Does Not Meet'", "'Does Not Meat'")
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.gates[0].when"
    assert problem.message.startswith(
        "'Does Not Meat' is not a label of rating scale 'performance' (labels: Exceptional, "
    )
    assert problem.message.endswith("in 'rating == 'Does Not Meat''")
    assert_at(problem, text, "rating == 'Does Not Meat'", 11)
    assert problem.hint == "did you mean 'Does Not Meet'?"


def test_check_prints_file_line_and_column(tmp_path: Path) -> None:
    """`incentives check` shows the problem at file:line:column, the column of the fault in the
    file (where an editor jumps), not in the formula."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "p.yaml").write_text(GATED.replace("'Does Not Meet'", "'Dose Not Meet'"))
    result = invoke("check", "--rules", folder)
    assert result.exit_code == 1
    line, text = next((n, t) for n, t in enumerate(GATED.splitlines(), 1) if "Does Not Meet'" in t)
    column = text.index("'Does Not Meet'") + 1
    assert f"p.yaml:{line}:{column}: steps.bonus.gates[0].when: 'Dose Not Meet'" in result.stderr
    assert "(at column" not in result.stderr and "did you mean 'Does Not Meet'?" in result.stderr


def test_a_formula_on_several_lines_keeps_the_column_in_the_formula(tmp_path: Path) -> None:
    """A formula written as a block (`formula: >-`) has no one column in the file: the problem
    stays at file:line and says the column within the formula."""
    problem = only(
        tmp_path,
        bonus_policy(
            """
  bonus:
    formula: >-
      salary * 10%
      + salry
    type: money
"""
        ),
    )
    assert problem.column is None
    assert problem.message == (
        "unknown name 'salry' in 'salary * 10% + salry' (at column 16 of the formula)"
    )
    assert str(problem).startswith(f"{problem.file}:{problem.line}: steps.bonus.formula: ")


def test_a_table_axis_on_a_rating_may_list_labels(tmp_path: Path) -> None:
    """An exact axis listing the labels is looked up with the rating's value."""
    text = bonus_policy(
        """
  bonus: {formula: "salary * multiplier(rating)", type: money}
""",
        extra=SCALE
        + """
tables:
  multiplier:
    axes:
      - {name: rating, match: exact, at: [Does Not Meet, Partially Meets, Meets, Exceeds, Exceptional]}
    values: [0%, 50%, 100%, 120%, 150%]
""",
    )
    exceeds, low = compute(
        tmp_path,
        text,
        [{"salary": "1000", "rating": "Exceeds"}, {"salary": "1000", "rating": "Does Not Meet"}],
    )
    assert paid(exceeds) == D("1200")
    assert paid(low) == 0


def test_a_rating_axis_missing_a_label_is_an_error(tmp_path: Path) -> None:
    """The axis lists values 2..5 only: every Does Not Meet employee would be rejected."""
    text = bonus_policy(
        """
  bonus: {formula: "salary * multiplier(rating)", type: money}
""",
        extra=SCALE
        + """
tables:
  multiplier:
    axes:
      - {name: rating, match: exact, at: [2, 3, 4, 5]}
    values: [50%, 100%, 120%, 150%]
""",
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.formula"
    assert problem.message.startswith(
        "table 'multiplier', axis 'rating' has no key for rating 'Does Not Meet' (1) of scale "
        "'performance': every employee with it would be rejected"
    )


def test_a_label_on_a_rating_axis_that_is_not_on_the_scale(tmp_path: Path) -> None:
    """An axis label 'Meet' read with a rating: not a label of the scale, did you mean."""
    text = bonus_policy(
        """
  bonus: {formula: "salary * multiplier(rating)", type: money}
""",
        extra=SCALE
        + """
tables:
  multiplier:
    axes:
      - {name: rating, match: exact, at: [Does Not Meet, Partially Meets, Meet, Exceeds, Exceptional]}
    values: [0%, 50%, 100%, 120%, 150%]
""",
    )
    found = problems_of(tmp_path, text)
    assert any(
        p.field == "tables.multiplier.axes[0].at"
        and p.message.startswith("'Meet' is not a label of rating scale 'performance'")
        and p.hint == "did you mean 'Meets'?"
        for p in found
    ), found


@settings(max_examples=20, deadline=None)
@given(
    label=st.sampled_from(["Exceptional", "Exceeds", "Meets", "Partially Meets", "Does Not Meet"])
)
def test_label_comparison_matches_exactly_the_employees_with_that_label(
    tmp_path_factory: pytest.TempPathFactory, label: str
) -> None:
    """For any label L, a gate `rating == 'L'` zeroes exactly the employees rated L."""
    text = GATED.replace("'Does Not Meet'", f"'{label}'")
    labels = ["Exceptional", "Exceeds", "Meets", "Partially Meets", "Does Not Meet"]
    rows = [{"salary": "1000", "rating": name} for name in labels]
    outs = compute(tmp_path_factory.mktemp("labels"), text, rows)
    zeroed = [name for name, out in zip(labels, outs, strict=True) if paid(out) == 0]
    assert zeroed == [label]


# -- currencies -----------------------------------------------------------------------------------

MONEY = """
salary: {type: decimal, min: 0}
unit: {type: text}
"""


def money_policy(steps: str, pay: str = "bonus") -> str:
    return policy_yaml(
        "steps:\n" + steps + f"pay:\n  - {{name: annual_bonus, step: {pay}, pay_code: AIP}}\n",
        inputs=MONEY,
    )


def test_adding_pay_currency_money_and_usd_is_an_error(tmp_path: Path) -> None:
    """target (money, pay currency) + its USD conversion: an error at the '+' operand, with the
    fix."""
    text = money_policy(
        """
  target: {formula: "salary * 10%", type: money}
  bonus: {formula: "target + fx(target, currency, 'USD')", type: money}
"""
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.formula"
    assert problem.message == (
        "cannot add money in the pay currency and money in USD without converting in "
        "'target + fx(target, currency, 'USD')'"
    )
    assert_at(problem, text, "target + fx(target, currency, 'USD')", 10)
    # the simplest fix: not converting it (never fx of fx back again)
    assert problem.hint == (
        "convert one side first, e.g. target instead of fx(target, currency, 'USD')"
    )


def test_a_cap_in_usd_chosen_against_pay_money_is_an_error(tmp_path: Path) -> None:
    """min(target, cap_usd) where cap_usd was converted into USD: 'cannot choose between'."""
    text = money_policy(
        """
  target: {formula: "salary * 10%", type: money}
  cap_usd: {formula: "fx(50000, currency, 'USD')", type: money}
  bonus: {formula: "min(target, cap_usd)", type: money}
"""
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.formula"
    assert problem.message.startswith(
        "cannot choose between money in the pay currency and money in USD"
    )
    assert problem.hint == "convert one side first, e.g. fx(cap_usd, 'USD', currency)"


def test_comparing_two_named_currencies_is_an_error(tmp_path: Path) -> None:
    """USD compared with EUR in a gate: an error naming both."""
    text = money_policy(
        """
  target: {formula: "salary * 10%", type: money}
  in_usd: {formula: "fx(target, currency, 'USD')"}
  in_eur: {formula: "fx(target, currency, 'EUR')"}
  bonus:
    formula: target
    type: money
    gates:
      - {when: "in_usd > in_eur", outcome: zero, reason: "x"}
"""
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.gates[0].when"
    assert problem.message.startswith("cannot compare money in USD and money in EUR")


def test_paying_an_amount_in_usd_is_an_error(tmp_path: Path) -> None:
    """A pay component paying a step converted into USD: pay is made in the pay currency."""
    text = money_policy(
        """
  bonus: {formula: "fx(salary * 10%, currency, 'USD')", type: money}
"""
    )
    problem = only(tmp_path, text)
    assert problem.field == "pay[0].step"
    assert "money in USD; pay is made in the pay currency" in problem.message
    assert problem.hint == "convert it back with fx(bonus, 'USD', currency)"


def test_converting_from_the_wrong_currency_is_an_error(tmp_path: Path) -> None:
    """fx(amount_in_usd, currency, 'EUR') converts a USD amount as if it were pay currency."""
    text = money_policy(
        """
  in_usd: {formula: "fx(salary, currency, 'USD')"}
  in_eur: {formula: "fx(in_usd, currency, 'EUR')"}
  bonus: {formula: "salary * 10%", type: money}
"""
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.in_eur.formula"
    assert problem.message.startswith("fx converts from the pay currency an amount in USD")
    assert problem.hint == "write fx(in_usd, 'USD', ...)"


def test_converted_back_and_plain_numbers_mix_freely(tmp_path: Path) -> None:
    """Money converted back with fx(x, 'USD', currency), plain decimal inputs and parameters
    combine with pay-currency money: no problem, and the value is right."""
    text = money_policy(
        """
  target: {formula: "salary * 10%", type: money}
  cap: {formula: "fx(150, 'USD', currency)", type: money}
  bonus: {formula: "min(target + salary * 0, cap)", type: money}
"""
    )
    rates = FixedRates({("USD", "USD", "average", __import__("datetime").date(2026, 12, 31)): "1"})
    [out] = compute(tmp_path, text, [{"salary": "1000", "unit": "x"}], rates=rates)
    assert paid(out) == D("100.0")


# -- incompatible types ---------------------------------------------------------------------------

TYPED = """
salary: {type: decimal, min: 0}
unit: {type: text}
hire_date: {type: date}
on_pip: {type: boolean}
"""


def typed(formula: str, type_: str = "decimal") -> str:
    return policy_yaml(f'steps:\n  x: {{formula: "{formula}", type: {type_}}}\n', inputs=TYPED)


@pytest.mark.parametrize(
    ("formula", "message", "hint"),
    [
        pytest.param(
            "1 if unit == 4 else 0",
            "compares text with a number: 'unit' is text and '4' is a number; they are never "
            "equal in '1 if unit == 4 else 0' (at column 14)",
            "quote the number ('4') to compare text, or compare with a number input",
            id="text-vs-number",
        ),
        pytest.param(
            "days_between(hire_date + 30, period_end)",
            "a date cannot be used in arithmetic (+) in 'days_between(hire_date + 30, "
            "period_end)' (at column 14)",
            "write add_months(d, n) to move a date, days_between(a, b) for a span",
            id="date-plus-number",
        ),
        pytest.param(
            "salary + on_pip",
            "true/false cannot be used in arithmetic (+) in 'salary + on_pip' (at column 10)",
            "write (1 if condition else 0) to count it",
            id="boolean-summed",
        ),
        pytest.param(
            "days_between(hire_date, 30)",
            "days_between: argument 2 ('30') is a number, not a date in "
            "'days_between(hire_date, 30)' (at column 25)",
            "days_between(a, b) counts the days between two dates",
            id="function-argument",
        ),
        pytest.param(
            "1 if hire_date > '2026-01-01' else 0",
            "compares a date with text in '1 if hire_date > '2026-01-01' else 0' (at column 18)",
            "write a date as date('2026-07-01')",
            id="date-vs-text",
        ),
        pytest.param(
            "1 if on_pip == 'yes' else 0",
            "compares true/false with text; they are never equal in "
            "'1 if on_pip == 'yes' else 0' (at column 16)",
            "test the flag itself: on_pip, or not on_pip",
            id="boolean-vs-text",
        ),
        pytest.param(
            "days_between(hire_date, max(hire_date, period_start))",
            "max: argument 1 is a date, not a number in "
            "'days_between(hire_date, max(hire_date, period_start))' (at column 29)",
            "",
            id="max-of-dates",
        ),
        pytest.param(
            "salary / 0",
            "division by zero: every employee would be rejected in 'salary / 0' (at column 10)",
            "",
            id="divide-by-zero",
        ),
        pytest.param(
            "round_to(salary, 0)",
            "round_to: the step must be above 0, not 0 in 'round_to(salary, 0)' (at column 18)",
            "write the unit to round to: 0.01, 1, 100",
            id="round-to-zero",
        ),
        pytest.param(
            "round_to(unit, 1)",
            "round_to: argument 1 ('unit') is text, not a number in 'round_to(unit, 1)' "
            "(at column 10)",
            "",
            id="round-text",
        ),
    ],
)
def test_incompatible_types_are_errors(
    tmp_path: Path, formula: str, message: str, hint: str
) -> None:
    """Each formula mixes types that cannot work for any employee: one problem, at its column."""
    message, column = at_column(message)
    problem = only(tmp_path, typed(formula))
    assert problem.field == "steps.x.formula"
    assert problem.message == message
    assert_at(problem, typed(formula), formula, column)
    assert problem.hint == hint


def test_a_step_declared_money_whose_formula_gives_a_date(tmp_path: Path) -> None:
    """`type: money` with a date formula: the declaration and the formula disagree."""
    problem = only(tmp_path, typed("add_months(hire_date, 3)", "money"))
    assert problem.message == ("step 'x' is declared type: money but its formula gives a date")


TABLES = """
tables:
  by_unit:
    axes:
      - {name: unit, match: exact, at: [Sales, Finance]}
    values: [10%, 20%]
  by_salary:
    axes:
      - {name: salary, match: range, at: [{from: 0, to: 1000}, {from: 1000}]}
    values: [1%, 2%]
"""


@pytest.mark.parametrize(
    ("formula", "start"),
    [
        ("by_unit(hire_date)", "table 'by_unit', axis 'unit' is looked up with a date"),
        ("by_unit(salary)", "table 'by_unit', axis 'unit' lists text keys (Sales, Finance)"),
        ("by_salary(unit)", "table 'by_salary', axis 'salary' matches numbers by band"),
        ("by_unit('Sails')", "'Sails' is not a key of table 'by_unit', axis 'unit'"),
    ],
)
def test_a_table_key_that_cannot_match_its_axis(tmp_path: Path, formula: str, start: str) -> None:
    """A key of the wrong kind (or a quoted key not on the axis) can never be found."""
    text = policy_yaml(TABLES + f'steps:\n  x: "{formula}"\n', inputs=TYPED)
    problem = only(tmp_path, text)
    assert problem.message.startswith(start), problem.message


# -- certain runtime failures ---------------------------------------------------------------------


def test_reading_payout_of_a_result_without_a_curve(tmp_path: Path) -> None:
    """revenue_payout without `payout:` on the result: every employee would be rejected."""
    text = policy_yaml(
        """
results:
  revenue: {actual: 5%}
steps:
  bonus: {formula: "salary * revenue_payout", type: money}
""",
        inputs=TYPED,
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.bonus.formula"
    assert problem.message.startswith(
        "result 'revenue' declares no payout curve, so 'revenue_payout' has no value"
    )
    assert_at(problem, text, "salary * revenue_payout", 10)


def test_an_optional_input_used_without_a_test(tmp_path: Path) -> None:
    """`bonus_points` is optional with no default: used in arithmetic without is_missing or
    coalesce, an employee without it would be rejected."""
    text = policy_yaml(
        'steps:\n  bonus: {formula: "salary + bonus_points", type: money}\n',
        inputs=TYPED + "bonus_points: {type: decimal, required: false}\n",
    )
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "optional input 'bonus_points' (required: false, no default) is used without a test in "
        "'salary + bonus_points': an employee without it would be rejected"
    )
    assert_at(problem, text, "salary + bonus_points", 10)
    assert problem.hint.startswith("write coalesce(bonus_points, ...)")


def test_an_optional_input_tested_in_the_step_or_eligibility_is_fine(tmp_path: Path) -> None:
    """coalesce, a variant's is_missing, or an eligibility rule's test: no problem."""
    text = policy_yaml(
        """
eligibility:
  - {name: has_points, rule: "not is_missing(points)", reason: "no points"}
steps:
  a: {formula: "salary + coalesce(bonus_points, 0)", type: money}
  b:
    type: money
    variants:
      - {when: "is_missing(bonus_points)", formula: "salary"}
      - {formula: "salary + bonus_points"}
  c: {formula: "salary * points", type: money}
""",
        inputs=TYPED
        + "bonus_points: {type: decimal, required: false}\n"
        + "points: {type: decimal, required: false}\n",
    )
    load(tmp_path, text)


def test_an_allowed_value_missing_from_a_table_axis(tmp_path: Path) -> None:
    """unit allows Legal, which by_unit does not list: every Legal employee would be rejected."""
    text = policy_yaml(
        TABLES + 'steps:\n  x: "by_unit(unit)"\n',
        inputs=TYPED.replace("unit: {type: text}", "unit: {type: text, allowed: [Sales, Legal]}"),
    )
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "input 'unit' allows Legal, which table 'by_unit', axis 'unit' does not list: every "
        "employee with it would be rejected"
    )


def test_a_range_axis_not_covering_an_input_bound(tmp_path: Path) -> None:
    """salary may be -5 (min: -5) but the bands start at 0 and reject below."""
    text = policy_yaml(
        TABLES + 'steps:\n  x: "by_salary(salary)"\n',
        inputs=TYPED.replace("salary: {type: decimal, min: 0}", "salary: {type: decimal, min: -5}"),
    )
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "input 'salary' may be as low as -5, below what table 'by_salary', axis 'salary' "
        "(bands cover [0, …)) covers"
    )
    assert problem.hint.startswith("extend the first band, set below: clamp")


# -- the bundled policies ---------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["rules", "bench/rules"])
def test_the_bundled_policies_pass_the_type_checks(folder: str) -> None:
    """No false positive on the sample and bench policies."""
    root = Path(__file__).resolve().parent.parent
    result = invoke("check", "--rules", root / folder)
    assert result.exit_code == 0, result.stderr


# -- spreadsheet habits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "message", "hint"),
    [
        (
            "ROUND(salary * 10%, 2)",
            "unknown function 'ROUND' in 'ROUND(salary * 10%, 2)' (at column 1)",
            "write round_to(x, 0.01): it rounds to a step, not to a number of digits",
        ),
        (
            "IF(salary > 100, 1, 0)",
            "unknown function 'IF' in 'IF(salary > 100, 1, 0)' (at column 1)",
            "write a if condition else b",
        ),
        (
            "if(salary > 100, 1, 0)",
            "syntax error: 'if' is not a function in 'if(salary > 100, 1, 0)' (at column 1)",
            "write a if condition else b",
        ),
        (
            "1 if unit = 'Sales' else 0",
            "syntax error: a single '=' does not compare in '1 if unit = 'Sales' else 0' "
            "(at column 11)",
            "write == to compare",
        ),
        (
            "1 if unit <> 'Sales' else 0",
            "syntax error: '<>' is not an operator in '1 if unit <> 'Sales' else 0' (at column 11)",
            "write != for 'not equal'",
        ),
        (
            "1 if salary > 1 AND on_pip else 0",
            "syntax error: 'AND' is not an operator in '1 if salary > 1 AND on_pip else 0' "
            "(at column 17)",
            "write and, or, not in lower case",
        ),
    ],
)
def test_spreadsheet_habits_get_a_hint(
    tmp_path: Path, formula: str, message: str, hint: str
) -> None:
    """ROUND, IF, a single =, <> and AND/OR: the error says what to write instead."""
    message, column = at_column(message)
    problem = only(tmp_path, typed(formula))
    assert problem.message == message
    assert_at(problem, typed(formula), formula, column)
    assert problem.hint == hint


# -- runtime rejections in the analyst's language -----------------------------------------------


def test_a_rejection_names_the_cause_then_the_values_as_written(tmp_path: Path) -> None:
    """Division by zero: the cause first, then every value the step read as the policy writes
    it: the parameter's value (not '?'), the percent input as a percent."""
    text = policy_yaml(
        """
parameters:
  factor: 2
steps:
  ratio: "salary * share * factor / divisor"
""",
        inputs="""
salary: {type: decimal}
share: {type: percent}
divisor: {type: decimal}
""",
    )
    [out] = compute(tmp_path, text, [{"salary": "1000", "share": "12.5%", "divisor": "0"}])
    assert isinstance(out, Rejection)
    assert out.reason == (
        "step 'ratio': division by zero (inputs: divisor=0, factor=2, salary=1000, share=12.5%)"
    )


def test_a_rejection_shows_a_rating_with_its_label(tmp_path: Path) -> None:
    """A rating read by the failed step shows its value and its label, as on the roster."""
    text = policy_yaml(SCALE + 'steps:\n  ratio: "salary / (rating - 4)"\n', inputs=RATED)
    [out] = compute(tmp_path, text, [{"salary": "1000", "rating": "Exceeds"}])
    assert isinstance(out, Rejection)
    assert out.reason == "step 'ratio': division by zero (inputs: rating=4 (Exceeds), salary=1000)"


POPULATION = policy_yaml(
    """
eligibility:
  - {name: known, rule: "not is_missing(points)", reason: "No points on file"}
  - {name: enough, rule: "points / fte > 10", reason: "Too few points"}
steps:
  bonus: {formula: "salary * 10%", type: money}
""",
    population="plan == 'AIP' and level >= 3",
    inputs="""
level: {type: integer}
salary: {type: decimal}
fte: {type: percent}
points: {type: decimal, required: false}
""",
)


def test_a_population_that_fails_names_the_cause_then_the_values(tmp_path: Path) -> None:
    """The population reads the roster before any input is checked: an empty level fails it.
    The rejection says so in the policy's words, as a failed step does (not "a value it reads
    is missing or of the wrong kind"); the row's column stays 'population'."""
    [out] = compute(tmp_path, POPULATION, [{"level": "", "salary": "1000", "fte": "100%"}])
    assert isinstance(out, Rejection)
    assert out.column == "population"
    assert out.reason == (
        "population 'plan == 'AIP' and level >= 3' of policy 'test-policy': level is missing "
        "(inputs: level=(missing), plan=AIP)"
    )
    assert out.value == "level=(missing), plan=AIP"


def test_a_population_that_divides_by_zero_shows_the_values_as_written(tmp_path: Path) -> None:
    """Another cause, the same form: the cause, then the percent input as a percent."""
    text = POPULATION.replace(
        "population: \"plan == 'AIP' and level >= 3\"",
        'population: "salary / fte > 0"',
    )
    [out] = compute(tmp_path, text, [{"level": "3", "salary": "1000", "fte": "0%"}])
    assert isinstance(out, Rejection)
    assert out.reason == (
        "population 'salary / fte > 0' of policy 'test-policy': division by zero "
        "(inputs: fte=0%, salary=1000)"
    )


def test_an_eligibility_rule_that_fails_names_the_missing_value(tmp_path: Path) -> None:
    """Every eligibility rule runs; one reading an optional input that another rule tests
    fails for an employee without it, and says which value is missing."""
    [out] = compute(tmp_path, POPULATION, [{"level": "3", "salary": "1000", "fte": "50%"}])
    assert isinstance(out, Rejection)
    assert out.reason == (
        "eligibility rule 'enough': points is missing (inputs: fte=50%, points=(missing))"
    )


def test_explain_re_evaluates_a_label_keyed_rating_table_without_mismatch(tmp_path: Path) -> None:
    """The run and rulebook.json agree on the label axis (keyed by the labels' values), so
    `explain` re-evaluates the lookup and finds the recorded value."""
    from incentives.audit.explain import explain_employee
    from incentives.jobs import RunRequest, run_job

    text = bonus_policy(
        """
  bonus: {formula: "salary * multiplier(rating)", type: money}
""",
        extra=SCALE
        + """
tables:
  multiplier:
    axes:
      - {name: rating, match: exact, at: [Does Not Meet, Partially Meets, Meets, Exceeds, Exceptional]}
    values: [0%, 50%, 100%, 120%, 150%]
""",
    )
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "p.yaml").write_text(text)
    roster = tmp_path / "employees.csv"
    roster.write_text("employee_id,plan,currency,rating,salary\nE1,AIP,USD,Exceeds,1000\n")
    run_job(RunRequest(rules=rules, employees=roster, out=tmp_path / "run"))
    shown = explain_employee(tmp_path / "run", "E1").text()
    assert "MISMATCH" not in shown
    # a table whose cells are all written as percents is explained in percents (rendering, §2)
    assert "multiplier(rating=4) = 120%" in shown and "1,200.00" in shown


def test_summing_a_true_false_step_is_an_error(tmp_path: Path) -> None:
    """aggregate: sum of a boolean step: say to count, or to sum (1 if c else 0)."""
    text = policy_yaml(
        """
steps:
  flag: {formula: "salary > 100", type: boolean}
  flags: {aggregate: sum, of: flag}
""",
        inputs=TYPED,
    )
    problem = only(tmp_path, text)
    assert problem.field == "steps.flags.of"
    assert problem.message == "aggregate: sum of step 'flag', which is true/false"
    assert problem.hint.startswith("count with aggregate: count")


def test_a_curve_read_with_text_is_an_error(tmp_path: Path) -> None:
    """A curve reads a number: `kpi(unit)` cannot work."""
    text = policy_yaml(
        """
curves:
  kpi: {on: value, points: [[0, 0%], [10, 100%]]}
steps:
  x: "kpi(unit)"
""",
        inputs=TYPED,
    )
    problem = only(tmp_path, text)
    assert problem.message == "curve 'kpi' reads a number; 'unit' is text in 'kpi(unit)'"
    assert_at(problem, text, "kpi(unit)", 5)


def test_an_unknown_currency_code_in_allowed_is_an_error(tmp_path: Path) -> None:
    """The pay-currency input allows 'USX': every employee paid in it would be rejected."""
    text = policy_yaml("steps:\n  x: salary\n", inputs=TYPED).replace(
        "  currency: {type: text}", "  currency: {type: text, allowed: [USD, USX]}"
    )
    problem = only(tmp_path, text)
    assert problem.field == "inputs.currency.allowed"
    assert problem.message.startswith("USX is not a currency code the engine knows")


def test_an_integer_input_bound_missing_from_an_exact_axis(tmp_path: Path) -> None:
    """level may be 1..4 (min/max) but the table lists 1..3: every level-4 employee would be
    rejected."""
    text = policy_yaml(
        """
tables:
  target_pct:
    axes:
      - {name: level, match: exact, at: [1, 2, 3]}
    values: [5%, 10%, 15%]
steps:
  x: "target_pct(level)"
""",
        inputs=TYPED + "level: {type: integer, min: 1, max: 4}\n",
    )
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "input 'level' may be 4, which table 'target_pct', axis 'level' does not list"
    )


def test_a_bound_label_is_the_same_number_in_generated_code_and_the_reference_evaluator() -> None:
    """`Expression.bind_text` turns the quoted label into its value for both evaluators: the
    generated Python renders it as a constant, simpleeval reads the same tree."""
    import ast
    import datetime

    from incentives.expr import compile_expression, reference_eval

    expr = compile_expression("r == 'Meets' or r in ('Exceeds', 5)", values={"r"}, callables={})
    tree, _ = expr.reference_tree()
    labels = {"Meets": D(3), "Exceeds": D(4)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in labels:
            expr.bind_text(node, labels[node.value])
    constants: dict[str, object] = {}

    def constant(value: object) -> str:
        constants[f"K{len(constants)}"] = value
        return f"K{len(constants) - 1}"

    source = expr.to_python(lambda name: name, lambda site, args: "", constant)
    period = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    for value in (D(1), D(2), D(3), D(4), D(5)):
        generated = eval(source, {**constants, "r": value})  # the generated expression
        reference = reference_eval(expr, {"r": value}, {}, period)
        assert generated == reference == (value >= 3)  # Meets, Exceeds or 5


def test_a_label_axis_read_by_a_rating_still_finds_a_quoted_label(tmp_path: Path) -> None:
    """multiplier('Exceeds') before multiplier(rating) in the policy: both find their rows."""
    text = bonus_policy(
        """
  fixed: "multiplier('Exceeds')"
  bonus: {formula: "salary * multiplier(rating)", type: money}
""",
        extra=SCALE
        + """
tables:
  multiplier:
    axes:
      - {name: rating, match: exact, at: [Does Not Meet, Partially Meets, Meets, Exceeds, Exceptional]}
    values: [0%, 50%, 100%, 120%, 150%]
""",
    )
    [out] = compute(tmp_path, text, [{"salary": "1000", "rating": "Meets"}])
    assert paid(out, "fixed") == D("1.2")
    assert paid(out) == D("1000")


def test_a_percent_input_out_of_bounds_is_shown_as_a_percent(tmp_path: Path) -> None:
    """adjustment -15% below its minimum -10%: said as the policy writes it, not -0.15."""
    text = policy_yaml(
        'steps:\n  x: "adjustment"\n',
        inputs="adjustment: {type: percent, min: -10%, max: 0%}\n",
    )
    [out] = compute(tmp_path, text, [{"adjustment": "-15%"}])
    assert isinstance(out, Rejection)
    assert out.reason.startswith("adjustment -15% is below its minimum -10% in policy")
