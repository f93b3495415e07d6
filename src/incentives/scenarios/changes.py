"""A scenario's input changes for a group: ``where: "unit == 'Sales'"`` with ``rating: +1 step``.

    FieldBounds.of(rulebook, name) -> what a field may hold (its declared min, max, allowed
                                      values, rating scale) across the policies that read it
    parse_change(text)             -> Change: set, times (× 1.05), add (+ 2000), steps (+1 step)
    InputRule.apply(employee)      -> (employee with the changed cells, changed?, clamped?)

A relative change (× N, + N, ± steps) is clamped to the field's declared bounds and counted;
an absolute value outside them is refused when the scenario loads. Changed cells are written
back as text, as a roster holds them, so the engine converts them as any other cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from incentives.expr import NAMESPACE, Expression
from incentives.model.employee import EmployeeInput
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.language.values import parse_number
from incentives.rulebook.rulebook import Rulebook

__all__ = ["Change", "FieldBounds", "GoalChange", "InputRule", "parse_change", "where_function"]

_TIMES = re.compile(r"^\s*[×xX*]\s*(\S.*)$")
_STEPS = re.compile(r"^\s*([+-])\s*(\d+)\s*steps?\s*$")
_ADD = re.compile(r"^\s*([+-])\s+(\S.*)$")  # a sign, a space, a number: "+ 2000"


@attrs.frozen
class Change:
    """``set`` a value (text as written), or ``times``/``add`` a number, or move ``steps``."""

    kind: str
    amount: Any
    text: str

    @property
    def relative(self) -> bool:
        return self.kind != "set"


def parse_change(value: Any) -> Change:
    """A change as a scenario writes it; a bad number in a relative change is a ValueError."""
    text = str(value).strip() if not isinstance(value, Decimal) else format(value, "f")
    if m := _STEPS.match(text):
        return Change("steps", int(m.group(2)) * (1 if m.group(1) == "+" else -1), text)
    if m := _TIMES.match(text):
        return Change("times", parse_number(m.group(1)), text)
    if m := _ADD.match(text):
        number = parse_number(m.group(2))
        return Change("add", number if m.group(1) == "+" else -number, text)
    return Change("set", text, text)


@attrs.frozen
class FieldBounds:
    """What a roster field may hold, across every policy that declares it."""

    name: str
    type: str
    convert: Callable[[object], object]
    low: Decimal | None = None
    high: Decimal | None = None
    allowed: tuple[str, ...] | None = None
    scale: tuple[tuple[Decimal, str | None], ...] = ()  # a rating's values, with their labels
    default: object = None  # what a policy reads for an empty cell (a relative change starts there)

    @classmethod
    def of(cls, rulebook: Rulebook, name: str) -> FieldBounds:
        field = next(f for f in rulebook.fields if f.name == name)
        lows: list[Decimal] = []
        highs: list[Decimal] = []
        allowed: set[str] | None = None
        scale: tuple[tuple[Decimal, str | None], ...] = ()
        default: object = None
        for policy in rulebook.policies:
            spec = policy.spec.inputs.get(name)
            if spec is None:
                continue
            if default is None and spec.default is not None:
                default = spec.default
            if spec.min is not None:
                lows.append(spec.min)
            if spec.max is not None:
                highs.append(spec.max)
            if spec.allowed is not None:
                mine = {str(a) for a in spec.allowed}
                allowed = mine if allowed is None else allowed & mine
            if spec.type == "rating" and not scale:
                rs = policy.spec.rating_scales.get(str(spec.scale))
                if rs is not None and rs.labels:
                    scale = tuple(sorted((v, k) for k, v in rs.labels.items()))
                elif rs is not None and rs.min is not None and rs.max is not None:
                    steps = int((rs.max - rs.min) / rs.step)
                    scale = tuple((rs.min + i * rs.step, None) for i in range(steps + 1))
        return cls(
            name,
            field.type,
            field.convert,
            max(lows) if lows else None,
            min(highs) if highs else None,
            None if allowed is None else tuple(sorted(allowed)),
            scale,
            default,
        )

    def check_absolute(self, text: str) -> str | None:
        """Why ``text`` cannot be this field's value (None: it can)."""
        try:
            value = self.convert(text)
        except (ValueError, TypeError) as exc:
            return str(exc)
        if self.allowed is not None and value is not None and str(value) not in self.allowed:
            return f"'{text}' is not one of {', '.join(map(str, self.allowed))}"
        if isinstance(value, Decimal) and self.type != "rating":
            if self.low is not None and value < self.low:
                return f"{text} is below the declared minimum {self.low}"
            if self.high is not None and value > self.high:
                return f"{text} is above the declared maximum {self.high}"
        return None

    def check_relative(self, change: Change) -> str | None:
        """Why ``change`` cannot apply to this field (None: it can)."""
        if change.kind == "steps":
            if self.type not in ("rating", "integer"):
                return f"steps apply to a rating or an integer; '{self.name}' is a {self.type}"
        elif self.type not in ("integer", "decimal", "percent"):
            return f"'{change.text}' changes a number; '{self.name}' is a {self.type}"
        return None

    def changed(self, cell: object, change: Change) -> tuple[object, bool]:
        """The new cell for ``cell`` (text as a roster writes it) and whether it was clamped.
        A missing cell stays missing; a cell that cannot be read is left for the engine."""
        if change.kind == "set":
            return change.amount, False
        try:
            value = self.convert(cell)
            if value is None and self.default is not None:
                value = self.convert(self.default)
        except (ValueError, TypeError):
            return cell, False
        if not isinstance(value, Decimal):
            return cell, False
        if self.type == "rating" and self.scale:
            values = [v for v, _ in self.scale]
            position = values.index(value) + change.amount if value in values else None
            if position is None:
                return cell, False
            clamped = not 0 <= position < len(values)
            position = min(max(position, 0), len(values) - 1)
            new, label = self.scale[position]
            return (label if label is not None else format(new, "f")), clamped
        if change.kind == "steps":
            new = value + change.amount
        elif change.kind == "times":
            new = ENGINE_CONTEXT.multiply(value, change.amount)
        else:
            new = ENGINE_CONTEXT.add(value, change.amount)
        clamped = False
        if self.low is not None and new < self.low:
            new, clamped = self.low, True
        if self.high is not None and new > self.high:
            new, clamped = self.high, True
        if self.type == "integer":
            new = new.to_integral_value()
        return format(new, "f"), clamped


@attrs.frozen
class GoalChange:
    """A change of one goal's ``actual`` or ``target`` (by the goal's name)."""

    goal: str
    field: str
    change: Change


@attrs.frozen
class InputRule:
    """One ``inputs:`` item: who (``where``) and what changes for them."""

    where_text: str | None
    where: Callable[[Mapping[str, object]], bool] | None
    reads: frozenset[str]
    fields: tuple[tuple[FieldBounds, Change], ...]
    goals: tuple[GoalChange, ...]
    line: int | None = None
    converters: Mapping[str, Callable[[object], object]] = attrs.field(factory=dict, repr=False)

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {"where": self.where_text}
        data["changes"] = {b.name: c.text for b, c in self.fields}
        data["changes"].update({f"goal '{g.goal}' {g.field}": g.change.text for g in self.goals})
        return data

    def matches(self, employee: EmployeeInput) -> bool:
        if self.where is None:
            return True
        values: dict[str, object] = {}
        try:
            for name in self.reads:
                values[name] = self.converters[name](employee.cells.get(name))
            return bool(self.where(values))
        except (ValueError, TypeError, ArithmeticError):
            return False  # a cell the engine rejects anyway: left as it is

    def apply(self, employee: EmployeeInput) -> tuple[EmployeeInput, bool, bool]:
        """``employee`` with this rule's changes (itself when it does not match)."""
        if not self.matches(employee):
            return employee, False, False
        changed = clamped = False
        cells = dict(employee.cells)
        for bounds, change in self.fields:
            old = cells.get(bounds.name)
            new, hit = bounds.changed(old, change)
            clamped |= hit
            if new != old:
                cells[bounds.name] = new
                changed = True
        goals = list(employee.goals)
        for gc in self.goals:
            for i, goal in enumerate(goals):
                if goal.name != gc.goal:
                    continue
                old = getattr(goal, gc.field)
                new = _goal_value(old, gc.change)
                if new != old:
                    goals[i] = (
                        goal._replace(actual=new)
                        if gc.field == "actual"
                        else goal._replace(target=new)
                    )
                    changed = True
        if not changed:
            return employee, False, clamped
        return attrs.evolve(employee, cells=cells, goals=tuple(goals)), True, clamped


def _goal_value(cell: object, change: Change) -> object:
    if change.kind == "set":
        return change.amount
    try:
        value = parse_number(cell if isinstance(cell, Decimal | int) else str(cell))
    except ValueError:
        return cell  # a missing or unreadable goal figure: the engine says so
    if change.kind == "times":
        return format(ENGINE_CONTEXT.multiply(value, change.amount), "f")
    if change.kind == "add":
        return format(ENGINE_CONTEXT.add(value, change.amount), "f")
    return cell


def where_function(expr: Expression) -> Callable[[Mapping[str, object]], bool]:
    """A compiled ``where`` condition: a function of the values it reads."""
    consts: dict[str, object] = {}

    def const(value: object) -> str:
        key = f"K{len(consts)}"
        consts[key] = value
        return key

    source = expr.to_python(lambda name: f"V[{name!r}]", _no_call, const)
    function: Callable[[Mapping[str, object]], bool] = eval(  # an allow-listed formula
        f"lambda V: {source}", {**NAMESPACE, **consts}
    )
    return function


def _no_call(site: Any, args: Sequence[str]) -> str:  # pragma: no cover - no callables given
    raise AssertionError(site)
