"""What-if scenarios: a scenario file (or ``--set`` alone) read against a rulebook.

    load_scenario(path, rulebook, sets=...) -> Scenario
    Scenario.rulebook          the overridden rulebook (layers: scenario file, then --set)
    Scenario.wrap_roster(r)    the roster with the scenario's input changes (or r itself)
    Scenario.change_counts(w)  employees changed and clamped in a wrapped roster
    Scenario.record(counts)    the layers as the manifest lists them
    what_if_layers(...)        a run's layers (policy files, --results, scenario, --set)

See docs/what-if.md for the file format and the override grammar.
"""

from __future__ import annotations

from incentives.scenarios.record import what_if_layers
from incentives.scenarios.roster import ChangeCounts, ChangedRoster
from incentives.scenarios.scenario import Scenario, load_scenario

__all__ = ["ChangeCounts", "ChangedRoster", "Scenario", "load_scenario", "what_if_layers"]
