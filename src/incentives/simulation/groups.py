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

import array
import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from incentives.engine.outcome import EmployeeOutcome
from incentives.engine.run_inputs import RateSource
from incentives.engine.run_plan import plan_run
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
    pay: tuple[tuple[str, int], ...]  # (pay code, slot) of each component and split part


def policy_reads(rulebook: Rulebook, by: Sequence[str]) -> dict[str, PolicyRead]:
    """Per policy of ``rulebook``, what the summary by group reads of its trace."""
    s = DEFAULT_STEPS
    wanted = {s.target, s.salary, s.new_salary, s.fte, s.one_time, s.effective,
              s.compa_before, s.midpoint_before, *s.midpoint_after}  # fmt: skip
    pay_slots = plan_run(rulebook, exact_first_pass=False).pay_slots
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
            tuple((code, slot) for _, code, slot in pay_slots[policy.id]),
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
    """One share's facts per calculation (``facts[k]``, k = 0 the baseline), in roster order.
    It reads each employee's outcomes only (``needs_pay = False``: the tally's fast path is
    kept); a policy outcome a scenario shares with the baseline gives one `Fact`, shared."""

    needs_pay = False

    def __init__(self, by: Sequence[str], reads: Mapping[str, PolicyRead], count: int) -> None:
        self.by = tuple(by)
        self.reads = dict(reads)
        self.facts: list[list[Fact]] = [[] for _ in range(count)]
        self._dims: dict[tuple[str, ...], dict[str, str]] = {}  # equal dimensions: one dict

    def take(self, employee: EmployeeFacts) -> None:
        made: dict[tuple[int, tuple[str, ...]], Fact] = {}  # per (policy outcome, dimensions)
        for k, out in enumerate(employee.outcomes):
            if not isinstance(out, EmployeeOutcome):
                continue  # rejected
            shared = self._inputs(out, employee.cells)
            facts = self.facts[k]
            for po in out.outcomes:
                read = self.reads[po.policy.id]
                own = shared
                if read.steps:
                    own = dict(shared)
                    for name, slot in read.steps:
                        own.setdefault(name, _text(po.trace[slot], read.labels.get(name)))
                key = tuple([own.get(name, "") for name in self.by])
                fact = made.get((id(po), key))
                if fact is None:
                    fact = made[(id(po), key)] = self._fact(out.employee_id, po, read, key)
                facts.append(fact)

    def __getstate__(self) -> dict[str, Any]:
        """Compact for the way back from a worker (pickled without a memo, so nothing shared
        would stay shared): each distinct `Fact` once, with its dimensions by number, and per
        calculation the numbers of its facts."""
        number: dict[int, int] = {}
        unique: list[tuple[Any, ...]] = []
        keys = {id(dims): i for i, dims in enumerate(self._dims.values())}
        picks = []
        for facts in self.facts:
            pick = array.array("I")
            for fact in facts:
                at = number.get(id(fact))
                if at is None:
                    at = number[id(fact)] = len(unique)
                    unique.append((*fact[:5], keys[id(fact.dims)], *fact[6:]))
                pick.append(at)
            picks.append(pick)
        return {"by": self.by, "reads": self.reads, "keys": list(self._dims), "unique": unique,
                "picks": picks}  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.by, self.reads = state["by"], state["reads"]
        self._dims = {key: dict(zip(self.by, key, strict=True)) for key in state["keys"]}
        dims = list(self._dims.values())
        texts: dict[str, str] = {}  # policy ids, kinds, currencies: one string each
        pick = texts.setdefault
        unique = [
            Fact(f[0], pick(f[1], f[1]), pick(f[2], f[2]), pick(f[3], f[3]), f[4], dims[f[5]], *f[6:])
            for f in state["unique"]
        ]
        self.facts = [[unique[i] for i in pick] for pick in state["picks"]]

    def _inputs(self, out: EmployeeOutcome, cells: Mapping[str, Any]) -> dict[str, str]:
        """The employee's ``by`` inputs as inputs.csv holds them (the first policy reading
        each), and the roster columns no policy reads."""
        shared: dict[str, str] = {}
        for po in out.outcomes:
            read = self.reads[po.policy.id]
            for name, slot in read.inputs:
                if name not in shared:
                    shared[name] = _text(po.trace[slot], read.labels.get(name))
        for name in self.by:
            if name not in shared and name in cells:
                shared[name] = _text(cells[name], None)
        return shared

    def _fact(self, employee_id: str, po: Any, read: PolicyRead, key: tuple[str, ...]) -> Fact:
        dims = self._dims.get(key)
        if dims is None:
            dims = self._dims[key] = dict(zip(self.by, key, strict=True))
        trace = po.trace
        codes: dict[str, Decimal] = {}
        for code, slot in read.pay:
            codes[code] = TOTALS_CONTEXT.add(codes.get(code, Decimal(0)), trace[slot])
        values: dict[str, object] = {name: trace[slot] for name, slot in read.figures}
        values[DEFAULT_STEPS.ready] = po.ready
        return fact_from_values(
            employee_id=employee_id, policy=po.policy.id, kind=read.kind, currency=po.currency,
            eligible=po.eligible, values=values, pay=codes, dims=dims,
            payout_date=read.payout_date,
        )  # fmt: skip


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
    codes = list(dict.fromkeys(  # money only: a count of shares is no total (as the report)
        code for p in rulebook.policies for pay in p.pay if pay.unit is None
        for code in (pay.pay_code, *(c for _, c in pay.parts))
    ))  # fmt: skip
    convert = _converter(rulebook, rates, report_currency, as_of) if report_currency else None
    header: list[str] = []
    rows: list[list[str]] = []
    # the policies in the rulebook's order, as the report lists them (not in the order the
    # first employee's outcomes meet them: 00001 is in no PSU plan), each in roster order
    order = {policy.id: i for i, policy in enumerate(rulebook.policies)}
    for k, name in enumerate(names):
        facts = sorted(
            (fact for taker in takers for fact in taker.facts[k]), key=lambda f: order[f.policy]
        )
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
