"""Profile one `incentives run` in a single process (no forked workers, so cProfile sees it all).

    .venv/bin/python bench/profile_run.py bench/data/employees_100000_seed42.csv [--out DIR]
        [--workers 1] [--prof /tmp/prof1.out] [--top 25] [--bonus-only]

The full cycle by default: every policy in bench/rules with the roster's companion files
(ROSTER_ratings.csv, ROSTER_history.csv) when they exist; --bonus-only profiles the bonus alone.

`python -m cProfile -m incentives run ...` profiles only the parent process: for rosters of
20,000 rows or more the CLI forks two workers and the parent mostly waits for them. This script
calls the same entry point (`incentives.jobs.run_job`) with `workers=1`, then prints the top
functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

from incentives.jobs import RunRequest, run_job

BENCH = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("employees", type=Path)
    parser.add_argument("--rules", type=Path, default=BENCH / "rules")
    parser.add_argument("--rates", type=Path, default=BENCH / "rates.csv")
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "profile")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--prof", type=Path, default=Path("/tmp/prof1.out"))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--bonus-only", action="store_true",
                        help="bench_bonus.yaml alone, without the ratings and history files")
    args = parser.parse_args(argv)
    # the companions generate.py writes beside the roster (full cycle; see bench/README.md)
    ratings = args.employees.with_name(args.employees.stem + "_ratings.csv")
    history = args.employees.with_name(args.employees.stem + "_history.csv")
    cycle = not args.bonus_only and ratings.exists() and history.exists()
    request = RunRequest(
        rules=args.rules if cycle or args.rules != BENCH / "rules"
        else BENCH / "rules" / "bench_bonus.yaml",
        employees=args.employees, out=args.out, rates=args.rates, force=True,
        workers=args.workers, ratings=ratings if cycle else None,
        history=history if cycle else None,
    )
    profiler = cProfile.Profile()
    profiler.enable()
    report = run_job(request)
    profiler.disable()
    profiler.dump_stats(args.prof)
    print(f"computed {report.summary.computed:,}, rejected {report.summary.rejected:,}")
    stats = pstats.Stats(str(args.prof))
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
