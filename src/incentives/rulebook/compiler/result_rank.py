"""Load checks of a ranked result (``rank:``): what is wrong without any data is said here."""

from __future__ import annotations

from incentives.rulebook.compiler.compile_state import CompileState

__all__ = ["check_rank"]


def check_rank(p: CompileState, name: str) -> None:
    """A ranked result has no `by:` (one peer group per plan), takes its actual from the
    ranking when it lists peers, and lists enough peers for its convention."""
    result = p.spec.results[name]
    rank = result.rank
    if rank is None:
        return
    path = ("results", name, "rank")
    if result.by:
        p.problem(path, "a ranked result is ranked once per plan; it takes no 'by:'")
    peers = len(rank.peers or ())
    if peers and result.actual is not None:
        p.problem(
            (*path, "peers"),
            "a result ranked among its peers takes its actual from the ranking; "
            f"'actual: {result.actual}' would not be used",
            "drop 'actual' (or drop 'peers' to use a disclosed percentile as the actual)",
        )
    if peers == 1 and rank.method == "inclusive" and rank.company == "excluded":
        p.problem(
            (*path, "peers"),
            "one peer cannot be ranked inclusively without the company (N − 1 = 0)",
            "list the peer group, or rank with company: included",
        )
