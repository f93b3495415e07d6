"""The pay lines of a run folder: one per employee, policy and pay component (or split part).

Read from `results.csv` (the amounts), `rulebook.json` (pay codes, payout dates, periods) and
the roster fields the run recorded (`inputs.csv`), or the roster file the manifest names (its
SHA-256 checked) or one given. Nothing is recomputed: the amounts are results.csv's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.run_folder import RunFolder
from incentives.errors import OptionsError, shorten
from incentives.io.column_map import load_column_map
from incentives.io.csvread import file_sha256, suggest
from incentives.io.sheet_table import open_table

__all__ = ["PayLine", "PolicyInfo", "RosterFields", "pay_lines", "policy_info"]


@attrs.frozen
class PolicyInfo:
    """What payroll needs of one policy: version, kind, payout date, period, pay components."""

    id: str
    version: str
    kind: str
    payout_date: datetime.date | None
    period: tuple[datetime.date, datetime.date] | None
    components: tuple[tuple[str, str], ...]  # (component or split part, pay code)
    # components paid in units (shares, points): not money, so never a payroll line
    units: tuple[tuple[str, str, str], ...] = ()  # (component, pay code, unit)


@attrs.frozen
class PayLine:
    """One pay component of one employee under one policy, as results.csv holds it."""

    employee_id: str
    policy: PolicyInfo
    component: str
    pay_code: str
    currency: str
    amount: Decimal
    eligible: bool
    row: Mapping[str, str] = attrs.field(eq=False, repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.employee_id, self.policy.id, self.component)


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def policy_info(run: RunFolder) -> dict[str, PolicyInfo]:
    """Each policy of the run's rulebook.json, by id."""
    found = {}
    for policy in run.rulebook["policies"]:
        header = policy.get("spec", {}).get("policy", {})
        period = header.get("performance_period") or {}
        start, end = _date(period.get("start")), _date(period.get("end"))
        components: list[tuple[str, str]] = []
        units: list[tuple[str, str, str]] = []
        for pay in policy.get("pay", []):
            if pay.get("unit"):  # a count of shares or points: for the equity system
                units.append((str(pay["name"]), str(pay["pay_code"]), str(pay["unit"])))
                continue
            components.append((str(pay["name"]), str(pay["pay_code"])))
            components += [(str(part["name"]), str(part["pay_code"])) for part in pay["split"]]
        found[str(policy["id"])] = PolicyInfo(
            id=str(policy["id"]),
            version=str(policy.get("version", "")),
            kind=str(policy.get("kind", "")),
            payout_date=_date(header.get("payout_date")),
            period=(start, end) if start and end else None,
            components=tuple(components),
            units=tuple(units),
        )
    return found


def pay_lines(run: RunFolder) -> list[PayLine]:
    """Every pay line of the run, in results.csv order (employees in roster order), each
    policy's components in the order the policy declares them."""
    policies = policy_info(run)
    lines = []
    for number, row in enumerate(run.results, start=2):
        policy = policies[row["policy"]]
        for component, code in policy.components:
            text = row.get(component, "")
            try:
                amount = Decimal(text)
            except InvalidOperation:
                raise OptionsError(
                    f"{run.path / 'results.csv'}:{number}: {component} = '{shorten(text)}' is not "
                    "an amount (write the run folder again with `incentives run --force`)"
                ) from None
            lines.append(
                PayLine(
                    employee_id=row["employee_id"],
                    policy=policy,
                    component=component,
                    pay_code=code,
                    currency=row["currency"],
                    amount=amount,
                    eligible=row["eligible"] == "true",
                    row=row,
                )
            )
    return lines


class RosterFields:
    """Roster fields by employee: those the run recorded, then a roster file's columns.

    The roster file is ``roster`` if given, else the file the manifest names as the run's
    employees if it is still there with the SHA-256 the run read (a roster changed since the
    run is not used: its rows may no longer be the run's)."""

    def __init__(self, run: RunFolder, roster: Path | None = None) -> None:
        declared = {str(f["name"]) for f in run.rulebook.get("fields", [])}
        self.recorded: dict[str, dict[str, str]] = {}
        for row in run.breakdown:
            held = self.recorded.setdefault(row["employee_id"], {})
            held.update({k: v for k, v in row.items() if k in declared and v != ""})
        self.roster_path, self.roster_sha256, self.note = self._roster(run, roster)
        named = run.manifest.get("inputs", {})
        own = self.roster_sha256 and self.roster_sha256 == named.get("employees", {}).get("sha256")
        # the run's own roster is read as the run read it: its sheet and its column mapping
        self._sheet = named["employees"].get("sheet") if own else None
        self._mapping = named.get("columns", {}).get("path") if own else None
        self._rows: dict[str, dict[str, str]] | None = None
        self._columns: tuple[str, ...] = ()
        self.known = declared

    @staticmethod
    def _roster(run: RunFolder, roster: Path | None) -> tuple[Path | None, str, str]:
        if roster is not None:
            return roster, file_sha256(roster) if roster.is_file() else "", ""
        named = run.manifest.get("inputs", {}).get("employees", {})
        path = Path(str(named.get("path", ""))) if named.get("path") else None
        if path is None or not path.is_file():
            return None, "", f"the run's roster {path} is not found" if path else ""
        sha = file_sha256(path)
        if sha != named.get("sha256"):
            return None, "", f"the run's roster {path} has changed since the run"
        return path, sha, ""

    def _load(self) -> dict[str, dict[str, str]]:
        if self._rows is None:
            self._rows = {}
            if self.roster_path is not None:
                columns = load_column_map(self._mapping) if self._mapping else None
                table = open_table(
                    self.roster_path, required=("employee_id",), what="roster",
                    sheet=self._sheet, columns=columns,
                )  # fmt: skip
                self._columns = table.columns
                for record in table.records():
                    cells = dict(
                        zip(table.columns, (c.strip() for c in record.fields), strict=False)
                    )
                    self._rows.setdefault(cells.get("employee_id", ""), cells)
        return self._rows

    def check(self, fields: Iterable[tuple[str, str]]) -> None:
        """Refuse, before anything is written, a field neither the run nor the roster holds
        (``fields``: (field, where the layout names it))."""
        for name, where in fields:
            if name in self.known:
                continue
            self._load()
            if name in self._columns:
                continue
            held = sorted(self.known | set(self._columns))
            close = suggest(name, held)
            source = (
                f"nor in the roster {self.roster_path}"
                if self.roster_path
                else f"and no roster file is at hand ({self.note or 'give --roster FILE'})"
            )
            raise OptionsError(
                f"{where}: roster field '{name}' is not among the fields the run recorded "
                f"{source}; give --roster FILE with that column"
                + (f", or did you mean '{close}'?" if close else "")
            )

    def used(self) -> dict[str, str]:
        """The roster file read (path and SHA-256), for the control file; empty if none was."""
        if self._rows is None or self.roster_path is None:
            return {}
        return {"path": str(self.roster_path), "sha256": self.roster_sha256}

    def get(self, employee_id: str, name: str) -> str:
        if name in self.recorded.get(employee_id, {}):
            return self.recorded[employee_id][name]
        if name in self.known and name not in self._columns:
            return ""
        return self._load().get(employee_id, {}).get(name, "")
