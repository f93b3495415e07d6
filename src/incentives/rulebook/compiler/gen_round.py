"""Rounding to a step in generated code: a decimal inline, anything else through ``F_round_to``.

Steps and pay components round several values per employee; a call of ``F_round_to`` costs
more than the rounding itself. When the step is known positive and the mode known, the
generated code rounds a `Decimal` inline exactly as ``F_round_to`` does for one (the value
divided by the step, quantized to a whole number with the mode, times the step), and leaves any
other value (None, an integer) to ``F_round_to``, with its checks and messages.
"""

from __future__ import annotations

from incentives.money import ROUNDING_MODES
from incentives.rulebook.runtime.contract import DECIMAL, ONE, ROUND_TO

__all__ = ["round_code"]


def round_code(value: str, step: str, mode: str, positive_step: bool) -> str:
    """Python rounding ``value`` (a local's name: it is read more than once) to ``step`` (a
    name) with ``mode``; inline for a decimal when ``positive_step`` (the step is a constant
    above zero or the currency's minor unit) and the mode is one of `ROUNDING_MODES`."""
    call = f"{ROUND_TO}({value}, {step}, {mode!r})"
    rounding = ROUNDING_MODES.get(mode)
    if rounding is None or not positive_step or not value.isidentifier():
        return call
    return (
        f"({value} / {step}).quantize({ONE}, rounding={rounding!r}) * {step} "
        f"if type({value}) is {DECIMAL} else {call}"
    )
