"""Many rulebooks over one roster: a baseline and its scenarios evaluated side by side.

    ran = execute_scenarios([baseline_calc, *scenario_calcs], roster, in_process, new_tally)

Every calculation is bound to its own rulebook (a scenario's is the baseline's with overrides:
the same fields and populations) and keeps its own group totals, pools and summary; the roster
is read once per pass of the plans (not once per scenario). In the final pass each row is
converted once, by the baseline, and that conversion is evaluated by every calculation
(`Calculation.evaluated`); the passes before it read each block of rows once, convert it once
(by the baseline) and hand it to each calculation's partials. A policy a scenario did not
change gives the baseline's outcome. Each share of the final pass gives every row's outcomes
(one per calculation, the baseline's first) to a tally of the caller's (``new_tally(share)``), which
returns to the parent to be merged: no per-employee file is written here, and no outcome is
kept beyond its row. Shares are mapped as a run's are (`engine.passes.ShareMap`: in process, or
`parallel.forked_shares` on both cores).
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

import attrs

from incentives.engine.calculate import Calculation
from incentives.engine.earlier_passes import Covered
from incentives.engine.outcome import EmployeeOutcome, Summary
from incentives.engine.passes import Item, ShareMap, Tick
from incentives.engine.run_plan import Pass, PassKind
from incentives.engine.scenario_feed import Lockstep, Wrap
from incentives.errors import OptionsError
from incentives.model import EmployeeInput, Rejection
from incentives.model.roster import RosterSource, Row
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.runtime.policy import BoundPolicy

__all__ = ["RowTally", "ScenariosRan", "check_comparable", "execute_scenarios"]

# rows handed at once to every calculation in a pass before the final one
BLOCK = 4_000


class RowTally(Protocol):
    """What takes each row's outcomes in a share of the final pass (one per calculation, the
    baseline's first); returned to the parent, so it must pickle."""

    def take(self, row: Row, outcomes: Sequence[Item]) -> None: ...

    def finish(self) -> None:
        """The share's last row was taken (before the tally is returned)."""
        ...


@attrs.frozen
class ScenariosRan:
    """Per calculation, the records an earlier pass counted and the final pass rejected; and
    each share's tally, in share order. Each calculation's summary is its own (`adopt`ed)."""

    miscounted: tuple[frozenset[int], ...]
    tallies: tuple[Any, ...]


def check_comparable(baseline: Calculation, other: Calculation, name: str) -> None:
    """A scenario's rulebook must read the roster as the baseline's does (same fields, same
    policies and populations in the same order): one conversion then serves both."""
    base, mine = baseline.rulebook, other.rulebook
    same_fields = [(f.name, f.type) for f in base.fields] == [(f.name, f.type) for f in mine.fields]
    same_policies = [
        (p.id, p.kind, p.spec.policy.population, p.input_names) for p in base.policies
    ] == [(p.id, p.kind, p.spec.policy.population, p.input_names) for p in mine.policies]
    if not (same_fields and same_policies):
        raise OptionsError(
            f"scenario '{name}' changes which policies cover whom or which roster fields they "
            "read; a simulation compares rulebooks that read the roster alike (overrides of "
            "parameters, tables and curves); run the changed rules on their own with "
            "'incentives run'"
        )


def execute_scenarios(
    calcs: Sequence[Calculation],
    roster: RosterSource,
    shares: ShareMap,
    new_tally: Callable[[int], RowTally],
    excludes: Sequence[frozenset[int]] | None = None,
    wraps: Sequence[Wrap | None] | None = None,
) -> ScenariosRan:
    """Every pass of every calculation's plan over ``roster`` (see the module); each
    calculation's summary is then its own run's, merged from the shares'. ``wraps[k]`` (None:
    none) is calculation k's scenario's ``wrap_roster``, fed each row read (`scenario_feed`)."""
    excl = tuple(excludes) if excludes is not None else tuple(frozenset() for _ in calcs)
    wrapping = tuple(wraps) if wraps is not None else tuple(None for _ in calcs)
    for kind in ("totals", "pools"):
        _earlier(kind, calcs, roster, shares, excl, wrapping)
    final = calcs[0].plan.final
    # per scenario, per policy of the baseline: whether the scenario evaluates that very
    # policy (unchanged by its overrides) over the very rows (no wrapper, the same rows left
    # out): then its outcome is the baseline's, and is not evaluated again
    same = tuple(
        wraps_k is None and excl[k] == excl[0]
        for k, wraps_k in enumerate(wrapping)
    )

    def work(index: int, start: int, stop: int | None, _tick: Tick | None) -> Any:
        rows = _FinalRows(calcs, same)
        tally = new_tally(index)
        lock = Lockstep(roster, wrapping)
        with decimal.localcontext(ENGINE_CONTEXT):
            for item in final.rows(roster, start, stop):
                alts = lock.rows(item) if lock.any else None
                tally.take(item, rows.outcomes(item, alts))
        tally.finish()
        for summary in rows.summaries:
            summary.complete = True
        return rows.summaries, [frozenset(m or ()) for m in rows.miscounted], tally

    done = shares(work)
    for k, calc in enumerate(calcs):
        summary = Summary()
        for part in done:
            summary.merge(part[0][k])
        summary.complete = all(part[0][k].complete for part in done)
        summary.keyed_files = dict(roster.keyed_counts())
        calc.adopt(summary)
    miscounted = tuple(
        frozenset().union(*(part[1][k] for part in done)) for k in range(len(calcs))
    )
    return ScenariosRan(miscounted, tuple(part[2] for part in done))


class _FinalRows:
    """The final pass of every calculation over one share, a row at a time: the row converted
    once (by the baseline), each scenario's policies evaluated over it; a policy a scenario
    did not change gives the baseline's outcome (see ``same`` in `execute_scenarios`)."""

    def __init__(self, calcs: Sequence[Calculation], same: Sequence[bool]) -> None:
        self.calcs = tuple(calcs)
        self.base = calcs[0]
        self.same = tuple(same)
        self.summaries = [Summary() for _ in calcs]
        self.miscounted: list[set[int] | None] = [
            set() if c.may_miscount else None for c in calcs
        ]
        self.places = {id(b): i for i, b in enumerate(self.base.bound)}
        # per covering tuple of the baseline (one per coverage mask): per calculation, its
        # policies covering the row, and those of them it evaluates itself (None: all)
        self.plans: dict[int, tuple[tuple[tuple[BoundPolicy, ...], Any], ...]] = {}

    def _plan(
        self, covering: tuple[BoundPolicy, ...]
    ) -> tuple[tuple[tuple[BoundPolicy, ...], Any], ...]:
        known = self.plans.get(id(covering))
        if known is None:
            at = [self.places[id(b)] for b in covering]
            found = []
            for k, calc in enumerate(self.calcs):
                mine = tuple(calc.bound[i] for i in at)
                own: Any = None
                if k and self.same[k]:
                    own = tuple(
                        j for j, (b, m) in enumerate(zip(covering, mine, strict=True))
                        if b.policy is not m.policy
                    )
                found.append((mine, own))
            known = self.plans[id(covering)] = tuple(found)
        return known

    def outcomes(self, item: Row, alts: list[Row | None] | None) -> list[Item]:
        """The row's outcome under every calculation (``alts``: the rows scenarios' wrappers
        gave for it; one that differs is converted and evaluated by its scenario alone)."""
        base = self.base
        found: Any = item
        plans: tuple[tuple[tuple[BoundPolicy, ...], Any], ...] = ()
        if not isinstance(item, Rejection):
            found = base._values(item, "all")
            if not isinstance(found, Rejection):
                plans = self._plan(found[1])
        outs: list[Item] = []
        for k, calc in enumerate(self.calcs):
            alt = None if alts is None else alts[k]
            counted = self.miscounted[k]
            out: Item
            if alt is not None and alt is not item:
                out = calc._one(alt, counted)  # changed by the scenario: its own conversion
            elif isinstance(found, Rejection):
                if counted is not None and isinstance(item, EmployeeInput):
                    calc.counted_before(item, counted)
                out = found
            else:
                assert isinstance(item, EmployeeInput)
                mine, own = plans[k]
                first = outs[0] if outs else None
                if own is not None and isinstance(first, EmployeeOutcome):
                    out = _reusing(calc, item, found, mine, own, first, counted)
                else:
                    out = calc.evaluated(item, (found[0], mine, found[2]), counted)
            calc._count(out, self.summaries[k])
            outs.append(out)
        return outs


def _reusing(
    calc: Calculation,
    item: EmployeeInput,
    found: Any,
    mine: tuple[BoundPolicy, ...],
    own: tuple[int, ...],
    first: EmployeeOutcome,
    counted: set[int] | None,
) -> Item:
    """A scenario's outcome that evaluates only the policies it changed (``own``: their
    places in ``mine``) and takes the baseline's (``first``) for the others."""
    if not own:
        return first
    out = calc.evaluated(item, (found[0], tuple(mine[j] for j in own), found[2]), counted)
    if not isinstance(out, EmployeeOutcome):
        return out
    made = iter(out.outcomes)
    merged = tuple(
        next(made) if j in own else first.outcomes[j] for j in range(len(mine))
    )
    return EmployeeOutcome(
        first.employee_id, first.source_file, first.record, first.line, merged, first.exclusions
    )


def _earlier(
    kind: PassKind,
    calcs: Sequence[Calculation],
    roster: RosterSource,
    shares: ShareMap,
    excludes: Sequence[frozenset[int]],
    wraps: Sequence[Wrap | None],
) -> None:
    """The pass ``kind`` of every calculation that has one: each block of rows read and
    converted once and given to each calculation's partials (a row a scenario's wrapper
    changed is converted by that scenario); merged and applied per calculation."""
    taking = [
        (k, calc, step)
        for k, calc in enumerate(calcs)
        for step in calc.plan.before_final()
        if step.kind == kind
    ]
    if not taking:
        return
    steps = {step for _, _, step in taking}
    reader: Pass = taking[0][2]
    if len(steps) > 1 or any(wraps):  # plans that read differently, or a scenario's wrapper
        # (which may read any column to decide what it changes): every column
        reader = attrs.evolve(reader, columns=None, goals=True, ratings=True)

    base = calcs[0]
    places = {id(b): i for i, b in enumerate(base.bound)}
    evaluated = set().union(*(step.policies for _, _, step in taking))
    stage = reader.fields

    def work(_index: int, start: int, stop: int | None, _tick: Tick | None) -> Any:
        parts: list[list[Any]] = [[] for _ in taking]
        rows = iter(reader.rows(roster, start, stop))
        lock = Lockstep(roster, wraps)
        while block := list(itertools.islice(rows, BLOCK)):
            # the block converted once, by the baseline: (row, values, policy, segments)
            converted = list(
                base._covered(block, (), stage, lambda b: b.policy.id in evaluated)
            )
            alts = [lock.rows(row) for row in block] if lock.any else None
            for place, (k, calc, step) in enumerate(taking):
                exclude, bound = excludes[k], calc.bound
                mine = [
                    (item, values, bound[places[id(policy)]], segments)
                    for item, values, policy, segments in converted
                    if policy.policy.id in step.policies and item.source.record not in exclude
                ]
                if alts is not None and any(a[k] is not None for a in alts):
                    mine = _with_changed(
                        calc, step, stage, exclude, block, [a[k] for a in alts], mine
                    )
                parts[place].append(calc.partials(step, block, exclude, mine))
        return parts

    done = shares(work)
    for place, (_, calc, step) in enumerate(taking):
        calc.apply_partials(step, [p for share in done for p in share[place]])
        for share in done:
            share[place] = None  # solved: its pool members go before the next one's solve


def _with_changed(
    calc: Calculation,
    step: Pass,
    stage: str,
    exclude: Collection[int],
    block: list[Row],
    alts: list[Row | None],
    shared: list[Covered],
) -> list[Covered]:
    """``shared`` (the baseline's conversion of ``block``) with each row a scenario's wrapper
    changed (``alts``) converted by that scenario instead."""
    changed = {id(row): alt for row, alt in zip(block, alts, strict=True) if alt is not row}
    if not changed:
        return shared
    kept = [entry for entry in shared if id(entry[0]) not in changed]
    wanted = [alt for alt in changed.values() if alt is not None]
    own = list(calc._covered(wanted, exclude, stage, lambda b: b.policy.id in step.policies))
    return kept + own
