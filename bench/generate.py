"""Seeded generator of synthetic compensation-cycle inputs for the policies in bench/rules/.

    python bench/generate.py N OUT.csv [--seed 42]

writes three files in one streaming pass:

    OUT.csv            the roster (one row per employee: bonus, merit and promotion columns)
    OUT_ratings.csv    rating history: employee_id, cycle, rating (cycles 2026, 2025, 2024)
    OUT_history.csv    dated changes: employee_id, effective_date, base_salary, fte, level

(`OUT_ratings.csv` is OUT's stem + `_ratings.csv`, next to OUT; see `companions()`.) Rows are
written as they are generated (nothing is held in memory), each file to NAME.tmp first and then
renamed, so an interrupted run never leaves a truncated file behind. The output depends only on
N, the seed and this file: the same N and seed give identical bytes.

The bonus columns (the first 29) come from `random.Random(seed)` exactly as before the cycle
columns were added, so they are byte-identical to the bonus-only rosters of earlier benchmarks;
the cycle columns, ratings and history come from a second generator seeded from the same seed.

Distributions (approximate): units Sales 30 % / Engineering 35 % / Finance 10 % / Operations 25 %;
levels 1-8 as a pyramid; salaries log-normal around a per-level midpoint; 70 % USD, 30 % EUR;
10 % part-time; 10 % hired during 2026 (some after the 1 October eligibility cut-off); 5 % leaving
during 2026 (some before 1 October: ineligible); ratings 5/25/55/10/5 % from Exceptional down to
Does Not Meet; 1 % on a PIP; 15 % with an individual modifier; 3 % with a negative adjustment;
three goals per employee (15 % of them lower-is-better) with weights summing to 100 %.

Cycle columns: grade `G<level>`; country US for USD, DE 60 % / FR 40 % for EUR; status `leaver`
for everyone with a termination date, `notice` for 1 % of the others, else `active`; a manager's
merit proposal for 30 % (centred by rating, 0 % to 8 % in half points, so some fall outside the
guideline and are flagged and clamped, none far enough above it to be rejected); `new_grade` one
grade up for 5 % (never at the top grade G8); `level_start_date` between the hire date and
2026-12-31 (the hire date for 35 %); `last_promotion_date` = the level start date when that is
after the hire date, except for 10 % of those (empty: the policy then counts from the hire date).

Ratings: three cycles per employee, 2026 being the roster's rating and the earlier ones drawn
around it; 3 % of employees miss one of the three cycles (no row for it).

History, for 10 % of employees (a few fewer: not those with fewer days of 2026 after its first
day than changes, e.g. hired on 31 December): an opening row dated 2026-01-01 with the values in
force at the start, then 1-3 dated changes inside 2026 (after the hire date, up to the
termination date) of base_salary (a raise of 3-10 %), fte, or level (one level up, with a raise;
the level start and last promotion dates are then that change's date). The values after the last
change are the roster's. Rows are in roster order and, per employee, in ascending date order.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import sys
from datetime import date
from pathlib import Path

COLUMNS = [
    "employee_id", "name", "plan", "unit", "level", "base_salary", "fte", "currency",
    "hire_date", "termination_date", "rating", "on_pip", "individual_modifier", "adjustment",
]
for _g in (1, 2, 3):
    COLUMNS += [f"goal{_g}_{f}" for f in ("name", "target", "actual", "weight", "direction")]
# Read by bench_merit.yaml and bench_promotion.yaml (after the bonus columns, unchanged above).
COLUMNS += [
    "grade", "country", "status", "proposal", "new_grade", "level_start_date",
    "last_promotion_date",
]
RATING_COLUMNS = ["employee_id", "cycle", "rating"]
HISTORY_COLUMNS = ["employee_id", "effective_date", "base_salary", "fte", "level"]
CYCLES = ["2026", "2025", "2024"]  # most recent first; 2026 is the roster's rating

UNITS = ["Sales", "Engineering", "Finance", "Operations"]
UNIT_WEIGHTS = [30, 35, 10, 25]
LEVELS = [1, 2, 3, 4, 5, 6, 7, 8]
LEVEL_WEIGHTS = [20, 22, 20, 15, 10, 7, 4, 2]
# Midpoint annual base salary (USD) per level.
LEVEL_MID = {1: 42000, 2: 55000, 3: 68000, 4: 85000, 5: 110000, 6: 145000, 7: 190000, 8: 260000}
EUR_PER_USD = 0.92
RATINGS = ["Exceptional", "Exceeds", "Meets", "Partially Meets", "Does Not Meet"]
RATING_WEIGHTS = [5, 25, 55, 10, 5]
# Attainment centre by rating (better-rated employees hit more of their goals).
RATING_ATTAINMENT = {"Exceptional": 1.25, "Exceeds": 1.10, "Meets": 1.00,
                     "Partially Meets": 0.88, "Does Not Meet": 0.75}
PART_TIME = ["0.5", "0.6", "0.8", "0.9"]
MODIFIERS = ["0.8", "0.85", "0.9", "0.95", "1", "1.05", "1.1", "1.15", "1.2"]
WEIGHT_SETS = [("50%", "30%", "20%"), ("40%", "30%", "30%"), ("60%", "20%", "20%"),
               ("34%", "33%", "33%"), ("0.5", "0.25", "0.25")]
# (name, typical target, decimals, direction)
GOALS = {
    "Sales": [("Revenue", 1200000, 0, "higher"), ("New accounts", 250, 0, "higher"),
              ("Customer NPS", 40, 1, "higher"), ("Churned accounts", 30, 0, "lower")],
    "Engineering": [("Release milestones", 20, 0, "higher"), ("Uptime hours", 8000, 0, "higher"),
                    ("Defects escaped", 25, 0, "lower"), ("Project delivery", 100, 0, "higher")],
    "Finance": [("Close accuracy", 200, 0, "higher"), ("Audit findings closed", 60, 0, "higher"),
                ("Days to close", 6, 1, "lower"), ("Project delivery", 100, 0, "higher")],
    "Operations": [("Units shipped", 50000, 0, "higher"), ("On-time delivery", 95, 1, "higher"),
                   ("Scrap rate", 4, 2, "lower"), ("Project delivery", 100, 0, "higher")],
}
FIRST = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy", "Jordan",
         "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Taylor"]
LAST = ["Stone", "Chen", "Diaz", "Ellis", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
        "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Singh", "Tanaka",
        "Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer"]

PERIOD_START = date(2026, 1, 1).toordinal()
PERIOD_END = date(2026, 12, 31).toordinal()
EARLIEST_HIRE = date(1995, 1, 1).toordinal()


def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _fmt(value: float, decimals: int) -> str:
    if decimals == 0:
        return str(round(value))
    return f"{value:.{decimals}f}"


def companions(out: Path) -> tuple[Path, Path]:
    """The ratings and history files written next to the roster OUT: OUT stem + suffix."""
    return (out.with_name(out.stem + "_ratings.csv"), out.with_name(out.stem + "_history.csv"))


# Proposal centre by rating value (percentage points) and the half-point steps around it.
PROPOSAL_CENTRE = {1: 0.0, 2: 1.0, 3: 2.5, 4: 3.5, 5: 5.0}
PROPOSAL_NOISE = [-1.5, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0]
RATING_VALUE = {"Exceptional": 5, "Exceeds": 4, "Meets": 3, "Partially Meets": 2,
                "Does Not Meet": 1}
RATING_LABEL = {v: k for k, v in RATING_VALUE.items()}
PAST_DRIFT = [-1, 0, 0, 0, 1]  # an earlier cycle's rating: the later one's, give or take one
FTE_VALUES = ["1", "0.9", "0.8", "0.6", "0.5"]


def cycle_rows(rng: random.Random, row: list[str]):
    """The cycle columns (appended to row), rating rows and history rows of one employee."""
    rnd = rng.random
    employee_id, level, salary_text, fte_text = row[0], int(row[4]), row[5], row[6]
    currency, hire_text, termination_text, rating = row[7], row[8], row[9], row[10]
    hire = date.fromisoformat(hire_text).toordinal()
    end = date.fromisoformat(termination_text).toordinal() if termination_text else PERIOD_END

    # -- history: 10 % of employees with enough of 2026 to place the changes
    first = max(hire, PERIOD_START) + 1
    history: list[list[str]] = []
    level_change_date = None
    k = rng.choice((1, 1, 2, 2, 3)) if rnd() < 0.10 else 0
    if k and end - first + 1 >= k:
        dates = sorted(rng.sample(range(first, end + 1), k))
        kinds = [rng.choices(("base_salary", "fte", "level"), (50, 25, 25))[0] for _ in dates]
        # walk back from the roster's (end-of-period) values to those in force before each change
        salary, fte, lvl = float(salary_text), fte_text or "1", level
        after: list[list[str]] = []
        for when, kind in zip(reversed(dates), reversed(kinds), strict=True):
            cells = ["", "", ""]
            if kind == "level" and lvl > 1 and level_change_date is None:
                level_change_date = when
                cells[2] = str(lvl)
                cells[0] = f"{salary:.2f}"
                lvl -= 1
                salary /= 1.08 + 0.04 * rnd()
            elif kind == "fte":
                cells[1] = fte
                fte = rng.choice([f for f in FTE_VALUES if f != fte])
            else:
                cells[0] = f"{salary:.2f}"
                salary /= 1.03 + 0.07 * rnd()
            after.append([employee_id, _iso(when), *cells])
        history.append([employee_id, _iso(PERIOD_START), f"{salary:.2f}", fte, str(lvl)])
        history += reversed(after)

    # -- the cycle columns
    grade = f"G{level}"
    country = "US" if currency == "USD" else ("DE" if rnd() < 0.60 else "FR")
    status = "leaver" if termination_text else ("notice" if rnd() < 0.01 else "active")
    value = RATING_VALUE[rating]
    proposal = ""
    if rnd() < 0.30:
        points = max(0.0, PROPOSAL_CENTRE[value] + rng.choice(PROPOSAL_NOISE))
        proposal = f"{points:g}%"
    new_grade = f"G{level + 1}" if level < 8 and rnd() < 0.05 else ""
    if level_change_date is not None:
        level_start = level_change_date
    elif rnd() < 0.35:
        level_start = hire
    else:
        level_start = rng.randint(hire, PERIOD_END)
    last_promotion = _iso(level_start) if level_start > hire and rnd() >= 0.10 else ""
    row += [grade, country, status, proposal, new_grade, _iso(level_start), last_promotion]

    # -- rating history: 2026 is the roster's rating; 3 % miss one cycle
    ratings = [value]
    for _ in CYCLES[1:]:
        ratings.append(min(5, max(1, ratings[-1] + rng.choice(PAST_DRIFT))))
    skip = rng.choice(CYCLES) if rnd() < 0.03 else None
    rating_rows = [
        [employee_id, cycle, RATING_LABEL[r]]
        for cycle, r in zip(CYCLES, ratings, strict=True)
        if cycle != skip
    ]
    return rating_rows, history


def rows(n: int, seed: int):
    """Yield n (roster row, rating rows, history rows), deterministically from the seed."""
    cycle_rng = random.Random(f"cycle-{seed}")
    rng = random.Random(seed)
    rnd = rng.random
    choices = rng.choices
    width = max(7, len(str(n)))
    for i in range(1, n + 1):
        unit = choices(UNITS, UNIT_WEIGHTS)[0]
        level = choices(LEVELS, LEVEL_WEIGHTS)[0]
        rating = choices(RATINGS, RATING_WEIGHTS)[0]
        currency = "EUR" if rnd() < 0.30 else "USD"
        salary = LEVEL_MID[level] * rng.lognormvariate(0.0, 0.12)
        if currency == "EUR":
            salary *= EUR_PER_USD
        # Most salaries are whole multiples of 50; one in five carries cents.
        base_salary = f"{salary:.2f}" if rnd() < 0.2 else str(round(salary / 50) * 50)
        r = rnd()
        fte = "" if r < 0.45 else ("1" if r < 0.90 else rng.choice(PART_TIME))

        if rnd() < 0.10:  # hired during 2026
            hire = rng.randint(PERIOD_START + 1, PERIOD_END)
        else:
            hire = rng.randint(EARLIEST_HIRE, PERIOD_START - 1)
        termination = ""
        if rnd() < 0.05:  # leaves during 2026, after being hired
            termination = _iso(rng.randint(max(hire, PERIOD_START), PERIOD_END))

        r = rnd()
        on_pip = "true" if r < 0.01 else ("false" if r < 0.60 else "")
        modifier = rng.choice(MODIFIERS) if rnd() < 0.15 else ""
        adjustment = f"-{rng.randint(1, 10)}%" if rnd() < 0.03 else ""

        row = [
            f"{i:0{width}d}",
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "AIP", unit, str(level), base_salary, fte, currency, _iso(hire), termination,
            rating, on_pip, modifier, adjustment,
        ]
        centre = RATING_ATTAINMENT[rating]
        weights = rng.choice(WEIGHT_SETS)
        for (name, target, decimals, direction), weight in zip(
            rng.sample(GOALS[unit], 3), weights, strict=True
        ):
            t = target * (0.8 + 0.4 * rnd())
            if decimals == 0:
                t = max(1, round(t))
            attainment = min(1.7, max(0.3, rng.gauss(centre, 0.15)))
            actual = t * attainment if direction == "higher" else t * (2 - attainment)
            row += [name, _fmt(t, decimals), _fmt(max(0.0, actual), decimals), weight, direction]
        rating_rows, history = cycle_rows(cycle_rng, row)
        yield row, rating_rows, history


def generate(n: int, out: Path, seed: int = 42) -> tuple[Path, Path, Path]:
    """Write the roster OUT and its ratings and history companions; return the three paths."""
    ratings_path, history_path = companions(out)
    paths = (out, ratings_path, history_path)
    tmps = [p.with_name(p.name + ".tmp") for p in paths]
    out.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        writers = []
        for tmp, header in zip(tmps, (COLUMNS, RATING_COLUMNS, HISTORY_COLUMNS), strict=True):
            fh = stack.enter_context(
                open(tmp, "w", newline="", encoding="utf-8", buffering=1 << 20)
            )
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writers.append(writer)
        roster_w, ratings_w, history_w = writers
        batch: list[list[str]] = []
        rating_batch: list[list[str]] = []
        history_batch: list[list[str]] = []
        for row, rating_rows, history in rows(n, seed):
            batch.append(row)
            rating_batch += rating_rows
            history_batch += history
            if len(batch) >= 10000:
                roster_w.writerows(batch)
                ratings_w.writerows(rating_batch)
                history_w.writerows(history_batch)
                batch.clear()
                rating_batch.clear()
                history_batch.clear()
        roster_w.writerows(batch)
        ratings_w.writerows(rating_batch)
        history_w.writerows(history_batch)
    for tmp, path in zip(tmps, paths, strict=True):
        os.replace(tmp, path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of employees")
    parser.add_argument(
        "out", type=Path,
        help="roster CSV to write (OUT_ratings.csv and OUT_history.csv are written beside it)",
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    generate(args.n, args.out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
