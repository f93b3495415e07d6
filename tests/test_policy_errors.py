"""Broken policy files and the messages a user sees for them.

Each file of ``tests/policies/broken/`` is a small, complete policy with one fault. For each, the
test checks both faces of the error: `incentives check` exits 1 and prints the problem on stderr
(no traceback), and `load_rules` raises `PolicyError` whose `Problem` carries file, line, field,
message and hint. Line numbers refer to the broken file as it is on disk.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import POLICIES, invoke
from incentives.errors import PolicyError, Problem
from incentives.rulebook.rulebook import load_rules

BROKEN = POLICIES / "broken"


def broken(name: str) -> tuple[Path, tuple[Problem, ...]]:
    """Check one broken policy both ways; return its path and the problems `load_rules` found.

    `incentives check` must exit 1, print nothing on stdout and every problem on stderr, with
    no traceback.
    """
    path = BROKEN / name if (BROKEN / name).is_dir() else BROKEN / f"{name}.yaml"
    assert path.exists(), path
    with pytest.raises(PolicyError) as caught:
        load_rules(path)
    problems = caught.value.problems
    run = invoke("check", "--rules", path)
    assert run.exit_code == 1, run.output
    assert run.stdout == ""
    assert "Traceback" not in run.output
    assert run.exception is None
    for problem in problems:
        assert str(problem) in run.stderr
    assert "incentives check --rules" in run.stderr  # the way out
    return path, problems


def assert_at(problem: Problem, formula: str, column: int) -> None:
    """``problem`` is located at file:line:column, the column being where ``column`` (1-based)
    of ``formula`` is written in its file."""
    assert problem.line is not None
    written = Path(problem.file).read_text(encoding="utf-8").splitlines()[problem.line - 1]
    assert problem.column == written.index(formula) + column, (str(problem), written)


def only(problems: tuple[Problem, ...], field: str) -> Problem:
    """The single problem reported for ``field``."""
    found = [p for p in problems if p.field == field]
    assert len(found) == 1, problems
    return found[0]


# -- YAML syntax -------------------------------------------------------------------------------


def test_unclosed_bracket_is_invalid_yaml_with_its_line() -> None:
    """`{type: decimal, min: 0` never closed: 'invalid YAML' at the line where parsing failed."""
    path, problems = broken("yaml_unclosed_bracket")
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.line == 17
    assert problem.field == ""
    assert problem.message.startswith("invalid YAML: while parsing a flow mapping")
    assert problem.hint == "check indentation and quoting"
    assert str(problem).startswith(f"{path}:17: invalid YAML:")


def test_unclosed_bracket_names_the_line_where_it_opened() -> None:
    """The message also points at line 15, where the unclosed '{' is."""
    _, (problem,) = broken("yaml_unclosed_bracket")
    assert "15" in str(problem).replace(f"{problem.file}:{problem.line}", "")


def test_bad_indentation_is_invalid_yaml_with_its_line() -> None:
    """`type: money` indented under `formula:`: 'mapping values are not allowed here', line 20."""
    path, problems = broken("yaml_bad_indentation")
    (problem,) = problems
    assert str(problem) == (
        f"{path}:20: invalid YAML: mapping values are not allowed here "
        "(check indentation and quoting)"
    )


# -- keys and names ----------------------------------------------------------------------------


def test_key_typo_is_an_unknown_key_with_a_suggestion() -> None:
    """`formla:` -> steps.bonus.formla: unknown key 'formla' (did you mean 'formula'?)."""
    path, problems = broken("key_typo")
    (problem,) = problems
    assert str(problem) == (
        f"{path}:19: steps.bonus.formla: unknown key 'formla' (did you mean 'formula'?)"
    )


def test_unknown_name_in_a_formula_suggests_the_close_name() -> None:
    """`base_salry * 10%` -> unknown name 'base_salry' at column 1, did you mean 'base_salary'?"""
    path, problems = broken("unknown_name")
    (problem,) = problems
    assert problem == Problem(
        str(path),
        19,
        "steps.bonus.formula",
        "unknown name 'base_salry' in 'base_salry * 10%'",
        "did you mean 'base_salary'?",
        column=15,
    )
    assert str(problem) == (
        f"{path}:19:15: steps.bonus.formula: unknown name 'base_salry' in 'base_salry * 10%' "
        "(did you mean 'base_salary'?)"
    )


def test_unknown_table_call_suggests_the_declared_table() -> None:
    """`target_pc(level)` -> unknown function 'target_pc' (did you mean 'target_pct'?)."""
    _, problems = broken("unknown_table")
    problem = only(problems, "steps.bonus.formula")
    assert problem.line == 26
    assert "unknown function 'target_pc'" in problem.message
    assert_at(problem, "base_salary * target_pc(level)", 15)
    assert problem.hint == "did you mean 'target_pct'?"


def test_table_called_with_the_wrong_arity() -> None:
    """`target_pct(level, base_salary)` on a 1-axis table -> takes 1 argument, got 2."""
    path, problems = broken("table_wrong_arity")
    (problem,) = problems
    assert (problem.line, problem.field) == (26, "steps.bonus.formula")
    assert problem.message.startswith("target_pct takes 1 argument, got 2 in ")
    assert str(problem).startswith(f"{path}:26:28: steps.bonus.formula: target_pct takes 1")


def test_duplicate_name_across_sections() -> None:
    """A parameter and a step both named 'bonus' -> 'bonus' is already declared (as parameter)."""
    path, problems = broken("duplicate_name")
    (problem,) = problems
    assert str(problem) == (
        f"{path}:21: steps.bonus: 'bonus' is already declared (as parameter) "
        "(names are shared by all sections)"
    )


def test_pay_component_naming_an_unknown_step() -> None:
    """`step: bonsu` in pay -> pay[0].step: unknown step 'bonsu' (did you mean 'bonus'?)."""
    path, problems = broken("pay_unknown_step")
    (problem,) = problems
    assert str(problem) == f"{path}:23: pay[0].step: unknown step 'bonsu' (did you mean 'bonus'?)"


def test_split_limit_with_an_unknown_name_is_found_at_load() -> None:
    """A typo in a split part's `above:` is reported when the policy loads, with a suggestion,
    never as a failure of every employee."""
    path, problems = broken("split_unknown_name")
    (problem,) = problems
    assert str(problem) == (
        f"{path}:26:{problem.column}: pay[0].split[0].above: unknown name 'target_bonsu' in "
        "'target_bonsu * 1.5' (did you mean 'target_bonus'?)"
    )
    assert_at(problem, "target_bonsu * 1.5", 1)


def test_fx_date_that_is_not_a_date_is_found_at_load() -> None:
    """`fx: {date: end_of_year}` is neither an ISO date nor a known date name: one problem,
    naming the dates that are allowed (never a silent fall back to the period end)."""
    _path, problems = broken("fx_date_not_a_date")
    (problem,) = problems
    assert problem.line == 11
    assert problem.field == "policy.fx.date"
    assert "'end_of_year' is not an ISO date" in problem.message
    assert "period_end" in problem.hint


def test_performance_period_outside_the_effective_period_is_refused() -> None:
    """A version in force from 2026-07-01 cannot govern the 2026 calendar period: the header is
    refused at its line, naming both periods."""
    _path, problems = broken("period_outside_effective")
    (problem,) = problems
    assert problem.line == 2
    assert problem.field == "policy"
    assert "performance period 2026-01-01 to 2026-12-31 is not within" in problem.message
    assert "effective period 2026-07-01" in problem.message


def test_unknown_rating_scale_suggests_the_declared_one() -> None:
    """`scale: performence` -> unknown rating scale 'performence' (did you mean 'performance'?)."""
    path, problems = broken("unknown_rating_scale")
    (problem,) = problems
    assert str(problem) == (
        f"{path}:16: inputs.rating.scale: unknown rating scale 'performence' "
        "(did you mean 'performance'?)"
    )


def test_input_min_above_max() -> None:
    """`fte: {min: 1, max: 0.5}` -> inputs.fte: min (1) is above max (0.5)."""
    path, problems = broken("input_min_above_max")
    (problem,) = problems
    assert str(problem) == f"{path}:16: inputs.fte: min (1) is above max (0.5)"


# -- order of steps ----------------------------------------------------------------------------


def test_cycle_is_reported_with_its_path() -> None:
    """step_a -> step_b -> step_c -> step_a: the whole cycle is printed, arrow by arrow."""
    path, problems = broken("cycle")
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.line == 18
    assert problem.field == "steps.step_a"
    assert "step_a → step_b → step_c → step_a" in problem.message
    assert problem.hint == "break the cycle"


def test_aggregate_of_an_aggregate() -> None:
    """`grand_total` totals the aggregate `salary_total` -> an aggregate cannot read another one."""
    _, problems = broken("aggregate_of_aggregate")
    assert {p.field for p in problems} == {"steps.grand_total.of"}
    assert {p.line for p in problems} == {23}
    assert any("salary_total" in p.message for p in problems)
    assert all("an aggregate cannot" in p.message for p in problems)


# -- tables and curves -------------------------------------------------------------------------


def test_table_ranges_that_overlap() -> None:
    """[0, 50,000) and [40,000, 90,000) -> 'overlap between 40,000 and 50,000', at band 2's from."""
    _, problems = broken("table_range_overlap")
    problem = only(problems, "tables.tenure_factor.axes[0].at[1].from")
    assert problem.line == 24
    assert problem.message == (
        "bands [0, 50,000) and [40,000, 90,000) overlap between 40,000 and 50,000"
    )
    assert "start a band where the previous one ends" in problem.hint


def test_table_ranges_with_a_gap() -> None:
    """[0, 50,000) then [60,000, 90,000) -> 'nothing covers [50,000, 60,000)'."""
    _, problems = broken("table_range_gap")
    problem = only(problems, "tables.tenure_factor.axes[0].at[1].from")
    assert problem.line == 24
    assert problem.message == "nothing covers [50,000, 60,000) between bands 1 and 2"
    assert problem.hint == "start a band where the previous one ends"


def test_table_with_a_duplicate_exact_key() -> None:
    """`at: [USD, EUR, USD]` -> duplicate key USD on axis 'currency' (also entry 1)."""
    _, problems = broken("table_duplicate_key")
    problem = only(problems, "tables.uplift.axes[0].at[2]")
    assert problem.line == 20
    assert problem.message == "duplicate key USD on axis 'currency' (also entry 1)"


def test_curve_points_not_monotone() -> None:
    """Inputs 80%, 100%, 90% -> point 3 has input 0.90 after 1.00: must be strictly increasing."""
    _, problems = broken("curve_not_monotone")
    problem = only(problems, "curves.goal_payout.points[2][0]")
    assert problem.line == 22
    assert problem.message == (
        "point 3 has input 0.90 after 1.00: the inputs of a curve must be strictly increasing"
    )
    assert problem.hint


def test_plan_scorecard_weights_not_summing_to_100() -> None:
    """Weights 60% + 30% -> scorecards.company.items: weights sum to 90.00%, not 100%."""
    path, problems = broken("scorecard_weights")
    (problem,) = problems
    assert str(problem) == (
        f"{path}:24: scorecards.company.items: weights sum to 90.00%, not 100% "
        "(fix the weights or set normalise: true)"
    )


# -- the formula language: what is not allowed -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "column", "says"),
    [
        ("syntax_dunder_tuple", "().__class__", 1, "attributes (x.y) are not allowed"),
        ("syntax_dunder_name", "base_salary.__class__", 1, "attributes (x.y) are not allowed"),
        ("syntax_method_call", "base_salary.real()", 1, "attributes (x.y) are not allowed"),
        ("syntax_comprehension", "[x for x in base_salary]", 1, "comprehensions are not allowed"),
        ("syntax_lambda", "(lambda x: x)(base_salary)", 2, "lambda is not allowed"),
        ("syntax_fstring", "f'{base_salary}'", 1, "f-strings are not allowed"),
        ("syntax_subscript", "base_salary[0]", 1, "subscripts (x[...]) are not allowed"),
    ],
)
def test_disallowed_syntax(name: str, text: str, column: int, says: str) -> None:
    """Attributes, dunders, method calls, comprehensions, lambdas, f-strings and subscripts are
    refused at load with what is not allowed, the formula and the column."""
    path, problems = broken(name)
    (problem,) = problems
    assert (problem.file, problem.line, problem.field) == (str(path), 19, "steps.bonus.formula")
    assert says in problem.message
    assert problem.message.endswith(f"in '{text}'")
    assert_at(problem, text, column)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("bomb_power_tower", "** needs a whole-number exponent from 0 to 4"),
        ("bomb_big_exponent", "** needs a whole-number exponent from 0 to 4"),
        ("bomb_string_repeat", "text can only be compared"),
    ],
)
def test_resource_bombs_are_refused_at_load(name: str, says: str) -> None:
    """`10 ** 10 ** 10`, `2 ** 100` and `'a' * 10 ** 9` never run: check refuses them at once."""
    _, problems = broken(name)
    (problem,) = problems
    assert (problem.line, problem.field) == (19, "steps.bonus.formula")
    assert says in problem.message


def test_text_in_arithmetic() -> None:
    """`base_salary + 'bonus'` -> text can only be compared, as in unit == 'Sales' (column 15)."""
    _, problems = broken("string_arithmetic")
    (problem,) = problems
    assert problem.field == "steps.bonus.formula"
    assert problem.message.startswith("text can only be compared, as in unit == 'Sales'")
    assert problem.message.endswith("in 'base_salary + 'bonus''")
    assert_at(problem, "base_salary + 'bonus'", 15)


# -- across files, and many problems at once ---------------------------------------------------


def test_two_files_with_the_same_policy_id() -> None:
    """Two files declaring id 'mini': the second is reported, naming the first."""
    folder, problems = broken("duplicate_policy_id")
    (problem,) = problems
    first, second = folder / "first.yaml", folder / "second.yaml"
    assert str(problem) == (f"{second}:3: policy.id: policy id 'mini' is also used by {first}")


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    """Two unknown names, an undeclared table and a pay step typo: four problems, one report,
    sorted by line."""
    path, problems = broken("several_problems")
    assert [(p.line, p.field) for p in problems] == [
        (19, "steps.salary_base.formula"),
        (21, "steps.target_bonus.formula"),
        (23, "steps.bonus.formula"),
        (27, "pay[0].step"),
    ]
    assert "unknown name 'base_salry'" in problems[0].message
    assert problems[0].hint == "did you mean 'base_salary'?"
    assert "unknown function 'target_pct'" in problems[1].message
    assert "unknown name 'multipler'" in problems[2].message
    assert problems[3].message == "unknown step 'bonsu'"
    run = invoke("check", "--rules", path)
    assert run.stderr.startswith("error: 4 problems in the policy files:\n")


# -- one fault, one message --------------------------------------------------------------------

_ONE_FAULT = [
    *sorted(p.stem for p in BROKEN.glob("*.yaml") if p.stem != "several_problems"),
    "duplicate_policy_id",
]


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in _ONE_FAULT])
def test_one_fault_gives_exactly_one_problem(name: str) -> None:
    """A file with one fault shows the user one message, not a cascade of follow-on errors."""
    _, problems = broken(name)
    assert len(problems) == 1, "\n".join(str(p) for p in problems)


def test_every_broken_file_has_a_test() -> None:
    """Each file in tests/policies/broken is exercised by name in this module."""
    source = Path(__file__).read_text(encoding="utf-8")
    named = set(re.findall(r"""broken\("(\w+)"\)""", source))
    named |= set(re.findall(r"""\("(\w+)", (?:"|\d)""", source))  # parametrized cases
    on_disk = {p.stem for p in BROKEN.glob("*.yaml")} | {
        p.name for p in BROKEN.iterdir() if p.is_dir()
    }
    assert on_disk - named == set()
