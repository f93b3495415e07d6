"""The gates of plan scorecards, as each employee's trace records them.

A plan scorecard is computed once per run (per unit), in `binding`; its gates apply to every
employee who reads it. So that a gate which zeroes, caps or replaces a plan score reaches the
employee's `zero_reason` and `notes` exactly as a step gate does, each plan gate gets a trace
slot of kind ``gate``, filled from the run's record (``PLAN_GATES_<card>``: one flag per gate, per unit
for a card read by unit), placed with the first step that reads the scorecard.

A gate's flag is set when it applied and changed something: a ``cap`` only when it binds.
"""

from __future__ import annotations

from collections.abc import Sequence

from incentives.rulebook.compiler.compile_state import SpecPath
from incentives.rulebook.compiler.gen_expr import Emitter
from incentives.rulebook.language.schema import GateSpec, ScorecardItemSpec, ScorecardSpec
from incentives.rulebook.runtime.contract import PLAN_GATES
from incentives.rulebook.runtime.policy import Slot

__all__ = ["ZeroGates", "plan_gate_code", "plan_gates"]

# the slots of zeroing gates in evaluation order, grouped by level: (the step or plan
# scorecard owning them and where in it, the slots of that level's zero gates as written)
ZeroGates = list[tuple[tuple[str, SpecPath], list[int]]]


def plan_gates(card: ScorecardSpec) -> list[tuple[SpecPath, str, GateSpec]]:
    """Each gate of a plan scorecard in evaluation order (an item's children, then its own
    gates; the card's gates last): where it is written, its slot label, the gate."""
    found: list[tuple[SpecPath, str, GateSpec]] = []
    _walk(card.items or [], ("items",), "", found)
    for g, gate in enumerate(card.gates):
        found.append((("gates", g), gate.name or f"gate{g + 1}", gate))
    return found


def _walk(
    items: Sequence[ScorecardItemSpec],
    path: SpecPath,
    prefix: str,
    found: list[tuple[SpecPath, str, GateSpec]],
) -> None:
    for i, item in enumerate(items):
        where = (*path, i)
        if item.items is not None:
            _walk(item.items, (*where, "items"), f"{prefix}{item.name}.", found)
        for g, gate in enumerate(item.gates):
            label = f"{prefix}{item.name}.{gate.name or f'gate{g + 1}'}"
            found.append(((*where, "gates", g), label, gate))


def plan_gate_code(gen: Emitter, card: str, zero_gates: ZeroGates) -> list[str]:
    """Lines reading the flags of ``card``'s gates for this employee, and their slots (the
    slots of zeroing gates also go to ``zero_gates``, one group per item and one for the
    card's own gates, in evaluation order, each under the card's name)."""
    p = gen.p
    spec = p.spec.scorecards[card]
    gates = plan_gates(spec)
    if not gates:
        return []
    by = p.plan_by(card)
    flags = PLAN_GATES + card
    lines = [f"pg_{card} = {flags}[v_{by}]" if by else f"pg_{card} = {flags}"]
    for index, (path, label, gate) in enumerate(gates):
        slot = Slot(
            f"{card}.gate.{label}",
            "gate",
            "boolean",
            card,
            p.line(("scorecards", card, *path)),
            text=gate.when,
            reason=gate.reason,
            outcome=gate.outcome if gate.value is None else f"{gate.outcome} {gate.value}",
        )
        slot_index = gen.add_slot(slot, f"pg_{card}[{index}]")
        if gate.outcome == "zero":
            level = (card, path[:-1])
            if not zero_gates or zero_gates[-1][0] != level:
                zero_gates.append((level, []))
            zero_gates[-1][1].append(slot_index)
    return lines
