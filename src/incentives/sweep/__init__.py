"""Funding sweeps: a run's totals over many values of the plan results (issue 10 §4).

    from incentives.jobs import RunRequest
    from incentives.sweep import SweepRequest, run_sweep
    run = RunRequest(Path("rules"), Path("employees.csv"), out=Path("out/sweep"))
    report = run_sweep(SweepRequest(run, grid=("revenue_growth=0%..12%/0.5%",)))
    report.summary.totals[0].mean      # the accrual of the first pay code

See docs/sweep.md for the points (draws, grid, distributions), what is reused between points
and the executors (local processes, Dask).
"""

from incentives.sweep.distributions import read_sweep_file
from incentives.sweep.evaluate import BudgetFigure, PointResult, Prepared
from incentives.sweep.folder import SweepReport, run_sweep, summary_text
from incentives.sweep.job import (
    AccrualBudget,
    Stats,
    Summary,
    SweepRequest,
    parse_budget,
    read_points,
    summarise,
    sweep_points,
)
from incentives.sweep.points import Point, Points, grid_points, read_draws
from incentives.sweep.variables import SweepInputError, Variable, parse_variable

__all__ = [
    "AccrualBudget",
    "BudgetFigure",
    "Point",
    "PointResult",
    "Points",
    "Prepared",
    "Stats",
    "Summary",
    "SweepInputError",
    "SweepReport",
    "SweepRequest",
    "Variable",
    "grid_points",
    "parse_budget",
    "parse_variable",
    "read_draws",
    "read_points",
    "read_sweep_file",
    "run_sweep",
    "summarise",
    "summary_text",
    "sweep_points",
]
