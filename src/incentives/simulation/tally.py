"""What a simulation adds up, row by row: each employee's pay under the baseline and every
scenario, compared as it goes, so nothing per employee outlives its row.

A `Tally` takes one share's rows (`engine.scenario_passes.RowTally`) and is merged with the
other shares' in the parent. Per scenario (index 0 is the baseline) it holds:

- per pay code and currency: the total, the employees paid (a non-zero amount under that code),
  changed against the baseline, up, down, and rejected in this scenario only;
- the payouts (employee and component, non-zero in the baseline or the scenario) and how many
  of them change; the largest increase per currency;
- per policy with a target step, a count of each payout as % of target (0.01 point steps):
  the distribution's percentiles and histogram come from it exactly;
- the lines of changes.csv, written to the share's own file (``changes``) as made (one per employee and component that
  changes in any scenario).

The per-employee facts a row gives (`EmployeeFacts`: id, roster cells, per scenario each
component's pay code, currency and amount, the payout % of target, rejected) go to any
``also`` takers too (`FactsTaker`, one per share, returned with the share's tally): a summary
by group plugs in there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from incentives.engine.outcome import EmployeeOutcome
from incentives.engine.passes import Item
from incentives.io.csv_lines import csv_line
from incentives.io.writers import format_cell
from incentives.model import Rejection
from incentives.model.roster import Row
from incentives.money import EXACT_CONTEXT
from incentives.simulation.facts import (
    EmployeeFacts,
    FactsTaker,
    Pay,
    PolicyFacts,
    PolicyPay,
    aligned,
    by_code,
    pct_of_target,
    policy_facts,
)

__all__ = ["Tally"]

_ZERO = Decimal(0)
_ADD = EXACT_CONTEXT.add
_UNSET: Any = object()

class Tally:
    """One share's figures (see the module); `merge` adds another share's."""

    def __init__(
        self,
        count: int,
        policies: Mapping[str, PolicyPay],
        group: str | None,
        changes: Path | None,
        also: Sequence[FactsTaker] = (),
    ) -> None:
        self.count = count  # calculations: the baseline and the scenarios
        self.policies = dict(policies)
        self.group = group  # the roster column named beside the largest increase
        self.changes = changes  # where this share's changes.csv lines go (else `lines`)
        self._stream: IO[str] | None = None
        self.also = tuple(also)
        # a taker reading `EmployeeFacts.pay` (the default) makes every row take the slow path
        self.pay_takers = any(getattr(taker, "needs_pay", True) for taker in self.also)
        self.lines: list[str] = []  # changes.csv's lines, when there is no ``write``
        self.changed_rows = 0
        # per calculation, (pay code, currency) → [total, paid, changed, up, down, rejected]
        self.pay: list[dict[tuple[str, str], list[Any]]] = [{} for _ in range(count)]
        self.rejected_only = [0] * count
        self.payouts = [0] * count
        self.payouts_changed = [0] * count
        # per calculation and currency: the largest increase (delta, employee id, group)
        self.largest: list[dict[str, tuple[Decimal, str, str]]] = [{} for _ in range(count)]
        self.pct: list[dict[str, Counter[Decimal]]] = [{} for _ in range(count)]
        # the fast path (`_take_aligned`): the baseline's figures of its rows, counted once
        # for every calculation (``complete`` adds them in), each scenario holding only what
        # differs from them; per policy, its outcome's figures, by identity, within a row
        self.base_pay: dict[tuple[str, str], list[Any]] = {}
        self.base_payouts = 0
        self.base_pct: dict[str, Counter[Decimal]] = {}
        self.completed = False
        codes = [code for read in self.policies.values() for code in {c for _, c, _ in read.slots}]
        self.disjoint = len(codes) == len(set(codes))  # no pay code in two policies

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_stream"] = None  # closed by `finish`
        return state

    def finish(self) -> None:
        """The share's last row was taken: its changes are on disk."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def take(self, row: Row, outcomes: Sequence[Item]) -> None:
        if isinstance(row, Rejection):
            return  # unreadable: rejected alike under every calculation
        if self.disjoint and not self.pay_takers and aligned(outcomes):
            self._takealigned(row.employee_id, row.cells, outcomes)  # type: ignore[arg-type]
            if self.also:  # takers that read the outcomes only (``needs_pay = False``)
                employee = EmployeeFacts(row.employee_id, row.cells, (), (), tuple(outcomes))
                for taker in self.also:
                    taker.take(employee)
            return
        made: dict[int, tuple[Pay, tuple[tuple[str, Decimal], ...]]] = {}
        facts = []
        for out in outcomes:  # an outcome a scenario shares with the baseline is read once
            fact = made.get(id(out))
            if fact is None:
                fact = made[id(out)] = self._pay(out)
            facts.append(fact)
        pays = tuple(f[0] for f in facts)
        pcts = tuple(f[1] for f in facts)
        for k, found in enumerate(pcts):
            counters = self.pct[k]
            for pid, pct in found:
                counters.setdefault(pid, Counter())[pct] += 1
        self._compare(row.employee_id, row.cells, pays)
        if self.also:
            employee = EmployeeFacts(row.employee_id, row.cells, pays, pcts, tuple(outcomes))
            for taker in self.also:
                taker.take(employee)

    def _takealigned(
        self, employee_id: str, cells: Mapping[str, object], outs: Sequence[EmployeeOutcome]
    ) -> None:
        """Every calculation computed the employee under the same policies: the baseline's
        figures are counted once, each scenario's only where its policy outcome differs."""
        base = outs[0].outcomes
        made: dict[int, PolicyFacts] = {}
        first = [policy_facts(po, self.policies[po.policy.id], made) for po in base]
        for facts in first:
            for key, amount in facts.codes:
                entry = self.base_pay.get(key)
                if entry is None:
                    entry = self.base_pay[key] = [_ZERO, 0]
                entry[0] = _ADD(entry[0], amount)
                if amount:
                    entry[1] += 1
            self.base_payouts += facts.nonzero
            if facts.pct is not None:
                self.base_pct.setdefault(facts.pct[0], Counter())[facts.pct[1]] += 1
        # per policy place that some scenario changes: each calculation's facts there
        differ: dict[int, list[PolicyFacts]] = {}
        for k in range(1, self.count):
            mine = outs[k].outcomes
            if mine is base:
                continue
            for j, po in enumerate(mine):
                if po is base[j]:
                    continue
                facts = policy_facts(po, self.policies[po.policy.id], made)
                differ.setdefault(j, [first[j]] * self.count)[k] = facts
                self._differs(k, first[j], facts, employee_id, cells)
        if differ:
            self.changed_rows += self._aligned_lines(employee_id, base, differ)

    def _differs(
        self,
        k: int,
        before: PolicyFacts,
        now: PolicyFacts,
        employee_id: str,
        cells: Mapping[str, object],
    ) -> None:
        """Scenario ``k``'s figures of one policy, against the baseline's (counted there)."""
        for (key, amount), (_, was) in zip(now.codes, before.codes, strict=True):
            entry = self._entry(k, key)
            entry[0] = _ADD(entry[0], amount - was)
            entry[1] += (amount != 0) - (was != 0)
            if amount != was:
                entry[2] += 1
                entry[3 if amount > was else 4] += 1
        for (_, _, currency, amount), (_, _, _, was) in zip(now.comps, before.comps, strict=True):
            if amount and not was:
                self.payouts[k] += 1
            if amount != was:
                self.payouts_changed[k] += 1
                self._largest(k, currency, amount - was, employee_id, cells)
        counters = self.pct[k]
        if before.pct is not None:
            counters.setdefault(before.pct[0], Counter())[before.pct[1]] -= 1
        if now.pct is not None:
            counters.setdefault(now.pct[0], Counter())[now.pct[1]] += 1

    def _aligned_lines(
        self, employee_id: str, base: tuple[Any, ...], differ: dict[int, list[PolicyFacts]]
    ) -> int:
        """changes.csv's lines of the policies some scenario changed; 1 if any was written."""
        wrote = 0
        for j in sorted(differ, key=lambda j: base[j].policy.id):
            per = differ[j]
            comps = per[0].comps
            for i in sorted(range(len(comps)), key=lambda i: comps[i][0]):  # by name, as below
                name, code, currency, before = comps[i]
                amounts = [facts.comps[i][3] for facts in per]
                if all(a == before for a in amounts):
                    continue
                cells = [employee_id, base[j].policy.id, name, code, currency, _cell(before)]
                for now in amounts[1:]:
                    cells += [_cell(now), format(now - before, "f")]
                self._line(csv_line([format_cell(c) for c in cells]))
                wrote = 1
        return wrote

    def complete(self) -> None:
        """Add the baseline's figures of the fast path to every calculation (once, after the
        shares are merged)."""
        if self.completed:
            return
        self.completed = True
        for k in range(self.count):
            for key, (total, paid) in self.base_pay.items():
                entry = self._entry(k, key)
                entry[0] = _ADD(entry[0], total)
                entry[1] += paid
            if k:
                self.payouts[k] += self.base_payouts
            for pid, counter in self.base_pct.items():
                mine = self.pct[k].setdefault(pid, Counter())
                mine.update(counter)
                self.pct[k][pid] = +mine  # what a scenario moved away leaves no count

    def _pay(self, out: Item) -> tuple[Pay, tuple[tuple[str, Decimal], ...]]:
        if isinstance(out, Rejection):
            return None, ()
        if not isinstance(out, EmployeeOutcome):
            return {}, ()  # covered by no policy
        pay: dict[tuple[str, str], tuple[str, str, Decimal]] = {}
        pcts: list[tuple[str, Decimal]] = []
        for po in out.outcomes:
            pid = po.policy.id
            read = self.policies[pid]
            trace, currency = po.trace, po.currency
            for name, code, slot in read.slots:
                pay[(pid, name)] = (code, currency, trace[slot])
            pct = pct_of_target(po, read)
            if pct is not None:
                pcts.append((pid, pct))
        return pay, tuple(pcts)

    def _compare(
        self, employee_id: str, cells: Mapping[str, object], pays: tuple[Pay, ...]
    ) -> None:
        base = pays[0]
        codes_of: dict[int, dict[tuple[str, str], Decimal] | None] = {}
        per_calc = []
        for pay in pays:
            codes = codes_of.get(id(pay), _UNSET)
            if codes is _UNSET:
                codes = codes_of[id(pay)] = by_code(pay)
            per_calc.append(codes)
        for k, codes in enumerate(per_calc):
            if codes is None:
                if k and base is not None:
                    self.rejected_only[k] += 1
                    for key in per_calc[0] or {}:
                        self._entry(k, key)[5] += 1
                continue
            base_codes = per_calc[0] or {}
            for key, amount in codes.items():
                entry = self._entry(k, key)
                entry[0] = _ADD(entry[0], amount)
                if amount:
                    entry[1] += 1
            if k == 0 or per_calc[0] is None or codes is per_calc[0]:
                continue  # the baseline itself, or the very same pay: nothing changed
            for key in codes.keys() | base_codes.keys():
                amount = codes.get(key, _ZERO)
                before = base_codes.get(key, _ZERO)
                if amount != before:
                    entry = self._entry(k, key)
                    entry[2] += 1
                    entry[3 if amount > before else 4] += 1
        self._changes(employee_id, cells, pays)

    def _changes(
        self, employee_id: str, cells: Mapping[str, object], pays: tuple[Pay, ...]
    ) -> None:
        """Per component: count the payouts and changes, write the changes.csv line."""
        if all(p is pays[0] for p in pays):  # no scenario changed this employee's pay
            if pays[0]:
                paid = sum(1 for f in pays[0].values() if f[2])
                for k in range(1, self.count):
                    self.payouts[k] += paid
            return
        keys = sorted({key for p in pays if p for key in p})
        changed_any = False
        cells_out: list[str] = []
        for key in keys:
            found = [None if p is None else p.get(key) for p in pays]
            known = next(f for f in found if f is not None)
            code, currency = known[0], known[1]
            amounts = [
                None if p is None else (_ZERO if f is None else f[2])
                for p, f in zip(pays, found, strict=True)
            ]
            before = amounts[0]
            changed = False
            for k in range(1, self.count):
                now = amounts[k]
                if now is None or before is None:
                    continue
                if now or before:
                    self.payouts[k] += 1
                if now != before:
                    changed = True
                    self.payouts_changed[k] += 1
                    self._largest(k, currency, now - before, employee_id, cells)
            if changed or any((a is None) != (before is None) for a in amounts[1:]):
                changed_any = True
                cells_out = [employee_id, key[0], key[1], code, currency, _cell(before)]
                for now in amounts[1:]:
                    delta = None if now is None or before is None else now - before
                    cells_out += [_cell(now), "" if delta is None else format(delta, "f")]
                self._line(csv_line([format_cell(c) for c in cells_out]))
        if changed_any:
            self.changed_rows += 1

    def _entry(self, k: int, key: tuple[str, str]) -> list[Any]:
        entry = self.pay[k].get(key)
        if entry is None:
            entry = self.pay[k][key] = [_ZERO, 0, 0, 0, 0, 0]
        return entry

    def _largest(
        self, k: int, currency: str, delta: Decimal, employee_id: str, cells: Mapping[str, object]
    ) -> None:
        where = currency
        seen = self.largest[k].get(where)
        if seen is None or _larger((delta, employee_id, ""), seen):
            group = "" if self.group is None else str(cells.get(self.group) or "")
            self.largest[k][where] = (delta, employee_id, group)

    def _line(self, line: str) -> None:
        if self.changes is None:
            self.lines.append(line)
            return
        if self._stream is None:
            self._stream = self.changes.open("a", encoding="utf-8", newline="")
        self._stream.write(line)

    def merge(self, other: Tally) -> None:
        """Add the figures of a later share (its changes lines come after this one's)."""
        self.lines += other.lines
        self.changed_rows += other.changed_rows
        for key, (total, paid) in other.base_pay.items():
            entry = self.base_pay.setdefault(key, [_ZERO, 0])
            entry[0] = _ADD(entry[0], total)
            entry[1] += paid
        self.base_payouts += other.base_payouts
        for pid, counter in other.base_pct.items():
            self.base_pct.setdefault(pid, Counter()).update(counter)
        for k in range(self.count):
            for key, entry in other.pay[k].items():
                mine = self._entry(k, key)
                mine[0] = _ADD(mine[0], entry[0])
                for i in range(1, 6):
                    mine[i] += entry[i]
            self.rejected_only[k] += other.rejected_only[k]
            self.payouts[k] += other.payouts[k]
            self.payouts_changed[k] += other.payouts_changed[k]
            for where, found in other.largest[k].items():
                seen = self.largest[k].get(where)
                if seen is None or _larger(found, seen):
                    self.largest[k][where] = found
            for pid, counter in other.pct[k].items():
                self.pct[k].setdefault(pid, Counter()).update(counter)


def _cell(value: Decimal | None) -> str:
    return "rejected" if value is None else format(value, "f")


def _larger(found: tuple[Decimal, str, str], seen: tuple[Decimal, str, str]) -> bool:
    """The larger increase; between equal ones, the lower employee id."""
    return found[0] > seen[0] or (found[0] == seen[0] and found[1] < seen[1])
