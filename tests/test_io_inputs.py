"""Reading plan-level inputs: the results file and the dated rates file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from incentives.errors import InputFileError, RowError
from incentives.io.csvread import file_sha256
from incentives.io.plan_inputs import MissingRate, RateTable, ResultFigure, read_rates, read_results

RESULTS_HEADER = "policy,result,unit,field,value\n"
RATES_HEADER = "date,from,to,rate_type,rate\n"


def write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_results_are_parsed(tmp_path: Path) -> None:
    """Each line becomes a ResultFigure; percents and plain numbers are exact decimals."""
    text = RESULTS_HEADER + "aip,revenue_growth,,actual,6.2%\naip,margin,Sales,target,0.10\n"
    figures = read_results(write(tmp_path, text, "results.csv"))
    assert figures == [
        ResultFigure("aip", "revenue_growth", "", "actual", Decimal("0.062"), 2),
        ResultFigure("aip", "margin", "Sales", "target", Decimal("0.10"), 3),
    ]


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("aip,margin,,actual,12,5%", "record has 6 fields"),
        ("aip,margin,,actual,lots", "column 'value': 'lots' is not a number"),
        ("aip,margin,,goal,1", "column 'field': 'goal' is not one of threshold, target"),
        (",margin,,actual,1", "column 'policy': policy is blank"),
        ("aip,margin,,actual,1\naip,margin,,actual,2", r"given twice \(lines 3 and 4\)"),
    ],
)
def test_results_errors_name_the_line(tmp_path: Path, line: str, pattern: str) -> None:
    """One bad figure stops the read with the line and column at fault."""
    text = RESULTS_HEADER + "aip,other,,actual,1\n" + line + "\n"
    with pytest.raises(InputFileError, match=pattern) as caught:
        read_results(write(tmp_path, text, "results.csv"))
    assert caught.value.line in (3, 4)


def test_results_missing_column(tmp_path: Path) -> None:
    """A results file without its columns is refused with a suggestion."""
    with pytest.raises(InputFileError, match="'value' \\(did you mean 'values'"):
        read_results(write(tmp_path, "policy,result,unit,field,values\n", "results.csv"))


RATES = (
    RATES_HEADER
    + "2026-12-31,USD,EUR,average,0.92\n"
    + "2026-12-31,USD,EUR,closing,0.9\n"
    + "2026-06-30,USD,EUR,average,0.95\n"
    + "2026-12-31,GBP,EUR,average,1.17\n"
)


def test_rates_lookup(tmp_path: Path) -> None:
    """A rate is found by exact date, pair and type; the table keeps its path and hash."""
    path = write(tmp_path, RATES, "rates.csv")
    table = read_rates(path)
    assert table.rate("USD", "EUR", "average", date(2026, 12, 31)) == Decimal("0.92")
    assert table.rate("USD", "EUR", "closing", date(2026, 12, 31)) == Decimal("0.9")
    assert table.path == path
    assert table.sha256 == file_sha256(path)


def test_same_currency_rate_is_one(tmp_path: Path) -> None:
    """Converting a currency to itself is 1, with or without a rates file."""
    assert RateTable.empty().rate("EUR", "EUR", "average", date(2026, 1, 1)) == Decimal(1)
    table = read_rates(write(tmp_path, RATES, "rates.csv"))
    assert table.rate("JPY", "JPY", "closing", date(2020, 1, 1)) == Decimal(1)


def test_missing_rate_message(tmp_path: Path) -> None:
    """A missing rate names pair, type, date and file, and lists what the file has for the pair."""
    path = write(tmp_path, RATES, "rates.csv")
    table = read_rates(path)
    with pytest.raises(MissingRate) as caught:
        table.rate("USD", "EUR", "average", date(2026, 11, 30))
    assert isinstance(caught.value, RowError)
    assert caught.value.reason == (
        f"no average rate USD→EUR on 2026-11-30 in {path} (the file has USD→EUR: "
        "average on 2026-06-30, average on 2026-12-31, closing on 2026-12-31)"
    )


def test_inverse_rate_is_never_used(tmp_path: Path) -> None:
    """Only EUR→GBP is missing, GBP→EUR exists: the lookup fails and says why."""
    table = read_rates(write(tmp_path, RATES, "rates.csv"))
    with pytest.raises(MissingRate, match="only GBP→EUR; inverse rates are not used"):
        table.rate("EUR", "GBP", "average", date(2026, 12, 31))


def test_no_rates_file(tmp_path: Path) -> None:
    """Without a rates file every cross-currency lookup says that no file was given."""
    with pytest.raises(MissingRate, match=r"no rates file given \(--rates\)"):
        RateTable.empty().rate("USD", "EUR", "average", date(2026, 12, 31))


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("31/12/2026,USD,EUR,average,0.9", "column 'date': '31/12/2026' is not a date"),
        ("2026-02-30,USD,EUR,average,0.9", "is not a valid date"),
        ("2026-12-31,usd,EUR,average,0.9", "column 'from': 'usd' is not a currency code"),
        ("2026-12-31,USD,EUR,,0.9", "rate_type is blank"),
        ("2026-12-31,USD,EUR,average,0", "must be positive"),
        ("2026-12-31,USD,EUR,average,x", "column 'rate': 'x' is not a number"),
        ("2026-12-31,USD,EUR,average,0.93", r"given twice \(lines 2 and 6\)"),
    ],
)
def test_rates_errors_name_the_line(tmp_path: Path, line: str, pattern: str) -> None:
    """A bad or duplicated rate line stops the read with its line."""
    with pytest.raises(InputFileError, match=pattern) as caught:
        read_rates(write(tmp_path, RATES + line + "\n", "rates.csv"))
    assert caught.value.line == 6
