"""The large sheets of the workbook: Results and Breakdown per policy, Rejected, Not covered.

Each is planned before a byte is written (its columns, how many rows, how many sheets when it
passes Excel's row limit), so that the workbook's sheet list, filters and names are known up
front; then its rows are streamed from the run folder into the package (`sheet_xml`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice

import attrs

from incentives.reports.run_source import PolicyInfo, RunSource
from incentives.reports.sheet_xml import EXCEL_MAX_ROWS, SheetColumn

__all__ = ["BulkSheet", "Part", "counted", "plan_bulk_sheets", "widths"]

_TYPE_KIND = {"money": "money", "percent": "percent", "decimal": "number", "integer": "number"}
_GOAL = re.compile(r"\.goal\d+\.(target|actual|weight|attainment|payout)$")
_GOAL_KIND = {"target": "number", "actual": "number", "weight": "percent"}
_GOAL_KIND |= {"attainment": "percent", "payout": "percent"}
_FIELD_KIND = {"decimal": "number", "integer": "number", "rating": "number", "percent": "percent"}
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
    policy: str | None  # the policy whose rows it shows (Rejected, Not covered: None)
    rows: int
    parts: tuple[Part, ...] = ()
    freeze: bool = True


def _column_kind(policy: PolicyInfo | None, name: str) -> str:
    if policy is None:
        return "text"
    if name in policy.pay_codes or name.startswith("pay."):
        return "money"
    kind = policy.slot_types.get(name)
    if kind is None:  # a goal's figures (individual.goal2.target); else text
        goal = _GOAL.search(name)
        return _GOAL_KIND[goal.group(1)] if goal else "text"
    return _TYPE_KIND.get(kind, "text")


def _results_columns(policy: PolicyInfo, header: Sequence[str]) -> list[int]:
    wanted = {"employee_id", "currency", "eligible", "zero_reason", "notes"}
    wanted |= set(policy.pay_codes) | set(policy.outputs)
    if policy.kind == "promotion":
        wanted |= {"ready", "gaps"}
    return [i for i, name in enumerate(header) if name in wanted]


def _count(rows: Iterator[list[str]]) -> int:
    return sum(1 for _ in rows)


def plan_bulk_sheets(source: RunSource) -> list[BulkSheet]:
    """Every bulk sheet of the workbook, in order, with its columns; the rows of Rejected and
    Not covered counted (those of the policies' sheets are counted as results.csv is read:
    `counted`)."""
    results = source.header("results.csv")
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
                rows=0,
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
                policy=policy.id,
                rows=0,
            )
        )
    fields = {str(f.get("name")): str(f.get("type")) for f in source.rulebook.get("fields", [])}
    header = source.header("inputs.csv")
    sheets.append(
        BulkSheet(
            title="Inputs",
            file="inputs.csv",
            columns=tuple(
                SheetColumn(n, _FIELD_KIND.get(fields.get(n, ""), "text")) for n in header
            ),
            keep=tuple(range(len(header))),
            policy=None,
            rows=_count(islice(source.rows("inputs.csv"), 1, None)),
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
                    rows=_count(islice(source.rows(name, ()), 1, None)),
                    freeze=False,
                )
            )
    return sheets


def counted(
    sheets: Sequence[BulkSheet], rows: Mapping[str, int], max_rows: int = EXCEL_MAX_ROWS
) -> list[BulkSheet]:
    """The sheets with the rows of each policy's (``rows``: policy id -> results.csv rows),
    each split into parts of at most ``max_rows`` rows, header included: "Breakdown x",
    "Breakdown x (2)"…"""
    return [
        _split(attrs.evolve(s, rows=rows.get(s.policy, 0)) if s.policy else s, max_rows)
        for s in sheets
    ]


def _split(sheet: BulkSheet, max_rows: int) -> BulkSheet:
    per = max_rows - 1
    if per < 1:
        raise ValueError("a sheet holds at least a header and one row")
    count = max(1, -(-sheet.rows // per))
    parts = tuple(
        Part(sheet.title if n == 0 else f"{sheet.title} ({n + 1})", min(per, sheet.rows - n * per))
        for n in range(count)
    )
    return attrs.evolve(sheet, parts=parts)


def widths(
    sheet: BulkSheet, sample: Sequence[Sequence[str]], *, kept: bool = False
) -> tuple[SheetColumn, ...]:
    """The columns with widths fitted to the header and ``sample`` rows, 8 to 40 characters;
    ``kept``: the sample holds the shown columns only (else whole rows of the file)."""
    columns = []
    for n, (column, i) in enumerate(zip(sheet.columns, sheet.keep, strict=True)):
        at = n if kept else i
        longest = max([len(column.name), *(len(r[at]) for r in sample)])
        columns.append(attrs.evolve(column, width=float(min(40, max(8, longest + 2)))))
    return tuple(columns)
