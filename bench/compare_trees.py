"""Time the bench cycle with an earlier tree and with this one, interleaved, in one run.

    .venv/bin/python bench/compare_trees.py --before /path/to/old/checkout [--sizes 100000]
        [--repeat 3] [--warmup 1] [--rules bench/rules]

The earlier tree is any checkout of this project (e.g. `git worktree add /tmp/before REV`):
its `src/` is imported through PYTHONPATH by the same interpreter, so both run with the same
Python and dependencies. For each size N (rosters from bench/generate.py, cached in bench/data/
as bench/run_bench.py caches them), the full cycle (`--rules`, ratings, history, rates) runs as
`before, after, before, after, ...`: --warmup untimed pairs, then --repeat timed ones. Per run:
wall time (interpreter start included), CPU time (user + system of the run and its workers),
the peak resident set of its largest process and the sampled PSS of all its processes. Prints
a Markdown table of medians with the speed-up (before ÷ after), the load average and both
commits. Outputs are not compared here: tests and compare scripts do that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from reference_bench import Runs, _measure
from reference_setup import compile_bytecode
from run_bench import BENCH, roster_for

ROOT = BENCH.parent


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree / "src")
    return env


def _commit(tree: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the earlier tree")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rules", type=Path, default=BENCH / "rules")
    parser.add_argument("--data", type=Path, default=BENCH / "data")
    args = parser.parse_args()
    if not (args.before / "src" / "incentives").is_dir():
        parser.error(f"{args.before}: not a checkout of this project (no src/incentives)")
    args.data.mkdir(parents=True, exist_ok=True)
    for tree in (args.before.resolve(), ROOT):
        compile_bytecode(tree)
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    measured = []
    for n in args.sizes:
        roster, ratings, history = roster_for(n, args.seed, args.data)
        out = BENCH / "out" / f"trees_{n}"
        trees = ((Runs("before"), args.before.resolve()), (Runs("after"), ROOT))
        for attempt in range(args.warmup + args.repeat):
            timed = attempt >= args.warmup
            for runs, tree in trees:
                command = [
                    sys.executable, "-m", "incentives", "run", "--rules", str(args.rules),
                    "--employees", str(roster), "--ratings", str(ratings), "--history",
                    str(history), "--rates", str(BENCH / "rates.csv"),
                    "--out", str(out / runs.label), "--force",
                ]  # fmt: skip
                wall, cpu, peak, tree_kib = _measure(command, _env(tree))
                tag = f"run {attempt - args.warmup + 1}" if timed else "warm-up"
                print(f"N={n:,} {runs.label:6} {tag:8} wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
                      f"peak {peak / 1024:7.1f} MiB  tree {tree_kib / 1024:7.1f} MiB  "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
                if timed:
                    runs.add(wall, cpu, peak, tree_kib)
        measured.append((n, trees[0][0], trees[1][0]))
    load_after = os.getloadavg()
    print()
    print(
        f"{started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; before {_commit(args.before)}, "
        f"after {_commit(ROOT)}; rules {args.rules}; {args.warmup} warm-up pair(s), "
        f"{args.repeat} timed pairs, interleaved; both src/ compiled to bytecode first. Load average "
        f"{', '.join(f'{v:.2f}' for v in load_before)} before, "
        f"{', '.join(f'{v:.2f}' for v in load_after)} after."
    )
    print()
    print("| N | tree | runs | median wall s | min–max wall s | median CPU s | peak MiB "
          "| tree PSS MiB |")  # fmt: skip
    print("|---:|:---|---:|---:|---:|---:|---:|---:|")
    for n, before, after in measured:
        for runs in (before, after):
            print(f"| {n:,} | {runs.label} | {len(runs.wall)} | {statistics.median(runs.wall):.2f} "
                  f"| {min(runs.wall):.2f}–{max(runs.wall):.2f} | {statistics.median(runs.cpu):.2f} "
                  f"| {max(runs.peak_kib) / 1024:.0f} | {max(runs.tree_kib) / 1024:.0f} |")  # fmt: skip
        wall = statistics.median(before.wall) / statistics.median(after.wall)
        cpu = statistics.median(before.cpu) / statistics.median(after.cpu)
        print(f"| {n:,} | **speed-up (before ÷ after)** | | **{wall:.2f}×** | | **{cpu:.2f}×** | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
