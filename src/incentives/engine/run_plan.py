"""The run plan: what a rulebook's run does over the roster, decided once, before any row.

    plan = plan_run(rulebook, exact_first_pass=True)
    [p.kind for p in plan.passes]      # e.g. ['totals', 'pools', 'final']

A run reads the roster once per `Pass`, streaming. Each pass says what it reads (columns,
goals, rating history), which policies it evaluates and with which generated function, how the
partials of the roster's shares merge and what is done with them; the final pass evaluates and
counts everyone. The plan also holds what converting a row needs (the converters of each field,
the fields the populations read, per pass the fields each policy reads) and what the final pass
counts (pay slots, budgets, each pool's funding check). It is frozen: every run of the rulebook
(one core, both cores, a scenario) executes the same plan (`incentives.engine.passes`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Literal

import attrs

from incentives.engine.allocation_passes import funding_checks
from incentives.model.roster import RosterSource, Row
from incentives.rulebook.language.fields import Converter
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.allocation_defs import BudgetDef
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = ["Pass", "PassKind", "RunPlan", "plan_run"]

# the passes a run may make, in this order
PassKind = Literal["totals", "pools", "final"]
# which fields of a covering policy a pass converts: every input ("all"), what the group totals
# and merged pools read ("first"), the inputs of the policies with pools ("pool")
Fields = Literal["all", "first", "pool"]


@attrs.frozen
class Pass:
    """One pass over the roster: what it reads, what it evaluates, how its shares merge."""

    kind: PassKind
    fields: Fields  # what each covering policy's rows convert (see `Fields`)
    columns: tuple[str, ...] | None  # the roster columns read (None: every column)
    goals: bool  # whether rows carry their goals
    ratings: bool  # whether rows carry their rating history
    policies: tuple[str, ...]  # the policies evaluated, by id, in rulebook order
    evaluates: str  # the generated function evaluated per covered row and policy
    collects: tuple[str, ...]  # what the partials hold: "total NAME", "pool NAME"; or "outcomes"
    merges: str  # how the partials of the roster's shares merge
    then: str  # what the merged partials become before the next pass

    def rows(self, roster: RosterSource, start: int = 0, stop: int | None = None) -> Iterable[Row]:
        """Records ``start`` to ``stop - 1`` of ``roster`` as this pass reads them."""
        return roster.part(
            start, stop, goals=self.goals, columns=self.columns, ratings=self.ratings
        )


@attrs.frozen
class RunPlan:
    """The passes of a run and what converting and counting a row needs; see the module."""

    passes: tuple[Pass, ...]
    exact_first_pass: bool
    # every field as (index, name, converter), in the values' order; those populations read
    converters: tuple[tuple[int, str, Converter], ...]
    population: frozenset[str]
    population_converters: tuple[tuple[int, str, Converter], ...]
    # per kind of `Fields`, what each policy (in rulebook order) reads beyond the populations
    pass_fields: Mapping[str, tuple[frozenset[str], ...]]
    field_converters: Mapping[str, Converter]
    field_index: Mapping[str, int]
    # policies with steps weighted by segments: their performance period
    weighted: Mapping[str, tuple[datetime.date, datetime.date]]
    # per policy, every pay component and part: (name, pay code, slot)
    pay_slots: Mapping[str, tuple[tuple[str, str, int], ...]]
    # per policy, every pay component in units (shares, points): ((unit, name, pay code), slot)
    unit_slots: Mapping[str, tuple[tuple[tuple[str, str, str], int], ...]]
    budgets: Mapping[str, tuple[BudgetDef, ...]]
    # per policy with pools: each pool's (name, group slot, funding slot, allocation slot), to
    # check in the final pass that every member's funding is the one its pool was solved with
    funding_checks: Mapping[str, tuple[tuple[str, int | None, int, int], ...]]

    @property
    def final(self) -> Pass:
        return self.passes[-1]

    def before_final(self) -> tuple[Pass, ...]:
        return self.passes[:-1]

    def has(self, kind: PassKind) -> bool:
        return any(p.kind == kind for p in self.passes)

    def describe(self) -> list[str]:
        """One line per pass: what it reads and evaluates, and what comes of it."""
        lines = []
        for step in self.passes:
            reads = "every column" if step.columns is None else ", ".join(step.columns)
            extra = [what for what, on in (("goals", step.goals), ("ratings", step.ratings)) if on]
            lines.append(
                f"{step.kind}: {step.evaluates} of {', '.join(step.policies)} "
                f"({', '.join(step.collects)}); reads {reads}"
                + (f" (+ {', '.join(extra)})" if extra else "")
                + f"; {step.merges}; {step.then}"
            )
        return lines


def plan_run(rulebook: Rulebook, *, exact_first_pass: bool = True) -> RunPlan:
    """The plan of every run of ``rulebook``. With ``exact_first_pass`` the totals pass
    evaluates every step that reads no total (a row rejected by any never counts); without,
    only what the totals read (faster; a caller that can redo a run redoes it without the rows
    the final pass rejects, see `incentives.jobs`)."""
    policies = rulebook.policies
    fields = rulebook.fields
    population = frozenset(n for p in policies for n in p.population_inputs)
    converters = tuple((i, f.name, f.convert) for i, f in enumerate(fields))
    passes: list[Pass] = []
    first = [p for p in policies if p.first_pass]
    if first:
        passes.append(_totals_pass(rulebook, first, population, exact_first_pass))
    staged = [p for p in policies if p.pools and not p.pools_in_first_pass]
    if staged:
        passes.append(_pools_pass(rulebook, staged, population))
    passes.append(
        Pass(
            "final", "all", None, True, True, tuple(p.id for p in policies), "evaluate",
            ("outcomes",),
            "summaries add up (exact sums), rows are appended in roster order",
            "the run's outputs and summary",
        )
    )  # fmt: skip
    return RunPlan(
        passes=tuple(passes),
        exact_first_pass=exact_first_pass,
        converters=converters,
        population=population,
        population_converters=tuple(c for c in converters if c[1] in population),
        pass_fields={
            "all": _reads(policies, lambda p: p.input_names, population),
            "first": _reads(
                policies, lambda p: p.first_pass_inputs if p.first_pass else (), population
            ),
            "pool": _reads(policies, lambda p: p.input_names if p.pools else (), population),
        },
        field_converters={f.name: f.convert for f in fields},
        field_index={f.name: i for i, f in enumerate(fields)},
        weighted={
            p.id: (p.spec.policy.performance_period.start, p.spec.policy.performance_period.end)
            for p in policies
            if any(s.segments == "weighted" for s in p.spec.steps.values())
        },
        pay_slots={p.id: _pay_slots(p) for p in policies},
        unit_slots={p.id: _unit_slots(p) for p in policies},
        budgets={p.id: p.budgets for p in policies if p.budgets},
        funding_checks={p.id: funding_checks(p) for p in policies if p.pools},
    )


def _totals_pass(
    rulebook: Rulebook,
    first: list[CompiledPolicy],
    population: frozenset[str],
    exact: bool,
) -> Pass:
    """Group totals, and the pools whose awards read none: every share sums its groups and
    collects each member's award; the funding is evaluated once per group after the merge."""
    collected = (
        *(f"total {a.name}" for p in first for a in p.aggregates),
        *(f"pool {d.name}" for p in first if p.pools_in_first_pass for d in p.pools),
    )
    then = "group totals set"
    if any(p.pools_in_first_pass for p in first):
        then += "; each pool's funding evaluated once per group and the pool solved"
    merges = "sums, counts, min and max merge exactly; pool members are concatenated"
    ids = tuple(p.id for p in first)
    if exact:  # every column: the totals pass converts all that the final pass does
        return Pass("totals", "all", None, True, True, ids, "stage1_full", collected, merges, then)
    read = population | {n for p in first for n in p.first_pass_inputs}
    return Pass(
        "totals",
        "first",
        _columns(rulebook, read),
        any(p.first_pass_goals for p in first),
        any(p.spec.policy.rating_history is not None for p in first),
        ids,
        "stage1",
        collected,
        merges,
        then,
    )


def _pools_pass(
    rulebook: Rulebook, staged: list[CompiledPolicy], population: frozenset[str]
) -> Pass:
    """Pools whose awards read a group total: a pass of their own after the totals."""
    pooled = [p for p in rulebook.policies if p.pools]
    read = population | {n for p in pooled for n in p.input_names}
    return Pass(
        "pools",
        "pool",
        _columns(rulebook, read),
        any(p.scorecards for p in pooled),
        any(p.spec.policy.rating_history is not None for p in pooled),
        tuple(p.id for p in staged),
        "stage2",
        tuple(f"pool {d.name}" for p in staged for d in p.pools),
        "pool members are concatenated, the lowest employee_id kept per funding",
        "every pool solved (all members must give the same funding)",
    )


def _columns(rulebook: Rulebook, names: Collection[str]) -> tuple[str, ...]:
    return tuple(f.name for f in rulebook.fields if f.name in names)


def _reads(
    policies: Iterable[CompiledPolicy],
    reads: Callable[[CompiledPolicy], Iterable[str]],
    population: frozenset[str],
) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(reads(p)) - population for p in policies)


def _unit_slots(policy: CompiledPolicy) -> tuple[tuple[tuple[str, str, str], int], ...]:
    """Each pay component of ``policy`` paid in units: ((unit, name, pay code), its slot)."""
    return tuple(
        ((pay.unit, pay.name, pay.pay_code), pay.slot) for pay in policy.pay if pay.unit is not None
    )


def _pay_slots(policy: CompiledPolicy) -> tuple[tuple[str, str, int], ...]:
    return tuple(
        entry
        for pay in policy.pay
        if pay.unit is None  # components in units are counted apart (`unit_slots`)
        for entry in (
            (pay.name, pay.pay_code, pay.slot),
            *((n, c, slot) for (n, c), slot in zip(pay.parts, pay.part_slots, strict=True)),
        )
    )
