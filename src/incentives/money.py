"""Exact money: the engine's decimal context, currencies with their minor units, rounding modes.

Every amount is a `decimal.Decimal`. Nothing is rounded unless a policy says so, and then with
an explicit mode and step. The context below is used only inside the engine (via
`decimal.localcontext`), never installed globally, and is recorded in each run's manifest.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

__all__ = [
    "CURRENCY_MINOR_UNITS",
    "ENGINE_CONTEXT",
    "EXACT_CONTEXT",
    "ROUNDING_MODES",
    "TOTALS_CONTEXT",
    "add_exact",
    "context_description",
    "minor_unit",
    "quantize_step",
    "round_to",
    "truncate_to",
]

ENGINE_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

# Totals, budget sums and their rounding for display: every amount the engine computes has at
# most 28 digits, so sums of them over any number of rows fit in 200 digits and are exact. An
# inexact sum (amounts whose exponents lie absurdly far apart) is trapped, never rounded silently.
TOTALS_CONTEXT = ENGINE_CONTEXT.copy()
TOTALS_CONTEXT.prec = 200
_EXACT_CONTEXT = TOTALS_CONTEXT.copy()
_EXACT_CONTEXT.traps[decimal.Inexact] = True
# `add_exact`'s context, for a loop that adds inline (and calls `add_exact` for its message)
EXACT_CONTEXT = _EXACT_CONTEXT


def add_exact(total: Decimal, amount: Decimal) -> Decimal:
    """``total + amount`` exactly, in whatever context is current (a run's totals never round)."""
    try:
        return _EXACT_CONTEXT.add(total, amount)
    except decimal.Inexact:
        from incentives.errors import IncentivesError

        raise IncentivesError(
            f"a total cannot be summed exactly in {TOTALS_CONTEXT.prec} digits "
            f"({total:.6E} + {amount:.6E}): amounts this far apart in size are not money"
        ) from None


# Names a policy may use for a rounding mode, mapped to the decimal module's constants.
ROUNDING_MODES: dict[str, str] = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
    "floor": decimal.ROUND_FLOOR,
    "ceiling": decimal.ROUND_CEILING,
}

# ISO 4217 minor units of the currencies we know. A currency not listed here is refused.
CURRENCY_MINOR_UNITS: dict[str, int] = {
    "AED": 2, "ARS": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2,
    "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2,
    "NOK": 2, "NZD": 2, "OMR": 3, "PEN": 2, "PHP": 2, "PLN": 2, "QAR": 2, "RON": 2, "SAR": 2,
    "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "VND": 0,
    "ZAR": 2,
}  # fmt: skip

_ONE = Decimal(1)
_STEPS: dict[int, Decimal] = {n: Decimal(1).scaleb(-n) for n in range(0, 7)}


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` (0.01 for EUR, 1 for JPY, 0.001 for KWD)."""
    try:
        return _STEPS[CURRENCY_MINOR_UNITS[currency]]
    except KeyError:
        raise ValueError(f"unknown currency code '{currency}'") from None


def quantize_step(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """Round ``value`` to a multiple of ``step`` (0.01, 1, 100, 0.005…) with ``rounding``."""
    if step <= 0:
        raise ValueError(f"rounding step must be positive, got {step}")
    # Exact for any step: value ÷ step is computed exactly when step is a power of ten, and to
    # 28 digits otherwise; the product keeps the step's exponent (12.35 for a 0.01 step).
    return (value / step).quantize(_ONE, rounding=rounding) * step


def round_to(value: Decimal, step: Decimal, mode: str = "half_up") -> Decimal:
    """Round to a declared step with a named mode (see `ROUNDING_MODES`)."""
    return quantize_step(value, step, ROUNDING_MODES[mode])


def truncate_to(value: Decimal, step: Decimal) -> Decimal:
    """Cut towards zero to a multiple of ``step``."""
    return quantize_step(value, step, decimal.ROUND_DOWN)


def context_description(ctx: decimal.Context = ENGINE_CONTEXT) -> dict[str, object]:
    """The engine context as plain data, for the run manifest."""
    return {
        "precision": ctx.prec,
        "rounding": ctx.rounding,
        "Emin": ctx.Emin,
        "Emax": ctx.Emax,
        "traps": sorted(t.__name__ for t, on in ctx.traps.items() if on),
    }
