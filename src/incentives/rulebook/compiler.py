"""A validated policy file → a `CompiledPolicy` with generated Python evaluation code.

Every formula is parsed and checked once, here. The steps are ordered by what they read (a
cycle is reported as its path), and the whole policy becomes one Python module with three
functions: ``population(c)``, ``stage1(c, G)`` (what group totals need) and ``evaluate(c, G)``.
They run like hand-written code: locals for values, no dictionaries, no parsing per employee.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from incentives.errors import Problem
from incentives.expr import CallSite, Expression, ExpressionError, compile_expression
from incentives.rulebook.curves import compile_curve, compile_tiers
from incentives.rulebook.fields import FieldDef
from incentives.rulebook.policy import AggregateDef, CompiledPolicy, PayDef, Slot
from incentives.rulebook.schema import GateSpec, PolicyFile, ScorecardItemSpec, StepSpec
from incentives.rulebook.scorecard import EmployeeScorecard
from incentives.rulebook.tables import compile_table
from incentives.rulebook.values import SpecIssue, SpecIssues
from incentives.rulebook.yamlsource import SourceDoc, dotted

__all__ = ["BUILTIN_NAMES", "RESULT_SUFFIXES", "compile_policy"]

BUILTIN_NAMES = (
    "period_start",
    "period_end",
    "payout_date",
    "effective_from",
    "effective_to",
    "as_of",
)
RESULT_SUFFIXES = ("", "_threshold", "_target", "_maximum", "_attainment", "_payout")

Path_ = tuple[str | int, ...]


class _Policy:
    """Compilation state for one policy; problems are collected, never raised one by one."""

    def __init__(self, doc: SourceDoc, spec: PolicyFile, fields: dict[str, FieldDef], sha: str):
        self.doc = doc
        self.spec = spec
        self.fields = fields
        self.sha = sha
        self.problems: list[Problem] = []
        self.lookups: dict[str, Any] = {}
        self.arities: dict[str, tuple[int, int]] = {}
        self.scorecards: dict[str, EmployeeScorecard] = {}
        self.kinds: dict[str, str] = {}  # name -> input|builtin|parameter|result|plan|lookup|...
        self.unit_results: dict[str, str] = {}  # derived name -> result name, for `by` results
        self.constants: dict[tuple[type, object], str] = {}
        self.const_values: dict[str, object] = {}
        self.sites = 0
        self.slots: list[Slot] = []
        self.slot_exprs: list[str] = []

    # -- problems and names -------------------------------------------------------------
    def problem(self, path: Path_, message: str, hint: str = "") -> None:
        self.problems.append(
            Problem(self.doc.file, self.doc.line_of(path), dotted(path), message, hint)
        )

    def line(self, path: Path_) -> int | None:
        return self.doc.line_of(path)

    def declare(self, name: str, kind: str, path: Path_) -> None:
        if name in self.kinds:
            self.problem(
                path,
                f"'{name}' is already declared (as {self.kinds[name]})",
                "names are shared by all sections",
            )
        elif not name.isidentifier() or not name.islower() or name.startswith("_"):
            self.problem(
                path, f"'{name}' is not a valid name", "use lower case letters, digits and _"
            )
        else:
            self.kinds[name] = kind

    def const(self, value: object) -> str:
        key = (type(value), value)
        if key not in self.constants:
            name = f"K{len(self.constants)}"
            self.constants[key] = name
            self.const_values[name] = value
        return self.constants[key]

    def expression(self, text: str, path: Path_, allowed: Iterable[str]) -> Expression | None:
        callables = dict(self.arities)
        try:
            return compile_expression(text, values=frozenset(allowed), callables=callables)
        except ExpressionError as exc:
            where = f" (at column {exc.offset + 1})" if exc.offset is not None else ""
            self.problem(path, f"{exc.message} in '{text}'{where}", exc.hint)
            return None


def compile_policy(
    doc: SourceDoc, spec: PolicyFile, fields: dict[str, FieldDef], sha: str
) -> CompiledPolicy | list[Problem]:
    """Compile one validated policy; returns the problems instead when there are any."""
    state = _Policy(doc, spec, fields, sha)
    return _Compiler(state).run()


class _Compiler:
    def __init__(self, p: _Policy) -> None:
        self.p = p
        self.spec = p.spec
        self.lines: list[str] = []

    # -- declarations -------------------------------------------------------------------------
    def run(self) -> CompiledPolicy | list[Problem]:
        p, spec = self.p, self.spec
        for name in BUILTIN_NAMES:
            p.kinds[name] = "builtin"
        for name in spec.inputs:
            p.declare(name, "input", ("inputs", name))
        for name in spec.parameters:
            p.declare(name, "parameter", ("parameters", name))
        for name, result in spec.results.items():
            for suffix in RESULT_SUFFIXES:
                p.declare(name + suffix, "result", ("results", name))
                if result.by:
                    p.unit_results[name + suffix] = name
            if result.by and result.by not in spec.inputs:
                p.problem(
                    ("results", name, "by"),
                    f"'{result.by}' is not an input of this policy",
                    "declare it under inputs",
                )
            if result.payout is None:
                continue
            self._check_result_figures(name)
        self._compile_lookups()
        for name, card in spec.scorecards.items():
            p.declare(name, "plan" if card.scope == "plan" else "scorecard", ("scorecards", name))
        for name in spec.steps:
            p.declare(name, "step", ("steps", name))
        if spec.policy.currency not in spec.inputs:
            p.problem(
                ("policy", "currency"),
                f"'{spec.policy.currency}' is not an input of this policy",
                "name the input holding each employee's currency",
            )
        self._compile_scorecards()
        return self._generate()

    def _check_result_figures(self, name: str) -> None:
        result = self.spec.results[name]
        sets = (
            [("results", name)]
            if not result.units
            else [("results", name, "units", u) for u in result.units]
        )
        for path in sets:
            figures = result if not result.units else result.units[str(path[-1])]
            for field in ("threshold", "target", "maximum"):
                if getattr(figures, field) is None:
                    self.p.problem(path, f"a result with a payout curve needs '{field}'")

    def _compile_lookups(self) -> None:
        p, spec = self.p, self.spec
        groups: list[tuple[str, dict[str, Any], Any]] = [
            ("tables", dict(spec.tables), compile_table),
            ("curves", dict(spec.curves), compile_curve),
            ("tiers", dict(spec.tiers), compile_tiers),
        ]
        for section, specs, build in groups:
            for name, item in specs.items():
                p.declare(name, "lookup", (section, name))
                # declared arity even if the lookup itself is broken: no second "unknown" problem
                width = len(item.axes) if section == "tables" else 1
                p.arities[name] = (width, width)
                try:
                    p.lookups[name] = build(name, item)
                except SpecIssues as exc:
                    for issue in exc.issues:
                        p.problem((section, name, *issue.path), issue.message, issue.hint)
                except SpecIssue as issue:
                    p.problem((section, name, *issue.path), issue.message, issue.hint)

    def _compile_scorecards(self) -> None:
        p = self.p
        for name, card in self.spec.scorecards.items():
            path: Path_ = ("scorecards", name)
            if card.scope == "employee":
                curve = p.lookups.get(card.curve or "")
                if curve is None or type(curve).__name__ != "Curve":
                    self._unknown((*path, "curve"), card.curve or "", "curve", self.spec.curves)
                    continue
                p.scorecards[name] = EmployeeScorecard(name, curve, card.max_goals, card.normalise)
                continue
            self._check_items(card.items or [], (*path, "items"), card.normalise)

    def _check_items(self, items: list[ScorecardItemSpec], path: Path_, normalise: bool) -> None:
        total = sum((item.weight for item in items), Decimal(0))
        if not normalise and total != 1:
            self.p.problem(
                path,
                f"weights sum to {total * 100:f}%, not 100%",
                "fix the weights or set normalise: true",
            )
        for index, item in enumerate(items):
            item_path = (*path, index)
            if item.items is not None:
                self._check_items(item.items, (*item_path, "items"), normalise)
            else:
                result = self.spec.results.get(item.result or "")
                if result is None:
                    self._unknown(
                        (*item_path, "result"), item.result or "", "result", self.spec.results
                    )
                elif item.curve is None and result.payout is None:
                    self.p.problem(
                        item_path,
                        f"result '{item.result}' has no payout curve",
                        "give the result 'payout:' or the item 'curve:'",
                    )
                if item.curve is not None and item.curve not in self.spec.curves:
                    self._unknown((*item_path, "curve"), item.curve, "curve", self.spec.curves)
            for g, gate in enumerate(item.gates):
                self._plan_expr(gate.when, (*item_path, "gates", g, "when"))
                if gate.value is not None:
                    self._plan_expr(gate.value, (*item_path, "gates", g, "value"))

    def plan_names(self) -> list[str]:
        return [n for n, k in self.p.kinds.items() if k in ("builtin", "parameter", "result")]

    def _plan_expr(self, text: str, path: Path_) -> Expression | None:
        return self.p.expression(text, path, self.plan_names())

    def _unknown(self, path: Path_, name: str, what: str, known: Iterable[str]) -> None:
        close = difflib.get_close_matches(name, list(known), n=1)
        self.p.problem(
            path,
            f"unknown {what} '{name}'",
            f"did you mean '{close[0]}'?" if close else f"declare it under {what}s",
        )

    # -- code generation ----------------------------------------------------------------------
    def employee_names(self) -> list[str]:
        return [n for n, k in self.p.kinds.items() if k != "lookup"]

    def pyname(self, name: str) -> str:
        kind = self.p.kinds[name]
        if kind == "builtin":
            return f"B_{name}"
        if kind == "parameter":
            return f"P_{name}"
        if kind == "result":
            return f"v_{name}" if name in self.p.unit_results else f"R_{name}"
        if kind == "plan":
            return f"v_{name}" if self._plan_by(name) else f"SC_{name}"
        return f"v_{name}"

    def _plan_by(self, card: str) -> str | None:
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

    def render(self, expr: Expression, owner: str, path: Path_) -> str:
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
                target = "FX"
            else:
                target = f"T_{site.name}"
            lookup = p.lookups.get(site.name)
            self.calls.append(
                (
                    Slot(
                        name=f"{owner}: {site.name}({', '.join(site.arg_texts)})",
                        kind="call",
                        type=getattr(lookup, "type", "money"),
                        owner=owner,
                        line=p.line(path),
                        callee=site.name,
                        arg_texts=site.arg_texts,
                        width=2,
                    ),
                    f"(a{index}, c{index})",
                    index,
                )
            )
            return f"(c{index} := {target}(*(a{index} := ({', '.join(args)},))))[0]"

        return expr.to_python(self.pyname, call, p.const)

    def _fx_date(self) -> str:
        text = self.spec.policy.fx.date
        if text in BUILTIN_NAMES:
            return f"B_{text}"
        from incentives.rulebook.values import parse_iso_date

        try:
            return self.p.const(parse_iso_date(text))
        except ValueError as exc:
            self.p.problem(
                ("policy", "fx", "date"), str(exc), "a date or one of " + ", ".join(BUILTIN_NAMES)
            )
            return "B_period_end"

    def emit(self, line: str, depth: int = 2) -> None:
        self.lines.append("    " * depth + line)

    def add_slot(self, slot: Slot, expr: str) -> int:
        self.p.slots.append(slot)
        self.p.slot_exprs.append(expr)
        return len(self.p.slots) - 1

    def _generate(self) -> CompiledPolicy | list[Problem]:
        p, spec = self.p, self.spec
        self.calls: list[tuple[Slot, str, int]] = []
        self.labels: list[tuple[str, tuple[str, ...]]] = []
        inputs = list(spec.inputs)
        input_index = {name: sorted(p.fields).index(name) for name in inputs if name in p.fields}
        emp_names = self.employee_names()

        # population
        pop = p.expression(
            spec.policy.population, ("policy", "population"), inputs + list(BUILTIN_NAMES)
        )
        # eligibility
        elig: list[tuple[Expression | None, int]] = []
        for i, rule in enumerate(spec.eligibility):
            p.declare(rule.name, "eligibility", ("eligibility", i, "name"))
            allowed = [
                n
                for n, k in p.kinds.items()
                if k in ("input", "builtin", "parameter", "result", "plan")
            ]
            elig.append((p.expression(rule.rule, ("eligibility", i, "rule"), allowed), i))
        # steps
        exprs: dict[str, list[tuple[str, Expression | None, Path_]]] = {}
        for name, step in spec.steps.items():
            exprs[name] = self._step_exprs(name, step, emp_names)
        for c, comp in enumerate(spec.pay):
            p.declare(comp.name, "pay component", ("pay", c, "name"))
            if comp.step not in spec.steps:
                self._unknown(("pay", c, "step"), comp.step, "step", spec.steps)
            shares = sum((part.share or Decimal(0) for part in comp.split), Decimal(0))
            if shares > 1:
                p.problem(
                    ("pay", c, "split"), f"split shares add up to {shares * 100:f}%, more than 100%"
                )
            for s, part in enumerate(comp.split):
                p.declare(part.name, "pay component", ("pay", c, "split", s, "name"))
        order = self._order(exprs)
        input_constants = self._input_constants()
        if p.problems:
            return p.problems

        # -- the generated module ----------------------------------------------------------
        prelude = self._prelude(input_index)
        body_slots_start = len(p.slots)
        del body_slots_start
        self.lines = []
        out: list[str] = []
        out.append("def population(c):")
        out.append("    try:")
        for name in sorted(pop.names if pop else ()):
            if p.kinds.get(name) == "input":
                out.append(f"        v_{name} = c[{input_index[name]}]")
                default = spec.inputs[name].default
                if default is not None:
                    out.append(f"        if v_{name} is None: v_{name} = D_{name}")
        out.append(
            f"        return bool({self.render(pop, 'population', ('policy', 'population'))})"
            if pop
            else "        return True"
        )
        out.append("    except Exception as _e:")
        out.append("        raise POPFAIL(_e) from None")
        out.append("")

        # slots: inputs, eligibility
        for name in inputs:
            self.add_slot(
                Slot(
                    name,
                    "input",
                    _input_type(spec.inputs[name].type),
                    name,
                    p.line(("inputs", name)),
                ),
                f"v_{name}",
            )
        elig_lines: list[str] = []
        elig_slots: list[int] = []
        for expr, i in elig:
            assert expr is not None
            rule = spec.eligibility[i]
            label = self._label(f"eligibility rule '{rule.name}'", expr.names)
            self.calls = []
            code = self.render(expr, rule.name, ("eligibility", i, "rule"))
            elig_lines.append(f"_s = {label}")
            elig_lines.append(f"e{i} = bool({code})")
            elig_slots.append(
                self.add_slot(
                    Slot(
                        f"eligible.{rule.name}",
                        "eligibility",
                        "boolean",
                        rule.name,
                        p.line(("eligibility", i)),
                        text=rule.rule,
                        reads=tuple(sorted(expr.names)),
                        reason=rule.reason,
                    ),
                    f"e{i}",
                )
            )
            for slot, sexpr, _ in self.calls:
                self.add_slot(slot, sexpr)
        n_pre_slots = len(p.slots)

        # steps
        step_code: dict[str, list[str]] = {}
        zero_gates: list[int] = []
        for name in order:
            step_code[name] = self._step_code(
                name, spec.steps.get(name), exprs.get(name, []), zero_gates
            )
        # pay
        pay_defs, pay_lines = self._pay_code()
        nsites = p.sites

        def function(fname: str, steps: list[str], tail: list[str], early: str) -> list[str]:
            lines = [f"def {fname}(c, G):", "    _s = -1"]
            if nsites:
                lines.append(
                    "    " + " = ".join([f"a{i} = c{i}" for i in range(nsites)]) + " = None"
                )
            lines.append("    try:")
            lines += ["        " + line for line in prelude]
            lines += ["        " + line for line in elig_lines]
            if elig_lines:
                lines.append("        if not (" + " and ".join(f"e{i}" for _, i in elig) + "):")
                lines.append(f"            return {early}")
            for step in steps:
                lines += ["        " + line for line in step_code[step]]
            lines += ["        " + line for line in tail]
            lines.append("    except RowError as _e:")
            lines.append("        raise ROWFAIL(_s, _e) from None")
            lines.append("    except Exception as _e:")
            lines.append("        raise STEPFAIL(_s, _e, locals()) from None")
            lines.append("")
            return lines

        exprs_all = p.slot_exprs
        ineligible = []
        for i, slot in enumerate(p.slots):
            if i < n_pre_slots:
                ineligible.append(exprs_all[i])
            elif slot.kind == "pay":
                ineligible.append("_zero_pay")
            else:
                ineligible.append("None")
        out += function(
            "evaluate",
            order,
            [*pay_lines, "return (" + ", ".join(exprs_all) + ",)"],
            "(" + ", ".join(ineligible) + ",)",
        )
        aggregates = tuple(
            AggregateDef(n, str(s.aggregate), str(s.of), s.by)
            for n, s in spec.steps.items()
            if s.aggregate
        )
        if aggregates:
            # every step that does not read a group total: a row rejected by any of them is
            # rejected in both passes, so it never counts in a total
            needed = self._independent_of_aggregates(order, exprs)
            keys = ", ".join(f"({'v_' + a.by if a.by else 'None'}, v_{a.of})" for a in aggregates)
            out += function(
                "stage1", [n for n in order if n in needed], [f"return ({keys},)"], "None"
            )
        else:
            out += ["def stage1(c, G):", "    return None", ""]
        source = "\n".join(out)
        try:
            code_obj = compile(source, f"<policy {spec.policy.id}>", "exec")
        except SyntaxError as exc:  # pragma: no cover - a compiler bug, not a user error
            raise AssertionError(f"generated code does not compile: {exc}\n{source}") from exc
        globals_ = {
            **p.const_values,
            "LABELS": tuple(self.labels),
            "INPUT_RULES": self._input_rules(input_constants),
            **input_constants,
        }
        return CompiledPolicy(
            spec=spec,
            file=p.doc.file,
            sha256=p.sha,
            input_names=tuple(inputs),
            slots=tuple(p.slots),
            source=source,
            code=code_obj,
            lookups=MappingProxyType(dict(p.lookups)),
            scorecards=MappingProxyType(dict(p.scorecards)),
            parameters=MappingProxyType(dict(spec.parameters)),
            aggregates=aggregates,
            pay=tuple(pay_defs),
            eligibility_slots=tuple(elig_slots),
            zero_gate_slots=tuple(zero_gates),
            currency_input=spec.policy.currency,
            globals_=MappingProxyType(globals_),
            lines={name: p.line(("steps", name)) or 0 for name in spec.steps},
        )

    def _label(self, label: str, reads: Iterable[str]) -> int:
        self.labels.append(
            (label, tuple(sorted(n for n in reads if self.p.kinds.get(n) != "lookup")))
        )
        return len(self.labels) - 1

    def _input_rules(self, constants: dict[str, object]) -> dict[str, dict[str, object]]:
        return {
            name: {"min": spec.min, "max": spec.max, "allowed": constants.get(f"ALLIST_{name}")}
            for name, spec in self.spec.inputs.items()
        }

    def _input_constants(self) -> dict[str, object]:
        """Defaults and allowed values, converted once by each input's declared type."""
        found: dict[str, object] = {}
        for name, spec in self.spec.inputs.items():
            field = self.p.fields.get(name)
            if field is None:
                continue
            try:
                if spec.default is not None:
                    found[f"D_{name}"] = field.convert(spec.default)
                if spec.allowed is not None:
                    ordered = tuple(field.convert(str(v)) for v in spec.allowed)
                    found[f"AL_{name}"] = frozenset(ordered)
                    found[f"ALLIST_{name}"] = ordered  # declared order, for messages
            except ValueError as exc:
                self.p.problem(("inputs", name), f"{exc} for a {spec.type} input")
        return found

    def _prelude(self, index: dict[str, int]) -> list[str]:
        p, spec = self.p, self.spec
        lines: list[str] = []
        for name, field in spec.inputs.items():
            if name not in index:
                continue
            lines.append(f"v_{name} = c[{index[name]}]")
            if field.default is not None:
                lines.append(f"if v_{name} is None: v_{name} = D_{name}")
            elif field.required:
                lines.append(f"if v_{name} is None: raise MISSING({name!r})")
            checks = []
            if field.min is not None:
                checks.append(f"v_{name} < {p.const(field.min)}")
            if field.max is not None:
                checks.append(f"v_{name} > {p.const(field.max)}")
            if field.allowed is not None:
                checks.append(f"v_{name} not in AL_{name}")
            if checks:
                lines.append(
                    f"if v_{name} is not None and ({' or '.join(checks)}): raise BOUNDS({name!r}, v_{name})"
                )
        cur = spec.policy.currency
        lines.append(f"_mu = MU.get(v_{cur})")
        lines.append(f"if _mu is None: raise CURRENCY({cur!r}, v_{cur})")
        lines.append("_zero_pay = _mu * 0")
        used: set[str] = set()
        for name, result in spec.results.items():
            if result.by:
                used.add(name)
        for name in sorted(used):
            by = spec.results[name].by
            derived = ", ".join(f"v_{name}{suffix}" for suffix in RESULT_SUFFIXES)
            lines.append(f"_u = RU_{name}.get(v_{by})")
            lines.append(f"if _u is None: raise NOUNIT({name!r}, {by!r}, v_{by})")
            lines.append(f"{derived} = _u")
        for name, card in spec.scorecards.items():
            by = self._plan_by(name) if card.scope == "plan" else None
            if by:
                lines.append(f"_u = SCU_{name}.get(v_{by})")
                lines.append(f"if _u is None: raise NOUNIT({name!r}, {by!r}, v_{by})")
                lines.append(f"v_{name} = _u")
        return lines

    def _step_exprs(
        self, name: str, step: StepSpec, allowed: list[str]
    ) -> list[tuple[str, Expression | None, Path_]]:
        p = self.p
        base: Path_ = ("steps", name)
        found: list[tuple[str, Expression | None, Path_]] = []

        def add(role: str, text: str, path: Path_) -> None:
            found.append((role, p.expression(text, path, allowed), path))

        if step.formula is not None:
            add(
                "formula",
                step.formula,
                (*base, "formula") if p.doc.lines.get((*base, "formula")) else base,
            )
        for v, variant in enumerate(step.variants or []):
            if variant.when is not None:
                add(f"when{v}", variant.when, (*base, "variants", v, "when"))
            add(f"variant{v}", variant.formula, (*base, "variants", v, "formula"))
        if step.aggregate is not None:
            if step.of not in self.spec.steps:
                self._unknown((*base, "of"), str(step.of), "step", self.spec.steps)
            if step.by is not None and step.by not in self.spec.inputs:
                self._unknown((*base, "by"), step.by, "input", self.spec.inputs)
        for g, gate in enumerate(step.gates):
            add(f"gate{g}", gate.when, (*base, "gates", g, "when"))
            if gate.value is not None:
                add(f"gatevalue{g}", gate.value, (*base, "gates", g, "value"))
        if step.floor is not None:
            add("floor", step.floor, (*base, "floor"))
        if step.cap is not None:
            add("cap", step.cap, (*base, "cap"))
        return found

    def _deps(
        self, name: str, exprs: dict[str, list[tuple[str, Expression | None, Path_]]]
    ) -> list[str]:
        step = self.spec.steps[name]
        deps: set[str] = set()
        for _, expr, _ in exprs.get(name, []):
            if expr is not None:
                deps |= {n for n in expr.names if self.p.kinds.get(n) in ("step", "scorecard")}
        if step.aggregate and step.of in self.spec.steps:
            deps.add(str(step.of))
        return sorted(deps)

    def _order(self, exprs: dict[str, list[tuple[str, Expression | None, Path_]]]) -> list[str]:
        """Steps (and employee scorecards) ordered by dependency; a cycle is reported as its path."""
        nodes = list(self.spec.scorecards) + list(self.spec.steps)
        nodes = [n for n in nodes if self.p.kinds.get(n) in ("step", "scorecard")]
        order: list[str] = []
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(node: str) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                cycle = [*stack[stack.index(node) :], node]
                self.p.problem(
                    ("steps", node),
                    "steps depend on each other in a cycle: " + " → ".join(cycle),
                    "break the cycle",
                )
                return
            state[node] = 1
            stack.append(node)
            for dep in self._deps(node, exprs) if node in self.spec.steps else []:
                visit(dep)
            stack.pop()
            state[node] = 2
            order.append(node)

        for node in nodes:
            visit(node)
        # an aggregate may only read steps that do not themselves read an aggregate
        for name, step in self.spec.steps.items():
            if step.aggregate and step.of in self.spec.steps:
                for dep in self._closure([str(step.of)], exprs):
                    if dep in self.spec.steps and self.spec.steps[dep].aggregate:
                        self.p.problem(
                            ("steps", name, "of"),
                            f"an aggregate cannot read another aggregate ('{dep}')",
                        )
        return order

    def _independent_of_aggregates(
        self, order: list[str], exprs: dict[str, list[tuple[str, Expression | None, Path_]]]
    ) -> set[str]:
        tainted: set[str] = set()
        for node in order:
            step = self.spec.steps.get(node)
            if step is not None and (
                step.aggregate or any(dep in tainted for dep in self._deps(node, exprs))
            ):
                tainted.add(node)
        return {node for node in order if node not in tainted}

    def _closure(
        self, roots: list[str], exprs: dict[str, list[tuple[str, Expression | None, Path_]]]
    ) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in self.spec.steps:
                todo += self._deps(node, exprs)
        return seen

    def _step_code(
        self,
        name: str,
        step: StepSpec | None,
        exprs: list[tuple[str, Expression | None, Path_]],
        zero_gates: list[int],
    ) -> list[str]:
        p = self.p
        if step is None or name in p.scorecards:  # an employee scorecard used as a node
            label = self._label(f"scorecard '{name}'", ())
            self.add_slot(
                Slot(
                    name,
                    "step",
                    "percent",
                    name,
                    p.line(("scorecards", name)),
                    text=f"scorecard {name}",
                ),
                f"v_{name}",
            )
            self.add_slot(
                Slot(
                    f"{name}.goals",
                    "goals",
                    "percent",
                    name,
                    p.line(("scorecards", name)),
                    width=7 * p.scorecards[name].max_goals,
                ),
                f"g_{name}",
            )
            return [f"_s = {label}", f"v_{name}, g_{name} = S_{name}(G)"]
        base: Path_ = ("steps", name)
        by_role = {role: (expr, path) for role, expr, path in exprs}
        reads = set().union(*[e.names for _, e, _ in exprs if e is not None]) if exprs else set()
        label = self._label(f"step '{name}'", reads)
        lines = [f"_s = {label}"]
        self.calls = []

        def r(role: str) -> str:
            expr, path = by_role[role]
            assert expr is not None
            return self.render(expr, name, path)

        post = bool(step.gates or step.floor or step.cap or step.round or step.truncate is not None)
        target = f"r_{name}" if post else f"v_{name}"
        text = step.formula or ""
        variant_slot = None
        if step.formula is not None:
            lines.append(f"{target} = {r('formula')}")
        elif step.variants is not None:
            for v, variant in enumerate(step.variants):
                head = "if" if v == 0 else "elif"
                if variant.when is not None:
                    lines.append(f"{head} {r(f'when{v}')}:")
                else:
                    lines.append("else:" if v else "if True:")
                lines.append(f"    vi_{name} = {v}")
                lines.append(f"    {target} = {r(f'variant{v}')}")
            text = " | ".join(
                f"when {v.when}: {v.formula}" if v.when else f"otherwise: {v.formula}"
                for v in step.variants
            )
            variant_slot = Slot(
                f"{name}.variant",
                "variant",
                "integer",
                name,
                p.line((*base, "variants")),
                text=text,
            )
        else:
            key = f"v_{step.by}" if step.by else "None"
            lines.append(f"{target} = A_{name}[{key}]")
            text = f"{step.aggregate} of {step.of}" + (f" by {step.by}" if step.by else "")
        slot_line = p.line(base)
        if variant_slot is not None:
            self.add_slot(variant_slot, f"vi_{name}")
        if post:
            self.add_slot(
                Slot(f"{name}.raw", "raw", step.type, name, slot_line, text=text), f"r_{name}"
            )
            lines.append(f"x = r_{name}")
            for g, gate in enumerate(step.gates):
                lines.append(f"gt_{name}_{g} = bool({r(f'gate{g}')})")
                if gate.outcome == "zero":
                    action = "x = ZERO"
                elif gate.outcome == "cap":
                    action = f"x = min(x, {r(f'gatevalue{g}')})"
                else:
                    action = f"x = {r(f'gatevalue{g}')}"
                lines.append(f"if gt_{name}_{g}: {action}")
                gate_index = self.add_slot(self._gate_slot(name, g, gate), f"gt_{name}_{g}")
                if gate.outcome == "zero":
                    zero_gates.append(gate_index)
            if step.floor is not None:
                lines.append(f"x = max(x, {r('floor')})")
            if step.cap is not None:
                lines.append(f"x = min(x, {r('cap')})")
            if step.round is not None:
                lines.append(f"x = F_round_to(x, {p.const(step.round.step)}, {step.round.mode!r})")
            if step.truncate is not None:
                lines.append(f"x = F_truncate_to(x, {p.const(step.truncate)})")
            lines.append(f"v_{name} = x")
        for slot, sexpr, _ in self.calls:
            self.add_slot(slot, sexpr)
        self.add_slot(
            Slot(
                name,
                "step",
                step.type,
                name,
                slot_line,
                text=text,
                reads=tuple(sorted(n for n in reads if p.kinds.get(n) != "lookup")),
            ),
            f"v_{name}",
        )
        return lines

    def _gate_slot(self, owner: str, index: int, gate: GateSpec) -> Slot:
        label = gate.name or f"gate{index + 1}"
        return Slot(
            f"{owner}.gate.{label}",
            "gate",
            "boolean",
            owner,
            self.p.line(("steps", owner, "gates", index)),
            text=gate.when,
            reason=gate.reason,
            outcome=gate.outcome if gate.value is None else f"{gate.outcome} {gate.value}",
        )

    def _pay_code(self) -> tuple[list[PayDef], list[str]]:
        p = self.p
        lines: list[str] = []
        defs: list[PayDef] = []
        allowed = self.employee_names()
        for c, comp in enumerate(self.spec.pay):
            base: Path_ = ("pay", c)
            label = self._label(f"pay component '{comp.name}'", (comp.step,))
            step_ = "_mu" if comp.round.step == "minor_unit" else p.const(comp.round.step)
            mode = repr(comp.round.mode)
            lines.append(f"_s = {label}")
            lines.append(
                f"if v_{comp.step} < 0: raise NEGATIVE({comp.name!r}, v_{comp.step}, {comp.step!r})"
            )
            lines.append(f"pt{c} = F_round_to(v_{comp.step}, {step_}, {mode})")
            lines.append(f"_rem = pt{c}")
            parts: list[str] = []
            part_slots: list[int] = []
            self.calls = []
            for s, part in enumerate(comp.split):
                var = f"pp{c}_{s}"
                if part.above is not None:
                    expr = p.expression(part.above, (*base, "split", s, "above"), allowed)
                    if expr is None:
                        continue
                    lines.append(
                        f"_l = F_round_to({self.render(expr, comp.name, (*base, 'split', s))}, {step_}, {mode})"
                    )
                    lines.append(f"{var} = pt{c} - _l if pt{c} > _l else _zero_pay")
                    lines.append(f"if {var} > _rem: {var} = _rem")
                    lines.append(f"_rem -= {var}")
                else:
                    lines.append(
                        f"{var} = F_round_to(pt{c} * {p.const(part.share)}, {step_}, {mode})"
                    )
                    lines.append(f"if {var} > _rem: {var} = _rem")
                    lines.append(f"_rem -= {var}")
                parts.append(var)
            lines.append(f"pm{c} = _rem")  # parts never exceed what is left: no negative line
            line = p.line(base)
            main = self.add_slot(
                Slot(
                    f"pay.{comp.name}",
                    "pay",
                    "money",
                    comp.name,
                    line,
                    text=comp.step,
                    reason=comp.pay_code,
                ),
                f"pm{c}",
            )
            for s, part in enumerate(comp.split):
                part_slots.append(
                    self.add_slot(
                        Slot(
                            f"pay.{part.name}",
                            "pay",
                            "money",
                            comp.name,
                            p.line((*base, "split", s)),
                            text=part.above or f"{part.share} share",
                            reason=part.pay_code,
                        ),
                        f"pp{c}_{s}",
                    )
                )
            total = self.add_slot(
                Slot(
                    f"pay.{comp.name}.total",
                    "pay",
                    "money",
                    comp.name,
                    line,
                    text=f"round({comp.step})",
                ),
                f"pt{c}",
            )
            for slot, sexpr, _ in self.calls:
                self.add_slot(slot, sexpr)
            defs.append(
                PayDef(
                    comp.name,
                    comp.pay_code,
                    comp.step,
                    tuple((pt.name, pt.pay_code) for pt in comp.split),
                    main,
                    tuple(part_slots),
                    total,
                )
            )
        return defs, lines


def _input_type(type_: str) -> str:
    return {"rating": "decimal", "integer": "integer"}.get(type_, type_)
