"""Time the generated `evaluate` (and `stage1`) functions alone, per policy, on one roster.

    .venv/bin/python bench/eval_time.py /tmp/cmpdata/cycle_20k.csv [--rules bench/rules]
        [--repeat 5] [--prof /tmp/eval.prof --top 30]

The roster is read and converted once (its companions ROSTER_ratings.csv / ROSTER_history.csv
beside it, as `profile_run.py` finds them), the passes before the last run once, then each
policy's `evaluate` is called on every employee it covers, ``--repeat`` times: the best CPU
time per policy is printed. `stage1` (the first pass's evaluation) is timed the same way. What
is measured is what the generated code and the runtime objects it calls cost (scorecards,
curves, tables, prorate, fx), without reading, conversion, outcomes or writing around them.
``--prof`` profiles one round instead, for where the time goes inside.
"""

from __future__ import annotations

import argparse
import cProfile
import decimal
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from incentives.engine import passes
from incentives.engine.calculate import calculate
from incentives.job_inputs import read_inputs
from incentives.jobs import RunRequest
from incentives.model import Rejection
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.rulebook import load_rules

BENCH = Path(__file__).resolve().parent


def _work(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    ratings = args.employees.with_name(args.employees.stem + "_ratings.csv")
    history = args.employees.with_name(args.employees.stem + "_history.csv")
    request = RunRequest(
        rules=args.rules, employees=args.employees, out=Path("/tmp/eval-time-unused"),
        rates=args.rates, ratings=ratings if ratings.exists() else None,
        history=history if history.exists() else None,
    )
    rulebook = load_rules(args.rules)
    roster, figures, rates = read_inputs(request, rulebook)
    calc = calculate(rulebook, roster, results=figures, rates=rates, exact_first_pass=False)
    passes.prepare(calc, calc.employees, passes.in_process)
    items = [i for i in calc.plan.final.rows(calc.employees) if not isinstance(i, Rejection)]
    final = list(calc._covered(items, (), "all", lambda b: True))
    first = list(calc._covered(items, (), "first", lambda b: b.policy.first_pass))
    return final, first


def _round(work: list[Any], stage: str) -> dict[str, int]:
    """One call per (employee, policy); CPU nanoseconds per policy."""
    spent: dict[str, int] = {}
    clock = time.process_time_ns
    with decimal.localcontext(ENGINE_CONTEXT):
        for bound in {id(w[2]): w[2] for w in work}.values():
            fn = bound.evaluate if stage == "evaluate" else bound.stage1
            mine = [(values, item, segments) for item, values, b, segments in work if b is bound]
            start = clock()
            for values, item, segments in mine:
                try:  # noqa: SIM105 (a `with` per call would be timed too)
                    fn(values, item, segments)
                except Exception:  # a rejected row costs what it costs
                    pass
            spent[f"{stage} {bound.policy.id}"] = clock() - start
    return spent


def arguments(description: str) -> argparse.ArgumentParser:
    """The arguments of a timing over one roster: it, its rules and rates, ``--repeat``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("employees", type=Path)
    parser.add_argument("--rules", type=Path, default=BENCH / "rules")
    parser.add_argument("--rates", type=Path, default=BENCH / "rates.csv")
    parser.add_argument("--repeat", type=int, default=5)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--prof", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    final, first = _work(args)
    if args.prof:
        profiler = cProfile.Profile()
        profiler.enable()
        _round(final, "evaluate")
        _round(first, "stage1")
        profiler.disable()
        profiler.dump_stats(args.prof)
        pstats.Stats(str(args.prof)).sort_stats("tottime").print_stats(args.top)
        return 0
    best: dict[str, int] = {}
    for _ in range(args.repeat):
        for stage, work in (("evaluate", final), ("stage1", first)):
            for name, ns in _round(work, stage).items():
                best[name] = min(best.get(name, ns), ns)
    for name, ns in best.items():
        print(f"{name:40s} {ns / 1e6:9.1f} ms")
    print(f"{'total':40s} {sum(best.values()) / 1e6:9.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
