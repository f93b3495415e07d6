"""The first pass's functions give the values the final pass records, calling for values alone.

`stage1` (and `stage1_full`) record no trace: they call a scorecard for its score alone, fx for
its amount alone and weigh a weighted step for its value alone (`codegen._untraced`). Whatever
they give a group total or a pool must be, digit for digit and exponent for exponent, what
`evaluate` records for the same row in the slots of the aggregated step and the pool's award.
"""

from __future__ import annotations

import decimal
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, RATES, RULES
from incentives.engine.calculate import calculate
from incentives.job_inputs import read_inputs
from incentives.jobs import RunRequest
from incentives.model import Rejection
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.rulebook import load_rules
from incentives.rulebook.runtime.policy import BoundPolicy

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _bench_roster(tmp_path: Path) -> tuple[Path, Path, Path]:
    """300 employees of the bench cycle, with ratings and dated history (bench/generate.py)."""
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    roster, ratings, history = module.generate(300, tmp_path / "cycle.csv", seed=7)
    return roster, ratings, history


def _expected(bound: BoundPolicy, trace: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """What stage1 gives a row, read from evaluate's trace: None for a row not eligible."""
    policy = bound.policy
    slot = {(s.kind, s.name): i for i, s in enumerate(policy.slots)}
    if not all(trace[i] for i in policy.eligibility_slots):
        return None

    def value(name: str | None) -> Any:
        return None if name is None else trace[slot[("input", name)]]

    pairs = tuple((value(a.by), trace[slot[("step", a.of)]]) for a in policy.aggregates)
    members = tuple(
        (value(pool.by), True, trace[slot[("step", f"{pool.name}_award_in")]], None)
        for pool in (policy.pools if policy.pools_in_first_pass else ())
    )
    return pairs, members


def _check(request: RunRequest, exact: bool) -> int:
    rulebook = load_rules(request.rules)
    roster, figures, rates = read_inputs(request, rulebook)
    calc = calculate(rulebook, roster, results=figures, rates=rates, exact_first_pass=exact)
    step = calc.plan.before_final()[0]
    stage = "all" if exact else "first"
    calc.apply_partials(step, [calc.partials(step, step.rows(roster, 0, None))])  # totals set
    compared = 0
    with decimal.localcontext(ENGINE_CONTEXT):
        for item, values, bound, segments in calc._covered(
            step.rows(roster, 0, None), (), stage, lambda b: b.policy.first_pass
        ):
            stage1 = bound.stage1_full if exact else bound.stage1
            try:
                found = stage1(values, item, segments)
            except Exception:  # rejected: the final pass rejects it too, with its reason
                continue
            final = calc._values(item, "all")  # as the final pass converts it
            if isinstance(final, Rejection):
                continue  # rejected there: its count is checked by `counted_before`
            trace = bound.evaluate(final[0], item, segments)
            assert repr(found) == repr(_expected(bound, trace)), item.employee_id
            compared += 1
    return compared


@pytest.mark.parametrize("exact", [False, True])
def test_the_bench_cycles_first_pass_gives_what_evaluate_records(
    tmp_path: Path, exact: bool
) -> None:
    """The bench bonus: a unit total of USD target bonuses (fx of a weighted step) and a pool
    of USD bonuses (a scorecard, fx), for 300 generated employees, some with dated history."""
    roster, ratings, history = _bench_roster(tmp_path)
    request = RunRequest(
        rules=BENCH / "rules", employees=roster, out=tmp_path / "out", rates=BENCH / "rates.csv",
        ratings=ratings, history=history,
    )  # fmt: skip
    assert _check(request, exact) > 250


def test_the_samples_first_pass_gives_what_evaluate_records(tmp_path: Path) -> None:
    request = RunRequest(
        rules=RULES, employees=FIXTURES / "employees.csv", out=tmp_path / "out", rates=RATES
    )
    assert _check(request, exact=False) > 0
