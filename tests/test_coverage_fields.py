"""Coverage comes before the fields only covering policies read.

A roster is often a full HR extract: contractors, hourly staff and executives beside the plan's
population, with whatever their other columns hold. An employee's row is converted as far as the
populations read it; coverage is decided; then only the inputs of the policies that cover the
employee are converted. A bad value in a column no covering policy reads is nobody's fault (not
covered: exit 0); in a column a covering policy reads, or one a population reads, it is the row's
fault as before (rejected, naming the column). Group totals and pools count exactly the rows the
last pass computes, with one process or two.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import employee_files
from engine_helpers import employees, load, policy_yaml
from incentives.engine.calculate import EmployeeOutcome, NotCovered, calculate
from incentives.io import open_roster
from incentives.jobs import RunRequest, required_columns, run_job
from incentives.model import Rejection
from incentives.parallel import can_fork
from incentives.rulebook.rulebook import Rulebook

BONUS = policy_yaml(
    """
    rating_scales:
      performance:
        labels: {Exceptional: 5, Exceeds: 4, Meets: 3, Partially Meets: 2, Does Not Meet: 1}
    tables:
      multiplier:
        axes:
          - {name: rating, match: exact, at: [1, 2, 3, 4, 5]}
        values: [0%, 50%, 100%, 120%, 150%]
    steps:
      bonus: {formula: "base_salary * 10% * multiplier(rating)", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    policy_id="bonus",
    inputs="""
    base_salary: {type: decimal, min: 0}
    rating: {type: rating, scale: performance}
    level: {type: integer, required: false}
    """,
)
MERIT = policy_yaml(
    """
    steps:
      raise: {formula: "base_salary * 3%", type: money}
    pay:
      - {name: merit_increase, step: raise, pay_code: MER}
    """,
    policy_id="merit",
    kind="merit",
    population="coalesce(level, 0) >= 3",
    inputs="""
    base_salary: {type: decimal, min: 0}
    level: {type: integer, required: false}
    """,
)
HEADER = "employee_id,plan,currency,level,base_salary,rating"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader([HEADER, *text.strip().splitlines()]))


def _items(
    tmp_path: Path, rulebook: Rulebook, text: str, source: str
) -> list[EmployeeOutcome | NotCovered | Rejection]:
    """Compute the rows, given as dicts (each cell through its field's converter) or as a
    roster file (cells of text: the generated fast converters)."""
    if source == "dicts":
        return list(calculate(rulebook, employees(_rows(text))))
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "\n" + text.strip() + "\n", encoding="utf-8")
    roster = open_roster(path, required_columns=required_columns(rulebook))
    return list(calculate(rulebook, roster))


SOURCES = pytest.mark.parametrize("source", ["dicts", "roster"])


@SOURCES
def test_a_bad_value_outside_the_population_is_not_a_rejection(tmp_path: Path, source: str) -> None:
    """The reviewer's rows: a contractor rated 'N/A' and an LTI executive whose salary reads
    'lots' (and whose level, rating are nonsense) are not covered by the bonus plan
    (population plan == 'AIP', which reads only plan): not covered, not rejected."""
    rulebook = load(tmp_path, BONUS)
    items = _items(
        tmp_path,
        rulebook,
        """
A1,AIP,USD,3,100000,Meets
C1,CONTRACT,USD,3,100000,N/A
L1,LTI,XXX,abc,lots,Whatever
""",
        source,
    )
    assert isinstance(items[0], EmployeeOutcome)
    assert items[0].outcomes[0].pay["annual_bonus"] == Decimal("10000.00")
    assert [type(item).__name__ for item in items[1:]] == ["NotCovered", "NotCovered"]
    assert isinstance(items[2], NotCovered)
    assert items[2].exclusions[0].describe() == "bonus: plan == 'AIP' (plan = 'LTI')"


@SOURCES
def test_a_bad_value_a_covering_policy_reads_is_still_rejected(tmp_path: Path, source: str) -> None:
    """Covered by the bonus plan: a rating 'N/A' or a salary 'lots' rejects the row, naming the
    column and the value, as before."""
    rulebook = load(tmp_path, BONUS)
    items = _items(
        tmp_path,
        rulebook,
        """
A1,AIP,USD,3,100000,N/A
A2,AIP,USD,3,lots,Meets
""",
        source,
    )
    assert all(isinstance(item, Rejection) for item in items), items
    first, second = items
    assert isinstance(first, Rejection) and isinstance(second, Rejection)
    assert (first.column, first.value) == ("rating", "N/A")
    assert first.reason.startswith("rating: unknown rating 'N/A'")
    assert (second.column, second.value) == ("base_salary", "lots")


@SOURCES
def test_a_bad_value_a_population_reads_is_still_rejected(tmp_path: Path, source: str) -> None:
    """The merit population reads level: a level 'abc' rejects the row whatever the plan
    (coverage cannot be decided without it)."""
    rulebook = load(tmp_path, BONUS, MERIT)
    items = _items(tmp_path, rulebook, "L1,LTI,USD,abc,100000,Meets", source)
    assert len(items) == 1 and isinstance(items[0], Rejection), items
    assert (items[0].column, items[0].value) == ("level", "abc")


@SOURCES
def test_a_bad_bonus_only_value_does_not_reject_a_merit_only_employee(
    tmp_path: Path, source: str
) -> None:
    """The rating is read only by the bonus plan. An LTI employee of level 4 is covered by
    merit only: a rating 'N/A' is irrelevant to them (merit computed, bonus listed as not
    covering). The same rating for an AIP employee of level 4 rejects the row."""
    rulebook = load(tmp_path, BONUS, MERIT)
    items = _items(
        tmp_path,
        rulebook,
        """
L1,LTI,USD,4,100000,N/A
A1,AIP,USD,4,100000,N/A
""",
        source,
    )
    merit_only, both = items
    assert isinstance(merit_only, EmployeeOutcome), merit_only
    assert [po.policy.id for po in merit_only.outcomes] == ["merit"]
    assert merit_only.outcomes[0].pay["merit_increase"] == Decimal("3000.00")
    assert [e.kind for e in merit_only.exclusions] == ["bonus"]
    assert isinstance(both, Rejection) and both.column == "rating"


@SOURCES
def test_an_empty_optional_field_in_a_population_reads_as_documented(
    tmp_path: Path, source: str
) -> None:
    """level is optional; the merit population reads it through coalesce(level, 0): empty, it
    reads 0, so an LTI employee without a level is covered by neither plan (their rating 'N/A'
    irrelevant), and an AIP one is computed for the bonus alone."""
    rulebook = load(tmp_path, BONUS, MERIT)
    items = _items(tmp_path, rulebook, "L1,LTI,USD,,100000,N/A\nA1,AIP,USD,,100000,Meets", source)
    uncovered, bonus_only = items
    assert isinstance(uncovered, NotCovered), uncovered
    assert [e.describe() for e in uncovered.exclusions] == [
        "bonus: plan == 'AIP' (plan = 'LTI')",
        "merit: coalesce(level, 0) >= 3 (level = (empty))",
    ]
    assert isinstance(bonus_only, EmployeeOutcome), bonus_only
    assert [po.policy.id for po in bonus_only.outcomes] == ["bonus"]


TOTALS = policy_yaml(
    """
    steps:
      target: {formula: "base_salary * 10%", type: money}
      plan_total: {aggregate: sum, of: target}
      bonus: {formula: "10000 * target / plan_total", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    policy_id="shares",
    inputs="base_salary: {type: decimal, min: 0}\n",
    currencies="USD",  # the total adds pay-currency money: one currency (a check rule)
)
OTHER = policy_yaml(
    """
    steps:
      raise: {formula: "base_salary * 3% * multiplier", type: money}
    pay:
      - {name: merit_increase, step: raise, pay_code: MER}
    """,
    policy_id="other",
    kind="merit",
    population="plan == 'MER'",
    inputs="base_salary: {type: decimal, min: 0}\nmultiplier: {type: decimal}\n",
)


@pytest.mark.parametrize("workers", [1, 2])
def test_group_totals_count_the_rows_computed_despite_a_field_of_another_plan(
    tmp_path: Path, workers: int
) -> None:
    """Two AIP employees share 10,000 by target; one has a nonsense 'multiplier', a column only
    the merit plan (plan MER) reads. Both are computed and both are in the total: 2,500 and
    7,500, the same bytes with one process and two."""
    if workers == 2 and not can_fork():
        pytest.skip("the parallel path needs fork")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "shares.yaml").write_text(TOTALS, encoding="utf-8")
    (rules / "other.yaml").write_text(OTHER, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,plan,currency,base_salary,multiplier\n"
        "E1,AIP,USD,10000,n/a\nE2,AIP,USD,30000,\nE3,LTI,USD,oops,x\n",
        encoding="utf-8",
    )
    outs = {}
    for n in sorted({1, workers}):
        out = tmp_path / f"out{n}"
        done = run_job(RunRequest(rules=rules, employees=roster, out=out, workers=n))
        assert done.summary.rejected == 0
        assert (done.summary.computed, done.summary.not_covered) == (2, 1)
        outs[n] = out
    with (outs[1] / "results.csv").open(encoding="utf-8", newline="") as stream:
        pay = {r["employee_id"]: r["annual_bonus"] for r in csv.DictReader(stream)}
    assert pay == {"E1": "2500.00", "E2": "7500.00"}
    assert employee_files(outs[1]) == employee_files(outs[workers])
    for name in employee_files(outs[1]):
        assert (outs[1] / name).read_bytes() == (outs[workers] / name).read_bytes(), name


def test_the_library_first_pass_counts_them_too(tmp_path: Path) -> None:
    """The same through `calculate` (its exact first pass): 2,500 and 7,500."""
    rulebook = load(tmp_path, TOTALS, OTHER)
    rows = [
        {"employee_id": "E1", "base_salary": "10000", "multiplier": "n/a"},
        {"employee_id": "E2", "base_salary": "30000", "multiplier": ""},
    ]
    items = list(calculate(rulebook, employees(rows)))
    pays = [
        item.outcomes[0].pay["annual_bonus"] for item in items if isinstance(item, EmployeeOutcome)
    ]
    assert pays == [Decimal("2500.00"), Decimal("7500.00")]


POOLED = policy_yaml(
    """
    steps:
      award: {formula: "claim", type: money}
    pools:
      team_pool: {currency: USD, award: award, funding: "600.00"}
    pay:
      - {name: bonus, step: team_pool_payout, pay_code: B}
    """,
    policy_id="pooled",
    inputs="claim: {type: decimal}\n",
)
MERIT_MX = policy_yaml(
    """
    steps:
      raise: {formula: "mx * 3%", type: money}
    pay:
      - {name: merit_increase, step: raise, pay_code: MER}
    """,
    policy_id="merit",
    kind="merit",
    inputs="mx: {type: decimal}\n",
)


@pytest.mark.parametrize(("other", "column"), [(MERIT_MX, "mx"), (OTHER, "multiplier")])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_row_rejected_for_another_plans_column_is_in_no_pool_or_total(
    tmp_path: Path, other: str, column: str, workers: int
) -> None:
    """E2 is covered by the pool (or group total) policy and by a merit policy whose column
    it gets wrong: rejected, so it is in no pool and no total. E1's claim of 500 alone fits the
    600.00 pool (counting E2's would scale both to 300.00), or E1 alone has the 10,000 split by
    target (not 2,500): with one process or two, as `calculate` does (its exact first pass)."""
    if workers == 2 and not can_fork():
        pytest.skip("the parallel path needs fork")
    rules = tmp_path / "rules"
    rules.mkdir()
    pooled = other is MERIT_MX
    (rules / "main.yaml").write_text(POOLED if pooled else TOTALS, encoding="utf-8")
    (rules / "other.yaml").write_text(other.replace("plan == 'MER'", "plan == 'AIP'"), "utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"employee_id,plan,currency,claim,base_salary,{column}\n"
        "E1,AIP,USD,500,10000,1\nE2,AIP,USD,500,30000,n/a\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = run_job(RunRequest(rules=rules, employees=roster, out=out, workers=workers))
    assert (done.summary.computed, done.summary.rejected) == (1, 1)
    name = "bonus" if pooled else "annual_bonus"
    with (out / "results.csv").open(encoding="utf-8", newline="") as stream:
        pay = [r[name] for r in csv.DictReader(stream) if r[name]]
    assert pay == (["500.00"] if pooled else ["10000.00"])
