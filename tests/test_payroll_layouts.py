"""Layout options on the sample run: payment dates per country, a file per currency, a decimal
comma with another delimiter, roster fields from the roster the run read, and amounts in each
currency's minor unit, implied or written (JPY 0 decimals, BHD 3)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import EMPLOYEES, SAMPLE_ARGS, CliRun
from incentives.errors import OptionsError
from incentives.payroll import export, load_layout
from incentives.payroll.render import amount_text, parse_amount
from payroll_helpers import read_lines


def _layout(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "layout.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_payment_dates_per_country(sample_run: CliRun, tmp_path: Path) -> None:
    """``payment_date: by: roster.country``: DE and GB employees are paid on their dates,
    the others on their policy's payout date (bonus 2027-03-15, merit 2027-04-01)."""
    assert sample_run.out is not None
    layout = _layout(
        tmp_path,
        "name: dates\npayment_date:\n  by: roster.country\n"
        "  dates: {DE: 2027-03-31, GB: 2027-03-28}\n"
        "columns:\n  - {name: id, from: employee_id}\n  - {name: code, from: pay_code}\n"
        "  - {name: date, from: payment_date}\n  - {name: currency, from: currency}\n",
    )
    export(sample_run.out, layout, tmp_path / "p.csv")
    dates = {(r["id"], r["code"]): r["date"] for r in read_lines(tmp_path / "p.csv")}
    assert dates[("00039", "AIP")] == "2027-03-31"  # DE
    assert dates[("00040", "MERIT")] == "2027-03-28"  # GB: the country's date, whatever the code
    assert dates[("00001", "AIP")] == "2027-03-15" and dates[("00001", "MERIT")] == "2027-04-01"


def test_a_country_without_a_date_is_an_error_when_the_layout_says(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """``otherwise: error``: an employee whose country has no date stops the export."""
    assert sample_run.out is not None
    layout = _layout(
        tmp_path,
        "name: dates\npayment_date:\n  by: roster.country\n  dates: {DE: 2027-03-31}\n"
        "  otherwise: error\ncolumns:\n  - {from: employee_id}\n  - {from: payment_date}\n"
        "  - {from: currency}\n",
    )
    with pytest.raises(
        OptionsError, match=r"employee '00001': roster.country = 'US' has no payment date"
    ):
        export(sample_run.out, layout, tmp_path / "p.csv")


def test_a_file_per_currency_with_a_decimal_comma(sample_run: CliRun, tmp_path: Path) -> None:
    """``split_by: currency``, ``delimiter: ";"``, ``decimal_separator: ","``, ``quoting:
    all``: p-EUR.csv, p-GBP.csv and p-USD.csv, amounts as 2044,10."""
    assert sample_run.out is not None
    layout = _layout(
        tmp_path,
        'name: comma\nsplit_by: currency\ndelimiter: ";"\ndecimal_separator: ","\n'
        "quoting: all\ncolumns:\n  - {name: id, from: employee_id}\n"
        "  - {name: amount, from: amount}\n",
    )
    export(sample_run.out, layout, tmp_path / "p.csv")
    assert sorted(p.name for p in tmp_path.glob("p-*.csv")) == [
        "p-EUR.csv",
        "p-GBP.csv",
        "p-USD.csv",
    ]
    lines = (tmp_path / "p-USD.csv").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ['"id";"amount"', '"00001";"2044,10"']


def test_a_decimal_comma_cannot_be_the_delimiter(tmp_path: Path) -> None:
    """A layout whose decimal separator is its delimiter is refused at its file:line."""
    layout = _layout(tmp_path, 'name: x\ndecimal_separator: ","\ncolumns:\n  - {from: amount}\n')
    with pytest.raises(
        OptionsError,
        match=rf"{layout}:2: decimal_separator: the decimal separator cannot be the delimiter",
    ):
        load_layout(layout)


def test_roster_fields_come_from_the_roster_the_run_read(
    tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """A field no policy reads (goal1_name) comes from the roster the manifest names, if it
    is still the file the run read; changed since, it is not used, and the message says so."""
    roster = shutil.copy(EMPLOYEES, tmp_path / "roster.csv")
    args = list(SAMPLE_ARGS)
    args[args.index("--employees") + 1] = str(roster)
    assert cli("run", *args, "--out", tmp_path / "run").exit_code == 0
    layout = _layout(
        tmp_path,
        "name: goals\ncolumns:\n  - {from: employee_id}\n  - {from: roster.goal1_name}\n"
        "  - {from: currency}\n",
    )
    export(tmp_path / "run", layout, tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_text().splitlines()[1] == "00001,Revenue,USD"
    with Path(roster).open("a", encoding="utf-8") as f:
        f.write("\n")
    with pytest.raises(OptionsError, match="has changed since the run"):
        export(tmp_path / "run", layout, tmp_path / "q.csv")


@pytest.mark.parametrize(
    ("amount", "currency", "implied", "text"),
    [
        ("1500", "JPY", False, "1500"),
        ("1500", "JPY", True, "1500"),
        ("12.345", "BHD", False, "12.345"),
        ("12.345", "BHD", True, "12345"),
        ("-2044.10", "USD", True, "204410-"),
        ("0.50", "KWD", True, "500"),
    ],
)
def test_amounts_in_the_currency_minor_unit(
    tmp_path: Path, amount: str, currency: str, implied: bool, text: str
) -> None:
    """JPY has no decimals and BHD three, written or implied; a trailing sign; the text reads
    back as the same amount."""
    layout = load_layout(
        _layout(
            tmp_path,
            f"name: m\nimplied_decimals: {str(implied).lower()}\nsign: trailing\n"
            "columns:\n  - {from: amount}\n",
        )
    )
    assert amount_text(layout, Decimal(amount), currency, "x", signed=True) == text
    assert parse_amount(layout, text, currency) == Decimal(amount)


def test_more_decimals_than_the_minor_unit_is_an_error(tmp_path: Path) -> None:
    """An amount is never rounded on the way out: 1500.5 JPY is an error."""
    layout = load_layout(_layout(tmp_path, "name: m\ncolumns:\n  - {from: amount}\n"))
    with pytest.raises(OptionsError, match="more decimals than the currency's minor unit"):
        amount_text(layout, Decimal("1500.5"), "JPY", "employee '1'", signed=True)


def test_quoted_values_are_read_back_whole(sample_run: CliRun, tmp_path: Path) -> None:
    """A name holding the delimiter, a quote and a line end is quoted, the file reconciles
    (its amounts read back by a CSV reader), and ``quoting: none`` refuses such a value."""
    assert sample_run.out is not None
    names = tmp_path / "names.csv"
    names.write_text('employee_id,display_name\n00001,"Stone, ""Avery""\nA."\n', encoding="utf-8")
    text = "name: n\ncolumns:\n  - {from: roster.display_name}\n  - {from: amount}\n  - {from: currency}\n"
    export(sample_run.out, _layout(tmp_path, text), tmp_path / "p.csv", roster=names)
    rows = read_lines(tmp_path / "p.csv")
    assert rows[0] == {
        "roster.display_name": 'Stone, "Avery"\nA.',
        "amount": "2044.10",
        "currency": "USD",
    }
    bare = _layout(tmp_path, text.replace("name: n\n", "name: n\nquoting: none\n"))
    with pytest.raises(OptionsError, match="which quoting: none cannot write"):
        export(sample_run.out, bare, tmp_path / "q.csv", roster=names)


def test_a_file_without_a_currency_column_holds_one_currency(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """The earnings batch has no currency column: unsplit, the sample's file would mix EUR,
    GBP and USD, which is refused, naming the currencies and the way out."""
    assert sample_run.out is not None
    text = Path(load_layout("earnings_batch").file).read_text(encoding="utf-8")
    layout = _layout(tmp_path, text.replace("split_by: roster.country", "split_by: null"))
    with pytest.raises(OptionsError, match="would hold EUR, GBP, USD with no currency column"):
        export(sample_run.out, layout, tmp_path / "p.csv")


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        (
            "pay_codes: [AIP, AIPP]",
            "pay code 'AIPP' is not one of the run's (AIP, AIPX, LUMP, MERIT, SIP)",
        ),
        ("except_pay_codes: [MERTI]", "pay code 'MERTI' is not one of the run's"),
    ],
)
def test_a_misspelt_pay_code_is_an_error(
    sample_run: CliRun, tmp_path: Path, lines: str, says: str
) -> None:
    """``pay_codes: [AIPP]`` would export nothing and still reconcile; ``except_pay_codes:
    [MERTI]`` would pay the merit increase as a one-time payment: both are errors at their
    line, with a suggestion."""
    assert sample_run.out is not None
    layout = _layout(
        tmp_path,
        f"name: x\nlines:\n  {lines}\ncolumns:\n  - {{from: amount}}\n  - {{from: currency}}\n",
    )
    with pytest.raises(OptionsError, match=rf"{layout}:3: {re.escape(says)}.*did you mean"):
        export(sample_run.out, layout, tmp_path / "p.csv")


def test_an_absent_excluded_code_is_fine(sample_run: CliRun, tmp_path: Path) -> None:
    """Excluding a code the run does not have (and resembles none it has) is no error: the
    shipped one-time layout excludes MERIT, also from runs without merit."""
    assert sample_run.out is not None
    layout = _layout(
        tmp_path,
        "name: x\nlines:\n  except_pay_codes: [MERIT, SALES_COMMISSION]\n"
        "columns:\n  - {from: amount}\n  - {from: currency}\n",
    )
    export(sample_run.out, layout, tmp_path / "p.csv")


@pytest.mark.parametrize(
    ("encoding", "bom", "data"),
    [
        ("utf-8", "false", b"a\xc3\xa9\n"),
        ("utf-8", "true", b"\xef\xbb\xbfa\xc3\xa9\n"),
        ("latin-1", "false", b"a\xe9\n"),
        ("utf-16", "true", b"\xff\xfea\x00\xe9\x00\n\x00"),
        ("utf-16", "false", b"a\x00\xe9\x00\n\x00"),
    ],
)
def test_the_bytes_in_the_layout_encoding(
    tmp_path: Path, encoding: str, bom: str, data: bytes
) -> None:
    """The file's bytes in the declared encoding, with a byte-order mark only when asked."""
    from incentives.payroll.render import encode

    layout = load_layout(
        _layout(
            tmp_path, f"name: e\nencoding: {encoding}\nbom: {bom}\ncolumns: [{{from: amount}}]\n"
        )
    )
    assert encode(layout, "aé\n") == data


def test_a_byte_order_mark_needs_a_unicode_encoding(tmp_path: Path) -> None:
    """``bom: true`` with latin-1 is a layout error at the bom line."""
    layout = _layout(tmp_path, "name: e\nencoding: latin-1\nbom: true\ncolumns: [{from: amount}]\n")
    with pytest.raises(OptionsError, match=rf"{layout}:3: bom: a byte-order mark is for utf-8"):
        load_layout(layout)
