"""Several plans per person: which policies of one kind may cover the same employee.

An employee covered by two or more policies of one kind is rejected, naming them, unless every
one of them declares the same ``plan_group`` in its header (an annual bonus and a quarterly
sales incentive): then each computes the employee, and results.csv has a row per policy as
always. A plan group with ``transfers: weighted`` also covers an employee whose population held
in some segment of its performance period by the dated history (a transfer between plans), its
``participation`` step weighing the days in which it held.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from incentives.engine.run_plan import RunPlan
from incentives.engine.segments import period_segments, read_history
from incentives.errors import RowError
from incentives.model import EmployeeInput
from incentives.rulebook.runtime.policy import BoundPolicy, CompiledPolicy

__all__ = ["one_group", "transfer_bits", "transferred_into", "undeclared_groups"]


def _group(policy: CompiledPolicy) -> str | None:
    group = policy.spec.policy.plan_group
    return None if group is None else group.name


def one_group(policies: Sequence[CompiledPolicy]) -> bool:
    """Whether several policies of one kind all declare the same plan group."""
    groups = {_group(p) for p in policies}
    return len(policies) > 1 and len(groups) == 1 and None not in groups


def undeclared_groups(policies: Sequence[CompiledPolicy]) -> str:
    """What to add to the message rejecting double coverage when some of the policies declare
    a plan group (nothing when none does: the message is as it always was)."""
    if all(_group(p) is None for p in policies):
        return ""
    said = ", ".join(
        f"{p.id}: {'no plan_group' if _group(p) is None else repr(_group(p))}" for p in policies
    )
    return f" unless each of them declares the same plan_group ({said})"


def transfer_bits(
    bits: Sequence[tuple[int, BoundPolicy]],
) -> tuple[tuple[int, BoundPolicy], ...]:
    """The policies (and their coverage bits) whose plan group weighs transfers."""
    found = []
    for bit, bound in bits:
        group = bound.policy.spec.policy.plan_group
        if group is not None and group.transfers == "weighted":
            found.append((bit, bound))
    return tuple(found)


def transferred_into(
    transfers: Sequence[tuple[int, BoundPolicy]],
    plan: RunPlan,
    emp: EmployeeInput,
    values: list[Any],
    mask: int,
) -> int:
    """``mask`` with the bit of each transfer-weighing policy whose population held in some
    segment of its period by the employee's history. A history the engine cannot read adds
    nothing here: the policies weighing it reject the employee with its reason."""
    converters = plan.field_converters
    history = None
    for bit, bound in transfers:
        if mask & bit:
            continue
        if history is None:
            history = read_history(emp, converters)
        if not isinstance(history, tuple):
            return mask
        period = bound.policy.spec.policy.performance_period
        segments = period_segments(emp, history, period.start, period.end)
        if not isinstance(segments, tuple):
            continue
        for segment in segments:
            seen = list(values)
            for name, value in segment.values.items():
                index = plan.field_index.get(name)
                if index is not None:
                    seen[index] = value
            try:
                held = bound.population(seen)
            except RowError:
                held = False  # the roster's own value decides how the row is rejected
            if held:
                mask |= bit
                break
    return mask
