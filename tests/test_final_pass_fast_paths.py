"""The final pass's fast paths give what the general paths give.

A policy's outcome is made by generated code (`outcome_maker`), equal to a loop over its
eligibility, pay total, zero gate, gate and readiness slots; a roster of text cells has its
coverage remembered per text of the population cells, equal to asking every population; `fx`
remembers the rates it looked up.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_helpers import employees
from incentives.engine.calculate import calculate
from incentives.engine.outcome import outcome_maker
from incentives.engine.run_inputs import fx_function
from incentives.io.plan_inputs import MissingRate
from incentives.model.roster import RowsRoster
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.rulebook import Rulebook, load_rules
from incentives.rulebook.runtime.policy import CompiledPolicy
from strategies import coverage_rows
from test_coverage import coverage_rulebook

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def policies() -> tuple[CompiledPolicy, ...]:
    """The sample's policies and the bench cycle's: eligibility criteria, zero gates, gates
    joined to several steps, readiness criteria with their gaps."""
    return load_rules(ROOT / "rules").policies + load_rules(ROOT / "bench" / "rules").policies


def looped(policy: CompiledPolicy, t: tuple[Any, ...]) -> tuple[Any, ...]:
    """An outcome's fields as a loop over the policy's slots works them out."""
    slots = policy.slots
    eligible, reason = True, ""
    for i in policy.eligibility_slots:
        if not t[i]:
            eligible, reason = False, slots[i].reason
            break
    totals = policy.pay_total_slots
    if eligible and totals and not any(t[i] for i in totals):
        zero = (slots[i].reason for i in policy.zero_gate_slots if t[i])
        reason = next(zero, "computed as zero")
    notes = "; ".join(dict.fromkeys(slots[i].reason for i in policy.gate_slots if t[i]))
    currency = str(t[policy.input_names.index(policy.currency_input)])
    if policy.ready_slot is None:
        return (policy, t, eligible, reason, currency, notes, None, "")
    ready = eligible and bool(t[policy.ready_slot])
    gaps = (
        "; ".join([t[gap] for crit, gap in policy.criteria_slots if not t[crit]])
        if eligible
        else reason
    )
    return (policy, t, eligible, reason, currency, notes, ready, gaps)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_generated_outcome_equals_the_loop_over_slots(data: st.DataObject) -> None:
    """For any policy and any trace (each slot true or false, gaps as text), the generated
    outcome has the eligibility, zero reason, notes, readiness and gaps the loop gives."""
    policy = data.draw(st.sampled_from(policies()))
    currency = policy.input_names.index(policy.currency_input)
    gaps = {gap for _, gap in policy.criteria_slots}
    trace = tuple(
        "EUR"
        if i == currency
        else data.draw(st.sampled_from(["", "1 year short"]))
        if i in gaps
        else data.draw(st.booleans())
        for i in range(len(policy.slots))
    )
    made = outcome_maker(policy)(trace)
    assert tuple(made) == looped(policy, trace)
    assert made.eligible is looped(policy, trace)[2]


class TextRows(RowsRoster):
    """Rows whose cells are all text, as a CSV roster reads them: the engine's fast paths."""

    text_cells = True


@functools.cache
def rulebook() -> Rulebook:
    return coverage_rulebook()


@settings(max_examples=60, deadline=None)
@given(rows=coverage_rows(), strict=st.booleans())
def test_a_text_roster_is_covered_and_computed_as_typed_rows_are(
    rows: list[dict[str, str]], strict: bool
) -> None:
    """Rows read as text (coverage remembered per population text, generated conversion)
    give the same outcomes, rejections and counts as the same rows through the fields' own
    converters and every population asked for every row."""
    typed = calculate(rulebook(), employees(rows), require_coverage=strict)
    text = calculate(rulebook(), TextRows(employees(rows)), require_coverage=strict)
    assert list(text) == list(typed)
    assert text.summary == typed.summary


class CountedRates:
    """Rates USD→EUR (0.9) on any date, counting the look-ups; any other pair is missing."""

    def __init__(self) -> None:
        self.asked = 0

    def rate(self, from_ccy: str, to_ccy: str, rate_type: str, on: datetime.date) -> Decimal:
        self.asked += 1
        if (from_ccy, to_ccy) != ("USD", "EUR"):
            raise MissingRate(f"no {rate_type} rate {from_ccy}→{to_ccy} on {on}", "pair")
        return Decimal("0.9") if on.month < 7 else Decimal("0.95")


def test_fx_looks_each_rate_up_once_and_a_missing_one_each_time() -> None:
    """fx gives the converted amount and the rate's detail as the rates give them; the same
    rate (pair, type, date) is looked up once, a missing rate raises at every conversion."""
    rates = CountedRates()
    fx = fx_function(rates)
    jan, aug = datetime.date(2026, 1, 31), datetime.date(2026, 8, 31)
    assert fx(Decimal("100.00"), "USD", "EUR", "spot", jan) == (
        Decimal("90.000"),
        (Decimal("0.9"), jan, "spot", "USD", "EUR"),
    )
    assert fx(Decimal("10"), "USD", "EUR", "spot", jan)[0] == Decimal("9.0")
    assert fx(Decimal("10"), "USD", "EUR", "spot", aug)[1][0] == Decimal("0.95")
    assert fx(Decimal("10"), "USD", "USD", "spot", aug) == (
        Decimal("10"),
        (Decimal(1), aug, "spot", "USD", "USD"),
    )
    assert rates.asked == 2
    for _ in range(2):
        with pytest.raises(MissingRate):
            fx(Decimal("10"), "EUR", "USD", "spot", jan)
    assert rates.asked == 4


def test_fx_amount_alone_of_a_rate_longer_than_the_precision_is_fxs_amount() -> None:
    """A rates file may give a rate with more digits than the engine's precision: the amount
    alone is fx's product of the amount and that very rate, also on its first look-up (not
    the product with the rate rounded first)."""

    class LongRate:
        def rate(self, from_ccy: str, to_ccy: str, rate_type: str, on: datetime.date) -> Decimal:
            return Decimal("0.9" + "7" * 60)

    on = datetime.date(2026, 12, 31)
    amount = Decimal("623347347.958")  # a product that the rate rounded first changes
    with decimal.localcontext(ENGINE_CONTEXT):
        expected = fx_function(LongRate())(amount, "USD", "EUR", "spot", on)[0]
        got = fx_function(LongRate()).amount(amount, "USD", "EUR", "spot", on)  # type: ignore[attr-defined]
    assert repr(got) == repr(expected)


@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False),
    pair=st.sampled_from([("USD", "EUR"), ("USD", "USD"), ("EUR", "EUR"), ("EUR", "USD")]),
    month=st.integers(1, 12),
    seen=st.booleans(),
)
def test_fx_amount_alone_is_fxs_amount(
    amount: Decimal, pair: tuple[str, str], month: int, seen: bool
) -> None:
    """``FX_AMOUNT`` (the functions recording no trace call it): fx's amount, digit and
    exponent, whether fx looked the rate up before or not; a missing rate raises the same."""
    on = datetime.date(2026, month, 28)
    fx = fx_function(CountedRates())
    with decimal.localcontext(ENGINE_CONTEXT):
        if seen:  # the rate looked up by fx before
            with contextlib.suppress(MissingRate):
                fx(Decimal(1), *pair, "spot", on)
        try:
            got = repr(fx.amount(amount, *pair, "spot", on))  # type: ignore[attr-defined]
        except MissingRate as exc:
            got = repr(exc)
        try:
            expected = repr(fx_function(CountedRates())(amount, *pair, "spot", on)[0])
        except MissingRate as exc:
            expected = repr(exc)
    assert got == expected
