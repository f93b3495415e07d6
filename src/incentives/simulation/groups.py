"""by_group.csv of a simulation: the summary by group (`reports.by_group`, the one aggregation
`incentives report` writes too) of the baseline and of each scenario.

A `GroupFacts` taker (one per share, `simulate(..., also=[...])`) turns each employee's
outcomes under every calculation into the summary's `Fact` records (`fact_from_values`, as
the report does from a run folder); `by_group_rows` merges the shares and summarizes each
calculation, a column ``scenario`` first. Dimensions are each calculation's own values (a
scenario that rates Sales one step higher groups them under their new rating), written as the
run folder writes them: an input as inputs.csv has it (the first policy reading it), a rating
as its label (``4 Exceeds``), a step as that policy computed it; a roster column no policy
reads, as the roster has it. So a scenario's rows are those `incentives report --by ...`
writes for `run --scenario` of that scenario.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from incentives.engine.outcome import EmployeeOutcome
from incentives.engine.run_inputs import RateSource
from incentives.errors import OptionsError, RowError
from incentives.io.writers import format_cell
from incentives.money import TOTALS_CONTEXT
from incentives.reports.by_group import DEFAULT_STEPS, Fact, fact_from_values, summarize_by_group
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.policy import CompiledPolicy
from incentives.simulation.facts import EmployeeFacts
from incentives.simulation.simulate import fx_rule

__all__ = ["GroupFacts", "PolicyRead", "by_group_rows", "policy_reads"]


class PolicyRead(NamedTuple):
    """What a `Fact` takes of one policy's trace: the slots of the figures (`FactSteps`) and of
    the ``by`` names, which of those are inputs, and each rating's labels."""

    kind: str
    payout_date: datetime.date
    figures: tuple[tuple[str, int], ...]
    inputs: tuple[tuple[str, int], ...]  # ``by`` names this policy reads as inputs
    steps: tuple[tuple[str, int], ...]  # ``by`` names that are other slots of this policy
    labels: Mapping[str, Mapping[str, str]]  # rating slot -> value text -> "3 Meets"


def policy_reads(rulebook: Rulebook, by: Sequence[str]) -> dict[str, PolicyRead]:
    """Per policy of ``rulebook``, what the summary by group reads of its trace."""
    s = DEFAULT_STEPS
    wanted = {s.target, s.salary, s.new_salary, s.fte, s.one_time, s.effective,
              s.compa_before, *s.midpoint_after}  # fmt: skip
    reads = {}
    for policy in rulebook.policies:
        slots = {slot.name: (i, slot.kind) for i, slot in enumerate(policy.slots)}
        reads[policy.id] = PolicyRead(
            policy.kind,
            policy.spec.policy.payout_date,
            tuple((n, slots[n][0]) for n in sorted(wanted) if n in slots),
            tuple((n, slots[n][0]) for n in by if n in slots and slots[n][1] == "input"),
            tuple((n, slots[n][0]) for n in by if n in slots and slots[n][1] != "input"),
            _labels(policy),
        )
    return reads


def _labels(policy: CompiledPolicy) -> dict[str, dict[str, str]]:
    scales = {
        name: {format_cell(value): f"{format_cell(value)} {label}"
               for label, value in (scale.labels or {}).items()}
        for name, scale in policy.spec.rating_scales.items()
    }  # fmt: skip
    return {
        name: scales[spec.scale]
        for name, spec in policy.spec.inputs.items()
        if spec.type == "rating" and spec.scale in scales
    }


def _text(value: object, labels: Mapping[str, str] | None) -> str:
    text = value if isinstance(value, str) else format_cell(value)
    return labels.get(text, text) if labels else text


class GroupFacts:
    """One share's facts per calculation (``facts[k]``, k = 0 the baseline), in roster order."""

    def __init__(self, by: Sequence[str], reads: Mapping[str, PolicyRead], count: int) -> None:
        self.by = tuple(by)
        self.reads = dict(reads)
        self.facts: list[list[Fact]] = [[] for _ in range(count)]
        self._dims: dict[tuple[str, ...], dict[str, str]] = {}  # equal dimensions: one dict

    def take(self, employee: EmployeeFacts) -> None:
        made: dict[int, list[Fact]] = {}  # an outcome a scenario shares with the baseline
        for k, (out, pay) in enumerate(zip(employee.outcomes, employee.pay, strict=True)):
            if pay is None or not isinstance(out, EmployeeOutcome):
                continue  # rejected, or covered by no policy
            found = made.get(id(out))
            if found is None:
                found = made[id(out)] = self._facts(out, pay, employee.cells)
            self.facts[k] += found

    def _facts(
        self, out: EmployeeOutcome, pay: Mapping[tuple[str, str], Any], cells: Mapping[str, Any]
    ) -> list[Fact]:
        shared: dict[str, str] = {}  # the employee's inputs, as inputs.csv holds them
        for po in out.outcomes:
            read = self.reads[po.policy.id]
            for name, slot in read.inputs:
                if name not in shared:
                    shared[name] = _text(po.trace[slot], read.labels.get(name))
        for name in self.by:
            if name not in shared and name in cells:  # a roster column no policy reads
                shared[name] = _text(cells[name], None)
        facts = []
        for po in out.outcomes:
            pid = po.policy.id
            read = self.reads[pid]
            trace = po.trace
            own = dict(shared)
            for name, slot in read.steps:
                own.setdefault(name, _text(trace[slot], read.labels.get(name)))
            key = tuple(own.get(name, "") for name in self.by)
            dims = self._dims.get(key)
            if dims is None:
                dims = self._dims[key] = dict(zip(self.by, key, strict=True))
            codes: dict[str, Decimal] = {}
            for (policy, _), (code, _, amount) in pay.items():
                if policy == pid:
                    codes[code] = TOTALS_CONTEXT.add(codes.get(code, Decimal(0)), amount)
            values: dict[str, object] = {name: trace[slot] for name, slot in read.figures}
            values[DEFAULT_STEPS.ready] = po.ready
            fact = fact_from_values(
                employee_id=out.employee_id, policy=pid, kind=read.kind, currency=po.currency,
                eligible=po.eligible, values=values, pay=codes, dims=dims,
                payout_date=read.payout_date,
            )  # fmt: skip
            facts.append(fact)
        return facts


def by_group_rows(
    names: Sequence[str],
    takers: Sequence[GroupFacts],
    rulebook: Rulebook,
    by: Sequence[str],
    *,
    rates: RateSource | None = None,
    report_currency: str | None = None,
    as_of: datetime.date | None = None,
) -> tuple[list[str], list[list[str]]]:
    """by_group.csv's header and rows: per calculation (``names``, the baseline first) its
    summary by group of the takers' facts (the shares in order), as CSV cells. With
    ``report_currency``, amounts are converted at each policy's own ``fx`` rate (as
    `incentives report` converts them)."""
    codes = list(dict.fromkeys(
        code for p in rulebook.policies for pay in p.pay
        for code in (pay.pay_code, *(c for _, c in pay.parts))
    ))  # fmt: skip
    convert = _converter(rulebook, rates, report_currency, as_of) if report_currency else None
    header: list[str] = []
    rows: list[list[str]] = []
    for k, name in enumerate(names):
        facts = [fact for taker in takers for fact in taker.facts[k]]
        table = summarize_by_group(
            facts, by, pay_codes=codes, report_currency=report_currency, convert=convert
        )
        header = ["scenario", *table.header]
        rows += [[name, *cells] for cells in table.text_rows()]
    return header, rows


def _converter(
    rulebook: Rulebook, rates: RateSource | None, to: str, as_of: datetime.date | None
) -> Any:
    rules = {p.id: fx_rule(p, as_of) for p in rulebook.policies}
    found: dict[tuple[str, str], Decimal] = {}

    def convert(amount: Decimal, fact: Fact) -> Decimal:
        key = (fact.policy, fact.currency)
        rate = found.get(key)
        if rate is None:
            kind, on = rules[fact.policy]
            if fact.currency == to:
                rate = Decimal(1)
            elif rates is None:
                raise OptionsError(f"--report-currency {to}: needs a rates file (--rates)")
            else:
                try:
                    rate = rates.rate(fact.currency, to, kind, on)
                except RowError as exc:
                    raise OptionsError(f"--report-currency {to}: {exc.reason}") from None
            found[key] = rate
        return TOTALS_CONTEXT.multiply(amount, rate)

    return convert
