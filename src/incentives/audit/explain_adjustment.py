"""The line `explain` prints for a plan result whose reported actual a committee adjusted,
read from the run's record (never re-derived)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["adjustment_text"]


def adjustment_text(rec: Mapping[str, Any], show: Callable[[object], str]) -> str:
    """``actual 98 = reported 104 adjusted by -6 — "Gain on the Lyon sale excluded"``, or
    ``actual 95: reported 80 replaced by 95 — "…"`` for an adjustment that states the actual."""
    reason = f'"{rec.get("adjustment_reason")}"'
    actual, reported = show(rec.get("actual")), rec.get("reported_actual")
    if rec.get("adjustment_replaces"):
        was = "no reported actual" if reported is None else f"reported {show(reported)}"
        return f"actual {actual}: {was} replaced by {actual} — {reason}"
    return (
        f"actual {actual} = reported {show(reported)} adjusted by "
        f"{show(rec.get('adjustment'))} — {reason}"
    )
