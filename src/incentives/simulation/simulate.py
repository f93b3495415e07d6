"""`simulate`: a baseline and scenarios over one roster, compared; the library call under
`incentives simulate`.

    sim = simulate(rulebook, roster, [scenario, ...], results=..., rates=..., as_of=...)
    sim.summaries[1].totals        # the first scenario's totals, as its own run would give them
    sim.tally.payouts_changed[1]   # payouts it changes

Each scenario is anything with a ``name``, a ``title``, a ``rulebook`` (the baseline's with
overrides) and ``wrap_roster(roster)`` (the roster itself when it changes no input). The roster
is read and converted once for all of them (`engine.scenario_passes`); nothing per employee is
written but the changes, nothing per employee is kept beyond its row.
"""

from __future__ import annotations

import datetime
import functools
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

from incentives.engine.allocation_report import BudgetLine, PoolLine, budget_lines, pool_lines
from incentives.engine.calculate import Calculation, ResultFigureLike, Summary
from incentives.engine.passes import ShareMap, in_process
from incentives.engine.run_inputs import RateSource
from incentives.engine.scenario_passes import check_comparable, execute_scenarios
from incentives.errors import OptionsError, RowError
from incentives.io.writers import CsvSink
from incentives.model import EmployeeInput, Rejection
from incentives.model.roster import RosterSource, as_roster
from incentives.money import minor_unit, round_to
from incentives.parallel import can_fork, forked_shares
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.policy import CompiledPolicy
from incentives.simulation.facts import FactsTaker, PolicyPay
from incentives.simulation.tally import Tally

__all__ = ["Scenario", "Simulation", "Variant", "simulate"]


@runtime_checkable
class Scenario(Protocol):
    """A what-if: a name (a column of changes.csv), a title for people, the rulebook it runs
    and the roster it reads (``wrap_roster(roster)``: ``roster`` itself when no input changes)."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def rulebook(self) -> Rulebook: ...
    def wrap_roster(self, roster: RosterSource) -> RosterSource: ...


@attrs.frozen
class Variant:
    """The simplest scenario: a rulebook (e.g. `Rulebook.with_overrides`), the same inputs."""

    name: str
    title: str
    rulebook: Rulebook

    def wrap_roster(self, roster: RosterSource) -> RosterSource:
        return roster


@attrs.frozen
class Simulation:
    """What `simulate` found; index 0 of each tuple is the baseline, then each scenario."""

    names: tuple[str, ...]  # "baseline" first
    titles: tuple[str, ...]
    summaries: tuple[Summary, ...]  # each as a run of that rulebook would count and total
    budgets: tuple[tuple[BudgetLine, ...], ...]
    pools: tuple[tuple[PoolLine, ...], ...]
    tally: Tally
    report_currency: str | None
    # currency → (rate to the reporting currency, rate type, date), as used
    rates: dict[str, tuple[Decimal, str, datetime.date]]
    records: int  # records of the roster
    calculations: tuple[Calculation, ...] = attrs.field(repr=False, eq=False)
    # per ``also`` factory, its taker of each share, in share order
    takers: tuple[tuple[FactsTaker, ...], ...] = attrs.field(default=(), repr=False, eq=False)

    def to_report(self, amount: Decimal, currency: str) -> Decimal | None:
        """An amount in the reporting currency, at its minor unit (None: no rate)."""
        if self.report_currency is None or currency not in self.rates:
            return None
        exact = amount * self.rates[currency][0]
        return round_to(exact, minor_unit(self.report_currency))  # half up


def simulate(
    baseline: Rulebook,
    roster: RosterSource | Iterable[EmployeeInput | Rejection],
    scenarios: Sequence[Scenario],
    *,
    results: Iterable[ResultFigureLike] = (),
    rates: RateSource | None = None,
    as_of: datetime.date | None = None,
    report_currency: str | None = None,
    group: str | None = None,
    target_step: str = "target_bonus",
    workers: int | None = None,
    parallel_from: int = 20_000,
    changes: CsvSink | None = None,
    also: Sequence[Callable[[int], FactsTaker]] = (),
    scratch: Path | None = None,
) -> Simulation:
    """Evaluate ``baseline`` and every scenario over ``roster`` (see the module).

    ``report_currency`` converts the totals with ``rates`` (rate type ``average`` on the
    baseline's first policy's period end); ``group`` is the roster column named beside the
    largest increase; ``target_step`` the step a policy's payout is taken as a % of. Rosters of
    ``parallel_from`` records or more are shared between both cores (``workers``: how many,
    None for that rule). changes.csv's lines go to ``changes`` (else ``sim.tally.lines``);
    each employee's facts to a taker made by each of ``also`` per share (``also[i](share)``);
    ``sim.takers[i]`` holds them, in share order, to merge.
    """
    names = ("baseline", *(s.name for s in scenarios))
    _check_names(names)
    figures = list(results)
    source = as_roster(roster)
    # a scenario that changes inputs reads the rows the simulation reads, through its wrapper
    wraps = [None, *(None if s.wrap_roster(source) is source else s.wrap_roster for s in scenarios)]
    calcs = [
        Calculation(r, source, results=figures, rates=rates, as_of=as_of, exact_first_pass=False)
        for r in (baseline, *(s.rulebook for s in scenarios))
    ]
    for scenario, calc in zip(scenarios, calcs[1:], strict=True):
        check_comparable(calcs[0], calc, scenario.name)
    reads = {p.id: _policy_pay(calcs[0], p, target_step) for p in baseline.policies}
    count = len(calcs)
    records = source.record_count
    n = _workers(workers, records, parallel_from)
    excludes = [frozenset[int]() for _ in calcs]
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".simulate-") as tmp:
        while True:  # once, unless rows must be left out of an earlier pass (as `run_job` does)
            shares: ShareMap = in_process if n == 1 else forked_shares(records, n, Path(tmp))
            for old in Path(tmp).glob("changes-*.csv"):  # an attempt redone: its lines go
                old.unlink()
            spool = Path(tmp) if changes is not None else None
            new_tally = functools.partial(_new_tally, count, reads, group, spool, also)
            ran = execute_scenarios(calcs, source, shares, new_tally, excludes, wraps)
            if all(m <= e for m, e in zip(ran.miscounted, excludes, strict=True)):
                break
            excludes = [e | m for e, m in zip(excludes, ran.miscounted, strict=True)]
        takers = tuple(tuple(t.also[i] for t in ran.tallies) for i in range(len(also)))
        tally = ran.tallies[0]
        for other in ran.tallies[1:]:
            tally.merge(other)
        tally.complete()
        if changes is not None:
            for share in range(len(ran.tallies)):
                part = Path(tmp) / f"changes-{share}.csv"
                if part.exists():
                    changes.append_file(part)
    to_report = _report_rates(baseline, tally, rates, report_currency, as_of)
    for calc in calcs:
        calc.check_pool_fundings()
    return Simulation(
        names,
        ("", *(s.title for s in scenarios)),
        tuple(c.summary for c in calcs),
        tuple(tuple(budget_lines(c)) for c in calcs),
        tuple(tuple(pool_lines(c)) for c in calcs),
        tally,
        report_currency,
        to_report,
        records,
        tuple(calcs),
        takers,
    )


def _new_tally(
    count: int,
    reads: dict[str, PolicyPay],
    group: str | None,
    spool: Path | None,
    also: Sequence[Callable[[int], FactsTaker]],
    share: int,
) -> Tally:
    """A share's tally; its changes lines go to ``spool/changes-SHARE.csv`` (or its list)."""
    path = None if spool is None else spool / f"changes-{share}.csv"
    return Tally(count, reads, group, path, [make(share) for make in also])


def _check_names(names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if not name or name in seen:
            raise OptionsError(
                f"scenario name '{name}' is "
                + ("empty" if not name else "used twice (the baseline is 'baseline')")
                + ": give each scenario its own name"
            )
        seen.add(name)


def _policy_pay(calc: Calculation, policy: CompiledPolicy, target_step: str) -> PolicyPay:
    target = next(
        (i for i, s in enumerate(policy.slots) if s.kind == "step" and s.name == target_step),
        None,
    )
    return PolicyPay(
        calc.plan.pay_slots[policy.id], tuple(p.total_slot for p in policy.pay), target
    )


def _report_rates(
    rulebook: Rulebook,
    tally: Tally,
    rates: RateSource | None,
    currency: str | None,
    as_of: datetime.date | None,
) -> dict[str, tuple[Decimal, str, datetime.date]]:
    """Per pay currency met, its rate to ``currency``: the rate type and date of the first
    policy's ``fx`` defaults (a rate missing from the rates file is an error naming it)."""
    if currency is None:
        return {}
    minor_unit(currency)  # an unknown currency is an error here
    kind, on = fx_rule(rulebook.policies[0], as_of)
    met = {cur for per in tally.pay for _, cur in per} | {currency}
    found: dict[str, tuple[Decimal, str, datetime.date]] = {}
    for other in sorted(met):
        if other == currency:
            found[other] = (Decimal(1), kind, on)
        elif rates is None:
            raise OptionsError(
                f"--report-currency {currency}: pay in {other} needs a rates file (--rates) "
                f"with a {kind} rate {other}→{currency} on {on.isoformat()}"
            )
        else:
            try:
                found[other] = (rates.rate(other, currency, kind, on), kind, on)
            except RowError as exc:
                raise OptionsError(f"--report-currency {currency}: {exc.reason}") from None
    return found


def fx_rule(policy: CompiledPolicy, as_of: datetime.date | None) -> tuple[str, datetime.date]:
    """A policy's conversion rate type and date (its ``fx:``: a named date or an ISO date)."""
    header = policy.spec.policy
    dates = {
        "period_start": header.performance_period.start,
        "period_end": header.performance_period.end,
        "payout_date": header.payout_date,
        "as_of": as_of or header.payout_date,
    }
    on = dates.get(header.fx.date) or datetime.date.fromisoformat(header.fx.date)
    return header.fx.rate_type, on


def _workers(workers: int | None, records: int, parallel_from: int) -> int:
    if not can_fork():
        return 1
    if workers is not None:
        return max(1, workers)
    return 1 if records < parallel_from else min(2, os.cpu_count() or 1)
