"""The layout of a run's CSV outputs: results, inputs, breakdown per policy, rejected rows.

Columns are fixed per rulebook, computed once (see docs/run-folder.md): results.csv has the union
of every policy's pay components and outputs; inputs.csv each roster field once; each policy's
breakdown file its own trace slots. Each employee is then lines made from its traces by line
functions generated per file (io/csv_lines.py), each cell's text as io/cells.py writes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any, NamedTuple

from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome
from incentives.errors import escape_controls
from incentives.io.cells import (
    FILLS,
    LINE_OUTPUT_FORMATS,
    ROW_UNITS,
    cell_expression,
    cell_namespace,
    declared_quanta,
    exact_cell,
    exact_output_expression,
    kept_money_expression,
    match_text,
    quantized_expression,
    quantum_point,
    rounded_expression,
    segments_cell,
    text_cell,
)
from incentives.io.csv_lines import LineCell, Memo, line_function, pair_function
from incentives.io.same_values import handed_on_literals, same_value_candidates
from incentives.io.trace_cells import (
    call_cells,
    call_kind,
    call_line_cells,
    call_line_names,
    goal_cells_of,
    goals_line_cells,
)
from incentives.io.writers import format_cell
from incentives.model import Rejection
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.policy import CompiledPolicy, Slot
from incentives.rulebook.runtime.tables import Table

__all__ = [
    "GOAL_FIELDS",
    "REJECTED_HEADER",
    "OutcomeLine",
    "OutputLayout",
    "PairLine",
    "breakdown_file_names",
    "input_placement",
    "match_text",
    "rejected_row",
]

OutcomeLine = Callable[[str, PolicyOutcome], str]  # (employee id, outcome) → one CSV line
# (employee id, outcome) → its results.csv line and its breakdown line
PairLine = Callable[[str, PolicyOutcome], tuple[str, str]]

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
        # each policy's line functions, compiled when first asked for (a worker writing with
        # `pair_line_of` never compiles the separate ones)
        self._row_functions: dict[str, Any] = {}
        self._policies = {p.id: p for p in rulebook.policies}
        self._input_lines: dict[tuple[str, ...], Any] = {}
        self._money_outputs = {
            p.id: frozenset(slot for _, slot in p.output_slots if p.slots[slot].type == "money")
            for p in rulebook.policies
        }
        self._quanta = {p.id: declared_quanta(p) for p in rulebook.policies}
        self._results_functions: dict[str, Any] = {}
        self._pair_functions: dict[str, Any] = {}

    def results_line(self, emp: EmployeeOutcome, po: PolicyOutcome) -> str:
        """The results.csv line (with its ``\\n``) of one employee under one policy."""
        return self.results_line_of(po.policy.id)(emp.employee_id, po)

    def breakdown_line(self, emp: EmployeeOutcome, po: PolicyOutcome) -> str:
        """The breakdown file's line (with its ``\\n``) of one employee under one policy."""
        return self.breakdown_line_of(po.policy.id)(emp.employee_id, po)

    def results_line_of(self, policy_id: str) -> OutcomeLine:
        """`results_line` for the outcomes of one policy, called with the employee's id."""
        if policy_id not in self._results_functions:
            policy = self._policies[policy_id]
            self._results_functions[policy_id] = self._results_function(policy)
        return self._results_functions[policy_id]  # type: ignore[no-any-return]

    def breakdown_line_of(self, policy_id: str) -> OutcomeLine:
        """`breakdown_line` for the outcomes of one policy, called with the employee's id."""
        if policy_id not in self._row_functions:
            self._row_functions[policy_id] = self._row_function(self._policies[policy_id])
        return self._row_functions[policy_id]  # type: ignore[no-any-return]

    def pair_line_of(self, policy_id: str) -> PairLine | None:
        """The results.csv line and the breakdown line of one policy's outcome at once, as a
        tuple: ``(results_line_of(policy_id)(eid, po), breakdown_line_of(policy_id)(eid, po))``
        (held to them by tests/test_pair_lines.py), or None where the two cannot share one
        function. The two unpack the outcome and its trace once, and a pay amount's text (the
        employee id's, eligible's) is made once when the breakdown writes it with the results
        cell's very expression."""
        if policy_id not in self._pair_functions:
            self._pair_functions[policy_id] = self._pair_function(self._policies[policy_id])
        return self._pair_functions[policy_id]  # type: ignore[no-any-return]

    def _pair_function(self, policy: CompiledPolicy) -> Any:
        results, results_names, prologue = self._results_parts(policy, "v{}")
        breakdown, names, _ = self._row_parts(policy)
        if any(names[k] is not v for k, v in results_names.items() if k in names):
            return None  # a name meaning two things (never so today): the separate lines
        pays = {column for _, column in self._pay_columns[policy.id]}
        for column, cell in enumerate(results):
            expression, name = cell.expression, f"_r{column}"
            if expression[:1] in ("'", '"'):
                continue  # a constant, folded into the line
            if column in pays:  # a pay amount: in the breakdown's cell of the same slot
                shared = [expression in other.expression for other in breakdown]
            else:  # the employee id, eligible: a whole cell written alike
                shared = [expression == other.expression for other in breakdown]
            if any(shared):
                # the same expression of the same values, names and units: its text made once
                results[column] = replace(cell, expression=f"({name} := {expression})")
                breakdown = [
                    replace(other, expression=other.expression.replace(expression, name))
                    if same
                    else other
                    for other, same in zip(breakdown, shared, strict=True)
                ]
        results, breakdown = _shared_texts(results, breakdown)
        values = "".join(f"v{slot}, " for slot in range(len(policy.slots)))
        if values:
            prologue += f"; ({values}) = t"
        return pair_function(
            f"pair {policy.id}", "eid, po", results, breakdown, {**names, **results_names}, prologue
        )

    def _results_function(self, policy: CompiledPolicy) -> Any:
        """Generate the results.csv line of one policy: fixed cells, its pay components at their
        rounding, its outputs exact (or at their declared rounding), the other policies' columns
        empty."""
        cells, namespace, prologue = self._results_parts(policy, "t[{}]")
        return line_function(f"results {policy.id}", "eid, po", cells, namespace, prologue)

    def _results_parts(
        self, policy: CompiledPolicy, value: str
    ) -> tuple[list[LineCell], dict[str, Any], str]:
        """The cells, names and prologue of `_results_function`; ``value.format(slot)``: how
        its cells name a slot's value (``t[3]``, or ``v3`` where the prologue unpacks it)."""
        cells = [LineCell(name, "''") for name in self.results_header]
        cells[:7] = [
            LineCell("employee_id", _EMPLOYEE_ID),
            LineCell("policy", repr(format_cell(policy.id)), quote=True),
            LineCell("kind", repr(format_cell(policy.kind)), quote=True),
            LineCell("currency", "CURRENCY[cur]"),
            LineCell("eligible", "('true' if elig else 'false')"),
            # texts mostly empty: '' is `text_cell("")`, without a memo's lookup
            LineCell("zero_reason", "('' if zr == '' else REASON[zr])"),
            LineCell("notes", "('' if notes == '' else NOTES[notes])"),
        ]
        quanta = self._quanta[policy.id]
        constants: dict[str, Decimal] = {}

        def quantized(ref: str, slot: int) -> str:  # at the declared step, or the row's unit
            step = quanta.get(slot)
            if step is None:
                return quantized_expression(ref, "MU", "DOT:NEXT")
            name = f"RQ{len(constants)}"  # (not the breakdown's Q<n>: see _pair_function)
            constants[name] = step
            return quantized_expression(ref, name, quantum_point(step))

        for slot, column in self._pay_columns[policy.id]:
            # a rounded Decimal, always: at its declared step's decimals on every row
            header = self.results_header[column]
            cells[column] = LineCell(header, quantized(value.format(slot), slot))
        money = self._money_outputs[policy.id]
        for slot, column in self._output_columns[policy.id]:
            ref = value.format(slot)
            if slot in quanta:  # a declared rounding: its step's decimals
                decimal = quantized(ref, slot)
            else:  # exact: nothing is cut below the precision it was computed at
                decimal = exact_output_expression(ref, money=slot in money)
            expression = f"({decimal} if type({ref}) is D else OUT[type({ref})]({ref}))"
            cells[column] = LineCell(self.results_header[column], expression)
        if self.readiness:
            cells[-2:] = [
                LineCell("ready", "('' if ready is None else 'true' if ready else 'false')"),
                LineCell("gaps", "('' if gaps == '' else GAPS[gaps])"),
            ]
        namespace: dict[str, Any] = {
            "TEXT": text_cell,
            "ROW_UNITS": ROW_UNITS,
            "CURRENCY": Memo(text_cell),
            "REASON": Memo(text_cell),
            "NOTES": Memo(text_cell),
            "GAPS": Memo(text_cell),
            "D": Decimal,
            "EXACT": exact_cell,
            "FILLS": FILLS,
            "OUT": LINE_OUTPUT_FORMATS,
            **constants,
        }
        prologue = (
            "cur, elig, zr, notes, ready, gaps, t = po.currency, po.eligible, po.zero_reason,"
            " po.notes, po.ready, po.gaps, po.trace; MU, DOT, NEXT, PAD = ROW_UNITS[cur]"
        )
        return cells, namespace, prologue

    def inputs_line(self, emp: EmployeeOutcome) -> str:
        """The employee's line of inputs.csv (with its ``\\n``): each shared input as the first
        of the employee's policies that takes it from inputs.csv read it (they all read the same
        value)."""
        build = self.inputs_line_of(tuple([po.policy.id for po in emp.outcomes]))
        return build(emp.employee_id, *[po.trace for po in emp.outcomes])

    def inputs_line_of(self, policy_ids: tuple[str, ...]) -> Callable[..., str]:
        """`inputs_line` for the employees computed by ``policy_ids`` (in their order of
        outcomes), called with the employee's id and each outcome's trace."""
        build = self._input_lines.get(policy_ids)
        if build is None:
            build = self._input_lines[policy_ids] = self._input_function(policy_ids)
        return build  # type: ignore[no-any-return]

    def _input_function(self, policy_ids: tuple[str, ...]) -> Any:
        """Generate the inputs.csv line for employees computed by ``policy_ids``."""
        cells = [LineCell("employee_id", _EMPLOYEE_ID)]
        values: list[str] = []  # each input's value, read from its trace once: x0 = t0[3]
        for name in self.shared_inputs:
            cell = LineCell(name, "''")  # no policy of the employee reads it
            for position, policy_id in enumerate(policy_ids):
                slot = self._input_slots[policy_id].get(name)
                if slot is not None and name not in self.kept_inputs[policy_id]:
                    type_ = self._policies[policy_id].slots[slot].type
                    ref = f"x{len(values)}"
                    values.append(f"t{position}[{slot}]")
                    cell = LineCell(name, cell_expression(ref, "input", type_))
                    break
            cells.append(cell)
        args = "".join(f", t{i}" for i in range(len(policy_ids)))
        namespace = cell_namespace(6)  # inputs only: their places are never used
        names = "".join(f"x{i}, " for i in range(len(values)))
        prologue = f"({names}) = ({', '.join(values)},)" if values else ""
        return line_function("inputs", f"eid{args}", cells, namespace, prologue)

    def _row_function(self, policy: CompiledPolicy) -> Any:
        """Generate the breakdown line of one policy: one expression per column.

        Formatting ~80 cells for each of a million employees is the hot loop of a run. The
        layout is compiled into one f-string (see `incentives.io.csv_lines`); where a slot's
        Python type is known (inputs by their declared type, flags, pay amounts) its cell is an
        inline expression, and only computed values go through the type-dispatched formatter.
        """
        cells, namespace, prologue = self._row_parts(policy)
        return line_function(f"breakdown {policy.id}", "eid, po", cells, namespace, prologue)

    def _row_parts(self, policy: CompiledPolicy) -> tuple[list[LineCell], dict[str, Any], str]:
        """The cells, names and prologue of `_row_function` (``(v0, v1, ...) = t`` last)."""
        header = self.breakdown_headers[policy.id]
        cells = [LineCell(name, "''") for name in header]
        cells[0] = LineCell("employee_id", _EMPLOYEE_ID)
        cells[1] = LineCell("eligible", "('true' if elig else 'false')")
        quanta = declared_quanta(policy)
        constants: dict[str, Decimal] = {}
        spanned: set[int] = set()  # columns a goals expression fills with the one before
        calls: dict[str, str] = {}  # each call slot's cell function: its own caches
        inline_calls: dict[int, str] = {}  # call slots written inline: their kind
        goal_widths: dict[str, int] = {}  # each scorecard's goal cells (side by side): width
        chains = _Chains(cells, policy)
        for slot_index, kind, cols, _goals in self._plans[policy.id]:
            ref = f"v{slot_index}"
            names = [header[column] for column in cols]
            if kind == "call" and cols[1] == cols[0] + 1:  # the value and the match, inline
                call = call_kind(policy, policy.slots[slot_index])
                made = call_line_cells(names, ref, slot_index, call)
                cells[cols[0] : cols[0] + len(made)] = made
                spanned.update(cols[len(made) :])
                inline_calls[slot_index] = call
            elif kind == "call":
                cells[cols[0]] = LineCell(names[0], f"CALLV{slot_index}({ref})")
                cells[cols[1]] = LineCell(names[1], f"CALLM{slot_index}({ref})")
                calls.update({f"CALLV{slot_index}": "value", f"CALLM{slot_index}": "match"})
            elif kind == "goals" and cols == list(range(cols[0], cols[0] + len(cols))):
                expression = f"GOALS{slot_index}({ref})"
                goal_widths[f"GOALS{slot_index}"] = len(cols)
                cells[cols[0]] = LineCell(names[0], expression, width=len(cols))
                spanned.update(cols[1:])
            elif kind == "goals":
                for position, column in enumerate(cols):
                    expression = f"GOAL_CELLS({ref}, {len(cols)})[{position}]"
                    cells[column] = LineCell(names[position], expression)
            elif kind == "segments":
                owner = policy.spec.steps.get(policy.slots[slot_index].owner)
                money = owner is not None and owner.type == "money"
                # no segments (no dated change: most employees) is an empty cell, inline
                expression = f"('' if not {ref} else Q(SEGMENTS({ref}, {'MU' if money else 'None'})))"
                cells[cols[0]] = LineCell(names[0], expression)
            else:
                value = self._value_cell(policy, slot_index, quanta, constants)
                expression = chains.cell(policy.slots[slot_index], ref, cols[0], value)
                cells[cols[0]] = LineCell(names[0], expression)
        places = policy.spec.policy.breakdown_decimals
        namespace = cell_namespace(places)
        namespace.update(chains.texts)
        for name, part in calls.items():
            namespace[name] = call_cells(namespace, part)
        for slot_index, call in inline_calls.items():
            namespace.update(call_line_names(namespace, slot_index, call))
        namespace.update({name: goal_cells_of(namespace, n) for name, n in goal_widths.items()})
        namespace.update(
            GOAL_CELLS=goals_line_cells(namespace),
            SEGMENTS=segments_cell(places),
            **constants,
        )
        kept = [cell for column, cell in enumerate(cells) if column not in spanned]
        values = "".join(f"v{slot}, " for slot in range(len(policy.slots)))
        prologue = "elig, t = po.eligible, po.trace; MU, DOT, NEXT, PAD = ROW_UNITS[po.currency]"
        if values:
            prologue += f"; ({values}) = t"
        namespace["ROW_UNITS"] = ROW_UNITS
        return kept, namespace, prologue

    @staticmethod
    def _value_cell(
        policy: CompiledPolicy,
        slot_index: int,
        quanta: dict[int, Decimal | None],
        constants: dict[str, Decimal],
    ) -> _ValueCell:
        """The cell expression of a slot holding one value, given the name of that value: at
        its declared rounding (a quantum named once in ``constants``), else by kind and type."""
        slot = policy.slots[slot_index]
        if slot_index not in quanta:  # no declared rounding
            money = slot.type == "money" and slot.kind in ("raw", "stage", "step")
            return _ValueCell(lambda ref, keep=None: cell_expression(ref, slot.kind, slot.type), money)
        quantum = quanta[slot_index]  # a declared rounding: fixed decimals on every row
        q, point, decimals = "MU", "DOT:NEXT", None
        if quantum is not None:
            point = quantum_point(quantum)
            same = [n for n, c in constants.items() if str(c) == str(quantum)]
            q = same[0] if same else f"Q{len(constants)}"
            constants[q] = quantum
            decimals = -quantum.as_tuple().exponent  # type: ignore[operator]
        return _ValueCell(lambda ref, keep=None: rounded_expression(ref, q, point, keep), decimals=decimals)


def _shared_texts(
    results: list[LineCell], breakdown: list[LineCell]
) -> tuple[list[LineCell], list[LineCell]]:
    """A value both lines write (an output step) has its `str` made once: the results cell,
    made first, starts from ``str(v)`` whenever ``v`` is a Decimal (``((_s if (_s :=
    str(v))...) if type(v) is D else ...)``), so it names it, and the breakdown cells that
    take ``str(v)`` only where ``v`` is a Decimal read the name (the very text: ``v`` is
    not rebound in between)."""
    for column, cell in enumerate(results):
        found = re.match(r"\(\(_s if \(_s := str\((v\d+)\)\)", cell.expression)
        if found is None:
            continue
        ref = found.group(1)
        made, name, guard = f"str({ref})", f"_s{ref}", f" if type({ref}) is D else "
        shared = False
        for index, other in enumerate(breakdown):
            text = other.expression
            if made in text and guard in text and made not in text[text.rindex(guard) :]:
                breakdown[index] = replace(other, expression=text.replace(made, name))
                shared = True
        # a breakdown value the line tests against this one (``_kv20 if v22 is v20``: the
        # step's earlier value, mostly the very object) reads the text when it is that object
        # (then a Decimal: the name is set)
        line = "".join(other.expression for other in breakdown)
        for earlier in re.findall(rf"_k(v\d+) if {ref} is v\d+", line):
            own, their = f"str({earlier})", f" if type({earlier}) is D else "
            for index, other in enumerate(breakdown):
                text = other.expression
                if own in text and their in text and own not in text[text.rindex(their) :]:
                    text = text.replace(own, f"({name} if {earlier} is {ref} else {own})")
                    breakdown[index] = replace(other, expression=text)
                    shared = True
        if shared:
            named = f"(_s := ({name} := {made}))"
            expression = cell.expression.replace(f"(_s := {made})", named, 1)
            results[column] = replace(cell, expression=expression)
    return results, breakdown


class _ValueCell(NamedTuple):
    """How a slot holding one value is written: ``make(ref, keep=None)`` is its cell expression
    given the value's name (``keep``: see `rounded_expression`); ``money``: the money cell of
    an unrounded value; ``decimals``: those of the declared step it is rounded at, if any."""

    make: Callable[..., str]
    money: bool = False
    decimals: int | None = None


class _Chains:
    """The values of one step recorded one after the other (``bonus.raw``, ``.after_floor``,
    ``.after_cap``, ``bonus``; a pay component and its total) are mostly the very same object:
    a cell written like the step's previous one reuses that one's text when its value is the
    previous value (``is``), without formatting it again.

    A step whose formula is another step's bare name (``goal_factor: individual``,
    ``bonus_cents: bonus_m6``) starts from that step's value, the same object: its first value
    reuses that step's text alike, and its money cell (``bonus_cents.raw``) when that step is
    rounded at a declared step is derived from the rounded text (`kept_money_expression`)."""

    _KINDS = frozenset({"raw", "stage", "step", "pay"})

    def __init__(self, cells: list[LineCell], policy: CompiledPolicy) -> None:
        self._cells = cells
        self._places = policy.spec.policy.breakdown_decimals
        self._aliases = {  # a step whose formula is a name (another step's, a scorecard's)
            name: formula
            for name, spec in policy.spec.steps.items()
            if (formula := (spec.formula or "").strip()).isidentifier() and formula != name
        }
        # steps whose value a step's first value may be the very object of (`same_values`)
        formulas = {
            name: [spec.formula] if spec.formula else [v.formula for v in spec.variants or ()]
            for name, spec in policy.spec.steps.items()
        }
        self._candidates = same_value_candidates(
            formulas, frozenset(name for name, obj in policy.lookups.items() if type(obj) is Table)
        )
        # each step's literals given as they are, as the generated code's constants (NUM_0)
        numbers = {
            str(value): (name, value)
            for name, value in policy.globals_.items()
            if name.startswith("NUM_") and type(value) is Decimal
        }
        self._constants = {
            name: [numbers[text] for text in handed_on_literals(texts) if text in numbers]
            for name, texts in formulas.items()
        }
        self.texts: dict[str, Any] = {}  # the constants and their texts: the line's names
        self._texts_of: dict[tuple[str, str], str] = {}  # (cell, constant) → its text's name
        # by owner: its latest value's column, template, name, slot name and cell
        self._last: dict[str, tuple[int, str, str, str, _ValueCell]] = {}
        self._made: dict[int, tuple[str, str]] = {}  # by column: the value's name, the cell
        self._plain: set[int] = set()  # columns whose cell is their own `make`
        self._kept: dict[int, str] = {}  # columns whose rounded text is kept: the name
        self._named: set[int] = set()  # columns whose text is named _k<value> for reuse

    def cell(self, slot: Slot, ref: str, column: int, cell: _ValueCell) -> str:
        """The cell expression of ``slot`` (its value named ``ref``, in ``column``), reusing the
        text of the value before it (the step's previous value, or for a step's first value
        the final value of the step its formula names) when it is the same object."""
        if slot.kind not in self._KINDS:
            return cell.make(ref)
        template = cell.make("_VALUE_")
        before = self._last.get(slot.owner)
        if before is None and slot.owner in self._aliases:
            before = self._last.get(self._aliases[slot.owner])
            if before is not None and before[3] != self._aliases[slot.owner]:
                before = None  # (not the final value of what the formula names)
        self._last[slot.owner] = (column, template, ref, slot.name, cell)
        expression = None
        if before is not None and before[0] < column:
            earlier, earlier_template, earlier_ref, _, earlier_cell = before
            decimals = earlier_cell.decimals
            if earlier_template == template:
                self._named.add(earlier)
                self._render(earlier, earlier_cell)
                expression = f"(_k{earlier_ref} if {ref} is {earlier_ref} else {cell.make(ref)})"
            elif (
                cell.money
                and earlier in self._plain
                and decimals is not None
                and 0 < decimals <= self._places
            ):
                keep = self._kept[earlier] = f"_m{earlier_ref}"
                self._render(earlier, earlier_cell)
                expression = kept_money_expression(
                    ref, earlier_ref, keep, decimals, cell.make(ref)
                )
        if expression is None and before is None:
            expression = self._same_as_other(slot.owner, ref, column, template, cell)
        if before is None and self._constants.get(slot.owner):
            expression = self._constant(slot.owner, ref, cell, expression)
        if expression is None:
            self._plain.add(column)
            expression = cell.make(ref)
        self._made[column] = (ref, expression)
        return expression

    def _constant(
        self, owner: str, ref: str, cell: _ValueCell, expression: str | None
    ) -> str | None:
        """A step's first value tested against the constants its formula gives as they are (a
        variant's ``0``): their text, worked out once by the very expression, when it is one
        (a cell whose text reads the row's currency is left as it is)."""
        tests = []
        for name, value in self._constants.get(owner, ()):
            code = cell.make("_VALUE_")
            if re.search(r"\b(MU|DOT|NEXT|PAD|cur)\b", code):
                continue
            try:  # (a name the cell reads that is not the namespace's yet: not this way)
                text = eval(code, cell_namespace(self._places), {"_VALUE_": value})
            except (NameError, ArithmeticError, ValueError, TypeError):
                continue
            known = self._texts_of.setdefault((code, name), f"CONST{len(self._texts_of)}")
            self.texts[f"CONST_{name}"], self.texts[known] = value, text
            tests.append(f"{known} if {ref} is CONST_{name} else ")
        if not tests:
            return expression
        return f"({''.join(tests)}{expression or cell.make(ref)})"

    def _same_as_other(
        self, owner: str, ref: str, column: int, template: str, cell: _ValueCell
    ) -> str | None:
        """A step's first value tested against the final values of other steps it may be the
        very object of (at most three, written alike before it): their text when it is."""
        earlier = []
        for other in self._candidates.get(owner, ()):
            last = self._last.get(other)
            if last is not None and last[3] == other and last[0] < column and last[1] == template:
                earlier.append(last)
        if not earlier:
            return None
        tests = []
        for other_column, _, other_ref, _, other_cell in earlier[:3]:
            self._named.add(other_column)
            self._render(other_column, other_cell)
            tests.append(f"_k{other_ref} if {ref} is {other_ref} else ")
        return f"({''.join(tests)}{cell.make(ref)})"

    def _render(self, column: int, cell: _ValueCell) -> None:
        """Write the cell of ``column`` again, its text kept or named as later cells need."""
        ref, expression = self._made[column]
        if column in self._kept:
            expression = cell.make(ref, self._kept[column])
        if column in self._named:
            expression = f"(_k{ref} := {expression})"
        self._cells[column] = LineCell(self._cells[column].column, expression)


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
    name unique but for case and no Windows device name, else its safe characters and a hash
    of the id (never a clash)."""
    folded = [pid.casefold() for pid in policy_ids]
    # Windows device names (CON, NUL.txt, com1.a.b …) cannot be files there, whatever follows a dot
    device = re.compile(r"(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?", re.IGNORECASE | re.DOTALL)
    names: dict[str, str] = {}
    for pid in policy_ids:
        if (
            _SAFE_NAME.fullmatch(pid)
            and not pid.endswith(".")
            and not device.fullmatch(pid)
            and folded.count(pid.casefold()) == 1
        ):
            names[pid] = f"breakdown/{pid}.csv"
        else:
            safe = re.sub(r"[^A-Za-z0-9._-]+", "-", pid).strip(".-")[:60] or "policy"
            if device.fullmatch(safe):
                safe = safe.replace(".", "-")
            digest = hashlib.sha256(pid.encode("utf-8")).hexdigest()[:12]
            names[pid] = f"breakdown/{safe}-{digest}.csv"
    return names


# the employee id's cell in every file: as it is when alphanumeric (no formula start, nothing to
# quote), which the usual id is; else escaped and quoted like any text
_EMPLOYEE_ID = "(eid if eid.isalnum() else TEXT(eid))"

_RESULTS_FIXED = (
    "employee_id",
    "policy",
    "kind",
    "currency",
    "eligible",
    "zero_reason",
    "notes",
)
