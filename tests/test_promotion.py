"""Promotion readiness: `rating_history`, the rating functions and `criteria:`.

The policy below (`PROMOTION`) is a small promotion policy on the 2026 calendar year with the
as-of date 2026-12-31 (the payout date) and the rating scale Exceptional 5, Exceeds 4, Meets 3,
Partially Meets 2, Does Not Meet 1. Its criteria, in order:

    rating_now       rating_in('2026') >= 4                      gap "rating {…}, needs 4"
    sustained        lowest_rating(3) >= 3                       (its reason)
    time_in_level    months_in_level >= 9                        gap "needs {…} more months in level"
    since_promotion  months_between(last_promotion_date, as_of) >= 18
    not_top          level < top_level (8)
    no_pip           not on_pip

`READY` is an employee who passes all of them; each test changes one thing.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
import textwrap
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import breakdown_rows
from incentives.audit.explain import explain_employee
from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome, calculate
from incentives.errors import MissingValue, RowError
from incentives.jobs import RunRequest, run_job
from incentives.model import EmployeeInput, RatingRecord, Rejection, RowSource
from incentives.rulebook.rulebook import Rulebook, load_rules

HEADER = """\
policy:
  id: promo-2026
  title: Promotion readiness 2026
  version: "1"
  kind: promotion
  effective: {from: 2026-01-01, to: 2026-12-31}
  performance_period: {start: 2026-01-01, end: 2026-12-31}
  payout_date: 2026-12-31
  currency: currency
  rating_history: {scale: performance, cycles: ["2026", "2025", "2024"]}
inputs:
  employee_id: {type: text}
  currency: {type: text}
  level: {type: integer}
  level_start_date: {type: date}
  last_promotion_date: {type: date, required: false}
  on_pip: {type: boolean, required: false, default: false}
  terminated: {type: boolean, required: false, default: false}
rating_scales:
  performance:
    labels: {Exceptional: 5, Exceeds: 4, Meets: 3, Partially Meets: 2, Does Not Meet: 1}
"""

PROMOTION = (
    HEADER
    + """\
parameters:
  top_level: 8
eligibility:
  - {name: active, rule: "not terminated", reason: "Not an active employee"}
steps:
  months_in_level: {formula: "months_between(level_start_date, as_of)", type: integer}
criteria:
  - name: rating_now
    rule: "rating_in('2026') >= 4"
    reason: "Current rating below Exceeds"
    gap: "rating {rating_in('2026')}, needs 4"
  - name: sustained
    rule: "lowest_rating(3) >= 3"
    reason: "A rating below Meets in the last three cycles"
  - name: time_in_level
    rule: "months_in_level >= 9"
    reason: "Less than 9 months in level"
    gap: "needs {9 - months_in_level} more months in level"
  - name: since_promotion
    rule: "months_between(last_promotion_date, as_of) >= 18"
    reason: "Promoted less than 18 months ago"
  - {name: not_top, rule: "level < top_level", reason: "At the top of the ladder"}
  - {name: no_pip, rule: "not on_pip", reason: "Open performance improvement plan"}
"""
)

READY_CELLS = {
    "currency": "USD",
    "level": "3",
    "level_start_date": "2025-01-01",
    "last_promotion_date": "2023-01-01",
    "on_pip": "false",
}
READY_RATINGS = (("2026", "Exceeds"), ("2025", "Meets"), ("2024", "Exceptional"))


def load(tmp_path: Path, text: str = PROMOTION) -> Rulebook:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "promotion.yaml").write_text(text, encoding="utf-8")
    return load_rules(folder)


def employee(ratings: tuple[tuple[str, str], ...] = READY_RATINGS, **cells: str) -> EmployeeInput:
    """Employee E1 (roster line 2) with READY_CELLS changed by ``cells``; ratings at lines 2…"""
    row = {"employee_id": "E1", **READY_CELLS, **cells}
    records = tuple(
        RatingRecord(cycle, rating, RowSource("ratings.csv", n, n + 1))
        for n, (cycle, rating) in enumerate(ratings, 1)
    )
    return EmployeeInput("E1", row, RowSource("roster.csv", 1, 2), ratings=records)


def evaluate(rulebook: Rulebook, emp: EmployeeInput) -> PolicyOutcome | Rejection:
    (item,) = list(calculate(rulebook, [emp]))
    if isinstance(item, Rejection):
        return item
    assert isinstance(item, EmployeeOutcome)
    (outcome,) = item.outcomes
    return outcome


def outcome_of(tmp_path: Path, emp: EmployeeInput, text: str = PROMOTION) -> PolicyOutcome:
    out = evaluate(load(tmp_path, text), emp)
    assert isinstance(out, PolicyOutcome), out
    return out


def failed(out: PolicyOutcome) -> dict[str, str]:
    """The failed criteria of an outcome: name → gap."""
    return {
        slot.name.removeprefix("criterion."): out.value(f"{slot.name}.gap")
        for slot in out.policy.slots
        if slot.kind == "criterion" and out.value(slot.name) is False
    }


# -- each criterion ------------------------------------------------------------------------------


def test_ready_employee_passes_every_criterion(tmp_path: Path) -> None:
    """READY: rating 2026 Exceeds = 4 ≥ 4; lowest of 4, 3, 5 is 3 ≥ 3; 2025-01-01 → 2026-12-31
    is 23 whole months ≥ 9; 2023-01-01 → 2026-12-31 is 47 months ≥ 18; level 3 < 8; no plan.
    So ready is True, gaps is empty, and every criterion slot is True."""
    out = outcome_of(tmp_path, employee())
    assert out.ready is True
    assert out.gaps == ""
    assert failed(out) == {}
    assert out.value("ready") is True
    assert out.value("months_in_level") == 23


def test_current_rating_below_threshold_fails_with_its_gap(tmp_path: Path) -> None:
    """Rating 2026 Meets = 3 < 4: rating_now fails with the gap "rating 3, needs 4" (the
    template's {rating_in('2026')} rendered as a plain number); the others still pass."""
    ratings = (("2026", "Meets"), ("2025", "Meets"), ("2024", "Meets"))
    out = outcome_of(tmp_path, employee(ratings))
    assert out.ready is False
    assert failed(out) == {"rating_now": "rating 3, needs 4"}
    assert out.gaps == "rating 3, needs 4"


def test_rating_in_each_of_last_three_cycles(tmp_path: Path) -> None:
    """lowest_rating(3) over 2026, 2025, 2024: with 4, 2, 5 the lowest is 2 < 3, so sustained
    fails with its reason (no gap template); the call records the value 2 and cycle 2025."""
    ratings = (("2026", "Exceeds"), ("2025", "Partially Meets"), ("2024", "Exceptional"))
    out = outcome_of(tmp_path, employee(ratings))
    assert failed(out) == {"sustained": "A rating below Meets in the last three cycles"}
    args, (value, cycle) = out.value("criterion.sustained: lowest_rating(3)")
    assert (args, value, cycle) == ((Decimal(3),), Decimal(2), "2025")


def test_time_in_level_gap_counts_the_months_still_needed(tmp_path: Path) -> None:
    """Level since 2026-05-01, as of 2026-12-31: months_between = 7 (May 1 → Dec 1 is 7 months,
    Dec 31 is before Jan 1), 7 < 9, so the gap is "needs 9 − 7 = 2 more months in level"."""
    out = outcome_of(tmp_path, employee(level_start_date="2026-05-01"))
    assert out.value("months_in_level") == 7
    assert failed(out) == {"time_in_level": "needs 2 more months in level"}


def test_time_since_last_promotion_on_the_boundary(tmp_path: Path) -> None:
    """Promoted 2025-06-30: to 2026-12-31 is 18 whole months (June 30 → Dec 30, and Dec 31
    is later in the month), 18 ≥ 18 passes. Promoted 2025-07-01: 17 months, fails."""
    assert failed(outcome_of(tmp_path, employee(last_promotion_date="2025-06-30"))) == {}
    out = outcome_of(tmp_path, employee(last_promotion_date="2025-07-01"))
    assert failed(out) == {"since_promotion": "Promoted less than 18 months ago"}


def test_top_of_the_ladder_and_open_plan_both_fail_no_short_circuit(tmp_path: Path) -> None:
    """Level 8 (not < top_level 8) and on_pip true: both criteria are evaluated and fail, and
    gaps joins their reasons in criteria order with "; "."""
    out = outcome_of(tmp_path, employee(level="8", on_pip="true"))
    assert failed(out) == {
        "not_top": "At the top of the ladder",
        "no_pip": "Open performance improvement plan",
    }
    assert out.gaps == "At the top of the ladder; Open performance improvement plan"


def test_top_of_the_ladder_from_a_table(tmp_path: Path) -> None:
    """The top level can come from a table by track: track IC tops out at 7, so level 7 is at
    the top (7 < 7 is false) and level 6 is not."""
    text = PROMOTION.replace(
        "  top_level: 8\n",
        "  top_level: 8\ntables:\n  top_by_track:\n"
        "    axes: [{name: track, match: exact, at: [IC, MGR]}]\n    values: [7, 9]\n",
    ).replace("  terminated:", "  track: {type: text}\n  terminated:")
    text = text.replace('rule: "level < top_level"', 'rule: "level < top_by_track(track)"')
    assert failed(outcome_of(tmp_path, employee(level="6", track="IC"), text)) == {}
    out = outcome_of(tmp_path, employee(level="7", track="IC"), text)
    assert failed(out) == {"not_top": "At the top of the ladder"}


# -- missing values ---------------------------------------------------------------------------------


def test_missing_history_fails_the_criterion_without_rejecting(tmp_path: Path) -> None:
    """Ratings only for 2026 and 2024: lowest_rating(3) needs 2025, so sustained fails with
    "no rating for cycle 2025"; the employee is computed (not rejected) and not ready."""
    ratings = (("2026", "Exceeds"), ("2024", "Exceeds"))
    out = outcome_of(tmp_path, employee(ratings))
    assert failed(out) == {"sustained": "no rating for cycle 2025"}
    assert out.ready is False
    assert out.gaps == "no rating for cycle 2025"


def test_no_ratings_at_all_fails_both_rating_criteria(tmp_path: Path) -> None:
    """No rating rows: rating_now fails with "no rating for cycle 2026" (the gap template is not
    rendered, its value is missing too) and sustained with the same message (2026 comes first)."""
    out = outcome_of(tmp_path, employee(()))
    assert failed(out) == {
        "rating_now": "no rating for cycle 2026",
        "sustained": "no rating for cycle 2026",
    }


def test_missing_optional_input_fails_the_criterion_naming_it(tmp_path: Path) -> None:
    """last_promotion_date empty: months_between cannot read it, so since_promotion fails with
    "no value for last_promotion_date"; with `missing: "never promoted"` it says that instead."""
    out = outcome_of(tmp_path, employee(last_promotion_date=""))
    assert failed(out) == {"since_promotion": "no value for last_promotion_date"}
    text = PROMOTION.replace(
        '    reason: "Promoted less than 18 months ago"\n',
        '    reason: "Promoted less than 18 months ago"\n    missing: "never promoted"\n',
    )
    out = outcome_of(tmp_path, employee(last_promotion_date=""), text)
    assert failed(out) == {"since_promotion": "never promoted"}


def test_missing_rating_outside_criteria_rejects_the_row(tmp_path: Path) -> None:
    """A step reading rating_in('2025') for an employee without a 2025 rating: the MissingValue
    is a RowError there, so the row is rejected naming the step and the cycle."""
    text = PROMOTION.replace("steps:\n", "steps:\n  last_year: \"rating_in('2025')\"\n")
    out = evaluate(load(tmp_path, text), employee((("2026", "Exceeds"),)))
    assert isinstance(out, Rejection)
    assert out.reason == "step 'last_year': no rating for cycle 2025"
    assert issubclass(MissingValue, RowError)


def test_rating_in_accepts_a_cycle_expression_and_ratings_count(tmp_path: Path) -> None:
    """rating_in(prior_cycle) with the text input prior_cycle = 2025 reads the 2025 rating (3);
    ratings_count() counts the declared cycles with a rating: 2026 and 2025 → 2."""
    text = PROMOTION.replace("  terminated:", "  prior_cycle: {type: text}\n  terminated:").replace(
        "steps:\n",
        'steps:\n  prior: "rating_in(prior_cycle)"\n  rated: {formula: "ratings_count()", '
        "type: integer}\n",
    )
    ratings = (("2026", "Exceeds"), ("2025", "Meets"))
    out = evaluate(load(tmp_path, text), employee(ratings, prior_cycle="2025"))
    assert isinstance(out, PolicyOutcome)
    assert out.value("prior") == Decimal(3)
    assert out.value("rated") == 2


def test_ineligible_employee_is_not_ready_with_the_eligibility_reason(tmp_path: Path) -> None:
    """terminated: the eligibility rule fails, criteria are not evaluated (their slots None),
    ready is False and gaps is the eligibility reason."""
    out = outcome_of(tmp_path, employee(terminated="true"))
    assert out.eligible is False
    assert out.ready is False
    assert out.gaps == "Not an active employee"
    assert out.value("criterion.rating_now") is None
    assert out.value("ready") is False


def test_policy_without_criteria_has_no_readiness(tmp_path: Path) -> None:
    """A policy with no criteria: ready is None and gaps empty."""
    text = PROMOTION.split("criteria:\n")[0]
    out = outcome_of(tmp_path, employee())
    assert out.ready is True
    plain = outcome_of(tmp_path, employee(), text)
    assert (plain.ready, plain.gaps) == (None, "")


# -- files: unknown ratings, orphans, results.csv, explain -----------------------------------------


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def run_folder(tmp_path: Path, ratings: list[list[str]], text: str = PROMOTION) -> Path:
    load(tmp_path, text)
    header = ["employee_id", *READY_CELLS]
    roster = write_csv(
        tmp_path / "roster.csv",
        [header, ["E1", *READY_CELLS.values()], ["E2", *READY_CELLS.values()]],
    )
    rating_file = write_csv(
        tmp_path / "ratings.csv", [["employee_id", "cycle", "rating"], *ratings]
    )
    out = tmp_path / "out"
    run_job(RunRequest(rules=tmp_path / "rules", employees=roster, out=out, ratings=rating_file))
    return out


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_unknown_rating_label_rejects_the_employee_naming_the_line(tmp_path: Path) -> None:
    """E2's 2025 rating "Stellar" (ratings.csv line 4) is not on the scale: E2 is rejected with
    the file line and the scale's labels; E1 is computed and ready."""
    ratings = [
        ["E1", "2026", "Exceeds"],
        ["E1", "2025", "Meets"],
        ["E2", "2025", "Stellar"],
        ["E1", "2024", "Meets"],
    ]
    out = run_folder(tmp_path, ratings)
    (rejected,) = read(out / "rejected.csv")
    assert rejected["employee_id"] == "E2"
    assert rejected["column"] == "rating"
    assert rejected["value"] == "Stellar"
    where = f"{tmp_path / 'ratings.csv'} line 4"
    assert rejected["reason"].startswith(
        f"{where}: unknown rating 'Stellar' on scale 'performance'"
    )
    (result,) = read(out / "results.csv")
    assert (result["employee_id"], result["ready"], result["gaps"]) == ("E1", "true", "")


def test_ratings_of_unknown_employees_end_in_unmatched_csv(tmp_path: Path) -> None:
    """A rating row for E9 (not in the roster, ratings.csv line 3) is unmatched: a line of
    unmatched.csv with why, not a rejection; E1 and E2 are computed (E2 has no ratings: not
    ready, with "no rating for cycle 2026" twice in its gaps)."""
    ratings = [["E1", "2026", "Exceeds"], ["E9", "2026", "Meets"]]
    out = run_folder(tmp_path, ratings)
    assert read(out / "rejected.csv") == []
    (orphan,) = read(out / "unmatched.csv")
    assert (Path(orphan["file"]).name, orphan["line"], orphan["employee_id"]) == (
        "ratings.csv",
        "3",
        "E9",
    )
    assert orphan["why"] == "rating for an employee_id that is not in the roster"
    results = {row["employee_id"]: row for row in read(out / "results.csv")}
    assert results["E2"]["ready"] == "false"
    assert results["E2"]["gaps"] == "no rating for cycle 2026; no rating for cycle 2026"
    assert results["E1"]["gaps"] == "no rating for cycle 2025"


def test_results_csv_has_ready_and_gaps_only_with_criteria(tmp_path: Path) -> None:
    """With criteria, results.csv ends in the columns ready and gaps; without, the layout is the
    fixed columns alone (no ready, no gaps)."""
    out = run_folder(tmp_path, [["E1", "2026", "Exceeds"]])
    header = (out / "results.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(",notes,ready,gaps")
    plain = tmp_path / "plain"
    plain.mkdir()
    out = run_folder(plain, [["E1", "2026", "Exceeds"]], PROMOTION.split("criteria:\n")[0])
    header = (out / "results.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "employee_id,policy,kind,currency,eligible,zero_reason,notes"


def test_breakdown_records_the_rating_calls_and_explain_shows_readiness(tmp_path: Path) -> None:
    """E1 rated Meets in 2026: breakdown.csv records the call rating_in('2026') = 3 (matched
    label Meets); explain shows rating_now FAIL with its rule, values "3 ≥ 4" and the gap, the
    other criteria PASS, and "ready: no"."""
    ratings = [["E1", "2026", "Meets"], ["E1", "2025", "Meets"], ["E1", "2024", "Meets"]]
    out = run_folder(tmp_path, ratings)
    row = next(r for r in breakdown_rows(out) if r["employee_id"] == "E1")
    assert row["criterion.rating_now: rating_in('2026')"] == "3"
    assert row["criterion.rating_now: rating_in('2026') [match]"] == "Meets"
    assert row["criterion.rating_now.gap"] == "rating 3, needs 4"
    text = explain_employee(out, "E1").text()
    block = text.split("Promotion readiness\n", 1)[1]
    assert "rating_now: FAIL — rating_in('2026') ≥ 4  (here: 3 ≥ 4)" in block
    assert "    gap: rating 3, needs 4" in block
    assert "time_in_level: PASS — months_in_level ≥ 9  (here: 23 ≥ 9)" in block
    assert "  ready: no" in block


# -- property ------------------------------------------------------------------------------------------

LABELS = ("Does Not Meet", "Partially Meets", "Meets", "Exceeds", "Exceptional")


def generated_policy(rating_at_least: int, months: int, cycles: int) -> str:
    """Readiness on the current rating, the lowest of ``cycles`` cycles and time in level."""
    return HEADER + textwrap.dedent(
        f"""\
            criteria:
              - {{name: now, rule: "rating_in('2026') >= {rating_at_least}", reason: low}}
              - {{name: history, rule: "lowest_rating({cycles}) >= {rating_at_least - 1}",
                  reason: history}}
              - name: tenure
                rule: "months_between(level_start_date, as_of) >= {months}"
                reason: tenure
            """
    )


def ready(rulebook: Rulebook, current: int, start: datetime.date, past: Mapping[str, int]) -> bool:
    ratings = (("2026", LABELS[current - 1]), *((c, LABELS[r - 1]) for c, r in past.items()))
    out = evaluate(rulebook, employee(ratings, level_start_date=start.isoformat()))
    assert isinstance(out, PolicyOutcome)
    assert out.ready is not None
    return out.ready


@settings(max_examples=40, deadline=None)
@given(
    threshold=st.integers(2, 5),
    months=st.integers(0, 36),
    cycles=st.integers(1, 3),
    current=st.integers(1, 4),
    raise_by=st.integers(1, 4),
    past=st.fixed_dictionaries({"2025": st.integers(1, 5), "2024": st.integers(1, 5)}),
    start=st.dates(datetime.date(2022, 1, 1), datetime.date(2026, 12, 31)),
    earlier_by=st.integers(1, 800),
)
def test_readiness_is_monotone_in_rating_and_tenure(
    threshold: int,
    months: int,
    cycles: int,
    current: int,
    raise_by: int,
    past: dict[str, int],
    start: datetime.date,
    earlier_by: int,
) -> None:
    """On a generated policy (current rating ≥ t, lowest of n cycles ≥ t − 1, months in level
    ≥ m): raising the current rating, or moving level_start_date earlier, never turns a ready
    employee into one who is not ready."""
    with tempfile.TemporaryDirectory() as folder:
        rulebook = load(Path(folder), generated_policy(threshold, months, cycles))
        before = ready(rulebook, current, start, past)
        higher = ready(rulebook, min(5, current + raise_by), start, past)
        earlier = ready(rulebook, current, start - datetime.timedelta(days=earlier_by), past)
    if before:
        assert higher and earlier


def test_a_second_rating_for_a_cycle_rejects_naming_both_lines(tmp_path: Path) -> None:
    """Two ratings for cycle 2025 (ratings.csv lines 3 and 5, an empty rating between them on
    line 4 not counting): the row is rejected at the second, naming where the first is; a bad
    rating label is rejected naming its line."""
    twice = (("2026", "Exceeds"), ("2025", "Meets"), ("2025", ""), ("2025", "Exceeds"))
    out = evaluate(load(tmp_path), employee(twice))
    assert isinstance(out, Rejection)
    assert out.column == "cycle"
    assert (
        "ratings.csv line 5: a second rating for cycle 2025 (the first is at ratings.csv line 3)"
        in out.reason
    )
    bad = evaluate(load(tmp_path), employee((("2026", "Superb"),)))
    assert isinstance(bad, Rejection)
    assert bad.column == "rating" and "ratings.csv line 2: " in bad.reason
