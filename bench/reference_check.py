"""Check that the reference policy in our language (bench/reference/) gives exactly the results
of the hand-written baseline (impl_plain.py), every column of every employee.

    .venv/bin/python bench/reference_check.py [-n 10000] [--seed 20260101]
        [--baseline ../shared/bench-baseline] [--show 10] [--rules bench/reference]

Generates a roster with the baseline's gen_employees.py (seeded, cached in bench/data/reference/),
runs impl_plain.py and `incentives run --rules bench/reference` on it, and compares the baseline's
six columns with ours, as text, exactly:

| baseline column      | ours (results.csv)                                                  |
|:---------------------|:--------------------------------------------------------------------|
| employee_id          | employee_id, in the same order, one row per policy kind             |
| bonus                | `bonus` (pay component) of the row of kind bonus                    |
| merit_pct            | `merit_pct` (an output, a fraction) of the row of kind merit × 100  |
| new_salary           | `new_salary` (an output) of the row of kind merit                   |
| lump_sum             | `lump_sum` (pay component) of the row of kind merit                 |
| promotion_eligible   | `ready` of the row of kind promotion                                |

Our amounts must be exact at two decimals (a figure with more decimals is a mismatch, never
rounded here). Prints the first mismatches with the employee's roster row, the counts per
column, and exits 1 on any mismatch (or any rejected row), 0 when every value is equal.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

import reference_setup as setup

COLUMNS = ("employee_id", "bonus", "merit_pct", "new_salary", "lump_sum", "promotion_eligible")
# (baseline column, our policy kind, our results.csv column, conversion)
MAPPING = (
    ("bonus", "bonus", "bonus", "money"),
    ("merit_pct", "merit", "merit_pct", "percent"),
    ("new_salary", "merit", "new_salary", "money"),
    ("lump_sum", "merit", "lump_sum", "money"),
    ("promotion_eligible", "promotion", "ready", "flag"),
)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="employees (default %(default)s)")
    parser.add_argument("--show", type=int, default=10, help="mismatches to print in full")
    parser.add_argument(
        "--rules", type=Path, default=setup.POLICY, help="the policy folder (default %(default)s)"
    )
    setup.add_common_arguments(parser)
    args = parser.parse_args()

    roster = setup.generated_roster(args.baseline, args.n, args.seed, args.data)
    ours_roster = setup.roster_for_incentives(roster, args.data)
    work = args.data / f"check_{args.n}_seed{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    plain_out = work / "plain_out.csv"
    ours_out = work / "incentives"
    _run("impl_plain.py", setup.baseline_command(args.baseline, roster, plain_out), None)
    _run(
        "incentives run",
        setup.incentives_command(ours_roster, ours_out, args.rules),
        setup.incentives_env(),
    )

    expected = _read_baseline(plain_out)
    ours, problems = _read_ours(ours_out)
    problems += _rejections(ours_out / "rejected.csv")
    mismatches, counts = _compare(expected, ours, problems)
    _report(roster, mismatches, counts, problems, args.show)
    if problems or mismatches:
        print(f"FAIL: {len(mismatches):,} of {len(expected):,} employees differ, "
              f"{len(problems)} other problem(s)")  # fmt: skip
        return 1
    print(f"OK: {len(expected):,} employees, every one of the {len(COLUMNS)} columns equal "
          f"(roster {roster.name}, seed {args.seed})")  # fmt: skip
    return 0


def _run(what: str, command: list[str], env: dict[str, str] | None) -> None:
    print(f"running {what}: {' '.join(command)}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {what} exited {done.returncode}:\n{done.stderr}")
    print(f"  {time.perf_counter() - start:.2f} s", flush=True)


def _read_baseline(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if tuple(header) != COLUMNS:
            sys.exit(f"error: {path} has columns {header}, expected {list(COLUMNS)}")
        return list(reader)


def _read_ours(run: Path) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    """Our results as (employee_id, {baseline column: text}) in roster order, converted to the
    baseline's formats; and the structural problems found (a kind missing or repeated)."""
    rows: dict[str, dict[str, str]] = {}
    order: list[str] = []
    seen: Counter[tuple[str, str]] = Counter()
    problems: list[str] = []
    with open(run / "results.csv", newline="") as fh:
        for record in csv.DictReader(fh):
            eid, kind = record["employee_id"], record["kind"]
            seen[eid, kind] += 1
            if eid not in rows:
                rows[eid] = {}
                order.append(eid)
            for column, want_kind, ours, conversion in MAPPING:
                if kind == want_kind:
                    rows[eid][column] = _convert(record[ours], conversion)
    for (eid, kind), times in seen.items():
        if times != 1:
            problems.append(f"{eid}: {times} results rows of kind {kind}")
    return [(eid, rows[eid]) for eid in order], problems


def _convert(text: str, conversion: str) -> str:
    """Our cell in the baseline's format; a value not exact at two decimals is kept as written
    (marked), so that it can only mismatch."""
    if conversion == "flag":
        return text
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"{text!r} (not a number)"
    if conversion == "percent":
        value *= HUNDRED
    if value != value.quantize(CENT):
        return f"{value} (more than two decimals)"
    return format(value.quantize(CENT), "f")


def _rejections(path: Path) -> list[str]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return [f"rejected: {', '.join(row)}" for row in rows]


def _compare(
    expected: list[list[str]],
    ours: list[tuple[str, dict[str, str]]],
    problems: list[str],
) -> tuple[list[tuple[int, list[str], dict[str, str]]], Counter[str]]:
    if len(ours) != len(expected):
        problems.append(f"{len(expected):,} baseline rows but {len(ours):,} employees in ours")
    mismatches = []
    counts: Counter[str] = Counter()
    for index, (want, (eid, got)) in enumerate(zip(expected, ours, strict=False)):
        if want[0] != eid:
            problems.append(f"row {index + 1}: baseline {want[0]}, ours {eid} (order differs)")
            break
        differing = [
            column
            for column, text in zip(COLUMNS[1:], want[1:], strict=True)
            if got.get(column) != text
        ]
        if differing:
            counts.update(differing)
            mismatches.append((index, want, got))
    return mismatches, counts


def _report(
    roster: Path,
    mismatches: list[tuple[int, list[str], dict[str, str]]],
    counts: Counter[str],
    problems: list[str],
    show: int,
) -> None:
    for problem in problems[:show]:
        print(f"problem: {problem}")
    if not mismatches:
        return
    print("mismatches by column: " + ", ".join(f"{c} {counts[c]:,}" for c in COLUMNS if counts[c]))
    wanted = {index for index, _, _ in mismatches[:show]}
    with open(roster, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        inputs = {i: row for i, row in enumerate(reader) if i in wanted}
    for index, want, got in mismatches[:show]:
        print(f"\n{want[0]} (roster line {index + 2}):")
        print(
            "  roster: " + ", ".join(f"{h}={v}" for h, v in zip(header, inputs[index], strict=True))
        )
        for column, text in zip(COLUMNS[1:], want[1:], strict=True):
            mark = "  " if got.get(column) == text else "≠ "
            print(f"  {mark}{column}: baseline {text}, ours {got.get(column, '(missing)')}")


if __name__ == "__main__":
    sys.exit(main())
