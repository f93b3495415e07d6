"""The tables of a simulation: scenarios.csv and distribution.csv rows, from a `Simulation`.

scenarios.csv has one row per scenario (the baseline first) and measure:
- ``pay``: per pay code and currency, the total, the change against the baseline (amount and
  %), employees paid, changed, up, down, and rejected in this scenario only;
- ``pay in <CUR>`` (with a reporting currency): the same totals converted at the rate shown,
  each rounded to the currency's minor unit, and a row ``all`` per pay code adding them, so
  the converted lines reconcile to the cent;
- ``budget`` and ``pool``: per policy, budget or pool and group, what is spent (allocated)
  against the budget (pool), % used, and whether it is over (reported, never an abort).

distribution.csv: per scenario and policy with a target step, payout as % of target of the
eligible employees with a positive target: min, p10, p25, median, p75, p90, max (nearest
rank over the values at 0.01 points) and a histogram in 10-point bins ``[0,10)`` …
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

from incentives.money import add_exact
from incentives.simulation.simulate import Simulation

__all__ = [
    "DISTRIBUTION_STATS",
    "SCENARIOS_HEADER",
    "distribution_header",
    "distribution_rows",
    "percentile",
    "scenario_rows",
]

SCENARIOS_HEADER = (
    "scenario", "title", "measure", "name", "currency", "baseline", "total", "change",
    "change_pct", "employees_paid", "changed", "up", "down", "rejected_only_here", "limit",
    "used_pct", "baseline_used_pct", "over", "rate",
)  # fmt: skip
DISTRIBUTION_STATS = ("min", "p10", "p25", "median", "p75", "p90", "max")
_HUNDRED = Decimal(100)
_POINT = Decimal("0.1")


def _pct(now: Decimal, before: Decimal) -> str:
    """The change as % of the baseline, one decimal ("" against a zero baseline)."""
    if not before:
        return ""
    return f"{((now - before) * _HUNDRED / before).quantize(_POINT):+}"


def _used(value: Decimal | None) -> str:
    return "" if value is None else str((value * _HUNDRED).quantize(Decimal("0.01")))


def scenario_rows(sim: Simulation) -> Iterator[list[object]]:
    """scenarios.csv's rows (see the module), in scenario, then measure, then name order."""
    tally = sim.tally
    base = tally.pay[0]
    for k, name in enumerate(sim.names):
        title = sim.titles[k]
        mine = tally.pay[k]
        for code, currency in sorted(mine):
            total, paid, changed, up, down, rejected = mine[(code, currency)]
            before = base.get((code, currency), [Decimal(0)])[0]
            yield [
                name, title, "pay", code, currency, before, total,
                total - before if k else "", _pct(total, before) if k else "",
                paid, changed, up, down, rejected, "", "", "", "", "",
            ]  # fmt: skip
        if sim.report_currency is not None:
            yield from _converted(sim, k)
        yield from _allocations(sim, k)


def _converted(sim: Simulation, k: int) -> Iterator[list[object]]:
    """The pay rows in the reporting currency, and per pay code their sum over currencies."""
    report = sim.report_currency
    assert report is not None
    name, title = sim.names[k], sim.titles[k]
    sums: dict[str, list[Decimal]] = {}
    for code, currency in sorted(sim.tally.pay[k]):
        total = sim.tally.pay[k][(code, currency)][0]
        before = sim.tally.pay[0].get((code, currency), [Decimal(0)])[0]
        now_r, before_r = sim.to_report(total, currency), sim.to_report(before, currency)
        assert now_r is not None and before_r is not None
        acc = sums.setdefault(code, [Decimal(0), Decimal(0)])
        acc[0], acc[1] = add_exact(acc[0], now_r), add_exact(acc[1], before_r)
        rate = sim.rates[currency]
        yield [
            name, title, f"pay in {report}", code, currency, before_r, now_r,
            now_r - before_r if k else "", _pct(now_r, before_r) if k else "",
            "", "", "", "", "", "", "", "", "",
            f"{currency}→{report} {rate[0]} ({rate[1]} {rate[2].isoformat()})",
        ]  # fmt: skip
    for code, (now_r, before_r) in sorted(sums.items()):
        yield [
            name, title, f"pay in {report}", code, "all", before_r, now_r,
            now_r - before_r if k else "", _pct(now_r, before_r) if k else "",
            "", "", "", "", "", "", "", "", "", "",
        ]  # fmt: skip


def _allocations(sim: Simulation, k: int) -> Iterator[list[object]]:
    """The budgets' and pools' use under scenario ``k`` against the baseline's."""
    name, title = sim.names[k], sim.titles[k]
    before_budgets = {(b.policy, b.budget, b.group): b for b in sim.budgets[0]}
    for line in sim.budgets[k]:
        was = before_budgets.get((line.policy, line.budget, line.group))
        spent_before = was.spend if was is not None else Decimal(0)
        yield [
            name, title, "budget", f"{line.policy}/{line.budget}/{line.group or '*'}",
            line.currency, spent_before, line.spend, line.spend - spent_before if k else "",
            _pct(line.spend, spent_before) if k else "", line.employees, "", "", "", "",
            "" if line.amount is None else line.amount, _used(line.used_pct),
            _used(was.used_pct if was is not None else None), "yes" if line.over else "no", "",
        ]  # fmt: skip
    before_pools = {(p.policy, p.pool, p.group): p for p in sim.pools[0]}
    for pool in sim.pools[k]:
        prior = before_pools.get((pool.policy, pool.pool, pool.group))
        allocated_before = prior.allocated if prior is not None else Decimal(0)
        used = pool.allocated / pool.pool_amount if pool.pool_amount else None
        used_before = (
            prior.allocated / prior.pool_amount if prior is not None and prior.pool_amount else None
        )
        yield [
            name, title, "pool", f"{pool.policy}/{pool.pool}/{pool.group or '*'}",
            pool.currency, allocated_before, pool.allocated,
            pool.allocated - allocated_before if k else "",
            _pct(pool.allocated, allocated_before) if k else "", pool.members, "", "", "", "",
            pool.pool_amount, _used(used), _used(used_before), "", "",
        ]  # fmt: skip


def percentile(counts: Counter[Decimal], p: int) -> Decimal:
    """The ``p``-th percentile (nearest rank: the value at rank ⌈p/100 × n⌉, at least 1) of
    the values counted."""
    n = sum(counts.values())
    rank = max(1, math.ceil(p * n / 100))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise ValueError("no values")


def _bins(sim: Simulation) -> range:
    values = [v for per in sim.tally.pct for c in per.values() for v in c]
    if not values:
        return range(0)
    low = math.floor(min(values) / 10) * 10
    high = math.floor(max(values) / 10) * 10
    return range(min(low, 0), high + 10, 10)


def distribution_header(sim: Simulation) -> list[str]:
    return [
        "scenario", "policy", "employees", *DISTRIBUTION_STATS,
        *(f"[{b},{b + 10})" for b in _bins(sim)),
    ]  # fmt: skip


def distribution_rows(sim: Simulation) -> Iterator[list[object]]:
    """distribution.csv's rows: per scenario and policy with a target (see the module)."""
    bins = _bins(sim)
    for k, name in enumerate(sim.names):
        for pid, counts in sorted(sim.tally.pct[k].items()):
            stats = [percentile(counts, p) for p in (0, 10, 25, 50, 75, 90, 100)]
            histogram = Counter[int]()
            for value, count in counts.items():
                histogram[math.floor(value / 10) * 10] += count
            yield [name, pid, sum(counts.values()), *stats, *(histogram[b] for b in bins)]
