"""Pay schedules (`kind: salary`): a published grid, grade × step × locality, capped, rounded
to the dollar, with the hourly rate = annual ÷ 2,087; a row may give its annual rate directly."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from conftest import POLICIES
from engine_helpers import employees
from incentives.engine.calculate import PolicyOutcome
from policy_files import file_cli_run, file_outcomes, results_rows

SCHEDULE = POLICIES / "valid" / "pay_schedule.yaml"


def _rates(rows: list[dict[str, object]]) -> list[tuple[D, D]]:
    found = []
    for out in file_outcomes(SCHEDULE, employees(rows)):
        assert isinstance(out, PolicyOutcome)
        found.append((out.value("annual"), out.value("hourly")))
    return found


def test_the_grid_gives_the_annual_and_hourly_rate() -> None:
    """GS-12 step 1 in DC: 77,853 × 1.3326 = 103,746.9078 → 103,747 (to the dollar), hourly
    103,747 ÷ 2,087 = 49.711… → 49.71. GS-11 step 2 elsewhere: 67,122 × 1.1682 = 78,411.92 →
    78,412, hourly 37.57."""
    assert _rates(
        [
            {"grade": "GS-12", "step": "1", "locality": "DC"},
            {"grade": "GS-11", "step": "2", "locality": "RUS"},
        ]
    ) == [(D("103747"), D("49.71")), (D("78412"), D("37.57"))]


def test_the_cap_binds_before_rounding() -> None:
    """GS-15 step 10 in DC: 163,964 × 1.3326 = 218,498.43 is above the 191,900 cap: 191,900,
    hourly 191,900 ÷ 2,087 = 91.950… → 91.95."""
    assert _rates([{"grade": "GS-15", "step": "10", "locality": "DC"}]) == [
        (D("191900"), D("91.95"))
    ]


def test_a_row_may_give_its_annual_rate_without_grade_or_step() -> None:
    """No grade or step, annual rate 150,000: 150,000, hourly 150,000 ÷ 2,087 = 71.873… →
    71.87."""
    assert _rates([{"locality": "DC", "annual_rate": "150000"}]) == [(D("150000"), D("71.87"))]


def test_a_schedule_is_its_own_kind_in_results_csv(tmp_path: Path) -> None:
    """results.csv says kind `salary`, with the annual and hourly rates as columns and no pay
    component; a row with neither a grade and step nor an annual rate is not in the schedule,
    with the reason."""
    _, out = file_cli_run(
        tmp_path,
        SCHEDULE,
        "employee_id,currency,grade,step,locality,annual_rate\n"
        "001,USD,GS-12,1,DC,\n002,USD,,,DC,\n",
    )
    rows = results_rows(out)
    assert [(r["kind"], r["annual"], r["hourly"]) for r in rows[:1]] == [
        ("salary", "103747", "49.71")
    ]
    assert rows[1]["eligible"] == "false"
    assert rows[1]["zero_reason"] == "Neither a grade and step nor an annual rate"
