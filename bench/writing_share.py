"""What writing the per-employee files costs in a whole run, and how far it is from a floor.

    .venv/bin/python bench/writing_share.py [--sizes 100000] [--repeat 3] [--warmup 1]
        [--floor ROSTER]

Times the bench cycle (`bench/rules`, the roster's ratings, history and `bench/rates.csv`, as
`compare_trees.py` runs it) interleaved with the very same run whose per-employee files are not
written: its final pass's items are evaluated and dropped (`write_items` replaced in the
process, so in its forked workers too; the summary files are still written). The difference of
the medians is what making and writing the lines (results.csv, inputs.csv, the breakdown) costs
the whole run, on both cores, caches and all. Interpreter start included, bytecode compiled
first, as `compare_trees.py` does.

--floor ROSTER (a cycle roster with its `_ratings` and `_history` files beside it; run from the
project's root) then keeps one run's outcomes on one core and, per policy, times its generated
pair line (the results line and the breakdown line of an outcome) against two plainer
conversions of the same trace: `','.join(map(str, trace))` (every recorded value made text
once: no rounding, no quoting, no results line, no text remembered), and the same over the
trace's decimals and integers alone (its numbers, mostly different for each employee, so no
layout can remember their text: a floor for any line that writes them, in CPython).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_bench import Runs, _measure
from reference_setup import compile_bytecode
from run_bench import BENCH, roster_for

ROOT = BENCH.parent
# the run with its per-employee files dropped: `write_items` replaced where it is called
_UNWRITTEN = """
import sys
import incentives.jobs, incentives.parallel
def dropped(items, files, writes):
    for _ in items:
        pass
incentives.jobs.write_items = incentives.parallel.write_items = dropped
from incentives.cli import main
sys.argv = ["incentives", *sys.argv[1:]]
main()
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    parser.add_argument("--floor", type=Path, help="a cycle roster to time the lines' floor on")
    args = parser.parse_args(argv)
    compile_bytecode(ROOT)
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    rows = []
    for n in args.sizes:
        roster, ratings, history = roster_for(n, args.seed, args.data)
        written, unwritten = Runs("written"), Runs("not written")
        for attempt in range(args.warmup + args.repeat):
            for runs, head in ((written, ["-m", "incentives"]), (unwritten, ["-c", _UNWRITTEN])):
                out = BENCH / "out" / f"writing_{n}" / runs.label.replace(" ", "_")
                command = [
                    sys.executable, *head, "run", "--rules", str(BENCH / "rules"),
                    "--employees", str(roster), "--ratings", str(ratings),
                    "--history", str(history), "--rates", str(BENCH / "rates.csv"),
                    "--out", str(out), "--force",
                ]  # fmt: skip
                wall, cpu, _, _ = _measure(command, None)
                timed = attempt >= args.warmup
                print(f"N={n:,} {runs.label:11} {'run' if timed else 'warm-up':7} "
                      f"wall {wall:6.2f} s  cpu {cpu:6.2f} s  load {os.getloadavg()[0]:.2f}",
                      flush=True)  # fmt: skip
                if timed:
                    runs.add(wall, cpu, 0, 0)
        rows.append((n, written, unwritten))
    print()
    print(f"{started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; {args.warmup} warm-up pair(s), "
          f"{args.repeat} timed pairs, interleaved; load average "
          f"{', '.join(f'{v:.2f}' for v in load_before)} before, "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())} after.")  # fmt: skip
    print()
    print("| N | run | median wall s | median CPU s |")
    print("|---:|:---|---:|---:|")
    for n, written, unwritten in rows:
        for runs in (written, unwritten):
            print(f"| {n:,} | {runs.label} | {statistics.median(runs.wall):.2f} | "
                  f"{statistics.median(runs.cpu):.2f} |")  # fmt: skip
        wall = statistics.median(written.wall) - statistics.median(unwritten.wall)
        cpu = statistics.median(written.cpu) - statistics.median(unwritten.cpu)
        print(f"| {n:,} | **writing's share** | **{wall:.2f}** | **{cpu:.2f}** "
              f"({cpu / n * 1e6:.0f} µs an employee) |")  # fmt: skip
    if args.floor is not None:
        print()
        _floor(args.floor)
    return 0


def _floor(roster: Path) -> None:
    """Per policy: its generated pair lines against `','.join(map(str, trace))`, best of 5."""
    import pair_lines_bench  # beside this script

    with tempfile.TemporaryDirectory() as scratch:
        kept = Path(scratch) / "outcomes.pickle"
        pair_lines_bench.dump(roster, kept)
        with kept.open("rb") as handle:
            by_policy = pickle.load(handle)  # our own dump, just made
    from incentives.io.run_outputs import OutputLayout
    from incentives.rulebook.rulebook import load_rules

    layout = OutputLayout(load_rules(BENCH / "rules"))
    print(
        "| policy | lines | values a trace (numbers) | pair lines µs a line "
        "| join(map(str)) of the trace | of its numbers alone |"
    )
    print("|:---|---:|---:|---:|---:|---:|")
    for policy_id, outcomes in by_policy.items():
        line = layout.pair_line_of(policy_id)
        made = _best(lambda line=line, outcomes=outcomes: [line(e, o) for e, o in outcomes])
        joined = _best(lambda outcomes=outcomes: [",".join(map(str, o.trace)) for _, o in outcomes])
        numbers = [tuple(v for v in o.trace if type(v) in (Decimal, int)) for _, o in outcomes]
        floor = _best(lambda numbers=numbers: [",".join(map(str, values)) for values in numbers])
        count = len(outcomes)
        print(f"| {policy_id} | {count:,} | {len(outcomes[0][1].trace)} ({len(numbers[0])}) | "
              f"{made / count * 1e6:.1f} | {joined / count * 1e6:.1f} | "
              f"{floor / count * 1e6:.1f} |")  # fmt: skip


def _best(work: object, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()  # type: ignore[operator]
        best = min(best, time.process_time() - started)
    return best


if __name__ == "__main__":
    raise SystemExit(main())
