"""The final pass's usual employee in one generated call per combination of covering policies.

For a row that converted, is covered by the policies of one route (`RowConversion._routes`:
each policy's evaluate function and outcome maker), is left out by no kind and has no history, `route_function` gives ``run(values, item, s)``, equal to what the general path
(`Calculation.evaluated`, then `Calculation._count`) does for it::

    traces = [evaluate(values, item) for _, evaluate, _ in route]  # RowError: returns None
    outcomes = tuple(make(t) for (_, _, make), t in zip(route, traces))
    out = EmployeeOutcome(item.employee_id, file, record, line, outcomes, ())
    s.read += 1; s.computed += 1
    for po in outcomes:                                   # what `_count` adds per outcome
        s.eligible += 1 if po.eligible else 0; s.ineligible += 0 if po.eligible else 1
        for name, code, slot in plan.pay_slots[po.policy.id]:       # money, per currency
            key = (po.currency, name, code)
            s.totals[key] = add_exact(s.totals.get(key, 0), po.trace[slot])
        for key, slot in plan.unit_slots[po.policy.id]:             # shares, points
            s.unit_totals[key] = add_exact(s.unit_totals.get(key, 0), po.trace[slot])
        count_budgets(...); check_funding(...)            # when the policy has them
    return out

with each policy's slots unrolled and each currency's keys made once. A row whose evaluation
raises `RowError` gives None, counted nowhere: the general path evaluates it again and rejects
it with its reason.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from incentives.engine.allocation_passes import budget_slots, check_funding, count_budgets
from incentives.engine.outcome import EmployeeOutcome, Summary
from incentives.engine.run_plan import RunPlan
from incentives.errors import RowError
from incentives.model import EmployeeInput
from incentives.money import EXACT_CONTEXT, add_exact
from incentives.rulebook.runtime.policy import BoundPolicy, run_generated

__all__ = ["RouteRun", "route_function"]

# (values, the row, the summary) → the counted outcome, or None for a row to reject
RouteRun = Callable[[list[Any], EmployeeInput, Summary], "EmployeeOutcome | None"]


def route_function(
    route: Sequence[tuple[BoundPolicy, Callable[..., Any], Callable[..., Any]]],
    plan: RunPlan,
    fundings: dict[str, Any],
) -> RouteRun:
    """``run(values, item, s)`` for the rows covered by ``route``'s policies, in its order (see
    the module docstring); ``fundings``: per policy id with pools, their states and checks."""
    namespace: dict[str, Any] = {
        "RowError": RowError,
        "NEW": tuple.__new__,
        "EO": EmployeeOutcome,
        "ADD": EXACT_CONTEXT.add,  # raises Inexact: `add_exact` then says why
        "ADD_EXACT": add_exact,
        "Inexact": decimal.Inexact,
        "ZERO": Decimal(0),
    }
    count = len(route)
    body = ["def run(values, item, s):", "    try:"]
    for k, (_, evaluate, make) in enumerate(route):
        namespace[f"E{k}"], namespace[f"M{k}"] = evaluate, make
        body.append(f"        t{k} = E{k}(values, item)")
    body += ["    except RowError:", "        return None"]
    body += [f"    o{k} = M{k}(t{k})" for k in range(count)]
    outcomes = "".join(f"o{k}, " for k in range(count))
    body += [
        "    src = item.source",
        f"    out = NEW(EO, (item.employee_id, src.file, src.record, src.line, ({outcomes}), ()))",
        "    s.read += 1",
        "    s.computed += 1",
        f"    eligible = {' + '.join(f'o{k}[2]' for k in range(count))}",
        "    s.eligible += eligible",
        f"    s.ineligible += {count} - eligible",
    ]
    for k, (bound, _, _) in enumerate(route):
        body += _tally(k, bound, plan, fundings.get(bound.policy.id), namespace)
    body.append("    return out")
    # generated from the policies' slot numbers (names and keys are given in the namespace,
    # never quoted into the source)
    run: RouteRun = run_generated("final route", "\n".join(body) + "\n", namespace, "run")
    return run


def _tally(
    k: int, bound: BoundPolicy, plan: RunPlan, fundings: Any, namespace: dict[str, Any]
) -> list[str]:
    """What the ``k``-th outcome adds to the summary beyond its eligibility (`_count`'s loop
    body for one outcome, unrolled)."""
    policy = bound.policy
    pay = plan.pay_slots[policy.id]
    budgets = budget_slots(plan.budgets.get(policy.id) or ())
    lines = [f"    t, cur = t{k}, o{k}[4]"] if pay or budgets else [f"    t = t{k}"]
    if pay:
        namespace[f"PAY{k}"] = tuple((name, code) for name, code, _ in pay)
        namespace[f"KEYS{k}"] = {}  # per currency, the totals' keys of the pay slots
        keys = "".join(f"k{i}, " for i in range(len(pay)))
        lines += [
            f"    keys = KEYS{k}.get(cur)",
            "    if keys is None:",
            f"        keys = KEYS{k}[cur] = tuple([(cur, name, code) for name, code in PAY{k}])",
            f"    ({keys}) = keys",
            "    totals = s.totals",
        ]
        for i, (_, _, slot) in enumerate(pay):
            lines += _exact_add("totals", f"k{i}", f"t[{slot}]")
    units = plan.unit_slots[policy.id]
    if units:
        lines.append("    units = s.unit_totals")
        for i, (key, slot) in enumerate(units):
            namespace[f"U{k}_{i}"] = key
            lines += _exact_add("units", f"U{k}_{i}", f"t[{slot}]")
    if budgets:
        namespace.update({"COUNT_BUDGETS": count_budgets, f"PID{k}": policy.id})
        namespace[f"BUDGETS{k}"] = budgets
        lines.append(f"    COUNT_BUDGETS(s, PID{k}, BUDGETS{k}, t, cur)")
    if fundings is not None:
        namespace.update({"CHECK_FUNDING": check_funding, f"PID{k}": policy.id})
        namespace[f"FUNDINGS{k}"] = fundings
        lines.append(f"    CHECK_FUNDING(s, PID{k}, FUNDINGS{k}, t, item.employee_id)")
    return lines


def _exact_add(totals: str, key: str, amount: str) -> list[str]:
    """``totals[key] += amount`` exactly (`add_exact` inline: it raises, saying why)."""
    return [
        "    try:",
        f"        {totals}[{key}] = ADD({totals}.get({key}, ZERO), {amount})",
        "    except Inexact:",
        f"        ADD_EXACT({totals}.get({key}, ZERO), {amount})",
        "        raise",
    ]
