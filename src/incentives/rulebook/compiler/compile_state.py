"""What compiling one policy accumulates: declared names, constants, slots and problems.

`CompileState` is shared by every compiler stage (declarations, formulas, step order, code
generation). Problems are collected here, never raised one by one, so a policy reports all of
them at once. The built-in names and the names derived from each result live here too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from incentives.errors import Problem, shorten
from incentives.expr import Expression, ExpressionError, compile_expression
from incentives.expr.limits import MAX_FORMULA_CHARS, MAX_POLICY_FORMULA_CHARS
from incentives.rulebook.compiler.allocations import Synthetic
from incentives.rulebook.language.fields import FieldDef
from incentives.rulebook.language.schema import PolicyFile, ScorecardItemSpec
from incentives.rulebook.language.yamlsource import SourceDoc, dotted
from incentives.rulebook.runtime.contract import BUILTIN_NAMES, RESULT_SUFFIXES, constant_name
from incentives.rulebook.runtime.policy import Slot
from incentives.rulebook.runtime.ratings import rating_call_problems
from incentives.rulebook.runtime.scorecard import EmployeeScorecard

__all__ = [
    "BUILTIN_NAMES",
    "RESULT_SUFFIXES",
    "CompileState",
    "SpecPath",
    "StepExprs",
]


SpecPath = tuple[str | int, ...]
# the parsed parts of one step: (role, expression or None when it failed, where it is written)
StepExprs = list[tuple[str, Expression | None, SpecPath]]


class CompileState:
    """Compilation state for one policy; problems are collected, never raised one by one."""

    def __init__(self, doc: SourceDoc, spec: PolicyFile, fields: dict[str, FieldDef], sha: str):
        self.doc = doc
        self.spec = spec
        self.fields = fields
        self.sha = sha
        self.problems: list[Problem] = []
        self.lookups: dict[str, Any] = {}
        self.origins: dict[str, str] = {}  # salary_range_min -> salary_range (its YAML key)
        self.arities: dict[str, tuple[int, int]] = {}
        self.scorecards: dict[str, EmployeeScorecard] = {}
        self.kinds: dict[str, str] = {}  # name -> input|builtin|parameter|result|plan|lookup|...
        self.unit_results: dict[str, str] = {}  # derived name -> result name, for `by` results
        self.derived: dict[str, str] = {}  # revenue_payout -> revenue: names results define
        self.constants: dict[tuple[type, object], str] = {}
        self.const_values: dict[str, object] = {}
        self.sites = 0
        self.slots: list[Slot] = []
        self.slot_exprs: list[str] = []
        self.synthetic: dict[str, Synthetic] = {}  # steps made from pools and budgets
        self.shared_gates: dict[tuple[str, int], int] = {}  # (step, gate) -> plan-level gate
        self.expressions: list[tuple[Expression, SpecPath]] = []  # every formula, for typing
        self.formula_chars = 0  # the text of every formula so far, against the policy's budget

    # -- problems -----------------------------------------------------------------------------
    def source_path(self, path: SpecPath) -> SpecPath:
        """Where a path is written: a step made from a pool or budget is written there."""
        if len(path) >= 2 and path[0] == "steps" and path[1] in self.synthetic:
            return self.synthetic[str(path[1])].path
        if path[:1] == ("steps",) and path[2:3] == ("gates",) and len(path) >= 4:
            shared = self.shared_gates.get((str(path[1]), int(path[3])))
            if shared is not None:  # a plan-level gate is written under `gates:`
                return ("gates", shared, *path[4:])
        return path

    def problem(self, path: SpecPath, message: str, hint: str = "") -> None:
        path = self.source_path(path)
        self.problems.append(
            Problem(self.doc.file, self.doc.line_of(path), dotted(path), message, hint)
        )

    def formula_problem(
        self,
        path: SpecPath,
        text: str,
        offset: int | None,
        message: str,
        hint: str,
        after: str = "",
    ) -> None:
        """A problem at ``offset`` (0-based) of the formula ``text`` written at ``path``: at its
        column in the file (``file:line:column:``) when the formula is written on one line as
        it reads, else at the line, the message saying the column within the formula."""
        path = self.source_path(path)
        line = self.doc.line_of(path)
        column = _file_column(self.doc.text, line, path, text, offset)
        where = (
            f" (at column {offset + 1} of the formula)"
            if offset is not None and column is None
            else ""
        )
        self.problems.append(
            Problem(
                self.doc.file,
                line,
                dotted(path),
                f"{message} in '{_excerpt(text, offset)}'{where}{after}",
                hint,
                column=column,
            )
        )

    def unknown(self, path: SpecPath, name: str, what: str, known: Iterable[str]) -> None:
        """Report an unknown name, suggesting the closest known one."""
        close = difflib.get_close_matches(name, list(known), n=1)
        self.problem(
            path,
            f"unknown {what} '{name}'",
            f"did you mean '{close[0]}'?" if close else f"declare it under {what}s",
        )

    def line(self, path: SpecPath) -> int | None:
        return self.doc.line_of(self.source_path(path))

    # -- names --------------------------------------------------------------------------------
    def declare(
        self, name: str, kind: str, path: SpecPath, derived_from: str | None = None
    ) -> None:
        """Declare a name; ``derived_from`` is the result a derived name (``X_payout``) is of."""
        clash = self.derived.get(name) if name in self.kinds else None
        if clash is None and name in self.kinds and derived_from not in (None, name):
            clash = derived_from
        if clash is not None:
            what = name.removeprefix(f"{clash}_") if name != clash else "actual"
            self.problem(
                path,
                f"'{name}' clashes with the {what} of result '{clash}': "
                + (
                    f"already declared as {self.kinds[name]}"
                    if derived_from == clash
                    else f"result '{clash}' defines that name"
                ),
                f"rename one of them: result '{clash}' defines {clash}_threshold, "
                f"{clash}_target, {clash}_maximum, {clash}_attainment and {clash}_payout",
            )
        elif name in self.kinds:
            self.problem(
                path,
                f"'{name}' is already declared (as {self.kinds[name]})",
                "names are shared by all sections",
            )
        elif not is_name(name):
            self.problem(path, *name_problem(name))
        else:
            self.kinds[name] = kind
            if derived_from is not None:
                self.derived[name] = derived_from

    def names_of_kind(self, *kinds: str) -> list[str]:
        return [n for n, k in self.kinds.items() if k in kinds]

    def employee_names(self) -> list[str]:
        """Every name declared so far that holds a per-employee value (all but lookups)."""
        return [n for n, k in self.kinds.items() if k != "lookup"]

    def plan_by(self, card: str) -> str | None:
        """The input a plan scorecard is looked up by (via its per-unit results), if any."""
        bys = self._card_bys(self.spec.scorecards[card].items or [])
        return sorted(bys)[0] if bys else None

    def _card_bys(self, items: list[ScorecardItemSpec]) -> set[str]:
        found: set[str] = set()
        for item in items:
            if item.items is not None:
                found |= self._card_bys(item.items)
            elif item.result in self.spec.results and self.spec.results[item.result].by:
                found.add(str(self.spec.results[item.result].by))
        return found

    # -- constants and expressions ------------------------------------------------------------
    def const(self, value: object) -> str:
        """The generated-code name of a constant (`NUM_0_05`, `DATE_2026_03_31`; see
        `contract.constant_name`), one per distinct value."""
        key = (type(value), value)
        if key not in self.constants:
            name = constant_name(value)
            assert name not in self.const_values, name  # distinct values, distinct names
            self.constants[key] = name
            self.const_values[name] = value
        return self.constants[key]

    def expression(self, text: str, path: SpecPath, allowed: Iterable[str]) -> Expression | None:
        if self.formula_chars > MAX_POLICY_FORMULA_CHARS:
            return None  # over the budget: said once, nothing more is parsed
        self.formula_chars += min(len(text), MAX_FORMULA_CHARS)  # a longer one is refused unread
        if self.formula_chars > MAX_POLICY_FORMULA_CHARS:
            self.problem(
                path,
                f"the policy's formulas total more than {MAX_POLICY_FORMULA_CHARS:,} characters "
                "(each alias counted in full); the limit is reached here",
                "split the policy, or compute a long formula once in a step and read that step",
            )
            return None
        try:
            expr = compile_expression(text, values=frozenset(allowed), callables=dict(self.arities))
        except ExpressionError as exc:
            self.formula_problem(path, text, exc.offset, exc.message, exc.hint)
            return None
        history = self.spec.policy.rating_history
        for message, hint in rating_call_problems(
            None if history is None else history.cycles, expr.calls
        ):
            self.problem(path, message, hint)
        self.expressions.append((expr, path))
        return expr


_NAME = re.compile(r"[a-z][a-z0-9_]*")


def is_name(name: str) -> bool:
    """A name the language can declare: lower case ASCII (Python folds other letters by NFKC,
    so a fullwidth or accented lookalike would share a declared name's value in the code)."""
    return _NAME.fullmatch(name) is not None


def name_problem(name: str) -> tuple[str, str]:
    """The message and hint for a name that is not valid."""
    return f"'{shorten(name)}' is not a valid name", "use lower case ASCII letters, digits and _"


_YAML_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # the line breaks YAML counts


def _file_column(
    source: str, line: int | None, path: SpecPath, text: str, offset: int | None
) -> int | None:
    """The 1-based column in the file of ``offset`` in the formula ``text``, when ``text`` is
    written once, as it reads (no escapes, one line), after its key on ``line``; else None."""
    if offset is None or line is None or _YAML_BREAK.search(text):
        return None
    lines = _YAML_BREAK.split(source, maxsplit=line)
    if len(lines) < line:
        return None
    written = lines[line - 1]
    key = path[-1] if path and isinstance(path[-1], str) else None
    start = written.find(f"{key}:") + len(key) + 1 if key and f"{key}:" in written else 0
    if not text or written.count(text, start) != 1:
        return None
    return written.index(text, start) + offset + 1


def _excerpt(text: str, offset: int | None, room: int = 60) -> str:
    """``text``, or for a long formula the part around ``offset`` (a hostile formula of 50,000
    characters must not make a 50 KB message)."""
    if len(text) <= 2 * room:
        return text
    start = max(0, min(offset or 0, len(text)) - room)
    end = min(len(text), start + 2 * room)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
