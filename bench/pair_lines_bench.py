"""Make the pair lines (results + breakdown) of a cycle's outcomes again, for an instruction count.

    python bench/pair_lines_bench.py dump ROSTER OUT.pkl   # one run on one core; its outcomes
    python bench/pair_lines_bench.py time OUT.pkl REPEAT [POLICY]

``dump`` keeps each policy's outcomes (pickled in one dump, so the objects a table or a rate
shares stay shared); ``time`` builds the layout from ``bench/rules`` of the current folder and
makes every pair line ``REPEAT`` times. Under ``valgrind --tool=cachegrind``, one steady pass
costs ``(instructions at REPEAT 3 - at REPEAT 1) / 2``: load does not change it. ROSTER's
``_ratings`` and ``_history`` files are read from beside it.
"""

from __future__ import annotations

import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import incentives.jobs as jobs
from incentives.engine.outcome import EmployeeOutcome
from incentives.io.run_outputs import OutputLayout
from incentives.jobs import RunRequest, run_job
from incentives.rulebook.rulebook import load_rules


class Outcome(NamedTuple):
    """What a pair line reads of a policy outcome."""

    currency: str
    eligible: bool
    zero_reason: str
    notes: str
    ready: Any
    gaps: str
    trace: tuple[Any, ...]


def dump(roster: Path, out: Path) -> None:
    kept: list[list[Any]] = []
    write_items = jobs.write_items

    def keeping(items: Any, files: Any, writes: Any) -> None:
        items = list(items)
        kept.append(items)
        write_items(items, files, writes)

    jobs.write_items = keeping  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as scratch:
        run_job(
            RunRequest(
                rules=Path("bench/rules"),
                employees=roster,
                out=Path(scratch) / "run",
                rates=Path("bench/rates.csv"),
                force=True,
                workers=1,
                ratings=roster.with_name(roster.stem + "_ratings.csv"),
                history=roster.with_name(roster.stem + "_history.csv"),
            )
        )
    by_policy: dict[str, list[tuple[str, Outcome]]] = {}
    for items in kept:
        for item in items:
            if isinstance(item, EmployeeOutcome):
                for po in item.outcomes:
                    outcome = Outcome(
                        po.currency, po.eligible, po.zero_reason, po.notes, po.ready, po.gaps, po.trace
                    )
                    by_policy.setdefault(po.policy.id, []).append((item.employee_id, outcome))
    with out.open("wb") as handle:
        pickle.dump(by_policy, handle, protocol=5)


def make_lines(path: Path, repeat: int, only: str) -> None:
    with path.open("rb") as handle:
        by_policy = pickle.load(handle)  # our own dump
    layout = OutputLayout(load_rules(Path("bench/rules")))
    for policy_id, outcomes in by_policy.items():
        if only not in policy_id:
            continue
        line = layout.pair_line_of(policy_id)
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            for employee_id, outcome in outcomes:
                line(employee_id, outcome)
            best = min(best, time.process_time() - started)
        print(f"{policy_id}: {len(outcomes):,} lines, best {best * 1e3:.1f} ms CPU")


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        make_lines(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
