"""What the calculation gives back: each employee's outcome per policy, and the run's counts.

A `PolicyOutcome` holds the trace tuple laid out as its policy's slots, plus what results.csv
shows directly (eligible, zero reason, notes, readiness); `Summary` counts and totals a run.
Both outcomes give their values by name:

    outcome.pay["annual_bonus"]        a pay component (or split part), as results.csv shows it
    outcome.steps["target_bonus"]      a step's value, as breakdown.csv records it
    outcome.outputs["new_salary"]      a policy output (`outputs:`), exact
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import attrs

from incentives.model import Exclusion, KeyedCounts
from incentives.money import add_exact
from incentives.rulebook.runtime.policy import CompiledPolicy, show_in_tracebacks

__all__ = [
    "EmployeeOutcome",
    "IncompleteSummaryWarning",
    "Named",
    "PolicyOutcome",
    "Summary",
    "outcome_maker",
    "policy_outcome",
]


class IncompleteSummaryWarning(UserWarning):
    """Iteration over a calculation stopped before the end: its summary counts only the
    employees yielded so far (``summary.complete`` is False)."""


class Named(Mapping[str, Any]):
    """Values by name (pay components, steps or outputs); an unknown name is a `KeyError`
    that lists the names there are and suggests the closest."""

    def __init__(
        self,
        what: str,
        where: str,
        values: Mapping[str, Any],
        shared: Mapping[str, str] | None = None,
    ) -> None:
        self._what = what
        self._where = where
        self._values = dict(values)
        self._shared = dict(shared or {})  # a name in several policies → how to ask for one of them

    def __getitem__(self, name: str) -> Any:
        if name in self._shared:
            raise KeyError(self._shared[name])
        try:
            return self._values[name]
        except KeyError:
            known = sorted({*self._values, *self._shared})
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            listed = ", ".join(known[:20]) + (", …" if len(known) > 20 else "") or "none"
            raise KeyError(
                f"no {self._what} '{name}' in {self._where} ({self._what}s: {listed}){hint}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(self._values)


class PolicyOutcome(NamedTuple):
    """One employee under one policy: the trace laid out as ``policy.slots``.

    Immutable; a named tuple rather than an attrs class because one is made per employee and
    policy: building it costs a third of a frozen attrs instance's (its fields are set by
    ``object.__setattr__`` one by one)."""

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

    @property
    def pay(self) -> Named:
        """Each pay component and split part by name (``pay["annual_bonus"]``), rounded as
        results.csv shows it."""
        return Named("pay component", f"policy {self.policy.id}", self._pay_values())

    @property
    def steps(self) -> Named:
        """Each step's value by name (``steps["target_bonus"]``), as breakdown.csv records it."""
        values = {
            slot.name: value
            for slot, value in zip(self.policy.slots, self.trace, strict=True)
            if slot.kind == "step"
        }
        return Named("step", f"policy {self.policy.id}", values)

    @property
    def outputs(self) -> Named:
        """Each output the policy declares (``outputs:``) by name: the exact value computed
        (results.csv prints money in its minor unit)."""
        values = {name: self.trace[slot] for name, slot in self.policy.output_slots}
        return Named("output", f"policy {self.policy.id}", values)

    def _pay_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for pay in self.policy.pay:
            values[pay.name] = self.trace[pay.slot]
            for (name, _code), slot in zip(pay.parts, pay.part_slots, strict=True):
                values[name] = self.trace[slot]
        return values

    def __repr__(self) -> str:
        if not self.eligible:
            state = f"not eligible ({self.zero_reason})"
        else:
            amounts = " ".join(f"{name}={value}" for name, value in self._pay_values().items())
            state = f"eligible, {self.currency} {amounts}" if amounts else "eligible"
        return f"<PolicyOutcome {self.policy.id}: {state}>"


class EmployeeOutcome(NamedTuple):
    """One employee under every policy that covers them; values by name from any of them.
    Immutable (a named tuple, made once per employee: see `PolicyOutcome`)."""

    employee_id: str
    source_file: str
    record: int
    line: int
    outcomes: tuple[PolicyOutcome, ...]
    # the kinds no policy of which covers the employee (covered by policies of other kinds)
    exclusions: tuple[Exclusion, ...] = ()

    def policy(self, policy: str) -> PolicyOutcome:
        """The outcome under one policy, by its id or by its kind ("bonus", "merit", …) when
        only one of the employee's policies is of that kind."""
        for outcome in self.outcomes:
            if policy == outcome.policy.id:
                return outcome
        of_kind = [outcome for outcome in self.outcomes if outcome.policy.kind == policy]
        if len(of_kind) == 1:
            return of_kind[0]
        if of_kind:
            ids = [outcome.policy.id for outcome in of_kind]
            raise KeyError(
                f"employee {self.employee_id} is under {len(ids)} {policy} policies "
                f"({', '.join(ids)}): ask one by its id, as outcome.policy('{ids[0]}')"
            )
        known = ", ".join(o.policy.id for o in self.outcomes)
        raise KeyError(f"employee {self.employee_id} has no outcome under '{policy}' ({known})")

    @property
    def pay(self) -> Named:
        """Pay components by name across the employee's policies (see `PolicyOutcome.pay`)."""
        return self._merged("pay component", "pay")

    @property
    def steps(self) -> Named:
        """Steps by name across the employee's policies (see `PolicyOutcome.steps`)."""
        return self._merged("step", "steps")

    @property
    def outputs(self) -> Named:
        """Outputs by name across the employee's policies (see `PolicyOutcome.outputs`)."""
        return self._merged("output", "outputs")

    def _merged(self, what: str, attribute: str) -> Named:
        values: dict[str, Any] = {}
        owners: dict[str, list[str]] = {}
        for outcome in self.outcomes:
            for name, value in getattr(outcome, attribute).items():
                values[name] = value
                owners.setdefault(name, []).append(outcome.policy.id)
        shared = {
            name: f"{what} '{name}' is in {len(ids)} policies ({', '.join(ids)}): ask one, "
            f"as outcome.policy('{ids[0]}').{attribute}['{name}']"
            for name, ids in owners.items()
            if len(ids) > 1
        }
        for name in shared:
            del values[name]
        return Named(what, f"the policies of employee {self.employee_id}", values, shared)

    def __repr__(self) -> str:
        shown = "; ".join(repr(o).removeprefix("<PolicyOutcome ")[:-1] for o in self.outcomes)
        return (
            f"<EmployeeOutcome {self.employee_id} ({self.source_file} line {self.line}): "
            f"{shown or 'no policy'}>"
        )


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
    # components paid in units (shares, points): (unit, component, pay code), never money
    unit_totals: dict[tuple[str, str, str], Decimal] = attrs.field(factory=dict)
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
    # every employee was counted: False while iterating, or after iteration stopped early
    complete: bool = False

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
            self.totals[key] = add_exact(self.totals.get(key, Decimal(0)), amount)
        for key, amount in other.unit_totals.items():
            self.unit_totals[key] = add_exact(self.unit_totals.get(key, Decimal(0)), amount)
        for ckey, conflict in other.pool_conflicts.items():
            seen = self.pool_conflicts.get(ckey)
            if seen is None or conflict[0] < seen[0]:
                self.pool_conflicts[ckey] = conflict
        for bkey, (count, payroll, spend) in other.budgets.items():
            acc = self.budgets.setdefault(bkey, [0, Decimal(0), Decimal(0)])
            acc[0] += count
            acc[1] = add_exact(acc[1], payroll)
            acc[2] = add_exact(acc[2], spend)


def policy_outcome(policy: CompiledPolicy, trace: tuple[Any, ...]) -> PolicyOutcome:
    """An outcome from a trace: eligibility, why a payout is zero, notes and readiness."""
    return outcome_maker(policy)(trace)


# each policy's `outcome_maker`, by identity (the policy kept so that its id is not reused)
_MAKERS: dict[int, tuple[CompiledPolicy, Callable[[tuple[Any, ...]], PolicyOutcome]]] = {}


def outcome_maker(policy: CompiledPolicy) -> Callable[[tuple[Any, ...]], PolicyOutcome]:
    """`policy_outcome` for one policy, its slots and reasons looked up once: the function a
    run calls for every employee the policy covers (generated, see `_maker_source`)."""
    known = _MAKERS.get(id(policy))
    if known is not None and known[0] is policy:
        return known[1]
    namespace: dict[str, Any] = {"P": policy, "NEW": tuple.__new__, "PO": PolicyOutcome}
    source = _maker_source(policy, namespace)
    # generated from the policy's slot numbers (its reasons are given by name, never quoted
    # into the source); named by the source's hash and given to linecache for tracebacks
    filename = f"<outcome {hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}>"
    show_in_tracebacks(filename, source)
    exec(compile(source, filename, "exec"), namespace)
    make: Callable[[tuple[Any, ...]], PolicyOutcome] = namespace["make"]
    if len(_MAKERS) >= 256:
        _MAKERS.clear()
    _MAKERS[id(policy)] = (policy, make)
    return make


def _maker_source(policy: CompiledPolicy, namespace: dict[str, Any]) -> str:
    """``make(t)``: the outcome of trace ``t``, its checks unrolled for the policy's slots.

    Equal to this loop over the slots (the reasons ``why`` those of `policy.slots`)::

        eligible, reason = True, ""
        for slot, why in eligibility:           # the first failed criterion says why
            if not t[slot]: eligible, reason = False, why; break
        if eligible and totals and not any(t[i] for i in totals):
            reason = next((why for slot, why in zero_gates if t[slot]), "computed as zero")
        notes = "; ".join(dict.fromkeys(why for slot, why in gates if t[slot]))
        ready = eligible and bool(t[ready_slot])  # None without readiness criteria
        gaps = "; ".join([t[gap] for crit, gap in criteria if not t[crit]]) if eligible else reason
    """
    slots = policy.slots
    lines = ["def make(t):"]
    branch = "if"
    for k, i in enumerate(policy.eligibility_slots):  # the first that fails says why
        namespace[f"E{k}"] = slots[i].reason
        lines += [f"    {branch} not t[{i}]:", "        e = False", f"        r = E{k}"]
        branch = "elif"
    body = "    " if branch == "if" else "        "
    if branch == "elif":
        lines.append("    else:")
    lines.append(f"{body}e = True")
    totals = policy.pay_total_slots
    if totals:  # eligible, and every pay total zero: the first zero gate applied says why
        lines += [f"{body}if {' or '.join(f't[{i}]' for i in totals)}:", f"{body}    r = ''"]
        for k, i in enumerate(policy.zero_gate_slots):
            namespace[f"Z{k}"] = slots[i].reason
            lines += [f"{body}elif t[{i}]:", f"{body}    r = Z{k}"]
        lines += [f"{body}else:", f"{body}    r = 'computed as zero'"]
    else:
        lines.append(f"{body}r = ''")
    gates = policy.gate_slots
    if gates:  # a reason once, though a plan-level gate joined to several steps applied in each
        lines.append("    n = []")
        for k, i in enumerate(gates):
            namespace[f"G{k}"] = slots[i].reason
            lines += [f"    if t[{i}]:", f"        n.append(G{k})"]
        lines.append("    n = '; '.join(dict.fromkeys(n)) if n else ''")
    else:
        lines.append("    n = ''")
    currency = policy.input_names.index(policy.currency_input)
    if policy.ready_slot is None:
        lines.append(f"    return NEW(PO, (P, t, e, r, str(t[{currency}]), n, None, ''))")
    else:
        lines += ["    if e:", f"        ready = bool(t[{policy.ready_slot}])", "        gaps = []"]
        for crit, gap in policy.criteria_slots:  # the gaps of the failed criteria, in order
            lines += [f"        if not t[{crit}]:", f"            gaps.append(t[{gap}])"]
        lines += [
            "        gaps = '; '.join(gaps)",
            "    else:",
            "        ready = False",
            "        gaps = r",
            f"    return NEW(PO, (P, t, e, r, str(t[{currency}]), n, ready, gaps))",
        ]
    return "\n".join(lines) + "\n"
