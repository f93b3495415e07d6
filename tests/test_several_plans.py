"""Several plans per person (issue 12 §2): plans of one kind that declare the same
``plan_group`` may cover one employee, each with its own period, pay codes and pools;
``transfers: weighted`` follows a move between them through the dated history, and
``combined_cap`` caps what the group's plans pay one employee together.

The policies are in tests/policies/valid/several_plans/:

- ``two_plans``: ``annual-bonus`` (2026, 10 % of salary, pay code AIP, a pool of 15,000 for
  plan AIP or BOTH, a budget of 16,000) and ``sales-q1`` (the first quarter, 2 % of
  quota_sales, pay code SIP, a pool of 3,000 for plan SIP or BOTH, a budget of 2,500), both in
  group ``cash-incentives``;
- ``transfer``: ``aip`` (10 % of salary × participation) and ``sip`` (20 % of salary ×
  participation), both 2026, group ``cash-incentives`` with ``transfers: weighted``;
- ``combined_cap``: the same with ``combined_cap: "salary * 12%"``.
"""

from __future__ import annotations

import csv
import datetime
import functools
import shutil
import tempfile
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import ROOT, CliRun, employee_files
from engine_helpers import employees, policy_yaml
from incentives.audit.explain import explain_employee
from incentives.audit.run_folder import read_run_folder
from incentives.engine.calculate import EmployeeOutcome, calculate
from incentives.errors import PolicyError
from incentives.jobs import RunRequest, run_job
from incentives.model import HistoryRow, Rejection
from incentives.rulebook.rulebook import Rulebook, load_rules
from strategies import decimals, transfer_dates

Cli = Callable[..., CliRun]
POLICIES = ROOT / "tests" / "policies" / "valid" / "several_plans"

TWO_PLANS_ROSTER = """\
employee_id,plan,unit,currency,salary,quota_sales
E1,AIP,u1,USD,100000,
E2,BOTH,u1,USD,80000,100000
E3,SIP,u1,USD,60000,200000
"""

# everyone earns 73,000 (= 200 a day of 2026): 10 % is 20 a day, 20 % is 40, 12 % is 24
TRANSFER_ROSTER = """\
employee_id,plan,currency,salary
T1,SIP,USD,73000
T2,SIP,USD,73000
T3,SIP,USD,73000
T4,AIP,USD,73000
"""

# T1 moves from AIP to SIP on 1 July, T2 on the first day of the period, T3 on the last
TRANSFER_HISTORY = """\
employee_id,effective_date,plan
T1,2025-12-01,AIP
T1,2026-07-01,SIP
T2,2025-12-01,AIP
T2,2026-01-01,SIP
T3,2025-12-01,AIP
T3,2026-12-31,SIP
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _paid(out: Path) -> dict[tuple[str, str], str]:
    """(employee, policy) → the row's one non-empty pay cell."""
    paid = {}
    for row in _rows(out / "results.csv"):
        cells = [row[c] for c in ("annual_bonus", "sales_incentive") if row[c]]
        paid[(row["employee_id"], row["policy"])] = cells[0]
    return paid


def _run(
    tmp_path: Path, folder: str, roster: str, history: str | None = None, **more: object
) -> Path:
    (tmp_path / "employees.csv").write_text(roster, encoding="utf-8")
    extra: dict[str, object] = {}
    if history is not None:
        (tmp_path / "history.csv").write_text(history, encoding="utf-8")
        extra["history"] = tmp_path / "history.csv"
    out = tmp_path / str(more.pop("name", "out"))
    request = RunRequest(
        rules=POLICIES / folder,
        employees=tmp_path / "employees.csv",
        out=out,
        **extra,
        **more,  # type: ignore[arg-type]
    )
    run_job(request)
    return out


def test_an_employee_in_two_declared_plans_has_a_row_per_plan(tmp_path: Path) -> None:
    """E2 (plan BOTH) is in the annual bonus and the first-quarter sales incentive; E1 only in
    the first, E3 only in the second. results.csv has a row per employee and plan, in roster
    order, each paid under its own pay code:

    - annual pool: claims E1 10,000 + E2 8,000 = 18,000 over 15,000, factor 5/6: E1
      8,333.333… and E2 6,666.666…, rounded down 8,333.33 + 6,666.66 = 14,999.99, the cent left
      to the larger remainder (E2's .666…): E1 8,333.33, E2 6,666.67;
    - sales pool: claims E2 2,000 + E3 4,000 = 6,000 over 3,000, factor 1/2: E2 1,000.00,
      E3 2,000.00.
    """
    out = _run(tmp_path, "two_plans", TWO_PLANS_ROSTER)
    rows = _rows(out / "results.csv")
    assert [(r["employee_id"], r["policy"]) for r in rows] == [
        ("E1", "annual-bonus"),
        ("E2", "annual-bonus"),
        ("E2", "sales-q1"),
        ("E3", "sales-q1"),
    ]
    assert _paid(out) == {
        ("E1", "annual-bonus"): "8333.33",
        ("E2", "annual-bonus"): "6666.67",
        ("E2", "sales-q1"): "1000.00",
        ("E3", "sales-q1"): "2000.00",
    }
    assert [r["employee_id"] for r in _rows(out / "inputs.csv")] == ["E1", "E2", "E3"]


def test_pools_and_budgets_count_each_plans_payouts_in_their_own(tmp_path: Path) -> None:
    """E2's two awards go one to each plan's pool: 2 members each, 18,000 and 6,000 of
    claims, each pool spent exactly (see the test above for the figures). Each plan's budget
    counts its own payouts: the annual budget (16,000) spends E1 8,333.33 + E2 6,666.67 =
    15,000.00 over a payroll of 100,000 + 80,000 (within, 93.75 %); the sales budget (2,500)
    spends E2 1,000.00 + E3 2,000.00 = 3,000.00 over quota sales 100,000 + 200,000 (over,
    120 %)."""
    out = _run(tmp_path, "two_plans", TWO_PLANS_ROSTER)
    pools = {r["pool"]: r for r in _rows(out / "pools.csv")}
    assert {
        n: (r["policy"], r["members"], r["awards_before_scaling"], r["allocated"])
        for n, r in pools.items()
    } == {
        "bonus_pool": ("annual-bonus", "2", "18000", "15000.00"),
        "sales_pool": ("sales-q1", "2", "6000", "3000.00"),
    }
    budgets = {r["budget"]: r for r in _rows(out / "budgets.csv")}
    assert {
        n: (
            r["policy"],
            r["employees"],
            r["eligible_payroll"],
            r["spend"],
            r["used_pct"],
            r["status"],
        )
        for n, r in budgets.items()
    } == {
        "bonus_budget": ("annual-bonus", "2", "180000.00", "15000.00", "0.9375", "within"),
        "sales_budget": ("sales-q1", "2", "300000.00", "3000.00", "1.2", "over"),
    }


def test_explain_and_the_run_folder_reader_show_both_plans(tmp_path: Path, cli: Cli) -> None:
    """`read_run_folder` joins each of E2's results rows with its own policy's breakdown row
    (its consistency checks hold), and `explain` shows both plans with their pay codes, each
    under the plan group its header declares and the employee's plans of that group."""
    out = _run(tmp_path, "two_plans", TWO_PLANS_ROSTER)
    run = read_run_folder(out)
    assert [(r["employee_id"], r["policy"]) for r in run.breakdown if r["employee_id"] == "E2"] == [
        ("E2", "annual-bonus"),
        ("E2", "sales-q1"),
    ]
    data = explain_employee(out, "E2").data()
    assert [p["id"] for p in data["policies"]] == ["annual-bonus", "sales-q1"]
    shown = cli("explain", "--run", out, "E2")
    assert shown.exit_code == 0
    assert "annual_bonus (AIP) = 6,666.67" in shown.stdout
    assert "sales_incentive (SIP) = 1,000.00" in shown.stdout
    group = "plan group cash-incentives; the employee's plans of the group: annual-bonus, sales-q1"
    assert shown.stdout.count(group) == 2
    assert data["policies"][1]["plan_group"] == {
        "name": "cash-incentives",
        "plans": ["annual-bonus", "sales-q1"],
    }


def _undeclared(tmp_path: Path, keep: str | None) -> Path:
    """The two plans copied, with ``plan_group`` left only in ``keep`` (or in neither)."""
    rules = tmp_path / "rules"
    shutil.copytree(POLICIES / "two_plans", rules)
    for name in ("annual.yaml", "sales.yaml"):
        if name != keep:
            path = rules / name
            text = path.read_text(encoding="utf-8").replace("  plan_group: cash-incentives\n", "")
            path.write_text(text, encoding="utf-8")
    return rules


@pytest.mark.parametrize(
    ("keep", "said"),
    [
        (None, ""),
        (
            "annual.yaml",
            " unless each of them declares the same plan_group "
            "(annual-bonus: 'cash-incentives', sales-q1: no plan_group)",
        ),
    ],
)
def test_double_coverage_not_declared_by_both_is_refused_naming_both(
    tmp_path: Path, cli: Cli, keep: str | None, said: str
) -> None:
    """Without the same plan group in both, E2 is rejected as before, naming both plans (the
    message is unchanged when neither declares one); E1 and E3 are computed."""
    rules = _undeclared(tmp_path, keep)
    (tmp_path / "employees.csv").write_text(TWO_PLANS_ROSTER, encoding="utf-8")
    ran = cli(
        "run",
        "--rules",
        rules,
        "--employees",
        tmp_path / "employees.csv",
        "--out",
        tmp_path / "out",
    )
    assert ran.exit_code == 3, ran.output
    [rejected] = _rows(tmp_path / "out" / "rejected.csv")
    assert (rejected["employee_id"], rejected["column"]) == ("E2", "population")
    assert rejected["reason"] == (
        "covered by 2 bonus policies (annual-bonus, sales-q1); an employee belongs to one" + said
    )


def test_a_transfer_weighs_participation_in_each_plan_by_days(tmp_path: Path) -> None:
    """2026 has 365 days; 10 % of 73,000 is 20 a day, 20 % is 40 a day.

    - T1 moves on 1 July: AIP 181 days (Jan–Jun) → 20 × 181 = 3,620.00; SIP 184 days → 40 ×
      184 = 7,360.00.
    - T2 moves on the first day: the row dated 2026-01-01 applies to the whole period, so AIP
      does not cover T2 at all; SIP 365 days → 14,600.00.
    - T3 moves on the last day: AIP 364 days → 7,280.00; SIP one day → 40.00.
    - T4 has no history: AIP only, participation 1 → 7,300.00.
    """
    out = _run(tmp_path, "transfer", TRANSFER_ROSTER, TRANSFER_HISTORY)
    assert _paid(out) == {
        ("T1", "aip"): "3620.00",
        ("T1", "sip"): "7360.00",
        ("T2", "sip"): "14600.00",
        ("T3", "aip"): "7280.00",
        ("T3", "sip"): "40.00",
        ("T4", "aip"): "7300.00",
    }
    aip = {r["employee_id"]: r for r in _rows(out / "breakdown" / "aip.csv")}
    assert aip["T3"]["participation.segments"] == (
        "2026-01-01..2026-12-30 364d 99.7260% 1 (plan=AIP) | "
        "2026-12-31..2026-12-31 1d 0.2740% 0 (plan=SIP)"
    )
    assert (aip["T4"]["participation"], aip["T4"]["participation.segments"]) == ("1", "")


def test_explain_shows_the_participation_segments_of_a_transfer(tmp_path: Path, cli: Cli) -> None:
    """The weighted participation is explained from the record, segment by segment."""
    out = _run(tmp_path, "transfer", TRANSFER_ROSTER, TRANSFER_HISTORY)
    shown = cli("explain", "--run", out, "T1")
    assert shown.exit_code == 0, shown.output
    assert (
        "participation = Σ value × days ÷ period days = (1 × 181 + 0 × 184) ÷ 365" in shown.stdout
    )
    assert (
        "participation = Σ value × days ÷ period days = (0 × 181 + 1 × 184) ÷ 365" in shown.stdout
    )


def test_a_combined_cap_binds_on_each_plans_share(tmp_path: Path) -> None:
    """combined_cap 12 % of 73,000 = 8,760 for the year, 24 a day; each plan's share is
    8,760 × its participation, the cap of the step it pays.

    - T1: AIP 3,620.00 under its share 24 × 181 = 4,344.00; SIP 7,360.00 capped at 24 × 184
      = 4,416.00 (together 8,036.00 ≤ 8,760).
    - T2 (first day): SIP 14,600.00 capped at 8,760.00.
    - T3 (last day): AIP 7,280.00 under 24 × 364 = 8,736.00; SIP 40.00 capped at 24.00.
    - T4: AIP 7,300.00 under 8,760.00.
    """
    out = _run(tmp_path, "combined_cap", TRANSFER_ROSTER, TRANSFER_HISTORY)
    assert _paid(out) == {
        ("T1", "aip"): "3620.00",
        ("T1", "sip"): "4416.00",
        ("T2", "sip"): "8760.00",
        ("T3", "aip"): "7280.00",
        ("T3", "sip"): "24.00",
        ("T4", "aip"): "7300.00",
    }
    sip = {r["employee_id"]: r for r in _rows(out / "breakdown" / "sip.csv")}
    assert (sip["T1"]["combined_cap"], sip["T1"]["incentive.raw"]) == ("4416.00", "7360.00")


@pytest.mark.parametrize("folder", ["two_plans", "combined_cap"])
def test_both_cores_write_what_one_core_writes(tmp_path: Path, folder: str) -> None:
    """The both-core path (forced at this size by ``parallel_from``) writes every per-employee
    file byte for byte as one core does, with several plans per person and transfers."""
    roster, history = (
        (TWO_PLANS_ROSTER, None) if folder == "two_plans" else (TRANSFER_ROSTER, TRANSFER_HISTORY)
    )
    one = _run(tmp_path, folder, roster, history, name="one", workers=1)
    both = _run(tmp_path, folder, roster, history, name="both", parallel_from=2, progress_every=1)
    for name in employee_files(one):
        assert (one / name).read_bytes() == (both / name).read_bytes(), name


def _policy_error(tmp_path: Path, header: str, steps: str = "") -> str:
    text = (POLICIES / "transfer" / "sip.yaml").read_text(encoding="utf-8")
    text = text.replace("  plan_group: {name: cash-incentives, transfers: weighted}\n", header)
    text = text.replace("steps:\n", "steps:\n" + steps)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "sip.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_rules(rules)
    return str(caught.value)


def test_a_combined_cap_without_transfers_is_refused_at_its_line(tmp_path: Path) -> None:
    """A combined cap is shared by participation, so it needs transfers: weighted."""
    message = _policy_error(tmp_path, '  plan_group: {name: cash, combined_cap: "salary * 12%"}\n')
    assert "sip.yaml:11" in message and "a combined cap needs transfers" in message


def test_a_step_named_participation_is_refused(tmp_path: Path) -> None:
    """The plan group adds ``participation``: a step of that name is a clash, at its line."""
    message = _policy_error(
        tmp_path,
        "  plan_group: {name: cash, transfers: weighted}\n",
        "  participation: {formula: '1'}\n",
    )
    assert "sip.yaml:18" in message and "step 'participation' is already declared" in message


@functools.cache
def _combined_rules() -> Rulebook:
    return load_rules(POLICIES / "combined_cap")


@settings(max_examples=60, deadline=None)
@given(moved=transfer_dates(), salary=decimals("1000", "500000", 2))
def test_a_transfer_splits_the_period_and_the_combined_cap_holds(
    moved: datetime.date, salary: Decimal
) -> None:
    """Whatever the day of the move: the plans' participations add up to the whole period
    (to the engine's 28 digits), and what the two plans pay together is at most the combined
    cap (12 % of salary) plus the half cent each plan's pay rounding may add."""
    [emp] = employees([{"employee_id": "X", "plan": "SIP", "salary": str(salary)}])
    history = (
        HistoryRow("2025-12-01", {"plan": "AIP"}),
        HistoryRow(moved.isoformat(), {"plan": "SIP"}),
    )
    [out] = list(calculate(_combined_rules(), [attrs.evolve(emp, history=history)]))
    assert isinstance(out, EmployeeOutcome), out
    shares = sum((o.value("participation") for o in out.outcomes), Decimal(0))
    assert abs(shares - 1) <= Decimal("1e-27")
    paid = sum((v for o in out.outcomes for v in o.pay.values()), Decimal(0))
    assert paid <= salary * Decimal("0.12") + Decimal("0.01")


def test_the_plans_of_a_group_must_declare_it_alike(tmp_path: Path) -> None:
    """A combined cap declared in one plan of the group and not in the other is refused at
    the second plan's header, naming the first."""
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(POLICIES / "combined_cap" / "aip.yaml", rules / "aip.yaml")
    shutil.copy(POLICIES / "transfer" / "sip.yaml", rules / "sip.yaml")
    with pytest.raises(PolicyError) as caught:
        load_rules(rules)
    [problem] = caught.value.problems
    assert (Path(problem.file).name, problem.line) == ("sip.yaml", 11)
    assert problem.message == (
        "plan group 'cash-incentives' has combined_cap none here but 'salary * 12%' in aip "
        f"({rules / 'aip.yaml'})"
    )


SALARY = "salary: {type: decimal}\n"


@functools.cache
def _everyone(groups: tuple[str | None, ...]) -> Rulebook:
    """Policies p1, p2, … covering everyone, each in the plan group given (None: none)."""
    folder = Path(tempfile.mkdtemp(prefix="several_plans_"))
    for n, group in enumerate(groups, 1):
        body = f"""
            steps:
              bonus: {{formula: salary * {n}%, type: money}}
            pay:
              - {{name: pay_p{n}, step: bonus, pay_code: P{n}}}
            """
        text = policy_yaml(body, policy_id=f"p{n}", population="True", inputs=SALARY)
        if group is not None:
            text = text.replace(
                "  currency: currency\n", f"  currency: currency\n  plan_group: {group}\n", 1
            )
        (folder / f"p{n}.yaml").write_text(text, encoding="utf-8")
    try:
        return load_rules(folder)  # compiled: the files are not read again
    finally:
        shutil.rmtree(folder)


@settings(max_examples=40, deadline=None)
@example(groups=(None,), salary=Decimal("30.50"))  # a half cent: pay rounds it up
@given(
    groups=st.lists(st.sampled_from([None, "g", "h"]), min_size=1, max_size=3).map(tuple),
    salary=decimals("0", "100000", 2),
)
def test_an_employee_is_computed_by_several_plans_only_when_all_share_a_group(
    groups: tuple[str | None, ...], salary: Decimal
) -> None:
    """Policies of one kind all covering an employee: computed by each (policy n pays n % of
    salary) when there is one, or all name the same group; otherwise rejected, naming them
    all."""
    [emp] = employees([{"employee_id": "X", "salary": str(salary)}])
    [out] = list(calculate(_everyone(groups), [emp]))
    ids = [f"p{n}" for n in range(1, len(groups) + 1)]
    if len(groups) == 1 or (len(set(groups)) == 1 and groups[0] is not None):
        assert isinstance(out, EmployeeOutcome), out
        assert [o.policy.id for o in out.outcomes] == ids
        for n, o in enumerate(out.outcomes, 1):
            # pay rounds half up to the cent (30.50 × 1 % = 0.305 → 0.31; half-even gave 0.30)
            expected = (salary * n / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert o.pay[f"pay_p{n}"] == expected
    else:
        assert isinstance(out, Rejection), out
        assert f"covered by {len(ids)} bonus policies ({', '.join(ids)})" in out.reason
