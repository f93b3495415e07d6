"""Inputs from Excel: .xlsx sheets built here with openpyxl, read as the CSV they describe."""

from __future__ import annotations

import csv
import datetime
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES, SAMPLE_ARGS, CliRun
from incentives.errors import IncentivesError, InputFileError
from incentives.io import open_roster, read_rates
from incentives.io.column_map import load_column_map
from incentives.io.roster import Roster
from incentives.io.sheet_cells import SheetError, excel_decimal
from incentives.io.sheet_table import open_table
from incentives.io.workbook import MAX_RATIO
from incentives.jobs import RunRequest, run_job
from incentives.model import EmployeeInput, Rejection

Cli = Callable[..., CliRun]


def book(
    path: Path, *rows: list[Any], title: str = "Roster", edit: Callable[[Any], None] | None = None
) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if edit is not None:
        edit(workbook)
    workbook.save(path)
    return path


def patch_part(path: Path, part: str, change: Callable[[str], str]) -> Path:
    """Rewrite one XML part of a saved workbook (what openpyxl cannot write, e.g. a formula with
    a saved value)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[part] = change(parts[part].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def cells(roster: Roster) -> list[dict[str, object]]:
    return [row.cells for row in roster if isinstance(row, EmployeeInput)]


# -- the table: title block, merged headers ---------------------------------------------------


def test_header_below_a_title_block_and_rows_on_their_sheet_lines(tmp_path: Path) -> None:
    """Rows above the header (a title, a date, a blank) are skipped; each employee's line is
    its sheet row, and empty trailing rows are not records."""
    path = book(
        tmp_path / "r.xlsx",
        ["Bonus roster 2026"],
        ["Exported", datetime.date(2026, 12, 7)],
        [],
        ["employee_id", "name"],
        ["00001", "Avery"],
        [None, None],
        ["00002", "Blake"],
        [None, None],
        [None, None],
    )
    roster = open_roster(path)
    assert roster.record_count == 2
    found = [row for row in roster if isinstance(row, EmployeeInput)]
    assert [(r.employee_id, r.source.line, r.source.record) for r in found] == [
        ("00001", 5, 1),
        ("00002", 7, 2),
    ]
    assert found[0].source.file == f"{path}[Roster]"


def test_merged_header_cells(tmp_path: Path) -> None:
    """A header cell merged down two rows heads a two-row header: the cells merged across
    name groups (``Goal 1`` over ``target`` gives ``goal1 target``); a header merged across
    columns with nothing below names its first column only."""

    def merge(workbook: Any) -> None:
        sheet = workbook.active
        sheet.merge_cells("A2:A3")
        sheet.merge_cells("B2:C3")  # name, across a spacer column
        sheet.merge_cells("D2:E2")

    path = book(
        tmp_path / "m.xlsx",
        ["Roster with groups"],
        ["employee_id", "name", None, "goal1", None],
        [None, None, None, "target", "actual"],
        ["7", "Zoe", "ignored", 10, 12],
        edit=merge,
    )
    table = open_table(path, required=["employee_id"])
    assert table.columns == ("employee_id", "name", "goal1 target", "goal1 actual")
    assert table.header_line == 2
    [record] = list(table.records())
    assert (record.line, list(record.fields)) == (4, ["7", "Zoe", "10", "12"])


# -- values: numbers, ids, dates ---------------------------------------------------------------


def test_stored_numbers_reach_the_engine_at_15_significant_digits(tmp_path: Path) -> None:
    """0.1+0.2 saved as 0.30000000000000004 gives 0.3; the display format never matters (1500
    shown as 1,500.00 gives 1500); text numbers lose their thousands separators in a number
    column only; ids keep their zeros as text or as a number formatted 00000."""

    def formats(workbook: Any) -> None:
        sheet = workbook.active
        sheet["A3"].number_format = "00000"
        sheet["C2"].number_format = "#,##0.00"

    path = book(
        tmp_path / "n.xlsx",
        ["employee_id", "fte", "base_salary", "name", "adjustment"],
        ["00041", 0.5, 1500, "1,500.00", "1,500.00"],
        [42, 1, 2500.25, "x", "12O,000"],
    )
    path = book(path, *_rows(path), edit=formats)
    patch_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            r'<c r="B2"([^>]*)><v>0.5</v></c>',
            r'<c r="B2"\1><f>0.1+0.2</f><v>0.30000000000000004</v></c>',
            xml,
        ),
    )
    roster = open_roster(
        path, kinds={"fte": "number", "base_salary": "number", "adjustment": "number"}
    )
    first, second = cells(roster)
    assert first == {
        "employee_id": "00041",
        "fte": "0.3",
        "base_salary": "1500",
        "name": "1,500.00",  # a text column keeps its text
        "adjustment": "1500.00",
    }
    assert second["employee_id"] == "00042"
    assert second["base_salary"] == "2500.25"
    assert second["adjustment"] == "12O,000"  # passed on: the engine rejects it, on row 3


def _rows(path: Path) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(path).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize(
    ("stored", "text"),
    [
        ("0.30000000000000004", "0.3"),
        ("1500", "1500"),
        ("1.0E+20", "100000000000000000000"),
        ("123456789.123456789", "123456789.123457"),
        ("-0.1", "-0.1"),
        ("2.5E-7", "0.00000025"),
        ("0", "0"),
    ],
)
def test_excel_decimal(stored: str, text: str) -> None:
    """A stored number as the engine reads it: 15 significant digits, no exponent, no zeros."""
    from decimal import Decimal

    assert excel_decimal(Decimal(stored)) == text


@pytest.mark.parametrize("mac", [False, True])
def test_serial_and_text_dates(tmp_path: Path, mac: bool) -> None:
    """A date cell, a plain serial number in a date column (in the workbook's own date system:
    45292 is 2024-01-01 from 1900, 43830 from 1904) and dates typed as text all give ISO dates."""
    serial = 43830 if mac else 45292

    def system(workbook: Any) -> None:
        if mac:
            workbook.epoch = CALENDAR_MAC_1904

    path = book(
        tmp_path / "d.xlsx",
        ["employee_id", "hire_date", "termination_date", "level_start_date"],
        ["1", datetime.date(2024, 1, 1), serial, "2024-01-01"],
        ["2", "1 Jan 2024", "2024/01/01", "01/02/2024"],
        edit=system,
    )
    kinds = dict.fromkeys(("hire_date", "termination_date", "level_start_date"), "date")
    first, second = cells(open_roster(path, kinds=kinds))
    assert first == {
        "employee_id": "1",
        "hire_date": "2024-01-01",
        "termination_date": "2024-01-01",
        "level_start_date": "2024-01-01",
    }
    # 01/02/2024 can be read two ways: passed on as typed (the engine says it is no date)
    assert [second[k] for k in kinds] == ["2024-01-01", "2024-01-01", "01/02/2024"]


def test_a_declared_text_date_format(tmp_path: Path) -> None:
    """A mapping's date_formats reads 01/02/2024 the way the export writes it."""
    path = book(tmp_path / "d.xlsx", ["employee_id", "hire_date"], ["1", "01/02/2024"])
    mapping = tmp_path / "map.yaml"
    mapping.write_text('columns:\n  employee_id: employee_id\ndate_formats: ["%d/%m/%Y"]\n')
    roster = open_roster(path, columns=mapping, kinds={"hire_date": "date"})  # a file, read
    assert cells(roster)[0]["hire_date"] == "2024-02-01"


# -- errors --------------------------------------------------------------------------------------


def test_formula_without_a_saved_value(tmp_path: Path) -> None:
    """A formula never calculated (a workbook written by a program) is an error at its cell."""
    path = book(tmp_path / "f.xlsx", ["employee_id", "base_salary"], ["1", "=C2*12"])
    with pytest.raises(SheetError) as raised:
        open_roster(path)
    assert str(raised.value).startswith(
        f"{path}: Roster!B2: a formula (=C2*12) without a saved value"
    )


def test_missing_and_empty_sheets(tmp_path: Path) -> None:
    """A sheet that is not there is named with the closest one; an empty sheet says so."""

    def second(workbook: Any) -> None:
        workbook.create_sheet("Ratings")

    path = book(tmp_path / "s.xlsx", ["employee_id"], ["1"], edit=second)
    with pytest.raises(
        InputFileError,
        match=r"has no sheet 'Rating' \(did you mean 'Ratings'\?\); its sheets: Roster, Ratings",
    ):
        open_roster(path, sheets={"employees": "Rating"})
    with pytest.raises(InputFileError, match="sheet 'Ratings' is empty"):
        open_roster(path, sheets={"employees": "Ratings"})


def test_no_header_row(tmp_path: Path) -> None:
    """A sheet without the id column says which row it read and what that row holds."""
    path = book(tmp_path / "h.xlsx", ["Title"], ["id", "name"], ["1", "x"])
    with pytest.raises(
        InputFileError, match=r"no row of the first 100 names the column\(s\) employee_id"
    ):
        open_roster(path)


def test_missing_column_in_the_header_row(tmp_path: Path) -> None:
    """Required columns missing from the header row found are listed, with a suggestion."""
    path = book(tmp_path / "h.xlsx", ["employee_id", "base_salry"], ["1", 2])
    with pytest.raises(
        InputFileError,
        match=r"Roster!1:1: the header row: missing required column 'base_salary' \(did you mean 'base_salry'\?\)",
    ):
        open_roster(path, required_columns=["base_salary"])


def test_xls_and_encrypted_workbooks(tmp_path: Path) -> None:
    """An Excel 97-2003 file and a password-protected workbook (both OLE files) say what they
    are and how to save them."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
    xls = tmp_path / "old.xls"
    xls.write_bytes(ole)
    with pytest.raises(InputFileError, match=r"Excel 97-2003 workbook \(.xls\)"):
        open_roster(xls)
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(ole + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100)
    with pytest.raises(InputFileError, match="password-protected"):
        open_roster(locked)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("employee_id\n1\n")
    with pytest.raises(InputFileError, match="not a zip archive"):
        open_roster(fake)


def test_zip_bomb_and_entity_expansion_are_refused(tmp_path: Path) -> None:
    """A part that inflates far beyond its size, and XML declaring entities, are refused before
    anything is parsed: errors, never a traceback or a memory blow-up."""
    bomb = book(tmp_path / "bomb.xlsx", ["employee_id"], ["1"])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.xml", b"<a>" + b" " * (8 * 2**20) + b"</a>")
    with pytest.raises(
        InputFileError, match=rf"inflates \d[\d,]* times its size .* the limit is {MAX_RATIO}"
    ):
        open_roster(bomb)
    laughs = '<!DOCTYPE worksheet [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    path = book(tmp_path / "ent.xlsx", ["employee_id"], ["1"])
    patch_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("<worksheet", laughs + "<worksheet", 1).replace(">1<", ">&b;<"),
    )
    with pytest.raises(InputFileError, match="refused"):
        open_roster(path)


def test_sheet_for_a_csv_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("employee_id\n1\n")
    with pytest.raises(
        InputFileError, match=r"--sheet Roster is given but the roster is not \.xlsx"
    ):
        open_roster(path, sheets={"employees": "Roster"})


# -- other inputs --------------------------------------------------------------------------------


def test_rates_from_a_sheet(tmp_path: Path) -> None:
    """Plan inputs read from .xlsx too: a date cell and a rate number."""
    path = book(
        tmp_path / "rates.xlsx",
        ["date", "from", "to", "rate_type", "rate"],
        [datetime.date(2026, 12, 31), "USD", "EUR", "average", 0.92],
        title="Rates",
    )
    rates = read_rates(path, sheet="Rates")
    from decimal import Decimal

    assert rates.rate("USD", "EUR", "average", datetime.date(2026, 12, 31)) == Decimal("0.92")


# -- whole runs ----------------------------------------------------------------------------------


def xlsx_copy(
    source: Path,
    target: Path,
    title: str = "Roster",
    rename: dict[str, str] | None = None,
    codes: dict[str, dict[str, str]] | None = None,
) -> Path:
    """A workbook holding a CSV file below a title block: numbers stored as numbers, dates as
    dates, ids and percentages as text (as an HR system's export holds them)."""
    with source.open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    rename = rename or {}
    codes = codes or {}
    out: list[list[Any]] = [["Sample roster"], ["exported 2026-12-07"], []]
    out.append([rename.get(name, name) for name in header])
    for row in rows:
        values: list[Any] = []
        for name, text in zip(header, row, strict=True):
            text = codes.get(name, {}).get(text, text)
            if re.fullmatch(r"-?[1-9]\d*|0", text):
                values.append(int(text))
            elif re.fullmatch(r"-?\d+\.\d+", text):
                values.append(float(text))
            elif re.fullmatch(r"\d{4}-\d\d-\d\d", text):
                values.append(datetime.date.fromisoformat(text))
            else:
                values.append(text or None)
        out.append(values)
    return book(target, *out, title=title)


def test_sample_from_xlsx_through_the_cli_gives_the_same_results(cli: Cli, tmp_path: Path) -> None:
    """The bundled sample run from an .xlsx copy of its roster writes byte-identical files
    (results, breakdowns, rejected): only the manifest's input path and hash differ."""
    xlsx = xlsx_copy(EMPLOYEES, tmp_path / "employees.xlsx")
    xlsx_args = [str(xlsx) if arg == str(EMPLOYEES) else arg for arg in SAMPLE_ARGS]
    from_csv = cli("run", *SAMPLE_ARGS, "--out", str(tmp_path / "a"))
    from_xlsx = cli("run", *xlsx_args, "--sheet", "Roster", "--out", str(tmp_path / "b"))
    assert from_csv.exit_code == from_xlsx.exit_code == 0, from_xlsx.stderr
    for name in (
        "results.csv",
        "inputs.csv",
        "rejected.csv",
        "not_covered.csv",
        "budgets.csv",
        "pools.csv",
        *(f"breakdown/{path.name}" for path in (tmp_path / "a" / "breakdown").iterdir()),
    ):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    import json

    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["inputs"]["employees"]["sheet"] == "Roster"


HRIS = {"employee_id": "Employee ID", "base_salary": "Annual Base Salary", "rating": "Perf Rating"}
CODES = {
    "Exceptional": "EX",
    "Exceeds": "EE",
    "Meets": "ME",
    "Partially meets": "PM",
    "Below": "BE",
}


def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yaml"
    lines = ["columns:"] + [f"  {field}: {header}" for field, header in HRIS.items()]
    lines += ["values:", "  rating:"] + [f"    {code}: {label}" for label, code in CODES.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def hris_csv(tmp_path: Path) -> Path:
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    at = header.index("rating")
    path = tmp_path / "hris.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([HRIS.get(name, name) for name in header])
        for row in rows:
            row[at] = CODES.get(row[at], row[at])
            writer.writerow(row)
    return path


def test_mapping_round_trip(tmp_path: Path) -> None:
    """An HRIS export (its own headers, rating codes) through a mapping file, as CSV and as
    .xlsx, gives the results.csv of the sample roster itself."""
    mapping = mapping_file(tmp_path)
    rated = {field: dict((label, code) for label, code in CODES.items()) for field in ("rating",)}
    sources = {
        "csv": EMPLOYEES,
        "mapped-csv": hris_csv(tmp_path),
        "mapped-xlsx": xlsx_copy(EMPLOYEES, tmp_path / "hris.xlsx", rename=HRIS, codes=rated),
    }
    results = {}
    for name, roster in sources.items():
        out = tmp_path / name
        run_job(
            RunRequest(
                rules=RULES,
                employees=roster,
                out=out,
                rates=RATES,
                ratings=RATINGS,
                history=HISTORY,
                columns=None if name == "csv" else mapping,
            )
        )
        results[name] = (out / "results.csv").read_bytes()
    assert results["mapped-csv"] == results["csv"]
    assert results["mapped-xlsx"] == results["csv"]


def test_unmapped_required_fields_are_listed_in_one_error(tmp_path: Path) -> None:
    """Before anything runs, every required field the export lacks is listed, each with the
    export header that looks like it."""
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  employee_id: Employee ID\n")
    with pytest.raises(InputFileError) as raised:
        run_job(
            RunRequest(
                rules=RULES,
                employees=hris_csv(tmp_path),
                out=tmp_path / "o",
                columns=mapping,
                rates=RATES,
            )
        )
    message = str(raised.value)
    assert "no column for the field(s) the policies require" in message
    assert "base_salary (the column 'Annual Base Salary'?)" in message
    assert "rating (the column 'Perf Rating'?)" in message
    assert not (tmp_path / "o").exists()


def test_mapping_errors_name_their_line(tmp_path: Path) -> None:
    """A misspelt field, or a header the export lacks, names the mapping file's line."""
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  employee_id: Employee ID\n  base_salery: Annual Base Salary\n")
    with pytest.raises(
        InputFileError,
        match=r"mapping.yaml:3: 'base_salery' is not a field any policy reads \(did you mean 'base_salary'\?\)",
    ):
        load_column_map(mapping, ["base_salary", "rating"])
    mapping.write_text("columns:\n  employee_id: Employe ID\n")
    with pytest.raises(
        InputFileError,
        match=r"mapping.yaml:2: employee_id: the column 'Employe ID' is not in .*hris.csv \(did you mean 'Employee ID'\?\)",
    ):
        open_roster(hris_csv(tmp_path), columns=load_column_map(mapping))


def test_a_bad_number_rejects_its_row_on_its_sheet_line(tmp_path: Path) -> None:
    """A text that is no number (``12O,000``) rejects its employee, on the row's sheet line,
    like a CSV row; the run goes on."""
    xlsx = xlsx_copy(EMPLOYEES, tmp_path / "employees.xlsx")
    workbook = openpyxl.load_workbook(xlsx)
    sheet = workbook.active
    header = [cell.value for cell in sheet[4]]
    sheet.cell(row=17, column=header.index("base_salary") + 1, value="12O,000")
    workbook.save(xlsx)
    report = run_job(
        RunRequest(
            rules=RULES,
            employees=xlsx,
            out=tmp_path / "o",
            rates=RATES,
            ratings=RATINGS,
            history=HISTORY,
        )
    )
    assert report.summary.rejected == 1
    with (tmp_path / "o" / "rejected.csv").open(encoding="utf-8", newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert (row["file"], row["line"], row["column"], row["value"]) == (
        f"{xlsx}[Roster]",
        "17",
        "base_salary",
        "12O,000",
    )
    assert row["reason"].startswith("Roster!F17: '12O,000' is not a number")


def test_errors_are_incentives_errors_in_the_cli(cli: Cli, tmp_path: Path) -> None:
    """Through the CLI a workbook fault is a message and exit 1 (a fault in an input file, as
    for CSV), never a traceback."""
    path = xlsx_copy(EMPLOYEES, tmp_path / "f.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook.active["F9"] = "=E9*12"
    workbook.save(path)
    result = cli(
        "run", "--rules", str(RULES), "--employees", str(path), "--out", str(tmp_path / "o")
    )
    assert result.exit_code == 1
    assert "Roster!F9: a formula (=E9*12) without a saved value" in result.stderr
    assert "Traceback" not in result.stderr
    assert issubclass(SheetError, IncentivesError)
    _ = Rejection


def test_a_bad_rate_names_its_cell(tmp_path: Path) -> None:
    """A plan input's bad cell stops the read with the cell's name: Rates!E3."""
    path = book(
        tmp_path / "rates.xlsx",
        ["date", "from", "to", "rate_type", "rate"],
        [datetime.date(2026, 12, 31), "USD", "EUR", "average", 0.92],
        [datetime.date(2026, 12, 31), "USD", "GBP", "average", "O.8"],
        title="Rates",
    )
    with pytest.raises(SheetError) as raised:
        read_rates(path)
    assert (
        str(raised.value)
        == f"{path}: Rates!E3: 'O.8' is not a number (write e.g. 1500, 1.10, 15% or 1e3)"
    )


def test_goals_and_ratings_from_sheets_of_one_workbook(tmp_path: Path) -> None:
    """Keyed files read from two sheets of one workbook: the same goals and ratings as from
    their CSV files, each row's source naming its sheet and sheet row."""
    from conftest import FIXTURES

    goals_csv, ratings_csv = FIXTURES / "goals.csv", RATINGS
    path = xlsx_copy(goals_csv, tmp_path / "keyed.xlsx", title="Goals")
    ratings = openpyxl.load_workbook(xlsx_copy(ratings_csv, tmp_path / "r.xlsx", title="Ratings"))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.create_sheet("Ratings")
    for row in ratings.active.iter_rows(values_only=True):
        sheet.append(row)
    workbook.save(path)
    roster = FIXTURES / "employees_goalsfile.csv"
    plain = list(open_roster(roster, goals_path=goals_csv, ratings_path=ratings_csv))
    sheets = {"goals": "Goals", "ratings": "Ratings"}
    read = list(open_roster(roster, goals_path=path, ratings_path=path, sheets=sheets))
    assert len(read) == len(plain) == 4
    for mine, theirs in zip(read, plain, strict=True):
        assert isinstance(mine, EmployeeInput) and isinstance(theirs, EmployeeInput)
        assert [g[:5] for g in mine.goals] == [g[:5] for g in theirs.goals]
        assert [r[:2] for r in mine.ratings] == [r[:2] for r in theirs.ratings]
        # the sheet rows: three title rows above the header push every row down by three
        assert [g.source.line for g in mine.goals] == [g.source.line + 3 for g in theirs.goals]
        assert {g.source.file for g in mine.goals} <= {f"{path}[Goals]"}


def test_size_and_part_count_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook larger than the limit, or holding more parts, is refused before it is read."""
    from incentives.io import workbook

    path = book(tmp_path / "w.xlsx", ["employee_id"], ["1"])
    monkeypatch.setattr(workbook, "MAX_MEMBERS", 3)
    with pytest.raises(InputFileError, match=r"holds \d+ parts; the limit for a workbook is 3"):
        open_roster(path)
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_BYTES", 1000)
    with pytest.raises(InputFileError, match=r"the limit for a workbook is 1,000 bytes"):
        open_roster(path)


def test_a_mapping_file_is_read_within_the_policy_files_limits(tmp_path: Path) -> None:
    """The mapping file goes through the policy files' bounded YAML reader: a syntax error, an
    alias or an unknown key is an error with its line, never a traceback."""
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  employee_id: [Employee ID\n")
    with pytest.raises(InputFileError, match=r"mapping.yaml:\d+: invalid YAML"):
        load_column_map(mapping)
    mapping.write_text("columns:\n  employee_id: Employee ID\nvalue:\n  rating: {EE: Exceeds}\n")
    with pytest.raises(
        InputFileError, match=r"mapping.yaml:3: unknown key 'value' \(did you mean 'values'\?\)"
    ):
        load_column_map(mapping)


def test_a_workbook_with_shared_strings_as_excel_writes_it(tmp_path: Path) -> None:
    """Excel (and XlsxWriter) keep text in a shared table and formulas with their saved
    values; a date format and a zero-padded number format read as in any other workbook."""
    import xlsxwriter

    path = tmp_path / "x.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("HR export")
    padded = workbook.add_format({"num_format": "00000"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Headcount report"])
    sheet.write_row(2, 0, ["employee_id", "name", "fte", "hire_date", "unit"])
    sheet.write_number(3, 0, 42, padded)
    sheet.write_string(3, 1, "Zoë Quinn")
    sheet.write_formula(3, 2, "=0.1+0.2", None, 0.30000000000000004)
    sheet.write_datetime(3, 3, datetime.datetime(2024, 1, 1), day)
    sheet.write_string(3, 4, "Sales")
    workbook.close()
    roster = open_roster(path, sheets={"employees": "HR export"})
    [row] = [item for item in roster if isinstance(item, EmployeeInput)]
    assert row.cells == {
        "employee_id": "00042",
        "name": "Zoë Quinn",
        "fte": "0.3",
        "hire_date": "2024-01-01",
        "unit": "Sales",
    }
    assert row.source == (f"{path}[HR export]", 1, 4)


def test_sheet_per_role_on_the_command_line(cli: Cli, tmp_path: Path) -> None:
    """``--sheet ROLE=NAME`` names the sheet of another input (the rating history here, from
    the second sheet of a workbook): the same results as from its CSV file; a sheet for an input
    not given is an error before anything runs."""
    path = xlsx_copy(RATINGS, tmp_path / "book.xlsx", title="Notes")
    workbook = openpyxl.load_workbook(path)
    workbook.copy_worksheet(workbook["Notes"]).title = "Ratings"
    workbook["Notes"].delete_rows(4, 200)  # the first sheet holds no ratings
    workbook.save(path)
    args = [str(path) if arg == str(RATINGS) else arg for arg in SAMPLE_ARGS]
    from_csv = cli("run", *SAMPLE_ARGS, "--out", str(tmp_path / "a"))
    from_xlsx = cli("run", *args, "--sheet", "ratings=Ratings", "--out", str(tmp_path / "b"))
    assert from_csv.exit_code == from_xlsx.exit_code == 0, from_xlsx.stderr
    assert (tmp_path / "a" / "results.csv").read_bytes() == (
        tmp_path / "b" / "results.csv"
    ).read_bytes()
    wrong = cli("run", *SAMPLE_ARGS, "--sheet", "goals=Goals", "--out", str(tmp_path / "c"))
    assert wrong.exit_code == 1
    assert "--sheet goals=Goals is given but no --goals file" in wrong.stderr


def test_hidden_and_filtered_rows_are_read(tmp_path: Path) -> None:
    """A hidden row and rows a filter hides are read like the others (documented: a filter is
    a view, not a selection)."""

    def hide(workbook: Any) -> None:
        sheet = workbook.active
        sheet.row_dimensions[3].hidden = True
        sheet.auto_filter.ref = "A1:B4"
        sheet.auto_filter.add_filter_column(1, ["Sales"])
        sheet.row_dimensions[4].hidden = True

    path = book(
        tmp_path / "h.xlsx",
        ["employee_id", "unit"],
        ["1", "Sales"],
        ["2", "Finance"],
        ["3", "Engineering"],
        edit=hide,
    )
    assert [row["employee_id"] for row in cells(open_roster(path))] == ["1", "2", "3"]


def test_a_bad_number_names_its_cell_under_a_scenario_that_changes_inputs(tmp_path: Path) -> None:
    """The same bad cell, in a run whose scenario changes Sales' inputs (the roster the engine
    reads is then the scenario's view of the sheet): the rejection still names Roster!F17."""
    from incentives.rulebook.rulebook import load_rules
    from incentives.scenarios import load_scenario

    xlsx = xlsx_copy(EMPLOYEES, tmp_path / "employees.xlsx")
    workbook = openpyxl.load_workbook(xlsx)
    sheet = workbook.active
    header = [cell.value for cell in sheet[4]]
    sheet.cell(row=17, column=header.index("base_salary") + 1, value="12O,000")
    workbook.save(xlsx)
    scenario = load_scenario(
        RULES.parent / "fixtures" / "scenarios" / "sales_stronger.yaml", load_rules(RULES)
    )
    run_job(
        RunRequest(
            rules=RULES,
            employees=xlsx,
            out=tmp_path / "o",
            rates=RATES,
            ratings=RATINGS,
            history=HISTORY,
            scenario=scenario,
        )
    )
    with (tmp_path / "o" / "rejected.csv").open(encoding="utf-8", newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert row["reason"].startswith("Roster!F17: '12O,000' is not a number")
