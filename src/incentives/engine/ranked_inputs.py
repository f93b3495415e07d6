"""A check of the ``--results`` rows of ranked results (``rank:``), before the run binds them.

A result ranked among peers takes its actual from the ranking: an ``actual`` row for it would
be silently unused, so the run stops naming the row. The peers are the policy's or the file's
``peer`` rows (then both are known only once the whole file is read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from incentives.errors import OptionsError
from incentives.rulebook.rulebook import Rulebook

if TYPE_CHECKING:
    from incentives.engine.run_inputs import ResultFigureLike

__all__ = ["check_ranked_actuals"]


def check_ranked_actuals(rulebook: Rulebook, figures: Sequence[ResultFigureLike]) -> None:
    """Raise `OptionsError` for an ``actual`` row of a result ranked among peers."""
    with_peers = {(f.policy, f.result) for f in figures if f.field == "peer"}
    known = {p.id: p for p in rulebook.policies}
    for fig in figures:
        if fig.field != "actual" or fig.policy not in known:
            continue
        spec = known[fig.policy].spec.results.get(fig.result)
        rank = getattr(spec, "rank", None)
        if rank is not None and (rank.peers or (fig.policy, fig.result) in with_peers):
            raise OptionsError(
                f"results line {fig.line}: result '{fig.result}' is ranked among its peers and "
                f"takes its actual from the ranking; the actual {fig.value} would not be used "
                "(drop the row, or drop the peers to use it as a disclosed percentile)"
            )
