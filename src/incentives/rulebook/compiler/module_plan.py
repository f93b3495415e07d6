"""What a policy's generated module holds, decided once before a line of it is written.

`plan_module` reads the policy, its formulas and its step graph and says which functions the
module defines and which steps each runs, in order (see `codegen` for the functions):

    evaluate      every step, in dependency order
    stage1        only what the group totals (and pools collected with them) read: fast; a row
                  it counts but a later step rejects is found in the last pass and the run is
                  redone without it (incentives.jobs)
    stage1_full   every step that reads no total and no pool, so a row rejected by any of
                  them never counts (for callers that cannot redo a pass)
    funding       pools collected with the totals: each pool's funding, once per group
    stage2        pools not collected with the totals: after them, every step that reads no
                  pool's allocation

A pool whose members' awards read no group total is collected in the first pass with the
totals; otherwise it has a pass of its own (``stage2``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from incentives.rulebook.compiler.allocations import pool_defs
from incentives.rulebook.compiler.compile_state import CompileState
from incentives.rulebook.compiler.formulas import Formulas
from incentives.rulebook.compiler.gen_inputs import first_pass_names
from incentives.rulebook.compiler.graph import StepGraph
from incentives.rulebook.runtime.allocation_defs import PoolDef
from incentives.rulebook.runtime.policy import AggregateDef

__all__ = ["FirstPass", "ModulePlan", "plan_module"]

_MEMBER_ROLES = ("award_in", "cap", "member")  # a pool's steps its members' values come from


@attrs.frozen
class FirstPass:
    """The functions of the first pass over the roster (group totals and merged pools)."""

    stage1_steps: tuple[str, ...]
    stage1_full_steps: tuple[str, ...]
    funding_steps: tuple[str, ...] | None  # None: no pool is collected with the totals
    fundings: tuple[str, ...]  # each merged pool's funding step, as ``funding`` returns them
    reads: frozenset[str]  # the names the first pass reads (its inputs and per-unit values)
    inputs: tuple[str, ...]  # the inputs it reads, in declared order
    goals: bool  # whether it reads an employee scorecard (and so the goals)


@attrs.frozen
class ModulePlan:
    """The frozen plan of one policy's generated module."""

    inputs: tuple[str, ...]  # declared inputs, in order (their slots come first)
    input_index: Mapping[str, int]  # input → its cell in the converted row
    order: tuple[str, ...]  # every step in dependency order: ``evaluate``
    ratings: bool  # reads a rating history: converted once at the top of each function
    aggregates: tuple[AggregateDef, ...]
    pools: tuple[PoolDef, ...]
    first_pass: FirstPass | None  # None: no group total and no merged pool
    stage2_steps: tuple[str, ...] | None  # None: no pass of its own for pools
    population_inputs: tuple[str, ...]

    @property
    def pools_in_first_pass(self) -> bool:
        return self.first_pass is not None and self.first_pass.funding_steps is not None


def plan_module(
    p: CompileState, formulas: Formulas, graph: StepGraph, order: list[str]
) -> ModulePlan:
    """Plan the module of a policy without problems."""
    spec = p.spec
    inputs = tuple(spec.inputs)
    aggregates = _aggregates(p)
    pools = pool_defs(spec, p.line)
    member_side = _member_side(p, pools)
    full = graph.independent_of_aggregates(order)  # neither a group total nor a pool read
    merged = bool(pools) and graph.closure(member_side) <= full
    first = None
    if aggregates or merged:
        first = _first_pass(p, formulas, graph, order, aggregates, pools, member_side, merged)
    stage2 = None
    if pools and not merged:
        free = graph.independent_of_pools(order)
        stage2 = _in_order(order, free)
    population = formulas.population.names if formulas.population else ()
    fields = sorted(p.fields)
    return ModulePlan(
        inputs=inputs,
        input_index=MappingProxyType({n: fields.index(n) for n in inputs if n in p.fields}),
        order=tuple(order),
        ratings=spec.policy.rating_history is not None,
        aggregates=aggregates,
        pools=pools,
        first_pass=first,
        stage2_steps=stage2,
        population_inputs=tuple(sorted(n for n in population if n in inputs)),
    )


def _aggregates(p: CompileState) -> tuple[AggregateDef, ...]:
    steps = p.spec.steps.items()
    return tuple(
        AggregateDef(n, str(s.aggregate), str(s.of), s.by) for n, s in steps if s.aggregate
    )


def _member_side(p: CompileState, pools: tuple[PoolDef, ...]) -> list[str]:
    """The steps each pool's member values come from (award, own cap, membership), sorted."""
    names = (f"{d.name}_{role}" for d in pools for role in _MEMBER_ROLES)
    return sorted(name for name in names if name in p.spec.steps)


def _first_pass(
    p: CompileState,
    formulas: Formulas,
    graph: StepGraph,
    order: list[str],
    aggregates: tuple[AggregateDef, ...],
    pools: tuple[PoolDef, ...],
    member_side: list[str],
    merged: bool,
) -> FirstPass:
    full = graph.independent_of_aggregates(order)
    roots = [a.of for a in aggregates] + (member_side if merged else [])
    needed = _in_order(order, graph.closure(roots))
    fundings = tuple(f"{d.name}_funding" for d in pools) if merged else ()
    funded = _in_order(order, graph.closure(list(fundings)))
    groups = [a.by for a in aggregates] + [d.by for d in pools if merged]
    reads = {n for n in groups if n} | _formula_reads(formulas, {*needed, *funded})
    names = first_pass_names(p, reads)
    return FirstPass(
        stage1_steps=tuple(needed),
        stage1_full_steps=_in_order(order, full),
        funding_steps=tuple(funded) if merged else None,
        fundings=fundings,
        reads=frozenset(names),
        inputs=tuple(n for n in p.spec.inputs if n in names),
        goals=any(n in p.scorecards for n in {*needed, *funded}),
    )


def _formula_reads(formulas: Formulas, steps: set[str]) -> set[str]:
    """The names the eligibility rules and the parts of ``steps`` read."""
    exprs = [condition for condition, _ in formulas.eligibility]
    exprs += [expr for name in steps for _, expr, _ in formulas.steps.get(name, [])]
    return {n for expr in exprs if expr is not None for n in expr.names}


def _in_order(order: list[str], names: set[str]) -> tuple[str, ...]:
    return tuple(n for n in order if n in names)
