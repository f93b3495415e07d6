"""The small sheets of the workbook, written with XlsxWriter: Summary and By group.

Every text goes in with ``write_string`` (an id or a name starting with ``=`` stays text),
money with its currency's format (the amount is the exact decimal the run wrote, as a number),
fractions as Excel percentages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from incentives.audit.what_if_layers import what_if_lines
from incentives.reports.by_group import GroupTable
from incentives.reports.styles import Styles

__all__ = ["write_by_group", "write_summary"]

Convert = Callable[[Decimal, str, str], Decimal]  # amount, currency, policy id -> reporting


def _number(text: object) -> float | None:
    try:
        return float(Decimal(str(text)))
    except (ArithmeticError, ValueError):
        return None


class _Writer:
    """Writes rows down one sheet, each cell typed."""

    def __init__(self, sheet: Any, styles: Styles) -> None:
        self.sheet, self.styles, self.row = sheet, styles, 0

    def cells(self, values: Sequence[tuple[object, Any]]) -> None:
        for col, (value, fmt) in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
                self.sheet.write_number(self.row, col, float(value), fmt)
            else:
                self.sheet.write_string(self.row, col, str(value), fmt)
        self.row += 1

    def header(self, names: Sequence[str]) -> None:
        self.cells([(n, self.styles.header) for n in names])

    def section(self, title: str) -> None:
        self.row += 1
        self.sheet.write_string(self.row, 0, title, self.styles.section)
        self.row += 1


def write_summary(
    sheet: Any,
    styles: Styles,
    manifest: Mapping[str, Any],
    *,
    run: str,
    component_policy: Mapping[str, str],
    report_currency: str | None,
    convert: Convert | None,
) -> None:
    """Counts, totals per pay code and currency (and in the reporting currency), budgets,
    pools, the policies with versions and hashes, the inputs, and a what-if banner."""
    s = styles
    w = _Writer(sheet, s)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 9, 16)
    w.cells([(f"Run report: {run}", s.title)])
    if manifest.get("what_if"):
        w.cells([("WHAT-IF RUN: overrides were applied; this is not the cycle's result", s.banner)])
        for line in what_if_lines(manifest.get("layers", [])):
            w.cells([(line, s.plain)])
    c = manifest.get("counts", {})
    w.section("Counts")
    for label, key in (
        ("employees read", "read"),
        ("computed", "computed"),
        ("rejected", "rejected"),
        ("not covered", "not_covered"),
        ("policy outcomes eligible", "eligible"),
        ("policy outcomes not eligible", "ineligible"),
        ("rows of keyed files for no employee", "unmatched_rows"),
    ):
        w.cells([(label, s.plain), (c.get(key), s.count)])
    w.section("Totals per pay code and currency")
    w.header(
        ["component", "pay code", "policy", "currency", "amount"]
        + ([f"amount in {report_currency}"] if report_currency else [])
    )
    for total in manifest.get("totals", []):
        amount, currency = Decimal(str(total["amount"])), str(total["currency"])
        policy = component_policy.get(str(total["component"]), "")
        row: list[tuple[object, Any]] = [
            (total["component"], s.text),
            (total["pay_code"], s.text),
            (policy, s.text),
            (currency, s.text),
            (amount, s.money(currency)),
        ]
        if report_currency and convert:
            row.append((convert(amount, currency, policy), s.money(report_currency)))
        w.cells(row)
    _budgets_and_pools(w, manifest)
    w.section("Policies")
    w.header(["policy", "version", "kind", "file", "sha256"])
    for p in manifest.get("policies", []):
        w.cells([(p.get(k, ""), s.text) for k in ("id", "version", "kind", "file", "sha256")])
    w.section("Inputs")
    w.header(["input", "path", "sha256"])
    for role, data in sorted(manifest.get("inputs", {}).items()):
        w.cells([(role, s.text), (data.get("path", ""), s.text), (data.get("sha256", ""), s.text)])


def _budgets_and_pools(w: _Writer, manifest: Mapping[str, Any]) -> None:
    s = w.styles
    budgets = manifest.get("budgets", [])
    if budgets:
        w.section("Budgets")
        w.header(["policy", "budget", "group", "currency", "eligible payroll", "budget",
                  "spend", "difference", "used", "status"])  # fmt: skip
        for b in budgets:
            money = s.money(str(b.get("currency", "")))
            w.cells([
                (b.get("policy"), s.text), (b.get("budget"), s.text), (b.get("group"), s.text),
                (b.get("currency"), s.text), (_number(b.get("payroll")), money),
                (_number(b.get("amount")), money), (_number(b.get("spend")), money),
                (_number(b.get("difference")), money), (_number(b.get("used_pct")), s.percent),
                ("over" if b.get("over") else "within", s.text),
            ])  # fmt: skip
    pools = manifest.get("pools", [])
    if pools:
        w.section("Pools")
        w.header(["policy", "pool", "group", "currency", "members", "pool amount",
                  "allocated", "unspent", "factor"])  # fmt: skip
        for p in pools:
            money = s.money(str(p.get("currency", "")))
            w.cells([
                (p.get("policy"), s.text), (p.get("pool"), s.text), (p.get("group"), s.text),
                (p.get("currency"), s.text), (p.get("members"), s.count),
                (_number(p.get("pool_amount")), money), (_number(p.get("allocated")), money),
                (_number(p.get("unspent")), money), (_number(p.get("factor")), s.plain),
            ])  # fmt: skip


def write_by_group(sheet: Any, styles: Styles, table: GroupTable) -> None:
    """The summary by group: a row per policy, group and currency; frozen header, filters."""
    s = styles
    w = _Writer(sheet, s)
    w.header(table.header)
    currency_at = table.header.index("currency")
    for row in table.rows:
        money = s.money(str(row[currency_at]))
        fmts = {"text": s.text, "count": s.count, "money": money, "fraction": s.percent}
        w.cells([(cell, fmts[kind]) for cell, kind in zip(row, table.kinds, strict=True)])
    for col, name in enumerate(table.header):
        sheet.set_column(col, col, min(30, max(10, len(name) + 2)))
    sheet.freeze_panes(1, 2 + len(table.by))
    sheet.autofilter(0, 0, max(1, len(table.rows)), len(table.header) - 1)
