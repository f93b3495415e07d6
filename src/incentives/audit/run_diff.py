"""Two run folders compared: who was added, removed and changed, by how much, and why.

    diff_runs(run_a, run_b) -> RunDiff
    RunDiff.changes      one `Change` per employee, policy, pay component and currency that moved
    RunDiff.outputs      one `OutputChange` per employee, policy and output that moved (a new
                         salary, a merit percentage, readiness): not pay, outside the totals
    RunDiff.totals       per currency and component: both runs' totals and the sum of the deltas
    RunDiff.policies     each policy added, removed or changed (version, SHA-256, what changed)

Everything is read from the two folders (docs/run-folder.md); nothing is re-computed. The
deltas are checked against both manifests' totals, per currency and component, to the cent:
a pair of folders whose figures do not add up raises `DiffError` rather than printing a diff
that does not reconcile.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.diff_changes import Change, Comparison, OutputChange
from incentives.audit.run_folder import RunFolder, read_run_folder
from incentives.audit.what_if_layers import what_if_lines
from incentives.display import format_value
from incentives.errors import IncentivesError, OptionsError
from incentives.money import add_exact
from incentives.rulebook.language.values import parse_number

__all__ = [
    "Change",
    "DiffError",
    "NotARunFolder",
    "OutputChange",
    "PolicyChange",
    "RunDiff",
    "TotalLine",
    "diff_runs",
]

_SECTIONS = ("parameters", "results", "tables", "curves", "tiers", "scorecards", "eligibility",
             "inputs", "pools", "budgets", "pay", "policy")  # fmt: skip


class NotARunFolder(OptionsError):
    """A folder given to `diff` is not a run folder (or not a readable one): a usage error."""


class DiffError(IncentivesError):
    """The two runs' deltas do not add up to the difference of their totals."""


@attrs.frozen
class TotalLine:
    """One currency and component: both manifests' totals and the sum of the deltas."""

    currency: str
    component: str
    before: Decimal
    after: Decimal
    deltas: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@attrs.frozen
class PolicyChange:
    """A policy added, removed or changed: ids, versions, hashes and the parts that differ."""

    id: str
    status: str  # added, removed, changed
    version_a: str | None
    version_b: str | None
    sha_a: str | None
    sha_b: str | None
    steps: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.status != "changed":
            version = self.version_b if self.status == "added" else self.version_a
            sha = (self.sha_b if self.status == "added" else self.sha_a) or ""
            return f"policy {self.id} {version} ({sha[:12]}) {self.status}"
        parts = [
            f"policy {self.id} {self.version_a} ({(self.sha_a or '')[:12]}) → "
            f"{self.version_b} ({(self.sha_b or '')[:12]})"
        ]
        if self.steps:
            parts.append(f"steps changed: {', '.join(self.steps)}")
        if self.sections:
            parts.append(f"also changed: {', '.join(self.sections)}")
        return "; ".join(parts)


@attrs.frozen
class RunDiff:
    """What differs between run A (before) and run B (after)."""

    run_a: Path
    run_b: Path
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    changes: tuple[Change, ...]
    totals: tuple[TotalLine, ...]
    policies: tuple[PolicyChange, ...]
    notes: tuple[str, ...]
    outputs: tuple[OutputChange, ...] = ()

    @property
    def changed(self) -> tuple[str, ...]:
        """The employees in both runs with at least one component or output that moved."""
        moved = [c.employee_id for c in self.changes] + [o.employee_id for o in self.outputs]
        both = [e for e in moved if e not in self.added]
        return tuple(e for e in dict.fromkeys(both) if e not in self.removed)

    @property
    def empty(self) -> bool:
        return not (self.changes or self.outputs or self.added or self.removed or self.policies)


def _read(path: Path | str, which: str) -> RunFolder:
    try:
        return read_run_folder(Path(path))
    except OptionsError as exc:
        raise NotARunFolder(f"run {which}: {exc}") from None


def diff_runs(run_a: Path | str, run_b: Path | str) -> RunDiff:
    """Compare the run folder ``run_b`` with ``run_a`` (see the module docstring).

    Raises `NotARunFolder` for a folder that is not a readable run folder (naming the file)
    and `DiffError` when the deltas do not reconcile with the manifests' totals."""
    a, b = _read(run_a, "A"), _read(run_b, "B")
    results_a = {(r["employee_id"], r["policy"]): r for r in a.results}
    results_b = {(r["employee_id"], r["policy"]): r for r in b.results}
    ids_a = dict.fromkeys(k[0] for k in results_a)
    ids_b = dict.fromkeys(k[0] for k in results_b)
    added = tuple(e for e in ids_b if e not in ids_a)
    removed = tuple(e for e in ids_a if e not in ids_b)
    comparison = Comparison(a, b)
    changes: list[Change] = []
    outputs: list[OutputChange] = []
    for key in [*results_a, *(k for k in results_b if k not in results_a)]:
        row_a, row_b = results_a.get(key), results_b.get(key)
        changes += comparison.changes(key, row_a, row_b)
        if row_a is not None and row_b is not None:
            outputs += comparison.output_changes(key, row_a, row_b)
    moved = {c.employee_id for c in changes} | {o.employee_id for o in outputs}
    unchanged = sum(1 for e in ids_a if e in ids_b and e not in moved)
    return RunDiff(
        run_a=a.path,
        run_b=b.path,
        added=added,
        removed=removed,
        unchanged=unchanged,
        changes=tuple(changes),
        totals=_reconcile(a, b, changes),
        policies=_policy_changes(a, b),
        notes=_notes(a, b),
        outputs=tuple(outputs),
    )


def _policy_changes(a: RunFolder, b: RunFolder) -> tuple[PolicyChange, ...]:
    by_a = {str(p.get("id")): p for p in a.rulebook.get("policies", [])}
    by_b = {str(p.get("id")): p for p in b.rulebook.get("policies", [])}
    found = []
    for policy_id in [*by_a, *(i for i in by_b if i not in by_a)]:
        pa, pb = by_a.get(policy_id), by_b.get(policy_id)
        if pa is not None and pb is not None and pa.get("sha256") == pb.get("sha256"):
            continue
        status = "added" if pa is None else "removed" if pb is None else "changed"
        steps: tuple[str, ...] = ()
        sections: tuple[str, ...] = ()
        if pa is not None and pb is not None:
            sa, sb = pa.get("spec", {}), pb.get("spec", {})
            steps_a, steps_b = sa.get("steps", {}), sb.get("steps", {})
            steps = tuple(
                s for s in dict.fromkeys([*steps_a, *steps_b]) if steps_a.get(s) != steps_b.get(s)
            )
            percent = {*pa.get("written_as_percent", ()), *pb.get("written_as_percent", ())}
            sections = tuple(
                _section_change(s, sa.get(s), sb.get(s), percent)
                for s in _SECTIONS
                if sa.get(s) != sb.get(s)
            )
        found.append(
            PolicyChange(
                policy_id,
                status,
                None if pa is None else str(pa.get("version")),
                None if pb is None else str(pb.get("version")),
                None if pa is None else str(pa.get("sha256")),
                None if pb is None else str(pb.get("sha256")),
                steps,
                sections,
            )
        )
    return tuple(found)


def _section_change(section: str, before: Any, after: Any, percent: set[str]) -> str:
    """``parameters (max_multiple 2 → 1.5)``: a section of the policy, with the names in it
    that differ and, for plain values, both values (a value written as a percentage in the
    policy file shown as one)."""
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return section
    names = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    shown = []
    for name in names:
        old, new = before.get(name), after.get(name)
        if isinstance(old, (str, int)) and isinstance(new, (str, int)):
            type_ = "percent" if f"{section}.{name}" in percent else "decimal"
            shown.append(f"{name} {_plain(old, type_)} → {_plain(new, type_)}")
        else:
            shown.append(str(name))
    return f"{section} ({', '.join(shown)})"


def _plain(value: str | int, type_: str) -> str:
    try:
        return format_value(parse_number(str(value)).normalize(), type_)
    except ValueError:
        return str(value)


def _totals(run: RunFolder) -> dict[tuple[str, str], Decimal]:
    found: dict[tuple[str, str], Decimal] = {}
    for line in run.manifest.get("totals", []):
        key = (str(line.get("currency")), str(line.get("component")))
        found[key] = add_exact(found.get(key, Decimal(0)), Decimal(str(line.get("amount"))))
    for line in run.manifest.get("unit_totals", []):  # components paid in shares, units…
        key = (str(line.get("unit")), str(line.get("component")))
        found[key] = add_exact(found.get(key, Decimal(0)), Decimal(str(line.get("amount"))))
    return found


def _reconcile(a: RunFolder, b: RunFolder, changes: list[Change]) -> tuple[TotalLine, ...]:
    """Per currency and component: the deltas add up to the difference of the totals, exactly."""
    before, after = _totals(a), _totals(b)
    deltas: dict[tuple[str, str], Decimal] = {}
    for change in changes:
        key = (change.currency, change.component)
        deltas[key] = add_exact(deltas.get(key, Decimal(0)), change.delta)
    lines = []
    wrong = []
    for key in sorted(before.keys() | after.keys() | deltas.keys()):
        line = TotalLine(*key, before.get(key, Decimal(0)), after.get(key, Decimal(0)),
                         deltas.get(key, Decimal(0)))  # fmt: skip
        if line.deltas != line.difference:
            wrong.append(
                f"{key[0]} {key[1]}: the deltas add up to {line.deltas}, the totals differ by "
                f"{line.difference} ({line.before} → {line.after})"
            )
        lines.append(line)
    if wrong:
        raise DiffError(
            "the diff does not reconcile with the runs' totals (manifest.json and results.csv "
            f"of {a.path} or {b.path} disagree; write them again with `incentives run --force`):\n"
            + "\n".join(f"  {w}" for w in wrong)
        )
    return tuple(lines)


def _notes(a: RunFolder, b: RunFolder) -> tuple[str, ...]:
    """What else differs between the runs: the input files, the as-of dates, what-if layers."""
    notes = []
    if a.path.resolve() == b.path.resolve():
        notes.append(f"run A and run B are the same folder ({a.path}): give two runs to compare")
    inputs_a, inputs_b = a.manifest.get("inputs", {}), b.manifest.get("inputs", {})
    for role in dict.fromkeys([*inputs_a, *inputs_b]):
        sha_a = (inputs_a.get(role) or {}).get("sha256")
        sha_b = (inputs_b.get(role) or {}).get("sha256")
        if sha_a != sha_b:
            what = "added" if sha_a is None else "removed" if sha_b is None else "changed"
            notes.append(f"{role} file {what} ({(sha_a or '-')[:12]} → {(sha_b or '-')[:12]})")
    if a.manifest.get("as_of") != b.manifest.get("as_of"):
        notes.append(f"as-of dates {a.manifest.get('as_of')} → {b.manifest.get('as_of')}")
    for which, run in (("A", a), ("B", b)):
        layers = run.manifest.get("layers")
        if run.manifest.get("what_if") or layers:
            edits = what_if_lines(layers or []) or ["-"]
            notes.append(f"run {which} is a what-if, not the real cycle: {'; '.join(edits)}")
    return tuple(notes)
