"""The `incentives` command line: `run` and `check`, their exit codes, messages and outputs.

Exit codes: 0 everything computed; 3 some rows rejected (see rejected.csv); 1 a fault in the
policies, the input files or the options (a message, no traceback, no outputs); 2 usage.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import (
    EMPLOYEES,
    FIXTURES,
    POLICIES,
    RATES,
    RULES,
    SAMPLE_ARGS,
    CliRun,
    breakdown_rows,
)

Cli = Callable[..., CliRun]
BAD = FIXTURES / "bad"
OUTPUTS = (
    "results.csv",
    "inputs.csv",
    "breakdown/annual-bonus-2026.csv",
    "breakdown/ltip-psu-2024.csv",
    "breakdown/merit-2027.csv",
    "breakdown/promotion-2027.csv",
    "breakdown/sales-incentive-2026-q4.csv",
    "rejected.csv",
    "not_covered.csv",
    "unmatched.csv",
    "rulebook.json",
    "manifest.json",
    "budgets.csv",
    "pools.csv",
)
# The two merit budget groups the sample overspends (fixtures/EXPECTED.md, "Department pools and
# merit budgets"): a warning on stderr, the run still exits 0. Operations: 3.5 % of 230,459.20 =
# 8,066.07, spend 2,100 + 5,900 + 1,200 EUR × 1.0929 = 9,311.48; Engineering's international fund
# (fixed 6,000 EUR) is spent 7,195.52 EUR.
SAMPLE_WARNINGS = (
    "warning: budget over: merit-2027: merit_budget Operations: spend USD 9,311.48 is 1,245.41"
    " over the budget of 8,066.07 (115.44% used)\n"
    "warning: budget over: merit-2027: international_fund Engineering: spend EUR 7,195.52 is"
    " 1,195.52 over the budget of 6,000.00 (119.93% used)\n"
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (hidden ones too) and its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def assert_fault(run: CliRun, *says: str) -> None:
    """Exit 1, the message on stderr, nothing on stdout, no traceback, no output folder."""
    assert run.exit_code == 1, run.output
    assert run.exception is None
    assert "Traceback" not in run.output
    assert run.stdout == ""
    assert run.stderr.startswith("error: ")
    for text in says:
        assert text in run.stderr
    assert run.out is not None
    assert not run.out.exists()


# -- a clean run -------------------------------------------------------------------------------


def test_run_on_the_sample_prints_a_summary(sample_run: CliRun) -> None:
    """`incentives run` on the full-cycle sample (bonus, merit and promotion, with the ratings and
    history files) exits 0 and prints the policies, counts, totals and department pools; the two
    overspent merit budgets are warnings on stderr, nothing else is."""
    assert sample_run.exit_code == 0
    assert sample_run.stderr == SAMPLE_WARNINGS
    lines = sample_run.stdout.splitlines()
    assert lines[0] == (
        "policies: annual-bonus-2026, ltip-psu-2024, merit-2027, promotion-2027,"
        " sales-incentive-2026-q4"
    )
    # eligible/not eligible count policy outcomes: bonus 48 + 4, merit 44 + 8, promotion 46 + 6,
    # PSUs 6 + 0 (levels 7 and 8), Q4 sales incentive 17 + 1 (00045 left on 2026-12-15)
    assert lines[1] == (
        "employees read: 52  computed: 52  rejected: 0  not covered: 0"
        "  (policy outcomes: eligible 161, not eligible 19)"
    )
    # every row of the ratings and history files belongs to a sample employee
    assert "ratings file rows read: 145  matched: 145  unmatched: 0  rejected: 0" in lines
    assert "history file rows read: 8  matched: 8  unmatched: 0  rejected: 0" in lines
    # paid from the department pools (554,650.65 from the individual awards): USD allocations
    # 630,210.75 of Sales, Engineering and Finance less AIPX 67,712.25
    assert "  annual_bonus (AIP) USD 562,498.50" in lines
    # 00041 is capped at 40 % of the Sales pool: 120,738.32 USD ÷ 1.0929 (the rate its claim
    # came in with) = 110,475.18 EUR, below its limit 202,500.00 (26,250.00 before the pools)
    assert "  annual_bonus_excess (AIPX) EUR 0.00" in lines
    assert "  merit_lump_sum (LUMP) EUR 13,500.00" in lines
    # the Q4 sales incentive (fixtures/EXPECTED.md): 15 USD quota carriers, 00041 in EUR; the
    # PSUs are a count of shares, totalled apart from money: 1,244 + 2,614 + 1,327 + 6,122 +
    # 1,480 + 1,286
    assert "  sales_incentive (SIP) USD 68,800.00" in lines
    assert "  sales_incentive (SIP) EUR 13,300.00" in lines
    assert "  psus_vested (PSU) 14,073 shares" in lines
    # Sales pool 293,303.349776 × 1.029125 → 301,845.80 USD, claims scaled by 181,107.48 ÷
    # 191,479.39304135832 = 0.945833 after 00041's cap (EXPECTED.md)
    assert (
        "pool department_pool Sales: USD 301,845.80, allocated 301,845.80 to 17 member(s),"
        " unspent 0.00 (factor 0.945833)"
    ) in lines
    # Engineering is over-funded, not scaled: each claim rounded half up to the cent, Σ
    # 430,178.91 of 466,765.25 (EXPECTED.md)
    assert (
        "pool department_pool Engineering: USD 466,765.25, allocated 430,178.91 to 17 member(s),"
        " unspent 36,586.34 (factor 1.000000)"
    ) in lines
    # merit_budget: 4 units, international_fund: 3 (US-only Finance has nobody outside the US)
    assert "budgets: 7 group(s), 5 within, 2 over (see budgets.csv)" in lines
    assert lines[-1].startswith("outputs: ")
    assert sample_run.out is not None
    written = [
        p.relative_to(sample_run.out).as_posix()
        for p in sample_run.out.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    ]
    assert sorted(written) == sorted(OUTPUTS)


def test_two_runs_give_byte_identical_files(sample_run: CliRun, cli: Cli, tmp_path: Path) -> None:
    """The same inputs run twice into two folders give the same bytes in every output file."""
    again = cli("run", *SAMPLE_ARGS, "--out", tmp_path / "again")
    assert again.exit_code == 0, again.output
    assert sample_run.out is not None and again.out is not None
    for name in OUTPUTS:
        assert (again.out / name).read_bytes() == (sample_run.out / name).read_bytes(), name


def test_rejected_csv_is_the_same_in_every_process(tmp_path: Path) -> None:
    """Two processes with different hash seeds write the same rejected.csv for bad_rows.csv
    (the JPY and Marketing rows list the allowed values in a fixed order)."""
    written = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "incentives",
                "run",
                "--rules",
                str(RULES),
                "--employees",
                str(BAD / "bad_rows.csv"),
                "--rates",
                str(RATES),
                "--out",
                str(out),
            ],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=False,
            timeout=120,
        )
        written.append((out / "rejected.csv").read_bytes())
    assert written[0] == written[1]


def test_manifest_totals_match_results_csv(sample_run: CliRun) -> None:
    """Summing results.csv per currency and component with Decimal gives the manifest's totals
    exactly, and the manifest's counts reconcile."""
    assert sample_run.out is not None
    manifest = json.loads((sample_run.out / "manifest.json").read_text(encoding="utf-8"))
    rows = read_csv(sample_run.out / "results.csv")
    components = [
        c
        for c in rows[0]
        if c
        not in ("employee_id", "policy", "kind", "currency", "eligible", "zero_reason", "notes")
    ]
    components = components[: components.index("current_salary")]  # the rest are outputs
    assert components == [
        "annual_bonus",
        "annual_bonus_excess",
        "psus_vested",
        "merit_increase",
        "merit_lump_sum",
        "sales_incentive",
    ]
    sums: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        for component in components:
            if row[component] == "":  # a component of the other policy
                continue
            # the PSUs are shares, totalled per unit (unit_totals), not in the pay currency
            key = ("shares" if component == "psus_vested" else row["currency"], component)
            sums[key] = sums.get(key, Decimal(0)) + Decimal(row[component])
    totals = {(t["currency"], t["component"]): t["amount"] for t in manifest["totals"]}
    totals |= {(t["unit"], t["component"]): t["amount"] for t in manifest["unit_totals"]}
    assert totals == {key: format(value, "f") for key, value in sums.items()}
    assert {t["pay_code"] for t in manifest["totals"]} == {"AIP", "AIPX", "MERIT", "LUMP", "SIP"}
    counts = manifest["counts"]
    assert counts["read"] == len({r["employee_id"] for r in rows}) == 52
    # one bonus, one merit and one promotion row per employee, and a row per employee of the
    # other bonus plans: 6 PSU participants, 18 quota carriers
    assert len(rows) == 3 * 52 + 6 + 18
    assert counts["read"] == counts["computed"] + counts["rejected"]
    assert counts["reconciles"] is True


def test_installed_console_script(tmp_path: Path) -> None:
    """The `incentives` script installed in the venv runs the sample: exit 0, summary on stdout."""
    script = Path(sys.executable).parent / "incentives"
    done = subprocess.run(
        [str(script), "run", *SAMPLE_ARGS, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "employees read: 52  computed: 52  rejected: 0" in done.stdout
    assert done.stderr == SAMPLE_WARNINGS  # the two overspent merit budgets, nothing else
    assert (tmp_path / "out" / "results.csv").is_file()


# -- the output folder -------------------------------------------------------------------------


def test_non_empty_out_without_force_is_refused(cli: Cli, tmp_path: Path) -> None:
    """A folder holding anything is left untouched: exit 1, 'not empty; use --force'."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    run = cli("run", *SAMPLE_ARGS, "--out", out)
    assert run.exit_code == 1
    assert "Traceback" not in run.output
    assert "is not empty" in run.stderr
    assert "--force" in run.stderr
    assert snapshot(out) == before


def test_force_replaces_an_earlier_run(sample_run: CliRun, cli: Cli, tmp_path: Path) -> None:
    """--force over the outputs of another run replaces every output file."""
    out = tmp_path / "out"
    first = cli(
        "run", "--rules", RULES, "--employees", BAD / "bad_rows.csv", "--rates", RATES, "--out", out
    )
    assert first.exit_code == 3
    assert len(read_csv(out / "rejected.csv")) == 20
    second = cli("run", *SAMPLE_ARGS, "--out", out, "--force")
    assert second.exit_code == 0, second.output
    assert sample_run.out is not None
    for name in (n for n in OUTPUTS if n != "manifest.json"):
        assert (out / name).read_bytes() == (sample_run.out / name).read_bytes(), name
    assert read_csv(out / "rejected.csv") == []
    assert not list(out.glob("*.partial"))


# -- rejected rows -----------------------------------------------------------------------------

# (record, line, employee_id, column) of every row of bad_rows.csv that must be rejected
BAD_ROWS = [
    (2, 3, "", "employee_id"),
    (3, 4, "10002", "employee_id"),
    (5, 6, "10002", "employee_id"),
    (6, 7, "10004", "level"),
    (7, 8, "10005", "base_salary"),
    (9, 10, "10006", "base_salary"),
    (10, 11, "10007", "base_salary"),
    (11, 12, "10008", "hire_date"),
    (12, 13, "10009", "hire_date"),
    (14, 15, "10010", "rating"),
    (15, 16, "10011", "individual_modifier"),
    (16, 17, "10012", "goal weights"),
    (17, 18, "10013", ""),
    (20, 21, "10015", "rating"),
    (21, 22, "10016", "adjustment"),
    (22, 23, "10017", "fte"),
    (23, 24, "10018", "currency"),
    (24, 25, "10019", "unit"),
    (25, 26, "10020", "on_pip"),
    (26, 27, "10021", "goal1_target"),
]


def test_bad_rows_are_rejected_with_where_and_why(cli: Cli, tmp_path: Path) -> None:
    """bad_rows.csv exits 3; rejected.csv names file, record, line, column and reason of each of
    the 20 bad rows; 10014 (plan XYZ) is not covered, not rejected; the 6 good rows are computed
    and the counts reconcile (27 = 6 + 20 + 1)."""
    roster = BAD / "bad_rows.csv"
    run = cli(
        "run", "--rules", RULES, "--employees", roster, "--rates", RATES, "--out", tmp_path / "out"
    )
    assert run.exit_code == 3, run.output
    assert "Traceback" not in run.output
    assert "20 row(s) rejected" in run.stderr
    assert "employees read: 27  computed: 6  rejected: 20  not covered: 1" in run.stdout
    rejected = read_csv(tmp_path / "out" / "rejected.csv")
    assert [
        (int(r["record"]), int(r["line"]), r["employee_id"], r["column"]) for r in rejected
    ] == BAD_ROWS
    assert {r["file"] for r in rejected} == {str(roster)}
    assert all(r["reason"] for r in rejected)
    reasons = {int(r["record"]): r["reason"] for r in rejected}
    assert reasons[6] == "level: 'four' is not a whole number"
    assert reasons[11] == "hire_date: '2026-02-30' is not a real date"
    assert "above its maximum 1.2" in reasons[15]
    assert "goal weights sum to 90%" in reasons[16]
    assert reasons[17] == "record has 35 fields, the header has 36"  # goal3_direction missing
    not_covered = read_csv(tmp_path / "out" / "not_covered.csv")
    assert [(r["record"], r["line"], r["employee_id"], r["kind"]) for r in not_covered] == [
        ("18", "19", "10014", kind) for kind in ("bonus", "merit", "promotion")
    ]
    assert not_covered[0]["excluded_by"] == (
        "annual-bonus-2026: plan == 'AIP' (plan = 'XYZ'); ltip-psu-2024: plan == 'AIP' and"
        " level >= 7 (level = 4, plan = 'XYZ'); sales-incentive-2026-q4: plan == 'AIP' and"
        " unit == 'Sales' and not is_missing(q4_quota) (plan = 'XYZ', q4_quota = (empty),"
        " unit = 'Engineering')"
    )
    assert "appears 2 times (lines 4, 6)" in reasons[3]
    results = read_csv(tmp_path / "out" / "results.csv")  # 00008 (level 8) also has PSUs
    results = [r for r in results if r["policy"] == "annual-bonus-2026"]
    assert [r["employee_id"] for r in results] == [
        "00001",
        "00004",
        "00008",
        "00014",
        "00020",
        "00039",
    ]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert (counts["read"], counts["computed"], counts["rejected"]) == (27, 6, 20)
    assert (counts["not_covered"], counts["not_covered_by_kind"]) == (
        1,
        {"bonus": 1, "merit": 1, "promotion": 1},
    )
    assert counts["read"] == counts["computed"] + counts["rejected"] + counts["not_covered"]
    assert counts["reconciles"] is True


# -- faults: exit 1, a message, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("not_utf8.csv", ("not_utf8.csv:3", "not UTF-8", "0xeb", "UTF-8")),
        ("empty.csv", ("empty.csv", "empty", "header")),
        ("missing_column.csv", ("missing_column.csv", "missing required column 'base_salary'")),
        (
            "duplicate_column.csv",
            ("duplicate_column.csv", "'rating' appears twice (columns 11 and 12)"),
        ),
    ],
)
def test_unusable_roster_file(cli: Cli, tmp_path: Path, name: str, says: tuple[str, ...]) -> None:
    """A roster that cannot be read at all stops the run: exit 1, what is wrong with which file,
    no traceback, no output folder."""
    run = cli(
        "run",
        "--rules",
        RULES,
        "--employees",
        BAD / name,
        "--rates",
        RATES,
        "--out",
        tmp_path / "out",
    )
    assert_fault(run, *says)


def test_broken_policy_folder_stops_the_run(cli: Cli, tmp_path: Path) -> None:
    """Broken policies stop `run` before anything is read or written: exit 1 with the problem."""
    rules = POLICIES / "broken" / "unknown_name.yaml"
    run = cli(
        "run",
        "--rules",
        rules,
        "--employees",
        EMPLOYEES,
        "--rates",
        RATES,
        "--out",
        tmp_path / "out",
    )
    assert_fault(
        run, "unknown name 'base_salry'", "did you mean 'base_salary'?", "incentives check"
    )


def test_check_on_the_sample(cli: Cli) -> None:
    """`incentives check` on the bundled rules exits 0 and says ok for each of the three
    policies. The bonus has 19 steps of its own (its target is weighted by segments) and 8 of
    the department pool (department_pool_award_in, _funding, _pool, _factor, _scaled,
    _remainder, _award, _payout): 27; the merit 33 and 5 of its two budgets
    (merit_budget_payroll, merit_budget_spend, international_fund_included,
    international_fund_payroll, international_fund_spend): 38."""
    run = cli("check", "--rules", RULES)
    assert run.exit_code == 0, run.output
    assert run.stderr == ""
    assert run.stdout.startswith("ok  ")
    assert (
        "annual-bonus-2026 v2026.1 (bonus), 27 steps, 1 pay component(s), 1 pool(s) (department_pool)"
        in run.stdout
    )
    assert (
        "merit-2027 v2027.1 (merit), 38 steps, 2 pay component(s), 2 budget(s) (merit_budget,"
        " international_fund)" in run.stdout
    )
    assert "promotion-2027 v2027.1 (promotion), 2 steps, 0 pay component(s)" in run.stdout


def test_check_on_a_folder_without_policies(cli: Cli, tmp_path: Path) -> None:
    """An empty rules folder is a fault (exit 1), not a silent success."""
    run = cli("check", "--rules", tmp_path)
    assert run.exit_code == 1
    assert "no policy files" in run.stderr
    assert "Traceback" not in run.output


# -- usage errors: exit 2 ----------------------------------------------------------------------


def test_missing_rules_option_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    """Without --rules: exit 2, click's "Missing option '--rules'", nothing written."""
    run = cli("run", "--employees", EMPLOYEES, "--out", tmp_path / "out")
    assert run.exit_code == 2
    assert "Missing option '--rules'" in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("as_of", ["2026-13-01", "03/15/2027", "tomorrow"])
def test_bad_as_of_is_a_usage_error(cli: Cli, tmp_path: Path, as_of: str) -> None:
    """--as-of that is not an ISO date: exit 2, 'is not an ISO date (YYYY-MM-DD)'."""
    run = cli("run", *SAMPLE_ARGS, "--as-of", as_of, "--out", tmp_path / "out")
    assert run.exit_code == 2
    assert f"'{as_of}' is not an ISO date (YYYY-MM-DD)" in run.stderr
    assert not (tmp_path / "out").exists()


# -- formula escaping --------------------------------------------------------------------------


def test_formula_like_text_is_escaped_and_negative_numbers_are_not(
    cli: Cli, tmp_path: Path
) -> None:
    """A name '=HYPERLINK(...)' or a goal '@SUM(A1)' is written with a leading ' so a spreadsheet
    shows it as text; a negative adjustment (-5%) stays the number -0.05."""
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header = list(reader.fieldnames or [])
        rows = {row["employee_id"]: row for row in reader}
    first, second = rows["00001"], rows["00035"]
    first["name"] = '=HYPERLINK("http://example.com","click")'
    first["goal1_name"] = "@SUM(A1)"
    second["name"] = "+Plus Minus"
    assert second["adjustment"] == "-5%"
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows([first, second])
    run = cli(
        "run", "--rules", RULES, "--employees", roster, "--rates", RATES, "--out", tmp_path / "out"
    )
    assert run.exit_code == 0, run.output
    breakdown = {r["employee_id"]: r for r in breakdown_rows(tmp_path / "out", "annual-bonus-2026")}
    assert breakdown["00001"]["name"] == '\'=HYPERLINK("http://example.com","click")'
    assert breakdown["00001"]["individual.goal1.name"] == "'@SUM(A1)"
    assert breakdown["00035"]["name"] == "'+Plus Minus"
    assert breakdown["00035"]["adjustment"] == "-0.05"
    assert breakdown["00035"]["adjustment_amount"].startswith("-380")
    results = {
        r["employee_id"]: r
        for r in read_csv(tmp_path / "out" / "results.csv")
        if r["kind"] == "bonus"
    }
    assert results["00035"]["annual_bonus"] == "0.00"  # Operations: no company factor
