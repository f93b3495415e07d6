"""The layout of a run's CSV outputs: results, inputs, breakdown per policy, rejected rows.

Columns are fixed per rulebook, computed once (see docs/run-folder.md): results.csv has the union
of every policy's pay components and outputs; inputs.csv each roster field once; each policy's
breakdown file its own trace slots. Each employee is then lists of cells built from its traces.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import hashlib
import re
from decimal import Decimal
from typing import Any

from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome
from incentives.errors import escape_controls
from incentives.io.csv_lines import LineCell, Memo, line_function, quote
from incentives.io.writers import format_cell
from incentives.model import Rejection
from incentives.money import minor_unit
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.policy import CompiledPolicy, Slot

__all__ = [
    "GOAL_FIELDS",
    "REJECTED_HEADER",
    "OutputLayout",
    "breakdown_file_names",
    "input_placement",
    "match_text",
    "rejected_row",
]

REJECTED_HEADER = ("file", "record", "line", "employee_id", "column", "value", "reason")
GOAL_FIELDS = ("name", "direction", "target", "actual", "weight", "attainment", "payout", "segment")


def rejected_row(rej: Rejection) -> list[str]:
    return [
        format_cell(v)
        for v in (
            rej.file,
            rej.record,
            rej.line,
            rej.employee_id,
            rej.column,
            rej.value,
            escape_controls(rej.reason),  # a message: a value quoted in it is escaped
        )
    ]


def slot_columns(slot: Slot, max_goals: int = 0) -> list[str]:
    """The breakdown columns one slot fills."""
    if slot.kind == "call":
        return [slot.name, f"{slot.name} [match]"]
    if slot.kind == "goals":
        return [f"{slot.owner}.goal{i}.{f}" for i in range(1, max_goals + 1) for f in GOAL_FIELDS]
    return [slot.name]


class OutputLayout:
    """Headers and row builders for results.csv, inputs.csv and the breakdown files."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.components: list[str] = []
        for policy in rulebook.policies:
            for pay in policy.pay:
                for name in (pay.name, *(n for n, _ in pay.parts)):
                    if name not in self.components:
                        self.components.append(name)
        self.outputs: list[str] = []
        for policy in rulebook.policies:
            for name, _slot in policy.output_slots:
                if name not in self.outputs and name not in self.components:
                    self.outputs.append(name)
        # readiness columns only when some policy has criteria: other layouts stay as they were
        self.readiness = any(p.ready_slot is not None for p in rulebook.policies)
        self.results_header = [
            *_RESULTS_FIXED,
            *self.components,
            *self.outputs,
            *(("ready", "gaps") if self.readiness else ()),
        ]
        # inputs.csv: each roster field once per employee; breakdown/<policy>.csv: the rest
        self.shared_inputs, self.kept_inputs = input_placement(rulebook)
        self.inputs_header = ["employee_id", *self.shared_inputs]
        self.breakdown_files = breakdown_file_names([p.id for p in rulebook.policies])
        self.breakdown_headers: dict[str, list[str]] = {}
        self._plans: dict[str, list[tuple[int, str, list[int], int]]] = {}
        self._pay_columns: dict[str, list[tuple[int, int]]] = {}
        self._output_columns: dict[str, list[tuple[int, int]]] = {}
        self._input_slots: dict[str, dict[str, int]] = {}
        for policy in rulebook.policies:
            header: list[str] = ["employee_id", "eligible"]
            index: dict[str, int] = {name: i for i, name in enumerate(header)}
            inputs = {s.name: i for i, s in enumerate(policy.slots) if s.kind == "input"}
            self._input_slots[policy.id] = inputs
            kept = self.kept_inputs[policy.id]
            plan: list[tuple[int, str, list[int], int]] = []
            for slot_index, slot in enumerate(policy.slots):
                if slot.kind == "input" and (slot.name == "employee_id" or slot.name not in kept):
                    continue  # in inputs.csv (employee_id: the key of every file)
                goals = policy.scorecards[slot.owner].max_goals if slot.kind == "goals" else 0
                cols = []
                for column in slot_columns(slot, goals):
                    if column not in index:
                        index[column] = len(header)
                        header.append(column)
                    cols.append(index[column])
                plan.append((slot_index, slot.kind, cols, goals))
            self._plans[policy.id] = plan
            self.breakdown_headers[policy.id] = header
            first_output = len(_RESULTS_FIXED) + len(self.components)
            self._output_columns[policy.id] = [
                (slot, first_output + self.outputs.index(name))
                for name, slot in policy.output_slots
            ]
            self._pay_columns[policy.id] = [
                (slot, len(_RESULTS_FIXED) + self.components.index(name))
                for pay in policy.pay
                for name, slot in (
                    (pay.name, pay.slot),
                    *zip((n for n, _ in pay.parts), pay.part_slots, strict=True),
                )
            ]
        self._quantum = {
            p.id: Decimal(1).scaleb(-p.spec.policy.breakdown_decimals) for p in rulebook.policies
        }
        self._places = {p.id: p.spec.policy.breakdown_decimals for p in rulebook.policies}
        self._row_functions = {p.id: self._row_function(p) for p in rulebook.policies}
        self._policies = {p.id: p for p in rulebook.policies}
        self._input_lines: dict[tuple[str, ...], Any] = {}
        self._money_outputs = {
            p.id: frozenset(slot for _, slot in p.output_slots if p.slots[slot].type == "money")
            for p in rulebook.policies
        }
        self._quanta = {p.id: declared_quanta(p) for p in rulebook.policies}
        self._results_functions = {p.id: self._results_function(p) for p in rulebook.policies}

    def results_line(self, emp: EmployeeOutcome, po: PolicyOutcome) -> str:
        """The results.csv line (with its ``\\n``) of one employee under one policy."""
        return self._results_functions[po.policy.id](  # type: ignore[no-any-return]
            emp.employee_id,
            po.currency,
            po.eligible,
            po.zero_reason,
            po.notes,
            po.ready,
            po.gaps,
            po.trace,
            _minor_unit(po.currency),
        )

    def breakdown_line(self, emp: EmployeeOutcome, po: PolicyOutcome) -> str:
        """The breakdown file's line (with its ``\\n``) of one employee under one policy."""
        return self._row_functions[po.policy.id](  # type: ignore[no-any-return]
            emp.employee_id,
            po.eligible,
            po.trace,
            _minor_unit(po.currency),
        )

    def _results_function(self, policy: CompiledPolicy) -> Any:
        """Generate the results.csv line of one policy: fixed cells, its pay components at their
        rounding, its outputs exact (or at their declared rounding), the other policies' columns
        empty."""
        cells = [LineCell(name, "''") for name in self.results_header]
        text = "(eid if eid.isalnum() else TEXT(eid))"  # the employee id: unique, rarely quoted
        cells[:7] = [
            LineCell("employee_id", text),
            LineCell("policy", repr(format_cell(policy.id)), quote=True),
            LineCell("kind", repr(format_cell(policy.kind)), quote=True),
            LineCell("currency", "CURRENCY[cur]"),
            LineCell("eligible", "('true' if elig else 'false')"),
            LineCell("zero_reason", "REASON[zr]"),
            LineCell("notes", "NOTES[notes]"),
        ]
        quanta = self._quanta[policy.id]
        constants: dict[str, Decimal] = {}

        def quantum(slot: int) -> str:  # the declared step's quantum, or the currency's unit
            step = quanta.get(slot)
            if step is None:
                return "MU"
            name = f"Q{len(constants)}"
            constants[name] = step
            return name

        for slot, column in self._pay_columns[policy.id]:
            # a rounded Decimal, always: at its declared step's decimals on every row
            value = f"t[{slot}].quantize({quantum(slot)})"
            cells[column] = LineCell(self.results_header[column], _exact(value))
        money = self._money_outputs[policy.id]
        for slot, column in self._output_columns[policy.id]:
            ref = f"t[{slot}]"
            if slot in quanta:  # a declared rounding: its step's decimals
                decimal = _exact(f"{ref}.quantize({quantum(slot)})")
            else:  # exact: nothing is cut below the precision it was computed at
                decimal = f"EXACT({ref}, {'MU' if slot in money else 'None'})"
            expression = f"({decimal} if type({ref}) is D else OUT[type({ref})]({ref}))"
            cells[column] = LineCell(self.results_header[column], expression)
        if self.readiness:
            cells[-2:] = [
                LineCell("ready", "('' if ready is None else 'true' if ready else 'false')"),
                LineCell("gaps", "GAPS[gaps]"),
            ]
        namespace: dict[str, Any] = {
            "TEXT": text_cell,
            "CURRENCY": Memo(text_cell),
            "REASON": Memo(text_cell),
            "NOTES": Memo(text_cell),
            "GAPS": Memo(text_cell),
            "D": Decimal,
            "EXACT": exact_cell,
            "OUT": _LINE_OUTPUT_FORMATS,
            **constants,
        }
        parameters = "eid, cur, elig, zr, notes, ready, gaps, t, MU"
        return line_function(f"results {policy.id}", parameters, cells, namespace)

    def inputs_line(self, emp: EmployeeOutcome) -> str:
        """The employee's line of inputs.csv (with its ``\\n``): each shared input as the first
        of the employee's policies that takes it from inputs.csv read it (they all read the same
        value)."""
        key = tuple([po.policy.id for po in emp.outcomes])
        build = self._input_lines.get(key)
        if build is None:
            build = self._input_lines[key] = self._input_function(key)
        return build(emp.employee_id, *[po.trace for po in emp.outcomes])  # type: ignore[no-any-return]

    def _input_function(self, policy_ids: tuple[str, ...]) -> Any:
        """Generate the inputs.csv line for employees computed by ``policy_ids``."""
        cells = [LineCell("employee_id", "TEXT(eid)")]
        for name in self.shared_inputs:
            cell = LineCell(name, "''")  # no policy of the employee reads it
            for position, policy_id in enumerate(policy_ids):
                slot = self._input_slots[policy_id].get(name)
                if slot is not None and name not in self.kept_inputs[policy_id]:
                    type_ = self._policies[policy_id].slots[slot].type
                    cell = LineCell(name, _cell_expression(f"t{position}[{slot}]", "input", type_))
                    break
            cells.append(cell)
        args = "".join(f", t{i}" for i in range(len(policy_ids)))
        namespace = cell_namespace(6)  # inputs only: their places are never used
        return line_function("inputs", f"eid{args}", cells, namespace)

    def _row_function(self, policy: CompiledPolicy) -> Any:
        """Generate the breakdown line of one policy: one expression per column.

        Formatting ~80 cells for each of a million employees is the hot loop of a run. The
        layout is compiled into one f-string (see `incentives.io.csv_lines`); where a slot's
        Python type is known (inputs by their declared type, flags, pay amounts) its cell is an
        inline expression, and only computed values go through the type-dispatched formatter.
        """
        header = self.breakdown_headers[policy.id]
        cells = [LineCell(name, "''") for name in header]
        cells[0] = LineCell("employee_id", "TEXT(eid)")
        cells[1] = LineCell("eligible", "('true' if elig else 'false')")
        quanta = declared_quanta(policy)
        constants: dict[str, Decimal] = {}
        spanned: set[int] = set()  # columns a goals expression fills with the one before
        for slot_index, kind, cols, _goals in self._plans[policy.id]:
            ref = f"v{slot_index}"
            names = [header[column] for column in cols]
            if kind == "call":
                cells[cols[0]] = LineCell(names[0], f"CALLV({ref})")
                cells[cols[1]] = LineCell(names[1], f"CALLM({ref})")
            elif kind == "goals" and cols == list(range(cols[0], cols[0] + len(cols))):
                expression = f"','.join(GOALS({ref}, {len(cols)}))"
                cells[cols[0]] = LineCell(names[0], expression, width=len(cols))
                spanned.update(cols[1:])
            elif kind == "goals":
                for position, column in enumerate(cols):
                    expression = f"GOALS({ref}, {len(cols)})[{position}]"
                    cells[column] = LineCell(names[position], expression)
            elif kind == "segments":
                owner = policy.spec.steps.get(policy.slots[slot_index].owner)
                money = owner is not None and owner.type == "money"
                expression = f"SEGMENTS({ref}, {'MU' if money else 'None'})"
                cells[cols[0]] = LineCell(names[0], expression, quote=True)
            elif slot_index in quanta:  # a declared rounding: fixed decimals on every row
                quantum = quanta[slot_index]
                q = "MU"
                if quantum is not None:
                    q = f"Q{len(constants)}"
                    constants[q] = quantum
                cells[cols[0]] = LineCell(names[0], _rounded_expression(ref, q))
            else:
                expression = _cell_expression(ref, kind, policy.slots[slot_index].type)
                cells[cols[0]] = LineCell(names[0], expression)
        places = policy.spec.policy.breakdown_decimals
        namespace = cell_namespace(places)
        formats = namespace["F"]
        computed = formats[Decimal]

        def call_value(value: Any) -> str:
            if value is None or value[1] is None:
                return ""
            result = value[1][0]
            return formats[type(result)](result)  # type: ignore[no-any-return]

        matched: dict[Any, str] = {}  # what a call matched repeats (a table row, a rate): once

        def call_match(value: Any) -> str:
            if value is None or value[1] is None:
                return ""
            detail = value[1][1]
            try:
                return matched[detail]
            except (KeyError, TypeError):
                text = quote(match_text(detail, value[0]))
            if len(matched) < 4096:
                with contextlib.suppress(TypeError):  # an unhashable detail is not cached
                    matched[detail] = text
            return text

        goal_names = Memo(text_cell)

        def goals(value: Any, width: int) -> list[str]:
            # (name, direction, target, actual, weight, attainment, payout, segment)
            cells: list[str] = []
            for name, direction, target, actual, weight, att, payout, segment in value or ():
                cells += (
                    goal_names[name],
                    direction,
                    exact_text(target),
                    exact_text(actual),
                    exact_text(weight),
                    computed(att),
                    computed(payout),
                    str(segment) if type(segment) is int else quote(str(segment)),
                )
            return cells + [""] * (width - len(cells))

        namespace.update(
            CALLV=call_value,
            CALLM=call_match,
            GOALS=goals,
            SEGMENTS=segments_cell(places),
            **constants,
        )
        kept = [cell for column, cell in enumerate(cells) if column not in spanned]
        values = "".join(f"v{slot}, " for slot in range(len(policy.slots)))
        prologue = f"({values}) = t" if values else ""
        return line_function(
            f"breakdown {policy.id}", "eid, elig, t, MU", kept, namespace, prologue
        )


def cell_namespace(places: int) -> dict[str, Any]:
    """The names `_cell_expression`'s expressions use, for a breakdown of ``places`` decimals:
    every expression gives its cell's CSV text, quoted where it is text."""
    formats = _formatters(places)
    formats[str] = text_cell  # a computed text: escaped and quoted like any text cell

    def other(value: Any) -> str:
        return formats[type(value)](value)  # type: ignore[no-any-return]

    return {
        "F": formats,
        "TEXT": text_cell,
        "DATE": _DATES,
        "VARIANT": Memo(lambda variant: quote(str(variant))),
        "D": Decimal,
        "MONEY": _money_cell(places, other),
        "INT": _integer_cell(formats[Decimal], other),
    }


def input_placement(rulebook: Rulebook) -> tuple[list[str], dict[str, frozenset[str]]]:
    """Which inputs go to inputs.csv (in field order) and which each policy keeps in its own
    breakdown file: an input whose ``default`` differs from that of the first policy declaring
    it may hold another value for the same employee, so that policy records it itself."""
    shared: dict[str, str] = {}
    kept: dict[str, set[str]] = {p.id: set() for p in rulebook.policies}
    for policy in rulebook.policies:
        for name, spec in policy.spec.inputs.items():
            if name == "employee_id":  # the key of every file
                continue
            default = f"{type(spec.default).__name__}:{spec.default!r}"
            if shared.setdefault(name, default) != default:
                kept[policy.id].add(name)
    fields = [f.name for f in rulebook.fields if f.name in shared]
    return fields, {pid: frozenset(names) for pid, names in kept.items()}


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def breakdown_file_names(policy_ids: list[str]) -> dict[str, str]:
    """The breakdown file of each policy: ``breakdown/<id>.csv`` when the id is a plain file
    name unique but for case, else its safe characters and a hash of the id (never a clash)."""
    folded = [pid.casefold() for pid in policy_ids]
    names: dict[str, str] = {}
    for pid in policy_ids:
        if (
            _SAFE_NAME.fullmatch(pid)
            and not pid.endswith(".")
            and folded.count(pid.casefold()) == 1
        ):
            names[pid] = f"breakdown/{pid}.csv"
        else:
            safe = re.sub(r"[^A-Za-z0-9._-]+", "-", pid).strip(".-")[:60] or "policy"
            digest = hashlib.sha256(pid.encode("utf-8")).hexdigest()[:12]
            names[pid] = f"breakdown/{safe}-{digest}.csv"
    return names


_RESULTS_FIXED = (
    "employee_id",
    "policy",
    "kind",
    "currency",
    "eligible",
    "zero_reason",
    "notes",
)


_MINOR_UNITS: dict[str, Decimal] = {}


def _minor_unit(currency: str) -> Decimal:
    """The quantum of ``currency`` (0.01 for USD), cached; 0.01 for a code we do not know."""
    try:
        return _MINOR_UNITS[currency]
    except KeyError:
        try:
            unit = minor_unit(currency)
        except ValueError:
            unit = Decimal("0.01")
        _MINOR_UNITS[currency] = unit
        return unit


def step_quantum(step: Decimal) -> Decimal:
    """The decimals a declared rounding step prints with: 0.01 → 0.01, 0.005 → 0.001, 100 → 1."""
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(min(exponent, 0))


def declared_quanta(policy: CompiledPolicy) -> dict[int, Decimal | None]:
    """Slots whose value the policy rounds, with the quantum they print at (`None`: the pay
    currency's minor unit): pay components and their parts, steps with ``round`` or
    ``truncate``, and a pool's amount and awards (its ``round``)."""
    quanta: dict[int, Decimal | None] = {}
    steps = policy.spec.steps
    names = {slot.name: index for index, slot in enumerate(policy.slots)}
    for index, slot in enumerate(policy.slots):
        if slot.kind == "step" and slot.name in steps:
            spec = steps[slot.name]
            step = spec.round.step if spec.round is not None else spec.truncate
            if step is not None:
                quanta[index] = None if step == "minor_unit" else step_quantum(Decimal(step))
    pooled = {
        f"{pool.name}_{role}": pool.unit for pool in policy.pools for role in ("pool", "award")
    }
    for index, slot in enumerate(policy.slots):  # a pool and its awards: the pool's `round`
        if slot.kind == "step" and slot.name in pooled:
            quanta[index] = step_quantum(pooled[slot.name])
    for comp, pay in zip(policy.spec.pay, policy.pay, strict=True):
        step = comp.round.step
        quantum = None if step == "minor_unit" else step_quantum(Decimal(step))
        for index in (pay.slot, pay.total_slot, *pay.part_slots):
            quanta[index] = quantum
        for part in comp.split:  # an `above` part's threshold, rounded as the component
            index = names.get(f"pay.{part.name}.above", -1)
            if index >= 0:
                quanta[index] = quantum
    return quanta


def exact_cell(value: Decimal, unit: Decimal | None = None, places: int | None = None) -> str:
    """A computed decimal as written in a CSV: its exact value without trailing zeros (at most
    ``places`` decimals, rounded half even, in breakdown.csv); money (``unit``, the currency's
    minor unit) keeps at least that unit's decimals: ``1470.000`` → ``1470.00``."""
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    dot = text.find(".")
    if dot >= 0:
        if places is not None and len(text) - dot - 1 > places:
            text = format(value.quantize(_QUANTA[places], context=_WIDE), "f")
        if text[-1] == "0":
            text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if unit is not None:
        want = _DIGITS.get(unit)
        if want is None:
            want = _DIGITS.setdefault(unit, -unit.as_tuple().exponent)  # type: ignore[operator]
        if want > 0:
            dot = text.find(".")
            have = 0 if dot < 0 else len(text) - dot - 1
            if have < want:
                text += ("" if dot >= 0 else ".") + "0" * (want - have)
    return text


_QUANTA: dict[int, Decimal] = {n: Decimal(1).scaleb(-n) for n in range(0, 29)}
_DIGITS: dict[Decimal, int] = {}
_WIDE = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN)  # display only: never traps


def _money_cell(places: int, other: Any) -> Any:
    """`exact_cell` for money with the row currency's minor unit, fast for the usual texts
    (``2100.00``, ``1470.000``, ``2161.1625``): a run writes one per money step and row."""
    digits_of: dict[Decimal, int] = {}

    def cell(value: Any, unit: Decimal) -> str:
        if type(value) is not Decimal:
            return other(value)  # type: ignore[no-any-return]
        try:
            digits = digits_of[unit]
        except KeyError:
            digits = digits_of.setdefault(unit, -unit.as_tuple().exponent)  # type: ignore[operator]
        text = str(value)
        if "E" in text or text[0] == "-":  # an exponent, a sign: the general path
            return exact_cell(value, unit, places)
        dot = text.find(".")
        if dot >= 0:
            have = len(text) - dot - 1
            if have == digits:
                return text
            if have < digits:
                return text + "0" * (digits - have)
            if have > places:  # 2161.162500000001 → 2161.162500 → 2161.1625
                if places < digits:
                    return exact_cell(value, unit, places)
                text = str(value.quantize(_QUANTA[places], context=_WIDE))
                dot = text.find(".")
                if dot < 0 or "E" in text:
                    return exact_cell(value, unit, places)
                have = len(text) - dot - 1
            if text[-1] != "0":
                return text
            text = text.rstrip("0")  # 1470.000 → 1470. → 1470.00
            have = len(text) - dot - 1
            if have >= digits:
                return text if have else text[:-1]
            return text + "0" * (digits - have)
        return text + "." + "0" * digits if digits else text

    return cell


def _integer_cell(computed: Any, other: Any) -> Any:
    """An integer step: a whole number without decimals (4178, never 4178.00)."""

    def cell(value: Any) -> str:
        if type(value) is Decimal and value == value.to_integral_value():
            return str(int(value))
        if type(value) is int:
            return str(value)
        return computed(value) if type(value) is Decimal else other(value)  # type: ignore[no-any-return]

    return cell


def _cell_expression(ref: str, kind: str, type_: str) -> str:
    """The cell of one slot as a Python expression of its CSV text (quoted where it is text),
    inline where the value's type is known."""
    if kind == "pay":
        return _exact(ref)  # always a rounded Decimal, also when not eligible
    if kind in ("eligibility", "gate") or (kind == "input" and type_ == "boolean"):
        return f"('' if {ref} is None else 'true' if {ref} else 'false')"
    if kind == "input":
        if type_ == "text":  # escaped where a spreadsheet would read a formula, quoted if need be
            return f"('' if {ref} is None else {ref} if {ref}.isalnum() else TEXT({ref}))"
        if type_ == "date":
            return f"('' if {ref} is None else DATE[{ref}])"
        if type_ == "integer":
            return f"('' if {ref} is None else str({ref}))"
        return f"('' if {ref} is None else {_exact(ref)})"  # as read: decimal, percent
    if kind == "variant":
        return f"('' if {ref} is None else VARIANT[{ref}])"
    if type_ == "money" and kind in ("step", "raw", "stage"):
        return f"MONEY({ref}, MU)"  # at least the pay currency's decimals
    if type_ == "integer" and kind in ("step", "raw", "stage"):
        return f"INT({ref})"
    return f"F[type({ref})]({ref})"


def _rounded_expression(ref: str, quantum: str) -> str:
    """The cell of a slot the policy rounds, at its quantum's decimals (the name ``quantum``)."""
    return f"({_exact(f'{ref}.quantize({quantum})')} if type({ref}) is D else F[type({ref})]({ref}))"


def _exact(ref: str) -> str:
    """The expression of `exact_text` of the Decimal expression ``ref``, inline."""
    return f"(_s if 'E' not in (_s := str({ref})) else format({ref}, 'f'))"


def exact_text(value: Decimal) -> str:
    """``format(value, "f")``, faster: `str` gives the same text unless it has an exponent
    (``str`` writes one when the exponent is positive or the value below 1e-6)."""
    text = str(value)
    return text if "E" not in text else format(value, "f")


def text_cell(value: object) -> str:
    """`format_cell` of a text, quoted for CSV where it needs it."""
    return quote(format_cell(value))


_DATES = Memo(lambda day: day.isoformat(), 1 << 15)  # dates repeat: about 90 years of days


def _formatters(places: int) -> dict[type, Any]:
    """Cell formatters by value type; decimals longer than ``places`` are rounded for display."""
    quantum = Decimal(1).scaleb(-places)

    short = places + 2  # "0." and ``places`` digits: a text this short needs no rounding

    def decimal_cell(value: Decimal) -> str:
        text = str(value)  # the same text as format(value, "f") unless it has an exponent
        if "E" in text:
            text = format(value, "f")
        if len(text) > short:
            dot = text.find(".")
            if dot >= 0 and len(text) - dot - 1 > places:
                text = exact_text(value.quantize(quantum))
        if text[-1] == "0" and "." in text:  # no trailing zeros: 0.8750 is 0.875
            text = text.rstrip("0").rstrip(".")
            return "0" if text in ("", "-0") else text
        return "0" if text == "-0" else text

    return {
        Decimal: decimal_cell,
        int: str,
        bool: lambda v: "true" if v else "false",
        str: format_cell,
        type(None): lambda v: "",
        datetime.date: datetime.date.isoformat,
    }


def segments_cell(places: int) -> Any:
    """The one-cell text of a weighted step's segments (empty for no segments), e.g.
    ``2026-01-01..2026-03-31 90d 24.6575% 1000.00 | 2026-04-01..2026-12-31 275d 75.3425%
    1200.00 (base_salary=12000)``: dates, days, the weight (days ÷ period days, at ``places``
    decimals, shown as a percentage), the value, and the inputs the history set."""
    quantum = Decimal(1).scaleb(-places)

    def cell(value: Any, unit: Decimal | None = None) -> str:
        if not value:
            return ""
        parts = []
        for start, end, days, weight, amount, changed in value:
            pct = (Decimal(weight.numerator) / weight.denominator).quantize(quantum).scaleb(2)
            text = f"{start.isoformat()}..{end.isoformat()} {days}d {format(pct, 'f')}% "
            text += (
                exact_cell(amount, unit, places)
                if isinstance(amount, Decimal)
                else format_cell(amount)
            )
            if changed:
                text += " (" + ", ".join(f"{n}={_plain(v)}" for n, v in changed) + ")"
            parts.append(text)
        return format_cell(" | ".join(parts))

    return cell


def match_text(detail: object, args: object) -> str:
    """What a table, curve, tier or rate call matched, compactly: ``2`` or ``1;3`` or a rate."""
    if type(detail) is int:
        return str(detail)
    if type(detail) is tuple:
        return ";".join([_PLAIN.get(type(d), _plain)(d) for d in detail])
    return _plain(detail)


def _plain(value: object) -> str:
    if value is None:
        return "default"
    if isinstance(value, tuple):
        return "-".join(_plain(v) for v in value)
    return format_cell(value)


_PLAIN: dict[type, Any] = {int: str, Decimal: lambda d: format(d, "f"), str: format_cell}


_OUTPUT_FORMATS = _formatters(6)  # the formatters of values other than decimals
_LINE_OUTPUT_FORMATS = {**_OUTPUT_FORMATS, str: text_cell}  # and a text quoted for CSV
