"""A funding sweep of the bench policy: 200 points over 100,000 employees (issue 10 §5).

    .venv/bin/python bench/sweep_bench.py [--roster bench/data/employees_100000_seed42.csv]
        [--points 200] [--workers 2] [--out bench/out/sweep]

The grid is revenue_growth 0 %..9.5 % in 0.5-point steps (20 values) × operating_margin of
Sales 5 %..14 % in 1-point steps (10 values) = 200 points, with the bench's rating history and
dated changes (bench/rules: the bonus with pools, merit and promotion; only the bonus reads
plan results, so merit and promotion are evaluated once). ``--points N`` keeps the first N.
Prints the wall time and the CPU time of this process and its workers (resource.getrusage),
split into preparing (reading the roster, the baseline evaluations) and the points.
The roster is made by bench/run_bench.py or bench/generate.py (bench/data/ is git-ignored).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from incentives.jobs import RunRequest
from incentives.rulebook.rulebook import load_rules
from incentives.sweep import Points, grid_points, sweep_points
from incentives.sweep.evaluate import prepared

BENCH = Path(__file__).resolve().parent


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roster", type=Path, default=BENCH / "data" / "employees_100000_seed42.csv")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    roster: Path = args.roster
    if not roster.exists():
        raise SystemExit(f"{roster} is missing: python bench/generate.py 100000 {roster} --seed 42")
    stem = roster.with_suffix("")
    inputs = RunRequest(
        BENCH / "rules",
        roster,
        BENCH / "out" / "sweep",
        rates=BENCH / "rates.csv",
        ratings=Path(f"{stem}_ratings.csv"),
        history=Path(f"{stem}_history.csv"),
    )
    rulebook = load_rules(inputs.rules)
    grid = grid_points(
        ["revenue_growth=0%..9.5%/0.5%", "operating_margin[Sales]=5%..14%/1%"], rulebook
    )
    points = Points(grid.variables, grid.points[: args.points], grid.source)
    wall0, cpu0 = time.perf_counter(), _cpu()
    ready = prepared(inputs, frozenset(v.policy for v in points.variables))
    wall1, cpu1 = time.perf_counter(), _cpu()
    results = sweep_points(inputs, points, workers=args.workers)
    wall2, cpu2 = time.perf_counter(), _cpu()
    aip = [dict(r.totals).get(("USD", "AIP")) for r in results]
    print(f"roster: {roster} ({len(ready.rows):,} records); points: {len(results)}; "
          f"workers: {args.workers}; evaluated once: {', '.join(ready.reused)}")
    print("| phase | wall s | CPU s |")
    print("|---|---:|---:|")
    print(f"| prepare (read roster, baseline) | {wall1 - wall0:.1f} | {cpu1 - cpu0:.1f} |")
    print(f"| {len(results)} points | {wall2 - wall1:.1f} | {cpu2 - cpu1:.1f} |")
    print(f"| total | {wall2 - wall0:.1f} | {cpu2 - cpu0:.1f} |")
    print(f"per point: {(wall2 - wall1) / len(results):.2f} s wall, "
          f"{(cpu2 - cpu1) / len(results):.2f} s CPU; points evaluated whole: "
          f"{sum(r.whole for r in results)}; AIP USD from {min(aip)} to {max(aip)}")  # type: ignore[type-var]


if __name__ == "__main__":
    main()
