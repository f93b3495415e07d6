"""Files of rows keyed by employee_id (goals, rating history, dated changes), read into memory.

Each row becomes an object attached to its employee's roster row. Nothing is lost: a row that
cannot be read rejects its employee (never a silently short list), a row without an id and a row
for an employee who is not in the roster end in rejected.csv.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Generic, TypeVar

from incentives.errors import RowError
from incentives.io.csvread import CsvRecord, open_csv
from incentives.model import Rejection, RowSource

__all__ = ["ID", "KeyedFile"]

ID = "employee_id"
T = TypeVar("T")

# builds one row's object from its stripped cells, or None for a row to skip (all blank)
RowBuilder = Callable[[dict[str, str], RowSource], "T | None"]


class KeyedFile(Generic[T]):
    """A CSV file with an ``employee_id`` column, its rows built and grouped by employee."""

    def __init__(
        self,
        path: Path,
        *,
        required: Collection[str],
        what: str,
        build: Callable[[dict[str, str], RowSource], T | None],
        orphan_reason: str,
    ) -> None:
        self.table = open_csv(path, required=[ID, *required], what=what)
        self._build = build
        self._orphan_reason = orphan_reason
        self._by_id: dict[str, list[T]] = {}
        self._faults: dict[str, str] = {}
        self._unattributed: list[Rejection] = []
        self._rows: list[tuple[str, int, int]] = []  # (employee_id, record, line) of every row
        self._load()

    def _load(self) -> None:
        table = self.table
        columns = table.columns
        id_index = table.index(ID)
        for record in table.records():
            fields = record.fields
            employee_id = fields[id_index].strip() if id_index < len(fields) else ""
            if employee_id:
                self._rows.append((employee_id, record.record, record.line))
            where = f"{table.name} line {record.line}"
            if len(fields) != len(columns):
                reason = f"record has {len(fields)} fields, the header has {len(columns)}"
                self._bad_row(record, employee_id, "", "", reason, f"{where}: {reason}")
                continue
            if not employee_id:
                self._bad_row(record, "", ID, "", "employee_id is blank", "")
                continue
            cells = {c: v.strip() for c, v in zip(columns, fields, strict=True)}
            try:
                built = self._build(cells, RowSource(table.name, record.record, record.line))
            except RowError as exc:
                self._bad_row(
                    record, employee_id, exc.column, exc.value, exc.reason, f"{where}: {exc.reason}"
                )
                continue
            if built is not None:
                self._by_id.setdefault(employee_id, []).append(built)

    def _bad_row(
        self, record: CsvRecord, employee_id: str, column: str, value: str, reason: str, fault: str
    ) -> None:
        """A row that cannot be read: its employee (if known) is rejected, never short of it."""
        if employee_id:
            self._faults.setdefault(employee_id, fault)
        else:
            self._unattributed.append(
                Rejection(self.table.name, record.record, record.line, "", column, value, reason)
            )

    def rows(self, employee_id: str) -> tuple[T, ...]:
        return tuple(self._by_id.get(employee_id, ()))

    def fault(self, employee_id: str) -> str | None:
        return self._faults.get(employee_id)

    def orphans(self, roster_ids: set[str]) -> list[Rejection]:
        found = list(self._unattributed)
        file = self.table.name
        for employee_id, record, line in self._rows:
            if employee_id not in roster_ids:
                found.append(
                    Rejection(file, record, line, employee_id, ID, employee_id, self._orphan_reason)
                )
        return sorted(found, key=lambda rejection: rejection.record)
