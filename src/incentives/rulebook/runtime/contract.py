"""The contract between generated policy code and the runtime that binds it: one list of names.

The compiler (`incentives.rulebook.compiler.codegen` and its ``gen_*`` emitters) writes a Python
module per policy; `incentives.rulebook.runtime.binding.bind` executes it into a globals dict.
Every global name that module may read is declared here, with what supplies it and what it
means; the emitters take the names from here and `bind` builds the globals from here
(tests/test_contract.py proves that every name a compiled policy reads is declared and
supplied, and that every declared name is read by some policy).

The scheme:

- A global is UPPER_CASE. A *family* is a prefix ending in ``_`` followed by a name the
  policy declares, as written (policy names are lower-case, so ``RESULT_BY_UNIT_x`` can never
  be ``RESULT_`` + a result's name): ``PARAM_bonus_target``, ``LOOKUP_target_pct``.
- Constants of the policy's formulas (numbers, dates) are named for what they hold:
  ``NUM_0_05`` (0.05), ``NUM_minus_1``, ``NUM_1e3`` (1E+3), ``DATE_2026_03_31``. One global
  per distinct value (the first spelling of equal numbers: 1.0 and 1.00 share ``NUM_1_0``).
- Functions of the formula language keep the prefix ``F_`` of `incentives.expr` (the layer
  below, which renders them): ``F_round_to``.
- Exception classes keep their own names (``RowError``, ``MissingValue``).
- Locals are lower-case and never globals: ``v_<name>`` holds the value of an input, step,
  per-unit result or plan scorecard (`STEP_FAILED` reads them from ``locals()``); the others
  are the emitters' own (``r_`` raw, ``gt_`` gate, ``st_`` stage, ``vi_`` variant, ``sg_``
  segments, ``w_`` a weighted input, ``pg_`` plan gates, ``pt``/``pp``/``pl``/``pm`` pay,
  ``k``/``kg`` criteria, ``e`` eligibility, ``a<n>``/``c<n>`` a call's arguments and result,
  ``_s`` the label of what runs).

Reading a global is one dictionary lookup whatever its name: the names cost nothing per use.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import attrs

__all__ = [
    "BUILTIN_NAMES",
    "DECLARED",
    "GENERATED_FUNCTIONS",
    "PYTHON_BUILTINS",
    "RESULT_SUFFIXES",
    "VALUE_LOCAL",
    "Declared",
    "constant_name",
    "declared",
]


@attrs.frozen
class Declared:
    """One name (or family of names) of the contract: who supplies it and what it means."""

    name: str  # the global's name, or a family's prefix
    family: bool  # a prefix followed by a name the policy declares
    supplier: str
    meaning: str


DECLARED: dict[str, Declared] = {}


def _name(name: str, supplier: str, meaning: str) -> str:
    DECLARED[name] = Declared(name, False, supplier, meaning)
    return name


def _family(prefix: str, supplier: str, meaning: str) -> str:
    DECLARED[prefix] = Declared(prefix, True, supplier, meaning)
    return prefix


def declared(name: str) -> Declared | None:
    """The declaration a global name falls under (None: not part of the contract)."""
    if name in DECLARED:
        return DECLARED[name]
    families = [d for d in DECLARED.values() if d.family and name.startswith(d.name)]
    rest = [name[len(d.name) :] for d in families]
    for d, tail in zip(families, rest, strict=True):
        if tail and not tail[0].isupper():  # PLAN_SCORE_BY_UNIT_x is not PLAN_SCORE_ + BY_...
            return d
    return None


# the built-in dates a formula may read, and the figures each result defines (its name + suffix)
BUILTIN_NAMES = (
    "period_start",
    "period_end",
    "payout_date",
    "effective_from",
    "effective_to",
    "as_of",
)
RESULT_SUFFIXES = ("", "_threshold", "_target", "_maximum", "_attainment", "_payout")

# the local holding a name's value (read back by STEP_FAILED for its message)
VALUE_LOCAL = "v_"

# what the generated module defines (read by `bind`), each over (c, X, SEGS=None): c the
# row's converted cells, X the `EmployeeInput`, SEGS its segments of the period
GENERATED_FUNCTIONS = {
    "population": "population(c): whether the row is in the policy's population",
    "evaluate": "every slot value, one flat tuple laid out as CompiledPolicy.slots",
    "stage1": "the (group, value) pairs group totals sum, and the merged pools' members",
    "stage1_full": "stage1 after every step that reads no total and no pool",
    "funding": "each merged pool's funding, for one member of a group (None: no such pool)",
    "stage2": "each pool's member values after the group totals (None: no such pass)",
}

# Python's own builtins the generated code may call
PYTHON_BUILTINS = frozenset(
    {"bool", "min", "max", "str", "locals", "Exception", "TypeError", "type", "ArithmeticError"}
)

# -- families: a prefix, then a name the policy declares ------------------------------------------
FUNCTION = _family(
    "F_", "incentives.expr.NAMESPACE", "a function of the formula language (min, round_to, ...)"
)
ROUND_TO = FUNCTION + "round_to"  # the two the emitters call themselves (rounding steps, pay)
TRUNCATE_TO = FUNCTION + "truncate_to"
BUILTIN = _family(
    "BUILTIN_",
    "bind: the policy header and the run's as-of date",
    "a built-in date (BUILTIN_NAMES)",
)
PARAM = _family("PARAM_", "bind: CompiledPolicy.parameters", "a parameter's value")
RESULT = _family(
    "RESULT_",
    "bind: the policy's results and --results",
    "a plan result's figure: the result's name + a RESULT_SUFFIXES suffix",
)
RESULT_BY_UNIT = _family(
    "RESULT_BY_UNIT_",
    "bind: the policy's results and --results",
    "a result given by unit: unit → its figures (in RESULT_SUFFIXES order)",
)
PLAN_SCORE = _family(
    "PLAN_SCORE_", "bind: the plan scorecard computed once per run", "a plan scorecard's score"
)
PLAN_SCORE_BY_UNIT = _family(
    "PLAN_SCORE_BY_UNIT_",
    "bind: the plan scorecard computed once per unit",
    "a plan scorecard read by unit: unit → score",
)
PLAN_GATES = _family(
    "PLAN_GATES_",
    "bind: runtime.plan_gate_flags.applied_flags of the scorecard's record",
    "a plan scorecard's gates: one applied flag per gate (unit → flags when read by unit)",
)
LOOKUP = _family(
    "LOOKUP_",
    "bind: CompiledPolicy.lookups (runtime.tables, runtime.curves)",
    "a table, curve or tier: called with its keys, returns (value, what matched)",
)
FOUND = _family(
    "FOUND_",
    "bind: Table.found of CompiledPolicy.lookups (runtime.table_lookup)",
    "an exact table's lookups worked out once: keys → (value, what matched); a miss → LOOKUP_",
)
SCORECARD = _family(
    "SCORECARD_",
    "bind: EmployeeScorecard.quick() of CompiledPolicy.scorecards (runtime.scorecard_fast)",
    "an employee scorecard: called with the goals, returns (score, goal values)",
)
SCORECARD_SCORE = _family(
    "SCORECARD_SCORE_",
    "bind: EmployeeScorecard.quick_score() of CompiledPolicy.scorecards (runtime.scorecard_fast)",
    "an employee scorecard's score alone, for the functions that record no trace (stage1...)",
)
GROUP_TOTAL = _family(
    "GROUP_TOTAL_",
    "bind: BoundPolicy.aggregate_totals, filled by the engine's first pass",
    "an aggregate step's totals: group → total",
)
POOL = _family(
    "POOL_",
    "bind: BoundPolicy.pool_states, filled by the engine between passes",
    "a pool's allocation: group → solved pool (amount, factor, scaled, share, rounded)",
)
DEFAULT = _family(
    "DEFAULT_", "compiler: CompiledPolicy.globals_", "an input's default, converted once"
)
ALLOWED = _family(
    "ALLOWED_", "compiler: CompiledPolicy.globals_", "an input's allowed values (a frozenset)"
)
HISTORY = _family(
    "HISTORY_",
    "bind: runtime.ratings.RatingHistory.functions",
    "a rating history function (rating_in, lowest_rating, ratings_count) over READ_RATINGS",
)
NUMBER = _family("NUM_", "compiler: CompiledPolicy.globals_", "a number constant, named for it")
DATE = _family("DATE_", "compiler: CompiledPolicy.globals_", "a date constant, named for it")

# -- single names ---------------------------------------------------------------------------------
FX_CONVERT = _name(
    "FX_CONVERT",
    "bind: the run's rates (--rates); without them only same-currency",
    "fx(amount, from, to, rate type, date) → (converted amount, (rate, date, rate type))",
)
FX_AMOUNT = _name(
    "FX_AMOUNT",
    "bind: FX_CONVERT's amount alone (run_inputs.fx_function)",
    "fx(amount, from, to, rate type, date) → the converted amount, for the functions that "
    "record no trace (stage1...)",
)
MINOR_UNITS = _name("MINOR_UNITS", "bind: incentives.money", "currency code → its minor unit")
ZERO = _name("ZERO", "bind", "Decimal(0), what a zero gate leaves")
ONE = _name("ONE", "bind", "Decimal(1), the whole number an inline rounding quantizes to")
DECIMAL = _name("DECIMAL", "bind: decimal.Decimal", "the type an inline rounding is for")
WEIGH_SEGMENTS = _name(
    "WEIGH_SEGMENTS", "bind: runtime.weighted.weigh", "a weighted step's value and its trace"
)
WEIGH_VALUE = _name(
    "WEIGH_VALUE",
    "bind: runtime.weighted.weigh_value",
    "a weighted step's value alone, for the functions that record no trace (stage1...)",
)
EARNED_SEGMENTS = _name(
    "EARNED_SEGMENTS", "bind: runtime.earned.earned_segments", "an earned step's segments"
)
WEIGH_EARNED = _name(
    "WEIGH_EARNED", "bind: runtime.earned.weigh_earned", "an earned step's value and its trace"
)
FORMAT_VALUE = _name(
    "FORMAT_VALUE", "bind: incentives.display.format_value", "a value in a criterion's gap text"
)
MISSING_TEXT = _name(
    "MISSING_TEXT",
    "bind: runtime.ratings.missing_text",
    "the message of a criterion that met a missing input (None: not a missing input)",
)
READ_RATINGS = _name(
    "READ_RATINGS",
    "bind: runtime.ratings.RatingHistory.read",
    "an employee's rating history, converted once per evaluation",
)
ROW_ERROR = _name("RowError", "bind: incentives.errors", "a rejected row's error")
MISSING_VALUE = _name(
    "MissingValue", "bind: incentives.errors", "a value a criterion needs is missing"
)
# error builders: each returns the error the generated code raises (binding._error_builders)
MISSING_INPUT = _name("MISSING_INPUT", "bind", "error: a required input is empty")
OUT_OF_BOUNDS = _name(
    "OUT_OF_BOUNDS", "bind", "error: an input breaks its bounds or allowed values"
)
UNKNOWN_CURRENCY = _name("UNKNOWN_CURRENCY", "bind", "error: the row's currency is unknown")
NO_UNIT_FIGURES = _name(
    "NO_UNIT_FIGURES", "bind", "error: no figures of a result for the row's unit"
)
NEGATIVE_PAY = _name("NEGATIVE_PAY", "bind", "error: a pay component rounds to a negative amount")
POPULATION_FAILED = _name("POPULATION_FAILED", "bind", "error: the population formula failed")
ROW_FAILED = _name("ROW_FAILED", "bind", "error: a RowError, labelled with what ran (_s)")
STEP_FAILED = _name("STEP_FAILED", "bind", "error: a step failed; its values from locals()")

_SIMPLE_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?")


def constant_name(value: object) -> str:
    """The global name of a constant of the generated code, named for what it holds:
    ``NUM_0_05``, ``NUM_minus_1``, ``NUM_1e3``, ``NUM_1eminus_7``, ``DATE_2026_03_31``. Two
    different values never share a name (the spelling is the value's own text)."""
    if isinstance(value, Decimal) and _SIMPLE_NUMBER.fullmatch(str(value)):
        text = str(value).replace("-", "minus_").replace(".", "_")
        return NUMBER + text.replace("E+", "e").replace("E", "e")
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return f"{DATE}{value:%Y_%m_%d}"
    raise TypeError(f"no constant name for {value!r}")  # a compiler bug: formulas hold neither
