"""Explanations of table, curve, tier and fx calls (re-evaluated and checked) and of pay
components (rounding and splits), as a mixin of the policy explainer in `explain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

import attrs

from incentives.audit.explain_values import PolicyValues, close_enough, typed
from incentives.audit.formula_text import call_parts
from incentives.display import format_value
from incentives.io.run_outputs import match_text
from incentives.money import ENGINE_CONTEXT, minor_unit
from incentives.rulebook.language.values import parse_number
from incentives.rulebook.runtime.accelerators import Accelerator
from incentives.rulebook.runtime.table_axes import RangeAxis
from incentives.rulebook.runtime.tables import Table

__all__ = ["CallsAndPay", "where"]


def where(file: str, line: object) -> str:
    """``file:line``, or the file alone when the line is unknown."""
    return f"{file}:{line}" if line else file


def _owner(slot: Mapping[str, Any]) -> str:
    return f"step {slot.get('owner')}"


def _share(text: object) -> Decimal | None:
    try:
        return parse_number(str(text))
    except ValueError:
        return None


class CallsAndPay:
    """What the policy explainer needs for calls and pay; it sets these attributes."""

    pv: PolicyValues
    spec: Mapping[str, Any]
    file: str
    row: Mapping[str, str]
    result: Mapping[str, str]
    currency: str
    warnings: list[str]

    # -- calls

    def _call(self, slot: Mapping[str, Any]) -> dict[str, Any]:
        column = str(slot["name"])
        recorded = typed(self.pv.cell(column), "decimal")
        match = self.pv.cell(column + " [match]")
        parts = call_parts(column)
        owner, callee, arg_texts = (
            parts if parts else (str(slot.get("owner")), str(slot.get("callee")), [])
        )
        type_ = self.pv.call_type(callee, owner)
        call_text = f"{callee}({', '.join(arg_texts)})"
        entry: dict[str, Any] = {
            "call": call_text,
            "callee": callee,
            "value": self.pv.display(recorded, type_),
            "match": match,
            "where": where(self.file, slot.get("line")),
        }
        args = [self.pv.evaluate(t) for t in arg_texts]
        if callee == "fx":
            entry["explain"] = self._fx(args, recorded, match, type_)
            return entry
        lookup = self.pv.lookup(callee)
        if isinstance(lookup, Table) and lookup.type == "decimal" and type_ == "percent":
            lookup = attrs.evolve(
                lookup, type="percent"
            )  # show a ratio table's values as its step does
        if isinstance(lookup, Table):
            lookup = self._percent_keys(lookup, arg_texts)
        if lookup is None or any(a is None for a in args) or not isinstance(recorded, Decimal):
            # a builtin (ratings_count(), …) is read from the record: nothing to re-evaluate
            entry["check"] = "recorded" if lookup is None else "not re-evaluated"
            entry["explain"] = (
                f"{call_text} = {entry['value']} (as recorded; matched {match or 'nothing'})"
            )
            return entry
        try:
            with localcontext(ENGINE_CONTEXT):
                value, detail = lookup(*args)
        except ValueError as exc:
            value, detail = None, None
            entry["check"] = (
                f"MISMATCH: re-evaluating {call_text} fails now ({exc}), the run recorded {entry['value']}"
            )
        if value is not None:
            # the recorded value, explained by the row or segment the run recorded; the lookup
            # rebuilt from rulebook.json only checks that both agree
            entry["explain"] = (
                lookup.explain(args, recorded, detail, self.pv.recorded)
                if isinstance(lookup, Accelerator)
                else lookup.explain(args, recorded, detail)
            )
            if not close_enough(value, recorded, self.pv.places):
                entry["check"] = (
                    f"MISMATCH: {callee} in rulebook.json gives {format_value(value, type_)}, the run recorded {entry['value']}"
                )
            elif match and match_text(detail, args) != match:
                entry["check"] = (
                    f"MISMATCH: {callee} in rulebook.json matches {match_text(detail, args)}, the run recorded {match}"
                )
            else:
                entry["check"] = "ok"
        else:
            entry["explain"] = (
                f"{call_text} = {entry['value']} (as recorded; matched {match or 'nothing'})"
            )
        if entry["check"] != "ok":
            self.warnings.append(
                f"{_owner(slot)}: {entry['check']} — the run's policies were not those recorded in rulebook.json"
            )
        return entry

    def _percent_keys(self, table: Table, arg_texts: list[str]) -> Table:
        """The table with each range axis read by a percent value printing its key and bands as
        percents, as that value prints (compa_ratio=300%, band [110%, …))."""
        axes = [
            attrs.evolve(axis, percent=True)
            if isinstance(axis, RangeAxis) and self.pv.types.get(text.strip()) == "percent"
            else axis
            for axis, text in zip(table.axes, arg_texts, strict=False)
        ]
        if len(axes) != len(table.axes) or all(a is b for a, b in zip(axes, table.axes, strict=True)):
            return table
        return attrs.evolve(table, axes=tuple(axes))

    def _fx(self, args: list[object], recorded: object, match: str, type_: str) -> str:
        fields = match.split(";")
        amount = args[0] if args else None
        if len(fields) != 5 or not isinstance(amount, Decimal) or not isinstance(recorded, Decimal):
            return f"fx(...) = {format_value(recorded, type_)} (as recorded; rate {match or 'unknown'})"
        rate_text, date, rate_type, frm, to = fields
        rate = parse_number(rate_text)
        source = (
            "same currency, no rate needed"
            if frm == to
            else f"{rate_type} rate {frm}→{to} on {date}"
        )
        with localcontext(ENGINE_CONTEXT):
            value = amount * rate  # a check only: the text shows the recorded value
        shown = format_value(self.pv.recorded(recorded), type_)
        text = f"fx({format_value(amount, type_)} {frm} → {to}) = {format_value(amount, type_)} × {format_value(rate)} ({source}) = {shown}"
        if not close_enough(value, recorded, self.pv.places):
            text += f"  MISMATCH: the run recorded {format_value(recorded, type_)}"
            self.warnings.append(
                f"fx {frm}→{to}: {format_value(value)} recomputed, {format_value(recorded)} recorded"
            )
        return text

    # -- pay

    def _pay(
        self, slots: list[Mapping[str, Any]], pending: Mapping[str, list[Mapping[str, Any]]]
    ) -> dict[str, Any]:

        unit: object = None  # a component paid in units (shares): counts, never money

        def money(value: object) -> str:
            if unit is not None:
                return f"{self.pv.display(value, 'decimal')} {unit}"
            return self.pv.display(value, "money")

        components = []
        for comp in self.spec.get("pay", []):
            name = str(comp["name"])
            unit = comp.get("unit")
            total = typed(self.pv.cell(f"pay.{name}.total"), "money")
            source = str(comp.get("step", ""))
            rounding = comp.get("round", {"step": "minor_unit", "mode": "half_up"})
            step_text = str(rounding.get("step", "minor_unit"))
            try:
                step = (
                    minor_unit(self.currency)
                    if step_text == "minor_unit"
                    else parse_number(step_text)
                )
            except ValueError:
                step = None
            mode = str(rounding.get("mode", "half_up"))
            located = where(
                self.file,
                next((s.get("line") for s in slots if s.get("name") == f"pay.{name}.total"), None),
            )
            entry: dict[str, Any] = {
                "name": name,
                "pay_code": comp.get("pay_code"),
                "total": money(total),
                "where": located,
                "total_text": f"{name} total = round({source} = {self.pv.show(source) or '(not computed)'}, to {format_value(step) if step else step_text} {mode}) = {money(total)}",
            }
            parts: list[dict[str, Any]] = []
            remainder_terms = [money(total)]
            eligible = self.row.get("eligible") == "true"
            if not eligible:
                entry["total_text"] = (
                    f"{name} total = {money(total)} (not eligible: nothing is computed)"
                )
            for part in comp.get("split", []):
                amount = typed(self.pv.cell(f"pay.{part['name']}"), "money")
                if not eligible:
                    how = money(amount)
                elif part.get("above") is not None:  # the threshold as the run rounded it
                    above = str(part["above"])
                    symbolic, values = self.pv.substitute(above, name)
                    limit = typed(self.pv.cell(f"pay.{part['name']}.above"), "money")
                    how = f"the part above round({symbolic}) = round({values}) = {money(limit)}: max(0, {money(total)} − {money(limit)}) = {money(amount)}"
                else:
                    left = ", at most what the parts above left" if parts else ""
                    share = _share(part.get("share"))
                    shown = format_value(share, "percent")
                    if share is None:  # a share by formula: the one the run recorded
                        used = typed(self.pv.cell(f"pay.{part['name']}.share"), "percent")
                        shown = f"{part.get('share')} = {self.pv.display(used, 'percent')}"
                    how = f"round({money(total)} × {shown}){left} = {money(amount)}"
                parts.append(
                    {
                        "name": part["name"],
                        "pay_code": part.get("pay_code"),
                        "amount": money(amount),
                        "text": f"{part['name']} ({part.get('pay_code')}) = {how}",
                    }
                )
                remainder_terms.append(money(amount))
            main = typed(self.pv.cell(f"pay.{name}"), "money")
            entry["parts"] = parts
            entry["amount"] = money(main)
            entry["text"] = (
                f"{name} ({comp.get('pay_code')}) = {' − '.join(remainder_terms)} = {money(main)}"
                if parts
                else f"{name} ({comp.get('pay_code')}) = {money(main)}"
            )
            if comp.get("convert") and eligible:  # paid in units: the cash is the remainder
                parts.append(self._converted(comp["convert"], money(total)))
                entry["text"] = f"{name} ({comp.get('pay_code')}) = {parts[-1]['cash']} = {money(main)}"
            entry["calls"] = [
                self._call(s) for s in pending.get(name, []) if s.get("kind") == "call"
            ]
            components.append(entry)
        return {
            "currency": self.currency,
            "components": components,
            "zero_reason": self.result.get("zero_reason") or None,
        }

    def _converted(self, convert: Mapping[str, Any], total: str) -> dict[str, Any]:
        """A conversion into units as the run recorded it: units, price and remainder."""
        name, unit = str(convert["name"]), str(convert["unit"])
        units = self.pv.display(typed(self.pv.cell(f"pay.{name}"), "decimal"), "decimal")
        price = self.pv.display(typed(self.pv.cell(f"pay.{name}.price"), "money"), "money")
        left = self.pv.display(typed(self.pv.cell(f"pay.{name}.remainder"), "money"), "money")
        cash = convert.get("remainder", "cash") == "cash"
        return {
            "name": name,
            "pay_code": convert.get("pay_code"),
            "amount": f"{units} {unit}",
            "text": f"{name} ({convert.get('pay_code')}) = {total} ÷ {convert['price']} "
            f"({price}), counted down to {convert.get('step', 1)} = {units} {unit}; "
            f"not bought with it: {left}" + ("" if cash else " (forfeited)"),
            "cash": "the remainder not converted" if cash else "nothing (the remainder is forfeited)",
        }

