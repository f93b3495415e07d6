"""What a compiled line formatter would save: a C prototype's line against the generated ones.

    .venv/bin/python bench/c_line_bench.py /tmp/cmpdata/cycle_20k.csv [--checks 100000]

Run from the project's root, with a C compiler on the machine (`cc`, Python's headers). Builds
`bench/c_line/fastline.c` (a measurement prototype, never part of the package) into a temporary
folder, checks its decimal and money texts against `incentives.io.cells.exact_cell` on
``--checks`` random decimals (every digit count to 30, exponents -30 to 3, both signs, 0 to 12
decimals kept), then keeps one run's outcomes of ROSTER on one core (its `_ratings` and
`_history` files beside it; `pair_lines_bench.dump`) and times, per policy, best of 7:

- its generated pair line (the results line and the breakdown line of an outcome, as a run
  makes them);
- the prototype's line of the same trace: each number, boolean, text and int made in C, each
  tuple (a call's value and match, a policy's goals, an fx rate) by a Python function that
  remembers its text by the tuple's identity, as the generated lines do for what a table keeps;
- of which those tuples' cells alone.

The prototype's line is a model of the cost, not the run's line: it writes every value of the
trace once, in trace order, every decimal at 6 decimals, a tuple as its `str`, and no results
line. What it tells: how much of a line C could take off, and how much stays in the cells that
are not plain numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pair_lines_bench

from incentives.io.cells import exact_cell
from incentives.io.run_outputs import OutputLayout
from incentives.rulebook.rulebook import load_rules

BENCH = Path(__file__).resolve().parent


def build(folder: Path) -> ModuleType:
    """fastline.c compiled into ``folder`` and imported."""
    target = folder / f"fastline{sysconfig.get_config_var('EXT_SUFFIX')}"
    include = sysconfig.get_paths()["include"]
    subprocess.run(
        ["cc", "-O2", "-shared", "-fPIC", f"-I{include}", str(BENCH / "c_line" / "fastline.c"),
         "-o", str(target)],
        check=True,
    )  # fmt: skip
    spec = importlib.util.spec_from_file_location("fastline", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(fastline: ModuleType, count: int) -> int:
    """How many of ``count`` random decimals' texts differ from `exact_cell`'s (printed)."""
    draw, cent, wrong = random.Random(20261207), Decimal("0.01"), 0
    for _ in range(count):
        digits = tuple(draw.randrange(10) for _ in range(draw.randint(1, 30)))
        value = Decimal((draw.randint(0, 1), digits, draw.randint(-30, 3)))
        for kind, unit, places in (("D", None, 0), ("D", None, 6), ("D", None, 12), ("M", cent, 2),
                                   ("M", cent, 6)):  # fmt: skip
            want = exact_cell(value, unit, places)
            slow = partial(exact_cell, unit=unit, places=places)
            got = fastline.line((value,), kind, (slow,), places, 2)
            if got != want + "\n":
                wrong += 1
                print(f"differs: {value!r} {kind} at {places}: {got!r}, exact_cell {want!r}")
    return wrong


def _kinds(trace: tuple[Any, ...]) -> str:
    return "".join(
        "D" if type(v) is Decimal else "B" if type(v) is bool or v is None
        else "I" if type(v) is int else "S" if type(v) is str else "P"
        for v in trace
    )  # fmt: skip


def _remembering() -> Callable[[Any], str]:
    kept: dict[int, tuple[Any, str]] = {}

    def text(value: Any) -> str:
        seen = kept.get(id(value))
        if seen is not None and seen[0] is value:
            return seen[1]
        made = str(value)
        kept[id(value)] = (value, made)
        return made

    return text


def _best(work: Callable[[], object], count: int, repeat: int = 7) -> float:
    """µs an item, best of ``repeat``."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best / count * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster", type=Path, help="a cycle roster, its _ratings/_history beside")
    parser.add_argument("--checks", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        fastline = build(Path(scratch))
        wrong = check(fastline, args.checks)
        print(f"{args.checks:,} random decimals at 5 kinds and decimals: {wrong} texts differ "
              "from exact_cell's")  # fmt: skip
        kept = Path(scratch) / "outcomes.pickle"
        pair_lines_bench.dump(args.roster, kept)
        with kept.open("rb") as handle:
            by_policy = pickle.load(handle)  # our own dump, just made
    layout = OutputLayout(load_rules(BENCH / "rules"))
    print()
    print(
        "| policy | lines | generated pair line µs | C prototype's line µs | of which its tuples |"
    )
    print("|:---|---:|---:|---:|---:|")
    for policy_id, outcomes in by_policy.items():
        kinds = _kinds(outcomes[0][1].trace)
        # the outcomes whose trace has the first one's kinds (a None where a value was is not)
        same = [o for _, o in outcomes if _kinds(o.trace) == kinds]
        other = _remembering()
        at_6 = partial(exact_cell, unit=None, places=6)
        calls = tuple(other if k == "P" else at_6 for k in kinds)
        line = layout.pair_line_of(policy_id)
        made = _best(lambda line=line, same=same: [line("x", o) for o in same], len(same))
        in_c = _best(
            lambda same=same, kinds=kinds, calls=calls: [
                fastline.line(o.trace, kinds, calls, 6, 2) for o in same
            ],
            len(same),
        )
        tuples = _best(
            lambda same=same, other=other: [
                other(v) for o in same for v in o.trace if type(v) is tuple
            ],
            len(same),
        )
        print(f"| {policy_id} | {len(same):,} | {made:.1f} | {in_c:.1f} | {tuples:.1f} |")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
