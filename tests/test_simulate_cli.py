"""`incentives simulate` (issue 10 §2) from the command line: each scenario's totals are those
`run --scenario` writes in its manifest for the same scenario file (and --set on top), stdout
is summary.md, and a bad scenario, --set or --by is a usage error (exit 2) before anything
runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import EMPLOYEES, FIXTURES, HISTORY, RATES, RATINGS, RULES, CliRun

SCENARIOS = FIXTURES / "scenarios"
STRONGER = SCENARIOS / "sales_stronger.yaml"  # overrides and input changes for Sales
REVENUE = SCENARIOS / "revenue_pays_120.yaml"  # overrides only
INPUTS = ("--rules", RULES, "--employees", EMPLOYEES, "--rates", RATES, "--ratings", RATINGS,
          "--history", HISTORY)  # fmt: skip


def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data


def _simulate(cli: Callable[..., CliRun], out: Path, *extra: str | Path) -> CliRun:
    return cli("simulate", *INPUTS, "--out", out, *extra)


@pytest.mark.parametrize("sets", [(), ("--set", "max_multiple=150%")], ids=["files", "set"])
def test_each_scenarios_totals_equal_the_manifest_totals_of_run_with_that_scenario(
    cli: Callable[..., CliRun], tmp_path: Path, sets: tuple[str, ...]
) -> None:
    """Per currency, component and pay code, to the cent: the simulation's totals of each
    scenario (with a --set applied on top of every scenario) are the totals `run --scenario`
    (with that --set) records for it, and the baseline's are a plain run's."""
    sim = _simulate(cli, tmp_path / "sim", "--scenario", STRONGER, "--scenario", REVENUE, *sets)
    assert sim.exit_code == 0, sim.output
    found = {s["name"]: s for s in _manifest(tmp_path / "sim")["scenarios"]}
    assert list(found) == ["sales_stronger", "revenue_pays_120"]
    for path in (STRONGER, REVENUE):
        out = tmp_path / path.stem
        ran = cli("run", *INPUTS, "--out", out, "--scenario", path, *sets)
        assert ran.exit_code == 0, ran.output
        assert found[path.stem]["totals"] == _manifest(out)["totals"], path.stem
        assert found[path.stem]["counts"]["computed"] == _manifest(out)["counts"]["computed"]
    plain = cli("run", *INPUTS, "--out", tmp_path / "plain")
    assert _manifest(tmp_path / "sim")["totals"] == _manifest(tmp_path / "plain")["totals"]
    assert plain.exit_code == 0
    assert found["sales_stronger"]["totals"] != found["revenue_pays_120"]["totals"]


def test_stdout_is_the_summary_and_the_folder_holds_every_file(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """What a compensation lead pastes into an email is on stdout, exactly summary.md; the
    manifest lists each scenario's file with its SHA-256, and --set titles every scenario."""
    out = tmp_path / "sim"
    sim = _simulate(cli, out, "--scenario", REVENUE, "--set", "max_multiple=150%",
                    "--by", "unit", "--report-currency", "USD")  # fmt: skip
    assert sim.exit_code == 0, sim.output
    assert sim.stdout == (out / "summary.md").read_text(encoding="utf-8")
    assert "- revenue_pays_120 (Revenue growth pays 120 %; --set max_multiple=150%) changes" in (
        sim.stdout
    )
    assert "USD" in sim.stdout
    for name in ("scenarios.csv", "distribution.csv", "changes.csv", "manifest.json"):
        assert (out / name).is_file(), name
    (scenario,) = _manifest(out)["scenarios"]
    layers = {layer["layer"]: layer for layer in scenario["layers"]}
    assert layers["scenario revenue_pays_120"]["file"] == str(REVENUE)
    assert len(layers["scenario revenue_pays_120"]["sha256"]) == 64
    assert layers["--set"]["overrides"][0]["path"] == "max_multiple"
    again = _simulate(cli, out, "--scenario", REVENUE)
    assert again.exit_code == 1 and "--force" in again.stderr  # an earlier folder is kept


def test_set_alone_is_a_scenario_named_set(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    """Without a scenario file, the --set overrides are the one scenario, as `run --set` is."""
    sim = _simulate(cli, tmp_path / "sim", "--set", "max_multiple=150%")
    assert sim.exit_code == 0, sim.output
    assert "- set (--set max_multiple=150%) changes" in sim.stdout
    run = cli("run", *INPUTS, "--out", tmp_path / "run", "--set", "max_multiple=150%")
    assert run.exit_code == 0
    (scenario,) = _manifest(tmp_path / "sim")["scenarios"]
    assert scenario["totals"] == _manifest(tmp_path / "run")["totals"]


BAD = [
    (("--scenario", str(SCENARIOS / "sales_stronger.yml")), "does not exist"),
    (("--set", "max_multple=150%"), "did you mean 'max_multiple'"),
    (("--scenario", str(REVENUE), "--set", "target_pct[levl=4]=12%"), "did you mean 'level'"),
    (("--scenario", str(REVENUE), "--by", "unti"), "did you mean 'unit'"),
    (("--scenario", str(REVENUE), "--scenario", str(REVENUE)), "two scenarios are named so"),
    ((), "give a --scenario file or a --set"),
]


@pytest.mark.parametrize(("extra", "words"), BAD, ids=[w for _, w in BAD])
def test_a_bad_scenario_set_or_option_is_a_usage_error_before_anything_runs(
    cli: Callable[..., CliRun], tmp_path: Path, extra: tuple[str, ...], words: str
) -> None:
    out = tmp_path / "sim"
    sim = _simulate(cli, out, *extra)
    assert sim.exit_code == 2, sim.output
    assert words in sim.stderr
    assert "Traceback" not in sim.output
    assert not out.exists()


def test_a_scenario_file_with_a_bad_override_lists_it_with_its_line(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: bad\noverrides:\n  max_multple: 150%\n", encoding="utf-8")
    sim = _simulate(cli, tmp_path / "sim", "--scenario", REVENUE, "--scenario", bad)
    assert sim.exit_code == 2, sim.output
    assert f"{bad}:3" in sim.stderr and "did you mean 'max_multiple'" in sim.stderr
    assert not (tmp_path / "sim").exists()


def test_the_roster_from_a_workbook_sheet_simulates_as_its_csv(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """simulate takes run's input options (--sheet here): an .xlsx copy of the roster gives
    the same scenarios.csv, changes.csv and summary; the manifest names the sheet."""
    from test_excel_inputs import xlsx_copy

    xlsx = xlsx_copy(EMPLOYEES, tmp_path / "employees.xlsx")
    args = [xlsx if arg == EMPLOYEES else arg for arg in INPUTS]
    a = _simulate(cli, tmp_path / "a", "--scenario", STRONGER)
    b = cli("simulate", *args, "--sheet", "Roster", "--scenario", STRONGER, "--out", tmp_path / "b")
    assert a.exit_code == b.exit_code == 0, b.output
    for name in ("scenarios.csv", "changes.csv", "distribution.csv", "summary.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert _manifest(tmp_path / "b")["inputs"]["employees"]["sheet"] == "Roster"
