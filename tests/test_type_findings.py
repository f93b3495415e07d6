"""Review findings on the static types: guards `check` must honour, failures it must see, and
messages that say what to write.

Each test writes a small policy and asserts the problem `check` reports (message, column, hint)
or, for a policy that is right, that it loads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine_helpers import compute, load, policy_yaml
from incentives.model import Rejection
from test_types import TYPED, assert_at, only

UNITS = (
    TYPED.replace("unit: {type: text}", "unit: {type: text, allowed: [Sales, Finance, HR]}")
    + "adjustment: {type: percent, required: false}\nrating: {type: rating, scale: performance}\n"
)
UM = """
rating_scales:
  performance:
    labels: {Exceeds: 3, Meets: 2, Misses: 1}
tables:
  um:
    axes:
      - {name: unit, match: exact, at: [Sales, Finance]}
    values: [1, 2]
"""


def unit_policy(steps: str, population: str = "plan == 'AIP'", extra: str = "") -> str:
    return policy_yaml(UM + extra + "steps:\n" + steps, inputs=UNITS, population=population)


# -- 1a: an allowed value excluded by a guard cannot reach the lookup ------------------------------


@pytest.mark.parametrize(
    ("steps", "population", "extra"),
    [
        pytest.param('  x: "um(unit)"\n', "plan == 'AIP' and unit != 'HR'", "", id="population"),
        pytest.param(
            '  x: "um(unit)"\n',
            "plan == 'AIP'",
            "eligibility:\n  - {name: e, rule: \"unit != 'HR'\", reason: r}\n",
            id="eligibility",
        ),
        pytest.param(
            "  x: \"0 if unit == 'HR' else um(unit)\"\n", "plan == 'AIP'", "", id="if-else"
        ),
        pytest.param(
            "  x: \"um(unit) if unit in ('Sales', 'Finance') else 0\"\n",
            "plan == 'AIP'",
            "",
            id="if-in",
        ),
        pytest.param(
            '  x:\n    variants:\n      - {when: "unit == \'HR\'", formula: "0"}\n'
            '      - {formula: "um(unit)"}\n',
            "plan == 'AIP'",
            "",
            id="variant",
        ),
    ],
)
def test_an_allowed_value_excluded_by_a_guard_is_not_missing(
    tmp_path: Path, steps: str, population: str, extra: str
) -> None:
    load(tmp_path, unit_policy(steps, population, extra))


def test_an_allowed_value_not_excluded_is_still_missing(tmp_path: Path) -> None:
    """A guard on another value does not excuse HR."""
    text = unit_policy("  x: \"0 if unit == 'Sales' else um(unit)\"\n")
    problem = only(tmp_path, text)
    assert problem.message.startswith("input 'unit' allows HR, which table 'um'")


# -- 1b: a guard held in another step -----------------------------------------------------------


def test_a_boolean_step_testing_is_missing_guards_the_input(tmp_path: Path) -> None:
    text = unit_policy(
        '  has_adj: {formula: "not is_missing(adjustment)", type: boolean}\n'
        '  x: "salary * (1 + adjustment) if has_adj else salary"\n'
    )
    load(tmp_path, text)


# -- 2c: a literal argument that can never work -------------------------------------------------


def test_add_months_with_a_fraction_is_an_error(tmp_path: Path) -> None:
    text = unit_policy('  d: {formula: "add_months(hire_date, 1.5)", type: date}\n')
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "add_months: '1.5' is not a whole number of months: every employee would be rejected"
    )
    assert_at(problem, text, "add_months(hire_date, 1.5)", 23)


# -- 2d: comparisons that can never match -------------------------------------------------------


def test_a_rating_compared_with_a_number_off_its_scale(tmp_path: Path) -> None:
    text = unit_policy('  x: "1 if rating == 7 else 0"\n')
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "7 is not a value of rating scale 'performance' (1, 2, 3); 'rating' would never equal it"
    )
    assert_at(problem, text, "1 if rating == 7 else 0", 16)


def test_a_text_input_compared_with_a_value_it_does_not_allow(tmp_path: Path) -> None:
    text = unit_policy("  x: \"1 if unit in ('Sales', 'Sale') else 0\"\n")
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "'Sale' is not an allowed value of input 'unit' (Sales, Finance, HR); "
        "'unit' would never equal it"
    )
    assert problem.hint == "did you mean 'Sales'?"
    assert_at(problem, text, "1 if unit in ('Sales', 'Sale') else 0", 24)


def test_a_text_input_without_allowed_compares_with_anything(tmp_path: Path) -> None:
    load(tmp_path, policy_yaml("steps:\n  x: \"1 if plan == 'Whatever' else 0\"\n", inputs=TYPED))


# -- 3: messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "start", "hint"),
    [
        ("=salary * 2", "syntax error: a formula does not start with =", "leave out the ="),
        (
            "1 if salary > 1 && on_pip else 0",
            "syntax error: '&&' is not an operator",
            "write and",
        ),
        (
            "1 if salary > 1 || on_pip else 0",
            "syntax error: '||' is not an operator",
            "write or",
        ),
    ],
)
def test_more_spreadsheet_habits_get_a_hint(
    tmp_path: Path, formula: str, start: str, hint: str
) -> None:
    text = policy_yaml(f'steps:\n  x: {{formula: "{formula}", type: decimal}}\n', inputs=TYPED)
    problem = only(tmp_path, text)
    assert problem.message.startswith(start), problem.message
    assert problem.hint == hint


def test_upper_case_true_is_spelt_as_the_language_spells_it(tmp_path: Path) -> None:
    text = policy_yaml('steps:\n  x: {formula: "1 if TRUE else 0", type: decimal}\n', inputs=TYPED)
    problem = only(tmp_path, text)
    assert problem.message.startswith("unknown name 'TRUE'")
    assert problem.hint == "write True"


def test_a_rating_ordered_against_a_text_that_is_no_label(tmp_path: Path) -> None:
    text = unit_policy("  x: \"1 if rating >= 'Exceed' else 0\"\n")
    problem = only(tmp_path, text)
    assert "would never equal it" not in problem.message
    assert problem.message.startswith(
        "'Exceed' is not a label of rating scale 'performance' (labels: Exceeds, Meets, Misses);"
        " 'rating' cannot be compared with it"
    )
    assert problem.hint == "did you mean 'Exceeds'?"


def test_fx_with_a_lower_case_code_suggests_the_upper_case_one(tmp_path: Path) -> None:
    text = unit_policy("  x: {formula: \"fx(salary, currency, 'usd')\", type: decimal}\n")
    problem = only(tmp_path, text)
    assert problem.hint == "did you mean 'USD'?"


def test_a_rating_a_guard_excludes_need_not_be_on_the_axis(tmp_path: Path) -> None:
    """by_rating lists no key for Misses (1), but the step reads it only when rating >= 'Meets'."""
    extra = """
  by_rating:
    axes:
      - {name: rating, match: exact, at: [Exceeds, Meets]}
    values: [2, 1]
"""
    guarded = unit_policy("  x: \"by_rating(rating) if rating >= 'Meets' else 0\"\n", extra=extra)
    load(tmp_path, guarded)
    unguarded = unit_policy('  x: "by_rating(rating)"\n', extra=extra)
    problem = only(tmp_path, unguarded)
    assert problem.message.startswith(
        "table 'by_rating', axis 'rating' has no key for rating 'Misses'"
    )


# -- 2a, 2b: an optional input passed on by a step, or read where it is missing -----------------


def test_an_optional_input_passed_on_by_a_step_needs_the_same_test(tmp_path: Path) -> None:
    text = unit_policy('  adj: "adjustment"\n  x: "salary * (1 + adj)"\n')
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "step 'adj' passes on optional input 'adjustment' (required: false, no default) and is "
        "used without a test in 'salary * (1 + adj)': an employee without it would be rejected"
    )
    assert_at(problem, text, "salary * (1 + adj)", 15)
    assert problem.hint.startswith("write coalesce(adjustment, ...) in step 'adj'")


@pytest.mark.parametrize(
    "adj",
    ["coalesce(adjustment, 0)", "0 if is_missing(adjustment) else adjustment"],
)
def test_a_step_that_clears_the_missing_value_is_fine(tmp_path: Path, adj: str) -> None:
    load(tmp_path, unit_policy(f'  adj: "{adj}"\n  x: "salary * (1 + adj)"\n'))


def test_an_optional_input_read_where_it_is_missing(tmp_path: Path) -> None:
    formula = "salary * (1 + (adjustment if is_missing(adjustment) else 0))"
    text = unit_policy(f'  x: "{formula}"\n')
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "optional input 'adjustment' is read where is_missing(adjustment) holds, so it is "
        "always missing there"
    )
    assert_at(problem, text, formula, 16)
    assert problem.hint == "swap the branches: x if not is_missing(x) else fallback"


# -- 3a: where text is not allowed, say what is wanted ------------------------------------------


def test_a_quoted_number_given_to_a_function_says_to_drop_the_quotes(tmp_path: Path) -> None:
    text = policy_yaml(
        "steps:\n  x: {formula: \"round_to(salary, '0.01')\", type: decimal}\n", inputs=TYPED
    )
    problem = only(tmp_path, text)
    assert problem.message.startswith("round_to: argument 2 must be a number, not text")
    assert problem.hint == "write 0.01 without quotes"


def test_an_if_else_branch_of_text_is_named(tmp_path: Path) -> None:
    formula = "salary if unit == 'Sales' else 'none'"
    text = policy_yaml(f'steps:\n  x: {{formula: "{formula}", type: decimal}}\n', inputs=TYPED)
    problem = only(tmp_path, text)
    assert problem.message.startswith(
        "the else branch is text ('none'); a formula's value is a number, a date or true/false"
    )
    assert_at(problem, text, formula, 32)


# -- 3e, 3f: a rejection names the part that failed; parameters read as written -----------------


@pytest.mark.parametrize(
    ("part", "label"),
    [
        (
            'gates:\n      - {name: big, when: "salary / divisor > 1", outcome: zero, reason: r}',
            "gate 'big'",
        ),
        ('floor: "salary / divisor"', "floor"),
        ('cap: "salary / divisor"', "cap"),
    ],
)
def test_a_rejection_in_a_gate_floor_or_cap_names_it(tmp_path: Path, part: str, label: str) -> None:
    text = policy_yaml(
        f'steps:\n  bonus:\n    formula: "salary"\n    {part}\n',
        inputs="salary: {type: decimal}\ndivisor: {type: decimal}\n",
    )
    [out] = compute(tmp_path, text, [{"salary": "1000", "divisor": "0"}])
    assert isinstance(out, Rejection)
    assert out.reason.startswith(f"step 'bonus', {label}: division by zero"), out.reason


def test_a_parameter_written_as_a_percent_shows_as_one(tmp_path: Path) -> None:
    text = policy_yaml(
        'parameters:\n  off: 5%\nsteps:\n  ratio: "salary * (1 - off) / divisor"\n',
        inputs="salary: {type: decimal}\ndivisor: {type: decimal}\n",
    )
    [out] = compute(tmp_path, text, [{"salary": "1000", "divisor": "0"}])
    assert isinstance(out, Rejection)
    assert out.reason == ("step 'ratio': division by zero (inputs: divisor=0, off=5%, salary=1000)")


def test_a_guarded_lookup_pays_each_unit_right(tmp_path: Path) -> None:
    """Accepted, and paid: HR takes the guard's branch, Finance its table value."""
    text = unit_policy("  bonus: \"0 if unit == 'HR' else salary * um(unit)\"\n")
    rows = [
        {
            "salary": "1000",
            "unit": unit,
            "hire_date": "2020-01-01",
            "on_pip": "no",
            "rating": "Meets",
        }
        for unit in ("HR", "Finance")
    ]
    hr, finance = compute(tmp_path, text, rows)
    assert not isinstance(hr, Rejection) and not isinstance(finance, Rejection)
    assert (hr.value("bonus"), finance.value("bonus")) == (0, 2000)


def test_the_not_form_read_in_its_else_branch_is_an_error_too(tmp_path: Path) -> None:
    formula = "salary * (0 if not is_missing(adjustment) else adjustment)"
    problem = only(tmp_path, unit_policy(f'  x: "{formula}"\n'))
    assert problem.message.startswith("optional input 'adjustment' is read where is_missing")


def test_clamp_with_literal_bounds_the_wrong_way_round_is_an_error(tmp_path: Path) -> None:
    problem = only(tmp_path, unit_policy('  x: "clamp(salary, 10, 5)"\n'))
    assert problem.message.startswith(
        "clamp: low 10 is above high 5: every employee would be rejected"
    )
    assert problem.hint == "write clamp(x, low, high) with low <= high"
