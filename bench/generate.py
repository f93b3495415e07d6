"""Seeded generator of synthetic rosters for bench/rules/bench_bonus.yaml.

    python bench/generate.py N OUT.csv [--seed 42]

Rows are written as they are generated (nothing is held in memory), to OUT.csv.tmp first and then
renamed, so an interrupted run never leaves a truncated roster behind. The output depends only on
N, the seed and this file: the same N and seed give identical bytes.

Distributions (approximate): units Sales 30 % / Engineering 35 % / Finance 10 % / Operations 25 %;
levels 1-8 as a pyramid; salaries log-normal around a per-level midpoint; 70 % USD, 30 % EUR;
10 % part-time; 10 % hired during 2026 (some after the 1 October eligibility cut-off); 5 % leaving
during 2026 (some before 1 October: ineligible); ratings 5/25/55/10/5 % from Exceptional down to
Does Not Meet; 1 % on a PIP; 15 % with an individual modifier; 3 % with a negative adjustment;
three goals per employee (15 % of them lower-is-better) with weights summing to 100 %.
"""

from __future__ import annotations

import argparse
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


def rows(n: int, seed: int):
    """Yield n roster rows (lists of strings), deterministically from the seed."""
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
        yield row


def generate(n: int, out: Path, seed: int = 42) -> None:
    tmp = out.with_name(out.name + ".tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "w", newline="", encoding="utf-8", buffering=1 << 20) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        batch: list[list[str]] = []
        for row in rows(n, seed):
            batch.append(row)
            if len(batch) >= 10000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)
    os.replace(tmp, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of employees")
    parser.add_argument("out", type=Path, help="roster CSV to write")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    generate(args.n, args.out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
