"""Static types for one policy: every name gets a type, every formula is checked before it runs.

Run once per policy after the formulas are parsed and the steps ordered, before any code is
generated. A step's type is inferred from its formula (on demand, so a step read by another is
typed first) and refined by its declared ``type:``: a ``money`` step is in the pay currency unless
its formula converts it with ``fx`` into a named currency, which then follows the value into
every step reading it. What is reported (see `type_infer`, `type_builtins`, `type_tables` and
`type_rejections`): text vs numbers,
dates in arithmetic, true/false summed, money of two currencies mixed, ratings compared with
text that is not a label of their scale, table keys that cannot match, a result's ``_payout``
without a payout curve, an optional input used without ``is_missing``/``coalesce``, pay in a
currency other than the pay currency, pay-currency money aggregated over employees who may be
paid in different currencies, a split limit or a pool's funding/cap in the wrong currency, and a
condition (population, rule, ``when:``, ``members:``, ``include:``) that is not true/false. In a
plan whose currency input allows one code, that code is the pay currency.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from incentives.errors import shorten
from incentives.expr import Expression
from incentives.rulebook.compiler.allocations import Synthetic
from incentives.rulebook.compiler.compile_state import CompileState, SpecPath, StepExprs
from incentives.rulebook.compiler.earned import check_earned_dates
from incentives.rulebook.compiler.split_shares import check_shares
from incentives.rulebook.compiler.type_guards import Guard
from incentives.rulebook.compiler.type_infer import Infer, family
from incentives.rulebook.compiler.type_rejections import check_currency_codes, check_optional_inputs
from incentives.rulebook.compiler.type_tables import table_call
from incentives.rulebook.compiler.units import check_prices, check_unit_steps
from incentives.rulebook.compiler.valuetypes import (
    ANY,
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    PAY,
    PERCENT,
    TEXT,
    VType,
    clash,
    currency_text,
    money,
)
from incentives.rulebook.language.schema import ResultSpec

__all__ = ["check_types"]

_INPUT_TYPES = {
    "text": TEXT,
    "integer": INTEGER,
    "decimal": DECIMAL,
    "percent": PERCENT,
    "date": DATE,
    "boolean": BOOLEAN,
}
_DECLARED = {**_INPUT_TYPES, "money": money(PAY)}


def check_types(p: CompileState, steps: dict[str, StepExprs]) -> None:
    """Type every step and every other formula of the policy, reporting into ``p``."""
    types = PolicyTypes(p, steps)
    for name in p.spec.steps:
        types.step_type(name)
    for expr, path in list(p.expressions):
        types.infer(expr, path)
    types.check_pay()
    check_shares(p, types.infer)
    check_unit_steps(p, types.step_types)
    check_prices(p, types.infer)
    check_earned_dates(p, types.infer)
    check_currency_codes(p)
    check_optional_inputs(p, steps)


class PolicyTypes:
    """The type environment of one policy (see `type_infer.TypeEnv`)."""

    def __init__(self, p: CompileState, steps: dict[str, StepExprs]) -> None:
        self.p = p
        self.spec = p.spec
        self.steps = steps
        self.step_types: dict[str, VType] = {}
        self.busy: set[str] = set()
        self.done: dict[int, VType] = {}
        self.no_payout: set[str] = set()
        self.header = self.spec.policy.currency
        self.single = self._single_currency()

    def _single_currency(self) -> str | None:
        """The one pay currency of a plan whose currency input allows one code (or whose
        header names a code, reported where the header is checked): that code IS the pay
        currency, so fx into it is money in the pay currency."""
        spec = self.spec.inputs.get(self.header)
        if spec is None:
            return self.header
        allowed = {str(code) for code in spec.allowed or ()}
        return allowed.pop() if len(allowed) == 1 else None

    def currency_code(self, code: str) -> str:
        """A currency code as a type: the pay currency when it is the plan's one currency."""
        return PAY if code == self.single else code

    # -- expressions --------------------------------------------------------------------------
    def infer(self, expr: Expression, path: SpecPath) -> VType:
        """The type of ``expr``, inferred once; its problems are reported at ``path``."""
        found = self.done.get(id(expr))
        if found is not None:
            return found
        self.done[id(expr)] = ANY  # a cycle reads as unknown (the graph reports it)

        made = self.p.synthetic.get(str(path[1])) if path[:1] == ("steps",) else None
        written, shift, wrapper = expr.text, 0, None
        if made is not None and made.role in _WRAPPED and expr.text.startswith("fx("):
            written, wrapper = self._wrapped(made.section, made.owner, made.role)
            shift = len("fx(")  # the user's text is the first argument of the generated fx

        def report(message: str, column: int, hint: str) -> None:
            at: int | None = column - shift
            if shift and not (at is not None and 0 <= at < len(written)):
                at = None
            self.p.formula_problem(path, written, at, message, hint)

        condition = _is_condition(path) or (made is not None and made.role in _FLAGS)
        infer = Infer(self, expr, report, condition=condition, wrapper=wrapper)
        infer.guards = self._guards(path)
        found = infer.run()
        self._expect_currency(expr, path, made, found)
        self.done[id(expr)] = found
        return found

    def _wrapped(self, section: str, owner: str, role: str) -> tuple[str, tuple[str, str]]:
        """What the user wrote inside a generated fx(…, pay, 'CUR'), and how to say it is in
        the wrong currency."""
        if section == "pools":
            return self.spec.pools[owner].award, (
                "the award",
                "award the step in the pay currency: the amount before fx",
            )
        return str(getattr(self.spec.budgets[owner], role)), (
            f"the budget's {role}",
            f"write the {role} in the pay currency: the amount before fx",
        )

    def _expect_currency(
        self, expr: Expression, path: SpecPath, made: Synthetic | None, t: VType
    ) -> None:
        """A split limit is in the pay currency; a pool's funding and cap in the pool's."""
        if made is not None and made.section == "pools" and made.role in ("funding", "cap"):
            code = self.spec.pools[made.owner].currency
            expected, what = self.currency_code(code), f"the pool's {made.role}"
            where = "the pay currency" if expected == PAY else f"the pool's currency, {code}"
        elif path[:1] == ("pay",) and path[-1] == "above":
            expected, what, where = PAY, "a split limit", "the pay currency"
        else:
            return
        if t.kind != "money" or t.currency is None or t.currency == expected:
            return
        self.p.formula_problem(
            path,
            expr.text,
            0,
            f"{what} must be in {where}, not {t.describe()}",
            f"convert it: fx({expr.text}, {self.code_of(t.currency)}, {self.code_of(expected)})",
        )

    def _guards(self, path: SpecPath) -> list[Guard]:
        """What holds wherever a step's part runs: the population and every eligibility rule
        (ineligible employees' steps are not evaluated), a variant's ``when`` and the earlier
        variants' ``when``s not holding."""
        if path[0] != "steps":
            return []
        found: list[Guard] = [
            (expr.reference_tree()[0], True)
            for expr, where in self.p.expressions
            if where == ("policy", "population")
            or (where[0] == "eligibility" and where[-1] == "rule")
        ]
        if len(path) >= 5 and path[2] == "variants" and path[4] == "formula":
            v = path[3]
            for role, expr, _ in self.steps.get(str(path[1]), []):
                if expr is not None and role.startswith("when") and role[4:].isdigit():
                    u = int(role[4:])
                    if isinstance(v, int) and u <= v:
                        found.append((expr.reference_tree()[0], u == v))
        return found

    # -- names --------------------------------------------------------------------------------
    def name_type(self, name: str, report: Callable[[str, str], None]) -> VType:
        kind = self.p.kinds.get(name)
        if kind == "input":
            return self.input_type(name)
        if kind == "builtin":
            return DATE
        if kind == "parameter":
            return DECIMAL
        if kind == "result":
            return self._result_type(name, report)
        if kind in ("plan", "scorecard"):
            return PERCENT
        if kind == "eligibility":
            return BOOLEAN
        if kind == "step":
            return self.step_type(name)
        return ANY

    def input_type(self, name: str) -> VType:
        spec = self.spec.inputs[name]
        if spec.type == "rating":
            return self.rating(spec.scale or "")
        return _INPUT_TYPES.get(spec.type, ANY)

    def rating(self, scale: str) -> VType:
        found = self.spec.rating_scales.get(scale)
        labels = tuple((found.labels or {}).items()) if found is not None else ()
        return VType("rating", scale=scale, labels=labels)

    def history_type(self) -> VType:
        history = self.spec.policy.rating_history
        return ANY if history is None else self.rating(history.scale)

    def allowed_texts(self, name: str) -> list[str] | None:
        """The values a text input declares with ``allowed:`` (None without)."""
        spec = self.spec.inputs.get(name)
        if self.p.kinds.get(name) != "input" or spec is None or spec.type != "text":
            return None
        return None if spec.allowed is None else [str(v) for v in spec.allowed]

    def currency_of(self, name: str) -> str | None:
        if name == self.header:
            return PAY
        if self.header not in self.spec.inputs:
            return None  # a header naming no input: reported once, where it is written
        spec = self.spec.inputs.get(name)
        return f"input:{name}" if spec is not None and spec.type == "text" else None

    def code_of(self, currency: str | None) -> str:
        """How a formula names a currency: the pay-currency input, another input, 'USD'."""
        if currency is None or currency == PAY:
            return self.header if self.header in self.spec.inputs else f"'{self.header}'"
        return currency.removeprefix("input:") if currency.startswith("input:") else f"'{currency}'"

    def _result_type(self, name: str, report: Callable[[str, str], None]) -> VType:
        results = self.spec.results
        if name in results:
            return DECIMAL
        for suffix in ("_payout", "_attainment", "_threshold", "_target", "_maximum"):
            base = name.removesuffix(suffix)
            if name.endswith(suffix) and base in results:
                result = results[base]
                if suffix == "_payout" and not _has_payout(result) and self._first(base):
                    report(
                        f"result '{base}' declares no payout curve, so '{name}' has no value "
                        "and every employee would be rejected",
                        "give the result a curve ('payout: [threshold, target, maximum "
                        f"payouts]'), a stated payout or an override, or read '{base}' (the actual)",
                    )
                return PERCENT if suffix in ("_payout", "_attainment") else DECIMAL
        return DECIMAL

    def _first(self, result: str) -> bool:
        """Report a result without a payout once: not again per formula, nor after a scorecard
        item reading it said so (one fault, one message)."""
        said = f"result '{result}' has no payout"
        if result in self.no_payout or any(p.message.startswith(said) for p in self.p.problems):
            return False
        self.no_payout.add(result)
        return True

    def call_type(self, name: str, node: ast.Call, infer: Infer) -> VType:
        lookup = self.p.lookups.get(name)
        kind = type(lookup).__name__
        if kind == "Table":
            return table_call(self.p, name, node, infer)
        types = [infer.of(arg) for arg in node.args]
        for arg, t in zip(node.args, types, strict=True):
            if t.known and not t.numeric and lookup is not None:
                what = "curve" if kind == "Curve" else "tier schedule"
                infer.fail(
                    arg,
                    f"{what} '{name}' reads a number; '{shorten(infer.expr.source_of(arg))}' "
                    f"is {t.describe()}",
                )
        if kind == "Tiers" and types and types[0].kind == "money":
            return types[0]
        if kind == "Accelerator":
            for arg, t in zip(node.args, types, strict=False):
                if t.kind == "percent":  # commission(attainment, quota): sales ÷ plan is inside
                    infer.fail(
                        arg,
                        f"accelerator '{name}' reads the sales and the plan, and computes the "
                        f"attainment itself; '{shorten(infer.expr.source_of(arg))}' is a percent",
                    )
        if kind in ("Accelerator", "Tiers") and types and types[-1].kind == "money":
            return types[-1] if kind == "Tiers" else types[0]  # the amount it pays on
        if kind == "Curve":
            return PERCENT
        return DECIMAL if lookup is not None else ANY

    # -- steps --------------------------------------------------------------------------------
    def step_type(self, name: str) -> VType:
        found = self.step_types.get(name)
        if found is not None:
            return found
        if name in self.busy or name not in self.spec.steps:
            return ANY
        self.busy.add(name)
        try:
            found = self._step_type(name)
        finally:
            self.busy.discard(name)
        self.step_types[name] = found
        return found

    def _step_type(self, name: str) -> VType:
        spec = self.spec.steps[name]
        parts = self.steps.get(name, [])
        inferred: VType | None = None
        first_path: SpecPath = ("steps", name)
        for role, expr, path in parts:
            if expr is None or not role.startswith(("formula", "variant")):
                continue
            t = self.infer(expr, path)
            if inferred is None:
                inferred, first_path = t, path
            elif clash(inferred, t):
                self._clash(path, expr, inferred, t, "variants of one step")
            elif inferred != t:
                inferred = _merge(inferred, t)
        if spec.aggregate is not None:
            inferred = INTEGER if spec.aggregate == "count" else self._aggregated(name)
        result = self._declared(name, inferred or ANY, first_path)
        for role, expr, path in parts:  # gates, floors and caps: in the step's currency
            if expr is None or not role.startswith(("gatevalue", "floor", "cap")):
                continue
            t = self.infer(expr, path)
            if clash(result, t):
                self._clash(path, expr, result, t, f"the step '{name}' and its {_role(role)}")
        for role, expr, path in parts:
            if expr is not None and role.startswith(("when", "gate")):
                self.infer(expr, path)
        return result

    def _aggregated(self, name: str) -> VType:
        """The type of a sum, mean, min or max of a step: a number (dates for min and max)."""
        spec = self.spec.steps[name]
        of = self.step_type(str(spec.of))
        allowed = ("date",) if spec.aggregate in ("min", "max") else ()
        if (
            of.kind == "money"
            and of.currency == PAY
            and self.single is None
            and spec.by != self.header
        ):
            codes = self.spec.inputs[self.header].allowed
            self.p.problem(
                ("steps", name, "of"),
                f"aggregate: {spec.aggregate} of step '{spec.of}', which is money in the pay "
                "currency, adds up employees paid in different currencies (input "
                f"'{self.header}' "
                + ("allows " + ", ".join(str(c) for c in codes) if codes else "holds any code")
                + ")",
                f"aggregate a step converted into one currency, e.g. fx({spec.of}, "
                f"{self.header}, 'USD'), or group by: {self.header}",
            )
            return ANY
        if of.known and not of.numeric and of.kind not in allowed:
            self.p.problem(
                ("steps", name, "of"),
                f"aggregate: {spec.aggregate} of step '{spec.of}', which is {of.describe()}",
                "count with aggregate: count, or sum a step (1 if condition else 0)"
                if of.kind == "boolean"
                else "aggregate a number",
            )
            return ANY
        return of

    def _declared(self, name: str, inferred: VType, path: SpecPath) -> VType:
        spec = self.spec.steps[name]
        declared = _DECLARED.get(spec.type, ANY)
        explicit = "type" in spec.model_fields_set
        if (
            explicit
            and inferred.known
            and declared.known
            and name not in self.p.synthetic  # its parts are checked where they are written
            and family(inferred) != family(declared)
        ):
            self.p.problem(
                path,
                f"step '{name}' is declared type: {spec.type} but its formula gives "
                f"{inferred.describe()}",
                "fix the formula or the step's type",
            )
            return declared
        if inferred.kind == "money" and inferred.currency is not None:
            return inferred  # fx into a named currency: the currency follows the value
        if declared.kind in ("money", "text", "date", "boolean"):
            return declared
        if inferred.kind == "rating":
            return inferred
        return declared if declared.known else inferred

    def _clash(self, path: SpecPath, expr: Expression, a: VType, b: VType, between: str) -> None:
        self.p.problem(
            path,
            f"{between} give money in {currency_text(a.currency)} and in "
            f"{currency_text(b.currency)} ('{expr.text}')",
            "convert with fx(x, currency, 'USD') or fx(x, 'USD', currency) so both agree",
        )

    def check_pay(self) -> None:
        for c, comp in enumerate(self.spec.pay):
            t = self.step_types.get(comp.step)
            if t is not None and t.kind == "money" and t.currency not in (None, PAY):
                self.p.problem(
                    ("pay", c, "step"),
                    f"pay component '{comp.name}' pays step '{comp.step}', which is money in "
                    f"{currency_text(t.currency)}; pay is made in the pay currency",
                    f"convert it back with fx({comp.step}, '{t.currency}', "
                    f"{self.spec.policy.currency})"
                    if t.currency and not t.currency.startswith("input:")
                    else "convert it back into the pay currency with fx",
                )


_WRAPPED = ("award_in", "payroll", "spend")  # fx(<written>, pay, 'CUR') made by a pool or budget
_FLAGS = ("member", "included")  # a pool's members:, a budget's include:


def _is_condition(path: SpecPath) -> bool:
    """Population, eligibility and criterion rules, gate and variant `when:`: true/false."""
    return (
        path == ("policy", "population")
        or (path[:1] in (("eligibility",), ("criteria",)) and path[-1] == "rule")
        or path[-1] == "when"
    )


def _has_payout(result: ResultSpec) -> bool:
    """A curve, an override or a stated payout (on the result or a unit): `X_payout` has a
    value. (`stated_payout` is read by name: older specs have no such field.)"""
    stated = [result, *(result.units or {}).values()]
    return (
        result.payout is not None
        or result.override is not None
        or any(getattr(figures, "stated_payout", None) is not None for figures in stated)
    )


def _merge(a: VType, b: VType) -> VType:
    if a.kind == "money" or b.kind == "money":
        return a if a.kind == "money" else b
    return a if family(a) == family(b) else ANY


def _role(role: str) -> str:
    return "cap" if role == "cap" else "floor" if role == "floor" else "gate value"
