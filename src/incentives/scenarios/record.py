"""What a what-if run's manifest records: ``"what_if": true`` and its layers, in precedence
order (policy files < --results file < scenario file < --set)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from incentives.model.roster import RosterSource
from incentives.rulebook.rulebook import Rulebook
from incentives.scenarios.scenario import Scenario

__all__ = ["what_if_layers"]


def what_if_layers(
    rulebook: Rulebook,
    rules: Path,
    results: Path | None,
    scenario: Scenario | None,
    roster: RosterSource,
) -> list[dict[str, Any]]:
    """The layers of a run, or [] when nothing was overridden and no input changed (a run of
    the policies as written). ``roster`` is the wrapped one (for the changed employees)."""
    own = scenario.layers if scenario is not None else ()
    earlier = [layer.describe() for layer in rulebook.layers if layer not in own]
    if not earlier and not own and not (scenario is not None and scenario.inputs):
        return []
    layers: list[dict[str, Any]] = [{"layer": "policy files", "path": str(rules)}]
    if results is not None:
        sha = hashlib.sha256(results.read_bytes()).hexdigest()
        layers.append({"layer": "--results", "file": str(results), "sha256": sha})
    layers += earlier
    if scenario is not None:
        layers += scenario.record(scenario.change_counts(roster))
    return layers
