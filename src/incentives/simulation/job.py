"""`incentives simulate` as a library call: the inputs read once, the simulation folder written.

    simulate_job(SimulateRequest(rules=..., employees=..., out=..., scenarios=[...]))

The folder (written whole, atomically, as a run folder is: `io.writers.OutputDir`) holds
scenarios.csv, distribution.csv, changes.csv (see `simulation.tables`), summary.md
(`simulation.summary_text`) and manifest.json: the baseline's manifest as `run` writes it
(inputs with their SHA-256, counts, totals, budgets, pools) with ``"what_if": true`` and, per
scenario, its title, overrides, the SHA-256 of its rulebook and its totals.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.manifest import manifest_data, rulebook_data
from incentives.errors import UsageError, shorten
from incentives.io import run_dir
from incentives.io.csvread import file_sha256
from incentives.io.writers import OutputDir, dumps_json
from incentives.jobs import RunRequest, input_files, manifest_inputs, read_inputs
from incentives.rulebook.rulebook import Rulebook, load_rules
from incentives.simulation.facts import changes_header
from incentives.simulation.groups import GroupFacts, PolicyRead, by_group_rows, policy_reads
from incentives.simulation.simulate import Scenario, Simulation, simulate
from incentives.simulation.summary_text import summary_markdown
from incentives.simulation.tables import (
    SCENARIOS_HEADER,
    distribution_header,
    distribution_rows,
    scenario_rows,
)

__all__ = [
    "SIMULATION_FILES",
    "SimulateOptionError",
    "SimulateRequest",
    "rulebook_sha256",
    "simulate_job",
]

SIMULATION_FILES = (
    "changes.csv",
    "distribution.csv",
    "manifest.json",
    "scenarios.csv",
    "summary.md",
)


class SimulateOptionError(UsageError):
    """An option of the simulation cannot be used (an unknown ``by`` name): a usage error,
    raised before anything is computed (CLI exit 2)."""


@attrs.frozen
class SimulateRequest:
    """What to simulate: the run's inputs (``run``: rules, roster and its files, results,
    rates, as-of date; ``run.out`` the simulation's folder, ``run.force``, ``run.workers``,
    ``run.parallel_from`` as for a run), the scenarios, and how to report."""

    run: RunRequest
    scenarios: Sequence[Scenario] = ()
    baseline: Rulebook | None = None  # None: loaded from ``run.rules``
    # the roster columns of a summary by group (the first is named beside the largest increase)
    by: tuple[str, ...] = ()
    report_currency: str | None = None


def rulebook_sha256(rulebook: Rulebook) -> str:
    """A rulebook's identity: each policy's file hash, overrides, parameters and lookups."""
    data: list[Any] = [
        {
            "id": p.id,
            "sha256": p.sha256,
            "overrides": list(p.overrides),
            "parameters": dict(p.parameters),
            "lookups": rulebook_data(rulebook)["policies"][i]["lookups"],
        }
        for i, p in enumerate(rulebook.policies)
    ]
    return hashlib.sha256(dumps_json(data).encode("utf-8")).hexdigest()


def simulate_job(request: SimulateRequest) -> Simulation:
    """Read the inputs once, simulate, write the folder (nothing is written on any error)."""
    run = request.run
    with contextlib.ExitStack() as held:
        with run_dir.writing(run.out):
            files = [getattr(s, "file", None) for s in request.scenarios]  # scenario files
            run_dir.check_apart(
                run.out, [*input_files(run), *(("scenario file", Path(f)) for f in files if f)]
            )
            target = run_dir.real_path(run.out)
            held.enter_context(run_dir.exclusive(target, run.out))
        baseline = request.baseline or load_rules(run.rules)
        roster, figures, rates = read_inputs(run, baseline, request.by)
        _check_by(request.by, roster.columns, baseline)
        reads = policy_reads(baseline, request.by)
        with OutputDir(run.out, force=run.force) as out:
            names = ("baseline", *(s.name for s in request.scenarios))
            changes = out.csv_writer("changes.csv", changes_header(names[1:]))
            sim = simulate(
                baseline,
                roster,
                request.scenarios,
                results=figures,
                rates=rates,
                as_of=run.as_of,
                report_currency=request.report_currency,
                group=request.by[0] if request.by and request.by[0] in roster.columns else None,
                workers=run.workers,
                parallel_from=run.parallel_from,
                changes=changes,
                also=[functools.partial(_group_facts, request.by, reads, len(names))]
                if request.by
                else [],
                scratch=out.scratch,
            )
            if request.by:
                takers = [t for t in sim.takers[0] if isinstance(t, GroupFacts)]
                header, groups = by_group_rows(
                    names, takers, baseline, request.by, rates=rates,
                    report_currency=request.report_currency, as_of=run.as_of,
                )  # fmt: skip
                sink = out.csv_writer("by_group.csv", header)
                for cells in groups:
                    sink.write(cells)
            sink = out.csv_writer("scenarios.csv", SCENARIOS_HEADER)
            for row in scenario_rows(sim):
                sink.write(row)
            sink = out.csv_writer("distribution.csv", distribution_header(sim))
            for row in distribution_rows(sim):
                sink.write(row)
            out.text("summary.md", summary_markdown(sim, request.by))
            out.json("manifest.json", _manifest(request, sim, roster.sha256, len(roster.orphans())))
    return sim


def _group_facts(
    by: Sequence[str], reads: Mapping[str, PolicyRead], count: int, _share: int
) -> GroupFacts:
    return GroupFacts(by, reads, count)


def _check_by(by: Sequence[str], columns: Sequence[str], rulebook: Rulebook) -> None:
    """Each ``by`` name is a roster column, an input or a step of a policy."""
    steps = [s.name for p in rulebook.policies for s in p.slots if s.kind == "step"]
    known = sorted({*columns, *rulebook.field_names, *steps})
    for name in by:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "a roster column or a step"
            raise SimulateOptionError(
                f"--by: '{shorten(name, 80)}' is no roster column, input or step; {hint}"
            )


def _manifest(
    request: SimulateRequest, sim: Simulation, roster_sha256: str, orphans: int
) -> dict[str, Any]:
    run = request.run
    inputs = manifest_inputs(run, roster_sha256, sim.records)
    if run.scenario is not None and run.scenario.file is not None:
        inputs["scenario"] = {"path": run.scenario.file, "sha256": file_sha256(run.scenario.file)}
    base = sim.calculations[0]
    as_of: str | dict[str, str] = (
        run.as_of.isoformat()
        if run.as_of
        else {p.id: p.spec.policy.payout_date.isoformat() for p in base.rulebook.policies}
    )
    data = manifest_data(
        base,
        inputs=inputs,
        as_of=as_of,
        orphan_rows=orphans,
        budgets=sim.budgets[0],
        pools=sim.pools[0],
        files={"written": sorted({*SIMULATION_FILES, *(["by_group.csv"] if request.by else [])})},
    )
    data["what_if"] = True
    data["baseline_sha256"] = rulebook_sha256(base.rulebook)
    data["report_currency"] = sim.report_currency
    data["report_rates"] = {
        cur: {"rate": rate, "rate_type": kind, "date": on}
        for cur, (rate, kind, on) in sorted(sim.rates.items())
    }
    data["scenarios"] = [
        {
            "name": name,
            "title": scenario.title,
            "sha256": rulebook_sha256(calc.rulebook),
            "overrides": {p.id: list(p.overrides) for p in calc.rulebook.policies if p.overrides},
            "counts": {
                "read": calc.summary.read,
                "computed": calc.summary.computed,
                "rejected": calc.summary.rejected,
            },
            "totals": [
                {"currency": cur, "component": comp, "pay_code": code, "amount": amount}
                for (cur, comp, code), amount in sorted(calc.summary.totals.items())
            ],
            # a scenario file's (or --set's) layers as a run's manifest lists them: the file,
            # its SHA-256, the overrides as written and the input changes
            **({"layers": scenario.record()} if hasattr(scenario, "record") else {}),
        }
        for name, calc, scenario in zip(
            sim.names[1:], sim.calculations[1:], request.scenarios, strict=True
        )
    ]
    return data
