"""The per-employee files of a run, declared in one place.

Each `EmployeeFile` is one CSV file that gets rows from the items of the final pass: a computed
employee (`EmployeeOutcome`), a rejected row (`Rejection`) or an employee no policy covers
(`NotCovered`). `employee_files` lists them; the one-core run and the both-core run (where each
worker writes its share of every file and the parent appends the shares in roster order) both
iterate this list, so adding a per-employee file is adding one entry here.

    files = employee_files(layout)
    write_items(items, files, [sink.write_cells for sink in sinks])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import attrs

from incentives.engine.calculate import EmployeeOutcome, NotCovered
from incentives.io.coverage_outputs import NOT_COVERED_HEADER, not_covered_rows
from incentives.io.run_outputs import REJECTED_HEADER, OutputLayout, rejected_row
from incentives.model import Rejection

__all__ = ["EmployeeFile", "Write", "employee_files", "write_items"]

Write = Callable[[list[str]], object]


@attrs.frozen
class EmployeeFile:
    """One per-employee CSV file: its name in the run folder, its header, and how each kind of
    item becomes its rows (``None``: that kind of item writes no row here)."""

    name: str
    header: tuple[str, ...]
    computed: Callable[[EmployeeOutcome, Write], None] | None = None
    rejected: Callable[[Rejection, Write], None] | None = None
    not_covered: Callable[[NotCovered, Write], None] | None = None


def employee_files(layout: OutputLayout) -> tuple[EmployeeFile, ...]:
    """The per-employee files of a run with this layout, in the order they are opened."""
    return (
        EmployeeFile("results.csv", tuple(layout.results_header), computed=_results(layout)),
        EmployeeFile("inputs.csv", tuple(layout.inputs_header), computed=_inputs(layout)),
        *(
            EmployeeFile(
                name, tuple(layout.breakdown_headers[pid]), computed=_breakdown(layout, pid)
            )
            for pid, name in layout.breakdown_files.items()
        ),
        EmployeeFile("rejected.csv", REJECTED_HEADER, rejected=_rejected),
        EmployeeFile(
            "not_covered.csv",
            NOT_COVERED_HEADER,
            computed=_exclusions,
            not_covered=_not_covered,
        ),
    )


def write_items(
    items: Iterable[EmployeeOutcome | NotCovered | Rejection],
    files: Sequence[EmployeeFile],
    writes: Sequence[Write],
) -> None:
    """Write each item's rows to every file that takes it (``writes[k]`` writes ``files[k]``)."""
    computed = [(f.computed, w) for f, w in zip(files, writes, strict=True) if f.computed]
    rejected = [(f.rejected, w) for f, w in zip(files, writes, strict=True) if f.rejected]
    left_out = [(f.not_covered, w) for f, w in zip(files, writes, strict=True) if f.not_covered]
    for item in items:
        if isinstance(item, EmployeeOutcome):
            for rows, write in computed:
                rows(item, write)
        elif isinstance(item, NotCovered):
            for not_covered, write in left_out:
                not_covered(item, write)
        else:
            assert isinstance(item, Rejection), item
            for rejection, write in rejected:
                rejection(item, write)


def _results(layout: OutputLayout) -> Callable[[EmployeeOutcome, Write], None]:
    row = layout.results_row

    def rows(emp: EmployeeOutcome, write: Write) -> None:
        for po in emp.outcomes:
            write(row(emp, po))

    return rows


def _inputs(layout: OutputLayout) -> Callable[[EmployeeOutcome, Write], None]:
    row = layout.inputs_row

    def rows(emp: EmployeeOutcome, write: Write) -> None:
        write(row(emp))

    return rows


def _breakdown(layout: OutputLayout, policy_id: str) -> Callable[[EmployeeOutcome, Write], None]:
    row = layout.breakdown_row

    def rows(emp: EmployeeOutcome, write: Write) -> None:
        for po in emp.outcomes:
            if po.policy.id == policy_id:
                write(row(emp, po))

    return rows


def _rejected(rej: Rejection, write: Write) -> None:
    write(rejected_row(rej))


def _exclusions(emp: EmployeeOutcome, write: Write) -> None:
    if emp.exclusions:
        for row in not_covered_rows(
            emp.source_file, emp.record, emp.line, emp.employee_id, emp.exclusions
        ):
            write(row)


def _not_covered(item: NotCovered, write: Write) -> None:
    for row in not_covered_rows(
        item.file, item.record, item.line, item.employee_id, item.exclusions
    ):
        write(row)
