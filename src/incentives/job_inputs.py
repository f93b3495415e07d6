"""The files a run reads, as every job reads them: `run`, a simulation and a sweep open the
same roster (an .xlsx input's sheet, the --columns mapping, the fields' kinds), record the
same inputs in their manifests, and keep --out apart from the same files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from incentives.engine.calculate import ResultFigureLike
from incentives.io import RateTable, open_roster, read_rates, read_results
from incentives.io.column_map import load_column_map
from incentives.io.csvread import file_sha256
from incentives.io.history import check_history_columns
from incentives.io.roster import Roster
from incentives.io.sheet_table import field_kinds
from incentives.rulebook.rulebook import Rulebook

if TYPE_CHECKING:
    from incentives.jobs import RunRequest

__all__ = ["input_files", "manifest_inputs", "read_inputs", "required_columns"]


def required_columns(rulebook: Rulebook) -> set[str]:
    """Roster columns that must be present: inputs some policy requires (no default)."""
    needed: set[str] = set()
    for policy in rulebook.policies:
        for name, spec in policy.spec.inputs.items():
            if spec.required and spec.default is None:
                needed.add(name)
    return needed


def read_inputs(
    request: RunRequest, rulebook: Rulebook, read_columns: Iterable[str] = ()
) -> tuple[Roster, list[ResultFigureLike], RateTable]:
    """The roster, plan results and rates a run of ``request`` reads, as `run` reads them (an
    .xlsx input's sheet, the --columns mapping, the fields' kinds): what a simulation or a
    sweep evaluates, so that their rows are the run's. ``read_columns``: roster columns to
    keep besides the fields the policies read (a simulation's --by)."""
    columns = load_column_map(request.columns, rulebook.field_names) if request.columns else None
    sheets = request.sheets
    roster = open_roster(
        request.employees,
        required_columns=required_columns(rulebook),
        goals_path=request.goals,
        ratings_path=request.ratings,
        history_path=request.history,
        read_columns={*rulebook.field_names, *read_columns},
        sheets=sheets,
        columns=columns,
        kinds=field_kinds({field.name: field.type for field in rulebook.fields}),
    )
    check_history_columns(roster, rulebook.field_names)
    figures: list[ResultFigureLike] = (
        [*read_results(request.results, sheets.get("results"))] if request.results else []
    )
    rates = read_rates(request.rates, sheets.get("rates")) if request.rates else RateTable.empty()
    return roster, figures, rates


def manifest_inputs(
    request: RunRequest, roster_sha256: str, records: int | None
) -> dict[str, dict[str, object]]:
    """The manifest's ``inputs``: each file the run read by role (``employees``, ``goals``,
    ``results``, ``rates``, ``ratings``, ``history``, ``columns``), its path, SHA-256 and an
    .xlsx input's sheet; the roster's hash and record count as the roster was read (a sweep's
    manifest gives no count: None)."""
    roster: dict[str, object] = {"path": str(request.employees), "sha256": roster_sha256}
    inputs = {"employees": roster if records is None else {**roster, "records": records}}
    for role, sheet in sorted(request.sheets.items()):  # an .xlsx input's sheet
        inputs.setdefault(role, {})["sheet"] = sheet
    for role, _, path in _keyed_files(request):
        inputs[role] = {"path": str(path), "sha256": file_sha256(path), **inputs.get(role, {})}
    return inputs


def input_files(request: RunRequest) -> list[tuple[str, Path]]:
    """Every file and folder a run reads, by role (what --out must stay apart from)."""
    roles = [("rules folder" if request.rules.is_dir() else "policy file", request.rules)]
    roles.append(("employees file", request.employees))
    roles += [(shown, path) for _, shown, path in _keyed_files(request)]
    if request.scenario is not None and request.scenario.file is not None:
        roles.append(("scenario file", Path(request.scenario.file)))
    return roles


_OTHER_FILES = (
    ("goals", "goals file"),
    ("results", "results file"),
    ("rates", "rates file"),
    ("ratings", "ratings file"),
    ("history", "history file"),
    ("columns", "column mapping file"),
)


def _keyed_files(request: RunRequest) -> list[tuple[str, str, Path]]:
    """The files given besides the roster: (the manifest's key, the role in messages, path)."""
    return [
        (key, shown, path)
        for key, shown in _OTHER_FILES
        if (path := getattr(request, key)) is not None
    ]
