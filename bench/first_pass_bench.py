"""Time the passes before the final one (group totals, pool claims, solving), in one process.

    .venv/bin/python bench/first_pass_bench.py bench/data/employees_100000_seed42.csv [--repeat 3]

The bench cycle's rulebook over the roster and its companion files, as `incentives run` sets
it up (the fast first pass): per repeat, the CPU time of collecting the partials, pickling and
loading them (what a both-core run's workers hand to the parent), and merging them and solving
the pools (serial, in the parent); then the best of each, and a fingerprint of the group
totals and solved pools, to compare two trees' results as well as their times.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import pickle
import time
from pathlib import Path

from incentives.engine.calculate import calculate
from incentives.job_inputs import read_inputs
from incentives.jobs import RunRequest
from incentives.rulebook.rulebook import load_rules

BENCH = Path(__file__).resolve().parent
PHASES = ("collect", "pickle", "load", "merge+solve")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("employees", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    roster_path: Path = args.employees
    request = RunRequest(
        rules=BENCH / "rules", employees=roster_path, out=Path("unused"),
        rates=BENCH / "rates.csv", workers=1,
        ratings=roster_path.with_name(roster_path.stem + "_ratings.csv"),
        history=roster_path.with_name(roster_path.stem + "_history.csv"),
    )  # fmt: skip
    rulebook = load_rules(request.rules)
    roster, figures, rates = read_inputs(request, rulebook)
    calc = calculate(rulebook, roster, results=figures, rates=rates, exact_first_pass=False)
    steps = calc.plan.before_final()
    runs = []
    for _ in range(args.repeat):
        marks = [time.process_time()]
        parts = [calc.partials(step, step.rows(roster, 0, None)) for step in steps]
        marks.append(time.process_time())
        blob = pickle.dumps(parts, pickle.HIGHEST_PROTOCOL)
        marks.append(time.process_time())
        loaded = pickle.loads(blob)  # our own pickle, just made
        marks.append(time.process_time())
        for step, part in zip(steps, loaded, strict=True):
            calc.apply_partials(step, [part])
        marks.append(time.process_time())
        runs.append([b - a for a, b in itertools.pairwise(marks)])
        print("  ".join(f"{name} {t:.2f}" for name, t in zip(PHASES, runs[-1], strict=True)))
    best = [min(run[k] for run in runs) for k in range(len(PHASES))]
    print("best: " + "  ".join(f"{n} {t:.2f}" for n, t in zip(PHASES, best, strict=True)), end="")
    print(f"  total {sum(best):.2f} s CPU")
    print(f"fingerprint {_fingerprint(calc)}")
    return 0


def _fingerprint(calc: object) -> str:
    digest = hashlib.sha256()
    for bound in calc.bound:  # type: ignore[attr-defined]
        for name, totals in sorted(bound.aggregate_totals.items()):
            digest.update(
                repr((name, sorted((str(k), repr(v)) for k, v in totals.items()))).encode()
            )
        for name, states in sorted(bound.pool_states.items()):
            digest.update(
                repr((name, sorted((str(k), repr(v)) for k, v in states.items()))).encode()
            )
    return digest.hexdigest()[:16]


if __name__ == "__main__":
    raise SystemExit(main())
