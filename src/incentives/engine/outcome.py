"""What the calculation gives back: each employee's outcome per policy, and the run's counts.

A `PolicyOutcome` holds the trace tuple laid out as its policy's slots, plus what results.csv
shows directly (eligible, zero reason, notes, readiness); `Summary` counts and totals a run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from incentives.model import Exclusion, KeyedCounts
from incentives.rulebook.policy import CompiledPolicy

__all__ = ["EmployeeOutcome", "PolicyOutcome", "Summary", "policy_outcome"]


@attrs.frozen
class PolicyOutcome:
    """One employee under one policy: the trace laid out as ``policy.slots``."""

    policy: CompiledPolicy
    trace: tuple[Any, ...]
    eligible: bool
    zero_reason: str
    currency: str
    notes: str = ""  # the reasons of the gates that applied, in evaluation order
    ready: bool | None = None  # all readiness criteria pass (None: the policy has none)
    gaps: str = ""  # the gaps of the failed criteria ("; "), or why not eligible

    def value(self, slot_name: str) -> Any:
        for slot, value in zip(self.policy.slots, self.trace, strict=True):
            if slot.name == slot_name:
                return value
        raise KeyError(slot_name)


@attrs.frozen
class EmployeeOutcome:
    employee_id: str
    source_file: str
    record: int
    line: int
    outcomes: tuple[PolicyOutcome, ...]
    # the kinds no policy of which covers the employee (covered by policies of other kinds)
    exclusions: tuple[Exclusion, ...] = ()


@attrs.define
class Summary:
    read: int = 0
    computed: int = 0
    rejected: int = 0
    eligible: int = 0
    ineligible: int = 0
    totals: dict[tuple[str, str, str], Decimal] = attrs.field(
        factory=dict
    )  # (currency, component, pay code)
    # budgets: (policy, budget, group, pay currency) → [employees, payroll, spend], the
    # amounts in the budget's currency
    budgets: dict[tuple[str, str, object, str], list[Any]] = attrs.field(factory=dict)
    # pools whose members gave another funding than the pool's: (policy, pool, group) →
    # (the lowest such employee_id, its funding)
    pool_conflicts: dict[tuple[str, str, object], tuple[str, Any]] = attrs.field(factory=dict)
    # employees no policy covers: read = computed + rejected + not_covered
    not_covered: int = 0
    # per kind, the employees no policy of that kind covers (whether or not another kind does)
    not_covered_by_kind: dict[str, int] = attrs.field(factory=dict)
    # the goals, ratings and history files given: rows matched, unmatched and rejected
    keyed_files: dict[str, KeyedCounts] = attrs.field(factory=dict)

    @property
    def reconciles(self) -> bool:
        """Every employee read is computed, rejected or not covered; every row of each keyed
        file is matched, unmatched or rejected."""
        return self.read == self.computed + self.rejected + self.not_covered and all(
            counts.reconciles for counts in self.keyed_files.values()
        )

    @property
    def unmatched(self) -> int:
        """Rows of the keyed files for employees who are not in the roster."""
        return sum(counts.unmatched for counts in self.keyed_files.values())

    def merge(self, other: Summary) -> None:
        """Add another share's counts and totals (exact decimal sums, so order does not matter)."""
        self.read += other.read
        self.computed += other.computed
        self.rejected += other.rejected
        self.eligible += other.eligible
        self.ineligible += other.ineligible
        self.not_covered += other.not_covered
        for kind, count in other.not_covered_by_kind.items():
            self.not_covered_by_kind[kind] = self.not_covered_by_kind.get(kind, 0) + count
        for role, counts in other.keyed_files.items():  # the same for every share of a roster
            self.keyed_files.setdefault(role, counts)
        for key, amount in other.totals.items():
            self.totals[key] = self.totals.get(key, Decimal(0)) + amount
        for ckey, conflict in other.pool_conflicts.items():
            seen = self.pool_conflicts.get(ckey)
            if seen is None or conflict[0] < seen[0]:
                self.pool_conflicts[ckey] = conflict
        for bkey, (count, payroll, spend) in other.budgets.items():
            acc = self.budgets.setdefault(bkey, [0, Decimal(0), Decimal(0)])
            acc[0] += count
            acc[1] += payroll
            acc[2] += spend


def policy_outcome(policy: CompiledPolicy, trace: tuple[Any, ...]) -> PolicyOutcome:
    """An outcome from a trace: eligibility, why a payout is zero, notes and readiness."""
    eligible = True
    reason = ""
    for slot_index in policy.eligibility_slots:
        if not trace[slot_index]:
            eligible = False
            reason = policy.slots[slot_index].reason
            break
    totals = policy.pay_total_slots
    if eligible and totals and not any(map(trace.__getitem__, totals)):
        for slot_index in policy.zero_gate_slots:
            if trace[slot_index]:
                reason = policy.slots[slot_index].reason
                break
        else:
            reason = "computed as zero"
    currency = trace[policy.input_names.index(policy.currency_input)]
    gates = policy.gate_slots
    notes = (
        "; ".join(policy.slots[i].reason for i in gates if trace[i])
        if gates and any(map(trace.__getitem__, gates))
        else ""
    )
    if policy.ready_slot is None:
        return PolicyOutcome(policy, trace, eligible, reason, str(currency), notes)
    ready = eligible and bool(trace[policy.ready_slot])
    gaps = (
        "; ".join(trace[gap] for crit, gap in policy.criteria_slots if not trace[crit])
        if eligible
        else reason
    )
    return PolicyOutcome(policy, trace, eligible, reason, str(currency), notes, ready, gaps)
