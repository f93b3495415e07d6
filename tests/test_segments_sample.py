"""Mid-period changes in the bundled sample: fixtures/history.csv and the time-weighted target.

rules/annual_bonus.yaml weighs one step by segments: ``full_year_target = base_salary × fte ×
target_pct(level)`` (``segments: weighted``), then ``target_bonus = full_year_target × proration``
rounded to the cent. The roster holds the values at the as-of date; a history row on or before
1 January gives the value in force at the start. 2026 has 365 days; a segment's weight is its days
÷ 365 (both ends inclusive). Hand computations: fixtures/EXPECTED.md, "Mid-period changes
(segments)". They stop at the individual award (the `bonus` step), before the department pool
that pays it (EXPECTED.md, "Department pools and merit budgets").

    00003  66,000 from 2026-01-01, 68,000 on 2026-12-31 (the last day)       Finance, level 3 (8 %)
    00011  47,000 (row of 2025-04-01), 50,000 from 2026-04-01                Sales, level 2 (6 %)
    00014  72,000 level 3 (row of 2024-04-01), 77,000 level 4 from 2026-09-01   Sales, 8 % → 10 %
    00030  FTE 1 (row of 2019-09-09), FTE 0.75 from 2026-08-01               Sales, level 3 (8 %)
"""

from __future__ import annotations

import csv
import datetime
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import (
    EMPLOYEES,
    HISTORY,
    RATES,
    RATINGS,
    RULES,
    CliRun,
    breakdown_rows,
    cycle_outcomes,
)
from incentives.audit.explain import explain_employee
from incentives.engine.calculate import PolicyOutcome
from incentives.jobs import RunRequest, run_job

D = Decimal
d = datetime.date
WITH_HISTORY = ("00003", "00011", "00014", "00030")


@pytest.fixture(scope="module")
def bonus() -> dict[str, PolicyOutcome]:
    """Every employee's bonus outcome of the full cycle, by id (library API, no files)."""
    return cycle_outcomes("annual-bonus-2026")


def segments(po: PolicyOutcome) -> list[tuple[object, ...]]:
    """(first day, last day, days, weight, value) of each segment of full_year_target."""
    return [tuple(seg[:5]) for seg in po.value("full_year_target.segments")]


def award(po: PolicyOutcome) -> Decimal:
    """The individual award (the `bonus` step) rounded to the cent, half up: before the
    department pool."""
    return po.value("bonus").quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_00011_salary_raise_in_april(bonus: dict[str, PolicyOutcome]) -> None:
    """00011: 47,000 × 6 % = 2,820.00 for 90 days (1 Jan–31 Mar, from the 2025-04-01 row before
    the period), 50,000 × 6 % = 3,000.00 for 275 days: (253,800 + 825,000) ÷ 365 = 1,078,800 ÷ 365
    = 2,955.616438… → target 2,955.62 (3,000.00 without history); × 1.029125 × 0.7 × 1
    = 2,129.19170275 → 2,129.19: the individual award, before the department pool."""
    po = bonus["00011"]
    assert segments(po) == [
        (d(2026, 1, 1), d(2026, 3, 31), 90, Fraction(90, 365), D("2820.00")),
        (d(2026, 4, 1), d(2026, 12, 31), 275, Fraction(275, 365), D("3000.00")),
    ]
    assert po.value("full_year_target") == D(1078800) / 365
    assert po.value("target_bonus") == D("2955.62")
    assert po.value("bonus") == D("2129.19170275")
    assert award(po) == D("2129.19")


def test_00014_mid_year_promotion_with_a_new_target_percent(
    bonus: dict[str, PolicyOutcome],
) -> None:
    """00014: level 3 at 72,000 until 31 August (243 days, 8 %: 5,760.00), level 4 at 77,000 from
    1 September (122 days, 10 %: 7,700.00): (1,399,680 + 939,400) ÷ 365 = 2,339,080 ÷ 365 =
    6,408.438356… → 6,408.44 (7,700.00 without history); × 1.029125 × 1 × 1.2 = 7,914.102978 →
    7,914.10: the individual award, before the department pool. target_percent (reporting, at
    the as-of date) stays 10 %."""
    po = bonus["00014"]
    (first, second) = po.value("full_year_target.segments")
    assert tuple(first[:5]) == (
        d(2026, 1, 1),
        d(2026, 8, 31),
        243,
        Fraction(243, 365),
        D("5760.00"),
    )
    assert tuple(second[:5]) == (
        d(2026, 9, 1),
        d(2026, 12, 31),
        122,
        Fraction(122, 365),
        D("7700.00"),
    )
    assert dict(first[5]) == {"base_salary": D(72000), "level": 3}
    assert dict(second[5]) == {"base_salary": D(77000), "level": 4}
    assert po.value("target_percent") == D("0.10")
    assert po.value("target_bonus") == D("6408.44")
    assert po.value("bonus") == D("7914.102978")
    assert award(po) == D("7914.10")


def test_00030_fte_from_august(bonus: dict[str, PolicyOutcome]) -> None:
    """00030: FTE 1 (the 2019-09-09 row) for 212 days: 69,000 × 1 × 8 % = 5,520.00; FTE 0.75 from
    1 August for 153 days: 4,140.00; (1,170,240 + 633,420) ÷ 365 = 1,803,660 ÷ 365 = 4,941.534246…
    → 4,941.53; × 1.029125 × 0.8 (modifier) = 4,068.361649 → 4,068.36: the individual award,
    before the department pool. salary_base (at the as-of date) is 69,000 × 0.75 = 51,750."""
    po = bonus["00030"]
    assert segments(po) == [
        (d(2026, 1, 1), d(2026, 7, 31), 212, Fraction(212, 365), D("5520.00")),
        (d(2026, 8, 1), d(2026, 12, 31), 153, Fraction(153, 365), D("4140.00")),
    ]
    assert po.value("salary_base") == D("51750")
    assert po.value("target_bonus") == D("4941.53")
    assert po.value("bonus") == D("4068.361649")
    assert award(po) == D("4068.36")


def test_00003_changes_on_the_first_and_the_last_day(bonus: dict[str, PolicyOutcome]) -> None:
    """00003: the 2026-01-01 row is in force from the start (no 0-day segment); the 2026-12-31 row
    makes a last segment of 1 day: (5,280.00 × 364 + 5,440.00 × 1) ÷ 365 = 1,927,360 ÷ 365 =
    5,280.438356… → 5,280.44; × 0.875 = 4,620.385 → 4,620.39 (half up): the individual award,
    before the department pool."""
    po = bonus["00003"]
    assert segments(po) == [
        (d(2026, 1, 1), d(2026, 12, 30), 364, Fraction(364, 365), D("5280.00")),
        (d(2026, 12, 31), d(2026, 12, 31), 1, Fraction(1, 365), D("5440.00")),
    ]
    assert po.value("target_bonus") == D("5280.44")
    assert po.value("bonus") == D("4620.385")
    assert award(po) == D("4620.39")


def test_without_history_the_weighted_step_is_the_plain_formula(
    bonus: dict[str, PolicyOutcome],
) -> None:
    """00002 has no history: one evaluation with the roster values, no segments recorded;
    full_year_target = 55,000 × 1 × 6 % = 3,300.00 = salary_base × target_percent."""
    po = bonus["00002"]
    assert po.value("full_year_target") == D("3300.00")
    assert po.value("full_year_target") == po.value("salary_base") * po.value("target_percent")
    assert not po.value("full_year_target.segments")


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return {(r["employee_id"], r["policy"]): r for r in csv.DictReader(stream)}


def _bonus_steps(out: Path) -> dict[str, dict[str, str]]:
    """The bonus policy's breakdown rows (with their inputs), by employee id."""
    return {r["employee_id"]: r for r in breakdown_rows(out, "annual-bonus-2026")}


# the eligible Sales and Finance employees with a non-zero award (00009, Does Not Meet, has 0)
SALES_FINANCE_PAID = (
    "00001", "00003", "00004", "00006", "00007", "00011", "00012", "00014", "00015",
    "00017", "00019", "00020", "00022", "00025", "00030", "00032", "00033", "00040",
    "00041", "00043", "00044", "00045", "00047", "00049", "00050", "00052",
)  # fmt: skip
PAID_ABOVE_150_PERCENT = ("00004", "00017", "00043", "00050")  # AIP stays at the limit


def test_only_the_bonus_of_employees_with_history_changes(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """The same cycle without --history: the individual award (the `bonus` step) changes only for
    00003, 00011, 00014 and 00030 (the target chain). Their targets also fund the department
    pools of Sales and Finance, so the pay of every paid member of those two pools moves (one
    factor per pool); every merit, promotion, PSU and sales incentive row and every Engineering
    and Operations bonus row is identical."""
    out = tmp_path / "no-history"
    run_job(RunRequest(rules=RULES, employees=EMPLOYEES, out=out, rates=RATES, ratings=RATINGS))
    assert sample_run.out is not None
    full_steps = _bonus_steps(sample_run.out)
    plain_steps = _bonus_steps(out)
    assert {e for e, r in full_steps.items() if r["bonus"] != plain_steps[e]["bonus"]} == set(
        WITH_HISTORY
    )
    full, plain = _rows(sample_run.out / "results.csv"), _rows(out / "results.csv")
    assert full.keys() == plain.keys()
    changed = {
        key: sorted(col for col in row if row[col] != plain[key][col])
        for key, row in full.items()
        if row != plain[key]
    }
    assert changed == {
        (eid, "annual-bonus-2026"): [
            "annual_bonus_excess" if eid in PAID_ABOVE_150_PERCENT else "annual_bonus"
        ]
        for eid in SALES_FINANCE_PAID
    }
    # 7,700.00 all year: award 7,700.00 × 1.029125 × 1.2 = 9,509.115 (9,509.12 before the pools);
    # the Sales pool without history is 293,837.759776 × 1.029125 = 302,395.78, its factor
    # 0.942794…: 9,509.115 × 0.942794… = 8,965.1408… → 8,965.14 (no remainder cent)
    assert plain[("00014", "annual-bonus-2026")]["annual_bonus"] == "8965.14"


def test_explain_lists_the_segments(sample_run: CliRun) -> None:
    """explain 00014 shows each segment with dates, days, weight, value and what the history set,
    then the weighted sum worked out."""
    assert sample_run.out is not None
    text = explain_employee(sample_run.out, "00014").text()
    assert (
        "2026-01-01 to 2026-08-31: 243 days, weight 66.5753%, full_year_target = 5,760.00"
        " with base_salary=72000, level=3"
    ) in text
    assert (
        "2026-09-01 to 2026-12-31: 122 days, weight 33.4247%, full_year_target = 7,700.00"
        " with base_salary=77000, level=4"
    ) in text
    assert "(5,760.00 × 243 + 7,700.00 × 122) ÷ 365 = 6,408.438356" in text


def test_breakdown_records_the_segments(sample_run: CliRun) -> None:
    """breakdown/annual-bonus-2026.csv has the column full_year_target.segments: filled for the
    four employees with history, empty for the others."""
    assert sample_run.out is not None
    rows = breakdown_rows(sample_run.out, "annual-bonus-2026")
    filled = {r["employee_id"] for r in rows if r["full_year_target.segments"]}
    assert filled == set(WITH_HISTORY)
    by_id = {r["employee_id"]: r for r in rows}
    assert by_id["00003"]["full_year_target.segments"].startswith(
        "2026-01-01..2026-12-30 364d 99.7260"
    )


def test_run_group_totals_use_the_weighted_targets(sample_run: CliRun) -> None:
    """manifest.json group totals of `incentives run` equal the library's: Sales 293,303.349776
    (295,217.759776 − 44.38 − 1,291.56 − 578.47), Finance 125,057.02 (125,216.58 − 159.56)."""
    assert sample_run.out is not None
    manifest = json.loads((sample_run.out / "manifest.json").read_text(encoding="utf-8"))
    totals = manifest["group_totals"]["annual-bonus-2026"]["unit_target_total_usd"]
    assert D(totals["Sales"]) == D("293303.349776")
    assert D(totals["Finance"]) == D("125057.02")


def test_two_workers_with_history_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    """The sample with its history on both cores: the department pool's first member per group
    may have history: its segments travel from a worker to the parent; the run must
    not fail on them and every file must be byte-identical to a run on one core."""
    common = {
        "rules": RULES,
        "employees": EMPLOYEES,
        "rates": RATES,
        "ratings": RATINGS,
        "history": HISTORY,
    }
    one = run_job(RunRequest(out=tmp_path / "one", workers=1, **common))
    two = run_job(RunRequest(out=tmp_path / "two", workers=2, **common))
    assert one.files == two.files
    for name in one.files:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), (
            name
        )
