"""The per-employee files of a run, declared in one place.

Each `EmployeeFile` is one CSV file that gets rows from the items of the final pass: a computed
employee (`EmployeeOutcome`), a rejected row (`Rejection`) or an employee no policy covers
(`NotCovered`). `employee_files` lists them; the one-core run and the both-core run (where each
worker writes its share of every file and the parent appends the shares in roster order) both
iterate this list, so adding a per-employee file is adding one entry here.

A file's rows are written as whole CSV lines: the large files give each computed employee's
lines from the layout's generated line functions (see `incentives.io.csv_lines`): results and
each policy's breakdown one line per policy outcome (``outcome_line``), inputs one per employee
from the traces of all its outcomes (``traces_line``); the others give lists of cell texts,
made into lines with `csv_line`. `write_items` writes a computed employee's lines of the large
files with one function generated per combination of policies (`_RouteWriters`).

    files = employee_files(layout)
    write_items(items, files, [sink.write_line for sink in sinks])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from incentives.engine.calculate import EmployeeOutcome, NotCovered
from incentives.io.coverage_outputs import NOT_COVERED_HEADER, not_covered_rows
from incentives.io.csv_lines import csv_line
from incentives.io.run_outputs import (
    REJECTED_HEADER,
    OutcomeLine,
    OutputLayout,
    PairLine,
    rejected_row,
)
from incentives.model import Rejection
from incentives.rulebook.runtime.policy import CompiledPolicy, run_generated

__all__ = [
    "EmployeeFile",
    "TracesLine",
    "Write",
    "WriteLine",
    "employee_files",
    "locating",
    "write_items",
]

Write = Callable[[list[str]], object]  # writes one row of cell texts
WriteLine = Callable[[str], object]  # writes one whole CSV line (with its "\n")
# given the ids of an employee's policies (in the order of its outcomes), the function of
# (employee id, each outcome's trace) giving the employee's one line, or None for no line
TracesLine = Callable[[tuple[str, ...]], "Callable[..., str] | None"]


@attrs.frozen
class EmployeeFile:
    """One per-employee CSV file: its name in the run folder, its header, and how each kind of
    item becomes its rows (``None``: that kind of item writes no row here). A computed employee
    writes rows of cells (``computed``) or whole lines made for this file (``outcome_line``:
    given a policy's id, the line each outcome of that policy writes, or None for a policy
    whose outcomes write none here; ``traces_line``: one line from all its outcomes' traces,
    see `TracesLine`; the fast paths of the large files). ``paired_line``: given a policy's
    id, another file's name and the function giving this file's line and that file's line of
    the policy's outcome at once (as a tuple: `OutputLayout.pair_line_of`), or None; both
    files take a line of every outcome of a policy it pairs."""

    name: str
    header: tuple[str, ...]
    computed: Callable[[EmployeeOutcome, Write], None] | None = None
    traces_line: TracesLine | None = None
    outcome_line: Callable[[str], OutcomeLine | None] | None = None
    paired_line: Callable[[str], tuple[str, PairLine] | None] | None = None
    rejected: Callable[[Rejection, Write], None] | None = None
    not_covered: Callable[[NotCovered, Write], None] | None = None


def employee_files(layout: OutputLayout) -> tuple[EmployeeFile, ...]:
    """The per-employee files of a run with this layout, in the order they are opened."""
    return (
        EmployeeFile(
            "results.csv",
            tuple(layout.results_header),
            outcome_line=layout.results_line_of,
            paired_line=functools.partial(_paired, layout),
        ),
        EmployeeFile("inputs.csv", tuple(layout.inputs_header), traces_line=layout.inputs_line_of),
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
    routes = _RouteWriters(
        [(f.outcome_line, w, f.name, f.paired_line) for f, w in pairs if f.outcome_line],
        [(f.traces_line, w) for f, w in pairs if f.traces_line],
    )
    computed = [(f.computed, _cells(w)) for f, w in pairs if f.computed]
    rejected = [(f.rejected, _cells(w)) for f, w in pairs if f.rejected]
    left_out = [(f.not_covered, _cells(w)) for f, w in pairs if f.not_covered]
    write: Callable[[EmployeeOutcome], bool] = routes.nothing
    for item in items:
        if isinstance(item, EmployeeOutcome):
            # the writer of the previous employee's policies, when they are this one's too
            # (it says so), else the one of this employee's policies
            if not write(item):
                write = routes.of(item.outcomes)
                write(item)
            for rows, write_rows in computed:
                rows(item, write_rows)
        elif isinstance(item, NotCovered):
            for not_covered, write_rows in left_out:
                not_covered(item, write_rows)
        else:
            assert isinstance(item, Rejection), item
            for rejection, write_rows in rejected:
                rejection(item, write_rows)


class _RouteWriters:
    """Per combination of policies (in an employee's order of outcomes), a generated function
    writing a computed employee's lines of the files that take a line per outcome or one from
    all its traces, equal to this loop (see `EmployeeFile`)::

        for po in emp.outcomes:
            for line_of, write in per_outcome:
                if (line := line_of(po.policy.id)) is not None:
                    write(line(emp.employee_id, po))
        for traces_line, write in per_traces:
            if (line := traces_line(tuple(po.policy.id for po in emp.outcomes))) is not None:
                write(line(emp.employee_id, *(po.trace for po in emp.outcomes)))

    Called with the employee's outcome, it returns False (writing nothing) when the employee's
    policies are not its own, so the previous employee's writer is tried first."""

    def __init__(
        self,
        per_outcome: list[_PerOutcome],
        per_traces: list[tuple[TracesLine, WriteLine]],
    ) -> None:
        self._per_outcome = per_outcome
        self._per_traces = per_traces
        # by the ids of the policies (kept by the writer's namespace: ids not reused)
        self._writers: dict[tuple[int, ...], Callable[[EmployeeOutcome], bool]] = {}

    @staticmethod
    def nothing(_emp: EmployeeOutcome) -> bool:
        return False

    def of(self, outcomes: Sequence[Any]) -> Callable[[EmployeeOutcome], bool]:
        """The writer of employees whose outcomes are under these policies, in this order."""
        policies: list[CompiledPolicy] = [po.policy for po in outcomes]
        key = tuple(map(id, policies))
        writer = self._writers.get(key)
        if writer is None:
            writer = self._writers[key] = self._writer(policies)
        return writer

    def _writer(self, policies: list[CompiledPolicy]) -> Callable[[EmployeeOutcome], bool]:
        namespace: dict[str, Any] = {}
        count = len(policies)
        outcomes = "".join(f"o{k}, " for k in range(count))
        same = " or ".join(f"o{k}[0] is not P{k}" for k in range(count))
        body = [
            "def write(emp):",
            "    outcomes = emp[4]",
            f"    if len(outcomes) != {count}:",
            "        return False",
        ]
        if count:
            body += [f"    ({outcomes}) = outcomes", f"    if {same}:", "        return False"]
        body.append("    eid = emp[0]")
        files = {name: f for f, (_, _, name, _) in enumerate(self._per_outcome)}
        for k, policy in enumerate(policies):
            namespace[f"P{k}"] = policy
            paired: set[int] = set()  # files whose line is written with another's
            for f, (line_of, write, _, paired_line) in enumerate(self._per_outcome):
                if f in paired:
                    continue
                pair = paired_line(policy.id) if paired_line is not None else None
                other = files.get(pair[0], f) if pair is not None else f
                if pair is not None and other > f:
                    # both files' lines at once, equal to each file's line (`EmployeeFile`);
                    # the separate line functions are not even compiled
                    namespace[f"L{k}_{f}"], namespace[f"W{f}"] = pair[1], write
                    namespace[f"W{other}"] = self._per_outcome[other][1]
                    body.append(f"    _a, _b = L{k}_{f}(eid, o{k}); W{f}(_a); W{other}(_b)")
                    paired.add(other)
                elif (line := line_of(policy.id)) is not None:
                    namespace[f"L{k}_{f}"], namespace[f"W{f}"] = line, write
                    body.append(f"    W{f}(L{k}_{f}(eid, o{k}))")
        ids = tuple(policy.id for policy in policies)
        traces = "".join(f", o{k}[1]" for k in range(count))
        for f, (traces_line, write) in enumerate(self._per_traces):
            line = traces_line(ids)
            if line is not None:
                namespace[f"T{f}"], namespace[f"V{f}"] = line, write
                body.append(f"    V{f}(T{f}(eid{traces}))")
        body.append("    return True")
        # generated from the files' own line functions, never from user text
        writer: Callable[[EmployeeOutcome], bool] = run_generated(
            "writer", "\n".join(body) + "\n", namespace, "write"
        )
        return writer


# a file's line of an outcome, its writer, its name and its line paired with another file's
_PerOutcome = tuple[
    Callable[[str], OutcomeLine | None],
    WriteLine,
    str,
    "Callable[[str], tuple[str, PairLine] | None] | None",
]


def _paired(layout: OutputLayout, policy_id: str) -> tuple[str, PairLine] | None:
    """The breakdown file of the policy and its results line paired with its breakdown line."""
    pair = layout.pair_line_of(policy_id)
    return None if pair is None else (layout.breakdown_files[policy_id], pair)


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


def _breakdown(layout: OutputLayout, policy_id: str) -> Callable[[str], OutcomeLine | None]:
    def line_of(outcome_policy: str) -> OutcomeLine | None:
        if outcome_policy != policy_id:
            return None  # this policy's outcomes only
        return layout.breakdown_line_of(policy_id)

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
