"""Several plans per person: the steps a plan group with weighted transfers adds.

A policy whose header declares ``plan_group: {name: …, transfers: weighted}`` covers an
employee whose population holds in any segment of its period (see
`incentives.engine.plan_groups`), and its steps read ``participation``: the share of the period
in which the population held, weighed over the history's segments like any weighted step
(``1`` in a segment the population holds, ``0`` otherwise).

``combined_cap: FORMULA`` caps what the group's plans pay one employee together: each plan's
share of it is ``combined_cap = (FORMULA) × participation``, and it becomes the cap of the step
the policy's one pay component pays (with the step's own cap, the lower of the two). The
shares of plans an employee is in one after the other add up to at most the formula.

Both are ordinary steps, so the breakdown records them (participation with its segments) and
``explain`` shows them.
"""

from __future__ import annotations

from collections.abc import Iterable

from incentives.errors import Problem
from incentives.rulebook.compiler.allocations import Synthetic
from incentives.rulebook.language.schema import PolicyFile, StepSpec
from incentives.rulebook.language.yamlsource import SourceDoc

__all__ = ["COMBINED_CAP", "PARTICIPATION", "expand_plan_group", "group_problems"]

PARTICIPATION = "participation"
COMBINED_CAP = "combined_cap"

_Issue = tuple[tuple[str | int, ...], str, str]
_HEADER = ("policy", "plan_group")


def expand_plan_group(spec: PolicyFile) -> tuple[PolicyFile, dict[str, Synthetic], list[_Issue]]:
    """The policy with its ``participation`` (and ``combined_cap``) steps added when its plan
    group weighs transfers; the added steps (written at the header's ``plan_group``); problems
    (path, message, hint)."""
    group = spec.policy.plan_group
    if group is None:
        return spec, {}, []
    issues: list[_Issue] = []
    if group.transfers is None:
        if group.combined_cap is not None:
            hint = "add 'transfers: weighted' to plan_group: each plan's share is its participation"
            issues.append(((*_HEADER, "combined_cap"), "a combined cap needs transfers", hint))
        return spec, {}, issues
    added = {
        PARTICIPATION: StepSpec(
            formula=f"1 if ({spec.policy.population}) else 0",
            type="decimal",
            segments="weighted",
            description="share of the performance period in which the population held",
        )
    }
    if group.combined_cap is not None:
        added[COMBINED_CAP] = StepSpec(
            formula=f"({group.combined_cap}) * {PARTICIPATION}",
            type="money",
            description=f"this plan's share of plan group {group.name}'s combined cap",
        )
    for name in added:
        if name in spec.steps:
            hint = f"plan_group adds a step '{name}': rename yours"
            issues.append((("steps", name), f"step '{name}' is already declared", hint))
    if issues:
        return spec, {}, issues
    steps = {**added, **spec.steps}
    if group.combined_cap is not None:
        capped = _capped(spec, steps)
        if isinstance(capped, tuple):
            return spec, {}, [capped]
        steps = capped
    made = {
        name: Synthetic("plan_group", "policy", name, (*_HEADER, _KEYS[name])) for name in added
    }
    return spec.model_copy(update={"steps": steps}), made, []


_KEYS = {PARTICIPATION: "transfers", COMBINED_CAP: "combined_cap"}


def _capped(spec: PolicyFile, steps: dict[str, StepSpec]) -> dict[str, StepSpec] | _Issue:
    """``steps`` with the combined cap on the step of the policy's one pay component."""
    path = (*_HEADER, "combined_cap")
    if len(spec.pay) != 1:
        hint = "give the plan one pay component, or cap each component's step yourself"
        return path, f"a combined cap needs one pay component, not {len(spec.pay)}", hint
    name = spec.pay[0].step
    step = steps.get(name)
    if step is None or name not in spec.steps:
        hint = "pay a step of the policy's own steps"
        return path, f"a combined cap cannot cap '{name}', which is not a step of steps:", hint
    cap = COMBINED_CAP if step.cap is None else f"min({step.cap}, {COMBINED_CAP})"
    return {**steps, name: step.model_copy(update={"cap": cap})}


def group_problems(loaded: Iterable[tuple[SourceDoc, PolicyFile, str]]) -> list[Problem]:
    """The policies naming one plan group must declare it alike (kind, transfers, combined
    cap): a group is one arrangement, written in each of its plans."""
    first: dict[str, tuple[SourceDoc, PolicyFile]] = {}
    problems = []
    for doc, spec, _ in loaded:
        group = spec.policy.plan_group
        if group is None:
            continue
        if group.name not in first:
            first[group.name] = (doc, spec)
            continue
        other_doc, other = first[group.name]
        said = other.policy.plan_group
        assert said is not None
        for what, mine, theirs in (
            ("kind", spec.policy.kind, other.policy.kind),
            ("transfers", group.transfers, said.transfers),
            ("combined_cap", group.combined_cap, said.combined_cap),
        ):
            if mine != theirs:
                problems.append(
                    Problem(
                        doc.file,
                        doc.line_of(_HEADER),
                        ".".join(_HEADER),
                        f"plan group '{group.name}' has {what} {_said(mine)} here but "
                        f"{_said(theirs)} in {other.policy.id} ({other_doc.file})",
                        "declare the group alike in each of its plans",
                    )
                )
    return problems


def _said(value: object) -> str:
    return "none" if value is None else repr(value)
