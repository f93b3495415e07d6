"""`export`: a run folder → payroll file(s) in a layout, with a control file.

Only payable lines are written (eligible, non-zero, of a pay code the layout carries). The
amounts are read back from the text as written and reconciled to the cent against the run's
manifest totals; an export that does not reconcile raises and writes nothing. The batch id is
derived from the run's and the layout's hashes (and the previous batch for a correction),
never from the clock: the same run and layout give the same bytes. Files are written through
temporary files and renames, the control file last.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from incentives.audit.run_folder import RunFolder, read_run_folder
from incentives.audit.what_if_layers import what_if_lines
from incentives.errors import OptionsError, OutputError, UsageError, shorten
from incentives.io.atomic import atomic_write
from incentives.io.csvread import file_sha256
from incentives.io.writers import dumps_json
from incentives.money import TOTALS_CONTEXT
from incentives.payroll.cells import LineCells, Total, roster_fields_read, trailer_cells
from incentives.payroll.control import (
    Export,
    control_path,
    control_record,
    file_totals,
    read_control,
    reconcile,
)
from incentives.payroll.layout import Layout, load_layout
from incentives.payroll.ledger import (
    Held,
    OutLine,
    apply_negative_rule,
    check_pay_codes,
    held_after,
    held_from,
    ledger_rows,
    offsetting_lines,
    payable,
    selected,
)
from incentives.payroll.lines import RosterFields, pay_lines, policy_info
from incentives.payroll.render import encode, parse_amount, render_lines

__all__ = ["PayrollRefused", "export", "run_identity"]


class PayrollRefused(OptionsError):
    """The run is not exported as asked: it rejected rows (``allow_rejected``) or is a
    what-if (``allow_what_if``). Nothing was written."""


def run_identity(run: RunFolder) -> str:
    """The SHA-256 of the run's manifest without the paths it names (inputs and policy files
    by their hashes only), so a run keeps its batch ids when its folder or inputs move."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("path", "file")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    text = json.dumps(strip(dict(run.manifest)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _what_if(run: RunFolder) -> list[str] | None:
    """The changes of a what-if run, one line each (`what_if_lines`, as the report's banner
    and `diff` print them); None for a run of the policies as written."""
    manifest = run.manifest
    layers = manifest.get("layers") or []
    if not manifest.get("what_if") and not layers and not manifest.get("scenario"):
        return None
    found = what_if_lines(layers)
    if manifest.get("scenario"):
        found.append("scenario " + json.dumps(manifest["scenario"], sort_keys=True))
    return found or ["(the manifest marks the run a what-if without listing its overrides)"]


def _refuse(run: RunFolder, allow_rejected: bool, allow_what_if: bool) -> list[str] | None:
    overrides = _what_if(run)
    if overrides is not None and not allow_what_if:
        raise PayrollRefused(
            f"{run.path}: the run is a what-if (its manifest records overrides or a scenario), "
            "not the real cycle; export it anyway with --allow-what-if (allow_what_if=True), "
            "and every override is listed in the control report"
        )
    count = len(run.rejected) or int(run.manifest.get("counts", {}).get("rejected", 0))
    if count and not allow_rejected:
        raise PayrollRefused(
            f"{run.path}: the run rejected {count} row(s) (rejected.csv), who would not be "
            "paid; fix them and run again, or export anyway with --allow-rejected "
            "(allow_rejected=True), and the control report lists who was left out and why"
        )
    return overrides


def _part(out: Path, key: str | None) -> Path:
    if key is None:
        return out
    if not key or not all(ch.isalnum() or ch in "-_" for ch in key):
        raise OptionsError(f"split_by value '{shorten(key)}' cannot be part of a file name")
    return out.with_name(f"{out.stem}-{key}{out.suffix}")


def _amount_cells(layout: Layout, text: str, index: int) -> list[str]:
    """The amount cell of each record of ``text`` as written (the header skipped), read the
    way a payroll system reads the file: fixed-width positions, or the CSV reader."""
    spec = layout.spec
    if spec.format == "fixed_width":
        start = sum(c.width or 0 for c in spec.columns[:index])
        end = start + (spec.columns[index].width or 0)
        rows = [line[start:end] for line in text.splitlines()]
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
        rows = [row[index] for row in reader]
    return rows[1:] if spec.header else rows


def export(
    run: str | Path | RunFolder,
    layout: str | Path | Layout,
    out: str | Path,
    *,
    since: str | Path | None = None,
    roster: str | Path | None = None,
    allow_rejected: bool = False,
    allow_what_if: bool = False,
    force: bool = False,
) -> Export:
    """Write the payroll file(s) of ``run`` (a run folder) in ``layout`` (a file or a shipped
    layout's name) to ``out`` (``out-KEY.ext`` per value when the layout splits), and the
    control file ``<out stem>.control.json`` beside it. With ``since`` (a previous export),
    only the lines that correct it. See docs/payroll.md."""
    folder = run if isinstance(run, RunFolder) else read_run_folder(Path(run), steps=False)
    lay = layout if isinstance(layout, Layout) else load_layout(layout)
    out = Path(out)
    overrides = _refuse(folder, allow_rejected, allow_what_if)
    fields = RosterFields(folder, Path(roster) if roster is not None else None)
    fields.check(roster_fields_read(lay))
    everything = pay_lines(folder)
    check_pay_codes(lay, everything)
    paid = payable(lay, everything)
    held: dict[tuple[str, str, str], Held] = {}
    previous: dict[str, Any] = {}
    if since is not None:
        control, previous = read_control(Path(since))
        if previous.get("layout", {}).get("sha256") != lay.sha256:
            raise OptionsError(
                f"{control}: the previous export was written in another layout "
                f"({previous.get('layout', {}).get('name')}); a correction goes out in the "
                "layout payroll received: give that one"
            )
        held = held_from(previous.get("ledger", []), str(control))
    since_batch = str(previous["batch_id"]) if previous else None
    seed = f"{run_identity(folder)}\n{lay.sha256}\n{since_batch or ''}"
    batch_id = hashlib.sha256(seed.encode()).hexdigest()[: lay.spec.batch_id_length].upper()
    left_out = {r["employee_id"] for r in folder.rejected}
    kept = {k: h for k, h in held.items() if k[0] in left_out}  # not reversed: not computed
    lines = offsetting_lines(
        lay,
        paid,
        {k: h for k, h in held.items() if k not in kept},
        {ln.key: ln for ln in everything},
        policy_info(folder),
    )
    written, withheld = apply_negative_rule(lay, lines)
    parts = _split(lay, fields, written, empty_file=since is None or bool(withheld))
    outputs, totals, exported = _render(lay, LineCells(lay, fields, batch_id), parts, out)
    reconciliation = reconcile(
        lay, folder, everything, paid, held, exported, withheld, written, kept
    )
    control = control_path(out)
    result = Export(
        batch_id=batch_id,
        files={path: len(group) for path, group in zip(outputs, parts.values(), strict=True)},
        control=control if outputs else None,
        totals=totals,
        reconciliation=reconciliation,
        excluded_pay_codes=sorted(
            {ln.pay_code for ln in everything if not selected(lay, ln.pay_code)}
        ),
        left_out=[
            {k: r.get(k, "") for k in ("employee_id", "file", "line", "column", "value", "reason")}
            for r in folder.rejected
        ],
        overrides=overrides or [],
        withheld=[w.record() for w in withheld],
        since=since_batch,
        units=sorted(
            {f"{code} ({unit})" for p in policy_info(folder).values() for _, code, unit in p.units}
        ),
    )
    if not outputs:
        return result  # a correction with nothing to correct: no file
    _check_paths(folder, [*outputs, control], Path(since) if since else None, force)
    record = control_record(
        result,
        run={
            "path": str(folder.path),
            "manifest_sha256": file_sha256(folder.path / "manifest.json"),
            "identity": run_identity(folder),
        },
        layout={"name": lay.spec.name, "file": lay.shown, "sha256": lay.sha256},
        roster=fields.used(),
        outputs=outputs,
        ledger=ledger_rows(held_after(held, written)),
    )
    _write_all({**outputs, control: dumps_json(record).encode("utf-8")}, out)
    return result


def _split(
    layout: Layout, fields: RosterFields, lines: Sequence[OutLine], *, empty_file: bool
) -> dict[str | None, list[OutLine]]:
    """The lines per file: one file, or one per currency or roster value (sorted). With no
    line, one file without records if ``empty_file`` (a first export, or a correction that
    withheld lines: its control file records them), else none."""
    split = layout.spec.split_by
    parts: dict[str | None, list[OutLine]] = {}
    for ln in lines:
        key = None
        if split == "currency":
            key = ln.line.currency
        elif split:
            key = fields.get(ln.line.employee_id, split.removeprefix("roster."))
        parts.setdefault(key, []).append(ln)
    if not parts and empty_file:
        parts[None] = []
    return dict(sorted(parts.items(), key=lambda item: item[0] or ""))


def _render(
    layout: Layout,
    cells: LineCells,
    parts: Mapping[str | None, Sequence[OutLine]],
    out: Path,
) -> tuple[dict[Path, bytes], list[Total], dict[tuple[str, str], Decimal]]:
    """Each file's bytes, its totals, and the amounts per original pay code and currency read
    back from the text as written."""
    spec = layout.spec
    has_currency = any(c.source == "currency" for c in spec.columns)
    amount_at = next((i for i, c in enumerate(spec.columns) if c.source == "amount"), None)
    outputs: dict[Path, bytes] = {}
    totals: list[Total] = []
    exported: dict[tuple[str, str], Decimal] = {}
    for key, group in parts.items():
        path = _part(out, key)
        currencies = sorted({ln.line.currency for ln in group})
        if len(currencies) > 1 and not has_currency:
            raise OptionsError(
                f"{path}: the file would hold {', '.join(currencies)} with no currency column "
                f"({layout.line_of('columns')}); add a currency column or split_by: currency"
            )
        records = []
        for ln in group:
            who = f"employee '{shorten(ln.line.employee_id)}', {ln.line.policy.id} {ln.line.component}"
            records.append((who, cells.of(ln, who)))
        text = render_lines(layout, spec.columns, records, spec.header)
        written = _amount_cells(layout, text, amount_at) if amount_at is not None else []
        if amount_at is not None and len(written) != len(group):
            raise OptionsError(f"{path}: {len(written)} records read back, {len(group)} written")
        for i, ln in enumerate(group):
            amount = ln.written_amount
            if amount_at is not None:
                amount = parse_amount(layout, written[i], ln.line.currency)
            signed = -amount if ln.pay_code != ln.line.pay_code else amount  # a recovery line
            k = (ln.line.pay_code, ln.line.currency)
            exported[k] = TOTALS_CONTEXT.add(exported.get(k, Decimal(0)), signed)
        these = file_totals(group)
        totals += these
        if spec.trailer:
            trailer = [trailer_cells(layout, t, cells.batch_id) for t in these]
            text += render_lines(layout, spec.trailer, trailer, False)
        outputs[path] = encode(layout, text)
    return outputs, totals, exported


def _check_paths(run: RunFolder, paths: Sequence[Path], since: Path | None, force: bool) -> None:
    """Never into the run folder, over the previous export, or over a file without force."""
    folder = run.path.resolve()
    previous = {since.resolve(), control_path(since).resolve()} if since else set()
    for path in paths:
        real = path.resolve()
        if real.is_relative_to(folder):
            raise UsageError(
                f"{path}: inside the run folder {run.path}, which stays as the run wrote it; "
                "write payroll files elsewhere"
            )
        if real in previous:
            raise OptionsError(f"{path}: is the previous export; write the correction elsewhere")
        if path.exists() and not force:
            raise OptionsError(f"{path}: already exists; choose another --out or give --force")


def _write_all(files: Mapping[Path, bytes], out: Path) -> None:
    """All files written to temporaries first (`atomic_write`), then renamed, the control file
    last; after an error every earlier file is as it was."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as renames:  # entered last, renamed first: so enter reversed
            streams = [
                (renames.enter_context(atomic_write(p)), d)
                for p, d in reversed(list(files.items()))
            ]
            for stream, data in streams:
                stream.write(data)
    except OSError as exc:
        raise OutputError(
            f"cannot write {shorten(out)}: {exc.strerror or exc}; check the folder and try again"
        ) from None
