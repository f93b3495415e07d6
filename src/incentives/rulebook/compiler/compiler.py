"""A validated policy file → a `CompiledPolicy` with generated Python evaluation code.

Every formula is parsed and checked once, here. The steps are ordered by what they read (a
cycle is reported as its path), and the whole policy becomes one Python module with three
functions: ``population(c)``, ``stage1(c, X)`` (what group totals need) and ``evaluate(c, X)``.
They run like hand-written code: locals for values, no dictionaries, no parsing per employee.

The stages, each in its own module, share one `CompileState` (names, constants, problems):

    declarations   declare every name; compile lookups; check results, scorecards and pay
    formulas       parse population, eligibility and step formulas
    criteria       check the rating history header; parse readiness criteria and gap templates
    graph          order the steps by dependency; report cycles and aggregates of aggregates
    typecheck      give every name and formula a static type; report what cannot work
    codegen        generate the module (gen_inputs, gen_steps, gen_pay over gen_expr), compile it

Problems from every stage are collected; code is generated only when there are none.
"""

from __future__ import annotations

from incentives.errors import Problem
from incentives.rulebook.compiler.allocations import expand
from incentives.rulebook.compiler.codegen import generate
from incentives.rulebook.compiler.compile_state import BUILTIN_NAMES, RESULT_SUFFIXES, CompileState
from incentives.rulebook.compiler.criteria import check_population, parse_criteria
from incentives.rulebook.compiler.declarations import declare_pay, declare_sections
from incentives.rulebook.compiler.formulas import parse_formulas
from incentives.rulebook.compiler.gen_inputs import input_constants
from incentives.rulebook.compiler.graph import StepGraph
from incentives.rulebook.compiler.plan_group import expand_plan_group
from incentives.rulebook.compiler.segments import check_weighted
from incentives.rulebook.compiler.shared_gates import share_gates
from incentives.rulebook.compiler.typecheck import check_types
from incentives.rulebook.compiler.units import declare_conversions
from incentives.rulebook.language.fields import FieldDef
from incentives.rulebook.language.schema import PolicyFile
from incentives.rulebook.language.yamlsource import SourceDoc
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = ["BUILTIN_NAMES", "RESULT_SUFFIXES", "compile_policy"]


def compile_policy(
    doc: SourceDoc, spec: PolicyFile, fields: dict[str, FieldDef], sha: str
) -> CompiledPolicy | list[Problem]:
    """Compile one validated policy; returns the problems instead when there are any."""
    spec, shared, shared_issues = share_gates(spec)  # plan-level gates join their steps
    spec, synthetic, issues = expand(spec)  # pools and budgets become steps of their own
    spec, participation, more = expand_plan_group(spec)  # several plans per person
    synthetic, issues = {**synthetic, **participation}, issues + more
    state = CompileState(doc, spec, fields, sha)
    state.synthetic = synthetic
    state.shared_gates = shared
    issues = [*shared_issues, *issues]
    for path, message, hint in issues:
        state.problem(path, message, hint)
    declare_sections(state)
    formulas = parse_formulas(state)
    check_weighted(state, formulas.steps)
    declare_pay(state)
    declare_conversions(state)
    criteria = parse_criteria(state)
    check_population(state, formulas.population)
    graph = StepGraph(state, formulas.steps)
    order = graph.order()
    check_types(state, formulas.steps)
    constants = input_constants(state)
    if state.problems:  # a plan-level gate's problem is found once per step it joins
        return list(dict.fromkeys(state.problems)) if shared else state.problems
    return generate(state, formulas, graph, order, constants, criteria)
