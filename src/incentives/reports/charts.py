"""The Charts sheet: native Excel charts over small tables written beside them.

Total payout by unit (a series per currency, or one in the reporting currency), average
payout as % of target by rating, the distribution of payout as % of target in 10-point bins,
and budget use by unit where the run has budgets. A chart whose dimension the run does not
have (no ``unit`` or ``rating`` field) is replaced by a line saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from incentives.money import TOTALS_CONTEXT
from incentives.reports.by_group import Fact
from incentives.reports.sheet_xml import column_letter
from incentives.reports.styles import Styles

__all__ = ["histogram", "write_charts"]

_BIN = Decimal("0.1")
_MAX_BINS = 30  # 0 % to 300 %, then one bin for everything above


def histogram(pcts: Sequence[Decimal]) -> list[tuple[str, int]]:
    """Employees per 10-point bin of payout % of target: ``0–10 %`` holds 0 ≤ p < 0.10."""
    if not pcts:
        return []
    counts: dict[int, int] = {}
    for p in pcts:
        n = min(_MAX_BINS, max(0, int(TOTALS_CONTEXT.divide_int(p, _BIN))))
        counts[n] = counts.get(n, 0) + 1
    top = max(counts)
    return [
        (f"{n * 10}–{n * 10 + 10} %" if n < _MAX_BINS else f"{n * 10} % and more", counts.get(n, 0))
        for n in range(top + 1)
    ]


class _Place:
    """Tables go down column A onward; each chart sits to their right."""

    def __init__(self, workbook: Any, sheet: Any, styles: Styles) -> None:
        self.workbook, self.sheet, self.styles, self.row = workbook, sheet, styles, 0

    def table(
        self, title: str, header: Sequence[str], rows: Sequence[Sequence[object]], fmt: Any
    ) -> tuple[int, int]:
        """Write a titled table; returns (first data row, last data row)."""
        s = self.styles
        self.sheet.write_string(self.row, 0, title, s.section)
        for col, name in enumerate(header):
            self.sheet.write_string(self.row + 1, col, name, s.header)
        first = self.row + 2
        for r, row in enumerate(rows, start=first):
            self.sheet.write_string(r, 0, str(row[0]), s.text)
            for col, value in enumerate(row[1:], start=1):
                if value is not None:
                    self.sheet.write_number(r, col, float(value), fmt)  # type: ignore[arg-type]
        last = first + len(rows) - 1
        return first, last

    def chart(
        self, title: str, first: int, last: int, series: int, *, y_format: str, names: Sequence[str]
    ) -> None:
        chart = self.workbook.add_chart({"type": "column"})
        sheet = self.sheet.get_name()
        for n in range(series):
            col = column_letter(n + 1)
            chart.add_series(
                {
                    "name": names[n],
                    "categories": f"='{sheet}'!$A${first + 1}:$A${last + 1}",
                    "values": f"='{sheet}'!${col}${first + 1}:${col}${last + 1}",
                }
            )
        chart.set_title({"name": title})
        chart.set_y_axis({"num_format": y_format})
        chart.set_legend({"position": "bottom" if series > 1 else "none"})
        self.sheet.insert_chart(self.row, series + 2, chart, {"x_scale": 1.2, "y_scale": 1.0})
        self.row = max(last + 3, self.row + 17)

    def note(self, text: str) -> None:
        self.sheet.write_string(self.row, 0, text, self.styles.plain)
        self.row += 2


def write_charts(
    workbook: Any,
    sheet: Any,
    styles: Styles,
    facts: Sequence[Fact],
    budgets: Sequence[Mapping[str, Any]],
    *,
    report_currency: str | None,
    convert: Callable[[Decimal, Fact], Decimal] | None,
) -> int:
    """The four charts (those that apply); returns how many were drawn."""
    place, drawn = _Place(workbook, sheet, styles), 0
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 6, 14)
    if any("unit" in f.dims for f in facts):
        by_unit: dict[str, dict[str, Decimal]] = {}
        for f in facts:
            if f.pay:
                cur = report_currency or f.currency
                paid = convert(f.paid, f) if convert else f.paid
                cell = by_unit.setdefault(f.dims.get("unit", ""), {})
                cell[cur] = cell.get(cur, Decimal(0)) + paid
        currencies = sorted({c for v in by_unit.values() for c in v})
        units = sorted(by_unit)
        rows = [[u, *(by_unit[u].get(c) for c in currencies)] for u in units]
        fmt = styles.money(currencies[0]) if len(currencies) == 1 else styles.money("USD")
        first, last = place.table("Total payout by unit", ["unit", *currencies], rows, fmt)
        if rows:
            place.chart("Total payout by unit", first, last, len(currencies),
                        y_format="#,##0", names=currencies)  # fmt: skip
            drawn += 1
    else:
        place.note("Total payout by unit: the run has no 'unit' field.")
    pcts = [(f, p) for f in facts if (p := f.pct_of_target) is not None]
    if pcts and any("rating" in f.dims for f, _ in pcts):
        per: dict[str, list[Decimal]] = {}
        for f, p in pcts:
            per.setdefault(f.dims.get("rating", ""), []).append(p)
        ratings = sorted(per, key=lambda r: (r.split(" ", 1)[0].zfill(8), r))
        rows = [
            [r, TOTALS_CONTEXT.divide(sum(per[r], Decimal(0)), Decimal(len(per[r])))]
            for r in ratings
        ]
        title = "Average payout % of target by rating"
        first, last = place.table(title, ["rating", "average"], rows, styles.percent)
        place.chart(title, first, last, 1, y_format="0%", names=["average"])
        drawn += 1
    else:
        place.note("Average payout % of target by rating: no rating field or no target.")
    if pcts:
        bins = histogram([p for _, p in pcts])
        title = "Distribution of payout % of target"
        first, last = place.table(title, ["payout % of target", "employees"], bins, styles.count)
        place.chart(title, first, last, 1, y_format="#,##0", names=["employees"])
        drawn += 1
    if budgets:
        names = sorted({f"{b.get('policy')}: {b.get('budget')}" for b in budgets})
        groups = sorted({str(b.get("group", "")) for b in budgets})
        used = {
            (f"{b.get('policy')}: {b.get('budget')}", str(b.get("group", ""))): b for b in budgets
        }
        rows = [
            [
                g,
                *(
                    Decimal(str(used[(n, g)]["used_pct"])) if (n, g) in used else None
                    for n in names
                ),
            ]
            for g in groups
        ]
        first, last = place.table("Budget use by unit", ["unit", *names], rows, styles.percent)
        place.chart("Budget use by unit", first, last, len(names), y_format="0%", names=names)
        drawn += 1
    return drawn
