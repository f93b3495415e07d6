"""The summary by group (`reports/by_group.py`): per policy, group and currency, figures a
compensation lead checks by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incentives.errors import OptionsError
from incentives.reports.by_group import Fact, fact_from_values, summarize_by_group


def _bonus(eid: str, unit: str, paid: str, target: str, *, eligible: bool = True,
           currency: str = "USD", rating: str = "3 Meets") -> Fact:  # fmt: skip
    return fact_from_values(
        employee_id=eid,
        policy="bonus-1",
        kind="bonus",
        currency=currency,
        eligible=eligible,
        values={"target_bonus": target if eligible else ""},
        pay={"AIP": D(paid)},
        dims={"unit": unit, "rating": rating},
    )


def _table_dicts(table: object) -> list[dict[str, str]]:
    return [dict(zip(table.header, row, strict=True)) for row in table.text_rows()]  # type: ignore[attr-defined]


def test_bonus_figures_per_unit_match_a_hand_computation() -> None:
    """Sales: 3 employees, 2 eligible, paid 1,000 + 3,000 on targets 1,000 and 2,000 (100 %,
    150 %): total 4,000.00, average 125 %, median 125 %; the ineligible one counts in the
    headcount only. Finance: one employee paid 500 on 1,000: 50 %."""
    facts = [
        _bonus("1", "Sales", "1000.00", "1000.00"),
        _bonus("2", "Sales", "3000.00", "2000.00"),
        _bonus("3", "Sales", "0.00", "900.00", eligible=False),
        _bonus("4", "Finance", "500.00", "1000.00"),
    ]
    rows = _table_dicts(summarize_by_group(facts, ["unit"]))
    assert [
        (r["unit"], r["headcount"], r["eligible"], r["total"], r["total AIP"]) for r in rows
    ] == [
        ("Finance", "1", "1", "500.00", "500.00"),
        ("Sales", "3", "2", "4000.00", "4000.00"),
    ]
    sales = rows[1]
    assert sales["payout_pct_of_target_avg"] == "1.250000"
    assert sales["payout_pct_of_target_median"] == "1.250000"
    assert rows[0]["payout_pct_of_target_median"] == "0.500000"
    assert sales["eligible_payroll"] == "" and sales["ready"] == ""  # no merit, no promotion


def test_currencies_are_never_added_without_rates_and_are_with_a_converter() -> None:
    """A unit paid in USD and EUR gives a row per currency; with a converter (EUR × 1.10 into
    USD) it is one row in the reporting currency."""
    facts = [
        _bonus("1", "Sales", "100.00", "100.00"),
        _bonus("2", "Sales", "200.00", "100.00", currency="EUR"),
    ]
    rows = _table_dicts(summarize_by_group(facts, ["unit"]))
    assert [(r["currency"], r["total"]) for r in rows] == [("EUR", "200.00"), ("USD", "100.00")]

    def to_usd(amount: D, fact: Fact) -> D:
        return amount * D("1.10") if fact.currency == "EUR" else amount

    rows = _table_dicts(summarize_by_group(facts, ["unit"], report_currency="USD", convert=to_usd))
    assert [(r["currency"], r["headcount"], r["total"]) for r in rows] == [("USD", "2", "320.00")]
    assert rows[0]["payout_pct_of_target_avg"] == "1.500000"  # 100 % and 200 %, currency-free


def test_merit_spend_costs_and_compa_ratios_match_a_hand_computation() -> None:
    """Salary 50,000 at FTE 0.5 raised to 52,000 from 1 April 2027 (275 of 365 days left), lump
    sum 300, midpoint 50,000 → 52,500 after a promotion: payroll 25,000, annualised cost
    1,000 + 300 = 1,300 (5.2 % of payroll), in-year 1,000 × 275/365 + 300 = 1,053.42,
    compa-ratio 1.00 before and 52,000 / 52,500 = 0.990476 after."""
    fact = fact_from_values(
        employee_id="7",
        policy="merit-1",
        kind="merit",
        currency="USD",
        eligible=True,
        values={
            "current_salary": "50000.00",
            "new_salary": D("52000"),
            "fte": "0.5",
            "lump_sum_payment": "300.00",
            "effective_date": datetime.date(2027, 4, 1),
            "compa_ratio": "1",
            "new_range_midpoint": "52500",
            "range_midpoint": "50000",
        },
        pay={"MERIT": D("2000.00"), "LUMP": D("300.00")},
        dims={"unit": "Ops"},
    )
    (row,) = _table_dicts(summarize_by_group([fact], ["unit"]))
    assert row["eligible_payroll"] == "25000.00"
    assert row["annualised_cost"] == "1300.00"
    assert row["spend_pct_of_payroll"] == "0.052000"
    assert row["in_year_cost"] == "1053.42"
    assert row["compa_ratio_before_avg"] == "1.000000"
    assert row["compa_ratio_after_avg"] == "0.990476"
    assert row["payout_pct_of_target_avg"] == ""  # not a bonus


def test_promotion_counts_the_employees_ready() -> None:
    """Two of three employees ready: ready 2; a promotion policy pays nothing, total is empty."""
    facts = [
        fact_from_values(
            employee_id=str(n),
            policy="promo",
            kind="promotion",
            currency="USD",
            eligible=True,
            values={"ready": ready},
            pay={},
            dims={"unit": "A"},
        )
        for n, ready in enumerate(["true", "false", True])
    ]
    (row,) = _table_dicts(summarize_by_group(facts, ["unit"]))
    assert (row["headcount"], row["ready"], row["total"]) == ("3", "2", "")


def test_groups_sort_numbers_as_numbers_and_ratings_by_their_value() -> None:
    """Levels 2 before 10; ratings '3 Meets' before '4 Exceeds' before '5 Exceptional'."""
    facts = [
        _bonus("1", "10", "1.00", "1.00", rating="5 Exceptional"),
        _bonus("2", "2", "1.00", "1.00", rating="4 Exceeds"),
        _bonus("3", "2", "1.00", "1.00", rating="3 Meets"),
    ]
    rows = _table_dicts(summarize_by_group(facts, ["unit", "rating"]))
    assert [(r["unit"], r["rating"]) for r in rows] == [
        ("2", "3 Meets"), ("2", "4 Exceeds"), ("10", "5 Exceptional"),
    ]  # fmt: skip


def test_an_unknown_dimension_is_an_error_with_a_suggestion() -> None:
    """`--by unti` names the field meant."""
    with pytest.raises(OptionsError, match="did you mean 'unit'"):
        summarize_by_group([_bonus("1", "Sales", "1.00", "1.00")], ["unti"])


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 10**7), st.booleans()),
        max_size=30,
    )
)
def test_group_totals_add_up_to_the_run_total(rows: list[tuple[str, int, bool]]) -> None:
    """Whatever the grouping, the groups' totals add up to the sum of every fact's pay, to the
    cent, and their headcounts to the number of employees."""
    facts = [
        _bonus(str(n), unit, str(D(cents).scaleb(-2)), "100.00", eligible=eligible)
        for n, (unit, cents, eligible) in enumerate(rows)
    ]
    table = summarize_by_group(facts, ["unit"])
    total = table.header.index("total")
    headcount = table.header.index("headcount")
    assert sum((r[total] for r in table.rows), D(0)) == sum((f.paid for f in facts), D(0))
    assert sum(r[headcount] for r in table.rows) == len(facts)  # type: ignore[misc]


def test_the_summary_is_pure() -> None:
    """`by_group` reads no file and imports neither io, audit, the engine nor the CLI, so a
    simulation's in-memory outcomes can use it as a run folder's report does."""
    import ast
    from pathlib import Path

    import incentives.reports.by_group as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert {m for m in imported if m.startswith("incentives")} <= {
        "incentives.errors",
        "incentives.money",
    }
