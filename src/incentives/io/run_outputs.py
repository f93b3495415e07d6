"""The layout of a run's CSV outputs: results, breakdown and rejected rows.

Columns are fixed per rulebook (the union of every policy's pay components and trace slots),
computed once; each employee is then a list of cells built from its trace tuple.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome
from incentives.io.writers import format_cell
from incentives.model import Rejection
from incentives.rulebook.policy import CompiledPolicy, Slot
from incentives.rulebook.rulebook import Rulebook

__all__ = ["GOAL_FIELDS", "REJECTED_HEADER", "OutputLayout", "rejected_row"]

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
            rej.reason,
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
    """Headers and row builders for results.csv and breakdown.csv of one rulebook."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.components: list[str] = []
        for policy in rulebook.policies:
            for pay in policy.pay:
                for name in (pay.name, *(n for n, _ in pay.parts)):
                    if name not in self.components:
                        self.components.append(name)
        self.results_header = [
            "employee_id",
            "policy",
            "currency",
            "eligible",
            "zero_reason",
            *self.components,
        ]
        self.breakdown_header: list[str] = ["employee_id", "policy", "eligible"]
        index: dict[str, int] = {name: i for i, name in enumerate(self.breakdown_header)}
        self._plans: dict[str, list[tuple[int, str, list[int], int]]] = {}
        self._pay_columns: dict[str, list[tuple[int, int]]] = {}
        for policy in rulebook.policies:
            plan: list[tuple[int, str, list[int], int]] = []
            for slot_index, slot in enumerate(policy.slots):
                goals = policy.scorecards[slot.owner].max_goals if slot.kind == "goals" else 0
                cols = []
                for column in slot_columns(slot, goals):
                    if column not in index:
                        index[column] = len(self.breakdown_header)
                        self.breakdown_header.append(column)
                    cols.append(index[column])
                plan.append((slot_index, slot.kind, cols, goals))
            self._plans[policy.id] = plan
            self._pay_columns[policy.id] = [
                (slot, 5 + self.components.index(name))
                for pay in policy.pay
                for name, slot in (
                    (pay.name, pay.slot),
                    *zip((n for n, _ in pay.parts), pay.part_slots, strict=True),
                )
            ]
        self._width = len(self.breakdown_header)
        self._quantum = {
            p.id: Decimal(1).scaleb(-p.spec.policy.breakdown_decimals) for p in rulebook.policies
        }
        self._places = {p.id: p.spec.policy.breakdown_decimals for p in rulebook.policies}

    def results_row(self, emp: EmployeeOutcome, po: PolicyOutcome) -> list[str]:
        row = [
            format_cell(emp.employee_id),
            format_cell(po.policy.id),
            format_cell(po.currency),
            "true" if po.eligible else "false",
            format_cell(po.zero_reason),
        ]
        row += [""] * len(self.components)
        for slot, column in self._pay_columns[po.policy.id]:
            row[column] = format_cell(po.trace[slot])
        return row

    def breakdown_row(self, emp: EmployeeOutcome, po: PolicyOutcome) -> list[str]:
        policy = po.policy
        row = [""] * self._width
        row[0] = format_cell(emp.employee_id)
        row[1] = format_cell(policy.id)
        row[2] = "true" if po.eligible else "false"
        quantum = self._quantum[policy.id]
        places = -self._places[policy.id]
        trace = po.trace
        for slot_index, kind, cols, _goals in self._plans[policy.id]:
            value = trace[slot_index]
            if value is None:
                continue
            if kind == "call":
                args, result = value
                row[cols[0]] = _cell(result[0], quantum, places)
                row[cols[1]] = _match_text(result[1], args)
            elif kind == "goals":
                flat: list[Any] = [field for goal in value for field in goal]
                for column, cell in zip(cols, flat, strict=False):
                    row[column] = _cell(cell, quantum, places)
            else:
                row[cols[0]] = _cell(value, quantum, places)
        return row


def _cell(value: object, quantum: Decimal, places: int) -> str:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < places:
            value = value.quantize(quantum).normalize() if value else Decimal(0)
        return format(value, "f")
    return format_cell(value)


def _match_text(detail: object, args: object) -> str:
    """What a table, curve, tier or rate call matched, compactly: ``2`` or ``1;3`` or a rate."""
    if isinstance(detail, tuple):
        return ";".join(_plain(d) for d in detail)
    return _plain(detail)


def _plain(value: object) -> str:
    if value is None:
        return "default"
    if isinstance(value, tuple):
        return "-".join(_plain(v) for v in value)
    return format_cell(value)


_ = CompiledPolicy
