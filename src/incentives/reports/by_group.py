"""The summary by group: one table, per policy and group, of what a run (or a scenario) pays.

Pure: no files, no command line, no engine. Whoever has per-employee outcomes turns each
(employee, policy) into a `Fact` and calls `summarize_by_group`; `incentives report` builds the
facts from a run folder (`reports/run_facts.py`), a simulation from its in-memory outcomes. Both
go through `fact_from_values`, so the two agree on what every figure means.

**The fact record** (`Fact`), one per computed employee and policy:

- ``employee_id``, ``policy`` (id), ``kind`` (bonus, merit, promotion), ``currency`` (the pay
  currency), ``eligible``;
- ``dims``: the text of every value the table may be grouped by (roster fields, steps, results
  columns), as the run folder writes it (a date ``2026-01-31``, a decimal as its digits,
  ``true``/``false``; a rating as its label when known, e.g. ``3 Meets``);
- ``pay``: the amounts paid, per pay code, in ``currency`` (two components with one code add);
- ``target`` (bonus): the target amount in ``currency``; payout % of target is the sum of
  ``pay`` ÷ ``target``, for an eligible employee with a target above 0;
- merit (``payroll`` set): ``payroll`` the employee's eligible payroll (annual salary × FTE),
  ``increase`` the annual base increase × FTE (promotions included), ``one_time`` the one-time
  payments (lump sums), ``effective`` the date the increase starts, ``compa_before`` and
  ``compa_after`` (salary ÷ range midpoint before, new salary ÷ midpoint of the range after,
  both divided here from the amounts, so that a run folder's 6-decimal ratios and a
  simulation's exact ones give the same figure);
- promotion: ``ready`` (true, false, or None when the policy assesses no readiness).

**The table** (`GroupTable`), one row per policy, group (the ``by`` values) and currency (the
pay currency, or the reporting currency when a converter is given; money in different
currencies is never added without rates): ``headcount`` (employees the policy computed),
``eligible``, ``total`` (every pay code) and ``total <CODE>`` per pay code of the policies,
``payout_pct_of_target_avg`` and ``_median`` (eligible employees with a target; fractions,
0.95 is 95 %), ``eligible_payroll``, ``spend_pct_of_payroll`` (annualised cost ÷ eligible
payroll), ``in_year_cost`` (the increase from its effective date to the end of that calendar
year, by days, plus one-time payments), ``annualised_cost`` (a full year's increase plus
one-time payments), ``compa_ratio_before_avg``, ``compa_ratio_after_avg`` (eligible merit
employees), ``ready``. A cell that does not apply to the row's policy is None (empty in CSV).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import attrs

from incentives.errors import OptionsError
from incentives.money import CURRENCY_MINOR_UNITS, ENGINE_CONTEXT, TOTALS_CONTEXT

__all__ = [
    "COLUMNS",
    "DEFAULT_STEPS",
    "Fact",
    "FactSteps",
    "GroupTable",
    "fact_from_values",
    "summarize_by_group",
]

# The figure columns after policy, kind, the `by` dimensions, currency and the pay-code totals.
COLUMNS = (
    "payout_pct_of_target_avg",
    "payout_pct_of_target_median",
    "eligible_payroll",
    "spend_pct_of_payroll",
    "in_year_cost",
    "annualised_cost",
    "compa_ratio_before_avg",
    "compa_ratio_after_avg",
    "ready",
)
_MONEY = frozenset({"total", "eligible_payroll", "in_year_cost", "annualised_cost"})
_FRACTION_PLACES = Decimal("0.000001")  # ratios written like the breakdown's (6 decimals)
_ZERO = Decimal(0)
_RATIO = ENGINE_CONTEXT  # ratios (percent of target, compa-ratio, averages) to 28 digits

Converter = Callable[[Decimal, "Fact"], Decimal]  # an amount of the fact's -> reporting currency


class Fact(NamedTuple):
    """One employee under one policy, as the summary reads it (see the module docstring). A
    named tuple: a run of 100,000 employees under three policies makes 300,000 of them."""

    employee_id: str
    policy: str
    kind: str
    currency: str
    eligible: bool
    dims: Mapping[str, str]
    pay: Mapping[str, Decimal]
    target: Decimal | None = None
    payroll: Decimal | None = None
    increase: Decimal | None = None
    one_time: Decimal | None = None
    effective: datetime.date | None = None
    compa_before: Decimal | None = None
    compa_after: Decimal | None = None
    ready: bool | None = None

    @property
    def paid(self) -> Decimal:
        return _exact_sum(self.pay.values())

    @property
    def pct_of_target(self) -> Decimal | None:
        if not self.eligible or self.target is None or self.target <= 0:
            return None
        return _RATIO.divide(self.paid, self.target)


@attrs.frozen
class FactSteps:
    """Which step (or input) of a policy gives each figure of a `Fact`; a name the policy does
    not have leaves its figure out. The defaults are the names of the bundled policies."""

    target: str = "target_bonus"
    salary: str = "current_salary"
    new_salary: str = "new_salary"
    fte: str = "fte"
    one_time: str = "lump_sum_payment"
    effective: str = "effective_date"
    compa_before: str = "compa_ratio"  # when the policy has no ``midpoint_before``
    midpoint_before: str = "range_midpoint"
    midpoint_after: tuple[str, ...] = ("new_range_midpoint", "range_midpoint")
    ready: str = "ready"


DEFAULT_STEPS = FactSteps()


def _decimal(value: object) -> Decimal | None:
    if type(value) is str and value:  # the run folder's text: a plain number, almost always
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value).removeprefix("'"))
    except InvalidOperation:
        return None


def _date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value)) if value is not None else None


def fact_from_values(
    *,
    employee_id: str,
    policy: str,
    kind: str,
    currency: str,
    eligible: bool,
    values: Mapping[str, object],
    pay: Mapping[str, Decimal],
    dims: Mapping[str, str],
    steps: FactSteps = DEFAULT_STEPS,
    payout_date: datetime.date | None = None,
) -> Fact:
    """A `Fact` from one employee's values under one policy: ``values`` maps step and input
    names to values (the run folder's texts, or the engine's `Decimal`, `date`, `bool`);
    ``pay`` maps pay codes to amounts (both are kept, not copied). The merit figures are read when the policy has the
    ``salary`` and ``new_salary`` steps; ``effective`` falls back on ``payout_date``."""
    get = values.get
    if kind == "bonus":
        target = _decimal(get(steps.target))
        return Fact(employee_id, policy, kind, currency, eligible, dims, pay, target)
    if kind == "promotion":
        ready = _flag(get(steps.ready))
        return Fact(employee_id, policy, kind, currency, eligible, dims, pay, ready=ready)
    salary, new_salary = _decimal(get(steps.salary)), _decimal(get(steps.new_salary))
    if kind != "merit" or salary is None or new_salary is None:
        return Fact(employee_id, policy, kind, currency, eligible, dims, pay)
    fte = _decimal(get(steps.fte)) or Decimal(1)
    midpoint = next(
        (m for n in steps.midpoint_after if (m := _decimal(get(n))) is not None and m > 0), None
    )
    before = _decimal(get(steps.midpoint_before))
    return Fact(
        employee_id,
        policy,
        kind,
        currency,
        eligible,
        dims,
        pay,
        payroll=salary * fte,
        increase=(new_salary - salary) * fte,
        one_time=_decimal(get(steps.one_time)) or _ZERO,
        effective=_date(get(steps.effective)) or payout_date,
        compa_before=_RATIO.divide(salary, before)
        if before and before > 0
        else _decimal(get(steps.compa_before)),
        compa_after=_RATIO.divide(new_salary, midpoint) if midpoint else None,
    )


@attrs.frozen
class GroupTable:
    """The summary by group: ``header`` and ``rows`` of typed cells (`Decimal`, int, text,
    None); `text_rows` gives them as CSV cells. ``kinds`` says what each column holds:
    ``text``, ``count``, ``money`` (in the row's ``currency``) or ``fraction``."""

    by: tuple[str, ...]
    pay_codes: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]

    @property
    def header(self) -> tuple[str, ...]:
        return (
            "policy",
            "kind",
            *self.by,
            "currency",
            "headcount",
            "eligible",
            "total",
            *(f"total {code}" for code in self.pay_codes),
            *COLUMNS,
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        kinds = []
        for name in self.header:
            if name in ("headcount", "eligible", "ready"):
                kinds.append("count")
            elif name in _MONEY or name.startswith("total "):
                kinds.append("money")
            elif name.endswith(("_avg", "_median", "_pct_of_payroll")):
                kinds.append("fraction")
            else:
                kinds.append("text")
        return tuple(kinds)

    def text_rows(self) -> list[list[str]]:
        """Each row as CSV cell text: money at its currency's minor unit (half even), fractions
        at 6 decimals, None as an empty cell."""
        currency_at = self.header.index("currency")
        out = []
        for row in self.rows:
            step = Decimal(1).scaleb(-CURRENCY_MINOR_UNITS.get(str(row[currency_at]), 2))
            cells = []
            for kind, cell in zip(self.kinds, row, strict=True):
                if cell is None:
                    cells.append("")
                elif kind == "money" and isinstance(cell, Decimal):
                    cells.append(format(TOTALS_CONTEXT.quantize(cell, step), "f"))
                elif kind == "fraction" and isinstance(cell, Decimal):
                    cells.append(format(TOTALS_CONTEXT.quantize(cell, _FRACTION_PLACES), "f"))
                else:
                    cells.append(str(cell))
            out.append(cells)
        return out


def _median(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return _RATIO.divide(TOTALS_CONTEXT.add(ordered[middle - 1], ordered[middle]), Decimal(2))


def _exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum (`TOTALS_CONTEXT`, never the thread's context)."""
    total = _ZERO
    for value in values:
        total = TOTALS_CONTEXT.add(total, value)
    return total


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return _RATIO.divide(_exact_sum(values), Decimal(len(values)))


def _in_year(fact: Fact) -> Decimal:
    """The increase from its effective date to the end of that year, by days."""
    if fact.increase is None or fact.effective is None:
        return fact.increase or _ZERO
    year = fact.effective.year
    days = (datetime.date(year, 12, 31) - fact.effective).days + 1
    in_year = (datetime.date(year + 1, 1, 1) - datetime.date(year, 1, 1)).days
    return _RATIO.divide(fact.increase * days, Decimal(in_year))


def _sort_key(value: str) -> tuple[int, Decimal, str]:
    """Numbers in numeric order (levels 2 < 10), then text; ``3 Meets`` sorts as 3."""
    head = value.split(" ", 1)[0]
    number = _decimal(head) if head else None
    if number is not None and number.is_finite():
        return (0, number, value)
    return (1, _ZERO, value)


def _row(
    facts: Sequence[Fact], pay_codes: Sequence[str], convert: Converter | None
) -> tuple[object, ...]:
    """One group's figures, in one pass over its facts; sums exact (`TOTALS_CONTEXT`)."""
    totals: dict[str, Decimal] = {}
    employees, eligible, pcts = set(), set(), []
    payroll = annual = in_year = _ZERO
    before: list[Decimal] = []
    after: list[Decimal] = []
    has_merit = has_target = has_ready = False
    ready = 0
    add = TOTALS_CONTEXT.add
    for f in facts:
        employees.add(f.employee_id)
        for code, amount in f.pay.items():
            totals[code] = add(totals.get(code, _ZERO), convert(amount, f) if convert else amount)
        has_target = has_target or f.kind == "bonus"
        if f.ready is not None:
            has_ready = True
            ready += f.ready
        if f.payroll is not None:
            has_merit = True
        if not f.eligible:
            continue
        eligible.add(f.employee_id)
        if (pct := f.pct_of_target) is not None:
            pcts.append(pct)
        if f.payroll is not None:
            cost = (f.increase or _ZERO) + (f.one_time or _ZERO)
            now = _in_year(f) + (f.one_time or _ZERO)
            if convert:
                payroll = add(payroll, convert(f.payroll, f))
                annual, in_year = add(annual, convert(cost, f)), add(in_year, convert(now, f))
            else:
                payroll, annual, in_year = (
                    add(payroll, f.payroll),
                    add(annual, cost),
                    add(in_year, now),
                )
            if f.compa_before is not None:
                before.append(f.compa_before)
            if f.compa_after is not None:
                after.append(f.compa_after)
    return (
        len(employees),
        len(eligible),
        _exact_sum(totals.values()) if totals else None,
        *(totals.get(code) for code in pay_codes),
        _mean(pcts) if has_target else None,
        _median(pcts) if has_target else None,
        payroll if has_merit else None,
        _RATIO.divide(annual, payroll) if has_merit and payroll else None,
        in_year if has_merit else None,
        annual if has_merit else None,
        _mean(before) if has_merit else None,
        _mean(after) if has_merit else None,
        ready if has_ready else None,
    )


def summarize_by_group(
    facts: Iterable[Fact],
    by: Sequence[str] = (),
    *,
    pay_codes: Sequence[str] | None = None,
    report_currency: str | None = None,
    convert: Converter | None = None,
) -> GroupTable:
    """The summary by group of ``facts`` (see the module docstring). ``by`` names the
    dimensions (keys of each fact's ``dims``; none: one row per policy and currency); an
    unknown name is an `OptionsError` listing the known ones. With ``convert`` (an amount of a
    fact, in its currency, to ``report_currency``: the fact says which policy's rate date and
    type apply), every amount is converted and a group is one row.
    ``pay_codes`` orders the pay-code columns (default: in order of appearance)."""
    facts = list(facts)
    if (convert is None) != (report_currency is None):
        raise OptionsError("a reporting currency needs a converter (rates) and the reverse")
    by = [name for name in by if name != "currency"]  # every row is of one currency already
    known = sorted({name for f in facts for name in f.dims})
    for name in by:
        if facts and name not in known:
            import difflib

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
            raise OptionsError(f"--by: '{name}' is no roster field or step of the run; {hint}")
    codes = list(pay_codes) if pay_codes is not None else []
    for fact in facts:
        codes += [code for code in fact.pay if code not in codes]
    groups: dict[tuple[str, ...], list[Fact]] = {}
    policy_order: dict[str, int] = {}
    for fact in facts:
        policy_order.setdefault(fact.policy, len(policy_order))
        key = (
            fact.policy,
            fact.kind,
            *(fact.dims.get(name, "") for name in by),
            report_currency or fact.currency,
        )
        groups.setdefault(key, []).append(fact)
    ordered = sorted(
        groups, key=lambda k: (policy_order[k[0]], [_sort_key(v) for v in k[2:-1]], k[-1])
    )
    rows = tuple((*key, *_row(groups[key], codes, convert)) for key in ordered)
    return GroupTable(by=tuple(by), pay_codes=tuple(codes), rows=rows)
