"""The large sheets of the workbook: Results and Breakdown per policy, Rejected, Not covered.

Each is planned before a byte is written (its columns, how many rows, how many sheets when it
passes Excel's row limit), so that the workbook's sheet list, filters and names are known up
front; then its rows are streamed from the run folder into the package (`sheet_xml`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, islice

import attrs

from incentives.reports.run_source import PolicyInfo, RunSource
from incentives.reports.sheet_xml import EXCEL_MAX_ROWS, SheetColumn

__all__ = ["BulkSheet", "Part", "plan_bulk_sheets"]

_TYPE_KIND = {"money": "money", "percent": "percent", "decimal": "number", "integer": "number"}
_SAMPLE = 50  # rows read ahead to size the columns


@attrs.frozen
class Part:
    """One worksheet of a bulk sheet: its name and the data rows it holds."""

    name: str
    rows: int


@attrs.frozen
class BulkSheet:
    """A table of the run folder as one or more worksheets (``parts``)."""

    title: str
    file: str  # the run folder file it comes from
    columns: tuple[SheetColumn, ...]
    keep: tuple[int, ...]  # the file's columns shown, by index
    policy: str | None  # the rows of results.csv kept (None: every row)
    rows: int
    parts: tuple[Part, ...] = ()
    freeze: bool = True


def _column_kind(policy: PolicyInfo | None, name: str) -> str:
    if name in ("employee_id", "eligible", "policy", "kind", "currency") or policy is None:
        return "text"
    if name in policy.pay_codes or name.startswith("pay."):
        return "money"
    kind = policy.slot_types.get(name)
    if kind is None:  # goals, what a call matched: a number where the cell is one
        return "text" if name.endswith(("[match]", ".name", ".direction", ".segment")) else "number"
    return _TYPE_KIND.get(kind, "text")


def _results_columns(policy: PolicyInfo, header: Sequence[str]) -> list[int]:
    wanted = {"employee_id", "currency", "eligible", "zero_reason", "notes"}
    wanted |= set(policy.pay_codes) | set(policy.outputs)
    if policy.kind == "promotion":
        wanted |= {"ready", "gaps"}
    return [i for i, name in enumerate(header) if name in wanted]


def _count(rows: Iterator[list[str]], policy: str | None, at: int) -> int:
    return sum(1 for row in rows if policy is None or row[at] == policy)


def plan_bulk_sheets(source: RunSource, max_rows: int = EXCEL_MAX_ROWS) -> list[BulkSheet]:
    """Every bulk sheet of the workbook, in order, with its rows counted and split into parts
    of at most ``max_rows`` rows (header included)."""
    results = source.header("results.csv")
    policy_at = results.index("policy") if "policy" in results else 1
    per_policy: dict[str, int] = {}
    for row in islice(source.rows("results.csv", ("employee_id", "policy")), 1, None):
        per_policy[row[policy_at]] = per_policy.get(row[policy_at], 0) + 1
    sheets = []
    for policy in source.policies:
        keep = _results_columns(policy, results)
        sheets.append(
            BulkSheet(
                title=f"Results {policy.id}",
                file="results.csv",
                columns=tuple(
                    SheetColumn(results[i], _column_kind(policy, results[i])) for i in keep
                ),
                keep=tuple(keep),
                policy=policy.id,
                rows=per_policy.get(policy.id, 0),
            )
        )
    for policy in source.policies:
        header = source.header(policy.breakdown)
        sheets.append(
            BulkSheet(
                title=f"Breakdown {policy.id}",
                file=policy.breakdown,
                columns=tuple(SheetColumn(n, _column_kind(policy, n)) for n in header),
                keep=tuple(range(len(header))),
                policy=None,
                rows=per_policy.get(policy.id, 0),
            )
        )
    for title, name in (("Rejected", "rejected.csv"), ("Not covered", "not_covered.csv")):
        header = source.header(name)
        if header:
            sheets.append(
                BulkSheet(
                    title=title,
                    file=name,
                    columns=tuple(SheetColumn(n) for n in header),
                    keep=tuple(range(len(header))),
                    policy=None,
                    rows=_count(islice(source.rows(name, ()), 1, None), None, 0),
                    freeze=False,
                )
            )
    return [_split(sheet, max_rows) for sheet in sheets]


def _split(sheet: BulkSheet, max_rows: int) -> BulkSheet:
    """The sheet in parts of at most ``max_rows - 1`` data rows: "Breakdown x", "… (2)"."""
    per = max_rows - 1
    if per < 1:
        raise ValueError("a sheet holds at least a header and one row")
    count = max(1, -(-sheet.rows // per))
    parts = tuple(
        Part(sheet.title if n == 0 else f"{sheet.title} ({n + 1})", min(per, sheet.rows - n * per))
        for n in range(count)
    )
    return attrs.evolve(sheet, parts=parts)


def sized(sheet: BulkSheet, rows: Iterator[list[str]]) -> tuple[BulkSheet, Iterator[list[str]]]:
    """The sheet with its column widths fitted to the header and the first rows (8 to 40
    characters), and the same rows to stream."""
    ahead = list(islice(rows, _SAMPLE))
    columns = []
    for column, i in zip(sheet.columns, sheet.keep, strict=True):
        longest = max([len(column.name), *(len(r[i]) for r in ahead)])
        columns.append(attrs.evolve(column, width=float(min(40, max(8, longest + 2)))))
    return attrs.evolve(sheet, columns=tuple(columns)), chain(ahead, rows)

