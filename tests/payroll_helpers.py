"""Helpers of the payroll tests: a copy of a run folder with its manifest edited, a roster
with some cells changed, and the lines of an export read back."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import FIXTURES

__all__ = ["edited_manifest", "edited_roster", "line_sums", "read_lines"]


def edited_manifest(run: Path, into: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the run folder ``run`` at ``into`` whose manifest.json ``edit`` changed."""
    shutil.copytree(run, into)
    path = into / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return into


def edited_roster(path: Path, changes: Mapping[tuple[str, str], str]) -> Path:
    """The sample roster written to ``path`` with cells changed: {(employee_id, column): text}."""
    with (FIXTURES / "employees.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for (employee, column), text in changes.items():
        (row,) = (r for r in rows if r["employee_id"] == employee)
        row[column] = text
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_lines(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    """The records of a delimited export, as dicts by header."""
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def line_sums(rows: list[dict[str, str]], code: str = "pay_code") -> dict[tuple[str, str], Decimal]:
    """Amount per (pay code, currency) of a generic export's records."""
    sums: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        key = (row[code], row["currency"])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(row["amount"])
    return sums
