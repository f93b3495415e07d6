"""What-if overrides of a rulebook: the path grammar, what a path names, layers of overrides.

    grammar   ``[POLICY_ID:]PATH=VALUE`` split, parsed and its value read (docs/what-if.md)
    edits     `Edit`: a place in one policy file's data and the value put there
    targets   a path resolved against the policies into an `Edit` (parameters, results;
              lookup_targets: tables, curves, tiers; allocation_targets: pools, budgets)
    layers    `Layer` (one source of overrides), items from texts or a mapping, data edited

`Rulebook.with_overrides` recompiles each edited policy from its edited data.
"""

from __future__ import annotations

from incentives.rulebook.overrides.edits import Edit, text_of
from incentives.rulebook.overrides.grammar import OverridePath, parse_path, split_assignment
from incentives.rulebook.overrides.layers import Layer, edited, edits_for, overrides_of

__all__ = [
    "Edit",
    "Layer",
    "OverridePath",
    "edited",
    "edits_for",
    "overrides_of",
    "parse_path",
    "split_assignment",
    "text_of",
]
