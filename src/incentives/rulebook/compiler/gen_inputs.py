"""Generated code and constants for an employee's inputs: the prelude of every evaluation.

The prelude reads each input from the roster row, applies its default, checks it is present
and within bounds, finds the currency's minor unit, and looks up per-unit results and plan
scorecards by the input they are keyed by. Defaults and allowed values are converted once,
here, into constants of the generated module.
"""

from __future__ import annotations

from decimal import Decimal

from incentives.rulebook.compiler.compile_state import CompileState
from incentives.rulebook.runtime.contract import (
    ALLOWED,
    DEFAULT,
    MINOR_UNITS,
    MISSING_INPUT,
    NO_UNIT_FIGURES,
    OUT_OF_BOUNDS,
    PLAN_SCORE_BY_UNIT,
    RESULT_BY_UNIT,
    RESULT_SUFFIXES,
    UNKNOWN_CURRENCY,
)

__all__ = [
    "ZERO_PAY",
    "bound_checks",
    "code_constants",
    "first_pass_names",
    "input_constants",
    "input_rules",
    "input_type",
    "prelude",
]

_ALLOWED_LIST = "allowed_list_"  # an input's allowed values in declared order: messages only
# the currency's zero, for pay (an ineligible row's, a remainder); the function generated
# drops it when none of its lines reads it (`codegen._unread_dropped`)
ZERO_PAY = "_zero_pay = _mu * 0"


def first_pass_names(p: CompileState, reads: set[str]) -> set[str]:
    """What a fast first pass must read, given the names its steps and rules read: those
    names, with a per-unit result or plan scorecard standing for its results and its key."""
    names = set(reads)
    for name, result in p.spec.results.items():
        if result.by and any(name + suffix in names for suffix in RESULT_SUFFIXES):
            names.add(name)
            names.add(result.by)
    for name, card in p.spec.scorecards.items():
        by = p.plan_by(name) if card.scope == "plan" else None
        if by and name in names:
            names.add(by)
    return names


def input_constants(p: CompileState) -> dict[str, object]:
    """Defaults and allowed values, converted once by each input's declared type."""
    found: dict[str, object] = {}
    for name, spec in p.spec.inputs.items():
        field = p.fields.get(name)
        if field is None:
            continue
        try:
            if spec.default is not None:
                found[DEFAULT + name] = field.convert(spec.default)
            if spec.allowed is not None:
                ordered = tuple(field.convert(str(v)) for v in spec.allowed)
                found[ALLOWED + name] = frozenset(ordered)
                found[_ALLOWED_LIST + name] = ordered  # declared order, for messages
        except ValueError as exc:
            p.problem(("inputs", name), f"{exc} for a {spec.type} input")
    return found


def code_constants(constants: dict[str, object]) -> dict[str, object]:
    """The input constants the generated code reads (``DEFAULT_``, ``ALLOWED_``)."""
    return {k: v for k, v in constants.items() if not k.startswith(_ALLOWED_LIST)}


def input_rules(p: CompileState, constants: dict[str, object]) -> dict[str, dict[str, object]]:
    """Each input's bounds and allowed values, for the messages of a rejected row."""
    return {
        name: {"min": spec.min, "max": spec.max, "allowed": constants.get(_ALLOWED_LIST + name)}
        for name, spec in p.spec.inputs.items()
    }


def input_type(type_: str) -> str:
    """The slot type of an input of a declared type."""
    return {"rating": "decimal", "integer": "integer"}.get(type_, type_)


def bound_checks(p: CompileState, name: str, var: str) -> str:
    """The condition under which ``var``, a value of input ``name``, breaks its bounds or its
    allowed values ("" when the input declares none)."""
    spec = p.spec.inputs[name]
    checks = []
    if spec.min is not None:
        checks.append(f"{var} < {_bound(p, spec.type, spec.min)}")
    if spec.max is not None:
        checks.append(f"{var} > {_bound(p, spec.type, spec.max)}")
    if spec.allowed is not None:
        checks.append(f"{var} not in {ALLOWED}{name}")
    return " or ".join(checks)


def _bound(p: CompileState, type_: str, bound: object) -> str:
    """A bound in the generated code: for an integer input and a whole bound, the integer
    itself (``v_level < 1``), which compares as its decimal does (both exact) without a
    decimal comparison per row; otherwise the bound's constant."""
    whole = isinstance(bound, Decimal) and bound.is_finite() and bound == bound.to_integral_value()
    if type_ == "integer" and whole:
        return str(int(bound))  # type: ignore[call-overload]
    return p.const(bound)


def prelude(p: CompileState, index: dict[str, int], only: set[str] | None = None) -> list[str]:
    """Lines (unindented) that set ``v_<input>``, ``_mu``, ``_zero_pay`` and per-unit values.

    With ``only`` (the names a fast first pass reads), just those inputs and per-unit values,
    and no currency: that pass computes no pay.
    """
    spec = p.spec
    lines: list[str] = []
    for name, field in spec.inputs.items():
        if name not in index or (only is not None and name not in only):
            continue
        lines.append(f"v_{name} = c[{index[name]}]")
        if field.default is not None:
            lines.append(f"if v_{name} is None: v_{name} = {DEFAULT}{name}")
        elif field.required:
            lines.append(f"if v_{name} is None: raise {MISSING_INPUT}({name!r})")
        checks = bound_checks(p, name, f"v_{name}")
        if checks:
            # a required input (or one with a default) cannot be None here
            present = (
                "" if field.required or field.default is not None else f"v_{name} is not None and "
            )
            lines.append(f"if {present}({checks}): raise {OUT_OF_BOUNDS}({name!r}, v_{name})")
    if only is None:
        cur = spec.policy.currency
        lines.append(f"_mu = {MINOR_UNITS}.get(v_{cur})")
        lines.append(f"if _mu is None: raise {UNKNOWN_CURRENCY}({cur!r}, v_{cur})")
        lines.append(ZERO_PAY)
    for name in sorted(name for name, result in spec.results.items() if result.by):
        if only is not None and name not in only:
            continue
        by = spec.results[name].by
        derived = ", ".join(f"v_{name}{suffix}" for suffix in RESULT_SUFFIXES)
        lines.append(f"_u = {RESULT_BY_UNIT}{name}.get(v_{by})")
        lines.append(f"if _u is None: raise {NO_UNIT_FIGURES}({name!r}, {by!r}, v_{by})")
        lines.append(f"{derived} = _u")
    for name, card in spec.scorecards.items():
        by = p.plan_by(name) if card.scope == "plan" else None
        if by and (only is None or name in only):
            lines.append(f"_u = {PLAN_SCORE_BY_UNIT}{name}.get(v_{by})")
            lines.append(f"if _u is None: raise {NO_UNIT_FIGURES}({name!r}, {by!r}, v_{by})")
            lines.append(f"v_{name} = _u")
    return lines
