"""Rendering parsed expressions as generated Python, and recording trace slots and labels.

Names become locals (``v_`` per-employee values) or globals of the `contract` by kind
(``PARAM_`` parameters, ``BUILTIN_`` built-in dates, ``RESULT_``/``PLAN_SCORE_`` plan results
and scorecards, ``LOOKUP_`` tables, curves and tiers, ``NUM_``/``DATE_`` constants). Each call
site of a lookup, ``fx`` or a rating function keeps its arguments and result (``a<n>``, ``c<n>``)
for the trace.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from incentives.expr import CallSite, Expression
from incentives.money import ROUNDING_MODES
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath
from incentives.rulebook.language.values import parse_iso_date
from incentives.rulebook.runtime.contract import (
    BUILTIN,
    BUILTIN_NAMES,
    DECIMAL,
    FOUND,
    FUNCTION,
    FX_AMOUNT,
    FX_CONVERT,
    HISTORY,
    LOOKUP,
    ONE,
    PARAM,
    PLAN_SCORE,
    RESULT,
    VALUE_LOCAL,
)
from incentives.rulebook.runtime.policy import Slot
from incentives.rulebook.runtime.ratings import RATING_FUNCTIONS

__all__ = ["RATINGS_LOCAL", "Emitter"]

# the local holding the employee's converted rating history (read by the rating functions)
RATINGS_LOCAL = "_ratings"


class Emitter:
    """Shared by every code generator of one policy: renders expressions, numbers slots."""

    def __init__(self, p: CompileState) -> None:
        self.p = p
        self.spec = p.spec
        self.calls: list[tuple[Slot, str]] = []  # call slots of the code being generated
        self.labels: list[tuple[str, tuple[str, ...]]] = []  # (what runs, names it reads)
        self.plan_cards: set[str] = set()  # plan scorecards whose gate slots are placed
        # steps whose value, when a decimal, has the context's digits at most (`gen_round`)
        self.sized: set[str] = set()
        self.temps = 0  # locals made for inline calls (`_inline`)
        # what a function recording no trace writes instead (`codegen._untraced`): a traced
        # call's text → the call of its value alone, with the locals only the trace reads
        self.untraced: list[tuple[str, str, tuple[str, ...]]] = []

    # -- slots and labels ---------------------------------------------------------------------
    def add_slot(self, slot: Slot, expr: str) -> int:
        """Record a trace slot with the generated expression that fills it; its index."""
        self.p.slots.append(slot)
        self.p.slot_exprs.append(expr)
        return len(self.p.slots) - 1

    def begin_calls(self) -> None:
        """Forget call sites rendered so far (`add_call_slots` records those rendered next)."""
        self.calls = []

    def add_call_slots(self) -> None:
        for slot, expr in self.calls:
            self.add_slot(slot, expr)

    def label(self, label: str, reads: Iterable[str]) -> int:
        """Number what runs next (``_s = <n>``), for errors raised while it runs."""
        self.labels.append(
            (label, tuple(sorted(n for n in reads if self.p.kinds.get(n) != "lookup")))
        )
        return len(self.labels) - 1

    # -- expressions --------------------------------------------------------------------------
    def pyname(self, name: str) -> str:
        kind = self.p.kinds[name]
        if kind == "builtin":
            return BUILTIN + name
        if kind == "parameter":
            return PARAM + name
        if kind == "result":
            return VALUE_LOCAL + name if name in self.p.unit_results else RESULT + name
        if kind == "plan":
            return VALUE_LOCAL + name if self.p.plan_by(name) else PLAN_SCORE + name
        return VALUE_LOCAL + name

    def render(self, expr: Expression, owner: str, path: SpecPath) -> str:
        p = self.p

        def call(site: CallSite, args: list[str]) -> str:
            index = p.sites
            p.sites += 1
            if site.name == "fx":
                args = list(args)
                if len(args) < 4:
                    args.append(repr(self.spec.policy.fx.rate_type))
                if len(args) < 5:
                    args.append(self._fx_date())
                target = FX_CONVERT
            elif site.name in RATING_FUNCTIONS:  # reads the employee's converted ratings
                target = HISTORY + site.name
            else:
                target = LOOKUP + site.name
            lookup = p.lookups.get(site.name)
            default = "decimal" if site.name in RATING_FUNCTIONS else "money"
            slot = Slot(
                name=f"{owner}: {site.name}({', '.join(site.arg_texts)})",
                kind="call",
                type=getattr(lookup, "type", default),
                owner=owner,
                line=p.line(path),
                callee=site.name,
                arg_texts=site.arg_texts,
                width=2,
            )
            self.calls.append((slot, f"(a{index}, c{index})"))
            if target == FX_CONVERT:  # without a trace: the amount alone, no detail
                self.untraced.append(
                    (
                        f"(c{index} := {target}(*(a{index} := ({', '.join(args)},))))[0]",
                        f"{FX_AMOUNT}({', '.join(args)})",
                        (f"a{index}", f"c{index}"),
                    )
                )
            if site.name in RATING_FUNCTIONS:  # the ratings themselves are not an argument
                rest = "".join(f"{a}, " for a in args)
                return f"(c{index} := {target}({RATINGS_LOCAL}, *(a{index} := ({rest}))))[0]"
            keys = f"(a{index} := ({', '.join(args)},))"
            if target == LOOKUP + site.name and getattr(lookup, "found", None):
                # an exact table: the lookups worked out once, the table itself on a miss (a
                # key it does not know, None, a default); the keys are values of formulas,
                # never lists, so always hashable
                return f"(c{index} := {FOUND}{site.name}.get({keys}) or {target}(*a{index}))[0]"
            return f"(c{index} := {target}(*{keys}))[0]"

        return expr.to_python(self.pyname, call, p.const, self._inline)

    def _inline(self, fn: str, nodes: list[ast.expr], args: list[str]) -> str | None:
        """``min``/``max`` of two values, ``clamp`` and ``coalesce`` of a value and a name, inline (a call
        costs more than they do): the arguments evaluated once each, in order, then what the
        builtin does for two decimals (`functions.f_min`: ``b if b < a else a``); anything
        else, the builtin's call on the values. None: the ``F_<name>`` call as it is."""
        if fn in ("min", "max") and len(args) == 2:
            a, b = self.temp(), self.temp()
            op = "<" if fn == "min" else ">"
            return (
                f"(({b} if {b} {op} {a} else {a}) if type({a} := {args[0]}) is "
                f"type({b} := {args[1]}) is {DECIMAL} else {FUNCTION}{fn}({a}, {b}))"
            )
        if fn == "coalesce" and isinstance(nodes[1], ast.Name):  # a name: reading it is all
            a = self.temp()
            return f"({args[1]} if ({a} := {args[0]}) is None else {a})"
        if (
            fn == "round_to"
            and len(args) == 3
            and isinstance(nodes[2], ast.Constant)
            and nodes[2].value in ROUNDING_MODES
        ):  # `functions.f_round_to`'s own fast path for two decimals and a mode written out
            x, step = self.temp(), self.temp()
            rounding = ROUNDING_MODES[nodes[2].value]
            return (
                f"(({x} / {step}).quantize({ONE}, {rounding!r}) * {step} if type({x} := "
                f"{args[0]}) is type({step} := {args[1]}) is {DECIMAL} and {step} > 0 else "
                f"{FUNCTION}round_to({x}, {step}, {args[2]}))"
            )
        if fn == "clamp" and len(args) == 3:
            # `functions.f_clamp` for three decimals: low above high rejected (by the call),
            # then min(max(x, low), high), the builtins' comparisons in their order
            x, low, high, m = self.temp(), self.temp(), self.temp(), self.temp()
            return (
                f"(({high} if {high} < ({m} := ({low} if {low} > {x} else {x})) else {m}) if "
                f"(({x} := {args[0]}), ({low} := {args[1]}), ({high} := {args[2]})) and "
                f"type({x}) is type({low}) is type({high}) is {DECIMAL} and not {low} > {high} "
                f"else {FUNCTION}clamp({x}, {low}, {high}))"
            )
        return None

    @staticmethod
    def truth(expr: Expression, code: str) -> str:
        """``bool(code)``, or ``code`` where the formula's value is a `bool` already: a
        comparison (of the language's values: numbers, text, dates, flags), ``not``,
        ``is_missing`` or an and/or of these (which gives one of its operands)."""
        return code if _boolean(expr.reference_tree()[0]) else f"bool({code})"

    def temp(self) -> str:
        """A local for an inline call's argument (or a step's bound), new in the module."""
        self.temps += 1
        return f"_t{self.temps}"

    def _fx_date(self) -> str:
        text = self.spec.policy.fx.date
        if text in BUILTIN_NAMES:
            return BUILTIN + text
        try:
            return self.p.const(parse_iso_date(text))
        except ValueError as exc:
            self.p.problem(
                ("policy", "fx", "date"), str(exc), "a date or one of " + ", ".join(BUILTIN_NAMES)
            )
            return BUILTIN + "period_end"


def _boolean(node: ast.expr) -> bool:
    """Whether a formula node's value is always a `bool` (see `Emitter.truth`)."""
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    if isinstance(node, ast.BoolOp):
        return all(_boolean(value) for value in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "is_missing"  # rendered as `(x is None)`
    return False
