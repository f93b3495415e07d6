"""Percentile rank of a company's value (its TSR) within a peer group, by declared conventions.

The peer values are sorted ascending, with the company's own value among them when the plan
says it is ranked ``included`` (the usual "rank within the group including the company").
``r`` is the company's position: the number of values strictly below it (tied values share
the lower position). When the company is ``excluded`` and its value falls between two peers,
``r`` is interpolated between their positions (``interpolate: true``, the default) or is the
position of the peer just below (``interpolate: false``); below the lowest peer ``r`` is 0 and
above the highest it is the last position.

- ``inclusive`` (Excel PERCENTRANK.INC): ``r ÷ (N − 1)``: the lowest 0 %, the highest 100 %.
- ``exclusive`` (Excel PERCENTRANK.EXC): ``(r + 1) ÷ (N + 1)``: never exactly 0 % or 100 %.

``N`` is the number of values ranked (peers, plus the company when included). The division is
done once, in the engine's decimal context.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from decimal import Decimal

__all__ = ["percentile_rank"]


def percentile_rank(
    value: Decimal,
    peers: Sequence[Decimal],
    *,
    method: str = "inclusive",
    company: str = "included",
    interpolate: bool = True,
) -> tuple[Decimal, Decimal, int]:
    """The percentile rank of ``value`` (a fraction: 0.5 is the median), the position ``r`` it
    was computed from, and ``N``. ``peers`` has at least one value (two when ``inclusive``
    ranks the peers alone)."""
    ranked = sorted([*peers, value] if company == "included" else peers)
    count = len(ranked)
    below = bisect_left(ranked, value)  # values strictly below: ties share the lower position
    position = Decimal(below)
    if company != "included" and bisect_right(ranked, value) == below:  # between two peers
        if below == 0:
            position = Decimal(0)
        elif below == count:
            position = Decimal(count - 1)
        elif interpolate:
            low, high = ranked[below - 1], ranked[below]
            position = below - 1 + (value - low) / (high - low)
        else:
            position = Decimal(below - 1)
    if method == "exclusive":
        return (position + 1) / (count + 1), position, count
    return position / (count - 1), position, count
