"""The commands that read a run folder (explain, diff, payroll, report) answer a user's mistake
alike: exit 2 for what the command line got wrong (a name that does not exist, an --out the
command may not write), exit 1 for a folder that is not a run's; and each says what a what-if
run is in words a person reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import SAMPLE_ARGS, CliRun


def _commands(run: Path, tmp_path: Path) -> dict[str, tuple[str | Path, ...]]:
    return {
        "explain": ("explain", "00004", "--run", run),
        "diff": ("diff", run, run),
        "payroll": ("payroll", "--run", run, "--layout", "generic", "--out", tmp_path / "p.csv"),
        "report": ("report", "--run", run, "--out", tmp_path / "r.xlsx"),
    }


@pytest.mark.parametrize("command", ["explain", "diff", "payroll", "report"])
def test_a_folder_that_is_not_a_run_folder_exits_1_in_every_command(
    command: str, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """`--run fixtures` (an existing folder, but no run's): the same exit code whichever command
    reads it, a message naming the missing file, no traceback."""
    not_a_run = tmp_path / "fixtures copy"
    not_a_run.mkdir()
    (not_a_run / "employees.csv").write_text("employee_id\n00001\n", encoding="utf-8")
    result = cli(*_commands(not_a_run, tmp_path)[command])
    assert result.exit_code == 1, result.output
    assert result.exception is None
    assert "rulebook.json: the file is missing" in result.stderr


def test_a_mistyped_layout_name_is_a_usage_error(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """`--layout generc` names nothing: exit 2 as report's unknown --by, with the did-you-mean."""
    result = cli("payroll", "--run", sample_run.out, "--layout", "generc", "--out", tmp_path / "p")
    assert result.exit_code == 2, result.output
    assert "did you mean 'generic'?" in result.stderr


def test_an_out_inside_the_run_folder_is_a_usage_error_in_payroll_report_and_diff(
    sample_run: CliRun, cli: Callable[..., CliRun]
) -> None:
    """Each command that reads a run refuses to write into it, with the same exit code 2."""
    run = sample_run.out
    assert run is not None
    payroll = cli("payroll", "--run", run, "--layout", "generic", "--out", run / "p.csv")
    report = cli("report", "--run", run, "--out", run / "r.xlsx")
    diff = cli("diff", run, run, "--out", run / "d")
    for result in (payroll, report, diff):
        assert result.exit_code == 2, result.output
        assert "inside" in result.stderr
    assert not (run / "p.csv").exists() and not (run / "r.xlsx").exists()


def test_report_does_not_replace_a_workbook_without_force(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """A second report to the same --out would silently replace the workbook (someone's
    edited copy, another --by): refused as payroll refuses an existing file, unless --force."""
    out = tmp_path / "report.xlsx"
    assert cli("report", "--run", sample_run.out, "--out", out).exit_code == 0
    book = out.read_bytes()
    again = cli("report", "--run", sample_run.out, "--out", out, "--by", "unit,rating")
    assert again.exit_code == 2, again.output
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == book
    forced = cli("report", "--run", sample_run.out, "--out", out, "--by", "unit,rating", "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes() != book


def test_diff_names_a_what_if_run_by_its_overrides(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """`diff out what-if` says run B is a what-if with the override as explain and the report's
    banner write it, not the manifest's JSON."""
    what_if = tmp_path / "what if"
    run = cli("run", *SAMPLE_ARGS, "--set", "max_multiple=150%", "--out", what_if)
    assert run.exit_code == 0, run.output
    result = cli("diff", sample_run.out, what_if)
    assert result.exit_code == 0, result.output
    assert (
        "run B is a what-if, not the real cycle: annual-bonus-2026: max_multiple = 150% "
        "(set by --set; policy says 2)\n" in result.stdout
    )
    assert "{" not in result.stdout.split("employees:")[0]


def test_diff_of_a_folder_with_itself_says_so(
    sample_run: CliRun, cli: Callable[..., CliRun]
) -> None:
    """Giving one folder twice is a slip (the second run's --out forgotten): the diff is
    empty, and it says the two are the same folder."""
    result = cli("diff", sample_run.out, sample_run.out)
    assert result.exit_code == 0
    assert "run A and run B are the same folder" in result.stdout
    assert "no differences" in result.stdout


def _readme_block_after(marker: str) -> list[str]:
    """The lines of the first ``` block of README.md that follows the line holding marker."""
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rest = text[text.index(marker) :]
    rest = rest[rest.index("```") + 3 :]  # past the end of the block holding the marker
    start = rest.index("```\n") + 4
    return rest[start : rest.index("```", start)].splitlines()


def test_readme_report_example_is_real_output(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """README 'Reports' shows what the command prints and the first rows of the CSV it writes."""
    result = cli(
        "report", "--run", sample_run.out, "--out", tmp_path / "report.xlsx", "--by", "unit,rating"
    )
    assert result.exit_code == 0, result.output
    printed = _readme_block_after("--out report.xlsx --by unit,rating")
    assert result.stdout.replace(str(tmp_path) + "/", "").splitlines() == printed
    shown = _readme_block_after("summary by group: report.by_group.csv")
    written = (tmp_path / "report.by_group.csv").read_text(encoding="utf-8").splitlines()
    assert written[: len(shown)] == shown


def test_readme_payroll_example_is_real_output(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """README 'Payroll' shows lines of what the command prints ('...' elides the rest)."""
    out = tmp_path / "payroll" / "bonus.csv"
    result = cli("payroll", "--run", sample_run.out, "--layout", "one_time_payment", "--out", out)
    assert result.exit_code == 0, result.output
    printed = result.stdout.replace(str(tmp_path) + "/", "").splitlines()
    shown = _readme_block_after("--layout one_time_payment --out payroll/bonus.csv")
    assert [line for line in shown if line.strip() != "..."] == [
        line for line in printed if line in shown
    ]


def test_no_command_writes_its_folder_inside_a_run_folder(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """`sweep --out out/sweep` (as docs/sweep.md once showed) put a folder no run wrote inside
    the run folder `out`, so the next `run --out out --force` refused to replace it. A sweep,
    a diff or a run into a folder inside a run folder is refused (exit 2), naming that run
    folder, before anything is computed; the run folder is left as it was."""
    run = tmp_path / "out"
    copy = cli("run", *SAMPLE_ARGS, "--out", run)
    assert copy.exit_code == 0
    before = sorted(p.name for p in run.rglob("*"))
    results = Path(__file__).parent.parent / "fixtures" / "results.csv"
    attempts = [
        cli(
            "sweep",
            *SAMPLE_ARGS,
            "--results",
            results,
            "--grid",
            "revenue_growth=2%,6%",
            "--out",
            run / "sweep",
        ),
        cli("diff", sample_run.out, sample_run.out, "--out", run / "nested" / "diff"),
        cli("run", *SAMPLE_ARGS, "--out", run / "again"),
    ]
    for result in attempts:
        assert result.exit_code == 2, result.output
        assert result.exception is None
        assert f"inside the run folder {run}" in result.stderr, result.stderr
    assert sorted(p.name for p in run.rglob("*")) == before
    assert cli("run", *SAMPLE_ARGS, "--out", run, "--force").exit_code == 0


def test_a_simulation_records_its_inputs_as_a_run_does(tmp_path: Path) -> None:
    """The simulation's manifest named the --columns file `column` (the first word of its
    role) where a run's says `columns`: both now come from one function, so the same inputs
    are recorded under the same keys with the same hashes."""
    import json

    from incentives.jobs import RunRequest, run_job
    from incentives.simulation.job import SimulateRequest, simulate_job
    from test_excel_inputs import hris_csv, mapping_file

    root = Path(__file__).parent.parent
    request = {
        "rules": root / "rules",
        "employees": hris_csv(tmp_path),
        "columns": mapping_file(tmp_path),
        "rates": root / "fixtures" / "rates.csv",
        "ratings": root / "fixtures" / "ratings.csv",
        "history": root / "fixtures" / "history.csv",
    }
    run_job(RunRequest(out=tmp_path / "run", **request))
    simulate_job(SimulateRequest(RunRequest(out=tmp_path / "sim", **request), scenarios=[]))

    def inputs(folder: str) -> dict[str, object]:
        manifest = json.loads((tmp_path / folder / "manifest.json").read_text(encoding="utf-8"))
        return dict(manifest["inputs"])

    assert inputs("sim") == inputs("run")
    assert "columns" in inputs("sim")


def test_a_sweep_reads_a_mapped_roster_as_a_run_does(tmp_path: Path) -> None:
    """A sweep opened the roster without the request's --columns mapping (and sheets), so an
    HRIS export that `run` reads failed with "missing required columns": the same roster
    through its mapping now gives the same sweep as the plain roster."""
    from incentives.jobs import RunRequest
    from incentives.sweep import SweepRequest, run_sweep
    from test_excel_inputs import hris_csv, mapping_file

    root = Path(__file__).parent.parent
    common = {
        "rules": root / "rules",
        "rates": root / "fixtures" / "rates.csv",
        "ratings": root / "fixtures" / "ratings.csv",
    }
    grid = ("revenue_growth=2%,6%",)
    plain = run_sweep(
        SweepRequest(
            RunRequest(
                employees=root / "fixtures" / "employees.csv", out=tmp_path / "plain", **common
            ),
            grid=grid,
        )
    )
    mapped = run_sweep(
        SweepRequest(
            RunRequest(
                employees=hris_csv(tmp_path),
                columns=mapping_file(tmp_path),
                out=tmp_path / "mapped",
                **common,
            ),
            grid=grid,
        )
    )
    assert mapped.summary.totals == plain.summary.totals


def test_diff_of_two_plan_runs_says_no_total_moved_in_words(tmp_path: Path) -> None:
    """E2 is in two plans of one group (two rows in results.csv); a higher salary and quota
    move pay between the pools' members but no total: the diff names each plan's row of E2
    with its cause, and says in words that no total moved instead of an empty table."""
    from incentives.audit.diff_output import diff_text
    from incentives.audit.run_diff import diff_runs
    from incentives.jobs import RunRequest, run_job
    from test_several_plans import POLICIES, TWO_PLANS_ROSTER

    rosters = {
        "a": TWO_PLANS_ROSTER,
        "b": TWO_PLANS_ROSTER.replace("E2,BOTH,u1,USD,80000,100000", "E2,BOTH,u1,USD,90000,150000"),
    }
    for name, text in rosters.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        run_job(RunRequest(POLICIES / "two_plans", tmp_path / f"{name}.csv", tmp_path / name))
    text = diff_text(diff_runs(tmp_path / "a", tmp_path / "b"))
    assert "totals that moved: none of 2 (the deltas add up to 0)\n" in text
    assert "E2        annual-bonus  annual_bonus     USD       6,666.67  7,105.26  +438.59" in text
    assert "E2        sales-q1      sales_incentive  USD       1,000.00  1,285.71  +285.71" in text
    assert "salary 80,000 → 90,000" in text and "quota_sales 100,000 → 150,000" in text


def test_diff_announces_its_output_folder(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """`diff --out DIR` said nothing of where diff.csv went; it ends with the line `run` and
    `sweep` print for their folders."""
    out = tmp_path / "d"
    result = cli("diff", sample_run.out, sample_run.out, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(f"outputs: {out}/ (diff.csv, outputs.csv, summary.txt)\n")


def test_a_scenario_run_is_described_alike_by_payroll_report_and_diff(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """A run of the bundled scenario with a --set: payroll (with --allow-what-if), the
    report's banner and diff list the same changes in the same words: each override, and the
    scenario's input change in words, not as the manifest's JSON; the policy files' own layer
    is no change and has no line (payroll printed `policy files (rules) (no override)`)."""
    import openpyxl

    root = Path(__file__).parent.parent
    run = tmp_path / "what if"
    scenario = root / "fixtures" / "scenarios" / "sales_stronger.yaml"
    made = cli(
        "run", *SAMPLE_ARGS, "--scenario", scenario, "--set", "max_multiple=150%", "--out", run
    )
    assert made.exit_code == 0, made.output
    expected = [
        "annual-bonus-2026: revenue_growth.actual = 7.5% (set by scenario sales_stronger; "
        "policy says 6.2%)",
        "annual-bonus-2026: target_pct[level=4] = 12% (set by scenario sales_stronger; "
        "policy says 10%)",
        "scenario sales_stronger: inputs where unit == 'Sales': goal 'Revenue' actual × 1.05, "
        "rating +1 step (20 employee(s) changed, 4 clamped to their bounds)",
        "annual-bonus-2026: max_multiple = 150% (set by --set; policy says 2)",
    ]
    pay = cli(
        "payroll",
        "--run",
        run,
        "--layout",
        "generic",
        "--out",
        tmp_path / "p.csv",
        "--allow-what-if",
    )
    assert pay.exit_code == 0, pay.output
    listed = [line for line in pay.stdout.splitlines() if line.startswith("what-if override: ")]
    assert listed == [f"what-if override: {line}" for line in expected]
    book = tmp_path / "r.xlsx"
    assert cli("report", "--run", run, "--out", book).exit_code == 0
    texts = [c.value for row in openpyxl.load_workbook(book)["Summary"].iter_rows() for c in row]
    assert all(line in texts for line in expected)
    assert not any("policy files" in str(t) for t in texts)
    diff = cli("diff", sample_run.out, run)
    assert f"run B is a what-if, not the real cycle: {'; '.join(expected)}\n" in diff.stdout


def test_a_lower_case_report_currency_suggests_the_code(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """`--report-currency usd` said only "unknown currency 'usd'": it now suggests USD."""
    rates = Path(__file__).parent.parent / "fixtures" / "rates.csv"
    result = cli(
        "report",
        "--run",
        sample_run.out,
        "--out",
        tmp_path / "r.xlsx",
        "--report-currency",
        "usd",
        "--rates",
        rates,
    )
    assert result.exit_code == 2
    assert "unknown currency 'usd'; did you mean USD?" in result.stderr


def test_payroll_reads_a_roster_field_from_an_xlsx_roster(tmp_path: Path) -> None:
    """A layout taking a roster field the run did not record (a cost centre) reads the run's
    roster: when that roster was an .xlsx workbook (its sheet recorded in the manifest), or
    --roster names one, payroll read it as CSV ("is not UTF-8 text; save it as CSV UTF-8")."""
    import csv

    import openpyxl

    from incentives.jobs import RunRequest, run_job
    from incentives.payroll import export

    root = Path(__file__).parent.parent
    with (root / "fixtures" / "employees.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    book.create_sheet("Notes", 0)  # the roster is not the first sheet: --sheet Roster
    sheet.title = "Roster"
    for n, row in enumerate(rows):
        sheet.append([*row, "cost_centre" if n == 0 else f"CC{n:03d}"])
    roster = tmp_path / "roster book.xlsx"
    book.save(roster)
    run = tmp_path / "run"
    run_job(
        RunRequest(
            root / "rules",
            roster,
            run,
            rates=root / "fixtures" / "rates.csv",
            sheets={"employees": "Roster"},
        )
    )
    layout = tmp_path / "cc.yaml"
    layout.write_text(
        "name: cc\ncolumns:\n  - {name: id, from: employee_id}\n"
        "  - {name: cc, from: roster.cost_centre}\n  - {name: amount, from: amount}\n"
        "  - {name: currency, from: currency}\n",
        encoding="utf-8",
    )
    for name, given in (("own.csv", None), ("given.csv", roster)):
        export(run, layout, tmp_path / name, roster=given)
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        assert lines[1].startswith("00001,CC001,"), lines[:2]


def test_a_sweep_budget_typo_is_refused_before_any_point_runs(
    tmp_path: Path, cli: Callable[..., CliRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--budget AIPP:USD=...` was found only after every point had run (minutes for a large
    sweep): the pay code is checked against the policies first, with a did-you-mean."""
    import incentives.sweep.folder as folder

    def no_points(*args: object, **kwargs: object) -> None:
        raise AssertionError("a point ran")

    monkeypatch.setattr(folder, "sweep_points", no_points)
    result = cli(
        "sweep",
        *SAMPLE_ARGS,
        "--grid",
        "revenue_growth=2%,6%",
        "--budget",
        "AIPP:USD=550000",
        "--out",
        tmp_path / "s",
    )
    assert result.exit_code == 2, result.output
    assert "--budget AIPP:USD: no pay code AIPP in the policies" in result.stderr
    assert "did you mean AIP?" in result.stderr
