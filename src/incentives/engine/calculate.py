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

Group totals (aggregate steps) and pools need every employee before any employee can be
finished, so the employees are read once per pass of the run's plan (`engine.run_plan`):
totals, pools, then everything. Memory stays bounded by the number of groups and pool members,
not of employees. The passes are executed by `engine.passes`, here on one core; the passes
before the final one live in `engine.earlier_passes`, reading a row in `engine.row_values`.
"""

from __future__ import annotations

import datetime
import decimal
import operator
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from decimal import Decimal
from typing import Any

from incentives.engine import passes
from incentives.engine.allocation_checks import check_allocation_rates
from incentives.engine.allocation_passes import budget_slots, check_funding, count_budgets
from incentives.engine.convert import fast_converter
from incentives.engine.earlier_passes import EarlierPasses, GroupPartials
from incentives.engine.final_routes import RouteRun, route_function
from incentives.engine.outcome import (
    EmployeeOutcome,
    IncompleteSummaryWarning,
    PolicyOutcome,
    Summary,
    outcome_maker,
)
from incentives.engine.passes import OpenShare, Ran, ShareMap
from incentives.engine.row_values import _reject
from incentives.engine.run_inputs import (
    RateSource,
    ResultFigureLike,
    fx_function,
    result_figures,
)
from incentives.engine.run_plan import RunPlan, plan_run
from incentives.errors import OptionsError, PolicyError, Problem, RowError
from incentives.model import EmployeeInput, Exclusion, NotCovered, Rejection
from incentives.model.roster import RosterSource, as_roster
from incentives.money import ENGINE_CONTEXT, EXACT_CONTEXT, add_exact
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.policy import BoundPolicy, CompiledPolicy
from incentives.rulebook.runtime.weighted import Segment

__all__ = [
    "Calculation",
    "EmployeeOutcome",
    "GroupPartials",
    "IncompleteSummaryWarning",
    "NotCovered",
    "PolicyOutcome",
    "RateSource",
    "ResultFigureLike",
    "Summary",
    "calculate",
]


class Calculation(EarlierPasses):
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
        # the roster the passes read; a plain iterable of rows is one with no keyed files
        self.employees: RosterSource = as_roster(employees)
        self.progress = progress
        self.progress_every = max(1, progress_every)  # rows between two calls of `progress`
        self.plan: RunPlan = plan_run(rulebook, exact_first_pass=exact_first_pass)
        self.bound = _bind(rulebook, results, rates, as_of)
        self.kinds = rulebook.kinds
        self.converters = tuple((f.name, f.convert) for f in rulebook.fields)
        self._population_converters = self.plan.population_converters
        # cells that are all text (a roster read by incentives.io) take a generated fast path
        self._text_cells = self.employees.text_cells
        self._fast_population = (
            fast_converter(rulebook.fields, self.plan.population) if self._text_cells else None
        )
        # per pass, covering policies as a bit mask → converters of the rest, built once each
        self._rest = {stage: {} for stage in self.plan.pass_fields}
        self._bits = tuple((1 << i, b) for i, b in enumerate(self.bound))
        self._coverage: dict[int, Any] = {}  # coverage mask → `_coverage_of`, built once each
        self._population_cells = _cells_of(self.plan.population) if self._text_cells else None
        self._masks: dict[Any, int] = {}
        self._alike = {stage: {} for stage in self.plan.pass_fields}
        self._summary = Summary()
        self._stopped_early = False
        self._needs_totals = self.plan.has("totals")
        self._needs_pools = self.plan.has("pools")
        if (self._needs_totals or self._needs_pools) and iter(employees) is employees:
            raise OptionsError(
                "this rulebook has group totals or pools, which read the employees twice or more: pass a list or a roster, not a one-shot iterator"
            )
        self._totals_done = False
        self._pools_done = False
        # each pool's states per policy, and the checks of every member's funding against them
        self._fundings = {
            b.policy.id: (b.pool_states, self.plan.funding_checks[b.policy.id])
            for b in self.bound
            if b.policy.pools
        }
        # what `_count` adds up per policy, by identity (the policy kept: the entry is its own
        # only if it is the very object): its id, pay slots, budgets, pool funding checks, and
        # per currency the (total's key, slot) of each pay slot
        self._counting: dict[int, tuple[Any, ...]] = {
            id(p): self._counting_of(p) for p in rulebook.policies
        }
        # per bound policy, by identity likewise: the function making its outcome from a trace
        self._makers = {id(b): (b, outcome_maker(b.policy)) for b in self.bound}
        # per tuple of covering policies that `_coverage_of` built (by identity, the tuple
        # kept): each policy with its evaluate function and outcome maker (see `evaluated`)
        self._routes: dict[int, tuple[tuple[BoundPolicy, ...], Any]] = {}
        # per such tuple likewise: the function evaluating and counting its rows (`_run_of`)
        self._runs: dict[int, tuple[tuple[BoundPolicy, ...], RouteRun | None]] = {}
        check_allocation_rates(self.bound)

    def _counting_of(self, p: CompiledPolicy) -> tuple[Any, ...]:
        """What `_count` adds up for policy ``p`` (see ``_counting``)."""
        return (
            p,
            p.id,
            self.plan.pay_slots[p.id],
            budget_slots(self.plan.budgets.get(p.id) or ()),
            self._fundings.get(p.id),
            {},
            self.plan.unit_slots[p.id],
        )

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
        if (self._needs_totals and not self._totals_done) or (
            self._needs_pools and not self._pools_done
        ):
            passes.prepare(self, self.employees, passes.in_process)
        share = passes.FinalShare(self, self.progress)
        self._summary, self._stopped_early = share.summary, False
        try:
            yield from share.items(self.plan.final.rows(self.employees))
        except GeneratorExit:  # the caller stopped early: reading the summary will say so
            self._stopped_early = True
            raise
        self._summary.keyed_files = dict(self.employees.keyed_counts())
        self.check_pool_fundings()

    def run(self, shares: ShareMap, open_share: OpenShare, exclude: Collection[int] = ()) -> Ran:
        """Every pass of the plan over the roster's shares as ``shares`` maps them (see
        `incentives.engine.passes`); each share's outcomes go to ``open_share(index)``.
        ``summary`` is then the run's, merged from the shares'."""
        ran = passes.execute(self, self.employees, shares, open_share, exclude)
        self.adopt(ran.summary)
        return ran

    def adopt(self, summary: Summary) -> None:
        """Take ``summary`` as the run's (merged from the shares by an executor of the plan)."""
        self._summary, self._stopped_early = summary, False

    def outcomes(
        self,
        employees: Iterable[EmployeeInput | Rejection],
        summary: Summary,
        miscounted: set[int] | None = None,
    ) -> Iterator[EmployeeOutcome | NotCovered | Rejection]:
        """The final pass over some employees (group totals and pools must be set), counted
        in ``summary``; the rejected rows an earlier pass counted go to ``miscounted``."""
        if self._needs_totals and not self._totals_done:
            raise OptionsError("group totals are not computed yet: call apply_group_partials first")
        if self._needs_pools and not self._pools_done:
            raise OptionsError("pools are not solved yet: call apply_pool_partials first")
        values_of, evaluated, count = self._values, self.evaluated, self._count
        runs, run_of = self._runs, self._run_of
        with decimal.localcontext(ENGINE_CONTEXT):
            for item in employees:
                # `_one` inline (a call less per employee)
                if isinstance(item, Rejection):
                    out: EmployeeOutcome | NotCovered | Rejection = item
                else:
                    found = values_of(item, "all")
                    if isinstance(found, Rejection):
                        if miscounted is not None:
                            self.counted_before(item, miscounted)
                        out = found
                    else:
                        # the usual row (no kind left out, no history): evaluated and counted
                        # by its covering policies' generated function (`final_routes`)
                        covering = found[1]
                        run = runs.get(id(covering))
                        if run is None or run[0] is not covering:
                            run = run_of(covering)
                        if run[1] is not None and not found[2] and not item.history:
                            done = run[1](found[0], item, summary)
                            if done is not None:
                                yield done
                                continue
                        out = evaluated(item, found, miscounted)
                count(out, summary)
                yield out

    def _run_of(
        self, covering: tuple[BoundPolicy, ...]
    ) -> tuple[tuple[BoundPolicy, ...], RouteRun | None]:
        """The function evaluating and counting the rows ``covering`` covers (None where the
        general path must: no policy, or policies `_coverage_of` did not route), made once."""
        route = self._routes.get(id(covering))
        run = None
        if covering and route is not None and route[0] is covering:
            run = route_function(route[1], self.plan, self._fundings)
        self._runs[id(covering)] = (covering, run)  # the tuple kept: its id is not reused
        return covering, run

    def _one(
        self, item: EmployeeInput | Rejection, miscounted: set[int] | None = None
    ) -> EmployeeOutcome | NotCovered | Rejection:
        if isinstance(item, Rejection):
            return item
        found = self._values(item, "all")
        if isinstance(found, Rejection):
            if miscounted is not None:
                self.counted_before(item, miscounted)
            return found
        return self.evaluated(item, found, miscounted)

    def evaluated(
        self,
        item: EmployeeInput,
        found: tuple[list[Any], tuple[BoundPolicy, ...], tuple[Exclusion, ...]],
        miscounted: set[int] | None = None,
    ) -> EmployeeOutcome | NotCovered | Rejection:
        """A row's outcome from its converted values, the policies covering it and the kinds
        none covers (what `_values` found): scenarios evaluate one conversion many times."""
        values, covering, exclusions = found
        if not covering:
            src = item.source
            return NotCovered(src.file, src.record, src.line, item.employee_id, exclusions)
        route = self._routes.get(id(covering))
        if route is None or route[0] is not covering or item.history:
            return self._evaluated(item, values, covering, exclusions, miscounted)
        # the common case, equal to `_evaluated`: policies covering as `_coverage` keeps them,
        # no history (so no segments), each policy's evaluate and outcome maker looked up once
        outcomes = []
        for bound, evaluate, make in route[1]:
            try:
                trace = evaluate(values, item)
            except RowError as exc:
                return self._rejected(item, values, covering, bound, None, exc, miscounted)
            outcomes.append(make(trace))
        src = item.source
        # EmployeeOutcome(...) without the named tuple's __new__ (a Python call less)
        return _NEW(
            EmployeeOutcome,
            (item.employee_id, src.file, src.record, src.line, tuple(outcomes), exclusions),
        )

    def _evaluated(
        self,
        item: EmployeeInput,
        values: list[Any],
        covering: tuple[BoundPolicy, ...],
        exclusions: tuple[Exclusion, ...],
        miscounted: set[int] | None,
    ) -> EmployeeOutcome | Rejection:
        """`evaluated` in general: any policies covering, segments for a row with history."""
        outcomes: list[PolicyOutcome] = []
        makers = self._makers
        history = item.history
        built: dict[object, Any] | None = None  # history read once, segments once per period
        for bound in covering:
            segments: tuple[Segment, ...] | None = None
            if history:
                if built is None:
                    built = {}
                found_segments = self._segments(item, bound.policy.id, built)
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
                return self._rejected(item, values, covering, bound, segments, exc, miscounted)
            made = makers.get(id(bound))
            if made is None or made[0] is not bound:  # a policy bound elsewhere (a copy)
                made = makers[id(bound)] = (bound, outcome_maker(bound.policy))
            outcomes.append(made[1](trace))
        src = item.source
        return EmployeeOutcome(
            item.employee_id, src.file, src.record, src.line, tuple(outcomes), exclusions
        )

    def _rejected(
        self,
        item: EmployeeInput,
        values: list[Any],
        covering: tuple[BoundPolicy, ...],
        bound: BoundPolicy,
        segments: tuple[Segment, ...] | None,
        exc: RowError,
        miscounted: set[int] | None,
    ) -> Rejection:
        """The row rejected for what ``bound``'s evaluation raised (named by the policy when
        several cover it); one an earlier pass counted goes to ``miscounted``."""
        policy = bound.policy
        if miscounted is not None and (policy.first_pass or bound.stage2 is not None):
            self._check_counted(bound, values, item, segments, miscounted)
        prefix = f"{policy.id}: " if len(covering) > 1 else ""
        return _reject(item, exc.column, exc.value, prefix + exc.reason, exc.source)

    def _count(self, out: EmployeeOutcome | NotCovered | Rejection, s: Summary) -> None:
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
            policy = po.policy
            entry = counting.get(id(policy))
            if entry is None or entry[0] is not policy:  # a policy compiled elsewhere (a copy)
                entry = counting[id(policy)] = self._counting_of(policy)
            _, policy_id, pay_slots, budgets, fundings, keyed, units = entry
            slots = keyed.get(currency)
            if slots is None:
                slots = keyed[currency] = tuple(
                    ((currency, name, code), slot) for name, code, slot in pay_slots
                )
            for key, slot in slots:
                amount = trace[slot]
                try:  # `add_exact` inline (a call less per pay slot and employee)
                    totals[key] = _EXACT_ADD(totals.get(key, _ZERO), amount)
                except decimal.Inexact:
                    add_exact(totals.get(key, _ZERO), amount)  # raises, saying why
                    raise
            for key, slot in units:  # shares, points: totalled per unit, not per currency
                s.unit_totals[key] = add_exact(s.unit_totals.get(key, _ZERO), trace[slot])
            if budgets:
                count_budgets(s, policy_id, budgets, trace, currency)
            if fundings is not None:
                check_funding(s, policy_id, fundings, trace, out.employee_id)

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

    def group_totals(self) -> dict[str, dict[str, dict[object, Any]]]:
        """The group totals of every policy (after iteration), for the manifest."""
        return {
            b.policy.id: {k: dict(v) for k, v in b.aggregate_totals.items()}
            for b in self.bound
            if b.aggregate_totals
        }


def _cells_of(names: Collection[str]) -> Callable[[Any], Any]:
    """A function giving a row's cells of ``names`` (sorted) as a key: () for none."""
    if not names:
        return lambda cells: ()
    return operator.itemgetter(*sorted(names))


_ZERO = Decimal(0)
_NEW = tuple.__new__
_EXACT_ADD = EXACT_CONTEXT.add


def _bind(
    rulebook: Rulebook,
    results: Iterable[ResultFigureLike],
    rates: RateSource | None,
    as_of: datetime.date | None,
) -> tuple[BoundPolicy, ...]:
    """Every policy bound to this run: its plan results, rates and as-of date."""
    figures = result_figures(rulebook, results)
    fx = fx_function(rates) if rates is not None else None
    with decimal.localcontext(ENGINE_CONTEXT):
        return tuple(
            p.bind(as_of=as_of, figures=figures.get(p.id, {}), fx=fx) for p in rulebook.policies
        )


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
