"""Corrections: ``payroll --since PREVIOUS_EXPORT`` writes only the lines that move what payroll
received to what the corrected run pays: one delta line, or a reversal and the new line, as
the layout declares; negative lines as the layout's rule says (allowed, a recovery code, or
withheld and reported). A corrected run exported again since the correction pays nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import SAMPLE_ARGS, CliRun
from incentives.errors import OptionsError
from incentives.payroll import control_path, export
from payroll_helpers import edited_roster, line_sums, read_lines

CHANGED = "00002"  # Blake Chen, Engineering (a pool that is not scaled): Exceeds → Meets


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample run, and the run of the sample with one rating lowered."""
    from conftest import invoke

    folder = tmp_path_factory.mktemp("corrections")
    first = folder / "first"
    assert invoke("run", *SAMPLE_ARGS, "--out", first).exit_code == 0
    args = list(SAMPLE_ARGS)
    roster = edited_roster(folder / "roster.csv", {(CHANGED, "rating"): "Meets"})
    args[args.index("--employees") + 1] = str(roster)
    second = folder / "second"
    assert invoke("run", *args, "--out", second).exit_code == 0
    return first, second


def _pay(run: Path) -> dict[tuple[str, str, str], Decimal]:
    """Every non-zero eligible pay amount of a run by (employee, pay code, currency) (a count
    of shares, the PSUs, is no payroll line)."""
    rulebook = json.loads((run / "rulebook.json").read_text(encoding="utf-8"))
    codes = {
        p["id"]: [(c["name"], c["pay_code"]) for c in p["pay"] if not c.get("unit")]
        + [(s["name"], s["pay_code"]) for c in p["pay"] for s in c["split"]]
        for p in rulebook["policies"]
    }
    found = {}
    with (run / "results.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for name, code in codes[row["policy"]]:
                if row["eligible"] == "true" and Decimal(row[name]):
                    found[(row["employee_id"], code, row["currency"])] = Decimal(row[name])
    return found


def _totals(run: Path) -> dict[tuple[str, str], Decimal]:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    return {(t["pay_code"], t["currency"]): Decimal(t["amount"]) for t in manifest["totals"]}


def test_one_rating_changed_gives_only_offsetting_lines(
    runs: tuple[Path, Path], tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """The correction holds lines only for what changed (the one employee's bonus and merit),
    and they sum, per pay code and currency, to the change of the run's totals."""
    first, second = runs
    cli("payroll", "--run", first, "--layout", "generic", "--out", tmp_path / "g1.csv")
    result = cli(
        "payroll", "--run", second, "--layout", "generic",
        "--since", tmp_path / "g1.csv", "--out", tmp_path / "g2.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "corrects batch" in result.stdout and "reconciles to the cent: yes" in result.stdout
    lines = read_lines(tmp_path / "g2.csv")
    before, after = _pay(first), _pay(second)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed and {k[0] for k in changed} == {CHANGED}
    assert {(r["employee_id"], r["pay_code"], r["currency"]) for r in lines} == changed
    old, new = _totals(first), _totals(second)
    delta = {k: new[k] - old[k] for k in new if new[k] != old[k]}
    assert line_sums(lines) == delta
    assert all(Decimal(r["amount"]) < 0 for r in lines)  # a lower rating pays back


def test_a_corrected_run_never_pays_twice(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """Exported since the correction, the corrected run has nothing left to pay: no file;
    the first export plus the correction hold exactly what the corrected run pays."""
    first, second = runs
    export(first, "generic", tmp_path / "g1.csv")
    export(second, "generic", tmp_path / "g2.csv", since=tmp_path / "g1.csv")
    again = export(second, "generic", tmp_path / "g3.csv", since=tmp_path / "g2.csv")
    assert again.files == {} and again.control is None
    assert not (tmp_path / "g3.csv").exists()
    assert again.report().startswith(f"nothing changed since batch {again.since}: no file")
    held: dict[tuple[str, str, str], Decimal] = {}
    for name in ("g1.csv", "g2.csv"):
        for r in read_lines(tmp_path / name):
            key = (r["employee_id"], r["pay_code"], r["currency"])
            held[key] = held.get(key, Decimal(0)) + Decimal(r["amount"])
    assert {k: v for k, v in held.items() if v} == _pay(second)


def test_reversal_and_new_line_with_a_recovery_code(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    """The earnings batch declares reversals and a recovery code: each changed line is sent
    back under RECOV (a positive deduction) and sent again at its new amount."""
    first, second = runs
    export(first, "earnings_batch", tmp_path / "b1.csv")
    export(second, "earnings_batch", tmp_path / "b2.csv", since=tmp_path / "b1.csv")
    assert sorted(p.name for p in tmp_path.glob("b2*.csv")) == ["b2-US.csv"]
    rows = read_lines(tmp_path / "b2-US.csv")
    before, after = _pay(first), _pay(second)
    aip_before = before[(CHANGED, "AIP", "USD")]
    aip_after = after[(CHANGED, "AIP", "USD")]
    assert [(r["Earnings Code"], Decimal(r["Earnings Amount"])) for r in rows] == [
        ("RECOV", aip_before),
        ("AIP", aip_after),
    ]
    control = json.loads(control_path(tmp_path / "b2.csv").read_text(encoding="utf-8"))
    assert {(t["pay_code"], t["amount"]) for t in control["totals"]} == {
        ("RECOV", f"{aip_before}"),
        ("AIP", f"{aip_after}"),
    }


def test_negative_lines_refused_are_withheld_and_reported(
    runs: tuple[Path, Path], tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """The one-time payment load refuses negative amounts: the pay-back is not written, the
    report and the control file list it, and payroll's ledger keeps the amount it holds."""
    first, second = runs
    export(first, "one_time_payment", tmp_path / "o1.csv")
    result = cli(
        "payroll", "--run", second, "--layout", "one_time_payment",
        "--since", tmp_path / "o1.csv", "--out", tmp_path / "o2.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"withheld (negative, recover by hand): {CHANGED} annual-bonus-2026 AIP USD -" in (
        result.stdout
    )
    assert read_lines(tmp_path / "o2.csv", encoding="utf-8-sig") == []
    control = json.loads(control_path(tmp_path / "o2.csv").read_text(encoding="utf-8"))
    (withheld,) = control["withheld"]
    before = _pay(first)[(CHANGED, "AIP", "USD")]
    assert Decimal(withheld["amount"]) == _pay(second)[(CHANGED, "AIP", "USD")] - before
    (kept,) = (r for r in control["ledger"] if r["employee_id"] == CHANGED)
    assert Decimal(kept["amount"]) == before


def test_since_takes_the_same_layout_and_an_untouched_export(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    """A correction goes out in the layout payroll received, and compares with the file as
    exported: another layout, or an export edited since, is refused with a message."""
    first, second = runs
    export(first, "generic", tmp_path / "g1.csv")
    with pytest.raises(OptionsError, match="written in another layout"):
        export(second, "one_time_payment", tmp_path / "x.csv", since=tmp_path / "g1.csv")
    with (tmp_path / "g1.csv").open("a", encoding="utf-8") as f:
        f.write("00099,AIP,1.00,USD,2027-03-15,annual-bonus-2026,x\n")
    with pytest.raises(OptionsError, match="differs from what its control file records"):
        export(second, "generic", tmp_path / "g2.csv", since=tmp_path / "g1.csv")


def _rerun(folder: Path, changes: dict[tuple[str, str], str], name: str) -> Path:
    from conftest import invoke

    args = list(SAMPLE_ARGS)
    args[args.index("--employees") + 1] = str(edited_roster(folder / f"{name}.csv", changes))
    run = invoke("run", *args, "--out", folder / name)
    assert run.exit_code in (0, 3), run.output
    return folder / name


def test_an_employee_no_longer_paid_is_reversed(runs: tuple[Path, Path], tmp_path: Path) -> None:
    """00002 leaves before the period: every line payroll received for them is reversed
    (under the recovery code, positive), and nothing else moves."""
    first, _ = runs
    gone = _rerun(tmp_path, {(CHANGED, "termination_date"): "2025-06-30"}, "gone")
    export(first, "earnings_batch", tmp_path / "b1.csv")
    export(gone, "earnings_batch", tmp_path / "b2.csv", since=tmp_path / "b1.csv")
    rows = read_lines(tmp_path / "b2-US.csv")
    paid = {k: v for k, v in _pay(first).items() if k[0] == CHANGED and k[1] != "MERIT"}
    assert [(r["File #"], r["Earnings Code"], Decimal(r["Earnings Amount"])) for r in rows] == [
        (CHANGED, "RECOV", amount) for amount in paid.values()
    ]


def test_a_rejected_employee_keeps_what_payroll_holds(
    runs: tuple[Path, Path], tmp_path: Path
) -> None:
    """With --allow-rejected, a correction leaves alone what payroll holds for an employee
    the corrected run rejected (their pay is unknown, not zero): no reversal, and the
    reconciliation accounts for it."""
    first, _ = runs
    broken = _rerun(tmp_path, {(CHANGED, "base_salary"): "12O,000"}, "broken")
    export(first, "generic", tmp_path / "g1.csv")
    result = export(
        broken, "generic", tmp_path / "g2.csv", since=tmp_path / "g1.csv", allow_rejected=True
    )
    assert result.files == {}  # the others' pay did not move: nothing to correct
    assert "held for employees the run rejected, not reversed: AIP USD 4,521.65" in result.report()
    assert f"left out (rejected by the run): {CHANGED}:" in result.report()
