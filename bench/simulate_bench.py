"""10 scenarios against one `run`: the simulation's cost over the same roster (issue 10 §5).

    .venv/bin/python bench/simulate_bench.py [ROSTER] [--repeat 2] [--scenarios 10] [--by unit]

ROSTER defaults to bench/data/employees_100000_seed42.csv (with its _ratings and _history
files beside it; `bench/generate.py N FILE --seed 42` makes others). In one process, alternately
(a `run` first): `run_job` of bench/rules over the roster (the full run folder, on both cores as
`incentives run` would) and `simulate_job` of the baseline and N scenarios (overrides of the
bonus: pool funding, the cap multiple, a target % cell, a goal curve point, a rating multiplier)
over the same roster. Each is timed in CPU seconds (this process and the workers it forked and
waited for: the machine is shared, wall time is printed too) and the medians' ratio printed;
the bar is ratio ≤ 4. ``--by`` groups the simulation (by_group.csv, docs/simulate.md): more
work than the bar is about, measured apart.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from incentives import load_rules  # noqa: E402
from incentives.jobs import RunRequest, run_job  # noqa: E402
from incentives.rulebook.rulebook import Rulebook  # noqa: E402
from incentives.simulation import Variant  # noqa: E402
from incentives.simulation.job import SimulateRequest, simulate_job  # noqa: E402

BONUS = "bench-bonus-2026"


def scenarios(rulebook: Rulebook, count: int) -> list[Variant]:
    """``count`` overrides of the bench bonus, each of one kind of target."""
    bonus = next(p.id for p in rulebook.policies if p.kind == "bonus")
    kinds = [
        ("pool 80 %", {"parameters": {"pool_funding": "80%"}}),
        ("pool 100 %", {"parameters": {"pool_funding": "100%"}}),
        ("cap 1.5x", {"parameters": {"max_multiple": "1.5"}}),
        ("cap 2.5x", {"parameters": {"max_multiple": "2.5"}}),
        ("level 4 at 12 %", {"table_values": {"target_pct": {(3,): "12%"}}}),
        ("level 8 at 35 %", {"table_values": {"target_pct": {(7,): "35%"}}}),
        ("rating 4 at 130 %", {"table_values": {"rating_multiplier": {(3,): "130%"}}}),
        ("steeper curve", {"curve_points": {"goal_payout": {3: ("150%", "250%")}}}),
        ("lower threshold", {"curve_points": {"goal_payout": {0: ("70%", "50%")}}}),
        ("excess above 120 %", {"parameters": {"excess_above": "120%"}}),
    ]
    chosen = [kinds[i % len(kinds)] for i in range(count)]
    return [
        Variant(f"S{i + 1}", title, rulebook.with_overrides(bonus, **change))  # type: ignore[arg-type]
        for i, (title, change) in enumerate(chosen)
    ]


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(job: Callable[[], object]) -> tuple[float, float]:
    start_cpu, start = cpu(), time.perf_counter()
    job()
    return cpu() - start_cpu, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = HERE.parent / "bench" / "data" / "employees_100000_seed42.csv"
    parser.add_argument("roster", type=Path, nargs="?", default=default)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--scenarios", type=int, default=10)
    parser.add_argument(
        "--by", default="", help="simulate's --by (e.g. unit): adds by_group.csv to the work"
    )
    args = parser.parse_args()
    roster: Path = args.roster
    ratings = roster.with_name(roster.stem + "_ratings.csv")
    history = roster.with_name(roster.stem + "_history.csv")
    rules = HERE / "rules"
    rulebook = load_rules(rules)
    chosen = scenarios(rulebook, args.scenarios)
    common = {
        "rules": rules,
        "employees": roster,
        "ratings": ratings if ratings.exists() else None,
        "history": history if history.exists() else None,
        "rates": HERE / "rates.csv",
        "force": True,
    }
    runs: list[tuple[float, float]] = []
    sims: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="simulate-bench-") as tmp:
        out = Path(tmp)
        for i in range(args.repeat):
            runs.append(timed(lambda: run_job(RunRequest(out=out / "run", **common))))  # type: ignore[arg-type]
            sims.append(
                timed(
                    lambda: simulate_job(
                        SimulateRequest(
                            RunRequest(out=out / "simulation", **common),  # type: ignore[arg-type]
                            scenarios=chosen,
                            baseline=rulebook,
                            by=tuple(n for n in args.by.split(",") if n),
                            report_currency="USD",
                        )
                    )
                )
            )
            print(
                f"pair {i + 1}: run {runs[-1][0]:.2f} s CPU ({runs[-1][1]:.2f} s wall); "
                f"simulate {sims[-1][0]:.2f} s CPU ({sims[-1][1]:.2f} s wall)",
                flush=True,
            )
        summary = (out / "simulation" / "summary.md").read_text(encoding="utf-8")
        shutil.rmtree(out / "run", ignore_errors=True)
    run_cpu = statistics.median(c for c, _ in runs)
    sim_cpu = statistics.median(c for c, _ in sims)
    run_wall = statistics.median(w for _, w in runs)
    sim_wall = statistics.median(w for _, w in sims)
    print(summary)
    print(f"roster {roster.name}, {args.scenarios} scenarios, medians of {args.repeat}:")
    print(f"  run      {run_cpu:7.2f} s CPU  {run_wall:7.2f} s wall")
    print(f"  simulate {sim_cpu:7.2f} s CPU  {sim_wall:7.2f} s wall")
    print(f"  ratio    {sim_cpu / run_cpu:7.2f}x CPU {sim_wall / run_wall:7.2f}x wall (bar: 4x)")
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak RSS: this process {me:.0f} MiB, largest worker {kids:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
