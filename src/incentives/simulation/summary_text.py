"""summary.md: a simulation's impact in sentences a compensation lead can paste into an email.

    S1 (company factor 120 %) changes 312 of 1,204 payouts; total +84,120.00 USD (+3.4 %);
    largest increase +9,800.00 USD (00042, Sales); the Operations budget (merit_budget) goes
    from 96 % to 104 % used.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from incentives.money import minor_unit
from incentives.simulation.simulate import Simulation

__all__ = ["summary_markdown"]

_HUNDRED = Decimal(100)
_SHOWN_BUDGETS = 3


def _money(amount: Decimal, currency: str, sign: bool = True) -> str:
    places = max(0, -int(minor_unit(currency).as_tuple().exponent))
    return f"{amount:{'+' if sign else ''},.{places}f} {currency}"


def _percent(value: Decimal) -> str:
    """``1.0449`` → ``104.5 %``; a whole number without decimals (``96 %``)."""
    shown = (value * _HUNDRED).quantize(Decimal("0.1"))
    text = f"{shown:f}".removesuffix(".0")
    return f"{text} %"


def _change_pct(now: Decimal, before: Decimal) -> str:
    if not before:
        return ""
    return f" ({(now - before) * _HUNDRED / before:+.1f} %)"


def _totals(sim: Simulation, k: int) -> list[str]:
    """The change of the total: in the reporting currency, or per currency."""
    pay, base = sim.tally.pay[k], sim.tally.pay[0]
    if sim.report_currency is not None:
        report = sim.report_currency
        now = before = Decimal(0)
        for code, currency in pay:
            now += sim.to_report(pay[(code, currency)][0], currency) or 0
            prior = base.get((code, currency))
            if prior is not None:
                before += sim.to_report(prior[0], currency) or 0
        return [f"total {_money(now - before, report)}{_change_pct(now, before)}"]
    currencies = sorted({currency for _, currency in pay})
    parts = []
    for currency in currencies:
        now = sum((e[0] for (_, c), e in pay.items() if c == currency), Decimal(0))
        before = sum((e[0] for (_, c), e in base.items() if c == currency), Decimal(0))
        parts.append(f"{_money(now - before, currency)}{_change_pct(now, before)}")
    return ["total " + ", ".join(parts)] if parts else []


def _largest(sim: Simulation, k: int) -> list[str]:
    found = sim.tally.largest[k]
    if not found:
        return []
    if sim.report_currency is not None:  # compared in the reporting currency, shown in its own
        currency = max(
            (c for c in found if c in sim.rates and found[c][0] > 0),
            key=lambda c: (found[c][0] * sim.rates[c][0], c),
            default=None,
        )
        picks = [] if currency is None else [currency]
    else:
        picks = [c for c in sorted(found) if found[c][0] > 0]
    parts = []
    for currency in picks:
        delta, employee_id, group = found[currency]
        where = f"{employee_id}, {group}" if group else employee_id
        parts.append(f"largest increase {_money(delta, currency)} ({where})")
    return parts


def _budgets(sim: Simulation, k: int) -> list[str]:
    """The budgets that go over, or back under, their amount."""
    before = {(b.policy, b.budget, b.group): b for b in sim.budgets[0]}
    moves = []
    for line in sim.budgets[k]:
        was = before.get((line.policy, line.budget, line.group))
        if was is None or was.used_pct is None or line.used_pct is None or was.over == line.over:
            continue
        name = f"the {line.group} budget ({line.budget})" if line.group else f"the {line.budget}"
        moves.append(
            f"{name} goes from {_percent(was.used_pct)} to {_percent(line.used_pct)} used"
        )
    if len(moves) > _SHOWN_BUDGETS:
        more = len(moves) - _SHOWN_BUDGETS
        moves = [*moves[:_SHOWN_BUDGETS], f"{more} more budget(s) cross their amount"]
    return moves


def summary_markdown(sim: Simulation, by: Sequence[str] = ()) -> str:
    """The whole summary.md: a title, one paragraph per scenario, where the figures are
    (by_group.csv too with ``by``, the dimensions it was written for)."""
    lines = [f"# Simulation: {len(sim.names) - 1} scenario(s) against the baseline", ""]
    base = sim.summaries[0]
    lines.append(
        f"Baseline: {base.computed:,} of {base.read:,} employees computed, "
        f"{base.rejected:,} rejected."
    )
    lines.append("")
    for k in range(1, len(sim.names)):
        head = sim.names[k] + (f" ({sim.titles[k]})" if sim.titles[k] else "")
        parts = [
            f"{head} changes {sim.tally.payouts_changed[k]:,} of {sim.tally.payouts[k]:,} payouts",
            *_totals(sim, k),
            *_largest(sim, k),
            *_budgets(sim, k),
        ]
        rejected = sim.tally.rejected_only[k]
        if rejected:
            parts.append(f"{rejected:,} employee(s) rejected only in this scenario")
        lines += ["- " + "; ".join(parts) + ".", ""]
    lines.append(
        "Figures: scenarios.csv (totals, changes, budgets and pools), distribution.csv "
        "(payout as % of target), changes.csv (every payout that changes)"
        + (f", by_group.csv (per scenario and {', '.join(by)})." if by else ".")
    )
    return "\n".join(lines) + "\n"
