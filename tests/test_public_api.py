"""The library's surface: its exports, its exceptions, short reprs, outcomes by name, and a
summary that says when it is partial."""

from __future__ import annotations

import csv
import importlib
import inspect
import pkgutil
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import incentives
import incentives.errors
from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES, CliRun, cycle_outcomes, printed_by
from incentives import (
    EmployeeOutcome,
    ExpressionError,
    IncentivesError,
    IncompleteSummaryWarning,
    RunRequest,
    calculate,
    load_rules,
    open_roster,
    read_rates,
    run_job,
)
from incentives.engine.outcome import PolicyOutcome
from incentives.expr import compile_expression
from incentives.jobs import required_columns

# Exceptions exempt from deriving from IncentivesError: none. The internal ones (SpecIssue,
# SpecIssues, _CellError, NotPlain, _Redo), caught where they are raised and turned into a
# Problem, a rejection or a redo, derive from it too, so that none can escape
# `except IncentivesError` if a path ever lets one through.
INTERNAL: set[str] = set()


def test_the_public_names_are_pinned() -> None:
    """`incentives.__all__` is exactly this sorted list, and every name in it exists."""
    assert incentives.__all__ == [
        "BudgetExceeded",
        "Calculation",
        "EmployeeInput",
        "EmployeeOutcome",
        "ExpressionError",
        "GoalInput",
        "IncentivesError",
        "IncompleteSummaryWarning",
        "InputFileError",
        "MissingValue",
        "NotCovered",
        "OptionsError",
        "OutputError",
        "OutputOverlapsInput",
        "OverrideError",
        "PolicyError",
        "PolicyOutcome",
        "Problem",
        "Rejection",
        "RowError",
        "RowSource",
        "Rulebook",
        "RunReport",
        "RunRequest",
        "ScenarioError",
        "StepError",
        "Summary",
        "UsageError",
        "__version__",
        "calculate",
        "load_rules",
        "open_roster",
        "read_rates",
        "read_results",
        "run_job",
    ]
    assert all(hasattr(incentives, name) for name in incentives.__all__)


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(incentives.__path__, "incentives."):
        if info.name == "incentives.__main__":
            continue  # running it is running the command line
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseException)
                and not issubclass(cls, Warning)
                and cls.__module__ == info.name
            ):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(found.values())


def test_every_exception_derives_from_incentives_error() -> None:
    """Every exception class the package defines derives from `IncentivesError`, except the
    few that are caught where they are raised (listed in INTERNAL)."""
    classes = _exception_classes()
    assert len(classes) > 10
    stray = [
        cls.__qualname__
        for cls in classes
        if not issubclass(cls, IncentivesError) and cls.__qualname__ not in INTERNAL
    ]
    assert stray == []


def test_the_exception_tree_lists_every_error_and_each_is_exported() -> None:
    """The tree drawn in errors.py names every `IncentivesError` subclass, and each that a
    caller can meet is importable from `incentives`."""
    tree = incentives.errors.__doc__ or ""
    for cls in _exception_classes():
        if issubclass(cls, IncentivesError):
            assert f" {cls.__name__}" in tree, cls.__name__
            if cls.__module__ == "incentives.errors" or cls is ExpressionError:
                assert cls.__name__ in incentives.__all__, cls.__name__


def test_expression_error_is_an_incentives_error() -> None:
    """`compile_expression` on a broken formula raises what `except IncentivesError` catches."""
    with pytest.raises(IncentivesError, match="column"):
        compile_expression("1 +", values={"a"}, callables={})
    assert issubclass(ExpressionError, ValueError)


# -- reprs -------------------------------------------------------------------------------------


def test_reprs_are_short_and_never_the_generated_source() -> None:
    """A rulebook, a policy, a bound policy and outcomes print in one short line each."""
    rulebook = load_rules(RULES)
    policy = rulebook.policies[0]
    bonus = cycle_outcomes("annual-bonus-2026")["00004"]
    shown = {
        "rulebook": repr(rulebook),
        "policy": repr(policy),
        "bound": repr(policy.bind()),
        "outcome": repr(bonus),
    }
    for text in shown.values():
        assert len(text) < 300, text
        assert "\n" not in text and "def " not in text and "return " not in text
        assert policy.source[:40] not in text
    assert shown["rulebook"] == (
        "<Rulebook 5 policies: annual-bonus-2026 v2026.1 (bonus), ltip-psu-2024 v2024.1 (bonus), "
        "merit-2027 v2027.1 (merit), promotion-2027 v2027.1 (promotion), "
        f"sales-incentive-2026-q4 v2026.4 (bonus); {len(rulebook.fields)} roster fields>"
    )
    assert shown["policy"].startswith("<CompiledPolicy annual-bonus-2026 v2026.1 (bonus) from ")
    assert shown["outcome"] == (
        "<PolicyOutcome annual-bonus-2026: eligible, USD annual_bonus=12300.00 "
        "annual_bonus_excess=2067.09>"
    )


def test_employee_outcome_repr_names_each_policy(sample_employee: EmployeeOutcome) -> None:
    """An employee's outcome shows the id, where the row was, and each policy's pay."""
    text = repr(sample_employee)
    assert text.startswith("<EmployeeOutcome 00004 (")
    assert "line 5): annual-bonus-2026: eligible, USD annual_bonus=12300.00" in text
    assert "merit-2027: eligible, USD merit_increase=" in text
    assert len(text) < 400


# -- outcomes by name --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_employee() -> EmployeeOutcome:
    rulebook = load_rules(RULES)
    roster = open_roster(
        EMPLOYEES,
        required_columns=required_columns(rulebook),
        ratings_path=RATINGS,
        history_path=HISTORY,
    )
    for item in calculate(rulebook, roster, rates=read_rates(RATES)):
        if isinstance(item, EmployeeOutcome) and item.employee_id == "00004":
            return item
    raise AssertionError("00004 is in the sample")  # pragma: no cover


def _results_row(sample_run: CliRun, employee: str, kind: str) -> dict[str, str]:
    assert sample_run.out is not None
    with (sample_run.out / "results.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["employee_id"] == employee and row["kind"] == kind:
                return row
    raise AssertionError((employee, kind))  # pragma: no cover


def test_pay_steps_and_outputs_by_name(sample_employee: EmployeeOutcome, sample_run: CliRun) -> None:
    """`outcome.pay[...]`, `.steps[...]` and `.outputs[...]` give what results.csv and the
    README's explain example show for employee 00004."""
    bonus = sample_employee.policy("annual-bonus-2026")
    # 00004 is under two bonus plans (annual, sales): the kind alone names neither
    with pytest.raises(KeyError, match=r"under 2 bonus policies \(annual-bonus-2026, sales-"):
        sample_employee.policy("bonus")
    assert bonus.steps["target_bonus"] == Decimal("8200.00")
    row = _results_row(sample_run, "00004", "bonus")
    assert str(bonus.pay["annual_bonus"]) == row["annual_bonus"] == "12300.00"
    assert str(bonus.pay["annual_bonus_excess"]) == row["annual_bonus_excess"]
    merit = sample_employee.policy("merit")
    merit_row = _results_row(sample_run, "00004", "merit")
    assert merit.outputs["new_salary"] == Decimal(merit_row["new_salary"])  # exact, unformatted
    # across the employee's policies, a name found in one policy only
    assert sample_employee.pay["annual_bonus"] == bonus.pay["annual_bonus"]
    assert sample_employee.steps["target_bonus"] == Decimal("8200.00")
    assert sample_employee.outputs["new_salary"] == merit.outputs["new_salary"]
    assert set(bonus.pay) == {"annual_bonus", "annual_bonus_excess"}


def test_an_unknown_or_shared_name_says_what_to_ask(sample_employee: EmployeeOutcome) -> None:
    """A misspelt name suggests the right one; a step in two policies says which to ask."""
    bonus = sample_employee.policy("annual-bonus-2026")
    misspelt = r"no step 'targt_bonus' in policy annual-bonus-2026 .*did you mean 'target_bonus'"
    with pytest.raises(KeyError, match=misspelt):
        bonus.steps["targt_bonus"]
    shared = (
        r"step 'proration' is in 2 policies \(annual-bonus-2026, merit-2027\): ask one, as "
        r"outcome.policy\('annual-bonus-2026'\).steps\['proration'\]"
    )
    with pytest.raises(KeyError, match=shared):
        sample_employee.steps["proration"]
    with pytest.raises(KeyError, match="has no outcome under 'payroll'"):
        sample_employee.policy("payroll")


# -- the summary says when it is partial -------------------------------------------------------


def _calculation() -> Any:
    rulebook = load_rules(RULES)
    roster = open_roster(
        EMPLOYEES,
        required_columns=required_columns(rulebook),
        ratings_path=RATINGS,
        history_path=HISTORY,
    )
    return calculate(rulebook, roster, rates=read_rates(RATES))


def test_a_summary_read_after_stopping_early_says_it_is_partial() -> None:
    """After breaking out of the loop, reading `calc.summary` warns
    (IncompleteSummaryWarning) and `summary.complete` is False, with the employees seen."""
    calc = _calculation()
    for seen, _outcome in enumerate(calc, 1):
        if seen == 5:
            break
    with pytest.warns(IncompleteSummaryWarning, match="counts only the 5 employee"):
        summary = calc.summary
    assert summary.complete is False
    assert summary.read == 5
    with warnings.catch_warnings():  # a new iteration to the end: complete, nothing to say
        warnings.simplefilter("error")
        assert len(list(calc)) == 52
        assert calc.summary.complete is True


def test_iterating_to_the_end_gives_a_complete_summary() -> None:
    """A full iteration warns nothing and its summary is complete."""
    calc = _calculation()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        items = list(calc)
    assert calc.summary.complete is True
    assert calc.summary.read == len(items) == 52


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_reports_a_complete_summary(tmp_path: Path, workers: int) -> None:
    """`run_job` (one process or two) reports a complete summary."""
    report = run_job(
        RunRequest(
            rules=RULES,
            employees=EMPLOYEES,
            rates=RATES,
            ratings=RATINGS,
            out=tmp_path / "out",
            workers=workers,
        )
    )
    assert report.summary.complete is True
    assert report.summary.read == 52


def test_check_does_not_import_the_engine() -> None:
    """`incentives check` starts quickly: checking policies imports neither the engine, nor
    the run job, nor the CSV readers (they load on first use, e.g. `incentives.run_job`)."""
    script = (
        "import sys; from incentives.cli import main; sys.argv = ['incentives', 'check', "
        f"'--rules', {str(RULES)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('incentives.engine.calculate', 'incentives.jobs', 'incentives.io')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "import incentives; incentives.run_job\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    found = printed_by(script)
    assert found[-2:] == [
        "[]",
        "['incentives.engine.calculate', 'incentives.io', 'incentives.jobs']",
    ]


def test_a_kind_shared_by_two_policies_asks_for_an_id() -> None:
    """`outcome.policy("bonus")` for an employee under two bonus plans names both plans
    instead of answering with whichever came first."""
    from types import SimpleNamespace

    def under(policy_id: str, kind: str) -> PolicyOutcome:
        policy = SimpleNamespace(id=policy_id, kind=kind)
        return PolicyOutcome(policy, (), True, "", "USD")  # type: ignore[arg-type]

    sales, annual = under("sales-bonus-2026", "bonus"), under("annual-bonus-2026", "bonus")
    employee = EmployeeOutcome("E1", "roster.csv", 1, 2, (sales, annual, under("merit", "merit")))
    assert employee.policy("annual-bonus-2026") is annual
    assert employee.policy("merit").policy.id == "merit"
    shared = (
        r"employee E1 is under 2 bonus policies \(sales-bonus-2026, annual-bonus-2026\): "
        r"ask one by its id, as outcome.policy\('sales-bonus-2026'\)"
    )
    with pytest.raises(KeyError, match=shared):
        employee.policy("bonus")
