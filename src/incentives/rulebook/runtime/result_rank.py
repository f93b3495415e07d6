"""A ranked plan result (``rank:``): its actual is the company's percentile rank within its
peer group, computed once per run; the negative-TSR cap applies to its payout.

The peers come from the policy (``peers:``, a list or a mapping name → value) or from
``--results`` rows of field ``peer`` (the unit column naming the peer), which replace the
policy's; the company's own value from ``rank.value`` or a ``rank_value`` row. Everything used
is recorded: the sorted values, the position, the count and the cap, for `explain` to print.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from incentives.errors import OptionsError
from incentives.rulebook.language.result_spec import RankSpec
from incentives.rulebook.runtime.percentile import percentile_rank

__all__ = ["cap_negative", "rank_actual"]


def _peers(
    name: str, rank: RankSpec, figures: Mapping[tuple[str, str, str], Decimal]
) -> dict[str, Decimal]:
    given = {
        unit: v for (res, unit, field), v in figures.items() if res == name and field == "peer"
    }
    if given:
        return dict(sorted(given.items()))
    if isinstance(rank.peers, dict):
        return dict(rank.peers)
    return {f"peer {i}": v for i, v in enumerate(rank.peers or (), 1)}


def rank_actual(
    where: str,
    name: str,
    rank: RankSpec,
    actual: Decimal | None,
    figures: Mapping[tuple[str, str, str], Decimal],
) -> tuple[Decimal | None, dict[str, Any]]:
    """The result's actual (the percentile rank, or the disclosed ``actual`` when there are no
    peers) and the record of the ranking."""
    value = figures.get((name, "", "rank_value"), rank.value)
    peers = _peers(name, rank, figures)
    record: dict[str, Any] = {"rank_value": value, "rank_method": rank.method}
    if not peers:  # a disclosed percentile: the actual as given
        return actual, {**record, "rank_disclosed": True}
    if value is None:
        raise OptionsError(
            f"{where} ranks the company's value among {len(peers)} peers and has no value; "
            "give it as rank: {value: ...} or a --results row with field rank_value"
        )
    needed = 2 if rank.method == "inclusive" and rank.company == "excluded" else 1
    if len(peers) < needed:
        raise OptionsError(f"{where} needs at least {needed} peers to rank against")
    percentile, position, count = percentile_rank(
        value,
        list(peers.values()),
        method=rank.method,
        company=rank.company,
        interpolate=rank.interpolate,
    )
    return percentile, {
        **record,
        "rank_company": rank.company,
        "rank_peers": peers,
        "rank_position": position,
        "rank_count": count,
        "rank_disclosed": False,
    }


def cap_negative(
    rank: RankSpec, payout: Decimal | None, value: Decimal | None
) -> tuple[Decimal | None, bool]:
    """The payout under the negative cap (when the company's own value is below 0), and
    whether the cap bound."""
    cap = rank.negative_cap
    if cap is None or payout is None or value is None or value >= 0 or payout <= cap:
        return payout, False
    return cap, True
