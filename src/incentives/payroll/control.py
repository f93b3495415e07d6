"""Control totals: what an export holds per pay code and currency, its reconciliation to the
run's manifest totals, and the control file beside it (which a correction reads back)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.run_folder import RunFolder
from incentives.errors import OptionsError
from incentives.io.csvread import file_sha256
from incentives.money import TOTALS_CONTEXT, minor_unit
from incentives.payroll.cells import Total
from incentives.payroll.layout import Layout
from incentives.payroll.ledger import Held, OutLine, selected
from incentives.payroll.lines import PayLine

__all__ = [
    "CONTROL_FORMAT",
    "Export",
    "Reconciled",
    "control_path",
    "control_record",
    "file_totals",
    "read_control",
    "reconcile",
]

CONTROL_FORMAT = "incentives-payroll-control/1"
Sums = dict[tuple[str, str], Decimal]


def control_path(out: Path) -> Path:
    """The control file beside an export: ``bonus.csv`` → ``bonus.control.json``."""
    return out.with_name(f"{out.stem}.control.json")


@attrs.frozen
class Reconciled:
    """One pay code and currency: the run's manifest total against what payroll holds."""

    pay_code: str
    currency: str
    run_total: Decimal
    previously: Decimal  # held by payroll before this export (a correction's previous ones)
    exported: Decimal  # this export, read back from the file as written
    withheld: Decimal  # negative lines the layout refuses, left to recover by hand
    not_payable: Decimal  # the amounts of lines not paid (an ineligible row's, normally 0)
    records: int = 0  # this export's records of the pay code (a recovery line counts too)
    left_out: Decimal = Decimal(0)  # held by payroll for employees the run rejected: kept

    @property
    def difference(self) -> Decimal:
        parts = (self.previously, self.exported, self.withheld, self.not_payable)
        return self.run_total + self.left_out - sum(parts, Decimal(0))

    def data(self) -> dict[str, str]:
        figures = ("run_total", "previously", "exported", "withheld", "not_payable", "left_out")
        found = {"pay_code": self.pay_code, "currency": self.currency, "records": str(self.records)}
        found.update({name: f"{getattr(self, name):f}" for name in figures})
        return {**found, "difference": f"{self.difference:f}"}


def _money(value: Decimal, currency: str) -> str:
    try:
        return f"{value.quantize(minor_unit(currency)):,f}"
    except ValueError:
        return f"{value:,f}"


@attrs.frozen
class Export:
    """What `export` wrote: the files (path → records), the control file, the batch id, the
    totals per file, the reconciliation, and who or what the control report lists."""

    batch_id: str
    files: Mapping[Path, int]
    control: Path | None  # None when a correction found nothing to correct
    totals: Sequence[Total]
    reconciliation: Sequence[Reconciled]
    excluded_pay_codes: Sequence[str]
    left_out: Sequence[Mapping[str, str]]
    overrides: Sequence[str]
    withheld: Sequence[Mapping[str, str]]
    since: str | None
    units: Sequence[str] = ()  # pay codes paid in units ("DSU (shares)"): never payroll lines

    def report(self) -> str:
        """The control report, as `incentives payroll` prints it."""
        if self.control is None:
            lines = [f"nothing changed since batch {self.since}: no file written"]
        else:
            corrects = f" (corrects batch {self.since})" if self.since else ""
            lines = [f"batch {self.batch_id}{corrects}"]
            lines += [f"  {path}: {records} record(s)" for path, records in self.files.items()]
            lines.append(f"  {self.control}: control file")
        head = ("pay code", "currency", "records", "run total", "previously", "this file")
        rows: list[tuple[str, ...]] = [(*head, "withheld", "not paid", "difference")]
        for r in self.reconciliation:
            figures = (r.run_total, r.previously, r.exported, r.withheld, r.not_payable)
            money = (_money(v, r.currency) for v in (*figures, r.difference))
            rows.append((r.pay_code, r.currency, str(r.records), *money))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines.append("reconciliation against the run's manifest totals:")
        for row in rows:
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)]
            lines.append("  " + "  ".join(cells).rstrip())
        if self.excluded_pay_codes:
            lines.append(f"not carried by this layout: {', '.join(self.excluded_pay_codes)}")
        if self.units:
            lines.append(
                f"not money, so in no payroll file (for the share plan's records): "
                f"{', '.join(self.units)}"
            )
        lines.append("reconciles to the cent: yes")
        lines += [
            f"withheld (negative, recover by hand): {w['employee_id']} {w['policy']} "
            f"{w['pay_code']} {w['currency']} {w['amount']}"
            for w in self.withheld
        ]
        lines += [
            f"held for employees the run rejected, not reversed: {r.pay_code} {r.currency} "
            f"{_money(r.left_out, r.currency)}"
            for r in self.reconciliation
            if r.left_out
        ]
        lines += [
            f"left out (rejected by the run): {r['employee_id'] or '(no id)'}: {r['reason']}"
            for r in self.left_out
        ]
        lines += [f"what-if override: {text}" for text in self.overrides]
        return "\n".join(lines) + "\n"


def file_totals(group: Iterable[OutLine]) -> list[Total]:
    """Records and amount per pay code (as written) and currency."""
    found: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for ln in group:
        key = (ln.pay_code, ln.line.currency)
        count, amount = found.get(key, (0, Decimal(0)))
        found[key] = (count + 1, TOTALS_CONTEXT.add(amount, ln.written_amount))
    return [Total(code, cur, n, amt) for (code, cur), (n, amt) in sorted(found.items())]


def _sum(pairs: Iterable[tuple[tuple[str, str], Decimal]]) -> Sums:
    found: Sums = {}
    for key, amount in pairs:
        found[key] = TOTALS_CONTEXT.add(found.get(key, Decimal(0)), amount)
    return found


def reconcile(
    layout: Layout,
    run: RunFolder,
    everything: Sequence[PayLine],
    paid: Sequence[PayLine],
    held: Mapping[tuple[str, str, str], Held],
    exported: Sums,
    withheld: Sequence[OutLine],
    written: Sequence[OutLine] = (),
    kept: Mapping[tuple[str, str, str], Held] | None = None,
) -> list[Reconciled]:
    """Per pay code and currency the layout carries: the manifest's total = what payroll held
    before + this export + what was withheld + what is not payable, to the cent. results.csv
    must also sum to the manifest's totals (it is what the run wrote). Anything else raises
    `OptionsError`, before a file is written."""
    manifest = _sum(
        ((str(t["pay_code"]), str(t["currency"])), Decimal(str(t["amount"])))
        for t in run.manifest.get("totals", [])
    )
    results = _sum(((ln.pay_code, ln.currency), ln.amount) for ln in everything)
    for key in sorted(manifest.keys() | results.keys()):
        if manifest.get(key, 0) != results.get(key, 0):
            raise OptionsError(
                f"{run.path / 'results.csv'}: {key[0]} {key[1]} sums to {results.get(key, 0)} but "
                f"the manifest records {manifest.get(key, 0)}: results.csv is not what the run "
                "wrote; run it again"
            )
    keys = {ln.key for ln in paid}
    previously = _sum(((h.pay_code, h.currency), h.amount) for h in held.values())
    refused = _sum(((w.line.pay_code, w.line.currency), w.amount) for w in withheld)
    left_out = _sum(((h.pay_code, h.currency), h.amount) for h in (kept or {}).values())
    unpaid = _sum(
        ((ln.pay_code, ln.currency), ln.amount) for ln in everything if ln.key not in keys
    )
    records: dict[tuple[str, str], int] = {}
    for ln in written:
        records[(ln.line.pay_code, ln.line.currency)] = (
            records.get((ln.line.pay_code, ln.line.currency), 0) + 1
        )
    found = []
    for code, currency in sorted(k for k in {*manifest, *previously} if selected(layout, k[0])):
        key = (code, currency)
        row = Reconciled(
            code,
            currency,
            manifest.get(key, Decimal(0)),
            previously.get(key, Decimal(0)),
            exported.get(key, Decimal(0)),
            refused.get(key, Decimal(0)),
            unpaid.get(key, Decimal(0)),
            records.get(key, 0),
            left_out.get(key, Decimal(0)),
        )
        if row.difference != 0:
            raise OptionsError(
                f"the export does not reconcile: {code} {currency} run total {row.run_total}, "
                f"held before {row.previously}, this file {row.exported}, withheld "
                f"{row.withheld}, not payable {row.not_payable}, held for employees the run "
                f"rejected {row.left_out}: {row.difference} unaccounted "
                "for; nothing was written"
            )
        found.append(row)
    return found


def read_control(since: Path) -> tuple[Path, dict[str, Any]]:
    """The control file of a previous export (``since`` is the export or its control file),
    checked: each file it lists that is still there holds what it records as exported."""
    control = since if since.name.endswith(".control.json") else control_path(since)
    try:
        data = json.loads(control.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OptionsError(
            f"{control}: no control file for the previous export {since}; --since takes the "
            "file an earlier `incentives payroll --out` wrote (its control file lies beside it)"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OptionsError(f"{control}: not a control file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != CONTROL_FORMAT:
        raise OptionsError(f"{control}: not a control file written by `incentives payroll`")
    for item in data.get("files", []):
        path = control.with_name(str(item.get("file")))
        if path.is_file() and file_sha256(path) != item.get("sha256"):
            raise OptionsError(
                f"{path}: the file differs from what its control file records as exported "
                "(was it edited?); corrections compare with what payroll received"
            )
    return control, data


def control_record(
    result: Export,
    *,
    run: Mapping[str, str],
    layout: Mapping[str, str],
    roster: Mapping[str, str],
    outputs: Mapping[Path, bytes],
    ledger: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    """The control file's data (docs/payroll.md, "The control file")."""
    return {
        "format": CONTROL_FORMAT,
        "batch_id": result.batch_id,
        "since_batch_id": result.since,
        "run": dict(run),
        "layout": dict(layout),
        "roster": dict(roster),
        "files": [
            {
                "file": path.name,
                "records": result.files[path],
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for path, data in outputs.items()
        ],
        "totals": [
            {
                "pay_code": t.pay_code,
                "currency": t.currency,
                "records": t.records,
                "amount": f"{t.amount:f}",
            }
            for t in result.totals
        ],
        "reconciliation": [r.data() for r in result.reconciliation],
        "left_out": list(result.left_out),
        "overrides": list(result.overrides),
        "withheld": list(result.withheld),
        "ledger": list(ledger),
    }
