"""The lines `explain` prints for a ranked plan result (relative TSR), read from the record:
the percentile rank's arithmetic, and the negative-TSR cap when it bound."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["negative_cap_text", "rank_text"]


def _number(value: object) -> Decimal:
    return Decimal(str(value))


def rank_text(
    rec: Mapping[str, Any],
    show: Callable[[object], str],
    pct: Callable[[object], str],
    num: Callable[[object], str],
) -> str:
    """``percentile rank = 3 ÷ (9 − 1) = 37.5% (inclusive; 12% ranked among 8 peers and the
    company, ties share the lower position)``, or the disclosed percentile."""
    value = rec.get("rank_value")
    if rec.get("rank_disclosed"):
        own = "" if value is None else f"; company value {show(value)}"
        return f"percentile rank {pct(rec.get('actual'))} (disclosed{own})"
    position, count = num(rec.get("rank_position")), rec.get("rank_count")
    peers = rec.get("rank_peers") or {}
    included = rec.get("rank_company") == "included"
    if rec.get("rank_method") == "exclusive":
        formula = f"({position} + 1) ÷ ({count} + 1)"
    else:
        formula = f"{position} ÷ ({count} − 1)"
    among = f"{len(peers)} peers" + (" and the company" if included else "")
    ordered = sorted(peers.items(), key=lambda kv: (_number(kv[1]), kv[0]))  # worst first
    listed = ", ".join(f"{name} {show(v)}" for name, v in ordered)
    return (
        f"percentile rank = {formula} = {pct(rec.get('actual'))} ({rec.get('rank_method')}; "
        f"{show(value)} ranked among {among}: {listed})"
    )


def negative_cap_text(
    rec: Mapping[str, Any], show: Callable[[object], str], pct: Callable[[object], str]
) -> str:
    """``negative cap: the company's value -2% is below 0: 200% capped at 100%``."""
    return (
        f"negative cap: the company's value {show(rec.get('rank_value'))} is below 0: "
        f"{pct(rec.get('uncapped_payout'))} capped at {pct(rec.get('negative_cap'))}"
    )
