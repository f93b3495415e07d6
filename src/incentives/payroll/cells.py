"""The text of each column of a record: a pay line's, or a trailer's (per pay code and
currency), from the sources a layout names (docs/payroll.md, "Sources")."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import attrs

from incentives.errors import OptionsError, shorten
from incentives.payroll.layout import Column, Layout
from incentives.payroll.ledger import OutLine
from incentives.payroll.lines import PayLine, RosterFields
from incentives.payroll.render import amount_text, date_text

__all__ = ["LineCells", "Total", "roster_fields_read", "trailer_cells"]

CellText = Callable[[Column], str]


@attrs.frozen
class Total:
    """Records and amount of one pay code (as written) and currency in one file."""

    pay_code: str
    currency: str
    records: int
    amount: Decimal


def roster_fields_read(layout: Layout) -> list[tuple[str, str]]:
    """The roster fields the layout reads, each with the file:line that names it."""
    spec = layout.spec
    found = []
    for group in ("columns", "trailer"):
        for i, column in enumerate(getattr(spec, group)):
            if column.source and column.source.startswith("roster."):
                found.append((column.source.removeprefix("roster."), layout.line_of(group, i)))
    for key, value in (("split_by", spec.split_by), ("payment_date", spec.payment_date.by)):
        if value and value.startswith("roster."):
            found.append((value.removeprefix("roster."), layout.line_of(key)))
    return found


def _signed(columns: list[Column]) -> bool:
    """Amounts carry their sign unless a column of its own does (``from: sign``)."""
    return not any(c.source == "sign" for c in columns)


class LineCells:
    """The cells of the pay lines of one export."""

    def __init__(self, layout: Layout, roster: RosterFields, batch_id: str) -> None:
        self.layout = layout
        self.roster = roster
        self.batch_id = batch_id
        self.signed = _signed(layout.spec.columns)

    def payment_date(self, line: PayLine) -> datetime.date | None:
        """The date of the line's pay group or country if the layout lists one, else the
        policy's payout date (or an error, with ``otherwise: error``)."""
        rule = self.layout.spec.payment_date
        if rule.by:
            value = self.roster.get(line.employee_id, rule.by.removeprefix("roster."))
            if value in rule.dates:
                return rule.dates[value]
            if rule.otherwise == "error":
                raise OptionsError(
                    f"employee '{shorten(line.employee_id)}': {rule.by} = '{shorten(value)}' "
                    f"has no payment date ({self.layout.line_of('payment_date')}); add it"
                )
        return line.policy.payout_date

    def of(self, out: OutLine, who: str) -> CellText:
        """A function giving each column's text for the line ``out``."""

        def cell(column: Column) -> str:
            text = self._raw(column, out, who)
            if column.map is None or column.source == "amount":
                return text
            if text not in column.map:
                raise OptionsError(
                    f"{who}, column '{column.name or column.source}': '{shorten(text)}' is not "
                    f"in the column's map ({self.layout.line_of('columns')}); add it"
                )
            return column.map[text]

        return cell

    def _raw(self, column: Column, out: OutLine, who: str) -> str:
        line = out.line
        source = column.source
        if column.value is not None or source is None:
            return column.value or ""
        if source == "amount":
            return amount_text(self.layout, out.written_amount, line.currency, who, self.signed)
        if source == "sign":
            return "-" if out.written_amount < 0 else "+"
        if source == "payment_date":
            return date_text(self.layout, self.payment_date(line))
        if source.startswith("period"):
            if line.policy.period is None:
                return ""
            start, end = (date_text(self.layout, d) for d in line.policy.period)
            return {"period": f"{start}/{end}", "period_start": start, "period_end": end}[source]
        plain = {
            "employee_id": line.employee_id,
            "policy": line.policy.id,
            "policy_version": line.policy.version,
            "kind": line.policy.kind,
            "component": line.component,
            "pay_code": out.pay_code,
            "currency": line.currency,
            "batch_id": self.batch_id,
            "line_type": out.line_type,
        }
        if source in plain:
            return plain[source]
        what, _, name = source.partition(".")
        if what == "roster":
            text = self.roster.get(line.employee_id, name)
        elif not line.row:  # the reversal of an employee no longer in the run
            text = ""
        elif name in line.row:
            text = line.row[name]
        else:
            raise OptionsError(
                f"column '{column.name or source}': results.csv has no column '{name}' "
                f"({self.layout.line_of('columns')}); its columns: {', '.join(line.row)}"
            )
        if column.as_ == "amount" and text:
            return amount_text(self.layout, Decimal(text), line.currency, who, self.signed)
        if column.as_ == "date" and text:
            return date_text(self.layout, datetime.date.fromisoformat(text))
        return text


def trailer_cells(layout: Layout, total: Total, batch_id: str) -> tuple[str, CellText]:
    """(who, cells) of the trailer record of one pay code and currency."""
    signed = _signed(layout.spec.trailer)
    who = f"trailer {total.pay_code} {total.currency}"
    values = {
        "pay_code": total.pay_code,
        "currency": total.currency,
        "count": str(total.records),
        "batch_id": batch_id,
        "sign": "-" if total.amount < 0 else "+",
    }

    def cell(column: Column) -> str:
        if column.value is not None:
            return column.value
        if column.source == "amount":
            return amount_text(layout, total.amount, total.currency, who, signed)
        if column.source in values:
            return values[str(column.source)]
        raise OptionsError(
            f"trailer field '{column.name or column.source}': a trailer holds pay_code, "
            f"currency, count, amount, batch_id, sign or a value ({layout.line_of('trailer')})"
        )

    return who, cell
