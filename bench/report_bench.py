"""Benchmark of `incentives report` (the results workbook) on a synthetic run folder.

    .venv/bin/python bench/report_bench.py [--size 100000] [--repeat 3] [--seed 42]

Generates the roster (bench/generate.py, cached in bench/data/ like run_bench.py), runs the full
cycle once (`incentives run --rules bench/rules ...` into bench/out/report-N/run, reused while
it is newer than the roster), then times `incentives report --run ... --out ... --by
unit,rating` as a subprocess --repeat times: wall time (interpreter start-up included), CPU
time (user + system: the report's process, its deflate thread and its worker process, and of
those the report's process alone: on two free cores the wall time is about the larger of
the process's and the worker's), peak resident memory (`wait4`), the workbook's size. Every
repeat's workbook must be byte-identical. Prints a Markdown table (the figures of
docs/reports.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from run_bench import incentives_command, load_average, roster_for  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS KiB) of one subprocess."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"failed: {' '.join(cmd)}")
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return wall, usage.ru_utime + usage.ru_stime, peak


# `incentives` in a process that notes its own CPU time (not its worker's) when it ends
_OWN_CPU = """
import atexit, os, sys
from incentives.cli import main
def own():
    t = os.times()
    with open(os.environ["REPORT_BENCH_CPU"], "w") as out:
        out.write(str(t.user + t.system))
atexit.register(own)
sys.argv[0] = "incentives"
main()
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    roster, ratings, history = roster_for(args.size, args.seed, BENCH / "data")
    folder = BENCH / "out" / f"report-{args.size}"
    run = folder / "run"
    if not (run / "manifest.json").exists() or (
        (run / "manifest.json").stat().st_mtime < roster.stat().st_mtime
    ):
        print(f"running the cycle on {args.size:,} employees -> {run}", flush=True)
        timed(
            [*incentives_command(), "run", "--rules", "bench/rules", "--employees", str(roster),
             "--ratings", str(ratings), "--history", str(history), "--rates", "bench/rates.csv",
             "--out", str(run), "--force"]
        )  # fmt: skip
    print(f"load average before: {load_average()}", flush=True)
    walls, cpus, owns, peaks, hashes = [], [], [], [], set()
    book = folder / "report.xlsx"
    own = Path(tempfile.mkdtemp()) / "cpu"
    os.environ["REPORT_BENCH_CPU"] = str(own)
    for _ in range(args.repeat):
        cmd = [sys.executable, "-c", _OWN_CPU, "report", "--run", str(run), "--out", str(book),
               "--by", "unit,rating"]  # fmt: skip
        wall, cpu, peak = timed(cmd)
        walls.append(wall)
        cpus.append(cpu)
        owns.append(float(own.read_text()))
        peaks.append(peak)
        hashes.add(hashlib.sha256(book.read_bytes()).hexdigest())
        print(
            f"  {wall:.1f} s wall, {cpu:.1f} s CPU (the report's process {owns[-1]:.1f} s, its "
            f"worker {cpu - owns[-1]:.1f} s), {peak / 1024:.0f} MiB",
            flush=True,
        )
    print(f"load average after: {load_average()}")
    print()
    print(
        "| employees | wall (median) | CPU (median) | of which the report's process "
        "| peak memory | workbook | identical |"
    )
    print("|---:|---:|---:|---:|---:|---:|:---|")
    print(
        f"| {args.size:,} | {statistics.median(walls):.1f} s | {statistics.median(cpus):.1f} s "
        f"| {statistics.median(owns):.1f} s "
        f"| {max(peaks) / 1024:.0f} MiB | {book.stat().st_size / 1e6:.0f} MB "
        f"| {'yes' if len(hashes) == 1 else 'NO'} |"
    )
    return 0 if len(hashes) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
