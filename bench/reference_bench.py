"""Time the reference policy in our language against the hand-written baseline, in one run.

    .venv/bin/python bench/reference_bench.py [--sizes 100000] [--repeat 3] [--warmup 1]
        [--seed 20260101] [--baseline ../shared/bench-baseline] [--before OLD_CHECKOUT]

For each size N: the baseline's seeded roster (bench/reference_setup.py, cached in
bench/data/reference/), then, interleaved, `impl_plain.py` and a normal `incentives run --rules
bench/reference` (results, full breakdown, manifest), baseline first: --warmup untimed pairs,
then --repeat timed pairs. Each run is a subprocess, interpreter start included. Per run: wall
time, CPU time (user + system of the child and the workers it reaped, from os.wait4) and peak
memory (the largest resident set of any one of its processes, and the sampled proportional set
size of all of them together, as bench/run_bench.py measures it). Prints a Markdown table of the
medians with the ratios ÷ hand-written, the load average before and after, and the commit.

The machine may be shared and noisy: read the ratios, measured in the same minutes, rather than
the absolute times. Correctness is bench/reference_check.py's job; this script only checks that
both commands exit 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import reference_setup as setup
from run_bench import TreeMemorySampler

BARS = {"wall": 2.5, "cpu": 6.0}  # issue 9's bars at 100,000 employees (ratio ÷ hand-written)


@dataclass
class Runs:
    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    tree_kib: list[int] = field(default_factory=list)

    def add(self, wall: float, cpu: float, peak_kib: int, tree_kib: int) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.peak_kib.append(peak_kib)
        self.tree_kib.append(tree_kib)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (at least 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each first")
    parser.add_argument(
        "--before",
        type=Path,
        help="also time an earlier checkout of this project (its src/), interleaved",
    )
    setup.add_common_arguments(parser)
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3 (the medians of 3 or more)")

    setup.compile_bytecode(setup.ROOT)
    if args.before is not None:
        setup.compile_bytecode(args.before.resolve())
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    measured = []
    for n in args.sizes:
        roster = setup.generated_roster(args.baseline, n, args.seed, args.data)
        ours_roster = setup.roster_for_incentives(roster, args.data)
        work = args.data / f"bench_{n}_seed{args.seed}"
        work.mkdir(parents=True, exist_ok=True)
        commands = (
            (Runs("impl_plain.py"), setup.baseline_command(args.baseline, roster, work / "plain_out.csv"), None),
            (Runs("incentives run"), setup.incentives_command(ours_roster, work / "incentives"), setup.incentives_env()),
        )  # fmt: skip
        if args.before is not None:
            before_env = dict(os.environ, PYTHONPATH=str(args.before.resolve() / "src"))
            before_command = setup.incentives_command(ours_roster, work / "incentives-before")
            commands += ((Runs("incentives run, before"), before_command, before_env),)
        for attempt in range(args.warmup + args.repeat):
            timed = attempt >= args.warmup
            for runs, command, env in commands:
                wall, cpu, peak, tree = _measure(command, env)
                tag = f"run {attempt - args.warmup + 1}" if timed else "warm-up"
                print(f"N={n:,} {runs.label:15} {tag:8} wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
                      f"peak {peak / 1024:7.1f} MiB  tree {tree / 1024:7.1f} MiB  load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
                if timed:
                    runs.add(wall, cpu, peak, tree)
        measured.append((n, commands[0][0], [c[0] for c in commands[1:]]))
    load_after = os.getloadavg()
    print()
    print(_table(measured, args, started, load_before, load_after, _roster_note(args)))
    return 0


def _measure(command: list[str], env: dict[str, str] | None) -> tuple[float, float, int, int]:
    """Wall s, CPU s (user + system, the child and its reaped descendants), the peak KiB of its
    largest process and the sampled peak KiB of its processes together (PSS, every 0.25 s)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeMemorySampler(child.pid)
    sampler.start()
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    sampler.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"error: {' '.join(command)} exited {child.returncode}:\n{errors.decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, sampler.peak_kib


def _roster_note(args: argparse.Namespace) -> str:
    named = any(args.data.glob(f"employees_*_seed{args.seed}_named.csv"))
    if not named:
        return "`incentives` reads the generated roster itself."
    return (
        "`incentives` reads a copy of the generated roster with goal1_name..goal3_name appended "
        "(this engine still requires a name column per goal group), made before the timed runs."
    )


def _commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(setup.ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


def _table(
    measured: list[tuple[int, Runs, list[Runs]]],
    args: argparse.Namespace,
    started: datetime,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    roster_note: str,
) -> str:
    def load(values: tuple[float, float, float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    lines = [
        f"{started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; engine {_commit()}; baseline "
        f"{args.baseline.resolve()}; seed {args.seed}; {args.warmup} untimed warm-up pair(s), then "
        f"{args.repeat} timed pairs, interleaved (baseline, ours, baseline, ours, ...); our "
        "src/ compiled to bytecode first (`compile_bytecode`), as an installed package is.",
        f"Load average (1, 5, 15 min): {load(load_before)} before, {load(load_after)} after.",
        roster_note,
        "",
        "| N | implementation | runs | median wall s | min–max wall s | median CPU s | peak MiB "
        "| tree PSS MiB |",
        "|---:|:---|---:|---:|---:|---:|---:|---:|",
    ]
    for n, plain, mine in measured:
        for runs in (plain, *mine):
            lines.append(
                f"| {n:,} | {runs.label} | {len(runs.wall)} | {statistics.median(runs.wall):.2f} "
                f"| {min(runs.wall):.2f}–{max(runs.wall):.2f} | {statistics.median(runs.cpu):.2f} "
                f"| {max(runs.peak_kib) / 1024:.0f} | {max(runs.tree_kib) / 1024:.0f} |"
            )
        for ours in mine:
            wall = statistics.median(ours.wall) / statistics.median(plain.wall)
            cpu = statistics.median(ours.cpu) / statistics.median(plain.cpu)
            memory = max(ours.peak_kib) / max(plain.peak_kib)
            tree = max(ours.tree_kib) / max(max(plain.tree_kib), 1)
            lines.append(
                f"| {n:,} | **{ours.label} ÷ hand-written** | | **{wall:.1f}×** | | **{cpu:.1f}×** "
                f"| {memory:.2f}× | {tree:.2f}× |"
            )
    lines.append("")
    lines.append(
        f"Bars at 100,000 (issue 9): wall ≤ {BARS['wall']}×, CPU ≤ {BARS['cpu']}× the hand-written "
        "baseline. CPU time counts every process of a run (our forked workers included); peak "
        "MiB is the largest single process (wait4), tree PSS MiB all of a run's processes "
        "together (shared pages counted once, sampled every 0.25 s)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
