"""Scenario files (docs/what-if.md): overrides by path (each kind gives the rulebook `--set`
gives), input changes for a group (a rating one step up, a goal's actual × 1.05, a relative
change clamped to the declared bounds and counted), every problem reported at once with
file:line (exit 2); and, for random overrides of a monotone factor of a monotone policy, the
total moves the way the factor moved."""

from __future__ import annotations

import csv
import json
import textwrap
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EMPLOYEES, ROOT, RULES, CliRun
from incentives.engine.calculate import calculate
from incentives.errors import ScenarioError
from incentives.io import open_roster
from incentives.model import EmployeeInput, RowSource
from incentives.rulebook.overrides import split_assignment
from incentives.rulebook.rulebook import Rulebook, load_rules
from incentives.scenarios import load_scenario
from strategies import decimals
from test_what_if import KINDS, header, run_sample, sample_request

LADDER = ["Does Not Meet", "Partially Meets", "Meets", "Exceeds", "Exceptional"]


@pytest.fixture(scope="module")
def sample() -> Rulebook:
    return load_rules(RULES)


def _specs(rulebook: Rulebook) -> list[dict[str, object]]:
    return [p.spec.model_dump(mode="json") for p in rulebook.policies]


@pytest.mark.parametrize("setting", [k[0] for k in KINDS])
def test_a_scenario_override_of_each_kind_is_the_set_of_the_same_path(
    sample: Rulebook, tmp_path: Path, setting: str
) -> None:
    """``PATH: VALUE`` under ``overrides:`` compiles to the very policies ``--set PATH=VALUE``
    does, and the scenario records its layer with the file's name."""
    path, value = split_assignment(setting)
    file = tmp_path / "kind.yaml"
    file.write_text(f"title: One override\noverrides:\n  '{path}': {value}\n", encoding="utf-8")
    scenario = load_scenario(file, sample)
    assert _specs(scenario.rulebook) == _specs(
        sample.with_overrides([setting], layer="scenario kind")
    )
    assert _specs(scenario.rulebook) != _specs(sample)
    assert [layer.name for layer in scenario.layers] == ["scenario kind"]
    assert scenario.name == "kind" and scenario.title == "One override"


def _edited_roster(tmp_path: Path, edit: Callable[[dict[str, str]], None]) -> Path:
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        header = reader.fieldnames
    assert header is not None
    for row in rows:
        edit(row)
    path = tmp_path / "employees.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _sales_up(row: dict[str, str]) -> None:
    if row["unit"] == "Sales":
        row["rating"] = LADDER[min(LADDER.index(row["rating"]) + 1, len(LADDER) - 1)]
        for n in (1, 2, 3):
            if row[f"goal{n}_name"] == "Revenue":
                actual = Decimal(row[f"goal{n}_actual"]) * Decimal("1.05")
                row[f"goal{n}_actual"] = format(actual, "f")


def test_input_changes_give_the_results_of_an_edited_roster(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """Sales one rating step up (Exceptional stays Exceptional: clamped, counted) and their
    Revenue goal's actual × 1.05: the same results as the roster edited by hand; the manifest
    counts the employees changed and clamped."""
    scenario = tmp_path / "sales.yaml"
    scenario.write_text(
        textwrap.dedent(
            """\
            title: Sales has a stronger year
            inputs:
              - where: "unit == 'Sales'"
                rating: +1 step
                goal 'Revenue' actual: × 1.05
            """
        ),
        encoding="utf-8",
    )
    edited = _edited_roster(tmp_path, _sales_up)
    a = run_sample(cli, tmp_path / "a", "--scenario", scenario)
    b = run_sample(cli, tmp_path / "b", employees=edited)
    assert a.exit_code == b.exit_code == 0, a.output + b.output
    for name in ("results.csv", "inputs.csv", "breakdown/annual-bonus-2026.csv", "pools.csv"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text(), name
    with EMPLOYEES.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    sales = [r for r in rows if r["unit"] == "Sales"]
    top = [r for r in sales if r["rating"] == "Exceptional"]
    layer = json.loads((tmp_path / "a" / "manifest.json").read_text())["layers"][-1]
    assert layer["layer"] == "scenario sales"
    rule = layer["inputs"][0]
    assert rule["employees_changed"] == len(sales)  # every one's Revenue goal moved
    assert rule["employees_clamped"] == len(top) > 0
    assert rule["changes"] == {"rating": "+1 step", "goal 'Revenue' actual": "× 1.05"}


def test_a_relative_change_is_clamped_to_the_declared_bounds(
    sample: Rulebook, tmp_path: Path
) -> None:
    """individual_modifier × 1.5 (declared 0.8 to 1.2) stops at 1.2; an empty cell starts from
    the declared default 1; the clamped employees are counted."""
    file = tmp_path / "mod.yaml"
    file.write_text("inputs:\n  - individual_modifier: × 1.5\n", encoding="utf-8")
    scenario = load_scenario(file, sample)
    roster = open_roster(EMPLOYEES, read_columns=sample.field_names)
    wrapped = scenario.wrap_roster(roster)
    cells = [row.cells["individual_modifier"] for row in wrapped if isinstance(row, EmployeeInput)]
    assert {Decimal(str(c)) for c in cells} == {Decimal("1.2")}
    before = [
        row.cells["individual_modifier"] or "1" for row in roster if isinstance(row, EmployeeInput)
    ]
    counts = scenario.change_counts(wrapped)
    assert counts.clamped == sum(Decimal(str(c)) * Decimal("1.5") > Decimal("1.2") for c in before)
    assert counts.clamped > 0
    assert counts.changed == sum(Decimal(str(c)) != Decimal("1.2") for c in before)
    assert counts.by_rule == ((counts.changed, counts.clamped),)
    assert load_scenario(None, sample).wrap_roster(roster) is roster


def test_every_problem_of_a_scenario_is_reported_at_once(
    cli: Callable[..., CliRun], tmp_path: Path, sample: Rulebook
) -> None:
    """Unknown keys, paths and inputs (with did-you-mean), a value of the wrong type, an
    absolute value outside its bounds, a value not allowed, steps on a decimal, a bad
    condition: each with file:line, in one report, exit 2 for `check` and `run`."""
    file = tmp_path / "bad.yaml"
    file.write_text(
        textwrap.dedent(
            """\
            title: Bad
            descripton: x
            overrides:
              max_multipel: 150%
              target_pct[level=4]: NO
            inputs:
              - where: "unti == 'Sales'"
                ratin: +1 step
              - individual_modifier: 1.5
                unit: Marketing
                base_salary: +1 step
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file, sample)
    found = {(p.line, p.message.split(" (")[0][:40]) for p in caught.value.problems}
    assert len(caught.value.problems) == 8, caught.value
    text = str(caught.value)
    for line, words in [
        (2, "did you mean 'description'"),
        (4, "did you mean 'max_multiple'"),
        (5, "'NO' is not a number"),
        (7, "did you mean 'unit'"),
        (8, "did you mean 'rating'"),
        (9, "1.5 is above the declared maximum 1.2"),
        (10, "'Marketing' is not one of"),
        (11, "steps apply to a rating or an integer"),
    ]:
        assert f"{file}:{line}: " in text and words in text, (line, words, found)
    checked = cli("check", "--rules", RULES, "--scenario", file)
    assert checked.exit_code == 2
    assert "8 problems in the scenario" in checked.stderr
    run = cli(
        "run",
        "--rules",
        RULES,
        "--employees",
        EMPLOYEES,
        "--scenario",
        file,
        "--out",
        tmp_path / "out",
    )
    assert run.exit_code == 2
    assert not (tmp_path / "out").exists()


# -- a monotone factor of a monotone policy --------------------------------------------------

MONOTONE = (
    header("simple")
    + """
inputs:
  employee_id: {type: text}
  currency: {type: text}
  level: {type: integer, min: 1, max: 3}
  base_salary: {type: decimal, min: 0}
  rating: {type: rating, scale: perf}
rating_scales:
  perf: {labels: {Low: 1, Mid: 2, High: 3}}
parameters:
  company_factor: 100%
tables:
  target_pct:
    axes: [{name: level, match: exact, at: [1, 2, 3]}]
    values: [5%, 10%, 15%]
  rating_multiplier:
    axes: [{name: rating, match: exact, at: [1, 2, 3]}]
    values: [50%, 100%, 150%]
steps:
  bonus:
    formula: "base_salary * target_pct(level) * rating_multiplier(rating) * company_factor"
    type: money
pay:
  - {name: annual_bonus, step: bonus, pay_code: AIP}
"""
)
FACTORS = {
    "company_factor": Decimal(1),
    "target_pct[level=1]": Decimal("0.05"),
    "target_pct[level=3]": Decimal("0.15"),
    "rating_multiplier[rating=Mid]": Decimal(1),
    "rating_multiplier[rating=3]": Decimal("1.5"),
}


@pytest.fixture(scope="module")
def monotone(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    path = tmp_path_factory.mktemp("monotone") / "simple.yaml"
    path.write_text(MONOTONE, encoding="utf-8")
    return load_rules(path)


def _total(rulebook: Rulebook) -> Decimal:
    people = [
        EmployeeInput(
            str(i),
            {
                "employee_id": str(i),
                "currency": "USD",
                "level": str(level),
                "base_salary": str(salary),
                "rating": rating,
            },
            RowSource("mem", i, i + 1),
        )
        for i, (level, salary, rating) in enumerate(
            (lv, s, r) for lv in (1, 2, 3) for s in (40000, 95000) for r in ("Low", "Mid", "High")
        )
    ]
    calc = calculate(rulebook, people)
    list(calc)
    return sum(calc.summary.totals.values(), Decimal(0))


@settings(max_examples=40, deadline=None)
@given(factor=st.sampled_from(sorted(FACTORS)), value=decimals("0", "3", 3))
def test_the_total_moves_the_way_a_monotone_factor_moves(
    monotone: Rulebook, factor: str, value: Decimal
) -> None:
    """Raising (lowering) a parameter or a table cell that every payout multiplies by raises
    (lowers) the total; leaving it unchanged leaves the total unchanged."""
    base = _total(monotone)
    varied = _total(monotone.with_overrides([f"{factor}={value}"], layer="--set"))
    old = FACTORS[factor]
    assert (varied > base) == (value > old)
    assert (varied < base) == (value < old)


def test_a_scenario_on_both_cores_writes_what_one_core_writes(
    sample: Rulebook, tmp_path: Path
) -> None:
    """Each forked worker reads its share through the scenario's changes: the run folder is
    byte for byte the one of a single core."""
    from incentives.jobs import run_job

    scenario = load_scenario(ROOT / "fixtures" / "scenarios" / "sales_stronger.yaml", sample)
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run_job(sample_request(out, scenario=scenario, workers=workers, parallel_from=1))
        outs.append({p.name: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]
    manifest = json.loads(outs[0]["manifest.json"])
    assert manifest["layers"][-1]["inputs"][0]["employees_changed"] == 20


def test_a_goals_file_goal_is_changed_by_name(sample: Rulebook, tmp_path: Path) -> None:
    """Goals read from a goals file are changed like roster goals: Release milestones' actual
    × 1.05 for Engineering, every other goal as it was."""
    file = tmp_path / "goals.yaml"
    file.write_text(
        "inputs:\n  - where: \"unit == 'Engineering'\"\n"
        "    goals: {Release milestones: {actual: × 1.05}}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(file, sample)
    fixtures = ROOT / "fixtures"
    roster = open_roster(
        fixtures / "employees_goalsfile.csv",
        goals_path=fixtures / "goals.csv",
        read_columns=sample.field_names,
    )
    before = {r.employee_id: r for r in roster if isinstance(r, EmployeeInput)}
    seen = 0
    for row in scenario.wrap_roster(roster):
        assert isinstance(row, EmployeeInput)
        for old, new in zip(before[row.employee_id].goals, row.goals, strict=True):
            if old.name == "Release milestones" and row.cells["unit"] == "Engineering":
                assert Decimal(str(new.actual)) == Decimal(str(old.actual)) * Decimal("1.05")
                seen += 1
            else:
                assert new == old
    assert seen > 0
