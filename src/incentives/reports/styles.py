"""The workbook's cell formats, made once; the bulk sheets' XML refers to them by style id."""

from __future__ import annotations

from typing import Any

from incentives.money import CURRENCY_MINOR_UNITS

__all__ = ["Styles", "money_format"]


def money_format(decimals: int) -> str:
    """Excel's number format for a currency with ``decimals`` minor digits: ``#,##0.00``."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


class Styles:
    """The formats of one XlsxWriter workbook: ``header``, ``title``, ``banner``, ``percent``,
    ``count``, ``text``, ``money(currency)``; and the style ids the bulk sheets write."""

    def __init__(self, workbook: Any) -> None:
        add = workbook.add_format
        self.header = add({"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": True})
        self.title = add({"bold": True, "font_size": 14})
        self.section = add({"bold": True, "font_size": 12})
        self.banner = add(
            {"bold": True, "font_size": 14, "font_color": "#FFFFFF", "bg_color": "#C00000"}
        )
        self.percent = add({"num_format": "0.00%"})
        self.count = add({"num_format": "#,##0"})
        self.text = add({"num_format": "@"})
        self.plain = add({})
        self._money = {d: add({"num_format": money_format(d)}) for d in (0, 2, 3)}
        # The bulk sheets are XML written by us (sheet_xml.py): their cells name these formats
        # by id, so the ids are fixed now, in this order (XlsxWriter numbers formats as they
        # are first used; this is that numbering, asked for before any cell is written).
        fixed = [self.header, self.percent, *self._money.values()]
        self.ids = {id(f): f._get_xf_index() for f in fixed}

    def money(self, currency: str) -> Any:
        return self._money.get(CURRENCY_MINOR_UNITS.get(currency, 2), self._money[2])

    @property
    def bulk(self) -> dict[str, int]:
        """Style ids of the bulk sheets: ``header``, ``percent``, ``number`` (General)."""
        return {
            "header": self.ids[id(self.header)],
            "percent": self.ids[id(self.percent)],
            "number": 0,
        }

    def bulk_money(self) -> dict[str, int]:
        """The money style id per known currency."""
        return {cur: self.ids[id(self.money(cur))] for cur in CURRENCY_MINOR_UNITS}
