"""One employee's values under one policy, read back from a run folder, for explanations.

`PolicyValues` turns breakdown cells into typed values (by each slot's declared type), adds the
policy's parameters, builtin dates and the plan values for the employee's unit (from the
manifest), rebuilds tables, curves and tiers from the recorded spec, and re-evaluates small
expressions (call arguments, floors, caps, split limits) with the reference evaluator.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from incentives.audit.formula_text import render
from incentives.display import format_recorded
from incentives.expr import compile_expression, reference_eval
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.language.values import parse_number
from incentives.rulebook.runtime.accelerators import accelerator_from
from incentives.rulebook.runtime.curves import CurveSpec, TierSpec, compile_curve, compile_tiers
from incentives.rulebook.runtime.tables import TableSpec, compile_table

__all__ = ["NUMERIC_TYPES", "PolicyValues", "close_enough", "policy_as_of", "typed"]

NUMERIC_TYPES = ("money", "percent", "decimal", "integer")
_BUILTINS = ("period_start", "period_end", "payout_date", "effective_from", "effective_to", "as_of")


def typed(cell: str, type_: str) -> object:
    """A breakdown cell as a value of the slot's type; an empty cell is missing (`None`)."""
    if cell == "":
        return None
    if type_ == "boolean":
        return cell == "true"
    if type_ == "date":
        try:
            return datetime.date.fromisoformat(cell)
        except ValueError:
            return cell
    if type_ in NUMERIC_TYPES:
        try:
            return Decimal(cell)
        except InvalidOperation:
            return cell
    return cell


def policy_as_of(manifest: Mapping[str, Any], policy_id: object) -> str | None:
    """The as-of date a policy was run at: the manifest holds one date, or one per policy."""
    as_of = manifest.get("as_of")
    if isinstance(as_of, Mapping):
        as_of = as_of.get(str(policy_id))
    return None if not as_of else str(as_of)


def close_enough(value: Decimal, recorded: Decimal, places: int) -> bool:
    """Whether a re-evaluated value is the recorded one, to the precision the breakdown keeps."""
    if value == recorded:
        return True
    tolerance = Decimal(1).scaleb(-max(places - 2, 0))
    return abs(value - recorded) <= tolerance


def _date(text: object) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        return None


class PolicyValues:
    """Every value a formula of one policy can read, for one employee, with its display type."""

    def __init__(
        self, policy: Mapping[str, Any], row: Mapping[str, str], manifest: Mapping[str, Any]
    ) -> None:
        self.policy = policy
        self.spec: Mapping[str, Any] = policy.get("spec", {})
        self.row = row
        self.places = int(self.spec.get("policy", {}).get("breakdown_decimals", 6))
        self.values: dict[str, object] = {}
        self.types: dict[str, str] = {}
        self._lookups: dict[str, Any] = {}
        header = self.spec.get("policy", {})
        period = header.get("performance_period", {})
        effective = header.get("effective", {})
        builtins = {
            "period_start": period.get("start"),
            "period_end": period.get("end"),
            "payout_date": header.get("payout_date"),
            "effective_from": effective.get("from"),
            "effective_to": effective.get("to"),
            "as_of": policy_as_of(manifest, policy.get("id")),
        }
        for name in _BUILTINS:
            self._set(name, _date(builtins[name]), "date")
        percents = set(policy.get("written_as_percent", ()))
        for name, text in self.spec.get("parameters", {}).items():
            number = _number(text)  # as a number, not as written: 1.50 is 1.5
            kind = "percent" if f"parameters.{name}" in percents else "decimal"
            self._set(name, None if number is None else number.normalize(), kind)
        for slot in policy.get("slots", []):
            if slot.get("kind") in ("input", "step") and slot["name"] in row:
                self._set(
                    slot["name"],
                    typed(row[slot["name"]], slot.get("type", "decimal")),
                    slot.get("type", "decimal"),
                )
        plan = manifest.get("plan_values", {}).get(policy.get("id"), {})
        self.results: dict[str, Mapping[str, Any]] = {}
        self.unit_keys: dict[str, str] = {}
        for name, per_unit in plan.get("results", {}).items():
            by = self.spec.get("results", {}).get(name, {}).get("by")
            key = self._unit_key(by)
            record = per_unit.get(key)
            if record is None:
                continue
            record = self._at_places(record)
            self.results[name] = record
            self.unit_keys[name] = key
            figure = "percent" if f"results.{name}" in percents else "decimal"
            for suffix, field, type_ in (
                ("", "actual", figure),
                ("_threshold", "threshold", figure),
                ("_target", "target", figure),
                ("_maximum", "maximum", figure),
                ("_attainment", "attainment", "percent"),
                ("_payout", "payout", "percent"),
            ):
                self._set_recorded(name + suffix, _number(record.get(field)), type_)
        self.scorecards: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for name, card in plan.get("scorecards", {}).items():
            key = self._unit_key(card.get("by"))
            record = card.get("values", {}).get(key)
            if record is not None:
                record = self._at_places(record)
                self.scorecards[name] = (key, record)
                score = _number(record.get("score"))  # a sum of products: padded (0.8750)
                self._set_recorded(name, None if score is None else _unpadded(score), "percent")

    def _unit_key(self, by: object) -> str:
        if not by:
            return "*"
        value = self.values.get(str(by))
        return "*" if value is None else str(value)

    def _set(self, name: str, value: object, type_: str) -> None:
        self.values[name] = value
        self.types[name] = type_

    def _set_recorded(self, name: str, value: Decimal | None, type_: str) -> None:
        """A value from the manifest or the spec, at the breakdown's precision."""
        self._set(name, None if value is None else self.recorded(value), type_)

    # -- display

    def show(self, name: str) -> str | None:
        """A known name's value for a person, or `None` for a name this policy does not know."""
        if name not in self.values:
            return None
        return _signed(self.display(self.values[name], self.types[name]))

    def display(self, value: object, type_: str) -> str:
        """A value as the breakdown records it, for a person (see `format_recorded`): a value
        recorded in the run folder prints with the digits it was written with; one with more
        decimals than the breakdown keeps (from the manifest) at the breakdown's precision."""
        if isinstance(value, Decimal):
            value = self.recorded(value)
        return format_recorded(value, type_)

    def cell(self, column: str) -> str:
        return self.row.get(column, "")

    def call_value(self, owner: str) -> Callable[[str, str], str | None]:
        """Replace a table, curve, tier or fx call of ``owner`` by the value the run recorded."""

        def value(callee: str, args: str) -> str | None:
            column = f"{owner}: {callee}({args})"
            cell = self.row.get(column, "")
            if not cell:
                return None
            return _signed(self.display(typed(cell, "decimal"), self.call_type(callee, owner)))

        return value

    def call_type(self, callee: str, owner: str) -> str:
        """How a call's value prints: its lookup's type, percent for curves and ratio tables."""
        owner_type = self.types.get(owner, "decimal")
        if callee in self.spec.get("curves", {}):
            return "percent"
        if callee in self.spec.get("tiers", {}) or callee in self.spec.get("accelerators", {}):
            return "money"
        table = self.table_spec(callee)
        if table is not None and table.get("type", "decimal") != "decimal":
            return str(table["type"])
        if f"tables.{callee}" in self.policy.get("written_as_percent", ()):
            return "percent"  # its cells are written as percentages: 5%, wherever it is read
        if callee == "fx":
            return owner_type
        return "percent" if owner_type == "percent" else "decimal"

    def substitute(self, text: str, owner: str) -> tuple[str, str]:
        """(symbolic, with values): ``a × b`` and ``1,000.00 × 15%``."""
        symbolic = render(text, lambda _n: None, lambda _c, _a: None)
        return symbolic, render(text, self.show, self.call_value(owner))

    # -- lookups and re-evaluation

    def table_spec(self, name: str) -> dict[str, Any] | None:
        """The recorded spec of table ``name``; for ``salary_range_min`` (a table whose cells hold
        named values), the spec of ``salary_range`` with each cell reduced to its ``min``."""
        tables: dict[str, Any] = self.spec.get("tables", {})
        if name in tables:
            return dict(tables[name])
        for origin, table in tables.items():
            field = name.removeprefix(origin + "_")
            if field != name and _has_field(table.get("values"), field):
                return {**table, "values": _project(table["values"], field)}
        return None

    def table_names(self) -> list[str]:
        """Every table callable: plain tables, and ``<table>_<value>`` for named-value cells."""
        names: list[str] = []
        for origin, table in self.spec.get("tables", {}).items():
            cell = table.get("values")
            while isinstance(cell, list) and cell:
                cell = cell[0]
            names += [f"{origin}_{field}" for field in cell] if isinstance(cell, dict) else [origin]
        return names

    def lookup(self, name: str) -> Any:
        """The compiled table, curve or tier schedule ``name``, rebuilt from the recorded spec."""
        if name not in self._lookups:
            spec = self.spec
            table = self.table_spec(name)
            if table is not None:
                obj: Any = compile_table(name, TableSpec.model_validate(table))
            elif name in spec.get("curves", {}):
                obj = compile_curve(name, CurveSpec.model_validate(spec["curves"][name]))
            elif name in spec.get("tiers", {}):
                obj = compile_tiers(name, TierSpec.model_validate(spec["tiers"][name]))
            elif name in spec.get("accelerators", {}):
                obj = accelerator_from(name, spec["accelerators"][name])
            else:
                obj = None
            self._lookups[name] = obj
        return self._lookups[name]

    def evaluate(self, text: str) -> object:
        """Re-evaluate a small formula on the employee's values; `None` when it cannot be."""
        text = text.strip()
        if text in self.values:
            return self.values[text]
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        try:
            return parse_number(text)
        except ValueError:
            pass
        names = (
            self.table_names()
            + list(self.spec.get("curves", {}))
            + list(self.spec.get("tiers", {}))
            + list(self.spec.get("accelerators", {}))
        )
        lookups = {name: self.lookup(name) for name in names}
        period = (self.values.get("period_start"), self.values.get("period_end"))
        if not all(isinstance(d, datetime.date) for d in period):
            return None
        try:
            expr = compile_expression(
                text,
                values=frozenset(self.values),
                callables={n: o.arity for n, o in lookups.items()},
            )
            functions = {n: _first(o) for n, o in lookups.items()}
            with localcontext(ENGINE_CONTEXT):
                return reference_eval(expr, self.values, functions, (period[0], period[1]))  # type: ignore[arg-type]
        except Exception:  # a best effort: the caller falls back to the recorded value
            return None

    def _at_places(self, record: Any) -> Any:
        """A manifest record with every number at the breakdown's precision (a factor or an
        attainment is kept to 28 digits there; an explanation shows what the policy declares)."""
        if isinstance(record, Mapping):
            return {k: self._at_places(v) for k, v in record.items()}
        if isinstance(record, list):
            return [self._at_places(v) for v in record]
        if isinstance(record, str) and "." in record:
            try:
                return format(self.recorded(Decimal(record)), "f")
            except InvalidOperation:
                return record
        return record

    def recorded(self, value: Decimal) -> Decimal:
        """``value`` as the breakdown would have written it (at ``breakdown_decimals``)."""
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.places:
            return (
                value.quantize(Decimal(1).scaleb(-self.places)).normalize() if value else Decimal(0)
            )
        return value


def _signed(text: str) -> str:
    """A negative value inside a formula, bracketed: ``(−380.00)``."""
    return f"(−{text[1:]})" if text.startswith("-") else text


def _first(lookup: Any) -> Callable[..., object]:
    def call(*args: object) -> object:
        return lookup(*args)[0]

    return call


def _number(text: object) -> Decimal | None:
    if text is None:
        return None
    try:
        return parse_number(str(text))
    except ValueError:
        return None


def _has_field(values: Any, field: str) -> bool:
    """Whether the cells of a recorded table hold named values, ``field`` among them."""
    while isinstance(values, list) and values:
        values = values[0]
    return isinstance(values, dict) and field in values


def _project(values: Any, field: str) -> Any:
    if isinstance(values, list):
        return [_project(item, field) for item in values]
    return values[field]


def _unpadded(value: Decimal) -> Decimal:
    """An unrounded value without the trailing zeros of its operands: 0.8750 → 0.875, 1.0 → 1."""
    return value.normalize() if value != value.to_integral_value() else value.quantize(Decimal(1))
