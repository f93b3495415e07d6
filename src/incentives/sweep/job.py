"""A funding sweep as library calls (the CLI's `incentives sweep` is a thin shell over these).

    points = read_draws("draws.csv", load_rules("rules"))     # or grid_points, read_sweep_file
    results = sweep_points(run, points)                       # one PointResult per point
    figures = summarise(points, results, accrual_budgets)     # accrual, p5/p50/p95, P(over)
    run_sweep(SweepRequest(...))                              # all of it, into a folder
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Sequence
from concurrent.futures import Executor
from decimal import Decimal
from pathlib import Path

import attrs

from incentives.errors import OptionsError
from incentives.io import run_dir
from incentives.io.plan_inputs import ResultFigure
from incentives.jobs import RunRequest, input_files
from incentives.money import minor_unit
from incentives.rulebook.language.values import parse_number
from incentives.rulebook.rulebook import Rulebook, load_rules
from incentives.sweep.distributions import read_sweep_file
from incentives.sweep.evaluate import PointResult, budget_spends, prepared
from incentives.sweep.executors import dask_executor, local_executor, map_points, workers_for
from incentives.sweep.points import Points, grid_points, read_draws
from incentives.sweep.stats import PERCENTILES, exceedance, weighted_mean, weighted_quantile
from incentives.sweep.variables import SweepInputError

__all__ = [
    "AccrualBudget",
    "Stats",
    "Summary",
    "SweepRequest",
    "SweepTask",
    "evaluate_task",
    "parse_budget",
    "read_points",
    "summarise",
    "sweep_points",
]


@attrs.frozen
class SweepRequest:
    """A sweep: the run it repeats at each point (its files; ``out``, ``force`` and
    ``workers``, the local processes, are the sweep's), the points (one of draws, grid,
    spec) and options."""

    run: RunRequest
    draws: Path | None = None  # a CSV of joint draws
    grid: tuple[str, ...] = ()  # NAME=FROM..TO/STEP or NAME=V1,V2,... axes
    spec: Path | None = None  # a sweep file: grid: or distributions:
    seed: int | None = None  # replaces the sweep file's seed
    budgets: tuple[str, ...] = ()  # accrual budgets, PAY_CODE:CURRENCY=AMOUNT
    scheduler: str | None = None  # a Dask scheduler's address


@attrs.frozen
class SweepTask:
    """One point's work, as sent to a worker: small, picklable."""

    run: RunRequest
    swept: frozenset[str]  # the policies the swept results belong to
    figures: tuple[ResultFigure, ...]


def evaluate_task(task: SweepTask) -> PointResult:
    """A point's result (module-level, so that any executor can pickle it by name)."""
    return prepared(task.run, task.swept).evaluate(task.figures)


@attrs.frozen
class AccrualBudget:
    """An amount to compare one pay code's total with (``--budget AIP:USD=5000000``)."""

    pay_code: str
    currency: str
    amount: Decimal


def parse_budget(text: str) -> AccrualBudget:
    code, sep, rest = text.partition(":")
    currency, sep2, amount = rest.partition("=")
    if not (sep and sep2 and code.strip() and currency.strip()):
        raise SweepInputError(f"--budget '{text}': write PAY_CODE:CURRENCY=AMOUNT, e.g. AIP:USD=5000000")
    try:
        value = parse_number(amount.strip())
    except ValueError as error:
        raise SweepInputError(f"--budget '{text}': {error}") from None
    return AccrualBudget(code.strip(), currency.strip(), value)


def read_points(request: SweepRequest, rulebook: Rulebook) -> Points:
    """The request's points: from its draws file, its grid or its sweep file (exactly one)."""
    given = [what for what, on in (("--draws", request.draws), ("--grid", request.grid),
             ("--spec", request.spec)) if on]  # fmt: skip
    if len(given) != 1:
        both = f" (given: {', '.join(given)})" if given else ""
        raise SweepInputError(
            "give the points one way: --draws FILE, --grid NAME=FROM..TO/STEP (repeatable) or "
            f"--spec FILE{both}"
        )
    if request.draws is not None:
        return read_draws(request.draws, rulebook)
    if request.grid:
        return grid_points(request.grid, rulebook)
    assert request.spec is not None
    return read_sweep_file(request.spec, rulebook, request.seed)


def _figures(points: Points) -> list[tuple[ResultFigure, ...]]:
    return [
        tuple(
            ResultFigure(v.policy, v.result, v.unit, v.field, value, 0)
            for v, value in zip(points.variables, point.values, strict=True)
        )
        for point in points.points
    ]


def sweep_points(
    run: RunRequest,
    points: Points,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
) -> list[PointResult]:
    """Every point's result, in order: on ``executor`` if given (e.g. a Dask client's
    ``get_executor()``), else on the Dask scheduler at ``scheduler``, else on ``workers``
    local processes (default both cores). The sweep is prepared in this process first (what
    forked workers inherit; it also finds any fault in the inputs before a point runs)."""
    swept = frozenset(v.policy for v in points.variables)
    prepared(run, swept)
    tasks = [SweepTask(run, swept, figures) for figures in _figures(points)]
    if executor is not None:
        return map_points(evaluate_task, tasks, executor)
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            pool: Executor | None = stack.enter_context(dask_executor(scheduler))
        else:
            pool = stack.enter_context(local_executor(workers_for(len(tasks), workers)))
        return map_points(evaluate_task, tasks, pool)


@attrs.frozen
class Stats:
    """One measure over the points: a pay code's total in one currency, or a policy budget's
    spend for one group (``measure`` is then policy/budget[group])."""

    measure: str
    currency: str
    mean: Decimal  # the accrual: weighted mean
    percentiles: tuple[Decimal, ...]  # at `PERCENTILES`
    minimum: Decimal
    maximum: Decimal
    budget: Decimal | None  # the accrual budget given, or the policy budget's amount
    p_over: Decimal | None  # P(total > budget); None without a budget

    @classmethod
    def of(
        cls,
        measure: str,
        currency: str,
        values: Sequence[Decimal],
        weights: Sequence[Decimal],
        budget: Decimal | None,
        over: Sequence[bool] | None,
    ) -> Stats:
        return cls(
            measure, currency, weighted_mean(values, weights, minor_unit(currency)),
            tuple(weighted_quantile(values, weights, p) for p in PERCENTILES),
            min(values), max(values), budget,
            None if over is None else exceedance(over, weights),
        )  # fmt: skip


@attrs.frozen
class Summary:
    totals: tuple[Stats, ...]  # per currency and pay code
    budgets: tuple[Stats, ...]  # per policy budget and group
    whole_points: int  # points at which every policy was evaluated (see evaluate.py)


def summarise(
    points: Points, results: Sequence[PointResult], budgets: Sequence[AccrualBudget] = ()
) -> Summary:
    """The weighted figures of a sweep (see `incentives.sweep.stats`)."""
    weights = [p.weight for p in points.points]
    keys = sorted({key for r in results for key, _ in r.totals})
    wanted = {(b.currency, b.pay_code): b.amount for b in budgets}
    unknown = [f"{code}:{cur}" for cur, code in wanted if (cur, code) not in keys]
    if unknown:
        have = ", ".join(f"{code}:{cur}" for cur, code in keys)
        raise SweepInputError(f"--budget {', '.join(unknown)}: no such pay code and currency (the totals have {have})")
    totals = []
    for key in keys:
        values = [dict(r.totals).get(key, Decimal(0)) for r in results]
        amount = wanted.get(key)
        over = None if amount is None else [v > amount for v in values]
        totals.append(Stats.of(key[1], key[0], values, weights, amount, over))
    lines = []
    for label, figures in budget_spends(results).items():
        line = next(f for f in figures if f is not None)
        spends = [Decimal(0) if f is None else f.spend for f in figures]
        over = [f is not None and f.over for f in figures]
        measure = label.rsplit(" ", 1)[0]
        lines.append(Stats.of(measure, line.currency, spends, weights, line.amount, over))
    return Summary(tuple(totals), tuple(lines), sum(1 for r in results if r.whole))


def check_request(request: SweepRequest) -> None:
    """Refuse an --out that is or holds an input, before anything is read."""
    roles = input_files(request.run) + [
        (role, path) for role, path in (("draws file", request.draws), ("sweep file", request.spec))
        if path is not None
    ]  # fmt: skip
    run_dir.check_apart(request.run.out, roles)
    if request.scheduler is not None and request.run.workers is not None:
        raise OptionsError("--workers is for local processes; with --scheduler the cluster decides")


def load(request: SweepRequest) -> tuple[Rulebook, Points, tuple[AccrualBudget, ...]]:
    """The rulebook, the points and the accrual budgets, every fault found before a point runs."""
    check_request(request)
    rulebook = load_rules(request.run.rules)
    budgets = tuple(parse_budget(b) for b in request.budgets)
    codes = sorted({c for p in rulebook.policies for pay in p.pay for c in (pay.pay_code,
                    *(code for _, code in pay.parts))})  # fmt: skip
    for budget in budgets:  # the currency is known after the points ran; the pay code now
        if budget.pay_code not in codes:
            close = difflib.get_close_matches(budget.pay_code, codes, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise SweepInputError(
                f"--budget {budget.pay_code}:{budget.currency}: no pay code {budget.pay_code} in "
                f"the policies ({', '.join(codes)}){hint}"
            )
    return rulebook, read_points(request, rulebook), budgets
