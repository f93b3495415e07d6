"""The exceptions `incentives` raises, as one tree.

    IncentivesError                  root: catch this to catch everything we raise
    ├── PolicyError (ValueError)     policy files are invalid; carries every Problem found
    ├── InputFileError (ValueError)  a roster, goals, results or rates file cannot be used at all
    │   └── SheetError               a cell of an .xlsx sheet cannot be used; names it as
    │                                Sheet!Cell (incentives.io.sheet_cells)
    ├── ExpressionError (ValueError) a formula cannot be compiled (`incentives.expr`; within
    │                                `load_rules` it is reported as a Problem of a PolicyError)
    ├── OptionsError (ValueError)    options given to the library or the CLI are inconsistent
    │   ├── NotARunFolder            a folder given to `incentives diff` is not a run folder
    │   │                            (`incentives.audit.run_diff`; CLI exit 1, as explain,
    │   │                            payroll and report for a folder that is not a run's)
    │   ├── LayoutError              a payroll layout is invalid (incentives.payroll): every
    │   │                            problem with its file:line
    │   ├── PayrollRefused           a run with rejected rows, or a what-if, exported without
    │   │                            --allow-rejected / --allow-what-if (CLI exit 2)
    │   ├── ReportOptionError        `report`: an unknown --by or currency, an --out that is no
    │   │                            .xlsx file (incentives.reports.workbook; CLI exit 2)
    │   ├── SweepInputError          a sweep's draws, grid or sweep file cannot be used
    │   │                            (`incentives.sweep`; CLI exit 2)
    │   ├── OutputOverlapsInput      --out is, contains or lies inside an input or the rules
    │   │                            folder; refused before anything is read (CLI exit 2)
    │   ├── UsageError               the command line names what does not exist (a payroll
    │   │   │                        layout name) or an --out the command may not write
    │   │   │                        (inside the run folder it reads); CLI exit 2
    │   │   └── SimulateOptionError  `simulate`: a --by that names no roster column, input or
    │   │                            step (incentives.simulation.job)
    │   └── OverrideError            a what-if override (--set, a scenario file,
    │       │                        `with_overrides`) names nothing or has a value of the
    │       │                        wrong type; refused before anything runs (CLI exit 2)
    │       └── ScenarioError        a scenario file's problems, every one, with file:line
    ├── OutputError (OSError)        the run folder cannot be written: no permission, a name
    │                                too long, a full disk; nothing of the run is left
    ├── DiffError                    two runs' deltas do not add up to the difference of
    │                                their totals (`incentives.audit.run_diff`)
    ├── BudgetExceeded               a budget whose policy says `over: error` is overspent
    └── RowError (ValueError)        one employee cannot be computed; the run rejects the row
        ├── StepError                a step failed for one employee (no match, division by zero…)
        ├── MissingValue             a value a formula asked for is missing ("no rating for
        │                            cycle 2025"); a readiness criterion fails with it instead
        ├── LookupMiss               no row of a table matches the employee's keys
        │                            (incentives.rulebook.runtime.table_lookup)
        └── MissingRate              no exchange rate for a conversion (incentives.io)

Each carries where the problem is (file and line, or row and column, or step) and what to do.
Only `PolicyError`, `InputFileError`, `OptionsError`, `OutputError` and `BudgetExceeded` stop
a run; a `RowError` becomes a line of ``rejected.csv``. Messages quote what a user typed or a
file held through `shorten`, so a 100,000-character value never makes a 100 KB message.

Internal errors, caught where they are raised and never met by a caller, derive from
`IncentivesError` all the same, so that none could escape `except IncentivesError`:
 SpecIssue and SpecIssues (a fault inside one part of a policy, reported as a Problem),
 _CellError (a table cell, reported with its position), NotPlain (a roster cell the fast
 converter leaves to the field's own) and _Redo (a run's first pass counted a row the second
 rejected: the run is redone without it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "BudgetExceeded",
    "IncentivesError",
    "InputFileError",
    "MissingValue",
    "OptionsError",
    "OutputError",
    "OutputOverlapsInput",
    "OverrideError",
    "PolicyError",
    "Problem",
    "RowError",
    "ScenarioError",
    "StepError",
    "UsageError",
    "escape_controls",
    "shorten",
]


@attrs.frozen
class Problem:
    """One problem found in a policy file: where it is, what is wrong and how to fix it.

    ``column`` (1-based, in the file) is known for a fault inside a formula written on one
    line; the problem then prints as ``file:line:column:``, the form editors jump to."""

    file: str
    line: int | None
    field: str
    message: str
    hint: str = ""
    column: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
        text = (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
        return f"{text} ({self.hint})" if self.hint else text

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line or 0, self.column or 0, self.field, self.message)


class IncentivesError(Exception):
    """Root of every error raised by `incentives`."""


class PolicyError(IncentivesError, ValueError):
    """Policy files are invalid. ``problems`` lists every problem found, sorted by file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems), key=Problem.sort_key))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the policy files"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class InputFileError(IncentivesError, ValueError):
    """An input file (roster, goals, results, rates) is unusable as a whole."""

    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {message}")


class OptionsError(IncentivesError, ValueError):
    """Options are missing, inconsistent or point at something unusable."""


class OutputOverlapsInput(OptionsError):
    """The output folder is, contains or lies inside an input file or the rules folder: a run
    replaces its whole output folder, so it would destroy that input. Nothing was read."""


class UsageError(OptionsError):
    """The command line names something that does not exist (a shipped payroll layout) or an
    output the command may not write (inside the run folder it reads): exit 2, as click's own
    usage errors. Nothing was written."""


class OverrideError(OptionsError):
    """A what-if override names an unknown policy, path or key, or gives a value of the wrong
    type; the message says what was meant where it can ("did you mean ..."). Nothing ran."""


class ScenarioError(OverrideError):
    """A scenario file is invalid. ``problems`` lists every problem found, by line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems), key=Problem.sort_key))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the scenario"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class OutputError(IncentivesError, OSError):
    """The run folder cannot be written (permission, a name too long, a full disk). The
    outputs of the run were discarded; an earlier run in that folder is left as it was."""


class BudgetExceeded(IncentivesError):
    """Budgets the policy declares with ``over: error`` are overspent; the run writes nothing.

    ``lines`` describe each overspent group (budget, group, spend, budget, % used)."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)
        super().__init__(
            f"{len(self.lines)} budget group(s) overspent, and their policy declares that an "
            "error (over: error); no outputs were written:\n"
            + "\n".join(f"  {line}" for line in self.lines)
            + "\nraise the budget, change the awards, or declare over: warning to see the run"
        )


class RowError(IncentivesError, ValueError):
    """One input row cannot be computed. The run rejects it and goes on."""

    def __init__(
        self,
        reason: str,
        column: str = "",
        value: str = "",
        source: tuple[str, int, int] | None = None,
    ) -> None:
        self.reason = reason
        self.column = column
        self.value = value
        # the (file, record, line) of the row at fault when it is not the employee's roster
        # row (a goals file's row): the rejection names it instead
        self.source = source
        super().__init__(reason)


class StepError(RowError):
    """A policy step failed for one employee; ``step`` names it ("step 'bonus'"), ``inputs``
    are the values the step read."""

    def __init__(self, step: str, reason: str, inputs: Sequence[tuple[str, object]] = ()) -> None:
        self.step = step
        self.inputs = tuple(inputs)
        shown = ", ".join(f"{name}={value}" for name, value in self.inputs)
        text = f"{step}: {reason}" + (f" (inputs: {shown})" if shown else "")
        super().__init__(text, column=step, value=shown)


class MissingValue(RowError):
    """A value a formula reads is missing for this employee (a rating for a cycle that has none).

    Outside readiness criteria it rejects the row like any `RowError`; a criterion that meets it
    fails with this message as its gap, and the employee is computed.
    """


# C0 controls, DEL, C1 controls and the Unicode line separators, as Python writes them in a repr
_CONTROLS: dict[int, str] = {
    code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))
}
_CONTROLS.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with its control characters written as escapes (``\\r``, ``\\x1b``), so that a
    value from a file cannot move the cursor, recolour the terminal or split a line of a
    message; the characters in ``keep`` (the newlines between a message's lines) stay."""
    if text.isprintable():  # the common case, one C scan
        return text
    table = _CONTROLS if not keep else {k: v for k, v in _CONTROLS.items() if chr(k) not in keep}
    return text.translate(table)


def shorten(value: object, limit: int = 100) -> str:
    """``value`` as text for a message, control characters escaped, cut in the middle when
    longer than ``limit`` characters (saying how long it was), so that a hostile value never
    floods a message nor reaches the terminal raw."""
    text = escape_controls(str(value))
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}…{text[-tail:]} ({len(text):,} characters)"
