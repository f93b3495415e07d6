"""`incentives report`: the results workbook and its by-group CSV, reloaded with openpyxl
as a user's Excel would read them."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import RATES, CliRun, invoke
from engine_helpers import policy_yaml
from incentives.jobs import RunRequest, run_job
from incentives.reports.workbook import ReportRequest, write_report

SMALL = policy_yaml(
    """
    steps:
      target_bonus: {formula: "salary * 0.1", type: money, round: {step: 0.01}}
      award: {formula: "target_bonus * factor", type: money}
    pay:
      - {name: bonus, step: award, pay_code: BON, round: {step: 0.01, mode: half_up}}
    """,
    policy_id="small-bonus",
    inputs="""
    name: {type: text, required: false}
    unit: {type: text}
    salary: {type: decimal, min: 0}
    factor: {type: percent}
    """,
)

# Sales: targets 1,000, 2,000, 3,000 paid at 100 %, 150 %, 50 %: total 5,500.00, average and
# median 100 %. Ops: targets 1,000 and 1,000 paid at 80 % and 100 %: total 1,800.00, 90 %.
SMALL_ROSTER = (
    "employee_id,plan,currency,name,unit,salary,factor\n"
    'E1,AIP,USD,"=HYPERLINK(""http://x"")",Sales,10000,100%\n'
    "E2,AIP,USD,Blake,Sales,20000,150%\n"
    "E3,AIP,USD,+Casey,Sales,30000,50%\n"
    "E4,AIP,USD,Drew,Ops,10000,80%\n"
    "=E5,AIP,USD,@Eden,Ops,10000,100%\n"
)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("small")
    rules = base / "rules"
    rules.mkdir()
    (rules / "policy.yaml").write_text(SMALL, encoding="utf-8")
    roster = base / "roster.csv"
    roster.write_text(SMALL_ROSTER, encoding="utf-8")
    run_job(RunRequest(rules=rules, employees=roster, out=base / "run"))
    return base / "run"


@pytest.fixture(scope="module")
def sample_book(sample_run: CliRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample run's workbook, by unit and rating, through the command line."""
    out = tmp_path_factory.mktemp("book") / "report.xlsx"
    done = invoke("report", "--run", str(sample_run.out), "--out", out, "--by", "unit,rating")
    assert done.exit_code == 0, done.output
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _sheet(book: Any, name: str) -> list[dict[str, Any]]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_reloaded_results_equal_results_csv_to_the_cent(
    sample_run: CliRun, sample_book: Path
) -> None:
    """Every Results sheet holds its policy's rows of results.csv in order: ids and texts as
    text, every amount equal to the cent and shown in its currency's format."""
    assert sample_run.out is not None
    book = openpyxl.load_workbook(sample_book)
    results = _csv(sample_run.out / "results.csv")
    policies = list(dict.fromkeys(r["policy"] for r in results))
    money_seen = 0
    for policy in policies:
        sheet = book[f"Results {policy}"]
        mine = [r for r in results if r["policy"] == policy]
        rows = list(sheet.iter_rows())
        header = [c.value for c in rows[0]]
        assert len(rows) - 1 == len(mine)
        for expected, cells in zip(mine, rows[1:], strict=True):
            for name, cell in zip(header, cells, strict=True):
                text = expected[name]
                if name == "employee_id":
                    assert (cell.value, cell.data_type) == (text, "s")
                elif cell.data_type == "n" and cell.value is not None:
                    assert Decimal(repr(cell.value)).quantize(Decimal("0.01")) == Decimal(
                        text
                    ).quantize(Decimal("0.01")), (policy, name, text)
                    if name in ("annual_bonus", "merit_increase", "new_salary"):
                        assert cell.number_format == "#,##0.00"
                        money_seen += 1
                else:
                    assert (cell.value or "") == text, (policy, name)
    filled = sum(
        1 for r in results for n in ("annual_bonus", "merit_increase", "new_salary") if r[n]
    )
    assert money_seen == filled > 100


def test_the_charts_are_native_charts(sample_book: Path) -> None:
    """The Charts sheet holds four native charts (payout by unit, % of target by rating, the
    distribution, budget use by unit: the sample has budgets) over tables beside them."""
    book = openpyxl.load_workbook(sample_book)
    charts = book["Charts"]._charts
    assert len(charts) == 4
    with zipfile.ZipFile(sample_book) as package:
        names = package.namelist()
        titles = [package.read(n).decode() for n in names if n.startswith("xl/charts/chart")]
    assert len(titles) == 4
    for title in (
        "Total payout by unit",
        "Average payout % of target by rating",
        "Distribution of payout % of target",
        "Budget use by unit",
    ):
        assert any(title in xml for xml in titles), title
    assert all("<c:barChart>" in xml for xml in titles)


def test_a_text_cell_starting_with_equals_stays_text(small_run: Path, tmp_path: Path) -> None:
    """A name `=HYPERLINK(...)`, `+Casey`, `@Eden` and an id `=E5` are text cells showing what
    the roster says (no formula guard `'`), and no sheet of the package holds a formula."""
    out = tmp_path / "small.xlsx"
    write_report(ReportRequest(small_run, out))
    book = openpyxl.load_workbook(out)
    inputs = {row["employee_id"]: row for row in _sheet(book, "Inputs")}
    assert inputs["E1"]["name"] == '=HYPERLINK("http://x")'
    assert inputs["E3"]["name"] == "+Casey"
    assert inputs["=E5"]["name"] == "@Eden"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    ids = [c.value for c in book["Results small-bonus"]["A"]][1:]
    assert ids == ["E1", "E2", "E3", "E4", "=E5"]
    with zipfile.ZipFile(out) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in package.read(n).decode() for n in sheets)


def test_by_group_figures_match_a_hand_computation(small_run: Path, tmp_path: Path) -> None:
    """Sales: 3 employees paid 1,000 + 3,000 + 1,500 = 5,500.00 on targets 1,000, 2,000,
    3,000: 100 %, 150 %, 50 % → average and median 100 %. Ops: 800 + 1,000 on 1,000 each:
    1,800.00, average and median 90 %. The CSV beside the workbook says the same."""
    out = tmp_path / "small.xlsx"
    done = write_report(ReportRequest(small_run, out, by=("unit",)))
    assert done.by_group_csv == tmp_path / "small.by_group.csv"
    rows = {r["unit"]: r for r in _csv(done.by_group_csv)}
    figures = [
        "headcount",
        "eligible",
        "total",
        "total BON",
        "payout_pct_of_target_avg",
        "payout_pct_of_target_median",
    ]
    assert [rows["Ops"][f] for f in figures] == ["2", "2", "1800.00", "1800.00", "0.900000", "0.900000"]  # fmt: skip
    assert [rows["Sales"][f] for f in figures] == ["3", "3", "5500.00", "5500.00", "1.000000", "1.000000"]  # fmt: skip
    sheet = {r["unit"]: r for r in _sheet(openpyxl.load_workbook(out), "By group")}
    assert sheet["Sales"]["total"] == 5500
    assert sheet["Ops"]["payout_pct_of_target_avg"] == pytest.approx(0.9)
    book = openpyxl.load_workbook(out)
    header = [c.value for c in book["By group"][1]]
    pct = header.index("payout_pct_of_target_avg")
    assert book["By group"].cell(2, pct + 1).number_format == "0.00%"


def _summary(book: Any) -> dict[str, Any]:
    """Column A label → column B value of the Summary sheet's first rows (the counts)."""
    found: dict[str, Any] = {}
    for a, b, *_ in book["Summary"].iter_rows(values_only=True):
        if isinstance(a, str) and a not in found:
            found[a] = b
    return found


def test_summary_counts_and_totals_reconcile_with_the_manifest(
    sample_run: CliRun, sample_book: Path
) -> None:
    """Employees read, computed, rejected and not covered are the manifest's; the totals per
    pay code and currency are its totals, each in its currency's format."""
    assert sample_run.out is not None
    manifest = json.loads((sample_run.out / "manifest.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(sample_book)
    summary = _summary(book)
    counts = manifest["counts"]
    assert summary["employees read"] == counts["read"]
    assert summary["computed"] == counts["computed"]
    assert summary["rejected"] == counts["rejected"]
    assert summary["not covered"] == counts["not_covered"]
    assert counts["read"] == counts["computed"] + counts["rejected"] + counts["not_covered"]
    totals = {
        (t["component"], t["pay_code"], t["currency"]): Decimal(t["amount"])
        for t in manifest["totals"]
    }
    shown = {}
    for row in book["Summary"].iter_rows():
        values = [c.value for c in row]
        if len(values) >= 5 and (values[0], values[1], values[3]) in totals:
            shown[(values[0], values[1], values[3])] = Decimal(repr(values[4]))
            assert row[4].number_format == "#,##0.00"
    assert shown == totals
    policies = [p["sha256"] for p in manifest["policies"]]
    texts = {c.value for row in book["Summary"].iter_rows() for c in row}
    assert set(policies) <= texts


def test_the_reporting_currency_converts_at_each_policys_rates(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """With --report-currency USD, a EUR total is shown beside its USD value at the policy's
    rate (the bonus: average on its period end, 2026-12-31, EUR→USD 1.0929), and the summary
    by group has one row per unit, in USD."""
    assert sample_run.out is not None
    out = tmp_path / "usd.xlsx"
    done = invoke(
        "report", "--run", str(sample_run.out), "--out", out,
        "--report-currency", "USD", "--rates", RATES,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(out)
    for row in book["Summary"].iter_rows(values_only=True):
        if row[:4] == ("annual_bonus", "AIP", "annual-bonus-2026", "EUR"):
            assert (
                Decimal(repr(row[5]))
                == (Decimal("126175.34") * Decimal("1.0929"))
                .quantize(Decimal("0.0000001"))
                .normalize()
            )
            break
    else:
        raise AssertionError("no EUR bonus total")
    rows = _csv(tmp_path / "usd.by_group.csv")
    bonus = [r for r in rows if r["policy"] == "annual-bonus-2026"]
    assert {r["currency"] for r in rows} == {"USD"}
    assert sorted(r["unit"] for r in bonus) == ["Engineering", "Finance", "Operations", "Sales"]


def test_a_sheet_past_the_row_limit_is_split_across_sheets(small_run: Path, tmp_path: Path) -> None:
    """With a limit of 3 rows a sheet (header included), 5 employees' results go to three
    sheets of 2, 2 and 1 rows, in order, each with its header, filter and frozen id column."""
    out = tmp_path / "split.xlsx"
    done = write_report(ReportRequest(small_run, out, max_rows=3))
    assert [s for s in done.sheets if s.startswith("Results")] == [
        "Results small-bonus",
        "Results small-bonus (2)",
        "Results small-bonus (3)",
    ]
    book = openpyxl.load_workbook(out)
    ids = []
    for name in ("Results small-bonus", "Results small-bonus (2)", "Results small-bonus (3)"):
        sheet = book[name]
        assert sheet["A1"].value == "employee_id"
        assert sheet.freeze_panes == "B2"
        assert (
            sheet.auto_filter.ref
            == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        )
        ids += [c.value for c in sheet["A"]][1:]
    assert ids == ["E1", "E2", "E3", "E4", "=E5"]
    assert "Breakdown small-bonus (3)" in done.sheets


def test_the_workbook_is_byte_identical_and_the_run_folder_untouched(
    small_run: Path, tmp_path: Path
) -> None:
    """Two reports of one run are the same bytes (no clock inside); the run folder keeps its
    files; a workbook inside the run folder is refused (exit 2) and nothing is written."""
    before = sorted(p.name for p in small_run.rglob("*"))
    write_report(ReportRequest(small_run, tmp_path / "a.xlsx"))
    write_report(ReportRequest(small_run, tmp_path / "b.xlsx"))
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    inside = invoke("report", "--run", str(small_run), "--out", small_run / "book.xlsx")
    assert inside.exit_code == 2
    assert "inside the run folder" in inside.stderr
    assert sorted(p.name for p in small_run.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.by_group.csv",
        "a.xlsx",
        "b.by_group.csv",
        "b.xlsx",
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--by", "unti"), "did you mean 'unit'?"),
        (("--report-currency", "USD"), "go together"),
        (("--report-currency", "USX", "--rates", str(RATES)), "did you mean USD?"),
    ],
)
def test_a_wrong_option_is_a_usage_error(
    small_run: Path, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    """Exit 2, one line saying what to do, no traceback, no file."""
    done = invoke("report", "--run", str(small_run), "--out", tmp_path / "x.xlsx", *args)
    assert done.exit_code == 2, done.output
    assert words in done.stderr
    assert "Traceback" not in done.output
    assert list(tmp_path.iterdir()) == []


def test_a_what_if_run_carries_a_banner(small_run: Path, tmp_path: Path) -> None:
    """A run whose manifest says "what_if": true gets a banner on the Summary sheet, each
    override of its layers on a line below; the real run's has none."""
    copy = tmp_path / "whatif"
    shutil.copytree(small_run, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["what_if"] = True
    manifest["layers"] = [
        {
            "layer": "--set",
            "overrides": [
                {"policy": "small-bonus", "path": "factor", "value": "150%", "policy_says": None}
            ],
        }
    ]
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_report(ReportRequest(copy, tmp_path / "w.xlsx"))
    write_report(ReportRequest(small_run, tmp_path / "real.xlsx"))

    def banner(path: Path) -> bool:
        summary = openpyxl.load_workbook(path)["Summary"]
        return any(
            str(c.value).startswith("WHAT-IF RUN") for row in summary.iter_rows() for c in row
        )

    assert banner(tmp_path / "w.xlsx")
    texts = [
        c.value
        for row in openpyxl.load_workbook(tmp_path / "w.xlsx")["Summary"].iter_rows()
        for c in row
    ]
    assert "small-bonus: factor = 150% (set by --set; not in the policy)" in texts
    assert not banner(tmp_path / "real.xlsx")


def test_libreoffice_opens_the_workbook(sample_book: Path, tmp_path: Path) -> None:
    """Where LibreOffice is installed, it converts the workbook without complaint."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the openpyxl reload tests stand")
    done = subprocess.run(
        [soffice, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(sample_book)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.csv").exists()


def test_percentages_are_excel_percentages_and_reasons_text(sample_book: Path) -> None:
    """A percent step (merit's compa_ratio, merit_pct) is a fraction shown as a percentage; a
    reason (zero_reason) and a date (effective_date) stay text; a goal's weight in the
    breakdown is a percentage too."""
    book = openpyxl.load_workbook(sample_book)
    merit = book["Results merit-2027"]
    header = [c.value for c in merit[1]]
    row = {name: cell for name, cell in zip(header, merit[2], strict=True)}
    assert (row["compa_ratio"].value, row["compa_ratio"].number_format) == (0.84, "0.00%")
    assert row["merit_pct"].number_format == "0.00%"
    assert (row["effective_date"].value, row["effective_date"].data_type) == ("2027-04-01", "s")
    reasons = [c.value for c in merit["D"] if c.value and c.row > 1]
    assert reasons and all(isinstance(r, str) for r in reasons)
    bonus = book["Breakdown annual-bonus-2026"]
    header = [c.value for c in bonus[1]]
    weight = bonus.cell(2, header.index("individual.goal1.weight") + 1)
    assert weight.data_type == "n" and weight.number_format == "0.00%"


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_any_text_cell_reads_back_as_written(cells: list[str]) -> None:
    """Whatever a text cell holds (markup, quotes, spaces at either end, line breaks, a
    formula start), the sheet XML parses and gives the text back: less only the characters XML
    cannot hold, and the run folder's formula guard `'` before =, +, -, @."""
    from xml.etree import ElementTree

    from incentives.reports.sheet_xml import SheetColumn, rows_xml

    columns = [SheetColumn(f"c{i}") for i in range(len(cells))]
    xml = next(rows_xml([(cells, "USD")], columns, {"percent": 1, "number": 0}, {}))
    got = ["".join(c.itertext()) for c in ElementTree.fromstring(xml)]
    bad = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    expected = [
        bad.sub("", c[1:] if c.startswith(("'=", "'+", "'-", "'@", "'\t", "'\r")) else c)
        for c in cells
        if c
    ]
    assert got == expected


def test_shares_are_never_added_to_money_and_by_currency_is_one_column(tmp_path: Path) -> None:
    """tests/policies/valid/share_conversion_declared.yaml: 001 defers 40 % of 15,000.00 into
    126 shares and 40.20 of cash; 002 takes 15,000.00 in cash. The by-group total is money
    only: 9,000.00 + 15,000.00 + 40.20 = 24,040.20 (never + 126 shares), and `--by currency`
    groups as every row already does (one currency column, not two)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    policy = Path(__file__).parent / "policies" / "valid" / "share_conversion_declared.yaml"
    shutil.copy(policy, rules / policy.name)
    roster = tmp_path / "employees.csv"
    roster.write_text(
        "employee_id,currency,salary,target_pct,deferral_pct\n"
        "001,USD,100000,15%,\n002,USD,100000,15%,0%\n",
        encoding="utf-8",
    )
    run_job(RunRequest(rules=rules, employees=roster, out=tmp_path / "run"))
    write_report(ReportRequest(run=tmp_path / "run", out=tmp_path / "r.xlsx", by=("currency",)))
    header = (tmp_path / "r.by_group.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",").count("currency") == 1
    (row,) = _csv(tmp_path / "r.by_group.csv")
    assert row["total"] == "24040.20"
    assert "total DSU" not in row


def test_a_second_workbook_in_the_folder_keeps_the_first_ones_csv(
    small_run: Path, tmp_path: Path
) -> None:
    """Each workbook's summary by group is named after it (report.xlsx → report.by_group.csv):
    a second report into the same folder leaves the first one's CSV as it was. A CSV already
    there under the workbook's name is refused without --force, like the workbook."""
    invoke("report", "--run", str(small_run), "--out", tmp_path / "report.xlsx", "--by", "unit")
    first = (tmp_path / "report.by_group.csv").read_bytes()
    other = tmp_path / "other.xlsx"
    done = invoke("report", "--run", str(small_run), "--out", other, "--by", "currency")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "report.by_group.csv").read_bytes() == first
    assert "unit" not in _csv(tmp_path / "other.by_group.csv")[0]
    other.unlink()
    again = invoke("report", "--run", str(small_run), "--out", other)
    assert again.exit_code == 2
    assert "other.by_group.csv" in again.stderr and "--force" in again.stderr
    forced = invoke("report", "--run", str(small_run), "--out", other, "--force")
    assert forced.exit_code == 0, forced.output


MERIT = policy_yaml(
    """
    steps:
      current_salary: {formula: "salary", type: money}
      range_midpoint: {formula: "70000", type: money}
      compa_ratio: {formula: "current_salary / range_midpoint", type: percent}
      new_salary: {formula: "current_salary + 2000", type: money}
      salary_increase: {formula: "new_salary - current_salary", type: money}
    pay:
      - {name: merit_increase, step: salary_increase, pay_code: MERIT, round: {step: 0.01}}
    """,
    policy_id="small-merit",
    kind="merit",
    inputs="""
    unit: {type: text}
    salary: {type: decimal, min: 0}
    fte: {type: decimal, required: false, default: 1}
    """,
)


def test_merit_figures_weigh_each_employee_by_fte_from_inputs_csv(
    tmp_path: Path, policy_file: Callable[..., Path]
) -> None:
    """A full-time employee on 50,000 and a half-time one on 40,000 (FTE in inputs.csv only),
    each +2,000 a year from the payout date, 15 March 2027, midpoint 70,000. Eligible payroll
    50,000 + 40,000 × 0.5 = 70,000.00; annualised 2,000 + 2,000 × 0.5 = 3,000.00, 4.2857 % of
    payroll; in 2027, 292 of 365 days: 2,400.00. Compa-ratios 5/7 and 4/7 average 9/14 =
    0.642857 (the breakdown's 6 decimals, 0.714286 and 0.571429, would average 0.6428575)."""
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,plan,currency,unit,salary,fte\nF1,AIP,USD,Ops,50000,1\nP1,AIP,USD,Ops,40000,0.5\n",
        encoding="utf-8",
    )
    run_job(RunRequest(rules=policy_file(MERIT).parent, employees=roster, out=tmp_path / "run"))
    assert "fte" not in (tmp_path / "run" / "breakdown" / "small-merit.csv").read_text("utf-8")
    done = write_report(ReportRequest(tmp_path / "run", tmp_path / "r.xlsx"))
    (row,) = _csv(done.by_group_csv)
    figures = ["total", "eligible_payroll", "spend_pct_of_payroll", "in_year_cost",
               "annualised_cost", "compa_ratio_before_avg", "compa_ratio_after_avg"]  # fmt: skip
    assert [row[f] for f in figures] == [
        "4000.00", "70000.00", "0.042857", "2400.00", "3000.00", "0.642857", "0.671429"
    ]  # fmt: skip


def test_a_policy_keeping_fte_in_its_breakdown_is_read_from_there(
    tmp_path: Path, policy_file: Callable[..., Path]
) -> None:
    """A bonus policy reads FTE with default 1 (inputs.csv holds that), the merit policy with
    default 0.5 (its breakdown keeps its own): an employee on 50,000 with no FTE is half time
    for merit, eligible payroll 25,000.00, and the increase 2,000 × 0.5 = 1,000.00."""
    policy_file(MERIT.replace("default: 1}", "default: 0.5}"), "merit.yaml")
    bonus = policy_yaml(
        """
        steps:
          award: {formula: "salary * fte * 0.1", type: money}
        pay:
          - {name: bonus, step: award, pay_code: BON, round: {step: 0.01}}
        """,
        policy_id="small-bonus",
        inputs="""
        unit: {type: text}
        salary: {type: decimal, min: 0}
        fte: {type: decimal, required: false, default: 1}
        """,
    )
    rules = policy_file(bonus, "bonus.yaml").parent
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id,plan,currency,unit,salary,fte\nE1,AIP,USD,Ops,50000,\n")
    run_job(RunRequest(rules=rules, employees=roster, out=tmp_path / "run"))
    assert "fte" in (tmp_path / "run" / "breakdown" / "small-merit.csv").read_text("utf-8")
    done = write_report(ReportRequest(tmp_path / "run", tmp_path / "r.xlsx"))
    rows = {r["policy"]: r for r in _csv(done.by_group_csv)}
    merit = rows["small-merit"]
    assert [merit["eligible_payroll"], merit["annualised_cost"]] == ["25000.00", "1000.00"]
    assert rows["small-bonus"]["total"] == "5000.00"


def test_a_workbook_into_a_new_folder_makes_the_folder(small_run: Path, tmp_path: Path) -> None:
    """`report --out rep/report.xlsx` where rep/ does not exist yet writes it there, as
    `payroll --out pay/bonus.csv` does (it said 'No such file or directory' before)."""
    out = tmp_path / "rep" / "report.xlsx"
    done = invoke("report", "--run", str(small_run), "--out", str(out))
    assert done.exit_code == 0, done.output
    assert out.is_file() and (tmp_path / "rep" / "report.by_group.csv").is_file()
