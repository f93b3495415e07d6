"""The calculation: a rulebook and employees in, outcomes (or rejections) out, streaming.

    calc = calculate(rulebook, employees, results=..., rates=..., as_of=...)
    for item in calc:            # EmployeeOutcome or Rejection, in input order
        ...
    calc.summary                 # counts and totals, once iterated (summary.complete);
                                 # read after stopping early, it warns that it is partial

An employee whom no policy of a kind covers is not a fault: with no policy at all, the run
yields a `NotCovered` naming each policy's population and the values it read; covered by
another kind, the `EmployeeOutcome` lists the kinds left out (`exclusions`). With
``require_coverage=True`` either is a `Rejection` instead. Coverage is decided on the fields
the populations read, before the rest of the row is converted: a bad value in a column only
policies not covering the employee read is no fault of theirs.

Group totals (aggregate steps) need every employee before any employee can be finished, so
when a policy has them the employees are read twice: a first pass totals the groups, a second
computes everything. Memory stays bounded by the number of groups, not of employees.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import functools
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from decimal import Decimal
from typing import Any

from incentives.engine.allocation_checks import check_allocation_rates, pool_rule
from incentives.engine.allocation_passes import (
    FundingOf,
    PoolPartials,
    check_funding,
    count_budgets,
    funding_checks,
    merge_pools,
    one_funding,
)
from incentives.engine.convert import FALL_BACK, fast_converter
from incentives.engine.outcome import (
    EmployeeOutcome,
    IncompleteSummaryWarning,
    PolicyOutcome,
    Summary,
    policy_outcome,
)
from incentives.engine.pools import PoolMember, PoolState, solve_pool
from incentives.engine.run_inputs import (
    RateSource,
    ResultFigureLike,
    fx_function,
    result_figures,
)
from incentives.engine.segments import period_segments, read_history
from incentives.errors import OptionsError, PolicyError, Problem, RowError
from incentives.model import EmployeeInput, Exclusion, NotCovered, Rejection
from incentives.model.roster import RosterSource, as_roster
from incentives.money import ENGINE_CONTEXT, add_exact
from incentives.rulebook.compiler.allocations import PoolDef
from incentives.rulebook.compiler.segments import Segment
from incentives.rulebook.language.fields import Converter
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.policy import BoundPolicy, CompiledPolicy

__all__ = [
    "Calculation",
    "EmployeeOutcome",
    "IncompleteSummaryWarning",
    "NotCovered",
    "PolicyOutcome",
    "RateSource",
    "ResultFigureLike",
    "Summary",
    "calculate",
]


class Calculation:
    """An iterable run over employees; see the module docstring."""

    def __init__(
        self,
        rulebook: Rulebook,
        employees: RosterSource | Iterable[EmployeeInput | Rejection],
        *,
        results: Iterable[ResultFigureLike] = (),
        rates: RateSource | None = None,
        as_of: datetime.date | None = None,
        progress: Callable[[int], None] | None = None,
        exact_first_pass: bool = True,
        require_coverage: bool = False,
        progress_every: int = 10_000,
    ) -> None:
        self.rulebook = rulebook
        self.require_coverage = require_coverage
        self.exact_first_pass = exact_first_pass
        self.miscounted: set[int] = set()
        # the roster the passes read; a plain iterable of rows is one with no keyed files
        self.employees: RosterSource = as_roster(employees)
        self.progress = progress
        self.progress_every = max(1, progress_every)  # rows between two calls of `progress`
        figures = result_figures(rulebook, results)
        fx = fx_function(rates) if rates is not None else None
        with decimal.localcontext(ENGINE_CONTEXT):
            self.bound = tuple(
                p.bind(as_of=as_of, figures=figures.get(p.id, {}), fx=fx) for p in rulebook.policies
            )
        self.converters = tuple((f.name, f.convert) for f in rulebook.fields)
        self._all_converters = tuple((i, f.name, f.convert) for i, f in enumerate(rulebook.fields))
        # a row is converted in two steps: the fields the populations read, then, coverage
        # decided, those the covering policies read in the pass at hand (`_rest`), so that a
        # bad value in a column no covering policy reads is nobody's fault
        population = {n for p in rulebook.policies for n in p.population_inputs}
        self._population_converters = tuple(c for c in self._all_converters if c[1] in population)
        # cells that are all text (a roster read by incentives.io) take a generated fast path
        self._text_cells = self.employees.text_cells
        self._fast_population = (
            fast_converter(rulebook.fields, population) if self._text_cells else None
        )
        # per pass, what each policy (in `bound` order) reads once it covers a row: the last
        # pass (and an exact first pass) its inputs; the fast first pass what group totals
        # read; the pool pass the inputs of the policies with pools
        policies = rulebook.policies
        self._pass_fields: dict[str, tuple[frozenset[str], ...]] = {
            "all": tuple(frozenset(p.input_names) - population for p in policies),
            "first": tuple(
                frozenset(p.first_pass_inputs if p.first_pass else ()) - population
                for p in policies
            ),
            "pool": tuple(
                frozenset(p.input_names if p.pools else ()) - population for p in policies
            ),
        }
        # per pass, covering policies as a bit mask → converters of the rest, built once each
        self._rest: dict[str, dict[int, _Rest]] = {stage: {} for stage in self._pass_fields}
        self._bits = tuple((1 << i, b) for i, b in enumerate(self.bound))
        self._coverage: dict[int, Any] = {}  # coverage mask → `_coverage_of`, built once each
        # the fast first pass reads only the columns populations and group totals read
        first = population | {n for p in policies if p.first_pass for n in p.first_pass_inputs}
        self.first_pass_columns = tuple(f.name for f in rulebook.fields if f.name in first)
        # the pool pass reads what populations and the policies with pools read
        pooled = [p for p in rulebook.policies if p.pools]
        pool_fields = population | {n for p in pooled for n in p.input_names}
        self.pool_pass_columns = tuple(f.name for f in rulebook.fields if f.name in pool_fields)
        self.pool_pass_reads_goals = any(p.scorecards for p in pooled)
        self.pool_pass_reads_ratings = any(p.spec.policy.rating_history for p in pooled)
        self.first_pass_reads_goals = any(
            p.first_pass_goals for p in rulebook.policies if p.first_pass
        )
        self.first_pass_reads_ratings = any(
            p.spec.policy.rating_history for p in rulebook.policies if p.first_pass
        )
        self.kinds = rulebook.kinds
        # policies with steps weighted by segments: their performance period
        self._weighted = {
            p.id: (p.spec.policy.performance_period.start, p.spec.policy.performance_period.end)
            for p in rulebook.policies
            if any(s.segments == "weighted" for s in p.spec.steps.values())
        }
        self._field_converters = {f.name: f.convert for f in rulebook.fields}
        self._field_index = {f.name: i for i, f in enumerate(rulebook.fields)}
        self._pay_slots = {
            p.id: tuple(
                entry
                for pay in p.pay
                for entry in (
                    (pay.name, pay.pay_code, pay.slot),
                    *((n, c, slot) for (n, c), slot in zip(pay.parts, pay.part_slots, strict=True)),
                )
            )
            for p in rulebook.policies
        }
        self._summary = Summary()
        self._stopped_early = False
        self._needs_totals = any(b.policy.first_pass for b in self.bound)
        self._needs_pools = any(b.stage2 is not None for b in self.bound)
        if (self._needs_totals or self._needs_pools) and iter(employees) is employees:
            raise OptionsError(
                "this rulebook has group totals or pools, which read the employees twice or more: pass a list or a roster, not a one-shot iterator"
            )
        self._totals_done = False
        self._pools_done = False
        self._budgets = {b.policy.id: b.policy.budgets for b in self.bound if b.policy.budgets}
        # each pool's (name, group slot, funding slot, allocation slot), to check in the last
        # pass that every member's funding is the one its pool was solved with
        self._fundings = {
            b.policy.id: (b.pool_states, funding_checks(b.policy))
            for b in self.bound
            if b.policy.pools
        }
        # what `_count` adds up per policy id: pay slots, budgets, pool funding checks
        self._counting = {
            p.id: (self._pay_slots[p.id], self._budgets.get(p.id), self._fundings.get(p.id))
            for p in rulebook.policies
        }
        check_allocation_rates(self.bound)

    @property
    def summary(self) -> Summary:
        """The counts and totals of the employees iterated so far (``summary.complete`` once
        every one was). Read after an iteration that stopped early, it warns
        (`IncompleteSummaryWarning`), so a partial count is never taken for the run's."""
        if self._stopped_early and not self._summary.complete:
            warnings.warn(
                IncompleteSummaryWarning(
                    f"calc.summary counts only the {self._summary.read} employee(s) yielded "
                    "before the iteration stopped (summary.complete is False); iterate to the "
                    "end for the run's counts and totals"
                ),
                stacklevel=2,
            )
        return self._summary

    @summary.setter
    def summary(self, summary: Summary) -> None:
        self._summary = summary
        self._stopped_early = False

    @property
    def needs_group_totals(self) -> bool:
        """Whether a first pass (group totals) comes before the employees can be computed."""
        return self._needs_totals

    @property
    def plan_values(self) -> dict[str, Any]:
        return {b.policy.id: b.plan_values for b in self.bound}

    @property
    def needs_pools(self) -> bool:
        """Whether a pass solving the pools (after any group totals) comes before the last."""
        return self._needs_pools

    def __iter__(self) -> Iterator[EmployeeOutcome | NotCovered | Rejection]:
        if self._needs_totals and not self._totals_done:
            self._group_totals()
        if self._needs_pools and not self._pools_done:
            self.apply_pool_partials([self.pool_partials(self.employees)])
        self.summary = Summary()
        try:
            yield from self.outcomes(self.employees)
        except GeneratorExit:  # the caller stopped early: reading the summary will say so
            self._stopped_early = True
            raise
        self.count_keyed_files()
        self.check_pool_fundings()

    def count_keyed_files(self) -> None:
        """Put the row counts of the roster's goals, ratings and history files (matched,
        unmatched, rejected) in `summary` (none for a roster without keyed files)."""
        self._summary.keyed_files = dict(self.employees.keyed_counts())

    # -- one employee ---------------------------------------------------------------------
    def _values(
        self, emp: EmployeeInput, stage: str, why: bool = True, last: bool = False
    ) -> tuple[list[Any], list[BoundPolicy], tuple[Exclusion, ...]] | Rejection:
        """A row's values for pass ``stage``, the policies covering it and the kinds none
        covers (see `_covering`): the fields the populations read are converted first, the
        covering policies' fields once coverage is decided; a bad value in either rejects.
        In the ``last`` pass, a row rejected for a field an earlier pass did not convert may
        have been counted there (see `_counted_before`)."""
        cells = emp.cells
        values: list[Any] | None = None
        fast = self._fast_population
        if fast is not None:  # the fast paths inline: this runs for every row of every pass
            try:
                values = fast(cells)
            except FALL_BACK:
                values = None  # a cell the fields' own converters must decide on (messages)
        if values is None:
            slow = self._convert(emp, self._population_converters)
            if isinstance(slow, Rejection):
                return slow
            values = slow
        found = self._covering(emp, values, why)
        if isinstance(found, Rejection):
            return found
        covering, exclusions, mask = found
        rests = self._rest[stage]
        rest = rests.get(mask)
        if rest is None:
            rest = rests[mask] = self._rest_converters(stage, mask)
        converters, fast = rest
        if not converters:
            return values, covering, exclusions
        if fast is not None:
            try:
                fast(cells, values)
                return values, covering, exclusions
            except FALL_BACK:
                pass  # a cell the fields' own converters must decide on, with their messages
        done = self._convert(emp, converters, into=values)
        if isinstance(done, Rejection):
            if last and (self._needs_pools or not self.exact_first_pass):
                self._counted_before(emp)
            return done
        return values, covering, exclusions

    def _counted_before(self, item: EmployeeInput) -> None:
        """A row the last pass rejects for a field the fast first pass or the pool pass does
        not convert: if that pass counted it in a group total or a pool, the caller must redo
        the run without it (`miscounted`, as `_check_counted`). Only for rejected rows."""
        passes: list[tuple[str, Callable[[BoundPolicy], bool]]] = []
        if self._needs_totals and not self.exact_first_pass:
            passes.append(("first", lambda b: b.policy.first_pass))
        if self._needs_pools:
            passes.append(("pool", lambda b: b.stage2 is not None))
        for stage, wanted in passes:
            for _, values, bound, segments in self._covered((item,), (), stage, wanted):
                self._check_counted(bound, values, item, segments)

    def _rest_converters(self, stage: str, mask: int) -> _Rest:
        """The converters (and fast converter) of what the covering policies of ``mask`` read
        in pass ``stage`` beyond the populations' fields."""
        wanted: set[str] = set()
        for (bit, _), fields in zip(self._bits, self._pass_fields[stage], strict=True):
            if mask & bit:
                wanted |= fields
        converters = tuple(c for c in self._all_converters if c[1] in wanted)
        fast = (
            fast_converter(self.rulebook.fields, wanted, into=True)
            if self._text_cells and converters
            else None
        )
        return converters, fast

    def _convert(
        self,
        emp: EmployeeInput,
        converters: tuple[tuple[int, str, Converter], ...],
        into: list[Any] | None = None,
    ) -> list[Any] | Rejection:
        """Convert ``converters``' cells of a row into a new list of values (or ``into``) with
        the fields' own converters, which accept or reject each value with its message."""
        cells = emp.cells
        values: list[Any] = [None] * len(self.converters) if into is None else into
        for index, name, convert in converters:
            raw = cells.get(name)
            if raw is None or raw == "":
                values[index] = None
                continue
            try:
                values[index] = convert(raw)
            except ValueError as exc:
                return _reject(emp, name, str(raw), f"{name}: {exc}")
        return values

    def _covering(
        self, emp: EmployeeInput, values: list[Any], why: bool = True
    ) -> tuple[list[BoundPolicy], tuple[Exclusion, ...], int] | Rejection:
        """The policies covering an employee (and as a bit mask of their places in `bound`),
        and the kinds none of whose policies does (with ``why=False``, as the passes before
        the last need, those kinds are not described)."""
        mask = 0
        for bit, bound in self._bits:
            try:
                if bound.population(values):
                    mask |= bit
            except RowError as exc:
                return _reject(emp, exc.column, exc.value, exc.reason)
        found = self._coverage.get(mask)
        if found is None:
            found = self._coverage[mask] = self._coverage_of(mask)
        covered, uneven = found
        covering = list(covered)
        if not uneven:  # the common case: one policy of every kind
            return covering, (), mask
        exclusions: tuple[Exclusion, ...] = ()
        for kind, mine in uneven:
            if not mine and (why or self.require_coverage):
                exclusion = self._exclusion(kind, values)
                if self.require_coverage:
                    reason = f"not covered by any {kind} policy ({exclusion.describe()})"
                    return _reject(emp, "population", "", reason)
                exclusions += (exclusion,)
            if len(mine) > 1:
                return _reject(
                    emp,
                    "population",
                    "",
                    f"covered by {len(mine)} {kind} policies ({', '.join(p.id for p in mine)}); an employee belongs to one",
                )
        return covering, exclusions, mask

    def _coverage_of(
        self, mask: int
    ) -> tuple[tuple[BoundPolicy, ...], tuple[tuple[str, tuple[CompiledPolicy, ...]], ...]]:
        """The policies of a coverage mask, and the kinds (in order) that none or more than
        one of them covers, with those policies: worked out once per mask (`_coverage`)."""
        covering = tuple(b for bit, b in self._bits if mask & bit)
        uneven = []
        for kind in self.kinds:
            mine = tuple(b.policy for b in covering if b.policy.kind == kind)
            if len(mine) != 1:
                uneven.append((kind, mine))
        return covering, tuple(uneven)

    def _exclusion(self, kind: str, values: list[Any]) -> Exclusion:
        """Why no policy of ``kind`` covers a row: each one's population, as written, with the
        values of the inputs it reads, e.g. ``annual-bonus-2026: plan == 'AIP' (plan = 'LTI')``."""
        conditions = []
        for policy in self.rulebook.policies:
            if policy.kind != kind:
                continue
            read = ", ".join(
                f"{name} = {self._input_shown(policy, name, values)}"
                for name in policy.population_inputs  # in name order
            )
            text = f"{policy.id}: {policy.spec.policy.population}"
            conditions.append(f"{text} ({read})" if read else text)
        return Exclusion(kind, tuple(conditions))

    def _input_shown(self, policy: CompiledPolicy, name: str, values: list[Any]) -> str:
        """An input's value as the population read it (an empty cell reads the default)."""
        value = values[self._field_index[name]]
        if value is not None:
            return _shown(value)
        spec = policy.spec.inputs.get(name)
        default = None if spec is None else spec.default
        if default is None:
            return "(empty)"
        with contextlib.suppress(ValueError):  # otherwise shown as declared
            default = self._field_converters[name](str(default))
        return f"{_shown(default)}, the default"

    def _one(self, item: EmployeeInput | Rejection) -> EmployeeOutcome | NotCovered | Rejection:
        if isinstance(item, Rejection):
            return item
        found = self._values(item, "all", last=True)
        if isinstance(found, Rejection):
            return found
        values, covering, exclusions = found
        if not covering:
            src = item.source
            return NotCovered(src.file, src.record, src.line, item.employee_id, exclusions)
        outcomes: list[PolicyOutcome] = []
        built: dict[object, Any] | None = None  # history read once, segments once per period
        for bound in covering:
            policy = bound.policy
            segments: tuple[Segment, ...] | None = None
            if item.history:
                if built is None:
                    built = {}
                found_segments = self._segments(item, policy.id, built)
                if isinstance(found_segments, Rejection):
                    return found_segments
                segments = found_segments
            try:
                trace = (
                    bound.evaluate(values, item)
                    if segments is None
                    else bound.evaluate(values, item, segments)
                )
            except RowError as exc:
                if policy.first_pass or bound.stage2 is not None:
                    self._check_counted(bound, values, item, segments)
                prefix = f"{policy.id}: " if len(covering) > 1 else ""
                return _reject(item, exc.column, exc.value, prefix + exc.reason)
            outcomes.append(policy_outcome(policy, trace))
        return EmployeeOutcome(
            item.employee_id,
            item.source.file,
            item.source.record,
            item.source.line,
            tuple(outcomes),
            exclusions,
        )

    def _segments(
        self, item: EmployeeInput, policy_id: str, built: dict[object, Any]
    ) -> tuple[Segment, ...] | Rejection | None:
        """The segments of a policy's period for an employee with history (None when the
        policy weighs no step); the history is read once per employee, segments once per period."""
        period = self._weighted.get(policy_id)
        if period is None:
            return None
        if "history" not in built:
            built["history"] = read_history(item, self._field_converters)
        history = built["history"]
        if isinstance(history, Rejection):
            return history
        if period not in built:
            built[period] = period_segments(item, history, *period)
        return built[period]  # type: ignore[no-any-return]

    def _count(self, out: EmployeeOutcome | NotCovered | Rejection) -> None:
        s = self._summary
        s.read += 1
        if isinstance(out, Rejection):
            s.rejected += 1
            return
        if out.exclusions:
            by_kind = s.not_covered_by_kind
            for exclusion in out.exclusions:
                by_kind[exclusion.kind] = by_kind.get(exclusion.kind, 0) + 1
        if isinstance(out, NotCovered):
            s.not_covered += 1
            return
        s.computed += 1
        totals = s.totals
        counting = self._counting
        for po in out.outcomes:
            if po.eligible:
                s.eligible += 1
            else:
                s.ineligible += 1
            trace = po.trace
            currency = po.currency
            policy_id = po.policy.id
            pay_slots, budgets, fundings = counting[policy_id]
            for name, code, slot in pay_slots:
                key = (currency, name, code)
                totals[key] = add_exact(totals.get(key, _ZERO), trace[slot])
            if budgets:
                count_budgets(s, policy_id, budgets, trace, currency)
            if fundings is not None:
                check_funding(s, policy_id, fundings, trace, out.employee_id)

    # -- group totals -----------------------------------------------------------------------
    def _check_counted(
        self,
        bound: BoundPolicy,
        values: list[Any],
        item: EmployeeInput,
        segments: tuple[Segment, ...] | None,
    ) -> None:
        """A row rejected now: did an earlier pass count it in a group total or a pool? Then
        those are wrong and the caller must redo the run without it (`miscounted`)."""
        counted = False
        if bound.policy.first_pass:
            stage1 = bound.stage1_full if self.exact_first_pass else bound.stage1
            with contextlib.suppress(RowError):
                found = stage1(values, item, segments)
                counted = found is not None and (bool(found[0]) or any(m[1] for m in found[1]))
        if not counted and bound.stage2 is not None:
            try:
                rows = bound.stage2(values, item, segments)
                counted = rows is not None and any(row[1] for row in rows)
            except RowError:
                pass
        if counted:
            self.miscounted.add(item.source.record)

    def _group_totals(self) -> None:
        self.apply_group_partials([self.group_partials(self.employees)])

    def group_partials(
        self, employees: Iterable[EmployeeInput | Rejection], exclude: Collection[int] = ()
    ) -> GroupPartials:
        """The first pass over some employees: per policy, aggregate and group, the running
        sum, count, min and max; per pool collected here, its members and one member per
        group (the lowest employee_id) to evaluate the funding with. Partials of disjoint
        shares of a roster merge exactly.

        With ``exact_first_pass`` every step that does not read a total is evaluated, so a row
        rejected by any of them never counts. Without it only what the totals read is
        evaluated (much faster); rows the second pass then rejects are collected in
        `miscounted`, and the run is redone with them in ``exclude`` (record numbers).
        """
        sums: dict[str, dict[str, dict[object, list[Any]]]] = {}
        pools: PoolPartials = {}
        exact = self.exact_first_pass
        with decimal.localcontext(ENGINE_CONTEXT):
            for item, values, bound, segments in self._covered(
                employees, exclude, "all" if exact else "first", lambda b: b.policy.first_pass
            ):
                try:
                    stage1 = bound.stage1_full if exact else bound.stage1
                    found = stage1(values, item, segments)
                except RowError:
                    continue  # rejected again, with its reason, in the last pass
                if found is None:
                    continue  # not eligible: not part of any group total
                pairs, members = found
                pid = bound.policy.id
                per = sums.setdefault(pid, {})
                for agg, (key, value) in zip(bound.policy.aggregates, pairs, strict=True):
                    acc = per.setdefault(agg.name, {}).setdefault(key, [Decimal(0), 0, None, None])
                    _accumulate(acc, value, 1, value, value)
                for pool, (key, member, award, cap) in zip(
                    bound.policy.pools, members, strict=False
                ):
                    if member:
                        found_by = _add_member(pools, pid, pool, key, item, award, cap)
                        first = found_by.get(None)
                        if first is None or item.employee_id < first[0]:
                            found_by[None] = (item.employee_id, values, item, segments)
        return sums, pools

    def _covered(
        self,
        employees: Iterable[EmployeeInput | Rejection],
        exclude: Collection[int],
        stage: str,
        wanted: Callable[[BoundPolicy], bool],
    ) -> Iterator[tuple[EmployeeInput, list[Any], BoundPolicy, tuple[Segment, ...] | None]]:
        """For a pass before the last: each row that converts and is covered, with each wanted
        policy covering it and its segments. A row that fails here is skipped: the last pass
        rejects it, with its reason. What a row must convert is what pass ``stage`` reads of
        the policies covering it: never more than the last pass, so a row skipped here is
        rejected there."""
        for item in employees:
            if isinstance(item, Rejection) or item.source.record in exclude:
                continue
            found = self._values(item, stage, why=False)
            if isinstance(found, Rejection):
                continue
            values = found[0]
            built: dict[object, Any] = {}
            for bound in found[1]:
                if not wanted(bound):
                    continue
                segments = self._segments(item, bound.policy.id, built) if item.history else None
                if not isinstance(segments, Rejection):
                    yield item, values, bound, segments

    def apply_group_partials(self, partials: Iterable[GroupPartials]) -> None:
        """Merge first-pass partials (in any order: sums of exact decimals) and set the totals."""
        merged: dict[str, dict[str, dict[object, list[Any]]]] = {}
        parts = list(partials)
        for part, _ in parts:
            for policy_id, per in part.items():
                for name, groups in per.items():
                    target = merged.setdefault(policy_id, {}).setdefault(name, {})
                    for key, (total, count, low, high) in groups.items():
                        acc = target.setdefault(key, [Decimal(0), 0, None, None])
                        _accumulate(acc, total, count, low, high)
        with decimal.localcontext(ENGINE_CONTEXT):
            for bound in self.bound:
                per = merged.get(bound.policy.id, {})
                for agg in bound.policy.aggregates:
                    table = bound.aggregate_totals[agg.name]
                    table.clear()
                    for key in sorted(per.get(agg.name, {}), key=_group_order):
                        total, count, low, high = per[agg.name][key]
                        table[key] = {
                            "sum": total, "count": Decimal(count), "min": low, "max": high,
                            "mean": total / count,
                        }[agg.function]  # fmt: skip
        self._totals_done = True
        merged_pools = merge_pools(pools for _, pools in parts)
        with decimal.localcontext(ENGINE_CONTEXT):
            for bound in self.bound:
                if bound.policy.pools_in_first_pass:
                    self._solve(bound, merged_pools, self._funding_of(bound))

    # -- pools ----------------------------------------------------------------------------------
    def pool_partials(
        self, employees: Iterable[EmployeeInput | Rejection], exclude: Collection[int] = ()
    ) -> PoolPartials:
        """The pool pass over some employees (group totals must be set): per pool and group,
        its members (id, award, own cap) and the funding each gave. Shares merge exactly."""
        if self._needs_totals and not self._totals_done:
            raise OptionsError("group totals are not computed yet: call apply_group_partials first")
        parts: PoolPartials = {}
        with decimal.localcontext(ENGINE_CONTEXT):
            for item, values, bound, segments in self._covered(
                employees, exclude, "pool", lambda b: b.stage2 is not None
            ):
                assert bound.stage2 is not None
                try:
                    rows = bound.stage2(values, item, segments)
                except RowError:
                    continue  # rejected, with its reason, in the last pass
                if rows is None:
                    continue  # not eligible
                pid = bound.policy.id
                for pool, (key, member, award, cap, funding) in zip(
                    bound.policy.pools, rows, strict=True
                ):
                    if member:
                        found_by = _add_member(parts, pid, pool, key, item, award, cap)
                        seen = found_by.get(funding)
                        if seen is None or item.employee_id < seen:
                            found_by[funding] = item.employee_id
        return parts

    def pool_pass_rows(
        self, roster: RosterSource, start: int = 0, stop: int | None = None
    ) -> Iterable[EmployeeInput | Rejection]:
        """The rows the pool pass reads from a roster: only the columns, goals
        and rating history that the policies with pools (and every population) need."""
        return roster.part(
            start,
            stop,
            goals=self.pool_pass_reads_goals,
            columns=self.pool_pass_columns,
            ratings=self.pool_pass_reads_ratings,
        )

    def apply_pool_partials(self, partials: Iterable[PoolPartials]) -> None:
        """Merge pool-pass partials (in any order) and solve every pool of every group."""
        merged = merge_pools(partials)
        with decimal.localcontext(ENGINE_CONTEXT):
            for bound in self.bound:
                if bound.stage2 is not None:
                    self._solve(bound, merged, functools.partial(one_funding, bound))
        self._pools_done = True

    def _funding_of(self, bound: BoundPolicy) -> FundingOf:
        """For pools collected in the first pass: the funding of a group, from its member
        with the lowest employee_id (every member's is checked against it in the last pass)."""
        cache: dict[object, tuple[Any, ...]] = {}

        def funding(index: int, pool: PoolDef, key: object, found: dict[Any, Any]) -> Decimal:
            employee_id, values, item, segments = found[None]
            if employee_id not in cache:
                assert bound.funding is not None
                try:
                    cache[employee_id] = bound.funding(values, item, segments)
                except RowError as exc:
                    raise PolicyError(
                        [
                            Problem(
                                bound.policy.file,
                                pool.line,
                                f"pools.{pool.name}.funding",
                                f"the funding of the pool for {pool.by or 'all'} '{key}' cannot be "
                                f"computed (from employee {employee_id}): {exc.reason}",
                            )
                        ]
                    ) from None
            return cache[employee_id][index]  # type: ignore[no-any-return]

        return funding

    def _solve(self, bound: BoundPolicy, merged: PoolPartials, funding_of: FundingOf) -> None:
        for index, pool in enumerate(bound.policy.pools):
            states = bound.pool_states[pool.name]
            states.clear()
            groups = merged.get((bound.policy.id, pool.name), {})
            for key in sorted(groups, key=_group_order):
                members, found = groups[key]
                funding = funding_of(index, pool, key, found)
                states[key] = solve_pool(pool_rule(pool), funding, members)

    def check_pool_fundings(self) -> None:
        """After the last pass: every member's funding was the one its pool was solved with;
        a funding that differs within a group is a policy fault (raises `PolicyError`)."""
        problems = []
        for (pid, name, key), (employee_id, value) in sorted(
            self.summary.pool_conflicts.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))
        ):
            bound = next(b for b in self.bound if b.policy.id == pid)
            pool = next(p for p in bound.policy.pools if p.name == name)
            state = bound.pool_states[name][key]
            group = "" if key is None else f" for {pool.by} '{key}'"
            problems.append(
                Problem(
                    bound.policy.file,
                    pool.line,
                    f"pools.{name}.funding",
                    f"the funding differs between members of the pool{group} (the pool was "
                    f"funded with {state.funding}, {employee_id} gives {value})",
                    "the funding formula may read only what is the same for the whole group: "
                    "group totals, parameters, plan results, the group's own input",
                )
            )
        if problems:
            raise PolicyError(problems)

    def pool_states(self) -> list[tuple[BoundPolicy, PoolDef, object, PoolState]]:
        """Every solved pool: (policy, pool, group, state), in policy, pool and group order."""
        return [
            (bound, pool, key, state)
            for bound in self.bound
            for pool in bound.policy.pools
            for key, state in bound.pool_states[pool.name].items()
        ]

    def outcomes(
        self, employees: Iterable[EmployeeInput | Rejection]
    ) -> Iterator[EmployeeOutcome | NotCovered | Rejection]:
        """The last pass over some employees (group totals and pools must be set), counted
        in `summary`."""
        if self._needs_totals and not self._totals_done:
            raise OptionsError("group totals are not computed yet: call apply_group_partials first")
        if self._needs_pools and not self._pools_done:
            raise OptionsError("pools are not solved yet: call apply_pool_partials first")
        with decimal.localcontext(ENGINE_CONTEXT):
            for count, item in enumerate(employees, 1):
                if self.progress is not None and count % self.progress_every == 0:
                    self.progress(count)
                out = self._one(item)
                self._count(out)
                yield out
        self._summary.complete = True

    def group_totals(self) -> dict[str, dict[str, dict[object, Any]]]:
        """The group totals of every policy (after iteration), for the manifest."""
        return {
            b.policy.id: {k: dict(v) for k, v in b.aggregate_totals.items()}
            for b in self.bound
            if b.aggregate_totals
        }


_ZERO = Decimal(0)
# a pass's converters of what covering policies read: (index, name, converter) each, and the
# generated fast converter filling a row's values (None for cells not all text)
_Rest = tuple[tuple[tuple[int, str, Converter], ...], Callable[..., list[Any]] | None]
# the first pass: policy → aggregate → group → [sum, count, min, max]; and its pools
GroupPartials = tuple[dict[str, dict[str, dict[object, list[Any]]]], PoolPartials]


def _add_member(
    parts: PoolPartials,
    policy_id: str,
    pool: PoolDef,
    key: object,
    item: EmployeeInput,
    award: Decimal,
    cap: Decimal | None,
) -> dict[Any, Any]:
    """Add a member to its pool's group; what gives the group's funding, to fill in."""
    group = parts.setdefault((policy_id, pool.name), {}).setdefault(key, ([], {}))
    group[0].append(PoolMember(item.employee_id, award, cap))
    return group[1]


def _accumulate(acc: list[Any], total: Decimal, count: int, low: Any, high: Any) -> None:
    acc[0] = add_exact(acc[0], total)  # a group total never rounds, whatever the rows
    acc[1] += count
    if low is not None and (acc[2] is None or low < acc[2]):
        acc[2] = low
    if high is not None and (acc[3] is None or high > acc[3]):
        acc[3] = high


def _group_order(key: object) -> tuple[int, str]:
    return (0, "") if key is None else (1, str(key))


def _shown(value: object) -> str:
    """An input's value as a population condition would write it."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _reject(emp: EmployeeInput, column: str, value: str, reason: str) -> Rejection:
    src = emp.source
    return Rejection(src.file, src.record, src.line, emp.employee_id, column, value, reason)


def calculate(
    rulebook: Rulebook,
    employees: RosterSource | Iterable[EmployeeInput | Rejection],
    *,
    results: Iterable[ResultFigureLike] = (),
    rates: RateSource | None = None,
    as_of: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    exact_first_pass: bool = True,
    require_coverage: bool = False,
    progress_every: int = 10_000,
) -> Calculation:
    """Evaluate every policy for every employee it covers; iterate the result to run it.

    ``exact_first_pass=False`` is for callers that can redo a run (see `incentives.jobs`).
    ``require_coverage=True`` rejects an employee whom no policy of some kind covers (by
    default such an employee is counted and listed as not covered). ``progress`` is called
    with the number of employees done every ``progress_every`` employees of the last pass."""
    return Calculation(
        rulebook,
        employees,
        results=results,
        rates=rates,
        as_of=as_of,
        progress=progress,
        exact_first_pass=exact_first_pass,
        require_coverage=require_coverage,
        progress_every=progress_every,
    )
