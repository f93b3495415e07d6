"""`simulate`: a baseline and scenarios over one roster (issue 10 §2): each scenario's totals
are its own run's, a scenario that changes nothing changes nothing, the distribution and the
summary say what a person computing by hand would."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES, sample_roster
from engine_helpers import employees, load, policy_yaml
from incentives import calculate, load_rules, read_rates
from incentives.errors import OptionsError
from incentives.jobs import RunRequest
from incentives.model import EmployeeInput
from incentives.rulebook.rulebook import Rulebook
from incentives.simulation import Variant, simulate
from incentives.simulation.facts import EmployeeFacts
from incentives.simulation.job import SimulateRequest, simulate_job
from incentives.simulation.tables import percentile
from strategies import decimals

BONUS = "annual-bonus-2026"
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

SMALL = policy_yaml(
    """
    parameters:
      company_factor: 100%
    steps:
      target_bonus: {formula: "salary * 10%", type: money}
      bonus_amount: {formula: "target_bonus * factor * company_factor", type: money}
    pay:
      - {name: bonus, step: bonus_amount, pay_code: AIP, round: {step: minor_unit, mode: half_up}}
    """,
    inputs="""
    salary: {type: decimal}
    factor: {type: percent}
    unit: {type: text}
    """,
)
# targets 1,000 each; payouts 0 %, 50 %, 80 %, 100 %, 100 %, 120 %, 150 % of target
FACTORS = ["0%", "50%", "80%", "100%", "100%", "120%", "150%"]


def _small_rows() -> list[dict[str, object]]:
    units = ["Sales", "Sales", "Ops", "Ops", "Sales", "Ops", "Sales"]
    return [
        {"employee_id": f"E{i + 1}", "salary": "10000", "factor": f, "unit": u}
        for i, (f, u) in enumerate(zip(FACTORS, units, strict=True))
    ]


def _sample() -> tuple[Rulebook, Any]:
    rulebook = load_rules(RULES)
    return rulebook, sample_roster(rulebook)


def _scenarios(rulebook: Rulebook) -> list[Variant]:
    """One override of each kind: a parameter, a table cell, a curve point."""
    return [
        Variant("cap", "cap at 150 %", rulebook.with_overrides(BONUS, parameters={"max_multiple": "150%"})),
        Variant(
            "cells",
            "rating 4 at 130 %",
            rulebook.with_overrides(BONUS, table_values={"rating_multiplier": {(3,): "130%"}}),
        ),
        Variant(
            "curve",
            "goal curve",
            rulebook.with_overrides(BONUS, curve_points={"goal_payout": {-1: ("150%", "250%")}}),
        ),
    ]  # fmt: skip


@pytest.mark.parametrize("workers", [1, 2])
def test_each_scenario_totals_equal_a_full_run_of_its_rulebook(workers: int) -> None:
    """Per pay code, component and currency, to the cent, and the budgets' spend: a scenario
    evaluated beside the others totals what a run of its overridden rulebook alone totals,
    on one core and on both."""
    rulebook, roster = _sample()
    rates = read_rates(RATES)
    chosen = _scenarios(rulebook)
    sim = simulate(rulebook, roster, chosen, rates=rates, workers=workers, parallel_from=1)
    for k, book in enumerate([rulebook, *(s.rulebook for s in chosen)]):
        alone = calculate(book, roster, rates=rates)
        list(alone)
        assert sim.summaries[k].totals == alone.summary.totals
        assert (sim.summaries[k].computed, sim.summaries[k].rejected) == (
            alone.summary.computed,
            alone.summary.rejected,
        )
        assert sim.summaries[k].budgets == alone.summary.budgets
    assert sim.summaries[1].totals != sim.summaries[0].totals  # the cap moved money


def test_scenario_tally_reconciles_with_the_totals() -> None:
    """scenarios.csv's totals per pay code and currency add up the summary's components."""
    rulebook, roster = _sample()
    sim = simulate(rulebook, roster, _scenarios(rulebook), rates=read_rates(RATES))
    for k, summary in enumerate(sim.summaries):
        by_code: dict[tuple[str, str], Decimal] = {}
        for (currency, _component, code), amount in summary.totals.items():
            by_code[(code, currency)] = by_code.get((code, currency), Decimal(0)) + amount
        assert {key: entry[0] for key, entry in sim.tally.pay[k].items()} == by_code


def _folder(tmp_path: Path, scenarios: list[Variant], baseline: Rulebook, **kw: Any) -> Path:
    out = tmp_path / "sim"
    run = RunRequest(
        rules=RULES, employees=EMPLOYEES, ratings=RATINGS, history=HISTORY, rates=RATES,
        out=out, workers=kw.pop("workers", None), parallel_from=kw.pop("parallel_from", 20_000),
    )  # fmt: skip
    simulate_job(SimulateRequest(run, scenarios=scenarios, baseline=baseline, **kw))
    return out


def test_a_scenario_that_changes_nothing_has_no_changes_and_zero_deltas(tmp_path: Path) -> None:
    """A parameter set to the value the policy has: changes.csv holds its header only, and
    every change in scenarios.csv is zero."""
    rulebook = load_rules(RULES)
    same = Variant("same", "", rulebook.with_overrides(BONUS, parameters={"max_multiple": "2"}))
    out = _folder(tmp_path, [same], rulebook, by=("unit",), report_currency="USD")
    lines = (out / "changes.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["employee_id,policy,component,pay_code,currency,baseline,same,same_delta"]
    rows = (out / "scenarios.csv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    mine = [dict(zip(header, r.split(","), strict=False)) for r in rows[1:] if r.startswith("same,")]
    assert mine and all(Decimal(r["change"]) == 0 for r in mine)
    assert all(r["changed"] in ("0", "") for r in mine)
    assert "same changes 0 of" in (out / "summary.md").read_text(encoding="utf-8")


def test_the_folder_is_the_same_on_one_core_and_both(tmp_path: Path) -> None:
    """Every file, byte for byte, whether the roster is shared between two workers or not."""
    rulebook = load_rules(RULES)
    chosen = _scenarios(rulebook)
    one = _folder(tmp_path / "1", chosen, rulebook, by=("unit",), report_currency="USD", workers=1)
    two = _folder(
        tmp_path / "2", chosen, rulebook, by=("unit",), report_currency="USD",
        workers=2, parallel_from=1,
    )  # fmt: skip
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in two.iterdir())
    assert {"scenarios.csv", "distribution.csv", "changes.csv", "summary.md", "manifest.json"} <= set(names)
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_manifest_says_what_if_and_hashes_each_scenario(tmp_path: Path) -> None:
    """The manifest cannot be taken for the real cycle, and each scenario's rulebook is
    identified by a hash that differs from the baseline's."""
    import json

    rulebook = load_rules(RULES)
    out = _folder(tmp_path, _scenarios(rulebook)[:1], rulebook)
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["what_if"] is True
    (cap,) = data["scenarios"]
    assert cap["name"] == "cap" and cap["overrides"] == {BONUS: ["max_multiple=150%"]}
    assert len(cap["sha256"]) == 64 and cap["sha256"] != data["baseline_sha256"]


def test_distribution_percentiles_by_hand(tmp_path: Path) -> None:
    """Seven employees at 0, 50, 80, 100, 100, 120 and 150 % of target: nearest rank gives
    p10 = 0 (rank 1), p25 = 50 (rank 2), median = 100 (rank 4), p75 = 120 (rank 6), p90 = 150
    (rank 7); a company factor of 120 % scales each by 1.2."""
    rulebook = load(tmp_path, SMALL)
    up = Variant("S1", "company factor 120 %", rulebook.with_overrides("test-policy", parameters={"company_factor": "120%"}))  # fmt: skip
    sim = simulate(rulebook, employees(_small_rows()), [up])
    base = sim.tally.pct[0]["test-policy"]
    stats = [percentile(base, p) for p in (0, 10, 25, 50, 75, 90, 100)]
    assert stats == [Decimal(v) for v in ("0", "0", "50", "100", "120", "150", "150")]
    scaled = [percentile(sim.tally.pct[1]["test-policy"], p) for p in (25, 50, 90)]
    assert scaled == [Decimal("60"), Decimal("120"), Decimal("180")]
    assert percentile(Counter({Decimal(5): 1}), 50) == Decimal(5)


def test_summary_in_words_on_a_small_case(tmp_path: Path) -> None:
    """A company factor of 120 % on seven targets of 1,000: six payouts change, the total goes
    from 6,000 to 7,200 (+20.0 %), the largest increase is E7's +300.00 (Sales)."""
    from incentives.simulation.summary_text import summary_markdown

    rulebook = load(tmp_path, SMALL)
    up = Variant("S1", "company factor 120 %", rulebook.with_overrides("test-policy", parameters={"company_factor": "120%"}))  # fmt: skip
    sim = simulate(rulebook, employees(_small_rows()), [up], group="unit")
    text = summary_markdown(sim)
    assert (
        "- S1 (company factor 120 %) changes 6 of 6 payouts; total +1,200.00 USD (+20.0 %); "
        "largest increase +300.00 USD (E7, Sales)." in text
    )
    assert "Baseline: 7 of 7 employees computed, 0 rejected." in text


def test_changes_hold_one_row_per_changed_payout(tmp_path: Path) -> None:
    """Baseline, the scenario and the delta, for each employee whose payout changes."""
    rulebook = load(tmp_path, SMALL)
    up = Variant("S1", "", rulebook.with_overrides("test-policy", parameters={"company_factor": "110%"}))  # fmt: skip
    sim = simulate(rulebook, employees(_small_rows()), [up])
    assert sim.tally.lines[0] == "E2,test-policy,bonus,AIP,USD,500.00,550.00,50.00\n"
    assert len(sim.tally.lines) == 6  # E1 is paid nothing either way


def test_scenario_names_must_differ() -> None:
    """Two scenarios of one name (or one called 'baseline') would share a column."""
    rulebook, roster = _sample()
    twice = [Variant("baseline", "", rulebook)]
    with pytest.raises(OptionsError, match="used twice"):
        simulate(rulebook, roster, twice)


def test_a_rulebook_that_reads_the_roster_otherwise_is_refused(tmp_path: Path) -> None:
    """A scenario is the baseline with overrides: another set of policies cannot share the
    baseline's conversion, and says so."""
    rulebook = load(tmp_path, SMALL)
    other = load(tmp_path, SMALL.replace("unit: {type: text}", "unit: {type: text}\n  grade: {type: text, required: false}"))  # fmt: skip
    with pytest.raises(OptionsError, match="read the roster alike"):
        simulate(rulebook, employees(_small_rows()), [Variant("S1", "", other)])


class _RaisedSalaries:
    """A roster whose Sales rows earn 10 % more (as a scenario changing inputs wraps one):
    each other row is passed on as the very object."""

    def __init__(self, roster: Any) -> None:
        self.roster = roster

    @property
    def text_cells(self) -> bool:
        return bool(self.roster.text_cells)

    @property
    def record_count(self) -> int:
        return int(self.roster.record_count)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.part())

    def part(self, start: int = 0, stop: int | None = None, **kw: Any) -> Iterable[Any]:
        return (self._change(row) for row in self.roster.part(start, stop, **kw))

    @staticmethod
    def _change(row: Any) -> Any:
        if not isinstance(row, EmployeeInput) or row.cells.get("unit") != "Sales":
            return row
        salary = Decimal(str(row.cells["base_salary"])) * Decimal("1.1")
        return attrs.evolve(row, cells={**row.cells, "base_salary": f"{salary:.2f}"})

    def keyed_counts(self) -> Any:
        return self.roster.keyed_counts()

    def orphans(self) -> Any:
        return self.roster.orphans()

    def unmatched(self) -> Any:
        return self.roster.unmatched()


@attrs.frozen
class _InputScenario:
    name: str
    title: str
    rulebook: Rulebook

    def wrap_roster(self, roster: Any) -> Any:
        return _RaisedSalaries(roster)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_scenario_changing_inputs_totals_its_own_run(workers: int) -> None:
    """Sales salaries +10 % through the scenario's wrapper, beside an override: each totals
    what a run over the wrapped roster (or with the overridden rulebook) totals alone, the
    pools re-solved with the changed rows; the roster is still read once per pass."""
    rulebook, roster = _sample()
    rates = read_rates(RATES)
    raised = _InputScenario("sales", "Sales +10 %", rulebook)
    chosen = [raised, *_scenarios(rulebook)[:1]]
    sim = simulate(rulebook, roster, chosen, rates=rates, workers=workers, parallel_from=1)
    alone = calculate(rulebook, _RaisedSalaries(roster), rates=rates)  # type: ignore[arg-type]
    list(alone)
    assert sim.summaries[1].totals == alone.summary.totals
    assert sim.summaries[1].budgets == alone.summary.budgets
    assert sim.summaries[1].totals != sim.summaries[0].totals
    capped = calculate(chosen[1].rulebook, roster, rates=rates)
    list(capped)
    assert sim.summaries[2].totals == capped.summary.totals


class _PaidByUnit:
    """A per-share taker of the employees' facts: the baseline's pay by unit."""

    def __init__(self, share: int) -> None:
        self.share = share
        self.by_unit: dict[str, Decimal] = {}

    def take(self, facts: EmployeeFacts) -> None:
        unit = str(facts.cells.get("unit"))
        for _code, _currency, amount in (facts.pay[0] or {}).values():
            self.by_unit[unit] = self.by_unit.get(unit, Decimal(0)) + amount


@pytest.mark.parametrize("workers", [1, 2])
def test_each_employees_facts_reach_a_taker_of_each_share(tmp_path: Path, workers: int) -> None:
    """What a summary by group needs: each employee's pay under every calculation, with the
    roster's cells; the takers of all shares together see every employee once."""
    rulebook = load(tmp_path, SMALL)
    up = Variant("S1", "", rulebook.with_overrides("test-policy", parameters={"company_factor": "110%"}))  # fmt: skip
    sim = simulate(
        rulebook, employees(_small_rows()), [up], workers=workers, parallel_from=1,
        also=[_PaidByUnit],
    )  # fmt: skip
    (takers,) = sim.takers
    assert [t.share for t in takers] == list(range(workers))  # type: ignore[attr-defined]
    merged: dict[str, Decimal] = {}
    for taker in takers:
        for unit, amount in taker.by_unit.items():  # type: ignore[attr-defined]
            merged[unit] = merged.get(unit, Decimal(0)) + amount
    assert merged == {"Sales": Decimal("3000.00"), "Ops": Decimal("3000.00")}


@FAST
@given(factor=decimals("0", "3", 2))
def test_a_higher_factor_never_lowers_the_total(tmp_path_factory: Any, factor: Decimal) -> None:
    """A monotone policy (payout = target × factor × company factor): overriding the company
    factor moves the total in the same direction as the factor, and by the factor's share."""
    rulebook = load(tmp_path_factory.mktemp("mono"), SMALL)
    variant = Variant("S1", "", rulebook.with_overrides("test-policy", parameters={"company_factor": factor}))  # fmt: skip
    sim = simulate(rulebook, employees(_small_rows()), [variant])
    before = sim.tally.pay[0][("AIP", "USD")][0]
    after = sim.tally.pay[1][("AIP", "USD")][0]
    assert (after > before) == (factor > 1) and (after < before) == (factor < 1)
    assert after == sum(
        ((Decimal(1000) * Decimal(f.rstrip("%")) / 100 * factor).quantize(Decimal("0.01"), "ROUND_HALF_UP") for f in FACTORS),
        Decimal(0),
    )  # fmt: skip


def test_the_tally_counts_alike_whether_it_compares_by_policy_or_by_employee() -> None:
    """The tally compares only the policies a scenario changed when every calculation
    computed the employee under the same policies; with a facts taker it compares each
    employee whole: both count, total and list the same."""
    rulebook, roster = _sample()
    rates = read_rates(RATES)
    chosen = _scenarios(rulebook)
    quick = simulate(rulebook, roster, chosen, rates=rates).tally
    whole = simulate(rulebook, roster, chosen, rates=rates, also=[_PaidByUnit]).tally
    assert quick.pay == whole.pay
    assert (quick.payouts, quick.payouts_changed) == (whole.payouts, whole.payouts_changed)
    assert quick.pct == whole.pct and quick.largest == whole.largest
    assert quick.lines == whole.lines and quick.changed_rows == whole.changed_rows


def test_a_reporting_currency_without_its_rate_is_an_error_naming_it() -> None:
    """Reporting in a currency the rates file has no rate into is an error naming the missing
    rate, as the rates file would need it."""
    rulebook, roster = _sample()
    with pytest.raises(OptionsError, match=r"--report-currency JPY: no average rate EUR→JPY on 2026-12-31"):
        simulate(rulebook, roster, [], report_currency="JPY", rates=read_rates(RATES))
