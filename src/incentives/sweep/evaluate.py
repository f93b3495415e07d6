"""Evaluating one point of a sweep, with what does not depend on the swept results done once.

    prepared = Prepared(run, swept_policies)        # once per process (run: a RunRequest)
    prepared.evaluate(figures)                      # per point: totals and budget figures

What is done once per process (`Prepared`), not per point:

- the policies are loaded and compiled, the rates and the ``--results`` file read;
- the roster (with its goals, rating history and dated changes) is read and scanned once and
  kept in memory: no point re-reads a file;
- the policies no swept result belongs to (with every other policy of the same kind, so that
  coverage is decided within one group) are evaluated once, at the baseline: their totals,
  budgets and rejected rows are the same at every point. Only the swept policies are evaluated
  per point, over the rows the others do not reject.

A point whose swept policies reject other rows than at the baseline (a unit with no figures,
say) is evaluated whole instead, every policy at that point (``PointResult.whole``): a row
rejected by one policy is rejected by all, so the others' totals would change with it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal

import attrs

from incentives.engine.allocation_report import budget_lines
from incentives.engine.calculate import calculate
from incentives.engine.passes import Item, in_process
from incentives.engine.run_inputs import result_figures
from incentives.io.plan_inputs import ResultFigure
from incentives.jobs import RunRequest, read_inputs
from incentives.model import Rejection
from incentives.model.roster import Row, RowsRoster
from incentives.money import EXACT_CONTEXT
from incentives.rulebook.rulebook import Rulebook, load_rules
from incentives.sweep.cached_rows import CachedCalculation, RowCache

__all__ = ["BudgetFigure", "Evaluated", "PointResult", "Prepared", "prepared"]


@attrs.frozen
class BudgetFigure:
    """A policy budget's spend for one group at one point (amounts in the budget currency)."""

    policy: str
    budget: str
    group: str
    currency: str
    spend: Decimal
    amount: Decimal | None
    over: bool

    @property
    def label(self) -> str:
        """policy/budget[group] CURRENCY: the budget line's name in sweep.csv and stats.csv."""
        group = f"[{self.group}]" if self.group else ""
        return f"{self.policy}/{self.budget}{group} {self.currency}"


def budget_spends(results: Sequence[PointResult]) -> dict[str, list[BudgetFigure | None]]:
    """Each budget line met at any point (a point evaluated whole may lack a group), by label
    in order, with its figure at each point (None where the point has no such line)."""
    labels = sorted({b.label for r in results for b in r.budgets})
    found = [{b.label: b for b in r.budgets} for r in results]
    return {label: [at.get(label) for at in found] for label in labels}


@attrs.frozen
class Evaluated:
    """What one evaluation of some policies over some rows gave."""

    totals: dict[tuple[str, str], Decimal]  # (currency, pay code) → total
    budgets: tuple[BudgetFigure, ...]
    rejected: frozenset[int]  # roster records rejected


@attrs.frozen
class PointResult:
    """One point's totals per (currency, pay code), its policy budgets' spend, and whether
    every policy had to be evaluated at it (``whole``, see the module docstring)."""

    totals: tuple[tuple[tuple[str, str], Decimal], ...]
    budgets: tuple[BudgetFigure, ...]
    rejected: int  # rows rejected at this point
    whole: bool


def _record(row: Row) -> int:
    return row.record if isinstance(row, Rejection) else row.source.record


class Prepared:
    """Everything a point's evaluation reuses (see the module docstring)."""

    def __init__(self, run: RunRequest, swept: frozenset[str]) -> None:
        """``run``: the files a sweep reads, as `incentives run` reads them (its results file
        is the baseline the points override); small and picklable, so that a worker process on
        another machine prepares itself from it (the paths must be readable there)."""
        self.run = inputs = run
        self.rulebook = rulebook = load_rules(inputs.rules)
        roster, base, self.rates = read_inputs(inputs, rulebook)
        self.roster = roster
        self.rows: list[Row] = list(roster)  # read once; every evaluation reads this list
        self.base = base
        result_figures(rulebook, self.base)  # a fault in the results file, before any point
        kinds = {p.kind for p in rulebook.policies if p.id in swept}
        swept_set = tuple(p for p in rulebook.policies if p.kind in kinds)
        rest = tuple(p for p in rulebook.policies if p.kind not in kinds)
        self.swept = Rulebook(swept_set, rulebook.fields)
        self.rest = Rulebook(rest, rulebook.fields) if rest else None
        self.reused = tuple(p.id for p in rest)
        self.cache = RowCache()  # the swept policies' rows, converted once (cached_rows.py)
        if self.rest is None:
            self.rest_rejected: frozenset[int] = frozenset()
            self.swept_rows = self.rows
            self.baseline = self._evaluate(self.swept, self.rows, (), self.cache)
            self.rest_figures = Evaluated({}, (), frozenset())
            return
        rest_all = self._evaluate(self.rest, self.rows, ())
        self.rest_rejected = rest_all.rejected
        self.swept_rows = [r for r in self.rows if _record(r) not in rest_all.rejected]
        self.baseline = self._evaluate(self.swept, self.swept_rows, (), self.cache)
        # the others' figures over the rows the swept policies do not reject at the baseline
        self.rest_figures = (
            rest_all if not self.baseline.rejected - rest_all.rejected
            else self._evaluate(
                self.rest, [r for r in self.rows if _record(r) not in self.baseline.rejected], ()
            )
        )  # fmt: skip

    def _evaluate(
        self,
        rulebook: Rulebook,
        rows: Sequence[Row],
        figures: Iterable[ResultFigure],
        cache: RowCache | None = None,
    ) -> Evaluated:
        ids = {p.id for p in rulebook.policies}
        calc = (calculate if cache is None else CachedCalculation)(
            rulebook,
            RowsText(rows),
            results=[f for f in (*self.base, *figures) if f.policy in ids],
            rates=self.rates,
            as_of=self.run.as_of,
            require_coverage=self.run.require_coverage,
        )
        if isinstance(calc, CachedCalculation) and cache is not None:
            calc.share(cache)
        rejected: set[int] = set()

        @contextlib.contextmanager
        def open_share(_share: int) -> Iterator[Callable[[Iterable[Item]], object]]:
            def take(items: Iterable[Item]) -> None:
                for item in items:
                    if isinstance(item, Rejection):
                        rejected.add(item.record)

            yield take

        calc.run(in_process, open_share)
        calc.check_pool_fundings()
        totals: dict[tuple[str, str], Decimal] = {}
        for (currency, _component, code), amount in calc.summary.totals.items():
            key = (currency, code)
            totals[key] = EXACT_CONTEXT.add(totals.get(key, Decimal(0)), amount)
        budgets = tuple(
            BudgetFigure(
                line.policy, line.budget, line.group, line.currency, line.spend, line.amount,
                line.over,
            )
            for line in budget_lines(calc)
        )  # fmt: skip
        return Evaluated(totals, budgets, frozenset(rejected))

    def evaluate(self, figures: Sequence[ResultFigure]) -> PointResult:
        """The point whose swept figures are ``figures`` (over the baseline's)."""
        swept = self._evaluate(self.swept, self.swept_rows, figures, self.cache)
        if swept.rejected != self.baseline.rejected:
            whole = self._evaluate(self.rulebook, self.rows, figures)
            return _result(whole, whole.budgets, len(whole.rejected), True)
        rest = self.rest_figures
        totals = dict(rest.totals)
        for key, amount in swept.totals.items():
            totals[key] = EXACT_CONTEXT.add(totals.get(key, Decimal(0)), amount)
        merged = Evaluated(totals, (), frozenset())
        rejected = len(swept.rejected | self.rest_rejected)
        return _result(merged, swept.budgets + rest.budgets, rejected, False)


def _result(
    found: Evaluated, budgets: tuple[BudgetFigure, ...], rejected: int, whole: bool
) -> PointResult:
    return PointResult(
        tuple(sorted(found.totals.items())),
        tuple(sorted(budgets, key=lambda b: (b.policy, b.budget, b.group, b.currency))),
        rejected,
        whole,
    )


class RowsText(RowsRoster):
    """Rows read once from a CSV roster (cells still text, as the engine's fast conversion
    takes them), evaluated any number of times."""

    text_cells = True


_PREPARED: dict[tuple[RunRequest, frozenset[str]], Prepared] = {}
_LOCK = threading.Lock()


def prepared(run: RunRequest, swept: frozenset[str]) -> Prepared:
    """This process's `Prepared` for ``run`` (built on first use: a forked worker inherits
    its parent's; a Dask worker builds its own once)."""
    key = (run, swept)
    with _LOCK:
        found = _PREPARED.get(key)
        if found is None:
            found = _PREPARED[key] = Prepared(run, swept)
        return found


def forget() -> None:
    """Drop every `Prepared` of this process (their rosters are in memory)."""
    with _LOCK:
        _PREPARED.clear()
