"""`incentives sweep` reads its inputs as `incentives run` does: the same options (an .xlsx
roster's --sheet, a --columns mapping of an HRIS export) and the same reading of them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from conftest import EMPLOYEES, FIXTURES, SAMPLE_ARGS, CliRun
from incentives.sweep.evaluate import forget
from test_excel_inputs import CODES, HRIS, hris_csv, mapping_file, xlsx_copy

Cli = Callable[..., CliRun]
SWEEP = ("--results", str(FIXTURES / "results.csv"), "--grid", "revenue_growth=1%,9%",
         "--grid", "operating_margin[Sales]=7%,13%", "--workers", "1")  # fmt: skip


def _sweep(cli: Cli, out: Path, roster: Path, *more: str) -> CliRun:
    forget()  # each sweep prepares (reads) its own roster
    args = [str(roster) if arg == str(EMPLOYEES) else arg for arg in SAMPLE_ARGS]
    result = cli("sweep", *args, *SWEEP, *more, "--out", str(out))
    assert result.exit_code == 0, result.output
    return result


def test_an_xlsx_or_mapped_roster_sweeps_as_the_sample_csv(cli: Cli, tmp_path: Path) -> None:
    """The sample roster as an .xlsx sheet (--sheet), and as an HRIS export with its own
    headers and rating codes (--columns, as CSV and as .xlsx), give the sweep of the CSV roster
    byte for byte; the manifest names the sheet and the mapping file."""
    mapping = mapping_file(tmp_path)
    plain = _sweep(cli, tmp_path / "csv", EMPLOYEES)
    xlsx = xlsx_copy(EMPLOYEES, tmp_path / "employees.xlsx", title="Roster 2026")
    coded = {"rating": {label: code for label, code in CODES.items()}}
    hris_xlsx = xlsx_copy(EMPLOYEES, tmp_path / "hris.xlsx", rename=HRIS, codes=coded)
    others = {
        "xlsx": _sweep(cli, tmp_path / "xlsx", xlsx, "--sheet", "Roster 2026"),
        "mapped-csv": _sweep(cli, tmp_path / "mapped-csv", hris_csv(tmp_path), "--columns",
                             str(mapping)),
        "mapped-xlsx": _sweep(cli, tmp_path / "mapped-xlsx", hris_xlsx, "--columns",
                              str(mapping)),
    }  # fmt: skip
    for name, result in others.items():
        assert result.stdout == plain.stdout.replace(str(tmp_path / "csv"), str(tmp_path / name))
        for file in ("sweep.csv", "stats.csv", "summary.md", "rulebook.json"):
            expected = (tmp_path / "csv" / file).read_bytes()
            assert (tmp_path / name / file).read_bytes() == expected, (name, file)
    inputs = json.loads((tmp_path / "xlsx" / "manifest.json").read_text())["inputs"]
    assert inputs["employees"]["sheet"] == "Roster 2026"
    inputs = json.loads((tmp_path / "mapped-csv" / "manifest.json").read_text())["inputs"]
    assert inputs["columns"]["path"] == str(mapping)


def _options(help_text: str) -> dict[str, str]:
    """Each option of a --help text, by its first name, with its help without white space
    (the commands' help columns differ in width, so their lines wrap at other words)."""
    found: dict[str, str] = {}
    name = ""
    for line in help_text.split("Options:", 1)[1].splitlines():
        start = re.match(r"\s{2}(-\S+)", line)
        if start:
            name = start.group(1).rstrip(",")
            found[name] = line.strip()
        elif name:
            found[name] += " " + line.strip()
    return {key: "".join(text.split()) for key, text in found.items()}


def test_sweep_help_lists_the_input_options_of_run(cli: Cli) -> None:
    """Every option of `run` naming an input or the output folder is in `sweep --help`, said
    the same way (one definition: they cannot drift apart)."""
    run = _options(cli("run", "--help").stdout)
    sweep = _options(cli("sweep", "--help").stdout)
    for name in ("--rules", "--employees", "--goals", "--results", "--rates", "--ratings",
                 "--history", "--as-of", "--out", "--force", "--sheet", "--columns"):  # fmt: skip
        assert sweep.get(name) == run[name], name
    for name in ("--draws", "--grid", "--spec", "--seed", "--budget", "--workers", "--scheduler"):
        assert name in sweep, name
