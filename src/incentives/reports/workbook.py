"""`write_report`: a run folder → the results workbook and its summary by group as CSV beside
it, named after the workbook (`by_group_path`: ``report.xlsx`` → ``report.by_group.csv``).

Sheets, in order: Summary, By group, Charts, Results <policy> and Breakdown <policy> (one per
policy; a part " (2)", " (3)"… past Excel's 1,048,576 rows), Rejected, Not covered.

How it is written (docs/reports.md, "Why XlsxWriter and our own XML"): XlsxWriter makes the
package (styles, the small sheets, the native charts, the sheet list with its filters); the
large sheets are streamed from the run folder's CSV cells into that package by `sheet_xml`,
about 25 times as fast as a library's cell objects. Both files are written atomically
(`atomic_write`): never a partial file; the run folder is only read.
"""

from __future__ import annotations

import datetime
import difflib
import io
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from incentives.errors import (
    IncentivesError,
    OptionsError,
    OutputError,
    OutputOverlapsInput,
    shorten,
)
from incentives.io.atomic import atomic_write
from incentives.io.csv_lines import csv_line
from incentives.io.run_dir import real_path
from incentives.io.writers import format_cell
from incentives.money import CURRENCY_MINOR_UNITS, TOTALS_CONTEXT
from incentives.reports.bulk_sheets import BulkSheet, Part, counted, plan_bulk_sheets
from incentives.reports.bulk_writer import (
    Spooled,
    entry,
    gather_breakdown,
    spool_results,
    write_bulk,
)
from incentives.reports.by_group import Fact, GroupTable, summarize_by_group
from incentives.reports.charts import write_charts
from incentives.reports.run_source import (
    FactGatherer,
    RunSource,
    figure_inputs,
    open_run,
    read_inputs,
)
from incentives.reports.sheet_worker import WORTH_A_WORKER, SheetWorker
from incentives.reports.sheet_xml import (
    EXCEL_MAX_ROWS,
    sheet_name,
)
from incentives.reports.styles import Styles
from incentives.reports.summary_sheets import write_by_group, write_summary
from incentives.reports.zip_entries import EntryWriter, copy_deflated

__all__ = [
    "ReportOptionError", "ReportRequest", "ReportResult", "by_group_path", "write_report",
]  # fmt: skip


class ReportOptionError(OptionsError):
    """An option of the report is wrong (an unknown --by dimension or currency, an --out that
    is no .xlsx file): a usage error, found before anything is read."""


_CHART_DIMS = ("unit", "rating")


@attrs.frozen
class ReportRequest:
    """What `incentives report` was asked: the run folder, the workbook to write, the
    dimensions of the summary by group, and an optional reporting currency with its rates."""

    run: Path
    out: Path
    by: tuple[str, ...] = ("unit",)
    report_currency: str | None = None
    rates: Path | None = None
    inside_run: bool = False  # allow --out inside the run folder
    force: bool = False  # replace an existing workbook
    max_rows: int = EXCEL_MAX_ROWS  # a sheet's rows, header included (tests lower it)
    # the large sheets written by a second process (`sheet_worker`); None: when the run is
    # large enough for it to pay. The workbook's bytes are the same either way.
    worker: bool | None = None


@attrs.frozen
class ReportResult:
    workbook: Path
    by_group_csv: Path
    sheets: tuple[str, ...]
    table: GroupTable
    charts: int


def by_group_path(workbook: Path) -> Path:
    """The summary by group's CSV written beside ``workbook``: its name with ``.by_group.csv``
    for ``.xlsx``, so two workbooks in one folder each keep their own."""
    return workbook.with_name(f"{workbook.stem}.by_group.csv")


def _check_request(request: ReportRequest) -> None:
    if request.out.suffix.lower() != ".xlsx":
        raise ReportOptionError(
            f"--out {shorten(request.out)}: the workbook's name must end in .xlsx"
        )
    if (request.report_currency is None) != (request.rates is None):
        raise ReportOptionError("--report-currency and --rates go together: give both or neither")
    if request.report_currency and request.report_currency not in CURRENCY_MINOR_UNITS:
        close = difflib.get_close_matches(
            request.report_currency.upper(), CURRENCY_MINOR_UNITS, n=1
        )
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ReportOptionError(
            f"--report-currency: unknown currency '{request.report_currency}'{hint}"
        )
    run, out = real_path(request.run), real_path(request.out)
    if not request.inside_run and (out == run or out.is_relative_to(run)):
        raise OutputOverlapsInput(
            f"--out {shorten(request.out)} is inside the run folder {shorten(request.run)}: the "
            "run folder stays as the run wrote it; write the workbook elsewhere "
            "(or pass --inside-run)"
        )
    if out.is_dir():
        raise ReportOptionError(f"--out {shorten(request.out)} is a folder; give a file name .xlsx")
    for path in (request.out, by_group_path(request.out)):
        if path.exists() and not request.force:
            what = "" if path == request.out else f" (its by-group CSV {shorten(path)})"
            raise ReportOptionError(
                f"--out {shorten(request.out)}{what}: already exists; choose another --out or "
                "give --force"
            )


def _converter(source: RunSource, request: ReportRequest) -> tuple[object, object]:
    """(per fact, per (amount, currency, policy)) conversions into the reporting currency at
    each policy's own rate date and type (its ``fx:``, by default the period end, average)."""
    from incentives.io import read_rates

    assert request.rates is not None and request.report_currency is not None
    table = read_rates(request.rates)
    to = request.report_currency
    policies = {p.id: p for p in source.policies}

    def by_policy(amount: Decimal, currency: str, policy_id: str) -> Decimal:
        policy = policies.get(policy_id)
        if policy is None or policy.fx_date is None:
            raise OptionsError(f"policy '{policy_id}' has no date for its rates")
        try:
            rate = table.rate(currency, to, policy.fx_rate_type, policy.fx_date)
        except IncentivesError as exc:
            raise OptionsError(f"--report-currency {to}: {exc}") from None
        return TOTALS_CONTEXT.multiply(amount, rate)

    def per_fact(amount: Decimal, fact: Fact) -> Decimal:
        return by_policy(amount, fact.currency, fact.policy)

    return per_fact, by_policy


def _known_dims(source: RunSource) -> set[str]:
    names = set(source.header("inputs.csv")) | set(source.header("results.csv"))
    for policy in source.policies:
        names |= set(source.header(policy.breakdown))
    return names - {"employee_id"}


def _check_dims(by: Sequence[str], known: set[str]) -> None:
    for name in by:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "see inputs.csv and results.csv"
            raise ReportOptionError(
                f"--by: '{shorten(name)}' is no roster field or step of the run; {hint}"
            )


def write_report(request: ReportRequest) -> ReportResult:
    """Write the workbook and its by-group CSV (see the module docstring)."""
    import xlsxwriter

    _check_request(request)
    source = open_run(request.run)
    convert = _converter(source, request) if request.rates else (None, None)
    known = _known_dims(source)
    _check_dims(request.by, known)
    dims = [*request.by, *(d for d in _CHART_DIMS if d in known and d not in request.by)]
    shared, held = read_inputs(source, dims, figure_inputs(source))
    gatherers = {p.id: FactGatherer(p, dims, shared, figures=held) for p in source.policies}
    planned = plan_bulk_sheets(source)

    package = io.BytesIO()
    book = xlsxwriter.Workbook(
        package,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
         "strings_to_urls": False},
    )  # fmt: skip
    book.set_properties({"created": datetime.datetime(2000, 1, 1)})
    styles = Styles(book)
    with tempfile.TemporaryDirectory(prefix="incentives-report-") as folder:
        worker = _worker(request, source, styles, Path(folder))
        try:
            # the worker starts at once: the sheets of every file but results.csv
            offloaded = {
                s.title: worker.submit(s, request.max_rows)
                for s in counted([s for s in planned if s.policy is None], {}, request.max_rows)
                + [s for s in planned if s.policy is not None]
                if s.file != "results.csv"
            } if worker else {}  # fmt: skip
            spooled = spool_results(
                source, planned, gatherers, styles, Path(folder), request.max_rows
            )
            sheets = counted(planned, spooled.counts, request.max_rows)
            result = _write(
                request, source, book, package, styles, sheets, gatherers, spooled, convert,
                offloaded, worker,
            )  # fmt: skip
        except BaseException:
            if worker:
                worker.close(failed=True)
            raise
        if worker:
            worker.close(failed=False)
        return result


def _worker(
    request: ReportRequest, source: RunSource, styles: Styles, folder: Path
) -> SheetWorker | None:
    """A second process for the large sheets, when asked or worth it (`sheet_worker`)."""
    wanted = request.worker
    if wanted is None:
        wanted = (source.path / "results.csv").stat().st_size > WORTH_A_WORKER
    return SheetWorker(source, styles, folder) if wanted else None


def _write(
    request: ReportRequest,
    source: RunSource,
    book: Any,
    package: io.BytesIO,
    styles: Styles,
    sheets: list[BulkSheet],
    gatherers: Mapping[str, FactGatherer],
    spooled: Spooled,
    convert: tuple[Any, Any],
    offloaded: Mapping[str, int],
    worker: SheetWorker | None,
) -> ReportResult:
    convert_fact, convert_amount = convert
    taken: set[str] = set()
    summary = book.add_worksheet(sheet_name("Summary", taken))
    by_group = book.add_worksheet(sheet_name("By group", taken))
    chart_sheet = book.add_worksheet(sheet_name("Charts", taken))
    sheets = [
        attrs.evolve(
            sheet, parts=tuple(Part(sheet_name(p.name, taken), p.rows) for p in sheet.parts)
        )
        for sheet in sheets
    ]
    entries: list[list[str]] = []
    names: list[str] = ["Summary", "By group", "Charts"]
    for sheet in sheets:
        mine = []
        for part in sheet.parts:  # an empty sheet for now: its XML is streamed in below
            book.add_worksheet(part.name).autofilter(0, 0, part.rows, len(sheet.columns) - 1)
            names.append(part.name)
            mine.append(f"xl/worksheets/sheet{len(names)}.xml")
        entries.append(mine)

    out = request.out
    csv_path = by_group_path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)  # as payroll does for its --out
        with (
            atomic_write(csv_path, "w") as csv_stream,
            atomic_write(out) as book_file,
            zipfile.ZipFile(book_file, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        ):
            kept = [
                (s, e) for s, e in zip(sheets, entries, strict=True) if s.title not in offloaded
            ]
            with EntryWriter(archive) as writer:  # the worker's sheets follow all of these
                write_bulk(
                    writer, source, [s for s, _ in kept], [e for _, e in kept], gatherers,
                    styles, spooled,
                )  # fmt: skip
            by_file = {g.policy.breakdown: g for g in gatherers.values()}
            for sheet in sheets:  # their facts: the worker writes their sheets
                if sheet.title in offloaded and sheet.file in by_file:
                    gatherer = by_file[sheet.file]
                    found = spooled.currencies[gatherer.policy.id]
                    gather_breakdown(source, sheet, gatherer, found)
            facts = [f for g in gatherers.values() for f in g.facts]
            codes = list(dict.fromkeys(c for p in source.policies for c in p.pay_codes.values()))
            table = summarize_by_group(
                facts, request.by, pay_codes=codes, report_currency=request.report_currency,
                convert=convert_fact,
            )  # fmt: skip
            component_policy = {c: p.id for p in source.policies for c in p.pay_codes}
            write_summary(
                summary, styles, source.manifest, run=str(request.run),
                component_policy=component_policy, report_currency=request.report_currency,
                convert=convert_amount,
            )  # fmt: skip
            write_by_group(by_group, styles, table)
            charts = write_charts(
                book, chart_sheet, styles, facts, source.manifest.get("budgets", []),
                report_currency=request.report_currency, convert=convert_fact,
            )  # fmt: skip
            book.close()
            for sheet, members in zip(sheets, entries, strict=True):
                if sheet.title in offloaded:  # after the bulk sheets written here
                    assert worker is not None
                    done = worker.result(offloaded[sheet.title])
                    for name, deflated in zip(members, done, strict=True):
                        copy_deflated(archive, entry(name), deflated)
            ours = {e for mine in entries for e in mine}
            with zipfile.ZipFile(package) as made:
                for info in made.infolist():
                    if info.filename not in ours:
                        archive.writestr(entry(info.filename), made.read(info))
            csv_stream.write(csv_line([format_cell(n) for n in table.header]))
            for cells in table.text_rows():
                csv_stream.write(csv_line([format_cell(c) for c in cells]))
    except OSError as error:
        if isinstance(error, OutputError):
            raise
        reason = error.strerror or str(error)
        raise OutputError(f"cannot write {shorten(out)}: {reason}; nothing was written") from None
    return ReportResult(out, csv_path, tuple(names), table, charts)
