"""by_group.csv of a simulation (issue 10 §2): per scenario and group of the --by dimensions,
the summary by group `incentives report` writes (one aggregation, `reports.by_group`); checked
by hand on a small case and against the report of `run --scenario` on the sample."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import EMPLOYEES, FIXTURES, HISTORY, RATES, RATINGS, RULES, CliRun
from engine_helpers import employees, load
from incentives.simulation import Variant, simulate
from incentives.simulation.groups import GroupFacts, by_group_rows, policy_reads
from test_simulate import SMALL, _small_rows

INPUTS = ("--rules", RULES, "--employees", EMPLOYEES, "--rates", RATES, "--ratings", RATINGS,
          "--history", HISTORY)  # fmt: skip
STRONGER = FIXTURES / "scenarios" / "sales_stronger.yaml"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.parametrize("workers", [1, 2])
def test_by_unit_on_a_small_case_by_hand(tmp_path: Path, workers: int) -> None:
    """Targets of 1,000; Sales pays 0 %, 50 %, 100 %, 150 % of target (total 3,000, average
    and median 75 %), Ops 80 %, 100 %, 120 % (3,000, 100 %, 100 %); a company factor of 110 %
    makes it 3,300 each, Sales 82.5 %, Ops 110 %. On one core or both, in roster order."""
    rulebook = load(tmp_path, SMALL)
    up = Variant("S1", "", rulebook.with_overrides("test-policy", parameters={"company_factor": "110%"}))  # fmt: skip
    reads = policy_reads(rulebook, ("unit",))

    def make(share: int) -> GroupFacts:
        return GroupFacts(("unit",), reads, 2)

    sim = simulate(rulebook, employees(_small_rows()), [up], also=[make], workers=workers,
                   parallel_from=1)  # fmt: skip
    takers = [t for t in sim.takers[0] if isinstance(t, GroupFacts)]
    header, rows = by_group_rows(sim.names, takers, rulebook, ("unit",))
    got = [dict(zip(header, row, strict=True)) for row in rows]
    wanted = [
        ("baseline", "Ops", "3000.00", "1.000000", "1.000000"),
        ("baseline", "Sales", "3000.00", "0.750000", "0.750000"),
        ("S1", "Ops", "3300.00", "1.100000", "1.100000"),
        ("S1", "Sales", "3300.00", "0.825000", "0.825000"),
    ]
    assert [
        (r["scenario"], r["unit"], r["total"], r["payout_pct_of_target_avg"],
         r["payout_pct_of_target_median"]) for r in got
    ] == wanted  # fmt: skip
    assert [(r["headcount"], r["eligible"], r["total AIP"]) for r in got[:2]] == [
        ("3", "3", "3000.00"),
        ("4", "4", "3000.00"),
    ]


def test_each_scenarios_rows_are_the_report_of_its_run(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """by_group.csv's rows of a scenario (ratings raised for Sales: people change groups) are
    the report.by_group.csv `incentives report --by unit,rating` writes for `run --scenario`
    of that scenario, converted to USD alike; the baseline's are those of a plain run."""
    by = "unit,rating"
    sim = cli("simulate", *INPUTS, "--scenario", STRONGER, "--by", by, "--report-currency",
              "USD", "--out", tmp_path / "sim")  # fmt: skip
    assert sim.exit_code == 0, sim.output
    mine = _rows(tmp_path / "sim" / "by_group.csv")
    for name, extra in (("baseline", ()), ("sales_stronger", ("--scenario", STRONGER))):
        run = cli("run", *INPUTS, "--out", tmp_path / name, *extra)
        assert run.exit_code == 0, run.output
        book = tmp_path / f"{name}-report" / "report.xlsx"
        book.parent.mkdir()
        report = cli("report", "--run", tmp_path / name, "--out", book, "--by", by,
                     "--report-currency", "USD", "--rates", RATES)  # fmt: skip
        assert report.exit_code == 0, report.output
        theirs = _rows(book.parent / "report.by_group.csv")
        ours = [{k: v for k, v in row.items() if k != "scenario"} for row in mine
                if row["scenario"] == name]  # fmt: skip
        assert len(ours) == len(theirs), name
        assert ours == theirs, name
    assert {r["scenario"] for r in mine} == {"baseline", "sales_stronger"}


def test_by_group_is_written_with_by_only(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    """Without --by there is no by_group.csv (and the manifest says which files were written);
    a step may be a dimension too."""
    plain = cli("simulate", *INPUTS, "--scenario", STRONGER, "--out", tmp_path / "a")
    assert plain.exit_code == 0, plain.output
    assert not (tmp_path / "a" / "by_group.csv").exists()
    by_step = cli("simulate", *INPUTS, "--scenario", STRONGER, "--by", "rating_factor",
                  "--out", tmp_path / "b")  # fmt: skip
    assert by_step.exit_code == 0, by_step.output
    rows = _rows(tmp_path / "b" / "by_group.csv")
    assert {r["rating_factor"] for r in rows if r["policy"] == "annual-bonus-2026"} >= {"1.20", "1.50"}
