"""`export`: a run folder → payroll file(s) in a layout, a control file, a reconciliation.

Only payable lines are written (eligible, non-zero, of a pay code the layout carries). The
lines are reconciled to the cent against the run's manifest totals, reading the amounts back
from the text as written; an export that does not reconcile raises and writes nothing. The
batch id is derived from the SHA-256 of the run's manifest and of the layout (and of the
previous batch for a correction), never from the clock: the same run and layout give the same
bytes. Files are written through temporary files and renames, the control file last.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.run_folder import RunFolder, read_run_folder
from incentives.errors import OptionsError, OutputError, shorten
from incentives.io.csvread import file_sha256
from incentives.io.writers import dumps_json
from incentives.money import TOTALS_CONTEXT, minor_unit
from incentives.payroll.layout import Column, Layout, load_layout
from incentives.payroll.ledger import (
    Held,
    OutLine,
    apply_negative_rule,
    held_after,
    held_from,
    ledger_rows,
    offsetting_lines,
    payable,
    selected,
)
from incentives.payroll.lines import PayLine, RosterFields, pay_lines
from incentives.payroll.render import amount_text, date_text, encode, parse_amount, render_lines

__all__ = ["CONTROL_FORMAT", "Export", "PayrollRefused", "control_path", "export"]

CONTROL_FORMAT = "incentives-payroll-control/1"


class PayrollRefused(OptionsError):
    """The run is not exported as asked: it has rejected rows (``--allow-rejected``) or is a
    what-if (``--allow-what-if``). Nothing was written."""


@attrs.frozen
class Total:
    """Records and amount of one pay code (as written) and currency in one file."""

    pay_code: str
    currency: str
    records: int
    amount: Decimal


@attrs.frozen
class Reconciled:
    """One pay code and currency of the run: its manifest total against what payroll holds."""

    pay_code: str
    currency: str
    run_total: Decimal
    previously: Decimal
    exported: Decimal
    withheld: Decimal
    not_payable: Decimal

    @property
    def difference(self) -> Decimal:
        return self.run_total - self.previously - self.exported - self.withheld - self.not_payable


@attrs.frozen
class Export:
    """What `export` wrote: the files (name → records), the control file, the batch id, the
    totals per file, the reconciliation, and who or what the control report lists."""

    batch_id: str
    files: Mapping[Path, int]
    control: Path
    totals: Sequence[Total]
    reconciliation: Sequence[Reconciled]
    excluded_pay_codes: Sequence[str]
    left_out: Sequence[Mapping[str, str]]
    overrides: Sequence[str]
    withheld: Sequence[Mapping[str, str]]
    since: str | None

    def report(self) -> str:
        """The reconciliation as printed by `incentives payroll`."""
        lines = [
            f"batch {self.batch_id}" + (f" (corrects batch {self.since})" if self.since else "")
        ]
        for path, records in self.files.items():
            lines.append(f"  {path}: {records} record(s)")
        lines.append(f"  {self.control}: control file")
        head = (
            "pay code",
            "currency",
            "run total",
            "previously",
            "this file",
            "withheld",
            "not paid",
            "difference",
        )
        rows = [head] + [
            (
                r.pay_code,
                r.currency,
                *(
                    _money(v, r.currency)
                    for v in (
                        r.run_total,
                        r.previously,
                        r.exported,
                        r.withheld,
                        r.not_payable,
                        r.difference,
                    )
                ),
            )
            for r in self.reconciliation
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        lines.append("reconciliation against the run's manifest totals:")
        for row in rows:
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)]
            lines.append("  " + "  ".join(cells).rstrip())
        if self.excluded_pay_codes:
            lines.append(f"not carried by this layout: {', '.join(self.excluded_pay_codes)}")
        lines.append("reconciles to the cent: yes")
        for item in self.withheld:
            lines.append(
                f"withheld (negative, recover by hand): {item['employee_id']} {item['pay_code']} {item['currency']} {item['amount']}"
            )
        for item in self.left_out:
            lines.append(
                f"left out (rejected by the run): {item['employee_id'] or '(no id)'}: {item['reason']}"
            )
        for text in self.overrides:
            lines.append(f"what-if override: {text}")
        return "\n".join(lines) + "\n"


def _money(value: Decimal, currency: str) -> str:
    try:
        return f"{value.quantize(minor_unit(currency)):,f}"
    except ValueError:
        return f"{value:,f}"


def control_path(out: Path) -> Path:
    """The control file beside an export: ``bonus.csv`` → ``bonus.control.json``."""
    return out.with_name(f"{out.stem}.control.json")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _what_if(run: RunFolder) -> list[str] | None:
    """The overrides of a what-if run, as lines; None for a run of the policies as written."""
    manifest = run.manifest
    layers = manifest.get("layers")
    if not manifest.get("what_if") and not layers and not manifest.get("scenario"):
        return None
    found = []
    for layer in layers if isinstance(layers, list) else [layers] if layers else []:
        found.append(json.dumps(layer, sort_keys=True, ensure_ascii=False))
    if manifest.get("scenario"):
        found.append(
            "scenario " + json.dumps(manifest["scenario"], sort_keys=True, ensure_ascii=False)
        )
    return found or ["(the manifest marks the run a what-if without listing its layers)"]


def _previous(since: Path) -> tuple[Path, dict[str, Any]]:
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


def _source_columns(layout: Layout) -> list[tuple[str, str]]:
    """Roster fields the layout reads, with where it names them."""
    spec = layout.spec
    found = []
    for group in ("columns", "trailer"):
        for i, column in enumerate(getattr(spec, group)):
            if column.source and column.source.startswith("roster."):
                found.append((column.source.removeprefix("roster."), layout.line_of(group, i)))
    for key, value in (("split_by", spec.split_by), ("payment_date", spec.payment_date.by)):
        if value and value.startswith("roster."):
            found.append((value.removeprefix("roster."), layout.line_of(key)))
    return found


class _Cells:
    """The text of each column for one out line."""

    def __init__(self, layout: Layout, roster: RosterFields, batch_id: str) -> None:
        self.layout = layout
        self.roster = roster
        self.batch_id = batch_id
        self.signed = not any(c.source == "sign" for c in layout.spec.columns)

    def payment_date(self, line: PayLine) -> datetime.date | None:
        rule = self.layout.spec.payment_date
        if rule.by:
            value = self.roster.get(line.employee_id, rule.by.removeprefix("roster."))
            if value in rule.dates:
                return rule.dates[value]
            if rule.otherwise == "error":
                raise OptionsError(
                    f"employee '{shorten(line.employee_id)}': {rule.by} = '{shorten(value)}' has no "
                    f"payment date ({self.layout.line_of('payment_date', 'dates')}); add it"
                )
        return line.policy.payout_date

    def __call__(self, out: OutLine, who: str) -> Any:
        line = out.line

        def cell(column: Column) -> str:
            text = self._raw(column, out, who)
            if column.map is not None and column.source not in ("amount",):
                if text not in column.map:
                    raise OptionsError(
                        f"{who}, column '{column.name or column.source}': '{shorten(text)}' is "
                        f"not in the column's map ({self.layout.line_of('columns')}); add it"
                    )
                text = column.map[text]
            return text

        del line
        return cell

    def _raw(self, column: Column, out: OutLine, who: str) -> str:
        line = out.line
        source = column.source
        if column.value is not None:
            return column.value
        if source == "amount":
            return amount_text(self.layout, out.written_amount, line.currency, who, self.signed)
        if source == "sign":
            return "-" if out.written_amount < 0 else "+"
        if source == "payment_date":
            return date_text(self.layout, self.payment_date(line))
        if source in ("period", "period_start", "period_end"):
            period = line.policy.period
            if period is None:
                return ""
            start, end = (date_text(self.layout, d) for d in period)
            return {"period": f"{start}/{end}", "period_start": start, "period_end": end}[
                str(source)
            ]
        simple = {
            "employee_id": line.employee_id,
            "policy": line.policy.id,
            "policy_version": line.policy.version,
            "kind": line.policy.kind,
            "component": line.component,
            "pay_code": out.pay_code,
            "currency": line.currency,
            "batch_id": self.batch_id,
            "line_type": out.line_type,
        }
        if source in simple:
            return simple[str(source)]
        assert source is not None
        what, _, name = source.partition(".")
        if what == "roster":
            text = self.roster.get(line.employee_id, name)
        elif name not in line.row:
            raise OptionsError(
                f"column '{column.name or source}': results.csv has no column '{name}' "
                f"({self.layout.line_of('columns')}); its columns: {', '.join(line.row)}"
            )
        else:
            text = line.row[name]
        if column.as_ == "amount" and text:
            return amount_text(self.layout, Decimal(text), line.currency, who, self.signed)
        if column.as_ == "date" and text:
            return date_text(self.layout, datetime.date.fromisoformat(text))
        return text


def _batch_id(layout: Layout, manifest_sha: str, since_batch: str | None) -> str:
    seed = f"{manifest_sha}\n{layout.sha256}\n{since_batch or ''}".encode()
    return _sha(seed)[: layout.spec.batch_id_length].upper()


def _part_name(out: Path, key: str | None) -> Path:
    if key is None:
        return out
    if not key or not all(ch.isalnum() or ch in "-_" for ch in key):
        raise OptionsError(f"split_by value '{shorten(key)}' cannot be part of a file name")
    return out.with_name(f"{out.stem}-{key}{out.suffix}")


def export(
    run: Path | RunFolder,
    layout: str | Path | Layout,
    out: Path,
    *,
    since: Path | None = None,
    roster: Path | None = None,
    allow_rejected: bool = False,
    allow_what_if: bool = False,
    force: bool = False,
) -> Export:
    """Write the payroll file(s) of a run in a layout (see the module docstring)."""
    folder = run if isinstance(run, RunFolder) else read_run_folder(Path(run))
    lay = layout if isinstance(layout, Layout) else load_layout(layout)
    spec = lay.spec
    overrides = _what_if(folder)
    if overrides is not None and not allow_what_if:
        raise PayrollRefused(
            f"{folder.path}: the run is a what-if (its manifest records overrides or a scenario): "
            "it is not the real cycle. Export it anyway with --allow-what-if (every override is "
            "listed in the control report)"
        )
    rejected = [dict(r) for r in folder.rejected]
    if (rejected or folder.manifest.get("counts", {}).get("rejected")) and not allow_rejected:
        raise PayrollRefused(
            f"{folder.path}: the run rejected {len(rejected)} row(s) (rejected.csv), who would not "
            "be paid. Fix them and run again, or export anyway with --allow-rejected (the control "
            "report lists who was left out and why)"
        )
    manifest_sha = file_sha256(folder.path / "manifest.json")
    fields = RosterFields(folder, roster)
    fields.check(_source_columns(lay))
    everything = pay_lines(folder)
    current = payable(lay, everything)
    held: dict[tuple[str, str, str], Held] = {}
    since_batch = None
    if since is not None:
        control, previous = _previous(since)
        if previous.get("layout", {}).get("sha256") != lay.sha256:
            raise OptionsError(
                f"{control}: the previous export used another layout "
                f"({previous.get('layout', {}).get('file')}); corrections are written in the "
                "layout payroll received, give that one"
            )
        held = held_from(previous.get("ledger", []), str(control))
        since_batch = str(previous.get("batch_id"))
    batch_id = _batch_id(lay, manifest_sha, since_batch)
    by_key = {ln.key: ln for ln in everything}
    lines = offsetting_lines(lay, current, held, by_key)
    written, withheld = apply_negative_rule(lay, lines)
    cells = _Cells(lay, fields, batch_id)
    parts: dict[str | None, list[OutLine]] = {}
    for ln in written:
        key = None
        if spec.split_by == "currency":
            key = ln.line.currency
        elif spec.split_by:
            key = fields.get(ln.line.employee_id, spec.split_by.removeprefix("roster."))
        parts.setdefault(key, []).append(ln)
    if not parts and since is None:
        parts[None] = []
    has_currency = any(c.source == "currency" for c in spec.columns)
    outputs: dict[Path, bytes] = {}
    totals: list[Total] = []
    exported: dict[tuple[str, str], Decimal] = {}
    amount_at = next((i for i, c in enumerate(spec.columns) if c.source == "amount"), None)
    for key, group in sorted(parts.items(), key=lambda item: item[0] or ""):
        path = _part_name(out, key)
        currencies = sorted({ln.line.currency for ln in group})
        if len(currencies) > 1 and not has_currency:
            raise OptionsError(
                f"{path}: the file would hold {', '.join(currencies)} with no currency column "
                f"({lay.line_of('columns')}); add a currency column or split_by: currency"
            )
        records = []
        for ln in group:
            who = f"employee '{shorten(ln.line.employee_id)}', {ln.line.policy.id} {ln.line.component}"
            records.append((who, cells(ln, who)))
        text = render_lines(lay, spec.columns, records, spec.header)
        file_totals = _file_totals(group)
        totals += [attrs.evolve(t) for t in file_totals]
        if spec.trailer:
            text += render_lines(
                lay, spec.trailer, [_trailer(lay, t, batch_id) for t in file_totals], False
            )
        # reconcile from the text as written: each record's amount read back
        body = text.splitlines()[1 if spec.header else 0 :][: len(group)]
        for ln, line_text in zip(group, body, strict=True):
            amount = ln.written_amount
            if amount_at is not None:
                amount = parse_amount(lay, _cell_of(lay, line_text, amount_at), ln.line.currency)
            signed = -amount if ln.pay_code != ln.line.pay_code else amount
            k = (ln.line.pay_code, ln.line.currency)
            exported[k] = TOTALS_CONTEXT.add(exported.get(k, Decimal(0)), signed)
        outputs[path] = encode(lay, text)
    reconciliation = _reconcile(lay, folder, everything, current, held, exported, withheld)
    control = control_path(out)
    _check_paths(folder, [*outputs, control], since, force)
    after = held_after(held, written)
    result = Export(
        batch_id=batch_id,
        files={
            p: len(g)
            for p, g in zip(
                outputs, [parts[k] for k in sorted(parts, key=lambda k: k or "")], strict=True
            )
        },
        control=control,
        totals=totals,
        reconciliation=reconciliation,
        excluded_pay_codes=sorted(
            {ln.pay_code for ln in everything if not selected(lay, ln.pay_code)}
        ),
        left_out=[
            {k: r.get(k, "") for k in ("employee_id", "file", "line", "column", "value", "reason")}
            for r in rejected
        ],
        overrides=overrides or [],
        withheld=[
            {
                "employee_id": w.line.employee_id,
                "policy": w.line.policy.id,
                "component": w.line.component,
                "pay_code": w.line.pay_code,
                "currency": w.line.currency,
                "amount": f"{w.amount:f}",
            }
            for w in withheld
        ],
        since=since_batch,
    )
    data = {
        "format": CONTROL_FORMAT,
        "batch_id": batch_id,
        "since_batch_id": since_batch,
        "run": {"path": str(folder.path), "manifest_sha256": manifest_sha},
        "layout": {"name": spec.name, "file": lay.file, "sha256": lay.sha256},
        "roster": {"path": str(fields.roster_path or ""), "sha256": fields.roster_sha256},
        "files": [
            {"file": p.name, "records": len(parts_of), "sha256": _sha(outputs[p])}
            for p, parts_of in zip(
                outputs, [parts[k] for k in sorted(parts, key=lambda k: k or "")], strict=True
            )
        ],
        "totals": [
            {
                "pay_code": t.pay_code,
                "currency": t.currency,
                "records": t.records,
                "amount": f"{t.amount:f}",
            }
            for t in totals
        ],
        "reconciliation": [
            {
                "pay_code": r.pay_code,
                "currency": r.currency,
                "run_total": f"{r.run_total:f}",
                "previously": f"{r.previously:f}",
                "exported": f"{r.exported:f}",
                "withheld": f"{r.withheld:f}",
                "not_payable": f"{r.not_payable:f}",
                "difference": f"{r.difference:f}",
            }
            for r in reconciliation
        ],
        "left_out": list(result.left_out),
        "overrides": list(result.overrides),
        "withheld": list(result.withheld),
        "ledger": ledger_rows(after),
    }
    _write_all({**outputs, control: dumps_json(data).encode("utf-8")}, out)
    return result


def _cell_of(layout: Layout, line: str, index: int) -> str:
    spec = layout.spec
    if spec.format == "fixed_width":
        start = sum(c.width or 0 for c in spec.columns[:index])
        return line[start : start + (spec.columns[index].width or 0)]
    import csv

    return next(csv.reader([line], delimiter=spec.delimiter))[index]


def _file_totals(group: Sequence[OutLine]) -> list[Total]:
    found: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for ln in group:
        k = (ln.pay_code, ln.line.currency)
        count, amount = found.get(k, (0, Decimal(0)))
        found[k] = (count + 1, TOTALS_CONTEXT.add(amount, ln.written_amount))
    return [Total(code, cur, n, amt) for (code, cur), (n, amt) in sorted(found.items())]


def _trailer(layout: Layout, total: Total, batch_id: str) -> tuple[str, Any]:
    signed = not any(c.source == "sign" for c in layout.spec.trailer)
    who = f"trailer {total.pay_code} {total.currency}"

    def cell(column: Column) -> str:
        if column.value is not None:
            return column.value
        values = {
            "pay_code": total.pay_code,
            "currency": total.currency,
            "count": str(total.records),
            "batch_id": batch_id,
            "sign": "-" if total.amount < 0 else "+",
        }
        if column.source == "amount":
            return amount_text(layout, total.amount, total.currency, who, signed)
        if column.source in values:
            return values[str(column.source)]
        raise OptionsError(
            f"trailer field '{column.name or column.source}': a trailer holds pay_code, "
            f"currency, count, amount, batch_id, sign or a value ({layout.line_of('trailer')})"
        )

    return who, cell


def _reconcile(
    layout: Layout,
    run: RunFolder,
    everything: Sequence[PayLine],
    current: Sequence[PayLine],
    held: Mapping[tuple[str, str, str], Held],
    exported: Mapping[tuple[str, str], Decimal],
    withheld: Sequence[OutLine],
) -> list[Reconciled]:
    """Per pay code and currency the layout carries: the manifest's total = what payroll held
    before + this export + what was withheld + what is not payable (an ineligible row's
    amount), to the cent; anything else is an error and nothing is written."""
    add = TOTALS_CONTEXT.add
    manifest: dict[tuple[str, str], Decimal] = {}
    for item in run.manifest.get("totals", []):
        k = (str(item["pay_code"]), str(item["currency"]))
        manifest[k] = add(manifest.get(k, Decimal(0)), Decimal(str(item["amount"])))
    results: dict[tuple[str, str], Decimal] = {}
    for ln in everything:
        k = (ln.pay_code, ln.currency)
        results[k] = add(results.get(k, Decimal(0)), ln.amount)
    if results != {k: v for k, v in manifest.items() if k in results or v}:
        wrong = sorted(
            k for k in manifest.keys() | results.keys() if manifest.get(k, 0) != results.get(k, 0)
        )
        k = wrong[0]
        raise OptionsError(
            f"{run.path / 'results.csv'}: {k[0]} {k[1]} sums to {results.get(k, 0)} but the manifest "
            f"records {manifest.get(k, 0)}: results.csv is not what the run wrote; run it again"
        )
    paid = {ln.key for ln in current}
    previously: dict[tuple[str, str], Decimal] = {}
    for h in held.values():
        k = (h.pay_code, h.currency)
        previously[k] = add(previously.get(k, Decimal(0)), h.amount)
    kept: dict[tuple[str, str], Decimal] = {}
    for w in withheld:
        k = (w.line.pay_code, w.line.currency)
        kept[k] = add(kept.get(k, Decimal(0)), w.amount)
    unpaid: dict[tuple[str, str], Decimal] = {}
    for ln in everything:
        if ln.key not in paid:
            k = (ln.pay_code, ln.currency)
            unpaid[k] = add(unpaid.get(k, Decimal(0)), ln.amount)
    found = []
    keys = sorted(k for k in {*manifest, *previously, *exported} if selected(layout, k[0]))
    for code, currency in keys:
        k = (code, currency)
        row = Reconciled(
            code,
            currency,
            manifest.get(k, Decimal(0)),
            previously.get(k, Decimal(0)),
            exported.get(k, Decimal(0)),
            kept.get(k, Decimal(0)),
            unpaid.get(k, Decimal(0)),
        )
        found.append(row)
        if row.difference != 0:
            raise OptionsError(
                f"the export does not reconcile: {code} {currency} run total {row.run_total}, "
                f"held before {row.previously}, this file {row.exported}, withheld {row.withheld}, "
                f"not payable {row.not_payable}: {row.difference} unaccounted for; nothing was written"
            )
    return found


def _check_paths(run: RunFolder, paths: Sequence[Path], since: Path | None, force: bool) -> None:
    """Never write into the run folder, over the previous export, or over a file without --force."""
    folder = run.path.resolve()
    for path in paths:
        real = path.resolve()
        if real.is_relative_to(folder):
            raise OptionsError(
                f"{path}: inside the run folder {run.path}; write payroll files elsewhere (the run folder stays as the run wrote it)"
            )
        if since is not None and real in (since.resolve(), control_path(since).resolve()):
            raise OptionsError(
                f"{path}: is the previous export; write the correction to another file"
            )
        if path.exists() and not force:
            raise OptionsError(
                f"{path}: already exists; choose another --out or give --force to replace it"
            )


def _write_all(files: Mapping[Path, bytes], out: Path) -> None:
    """Each file through a temporary file beside it and a rename, the control file last."""
    temporaries = []
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for path, data in files.items():
            temporary = path.with_name(f".{path.name}.partial")
            temporaries.append((temporary, path))
            with temporary.open("wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        for temporary, path in temporaries:
            os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(
            f"cannot write {shorten(out)}: {exc.strerror or exc}; nothing was written"
        ) from None
    finally:
        for temporary, _ in temporaries:
            temporary.unlink(missing_ok=True)
