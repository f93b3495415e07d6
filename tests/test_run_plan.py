"""The run plan: which passes a rulebook's run makes over the roster, what each reads and
collects; and that one core and two execute the same plan into the same bytes."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from conftest import FIXTURES, RULES, repeated_sample
from engine_helpers import load, policy_yaml
from incentives.engine.run_plan import plan_run
from incentives.jobs import RunReport, RunRequest, run_job
from incentives.parallel import can_fork
from incentives.rulebook.rulebook import load_rules

SAMPLE = (
    "annual-bonus-2026",
    "ltip-psu-2024",
    "merit-2027",
    "promotion-2027",
    "sales-incentive-2026-q4",
)

needs_two_cores = pytest.mark.skipif(
    not can_fork() or (os.cpu_count() or 1) < 2, reason="no fork or a single core"
)


def test_the_sample_plans_a_totals_pass_with_its_pool_then_the_final_pass() -> None:
    """The sample's bonus has a group total and a pool whose awards read no total: both are
    collected in one totals pass (only the bonus is evaluated there), then the final pass
    evaluates every policy on every column."""
    plan = plan_run(load_rules(RULES), exact_first_pass=False)
    assert [(p.kind, p.policies, p.collects) for p in plan.passes] == [
        ("totals", ("annual-bonus-2026",), ("total unit_target_total_usd", "pool department_pool")),
        ("final", SAMPLE, ("outcomes",)),
    ]
    totals, final = plan.passes
    # the fast totals pass reads only what the population and the totals read: no ratings
    assert totals.columns is not None and "unit" in totals.columns
    assert "new_grade" not in totals.columns and not totals.ratings
    assert (final.columns, final.goals, final.ratings) == (None, True, True)
    assert plan.budgets.keys() == {"merit-2027"}
    assert plan.funding_checks.keys() == {"annual-bonus-2026"}


def test_an_exact_plan_reads_every_column_in_its_totals_pass() -> None:
    """For callers that cannot redo a run, the totals pass converts and evaluates everything
    that reads no total, so it reads what the final pass reads."""
    plan = plan_run(load_rules(RULES), exact_first_pass=True)
    totals = plan.passes[0]
    assert (totals.kind, totals.evaluates, totals.columns, totals.ratings) == (
        "totals",
        "stage1_full",
        None,
        True,
    )
    assert plan.describe()[0].startswith("totals: stage1_full of annual-bonus-2026")


POOL_READING_A_TOTAL = policy_yaml(
    """
steps:
  award: {formula: "claim", type: money}
  claims: {aggregate: sum, of: award, by: team}
  share_award: {formula: "award * 100 / claims", type: money}
  checked: {formula: "team_pool_payout / divisor", type: money}
pools:
  team_pool:
    by: team
    currency: USD
    award: share_award
    funding: "50"
pay:
  - {name: bonus, step: checked, pay_code: B}
""",
    inputs="""
claim: {type: decimal}
team: {type: text, required: false, default: A}
divisor: {type: decimal}
""",
    currencies="USD",
)


def test_awards_that_read_a_total_get_a_pools_pass_between(tmp_path: Path) -> None:
    """A pool whose awards read a group total is collected in a pass of its own, after the
    totals and before the final pass."""
    plan = plan_run(load(tmp_path, POOL_READING_A_TOTAL))
    assert [(p.kind, p.evaluates, p.collects) for p in plan.passes] == [
        ("totals", "stage1_full", ("total claims",)),
        ("pools", "stage2", ("pool team_pool",)),
        ("final", "evaluate", ("outcomes",)),
    ]


def _sample_roster(tmp_path: Path, rows: int) -> Path:
    """The sample's rows over and over, numbered on; the first 52 keep their own ids (their
    ratings and history). Every 97th has a bad ``level_start_date``, read only in the final
    pass (by promotions): rejected there after the totals pass counted it (a redo)."""

    def bad_date(i: int, header: list[str], row: list[str]) -> None:
        if i % 97 == 96:
            row[header.index("level_start_date")] = "31/02/2026"

    return repeated_sample(tmp_path / "roster.csv", rows, first_id=1, id_width=5, edit=bad_date)


def _same_bytes(one: RunReport, two: RunReport) -> None:
    assert one.files == two.files
    for name in one.files:
        assert (one.out / name).read_bytes() == (two.out / name).read_bytes(), name


@needs_two_cores
def test_totals_pools_and_budgets_on_both_cores_write_the_same_bytes(tmp_path: Path) -> None:
    """The sample (a group total, a pool collected with it, a merit budget) over 400 employees:
    both cores (chosen by ``parallel_from``) write what one core writes, byte for byte, and the
    counts reconcile (every employee read is computed, rejected or not covered, once)."""
    roster = _sample_roster(tmp_path, 400)
    common = dict(
        rules=RULES,
        employees=roster,
        rates=FIXTURES / "rates.csv",
        ratings=FIXTURES / "ratings.csv",
        history=FIXTURES / "history.csv",
        progress_every=50,
    )
    reports: dict[str, list[int]] = {"one": [], "two": []}
    one = run_job(
        RunRequest(out=tmp_path / "one", parallel_from=401, **common),  # type: ignore[arg-type]
        lambda done, _total: reports["one"].append(done),
    )
    two = run_job(
        RunRequest(out=tmp_path / "two", parallel_from=400, **common),  # type: ignore[arg-type]
        lambda done, _total: reports["two"].append(done),
    )
    _same_bytes(one, two)
    assert one.summary == two.summary
    s = two.summary
    assert s.complete and s.reconciles and s.read == 400
    assert (s.computed, s.rejected) == (396, 4) and s.budgets
    assert one.pools == two.pools and one.pools and one.budgets == two.budgets
    # the run was redone once without the rejected rows: the redo's reports resume only past
    # what the first attempt reported (progress never goes back), then the end
    assert reports["one"] == [*range(50, 401, 50), 400]
    assert reports["two"][-1] == 400 and all(0 <= done <= 400 for done in reports["two"])


@needs_two_cores
def test_a_pools_pass_and_a_redo_on_both_cores_write_the_same_bytes(tmp_path: Path) -> None:
    """Awards that read a group total (a pools pass of their own) and a member the final pass
    rejects after the pool counted it (the run is redone without it): two workers write what
    one writes, and the pool is spent over the members paid only."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pool.yaml").write_text(POOL_READING_A_TOTAL, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["employee_id", "plan", "currency", "claim", "team", "divisor"])
        for i in range(60):
            divisor = "0" if i % 7 == 3 else "1"  # 9 members rejected after their pool
            writer.writerow([f"E{i:03d}", "AIP", "USD", str(1 + i % 5), "AB"[i % 2], divisor])
    reports = [
        run_job(
            RunRequest(rules=rules, employees=roster, out=tmp_path / f"out{n}", workers=n),
        )
        for n in (1, 2)
    ]
    _same_bytes(*reports)
    s = reports[1].summary
    assert (s.read, s.computed, s.rejected) == (60, 51, 9) and s.reconciles
    assert reports[0].pools == reports[1].pools
    assert [p.members for p in reports[1].pools] == [26, 25]
    assert all(p.allocated == p.pool_amount == 50 for p in reports[1].pools)
