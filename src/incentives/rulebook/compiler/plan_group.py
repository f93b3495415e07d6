"""Several plans per person: the step a plan group with weighted transfers adds.

A policy whose header declares ``plan_group: {name: …, transfers: weighted}`` covers an
employee whose population holds in any segment of its period (see
`incentives.engine.row_values`), and its steps read ``participation``: the share of the period
in which the population held, weighed over the history's segments like any weighted step
(``1`` in a segment the population holds, ``0`` otherwise). It is an ordinary step, so the
breakdown records it and its segments, and ``explain`` shows them.
"""

from __future__ import annotations

from incentives.rulebook.compiler.allocations import Synthetic
from incentives.rulebook.language.schema import PolicyFile, StepSpec

__all__ = ["PARTICIPATION", "expand_plan_group"]

PARTICIPATION = "participation"

_Issue = tuple[tuple[str | int, ...], str, str]


def expand_plan_group(spec: PolicyFile) -> tuple[PolicyFile, dict[str, Synthetic], list[_Issue]]:
    """The policy with its ``participation`` step added when its plan group weighs transfers;
    the added step (written at the header's ``plan_group``); problems (path, message, hint)."""
    group = spec.policy.plan_group
    if group is None or group.transfers is None:
        return spec, {}, []
    path: tuple[str | int, ...] = ("policy", "plan_group", "transfers")
    if PARTICIPATION in spec.steps:
        hint = "plan_group transfers: weighted adds this step: rename yours"
        return (
            spec,
            {},
            [(("steps", PARTICIPATION), f"step '{PARTICIPATION}' is already declared", hint)],
        )
    step = StepSpec(
        formula=f"1 if ({spec.policy.population}) else 0",
        type="decimal",
        segments="weighted",
        description="share of the performance period in which the population held",
    )
    made = {PARTICIPATION: Synthetic("plan_group", "policy", PARTICIPATION, path)}
    steps = {PARTICIPATION: step, **spec.steps}
    return spec.model_copy(update={"steps": steps}), made, []
