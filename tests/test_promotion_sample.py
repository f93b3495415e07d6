"""The bundled promotion policy, rules/promotion.yaml (promotion-2027), in the full-cycle sample.

As-of date 2027-03-15 (the policy's payout date, the run's default). Criteria, in order:

    rating_now            roster rating ≥ 4 (Exceeds)               gap "rating 3, needs 4"
    sustained             lowest_rating(2) ≥ 3 (2026, 2025 of ratings.csv)
    time_in_level         months_between(level_start_date, as_of) ≥ 12
    time_since_promotion  never promoted, or months_between(last_promotion_date, as_of) ≥ 18
    not_top_of_ladder     level < 8
    no_open_pip           not on_pip

Leavers (a termination date before the as-of date) are not eligible: not assessed, not ready.
Every figure: fixtures/EXPECTED.md, section "Promotion readiness".
"""

from __future__ import annotations

import csv

import pytest

from conftest import EMPLOYEES, RATINGS, CliRun, cycle_outcomes, invoke
from incentives.engine.calculate import PolicyOutcome

READY = {
    "00002", "00004", "00016", "00021", "00031", "00036", "00037", "00038", "00042", "00043",
    "00050",
}  # fmt: skip
LEAVERS = {"00025", "00026", "00027", "00028", "00044", "00045"}
NOT_ASSESSED = "Not employed on the as-of date: not assessed for promotion"


@pytest.fixture(scope="module")
def promotion() -> dict[str, PolicyOutcome]:
    """Every employee's promotion outcome, by id (library API, no files)."""
    return cycle_outcomes("promotion")


def failed(po: PolicyOutcome) -> dict[str, str]:
    """The failed criteria of an outcome: name → gap."""
    return {
        slot.name.removeprefix("criterion."): po.value(f"{slot.name}.gap")
        for slot in po.policy.slots
        if slot.kind == "criterion" and po.value(slot.name) is False
    }


def test_every_employee_has_one_promotion_outcome(promotion: dict[str, PolicyOutcome]) -> None:
    """All 52 employees are covered by promotion-2027 exactly once; 11 are ready; the six leavers
    are not eligible, with the eligibility reason as zero_reason and as their gaps."""
    assert len(promotion) == 52
    assert {po.policy.id for po in promotion.values()} == {"promotion-2027"}
    assert {k for k, po in promotion.items() if po.ready} == READY
    assert {k for k, po in promotion.items() if not po.eligible} == LEAVERS
    for k in LEAVERS:
        po = promotion[k]
        assert (po.ready, po.zero_reason, po.gaps) == (False, NOT_ASSESSED, NOT_ASSESSED)


def test_ready_on_both_boundaries(promotion: dict[str, PolicyOutcome]) -> None:
    """00016, promoted 2025-09-15: 2025-09-15 → 2027-03-15 is exactly 18 whole months in level
    (≥ 12) and since the promotion (18 ≥ 18): ready, no gap."""
    po = promotion["00016"]
    assert po.value("months_in_level") == 18
    assert (po.ready, po.gaps, failed(po)) == (True, "", {})


@pytest.mark.parametrize(
    ("employee_id", "gaps"),
    [
        # rating history that blocks promotion: Exceptional now, Partially Meets in 2025
        ("00017", {"sustained": "lowest rating 2 in the last 2 cycles, needs 3"}),
        # missing history: no 2025 row → the criterion fails with the missing value's message
        ("00040", {"sustained": "no rating for cycle 2025"}),
        # hired 2026-03-16: 11 whole months on 2027-03-15 (the 12th completes the next day)
        (
            "00052",
            {
                "sustained": "no rating for cycle 2025",
                "time_in_level": "needs 1 more month(s) in level",
            },
        ),
        # promoted on 2025-12-01: 15 months in level passes, 15 months since promotion does not
        ("00006", {"time_since_promotion": "promoted 15 months ago, needs 18"}),
        # promoted mid-year on 2026-09-01 (the history's level change): 6 months
        (
            "00014",
            {
                "time_in_level": "needs 6 more month(s) in level",
                "time_since_promotion": "promoted 6 months ago, needs 18",
            },
        ),
        # top of the ladder
        ("00008", {"not_top_of_ladder": "level 8 is the top of the ladder"}),
        ("00041", {"not_top_of_ladder": "level 8 is the top of the ladder"}),
        # on a performance improvement plan (and rated Meets): both fail, both shown
        (
            "00029",
            {"rating_now": "rating 3, needs 4", "no_open_pip": "Open performance improvement plan"},
        ),
        # the usual case: rated Meets
        ("00001", {"rating_now": "rating 3, needs 4"}),
        # Partially Meets now: the current rating and the sustained rating both fail
        (
            "00005",
            {
                "rating_now": "rating 2, needs 4",
                "sustained": "lowest rating 2 in the last 2 cycles, needs 3",
            },
        ),
    ],
)
def test_not_ready_with_the_gaps_of_the_failed_criteria(
    promotion: dict[str, PolicyOutcome], employee_id: str, gaps: dict[str, str]
) -> None:
    """Not ready; exactly these criteria fail, each with its gap; `gaps` joins them in criteria
    order with "; "; the employee is computed (never rejected for a missing rating)."""
    po = promotion[employee_id]
    assert po.eligible is True
    assert po.ready is False
    assert failed(po) == gaps
    assert po.gaps == "; ".join(gaps.values())


def test_missing_history_is_not_a_rejection(promotion: dict[str, PolicyOutcome]) -> None:
    """00040 has ratings for 2026 and 2024 only: rated_cycles = ratings_count() = 2, and the row is
    computed with the other criteria passing (months_in_level 50 from 2023-01-01)."""
    po = promotion["00040"]
    assert po.value("rated_cycles") == 2
    assert po.value("months_in_level") == 50
    assert set(failed(po)) == {"sustained"}


def test_ratings_file_repeats_the_roster_rating_for_2026() -> None:
    """The 2026 cycle of ratings.csv is the roster's rating for every employee (the promotion
    policy reads the current rating from the roster and the last two cycles from the file)."""
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        roster = {r["employee_id"]: r["rating"] for r in csv.DictReader(stream)}
    with RATINGS.open(encoding="utf-8", newline="") as stream:
        current = {
            r["employee_id"]: r["rating"] for r in csv.DictReader(stream) if r["cycle"] == "2026"
        }
    assert current == roster


def test_results_csv_has_ready_and_gaps(sample_run: CliRun) -> None:
    """results.csv: one promotion row per employee with `ready`, `gaps`, `months_in_level` and
    `rated_cycles`; bonus and merit rows leave `ready` and `gaps` empty."""
    assert sample_run.out is not None
    with (sample_run.out / "results.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    promo = {r["employee_id"]: r for r in rows if r["kind"] == "promotion"}
    assert len(promo) == 52
    assert {k for k, r in promo.items() if r["ready"] == "true"} == READY
    assert promo["00040"]["gaps"] == "no rating for cycle 2025"
    assert promo["00014"]["months_in_level"] == "6"
    assert all(r["ready"] == "" and r["gaps"] == "" for r in rows if r["kind"] != "promotion")


def test_explain_shows_bonus_merit_and_promotion(sample_run: CliRun) -> None:
    """`incentives explain 00014 --run DIR` shows the three policies of the cycle for one
    employee: the bonus (with its segments), the merit and the promotion readiness with each
    criterion and its gap."""
    assert sample_run.out is not None
    run = invoke("explain", "00014", "--run", sample_run.out)
    assert run.exit_code == 0, run.output
    text = run.stdout
    bonus = text.index("Annual Incentive Plan 2026 — policy annual-bonus-2026")
    merit = text.index("Merit Increase Policy 2027 — policy merit-2027")
    promotion = text.index("Promotion Readiness 2027 — policy promotion-2027")
    assert bonus < merit < promotion
    # the individual award 7,914.102978 paid from the Sales pool: × 0.9458327… = 7,485.4177…
    # → 7,485.41 + a remainder cent (EXPECTED.md, "Department pools and merit budgets")
    assert "annual_bonus (AIP) = 7,485.42 − 0.00 = 7,485.42" in text
    assert "2026-09-01 to 2026-12-31: 122 days" in text
    assert "merit_increase (MERIT) = 3,100.00" in text[merit:promotion]
    readiness = text[promotion:]
    assert "Promotion readiness" in readiness
    assert "time_in_level: FAIL" in readiness
    assert "needs 6 more month(s) in level" in readiness
    assert "rating_now: PASS" in readiness
    assert "ready: no" in readiness
