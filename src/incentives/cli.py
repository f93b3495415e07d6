"""The `incentives` command line: a thin shell over `incentives.jobs` and `incentives.audit`.

Exit status: 0 everything computed (employees no policy covers, and rows of the keyed files for
employees not in the roster, are counted and listed, not faults); 3 some rows were rejected (see
rejected.csv; with --require-coverage, an employee not covered too); 1 a fault in policies,
input files or options (a clear message, no traceback, no outputs); 2 a usage error.
Data goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import gc
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click

from incentives.errors import (
    IncentivesError,
    OutputOverlapsInput,
    OverrideError,
    PolicyError,
    UsageError,
    escape_controls,
    shorten,
)
from incentives.money import TOTALS_CONTEXT
from incentives.version import __version__

if TYPE_CHECKING:  # the engine is imported by the commands that run it: `check` starts sooner
    from incentives.jobs import RunReport, RunRequest


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while modules load: importing the policy language and
    its compiler (pydantic's models, attrs' classes) makes ~100 passes over objects that all
    live as long as the process, ~8 % of a command's start-up. What loaded is then frozen out
    of later collections (`gc.freeze`; a fork unfreezes it, see `parallel`), and the collector
    is as it was."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


with _collector_paused():
    from incentives.rulebook.language.lean_start import no_pydantic_plugins

    no_pydantic_plugins()  # this process validates only policy files: no plugin watches them
    from incentives.rulebook.rulebook import Rulebook, load_rules

__all__ = ["main"]

EXIT_REJECTED = 3


class _IsoDate(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime.date:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"'{value}' is not an ISO date (YYYY-MM-DD)", param, ctx)


_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_RULES = click.option(
    "--rules",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Folder of policy files (or one file).",
)


class _ProgressBar:
    """A progress bar on stderr (only when it is a terminal), opened at the first report, so
    runs shorter than one report (10,000 rows) show none."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None and done >= total:
            return  # a short run: finished before its first report, no bar needed
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="computing", file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)
        if done >= total:
            self._bar.__exit__(None, None, None)


def _coverage_lines(report: RunReport) -> None:
    """Who no policy of a kind covers, and how the rows of each keyed file were matched."""
    s = report.summary
    if s.not_covered_by_kind:
        kinds = ", ".join(
            f"{kind} {count}" for kind, count in sorted(s.not_covered_by_kind.items())
        )
        click.echo(f"not covered, by kind of policy: {kinds} (see not_covered.csv)")
    for role, counts in sorted(s.keyed_files.items()):
        click.echo(
            f"{role} file rows read: {counts.read}  matched: {counts.matched}"
            f"  unmatched: {counts.unmatched}  rejected: {counts.rejected}"
        )


def _fail(exc: IncentivesError) -> None:
    click.echo(f"error: {escape_controls(str(exc), keep=chr(10))}", err=True)
    if isinstance(exc, PolicyError):
        click.echo("Fix the policy files and run `incentives check --rules DIR` again.", err=True)
    sys.exit(2 if isinstance(exc, OutputOverlapsInput | OverrideError | UsageError) else 1)


def _note(text: str) -> None:
    click.echo(f"note: {escape_controls(text, keep=chr(10))}", err=True)


_SET = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="What-if: override a value, e.g. --set 'target_pct[level=4]=12%' (docs/what-if.md).",
)
_SCENARIO = click.option(
    "--scenario",
    type=_EXISTING_FILE,
    help="What-if: a scenario file (overrides and input changes; docs/what-if.md).",
)


def _what_if(rules: Path | Rulebook, scenario: Path | None, sets: tuple[str, ...]) -> Any:
    """The scenario of --scenario and --set (None without either); exits as `_fail` does."""
    if scenario is None and not sets:
        return None
    from incentives.scenarios import load_scenario

    try:
        rulebook = rules if isinstance(rules, Rulebook) else load_rules(rules)
        return load_scenario(scenario, rulebook, sets=sets)
    except IncentivesError as exc:
        _fail(exc)


class _ShortUsage(click.Command):
    """A command whose usage errors quote what was typed shortened: a 100,000-character
    argument gives a one-line message, not 100 KB."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            error.message = shorten(error.message, 300)  # type: ignore[misc]  # Final in stubs
            raise


class _Group(_ShortUsage, click.Group):
    command_class = _ShortUsage


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="incentives")
def cli() -> None:
    """Rules-based compensation: policies as plain files, exact money, a breakdown for every payout."""


_INPUT_OPTIONS = (
    _RULES,
    click.option(
        "--employees",
        required=True,
        type=_EXISTING_FILE,
        help="Roster, one row per employee: CSV or .xlsx (docs/excel-inputs.md).",
    ),
    click.option(
        "--goals",
        type=_EXISTING_FILE,
        help="Goals CSV keyed by employee_id (instead of goal columns).",
    ),
    click.option(
        "--results",
        type=_EXISTING_FILE,
        help="Plan results CSV (policy, result, unit, field, value).",
    ),
    click.option(
        "--rates", type=_EXISTING_FILE, help="Exchange rates CSV (date, from, to, rate_type, rate)."
    ),
    click.option(
        "--ratings",
        type=_EXISTING_FILE,
        help="Rating history CSV (employee_id, cycle, rating), for promotion readiness.",
    ),
    click.option(
        "--history",
        type=_EXISTING_FILE,
        help="Dated changes CSV (employee_id, effective_date, changed columns), for segments.",
    ),
    click.option(
        "--as-of",
        "as_of",
        type=_IsoDate(),
        help="The run's reference date (default: the payout date).",
    ),
    click.option(
        "--out", required=True, type=click.Path(path_type=Path), help="Folder for the outputs."
    ),
    click.option("--force", is_flag=True, help="Replace the outputs of an earlier run in --out."),
    click.option(
        "--sheet",
        "sheets",
        multiple=True,
        metavar="[ROLE=]NAME",
        help="The sheet of an .xlsx input: NAME for --employees, ROLE=NAME for the others "
        "(goals=Goals); default: the first sheet.",
    ),
    click.option(
        "--columns",
        type=_EXISTING_FILE,
        help="Column mapping YAML: the roster's headers and codes onto the fields (docs/excel-inputs.md).",
    ),
)


def _input_options(command: Any) -> Any:
    """The options naming a run's inputs and its output folder (`_INPUT_OPTIONS`), one
    definition for every command that reads them: `run` and `simulate` cannot drift apart.
    The command takes them as ``**inputs`` and passes them to `_run_request`."""
    for option in reversed(_INPUT_OPTIONS):
        command = option(command)
    return command


def _run_request(inputs: dict[str, Any], **more: Any) -> RunRequest:
    """The `RunRequest` of the `_input_options` a command was given (and ``more`` fields)."""
    from incentives.jobs import SHEET_ROLES, RunRequest

    sheets = _sheets(inputs.pop("sheets"), SHEET_ROLES)
    return RunRequest(sheets=sheets, **inputs, **more)


@cli.command()
@_input_options
@click.option(
    "--require-coverage",
    is_flag=True,
    help="Reject an employee whom no policy of a kind covers (default: list in not_covered.csv).",
)
@_SCENARIO
@_SET
def run(
    require_coverage: bool, scenario: Path | None, sets: tuple[str, ...], **inputs: Any
) -> None:
    """Compute every employee under every policy and write the run folder."""
    with _collector_paused():
        from incentives.jobs import run_job

    what_if = _what_if(inputs["rules"], scenario, sets)

    request = _run_request(inputs, require_coverage=require_coverage, scenario=what_if)
    try:
        report = run_job(
            request, _ProgressBar() if sys.stderr.isatty() else None, notify=_note
        )
    except IncentivesError as exc:
        _fail(exc)
        return
    s = report.summary
    if what_if is not None:  # what it is, and whom its input changes changed
        click.echo(escape_controls("\n".join(what_if.run_lines(report.what_if)), keep="\n"))
    click.echo(f"policies: {', '.join(report.policies)}")
    click.echo(
        f"employees read: {s.read}  computed: {s.computed}  rejected: {s.rejected}"
        f"  not covered: {s.not_covered}"
        f"  (policy outcomes: eligible {s.eligible}, not eligible {s.ineligible})"
    )
    _coverage_lines(report)
    for (currency, component, code), amount in sorted(s.totals.items()):
        click.echo(
            f"  {component} ({code}) {currency} {amount:,.2f}"
            if amount == TOTALS_CONTEXT.quantize(amount, amount.__class__("0.01"))
            else f"  {component} ({code}) {currency} {amount}"
        )
    for (unit, component, code), amount in sorted(s.unit_totals.items()):
        click.echo(f"  {component} ({code}) {amount:,} {unit}")  # a count, never money
    for pool in report.pools:
        group = f" {escape_controls(pool.group)}" if pool.group else ""
        click.echo(
            f"pool {pool.pool}{group}: {pool.currency} {pool.pool_amount:,.2f}, allocated "
            f"{pool.allocated:,.2f} to {pool.members} member(s), unspent {pool.unspent:,.2f}"
            f" (factor {pool.factor:.6f})"
        )
    if report.budgets:
        over = sum(1 for line in report.budgets if line.over or line.amount is None)
        click.echo(
            f"budgets: {len(report.budgets)} group(s), {len(report.budgets) - over} within, "
            f"{over} over (see budgets.csv)"
        )
    for line in report.budgets:
        if line.over or line.amount is None:
            click.echo(f"warning: budget over: {escape_controls(line.describe())}", err=True)
    click.echo(f"outputs: {report.out}/ ({', '.join(report.files)})")
    if s.unmatched:
        files = [role for role, counts in sorted(s.keyed_files.items()) if counts.unmatched]
        click.echo(
            f"warning: {s.unmatched} row(s) of the {' and '.join(files)} file"
            f"{'s' if len(files) > 1 else ''} for employees not in the roster: "
            f"see {report.out / 'unmatched.csv'}",
            err=True,
        )
    if s.rejected or report.orphan_rows:
        click.echo(
            f"{s.rejected + report.orphan_rows} row(s) rejected: see {report.out / 'rejected.csv'}",
            err=True,
        )
        sys.exit(EXIT_REJECTED)


def _sheets(given: tuple[str, ...], roles: tuple[str, ...]) -> dict[str, str]:
    """``--sheet`` values by role: ``ROLE=NAME`` for a known role, else the roster's NAME."""
    sheets: dict[str, str] = {}
    for text in given:
        role, _, name = text.partition("=")
        role, name = (role, name) if name and role in roles else ("employees", text)
        if role in sheets:
            raise click.BadParameter(f"two sheets for the {role}", param_hint="'--sheet'")
        sheets[role] = name
    return sheets


@cli.command()
@_input_options
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=_EXISTING_FILE,
    help="A scenario file, compared with the baseline (repeatable; docs/what-if.md).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="An override applied on top of every --scenario (as `run --scenario S --set` does); "
    "without --scenario, a scenario of its own named 'set'.",
)
@click.option(
    "--by",
    default="",
    metavar="NAME[,NAME...]",
    help="Roster fields or steps to total by in by_group.csv (the first is also named beside "
    "the largest increase), e.g. unit,level,rating.",
)
@click.option(
    "--report-currency",
    metavar="CUR",
    help="Also total every scenario in this currency, converted with --rates.",
)
def simulate(
    scenarios: tuple[Path, ...],
    sets: tuple[str, ...],
    by: str,
    report_currency: str | None,
    **inputs: Any,
) -> None:
    """Compare scenarios with the baseline over one read of the roster; prints summary.md
    (docs/simulate.md)."""
    from incentives.simulation.job import SIMULATION_FILES, SimulateRequest, simulate_job

    if not scenarios and not sets:
        raise click.UsageError("nothing to compare: give a --scenario file or a --set override")
    request = _run_request(inputs)
    try:
        baseline = load_rules(request.rules)
    except IncentivesError as exc:
        _fail(exc)
        return
    chosen = [_what_if(baseline, path, sets) for path in scenarios or [None]]
    if sets and scenarios:  # the summary names what each scenario runs
        chosen = [attrs.evolve(s, title=f"{s.title}; --set {', '.join(sets)}") for s in chosen]
    names = [s.name for s in chosen]
    for path, name in zip(scenarios, names, strict=False):
        if name == "baseline" or names.count(name) > 1:
            raise click.BadParameter(
                f"{shorten(str(path), 200)}: a scenario is named by its file name ('{name}'), "
                + ("and 'baseline' is the policies as written"
                   if name == "baseline" else "and two scenarios are named so")
                + ": rename the file",
                param_hint="'--scenario'",
            )  # fmt: skip
    dims = tuple(name.strip() for name in by.split(",") if name.strip())
    try:
        sim = simulate_job(
            SimulateRequest(request, chosen, baseline, by=dims, report_currency=report_currency)
        )
    except IncentivesError as exc:  # a SimulateOptionError (a UsageError) exits 2
        _fail(exc)
        return
    summary = (request.out / "summary.md").read_text(encoding="utf-8")
    click.echo(escape_controls(summary, keep="\n"), nl=False)
    files = sorted({*SIMULATION_FILES, *(["by_group.csv"] if dims else [])})
    click.echo(f"outputs: {request.out}/ ({', '.join(files)})", err=True)
    if sim.summaries[0].rejected:
        click.echo(
            f"warning: {sim.summaries[0].rejected} row(s) rejected in the baseline: "
            "`incentives run` lists them with the reasons in rejected.csv",
            err=True,
        )


@cli.command()
@_RULES
@click.option(
    "--show-code",
    "show_code",
    metavar="POLICY_ID",
    help="Print the Python module generated for this policy (what the engine runs) instead.",
)
@_SCENARIO
@_SET
def check(rules: Path, show_code: str | None, scenario: Path | None, sets: tuple[str, ...]) -> None:
    """Validate policy files (and a scenario) without data, listing every problem."""
    try:
        rulebook = load_rules(rules)
    except IncentivesError as exc:
        _fail(exc)
        return
    what_if = _what_if(rulebook, scenario, sets)
    if what_if is not None:  # what each layer changes, then the policies as changed
        rulebook = what_if.rulebook
        click.echo(escape_controls("\n".join(what_if.check_lines()), keep="\n"))
    if show_code is not None:
        _show_code(rulebook, show_code)
        return
    for policy in rulebook.policies:
        steps = sum(1 for slot in policy.slots if slot.kind == "step")
        extra = "".join(
            f", {len(names)} {what}(s) ({', '.join(names)})"
            for what, names in (
                ("pool", [p.name for p in policy.pools]),
                ("budget", [b.name for b in policy.budgets]),
            )
            if names
        )
        click.echo(
            escape_controls(  # a version or name from the file may hold control characters
                f"ok  {policy.file}: {policy.id} v{policy.version} ({policy.kind}), {steps} steps, {len(policy.pay)} pay component(s){extra}"
            )
        )


def _show_code(rulebook: Rulebook, policy_id: str) -> None:
    """The generated module of one policy on stdout, as compiled (its line numbers are those of
    a traceback into it), after a comment header on stderr; an unknown id is a usage error."""
    ids = [p.id for p in rulebook.policies]
    if policy_id not in ids:
        close = difflib.get_close_matches(policy_id, ids, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"policies: {', '.join(ids)}"
        raise click.BadParameter(
            f"no policy '{shorten(policy_id, 80)}'; {hint}", param_hint="'--show-code'"
        )
    policy = rulebook.policy(policy_id)
    click.echo(_code_header(policy), err=True, nl=False)
    click.echo(policy.source)


def _code_header(policy: Any) -> str:
    """Comment lines saying which module this is and the value of each constant it reads
    (``PARAM_max_multiple = 2``); the other globals it reads are named only."""
    import ast
    import builtins

    nodes = list(ast.walk(ast.parse(policy.source)))
    arguments = {a.arg for node in nodes if isinstance(node, ast.arguments) for a in node.args}
    names = {n.id for n in nodes if isinstance(n, ast.Name) and n.id[:1].isupper()}
    read = sorted(names - arguments)
    values = {f"PARAM_{name}": value for name, value in policy.parameters.items()}
    values.update(policy.globals_)

    def shown(value: object) -> str:
        if isinstance(value, (frozenset, set, tuple, list)):
            return ", ".join(sorted(str(v) for v in value))
        return value.isoformat() if isinstance(value, datetime.date) else str(value)

    lines = [
        f"# policy {policy.id} from {policy.file} (sha256 {policy.sha256[:12]}), compiled as "
        f"{policy.code.co_filename}",
        "# the module is on stdout, its lines numbered as in a traceback; this header is on stderr",
        "# constants it reads:",
        *(f"# {name} = {shown(values[name])}" for name in read if name in values),
    ]
    others = [n for n in read if n not in values and not hasattr(builtins, n)]
    if others:
        lines.append(f"# also reads (bound when run): {', '.join(others)}")
    return "\n".join(lines) + "\n"


_RUN_FOLDER = click.option(
    "--run",
    "run_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A run folder written by `incentives run`.",
)


@cli.command()
@click.argument("employee_id")
@_RUN_FOLDER
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def explain(employee_id: str, run_dir: Path, fmt: str) -> None:
    """Show how one employee's payout was derived, step by step."""
    from incentives.audit.explain import explain_employee

    try:
        explanation = explain_employee(run_dir, employee_id)
    except IncentivesError as exc:
        _fail(exc)
        return
    if fmt == "json":
        click.echo(json.dumps(explanation.data(), indent=2, ensure_ascii=False, sort_keys=False))
    else:
        click.echo(escape_controls(explanation.text(), keep="\n"))  # ids, labels from files


@cli.command(name="diff")
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder for diff.csv, outputs.csv and summary.txt.",
)
@click.option("--force", is_flag=True, help="Replace the outputs of an earlier diff in --out.")
def diff_command(run_a: Path, run_b: Path, out: Path | None, force: bool) -> None:
    """Compare two run folders: employees added, removed and changed, and why (docs/diff.md)."""
    from incentives.audit.diff_output import diff_text, write_diff
    from incentives.audit.run_diff import diff_runs

    try:
        found = diff_runs(run_a, run_b)
        written = write_diff(found, out, force=force) if out is not None else ()
    except IncentivesError as exc:  # not a run folder: 1, as explain, payroll and report
        _fail(exc)
        return
    click.echo(escape_controls(diff_text(found), keep="\n"), nl=False)
    if out is not None:  # announced as run and sweep announce their folders
        click.echo(escape_controls(f"outputs: {out}/ ({', '.join(sorted(written))})"))


@cli.command()
@_RUN_FOLDER
@click.option(
    "--layout",
    required=True,
    help="A layout YAML file, or a shipped layout: generic, earnings_batch, one_time_payment, "
    "compensation_change.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The payroll file (OUT-KEY.ext per value if the layout splits); the control file "
    "is written beside it (bonus.csv: bonus.control.json).",
)
@click.option(
    "--since",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A previous export (or its control file): write only the lines that correct it.",
)
@click.option(
    "--roster", type=_EXISTING_FILE, help="Roster with the payroll fields the layout reads."
)
@click.option("--allow-rejected", is_flag=True, help="Export a run that rejected rows.")
@click.option("--allow-what-if", is_flag=True, help="Export a what-if run (overrides, scenario).")
@click.option("--force", is_flag=True, help="Replace existing files at --out.")
def payroll(
    run_dir: Path,
    layout: str,
    out: Path,
    since: Path | None,
    roster: Path | None,
    allow_rejected: bool,
    allow_what_if: bool,
    force: bool,
) -> None:
    """Write a run's payable lines as a payroll file, with control totals (docs/payroll.md)."""
    from incentives.payroll import PayrollRefused, export

    try:
        result = export(
            run_dir,
            layout,
            out,
            since=since,
            roster=roster,
            allow_rejected=allow_rejected,
            allow_what_if=allow_what_if,
            force=force,
        )
    except PayrollRefused as exc:
        click.echo(f"error: {escape_controls(str(exc), keep=chr(10))}", err=True)
        sys.exit(2)  # a flag the user must give knowingly: a usage error
    except IncentivesError as exc:
        _fail(exc)
        return
    click.echo(escape_controls(result.report(), keep="\n"), nl=False)


@cli.command()
@_RUN_FOLDER
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="The workbook to write (.xlsx)."
)
@click.option(
    "--by",
    default="unit",
    show_default=True,
    help="Dimensions of the summary by group, comma-separated (roster fields or steps).",
)
@click.option("--report-currency", help="Convert every amount into this currency (needs --rates).")
@click.option("--rates", type=_EXISTING_FILE, help="Exchange rates CSV for --report-currency.")
@click.option(
    "--inside-run",
    is_flag=True,
    help="Allow --out inside the run folder (it is left alone by default).",
)
@click.option(
    "--force", is_flag=True, help="Replace an existing workbook at --out and its .by_group.csv."
)
def report(
    run_dir: Path,
    out: Path,
    by: str,
    report_currency: str | None,
    rates: Path | None,
    inside_run: bool,
    force: bool,
) -> None:
    """Write the results workbook (Summary, By group, Charts, Results, Breakdown…) and
    its by-group CSV beside it (report.xlsx → report.by_group.csv)."""
    from incentives.reports.workbook import ReportOptionError, ReportRequest, write_report

    dims = tuple(d.strip() for d in by.split(",") if d.strip())
    request = ReportRequest(
        run=run_dir, out=out, by=dims, report_currency=report_currency, rates=rates,
        inside_run=inside_run, force=force,
    )  # fmt: skip
    try:
        done = write_report(request)
    except ReportOptionError as exc:
        click.echo(f"error: {escape_controls(str(exc))}", err=True)
        sys.exit(2)
    except IncentivesError as exc:
        _fail(exc)
        return
    click.echo(f"workbook: {done.workbook} ({len(done.sheets)} sheets, {done.charts} charts)")
    click.echo(f"summary by group: {done.by_group_csv} ({len(done.table.rows)} rows)")



@cli.command()
@_input_options
@click.option("--draws", type=_EXISTING_FILE, help="Joint draws CSV: draw, weight, one column per result.")
@click.option("--grid", multiple=True, help="An axis NAME=FROM..TO/STEP or NAME=V1,V2 (repeatable).")
@click.option("--spec", type=_EXISTING_FILE, help="A sweep file (YAML): grid: or distributions:.")
@click.option("--seed", type=int, help="Replaces the sweep file's seed.")
@click.option("--budget", "budgets", multiple=True, help="PAY_CODE:CURRENCY=AMOUNT to report P(total > AMOUNT) for.")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: both cores).")
@click.option("--scheduler", help="A Dask scheduler's address (needs pip install 'incentives[dask]').")
def sweep(
    draws: Path | None,
    grid: tuple[str, ...],
    spec: Path | None,
    seed: int | None,
    budgets: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    **inputs: Any,
) -> None:
    """Evaluate the payouts over many values of the plan results (docs/sweep.md)."""
    from incentives.sweep import SweepInputError, SweepRequest, run_sweep
    from incentives.sweep.folder import FILES

    run = _run_request(inputs, workers=workers)
    try:
        report = run_sweep(SweepRequest(
            run, draws=draws, grid=tuple(grid), spec=spec, seed=seed, budgets=tuple(budgets),
            scheduler=scheduler,
        ))  # fmt: skip
    except SweepInputError as exc:  # the points or options given: a usage error
        click.echo(f"error: {escape_controls(str(exc))}", err=True)
        sys.exit(2)
    except IncentivesError as exc:
        _fail(exc)
        return
    click.echo(report.text, nl=False)
    click.echo(f"outputs: {report.out}/ ({', '.join(FILES)})")


def main() -> None:
    """Console-script entry point."""
    import traceback

    # an engine bug's traceback is printed by the traceback module, which reads linecache, so
    # frames in generated code quote their lines (Python 3.11's own printer reads only files)
    sys.excepthook = lambda kind, exc, tb: traceback.print_exception(kind, exc, tb)
    try:
        cli(prog_name="incentives")
    finally:
        # The process ends now: the objects left go to the collector's permanent generation, so
        # the collections of the interpreter's exit do not walk every object of every module
        # again (~40 ms after any command; reference counts still free them, files are closed)
        gc.freeze()
