"""The plan-level inputs of a run as the engine takes them: result figures and exchange rates.

Any object with the right attributes will do (`incentives.io` reads them from CSV files); the
figures are checked against the rulebook here, so a typo in a results file names its line.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Protocol

from incentives.engine.ranked_inputs import check_ranked_actuals
from incentives.errors import OptionsError
from incentives.rulebook.rulebook import Rulebook

__all__ = ["RateSource", "ResultFigureLike", "fx_function", "result_figures"]


class RateSource(Protocol):
    def rate(self, from_ccy: str, to_ccy: str, rate_type: str, on: datetime.date) -> Decimal: ...


class ResultFigureLike(Protocol):
    """One plan result figure (as read by `incentives.io.read_results`)."""

    @property
    def policy(self) -> str: ...
    @property
    def result(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def value(self) -> Decimal: ...
    @property
    def line(self) -> int: ...


def fx_function(rates: RateSource) -> Callable[..., tuple[Decimal, tuple[object, ...]]]:
    """``fx(amount, from, to, rate_type, on)`` → the amount converted and what converted it
    (rate, date, rate type, currencies). A run asks for the same few rates again and again:
    each (currencies, type, date) is looked up in ``rates`` once (a currency to itself: 1,
    without asking), its detail built once: every conversion at one rate gives the very same
    detail, whose breakdown text is then found by its identity (`io.trace_cells`)."""
    one = Decimal(1)  # the rate from a currency to itself, built once
    known: dict[tuple[str, str, str, datetime.date], tuple[Decimal, tuple[object, ...]]] = {}

    def fx(
        amount: Decimal, frm: str, to: str, rate_type: str, on: datetime.date
    ) -> tuple[Decimal, tuple[object, ...]]:
        key = (frm, to, rate_type, on)
        found = known.get(key)
        if found is None:
            # a missing rate raises, each time
            rate = one if frm == to else rates.rate(frm, to, rate_type, on)
            found = (rate, (rate, on, rate_type, frm, to))
            if len(known) < _KNOWN_RATES:
                known[key] = found
        return amount * found[0], found[1]

    def amount_only(
        amount: Decimal, frm: str, to: str, rate_type: str, on: datetime.date
    ) -> Decimal:
        """``fx(...)[0]``, the same product, without its detail (the first pass's functions
        record no trace: ``FX_AMOUNT``)."""
        if frm == to:
            return amount * one
        found = known.get((frm, to, rate_type, on))
        if found is None:  # looked up (or missing) as fx does it: its very product
            return fx(amount, frm, to, rate_type, on)[0]
        return amount * found[0]

    fx.amount = amount_only  # type: ignore[attr-defined]
    return fx


_KNOWN_RATES = 4096  # the rates an `fx` remembers (a run uses a handful)


def result_figures(
    rulebook: Rulebook, results: Iterable[ResultFigureLike]
) -> dict[str, dict[tuple[str, str, str], Decimal]]:
    found: dict[str, dict[tuple[str, str, str], Decimal]] = {}
    results = list(results)
    check_ranked_actuals(rulebook, results)  # an actual beside peers would not be used
    for fig in results:
        policy = (
            rulebook.policy(fig.policy)
            if any(p.id == fig.policy for p in rulebook.policies)
            else None
        )
        if policy is None:
            raise OptionsError(
                f"results line {fig.line}: no policy '{fig.policy}' (policies: {', '.join(p.id for p in rulebook.policies)})"
            )
        if fig.result not in policy.spec.results:
            close = difflib.get_close_matches(fig.result, list(policy.spec.results), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise OptionsError(
                f"results line {fig.line}: policy '{fig.policy}' has no result '{fig.result}'{hint}"
            )
        spec = policy.spec.results[fig.result]
        if fig.field in ("peer", "rank_value") and getattr(spec, "rank", None) is None:
            raise OptionsError(
                f"results line {fig.line}: result '{fig.result}' is not ranked among peers; "
                f"a {fig.field} row needs 'rank:' on the result"
            )
        if fig.field == "peer" and not fig.unit:
            raise OptionsError(
                f"results line {fig.line}: a peer row names the peer in the unit column"
            )
        if bool(fig.unit) != bool(spec.by) and fig.field != "peer":
            want = f"a {spec.by} in the unit column" if spec.by else "an empty unit column"
            raise OptionsError(f"results line {fig.line}: result '{fig.result}' needs {want}")
        if spec.payout is not None and fig.field in ("attainment", "stated_payout"):
            raise OptionsError(
                f"results line {fig.line}: result '{fig.result}' computes its payout from a "
                f"curve on its actual; a stated {fig.field} would not be used (give its actual, "
                "or state the result's figures in the policy instead of its curve)"
            )
        found.setdefault(fig.policy, {})[(fig.result, fig.unit, fig.field)] = fig.value
    return found
