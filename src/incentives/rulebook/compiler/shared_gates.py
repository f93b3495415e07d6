"""Plan-level gates: one gate, declared once under `gates:`, on every step it names.

A plan whose rule ("no bonus on a final written warning") applies to several steps or pay
components writes it once:

    gates:
      - name: final_warning
        when: "final_warning"
        outcome: zero
        reason: "Final written warning: no payout"
        applies_to: [bonus, deferral]        # steps, or pay components (their steps)

Before anything else is compiled, each such gate is appended to the gates of every step it
names (after the step's own gates, in the order the plan-level gates are written), so it is
parsed, typed, evaluated, recorded (``<step>.gate.<name>``), noted and explained exactly as a
gate written under the step. Problems in it are reported at its own lines under `gates:`.
"""

from __future__ import annotations

import difflib

from incentives.rulebook.language.schema import GateSpec, PolicyFile, SharedGateSpec

__all__ = ["SharedSources", "share_gates"]

# (step, index of the gate in the step's gates) -> index of the plan-level gate it came from
SharedSources = dict[tuple[str, int], int]
Issue = tuple[tuple[str | int, ...], str, str]


def share_gates(spec: PolicyFile) -> tuple[PolicyFile, SharedSources, list[Issue]]:
    """``spec`` with each plan-level gate added to the steps it names; where each came from;
    the names that are no step or pay component, and gate names a step already uses."""
    if not spec.gates:
        return spec, {}, []
    issues: list[Issue] = []
    added: dict[str, list[tuple[int, SharedGateSpec]]] = {}
    for k, gate in enumerate(spec.gates or []):
        for step in _targets(spec, k, gate, issues):
            added.setdefault(step, []).append((k, gate))
    sources: SharedSources = {}
    steps = dict(spec.steps)
    for name, gates in added.items():
        own = steps[name].gates
        taken = {g.name for g in own if g.name}
        for k, gate in gates:
            if gate.name in taken:
                issues.append(
                    (
                        ("gates", k, "name"),
                        f"step '{name}' already has a gate named '{gate.name}'",
                        "give the plan-level gate another name",
                    )
                )
            taken.add(gate.name)
        merged: list[GateSpec] = [*own, *(gate for _, gate in gates)]
        for offset, (k, _) in enumerate(gates):
            sources[(name, len(own) + offset)] = k
        steps[name] = steps[name].model_copy(update={"gates": merged})
    return spec.model_copy(update={"steps": steps}), sources, issues


def _targets(spec: PolicyFile, k: int, gate: SharedGateSpec, issues: list[Issue]) -> list[str]:
    """The steps gate ``k`` applies to, each once, in the order named (a pay component names
    its step)."""
    components = {c.name: c.step for c in spec.pay}
    found: list[str] = []
    for j, target in enumerate(gate.applies_to):
        step = target if target in spec.steps else components.get(target)
        if step is None or step not in spec.steps:
            known = [*spec.steps, *components]
            close = difflib.get_close_matches(target, known, n=1)
            issues.append(
                (
                    ("gates", k, "applies_to", j),
                    f"gate '{gate.name}' applies to '{target}', which is no step or pay component",
                    f"did you mean '{close[0]}'?" if close else "name a step or a pay component",
                )
            )
        elif step not in found:
            found.append(step)
    return found
