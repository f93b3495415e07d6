"""Time reading the final pass's employees alone: rows, conversion, rating history, segments.

    .venv/bin/python bench/read_bench.py /tmp/cmpdata/cycle_20k.csv [--rules DIR] [--repeat 5]

The roster's companions ROSTER_ratings.csv / ROSTER_history.csv are taken from beside it. The
passes before the last run once; then, ``--repeat`` times, the best CPU time of each part of
reading what the final pass reads of every employee:

    rows        the roster's records built into employees, with their keyed files' rows
    values      each employee's cells converted and its covering policies found
    ratings     each employee's rating history read by a policy declaring one
    segments    the segments of each weighted policy of an employee with a dated history

Run it interleaved on two trees (PYTHONPATH=TREE/src) to compare.
"""

from __future__ import annotations

import argparse
import decimal
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incentives.engine import passes
from incentives.engine.calculate import calculate
from incentives.job_inputs import read_inputs
from incentives.jobs import RunRequest
from incentives.model import Rejection
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.rulebook import load_rules

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_time import arguments  # beside this script, as it is run


def _calculation(args: argparse.Namespace) -> Any:
    beside = {
        k: args.employees.with_name(f"{args.employees.stem}_{k}.csv")
        for k in ("ratings", "history")
    }
    request = RunRequest(
        rules=args.rules,
        employees=args.employees,
        out=Path("/tmp/read-bench-unused"),
        rates=args.rates,
        **{k: path if path.exists() else None for k, path in beside.items()},
    )
    rulebook = load_rules(args.rules)
    roster, figures, rates = read_inputs(request, rulebook)
    calc = calculate(rulebook, roster, results=figures, rates=rates, exact_first_pass=False)
    passes.prepare(calc, calc.employees, passes.in_process)
    return calc


def _parts(calc: Any) -> dict[str, Callable[[], object]]:
    rows = calc.plan.final.rows(calc.employees)
    items = [i for i in rows if not isinstance(i, Rejection)]
    readers = {
        id(b.evaluate.__globals__["READ_RATINGS"]): b.evaluate.__globals__["READ_RATINGS"]
        for b in calc.bound
        if "READ_RATINGS" in b.evaluate.__globals__
    }
    dated = [i for i in items if i.history]

    def read_rows() -> object:
        for _ in rows:
            pass
        return None

    def values() -> object:
        for item in items:
            calc._values(item, "all")
        return None

    def ratings() -> object:
        for read in readers.values():
            for item in items:
                try:  # noqa: SIM105 (a `with` per call would be timed too)
                    read(item)
                except Exception:  # a rejected row costs what it costs
                    pass
        return None

    def segments() -> object:
        for item in dated:
            found = calc._values(item, "all")
            if isinstance(found, Rejection):
                continue
            built: dict[object, Any] = {}
            for bound in found[1]:
                calc._segments(item, bound.policy.id, built)
        return None

    return {"rows": read_rows, "values": values, "ratings": ratings, "segments": segments}


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0]).parse_args(argv)
    calc = _calculation(args)
    parts = _parts(calc)
    employees = calc.employees.record_count
    best: dict[str, int] = {}
    clock = time.process_time_ns
    gc.disable()  # as in a run's final pass (`passes.collections_paused`)
    with decimal.localcontext(ENGINE_CONTEXT):
        for _ in range(args.repeat):
            for name, part in parts.items():
                start = clock()
                part()
                best[name] = min(best.get(name, 1 << 62), clock() - start)
    best["total"] = sum(best.values())
    print(f"{employees} employees, CPU, best of {args.repeat}: ms (us per employee)")
    for name, ns in best.items():
        print(f"{name:10s} {ns / 1e6:9.1f} ({ns / 1e3 / employees:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
