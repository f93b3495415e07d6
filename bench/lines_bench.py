"""Time the making and writing of the per-employee lines alone (no reading, no evaluating).

    .venv/bin/python bench/lines_bench.py /tmp/cmpdata/cycle_20k.csv [--rules DIR] [--repeat 5]

Runs `incentives.jobs.run_job` once on one core, keeping the items its final pass wrote, then
writes those items again with `write_items` to files on /dev/null, ``--repeat`` times, and
prints the best CPU time. Run it interleaved on two trees (PYTHONPATH=TREE/src) to compare.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import incentives.jobs as jobs
from incentives.io.writers import CsvSink
from incentives.jobs import RunRequest, run_job

BENCH = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("employees", type=Path, help="a roster; its _ratings/_history beside it")
    parser.add_argument("--rules", type=Path, default=BENCH / "rules")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    beside = {
        k: args.employees.with_name(f"{args.employees.stem}_{k}.csv")
        for k in ("ratings", "history")
    }
    with tempfile.TemporaryDirectory() as scratch:
        request = RunRequest(
            rules=args.rules,
            employees=args.employees,
            out=Path(scratch) / "run",
            rates=BENCH / "rates.csv",
            force=True,
            workers=1,
            **{k: path if path.exists() else None for k, path in beside.items()},
        )
        return _time(request, args.repeat)


def _time(request: RunRequest, repeat: int) -> int:
    kept: list[tuple[list[Any], Any]] = []
    write_items = jobs.write_items

    def keeping(items: Any, files: Any, writes: Any) -> None:
        items = list(items)
        kept.append((items, files))
        write_items(items, files, writes)

    jobs.write_items = keeping  # type: ignore[assignment]
    run_job(request)
    best = float("inf")
    with open(os.devnull, "w", encoding="utf-8", newline="\n") as null:
        for _ in range(repeat):
            started = time.process_time()
            for items, files in kept:
                sinks = [CsvSink(null, f.header) for f in files]
                write_items(items, files, [s.write_line for s in sinks])
            best = min(best, time.process_time() - started)
    count = sum(len(items) for items, _ in kept)
    print(f"{count:,} items: lines made and written in {best:.3f} s CPU (best of {repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
