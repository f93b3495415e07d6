"""The per-employee files of a run, declared in one place.

Each `EmployeeFile` is one CSV file that gets rows from the items of the final pass: a computed
employee (`EmployeeOutcome`), a rejected row (`Rejection`) or an employee no policy covers
(`NotCovered`). `employee_files` lists them; the one-core run and the both-core run (where each
worker writes its share of every file and the parent appends the shares in roster order) both
iterate this list, so adding a per-employee file is adding one entry here.

A file's rows are written as whole CSV lines: the large files give each computed employee's
lines from the layout's generated line functions (see `incentives.io.csv_lines`): results and
each policy's breakdown one line per policy outcome (``outcome_line``), inputs one per employee
(``computed_lines``); the others give lists of cell texts, made into lines with `csv_line`.

    files = employee_files(layout)
    write_items(items, files, [sink.write_line for sink in sinks])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import attrs

from incentives.engine.calculate import EmployeeOutcome, NotCovered
from incentives.io.coverage_outputs import NOT_COVERED_HEADER, not_covered_rows
from incentives.io.csv_lines import csv_line
from incentives.io.run_outputs import REJECTED_HEADER, OutcomeLine, OutputLayout, rejected_row
from incentives.model import Rejection

__all__ = ["EmployeeFile", "Write", "WriteLine", "employee_files", "locating", "write_items"]

Write = Callable[[list[str]], object]  # writes one row of cell texts
WriteLine = Callable[[str], object]  # writes one whole CSV line (with its "\n")


@attrs.frozen
class EmployeeFile:
    """One per-employee CSV file: its name in the run folder, its header, and how each kind of
    item becomes its rows (``None``: that kind of item writes no row here). A computed employee
    writes rows of cells (``computed``) or whole lines made for this file (``computed_lines``,
    or ``outcome_line``: given a policy's id, the line each outcome of that policy writes, or
    None for a policy whose outcomes write none here; the fast path of the large files)."""

    name: str
    header: tuple[str, ...]
    computed: Callable[[EmployeeOutcome, Write], None] | None = None
    computed_lines: Callable[[EmployeeOutcome, WriteLine], None] | None = None
    outcome_line: Callable[[str], OutcomeLine | None] | None = None
    rejected: Callable[[Rejection, Write], None] | None = None
    not_covered: Callable[[NotCovered, Write], None] | None = None


def employee_files(layout: OutputLayout) -> tuple[EmployeeFile, ...]:
    """The per-employee files of a run with this layout, in the order they are opened."""
    return (
        EmployeeFile(
            "results.csv", tuple(layout.results_header), outcome_line=layout.results_line_of
        ),
        EmployeeFile("inputs.csv", tuple(layout.inputs_header), computed_lines=_inputs(layout)),
        *(
            EmployeeFile(
                name,
                tuple(layout.breakdown_headers[pid]),
                outcome_line=_breakdown(layout, pid),
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
    writes: Sequence[WriteLine],
) -> None:
    """Write each item's rows to every file that takes it (``writes[k]`` writes the lines of
    ``files[k]``)."""
    pairs = list(zip(files, writes, strict=True))
    per_outcome = [(f.outcome_line, w) for f, w in pairs if f.outcome_line]
    lines = [(f.computed_lines, w) for f, w in pairs if f.computed_lines]
    computed = [(f.computed, _cells(w)) for f, w in pairs if f.computed]
    rejected = [(f.rejected, _cells(w)) for f, w in pairs if f.rejected]
    left_out = [(f.not_covered, _cells(w)) for f, w in pairs if f.not_covered]
    # by the policy's identity (kept, so that its id is not reused): the lines of its outcomes
    by_policy: dict[int, tuple[object, list[tuple[OutcomeLine, WriteLine]]]] = {}
    for item in items:
        if isinstance(item, EmployeeOutcome):
            employee_id = item.employee_id
            for po in item.outcomes:
                policy = po.policy
                known = by_policy.get(id(policy))
                if known is None or known[0] is not policy:
                    known = by_policy[id(policy)] = (
                        policy,
                        _outcome_lines(policy.id, per_outcome),
                    )
                for line, write_line in known[1]:
                    write_line(line(employee_id, po))
            for emit, write_line in lines:
                emit(item, write_line)
            for rows, write in computed:
                rows(item, write)
        elif isinstance(item, NotCovered):
            for not_covered, write in left_out:
                not_covered(item, write)
        else:
            assert isinstance(item, Rejection), item
            for rejection, write in rejected:
                rejection(item, write)


def locating(
    files: Sequence[EmployeeFile], locate: Callable[[Rejection], Rejection]
) -> tuple[EmployeeFile, ...]:
    """``files`` whose rows for a rejection are written from ``locate(rejection)`` (which names
    the cell of a row read from a sheet: `io.sheet_table.cell_locator`)."""

    def located(
        rejected: Callable[[Rejection, Write], None],
    ) -> Callable[[Rejection, Write], None]:
        return lambda rejection, write: rejected(locate(rejection), write)

    return tuple(
        attrs.evolve(f, rejected=located(f.rejected)) if f.rejected is not None else f
        for f in files
    )


def _cells(write_line: WriteLine) -> Write:
    """A writer of rows of cell texts as lines through ``write_line``."""

    def write(cells: list[str]) -> None:
        write_line(csv_line(cells))

    return write


def _outcome_lines(
    policy_id: str, per_outcome: list[tuple[Callable[[str], OutcomeLine | None], WriteLine]]
) -> list[tuple[OutcomeLine, WriteLine]]:
    """The line functions (and writers) of the files that take a line per outcome of a policy."""
    found = [(line_of(policy_id), write) for line_of, write in per_outcome]
    return [(line, write) for line, write in found if line is not None]


def _inputs(layout: OutputLayout) -> Callable[[EmployeeOutcome, WriteLine], None]:
    line = layout.inputs_line

    def lines(emp: EmployeeOutcome, write: WriteLine) -> None:
        write(line(emp))

    return lines


def _breakdown(layout: OutputLayout, policy_id: str) -> Callable[[str], OutcomeLine | None]:
    line = layout.breakdown_line_of(policy_id)

    def line_of(outcome_policy: str) -> OutcomeLine | None:
        return line if outcome_policy == policy_id else None  # this policy's outcomes only

    return line_of


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
