"""Coverage: employees no policy of a kind covers, and keyed-file rows for unknown employees.

Neither is a fault of the data. An employee outside every population (a bonus plan run on a full
HR extract) is counted as not covered and listed in not_covered.csv with the population conditions
that left them out; a row of the goals, ratings or history file for an employee who is not in
the roster is counted and listed in unmatched.csv, with one warning. Both exit 0; the counts
reconcile (read = computed + rejected + not covered; rows read = matched + unmatched + rejected).
`--require-coverage` makes an uncovered employee a rejection (exit 3), as before.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES, CliRun
from engine_helpers import employees, load, policy_yaml
from incentives.engine.calculate import EmployeeOutcome, NotCovered, calculate
from incentives.io import open_roster, read_rates
from incentives.jobs import RunRequest, required_columns, run_job
from incentives.model import KeyedCounts, Rejection
from incentives.parallel import can_fork
from incentives.rulebook.rulebook import Rulebook, load_rules
from strategies import coverage_rows

Cli = Callable[..., CliRun]
# sample employees moved to a plan no sample policy covers (every policy's population is
# plan == 'AIP'): an LTI-only executive and two employees of a sales incentive plan
MOVED = {"00003": "LTI", "00010": "SIP", "00027": "SIP"}
RUN = (sys.executable, "-m", "incentives", "run")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def first_rows(tmp_path: Path, count: int) -> Path:
    """The header and the first ``count`` employees of the sample roster."""
    lines = EMPLOYEES.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / f"first_{count}.csv"
    path.write_text("".join(lines[: count + 1]), encoding="utf-8")
    return path


def mixed_roster(tmp_path: Path) -> Path:
    """The sample roster with the employees of `MOVED` in another plan."""
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    plan = rows[0].index("plan")
    for row in rows[1:]:
        row[plan] = MOVED.get(row[0], row[plan])
    path = tmp_path / "mixed.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    return path


def run_args(roster: Path, out: Path, *extra: str | Path) -> tuple[str | Path, ...]:
    return (
        "run",
        "--rules",
        RULES,
        "--employees",
        roster,
        "--rates",
        RATES,
        "--ratings",
        RATINGS,
        "--history",
        HISTORY,
        "--out",
        out,
        *extra,
    )


def counts_of(out: Path) -> dict[str, object]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]


# -- rows of the keyed files for employees not in the roster --------------------------------------


def test_five_employees_with_the_full_ratings_file_exit_0(cli: Cli, tmp_path: Path) -> None:
    """Five sample employees with the sample's full ratings and history files: the 130 rating
    rows and 6 history rows of the other 47 employees are unmatched (one warning, unmatched.csv),
    not rejected: exit 0, rejected.csv empty, and each file's rows reconcile."""
    out = tmp_path / "out"
    run = cli(*run_args(first_rows(tmp_path, 5), out))
    assert run.exit_code == 0, run.output
    assert "employees read: 5  computed: 5  rejected: 0  not covered: 0" in run.stdout
    assert "ratings file rows read: 145  matched: 15  unmatched: 130  rejected: 0" in run.stdout
    assert "history file rows read: 8  matched: 2  unmatched: 6  rejected: 0" in run.stdout
    warnings = [line for line in run.stderr.splitlines() if "not in the roster" in line]
    assert warnings == [
        "warning: 136 row(s) of the history and ratings files for employees not in the roster: "
        f"see {out / 'unmatched.csv'}"
    ]
    assert read_csv(out / "rejected.csv") == []
    unmatched = read_csv(out / "unmatched.csv")
    assert len(unmatched) == 136
    assert unmatched[0] == {
        "file": str(RATINGS),
        "record": "16",
        "line": "17",
        "employee_id": "00006",
        "why": "rating for an employee_id that is not in the roster",
    }
    assert {r["employee_id"] for r in unmatched} >= {"00006", "00052"}
    assert not {r["employee_id"] for r in unmatched} & {"00001", "00002", "00003", "00004"}
    counts = counts_of(out)
    assert counts["unmatched_rows"] == 136
    assert counts["keyed_files"] == {
        "history": {"read": 8, "matched": 2, "unmatched": 6, "rejected": 0, "reconciles": True},
        "ratings": {
            "read": 145,
            "matched": 15,
            "unmatched": 130,
            "rejected": 0,
            "reconciles": True,
        },
    }
    assert counts["reconciles"] is True


def test_a_keyed_row_without_an_id_is_still_rejected(cli: Cli, tmp_path: Path) -> None:
    """A ratings row with a blank employee_id belongs to nobody: rejected (exit 3), counted as
    the ratings file's rejected row beside the unmatched ones."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(
        RATINGS.read_text(encoding="utf-8") + ",2026,Meets\n", encoding="utf-8", newline=""
    )
    out = tmp_path / "out"
    args = list(run_args(first_rows(tmp_path, 5), out))
    args[args.index(RATINGS)] = ratings
    run = cli(*args)
    assert run.exit_code == 3, run.output
    (rejected,) = read_csv(out / "rejected.csv")
    assert (rejected["employee_id"], rejected["reason"]) == ("", "employee_id is blank")
    assert "ratings file rows read: 146  matched: 15  unmatched: 130  rejected: 1" in run.stdout
    assert "1 row(s) rejected" in run.stderr


def test_the_library_summary_counts_the_keyed_files(tmp_path: Path) -> None:
    """`calculate` over a roster opened with the ratings and history files: once iterated,
    `calc.summary` holds each file's counts, and they reconcile."""
    rulebook = load_rules(RULES)
    roster = open_roster(
        first_rows(tmp_path, 5),
        required_columns=required_columns(rulebook),
        ratings_path=RATINGS,
        history_path=HISTORY,
    )
    calc = calculate(rulebook, roster, rates=read_rates(RATES))
    items = list(calc)
    assert all(isinstance(item, EmployeeOutcome) for item in items)
    assert calc.summary.keyed_files == {
        "ratings": KeyedCounts(read=145, matched=15, unmatched=130, rejected=0),
        "history": KeyedCounts(read=8, matched=2, unmatched=6, rejected=0),
    }
    assert calc.summary.unmatched == 136
    assert calc.summary.reconciles
    assert len(roster.unmatched()) == 136


# -- employees no policy covers -------------------------------------------------------------------


def test_a_roster_with_uncovered_employees_exits_0_and_lists_them(cli: Cli, tmp_path: Path) -> None:
    """The sample roster with three employees in plans LTI and SIP: exit 0; 49 computed, 3 not
    covered (52 = 49 + 0 + 3); not_covered.csv names each with its row and line and, per kind,
    the population that left them out with the value it read; results.csv has no row for them."""
    out = tmp_path / "out"
    roster = mixed_roster(tmp_path)
    run = cli(*run_args(roster, out))
    assert run.exit_code == 0, run.output
    assert "employees read: 52  computed: 49  rejected: 0  not covered: 3" in run.stdout
    assert "not covered, by kind of policy: bonus 3, merit 3, promotion 3" in run.stdout
    assert "Traceback" not in run.output
    rows = read_csv(out / "not_covered.csv")
    assert [(r["employee_id"], r["record"], r["line"], r["kind"]) for r in rows] == [
        (employee_id, str(record), str(record + 1), kind)
        for employee_id, record in (("00003", 3), ("00010", 10), ("00027", 27))
        for kind in ("bonus", "merit", "promotion")
    ]
    assert {r["file"] for r in rows} == {str(roster)}
    by_kind = {(r["employee_id"], r["kind"]): r["excluded_by"] for r in rows}
    # every bonus plan of the sample, with the values it read (00003: level 3, Finance)
    assert by_kind["00003", "bonus"] == (
        "annual-bonus-2026: plan == 'AIP' (plan = 'LTI'); ltip-psu-2024: plan == 'AIP' and"
        " level >= 7 (level = 3, plan = 'LTI'); sales-incentive-2026-q4: plan == 'AIP' and"
        " unit == 'Sales' and not is_missing(q4_quota) (plan = 'LTI', q4_quota = (empty),"
        " unit = 'Finance')"
    )
    assert by_kind["00010", "merit"] == "merit-2027: plan == 'AIP' (plan = 'SIP')"
    assert by_kind["00027", "promotion"] == "promotion-2027: plan == 'AIP' (plan = 'SIP')"
    assert read_csv(out / "rejected.csv") == []
    assert not {r["employee_id"] for r in read_csv(out / "results.csv")} & set(MOVED)
    counts = counts_of(out)
    assert (counts["read"], counts["computed"], counts["rejected"], counts["not_covered"]) == (
        52,
        49,
        0,
        3,
    )
    assert counts["not_covered_by_kind"] == {"bonus": 3, "merit": 3, "promotion": 3}
    assert counts["reconciles"] is True


def test_explain_says_why_an_employee_is_not_covered(cli: Cli, tmp_path: Path) -> None:
    """`incentives explain 00003` on that run: exit 1, no traceback, naming each kind's
    population and the plan that left 00003 out (not "not in the run")."""
    out = tmp_path / "out"
    assert cli(*run_args(mixed_roster(tmp_path), out)).exit_code == 0
    run = cli("explain", "00003", "--run", out)
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert "employee '00003' is covered by no policy" in run.stderr
    assert "bonus: annual-bonus-2026: plan == 'AIP' (plan = 'LTI')" in run.stderr
    assert "promotion: promotion-2027: plan == 'AIP' (plan = 'LTI')" in run.stderr


def test_require_coverage_rejects_the_uncovered_employees(cli: Cli, tmp_path: Path) -> None:
    """The same roster with --require-coverage: the three are rejected (exit 3), each naming
    the bonus population and its value; not_covered.csv is empty."""
    out = tmp_path / "out"
    run = cli(*run_args(mixed_roster(tmp_path), out, "--require-coverage"))
    assert run.exit_code == 3, run.output
    assert "employees read: 52  computed: 49  rejected: 3  not covered: 0" in run.stdout
    assert "3 row(s) rejected" in run.stderr
    rejected = read_csv(out / "rejected.csv")
    assert [(r["employee_id"], r["column"]) for r in rejected] == [
        (employee_id, "population") for employee_id in MOVED
    ]
    assert rejected[0]["reason"] == (
        "not covered by any bonus policy (annual-bonus-2026: plan == 'AIP' (plan = 'LTI');"
        " ltip-psu-2024: plan == 'AIP' and level >= 7 (level = 3, plan = 'LTI');"
        " sales-incentive-2026-q4: plan == 'AIP' and unit == 'Sales' and not"
        " is_missing(q4_quota) (plan = 'LTI', q4_quota = (empty), unit = 'Finance'))"
    )
    assert read_csv(out / "not_covered.csv") == []


def test_run_job_takes_require_coverage(tmp_path: Path) -> None:
    """The library's `run_job`: uncovered employees are counted in the report's summary, or
    rejected with ``require_coverage=True``."""
    roster = mixed_roster(tmp_path)
    common = {"rules": RULES, "employees": roster, "rates": RATES}
    lenient = run_job(RunRequest(out=tmp_path / "a", **common))
    strict = run_job(RunRequest(out=tmp_path / "b", require_coverage=True, **common))
    assert (lenient.summary.not_covered, lenient.summary.rejected) == (3, 0)
    assert (strict.summary.not_covered, strict.summary.rejected) == (0, 3)
    assert "not_covered.csv" in lenient.files
    assert "unmatched.csv" not in lenient.files  # no goals, ratings or history file given


def test_the_library_yields_not_covered_items(tmp_path: Path) -> None:
    """Iterating `calculate` yields a `NotCovered` for each employee no policy covers, in
    roster order, with one exclusion per kind."""
    rulebook = load_rules(RULES)
    roster = open_roster(mixed_roster(tmp_path), required_columns=required_columns(rulebook))
    calc = calculate(rulebook, roster, rates=read_rates(RATES))
    uncovered = [item for item in calc if isinstance(item, NotCovered)]
    assert [item.employee_id for item in uncovered] == list(MOVED)
    assert [e.kind for e in uncovered[0].exclusions] == ["bonus", "merit", "promotion"]
    assert calc.summary.not_covered == 3 and calc.summary.reconciles


def test_not_covered_csv_is_the_same_in_every_process(tmp_path: Path) -> None:
    """A population reading three inputs: two processes with different hash seeds write the
    same not_covered.csv, the values in name order (level, plan, unit)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bonus.yaml").write_text(
        policy_yaml(
            COVERAGE_BODY,
            inputs=COVERAGE_INPUTS + "unit: {type: text}\n",
            population="plan == 'AIP' and level >= 3 and unit != 'Board'",
        ),
        encoding="utf-8",
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,plan,currency,salary,level,unit\n"
        "E1,AIP,USD,100,4,Sales\nE2,AIP,USD,100,2,Sales\nE3,LTI,USD,100,5,Board\n",
        encoding="utf-8",
    )
    written = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"seed{seed}"
        done = subprocess.run(
            [*RUN, "--rules", str(rules), "--employees", str(roster), "--out", str(out)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        written.append((out / "not_covered.csv").read_bytes())
    assert written[0] == written[1] == written[2]
    rows = read_csv(tmp_path / "seed1" / "not_covered.csv")
    assert [(r["employee_id"], r["excluded_by"]) for r in rows] == [
        (
            "E2",
            "test-policy: plan == 'AIP' and level >= 3 and unit != 'Board'"
            " (level = 2, plan = 'AIP', unit = 'Sales')",
        ),
        (
            "E3",
            "test-policy: plan == 'AIP' and level >= 3 and unit != 'Board'"
            " (level = 5, plan = 'LTI', unit = 'Board')",
        ),
    ]


# -- both cores ------------------------------------------------------------------------------------


@pytest.mark.skipif(not can_fork(), reason="the parallel path needs fork")
def test_both_cores_write_the_same_bytes(tmp_path: Path) -> None:
    """Uncovered employees and unmatched rows through two worker processes: every output file
    is byte-identical to one core's (the shares' not_covered rows appended in roster order,
    the summaries merged)."""
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    # drop every fifth employee (their ratings and history become unmatched; 00010 is one),
    # move the others of MOVED (00003 and 00027) out of plan AIP
    plan = rows[0].index("plan")
    kept = [rows[0]] + [row for n, row in enumerate(rows[1:]) if n % 5 != 4]
    for row in kept[1:]:
        row[plan] = MOVED.get(row[0], row[plan])
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(kept)
    common = {
        "rules": RULES,
        "employees": roster,
        "rates": RATES,
        "ratings": RATINGS,
        "history": HISTORY,
    }
    one = run_job(RunRequest(out=tmp_path / "one", workers=1, **common))
    two = run_job(RunRequest(out=tmp_path / "two", workers=2, **common))
    assert one.summary.not_covered == two.summary.not_covered == 2
    assert one.summary.unmatched == two.summary.unmatched > 0
    assert one.summary.not_covered_by_kind == two.summary.not_covered_by_kind
    assert one.files == two.files
    for name in one.files:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), (
            name
        )


# -- the counts reconcile, whatever the roster --------------------------------------------------

COVERAGE_BODY = """
    steps:
      bonus: {formula: "salary * 10%", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
COVERAGE_INPUTS = "salary: {type: decimal}\nlevel: {type: integer}\n"


@functools.cache
def coverage_rulebook() -> Rulebook:
    """Bonus 'aip' (plan AIP) and 'sip' (plan SIP), merit 'senior' (level >= 3)."""
    policies = [
        policy_yaml(COVERAGE_BODY, inputs=COVERAGE_INPUTS, policy_id="aip"),
        policy_yaml(
            COVERAGE_BODY, inputs=COVERAGE_INPUTS, policy_id="sip", population="plan == 'SIP'"
        ),
        policy_yaml(
            COVERAGE_BODY,
            inputs=COVERAGE_INPUTS,
            policy_id="senior",
            kind="merit",
            population="level >= 3",
        ),
    ]
    return load(Path(tempfile.mkdtemp(prefix="coverage-")), *policies)


@settings(max_examples=60, deadline=None)
@given(rows=coverage_rows(), strict=st.booleans())
def test_every_row_is_computed_rejected_or_not_covered(
    rows: list[dict[str, str]], strict: bool
) -> None:
    """For any roster: a row no policy of any kind covers is not covered, whatever its salary
    (rejected with require_coverage); a row covered by some kind is computed (rejected if its
    salary is not a number or its required plan is empty) and lists the kinds that leave it out (rejected
    with require_coverage); read = computed + rejected + not covered, and the per-kind counts
    are those of the rows."""
    calc = calculate(coverage_rulebook(), employees(rows), require_coverage=strict)
    items = list(calc)
    expected = {"computed": 0, "rejected": 0, "not_covered": 0}
    by_kind: dict[str, int] = {}
    for row, item in zip(rows, items, strict=True):
        missing = [
            kind
            for kind, covered in (
                ("bonus", row["plan"] in ("AIP", "SIP")),
                ("merit", row["level"] in ("3", "4")),
            )
            if not covered
        ]
        # covered first, then converted and computed: a bad salary (read by every policy,
        # by no population) and an empty plan (required) are faults only for an employee
        # some policy covers
        covered = len(missing) < 2
        faulty = (covered and row["salary"] == "n/a") or (strict and missing)
        if faulty or (row["plan"] == "" and covered):
            assert isinstance(item, Rejection), item
            expected["rejected"] += 1
            continue
        for kind in missing:
            by_kind[kind] = by_kind.get(kind, 0) + 1
        if len(missing) == 2:
            assert isinstance(item, NotCovered), item
            expected["not_covered"] += 1
        else:
            assert isinstance(item, EmployeeOutcome), item
            assert [e.kind for e in item.exclusions] == missing
            expected["computed"] += 1
    s = calc.summary
    assert (s.computed, s.rejected, s.not_covered) == tuple(expected.values())
    assert s.read == len(rows) == s.computed + s.rejected + s.not_covered
    assert s.not_covered_by_kind == by_kind
    assert s.reconciles
