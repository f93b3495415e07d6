"""`incentives payroll`: a run's payable lines in a layout, with control totals.

Golden files (tests/golden/payroll/<layout>/) hold each shipped layout's export of the bundled
sample: if a deliberate change moves them, regenerate with
``PAYROLL_GOLDEN=write pytest tests/test_payroll.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import SAMPLE_ARGS, CliRun
from incentives.errors import OptionsError
from incentives.payroll import LayoutError, PayrollRefused, control_path, export, load_layout
from payroll_helpers import edited_manifest, edited_roster, line_sums, read_lines

GOLDEN = Path(__file__).parent / "golden" / "payroll"
SHIPPED = ("generic", "earnings_batch", "one_time_payment", "compensation_change")


def _control(path: Path) -> dict[str, object]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("layout", SHIPPED)
def test_each_shipped_layout_matches_its_golden_files(
    layout: str, sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """Each shipped layout's export of the sample is byte for byte its golden file(s), and
    the command prints a reconciliation that balances to the cent."""
    out = tmp_path / f"{layout}.csv"
    result = cli("payroll", "--run", sample_run.out, "--layout", layout, "--out", out)
    assert result.exit_code == 0, result.output
    assert "reconciles to the cent: yes" in result.stdout
    written = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".control.json"))
    if os.environ.get("PAYROLL_GOLDEN") == "write":
        (GOLDEN / layout).mkdir(parents=True, exist_ok=True)
        for name in written:
            (GOLDEN / layout / name).write_bytes((tmp_path / name).read_bytes())
    assert written == sorted(p.name for p in (GOLDEN / layout).iterdir())
    for name in written:
        assert (tmp_path / name).read_bytes() == (GOLDEN / layout / name).read_bytes(), name


def test_the_generic_export_carries_every_payable_line(sample_run: CliRun, tmp_path: Path) -> None:
    """Only eligible, non-zero lines are written, and per pay code and currency they sum to
    the manifest's totals (the sample: 0.00 AIPX EUR and LUMP GBP have no line at all)."""
    assert sample_run.out is not None
    export(sample_run.out, "generic", tmp_path / "g.csv")
    rows = read_lines(tmp_path / "g.csv")
    assert all(Decimal(r["amount"]) > 0 for r in rows)
    manifest = json.loads((sample_run.out / "manifest.json").read_text(encoding="utf-8"))
    totals = {(t["pay_code"], t["currency"]): Decimal(t["amount"]) for t in manifest["totals"]}
    assert line_sums(rows) == {k: v for k, v in totals.items() if v}
    # 00004's bonus is split: the part above 150 % of target goes out under AIPX
    assert [(r["pay_code"], r["amount"]) for r in rows if r["employee_id"] == "00004"][:2] == [
        ("AIP", "12300.00"),
        ("AIPX", "2067.09"),
    ]


def test_the_same_run_and_layout_give_the_same_bytes(sample_run: CliRun, tmp_path: Path) -> None:
    """The batch id comes from the run's and the layout's hashes, never the clock: two
    exports of one run are byte-identical, control file included (the run path aside)."""
    assert sample_run.out is not None
    one = export(sample_run.out, "one_time_payment", tmp_path / "a" / "p.csv")
    two = export(sample_run.out, "one_time_payment", tmp_path / "b" / "p.csv")
    assert one.batch_id == two.batch_id
    assert (tmp_path / "a/p.csv").read_bytes() == (tmp_path / "b/p.csv").read_bytes()
    assert _control(tmp_path / "a/p.control.json") == _control(tmp_path / "b/p.control.json")
    other = export(sample_run.out, "generic", tmp_path / "c" / "p.csv")
    assert other.batch_id != one.batch_id  # another layout, another batch


def test_the_control_file_records_what_was_exported(sample_run: CliRun, tmp_path: Path) -> None:
    """The control file holds the run's manifest hash, the layout's hash, the batch id, each
    file with its hash and record count, and per pay code and currency records and amount."""
    assert sample_run.out is not None
    result = export(sample_run.out, "earnings_batch", tmp_path / "batch.csv")
    control = _control(control_path(tmp_path / "batch.csv"))
    assert control["batch_id"] == result.batch_id and len(result.batch_id) == 8
    assert control["layout"]["sha256"] == load_layout("earnings_batch").sha256  # type: ignore[index]
    files = control["files"]
    assert [f["file"] for f in files] == ["batch-DE.csv", "batch-GB.csv", "batch-US.csv"]  # type: ignore[union-attr]
    by_code = {(t["pay_code"], t["currency"]): t for t in control["totals"]}  # type: ignore[union-attr]
    assert by_code[("AIP", "GBP")] == {
        "pay_code": "AIP",
        "currency": "GBP",
        "records": 3,
        "amount": "74431.68",
    }


def test_a_run_with_rejected_rows_is_refused_unless_allowed(
    tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """Rejected rows would go unpaid: exit 2 with a message, no file; with --allow-rejected
    the export goes ahead and the report lists who was left out and why."""
    args = list(SAMPLE_ARGS)
    args[args.index("--employees") + 1] = str(
        edited_roster(tmp_path / "roster.csv", {("00007", "base_salary"): "12O,000"})
    )
    run = cli("run", *args, "--out", tmp_path / "run")
    assert run.exit_code == 3, run.output
    out = tmp_path / "pay.csv"
    refused = cli("payroll", "--run", tmp_path / "run", "--layout", "generic", "--out", out)
    assert refused.exit_code == 2
    assert "rejected 1 row(s)" in refused.stderr and "--allow-rejected" in refused.stderr
    assert not out.exists() and not control_path(out).exists()
    allowed = cli(
        "payroll",
        "--run",
        tmp_path / "run",
        "--layout",
        "generic",
        "--out",
        out,
        "--allow-rejected",
    )
    assert allowed.exit_code == 0, allowed.output
    assert "left out (rejected by the run): 00007:" in allowed.stdout
    assert _control(control_path(out))["left_out"][0]["employee_id"] == "00007"  # type: ignore[index]
    assert "00007" not in {r["employee_id"] for r in read_lines(out)}


def test_a_what_if_run_is_refused_unless_allowed(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """A run whose manifest says it is a what-if is not the real cycle: exit 2; with
    --allow-what-if every override is listed in the control report and the control file."""
    assert sample_run.out is not None
    layers = [
        {"layer": "policy files", "path": "rules"},
        {
            "layer": "--set",
            "overrides": [
                {
                    "policy": "annual-bonus-2026",
                    "path": "parameters.max_multiple",
                    "name": "max_multiple",
                    "value": "3",
                    "policy_says": "2",
                }
            ],
        },
    ]

    def what_if(data: dict[str, object]) -> None:
        data.update(what_if=True, layers=layers)

    run = edited_manifest(sample_run.out, tmp_path / "whatif", what_if)
    out = tmp_path / "pay.csv"
    refused = cli("payroll", "--run", run, "--layout", "generic", "--out", out)
    assert refused.exit_code == 2
    assert "what-if" in refused.stderr and "--allow-what-if" in refused.stderr
    assert not out.exists()
    allowed = cli("payroll", "--run", run, "--layout", "generic", "--out", out, "--allow-what-if")
    assert allowed.exit_code == 0, allowed.output
    line = "annual-bonus-2026: parameters.max_multiple = 3 (set by --set; policy says 2)"
    assert f"what-if override: {line}" in allowed.stdout.splitlines()
    assert line in _control(control_path(out))["overrides"]  # type: ignore[operator]


def test_an_export_that_does_not_reconcile_is_an_error_and_no_file(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """results.csv no longer summing to the manifest's totals (a hand edit) stops the export
    before any file is written."""
    assert sample_run.out is not None

    def cent_off(data: dict[str, object]) -> None:
        data["totals"][0]["amount"] = "126175.35"  # type: ignore[index]

    run = edited_manifest(sample_run.out, tmp_path / "run", cent_off)
    with pytest.raises(
        OptionsError, match=r"AIP EUR sums to 126175\.34 but the manifest records 126175\.35"
    ):
        export(run, "generic", tmp_path / "pay.csv")
    assert not (tmp_path / "pay.csv").exists()


def test_a_character_the_encoding_cannot_hold_is_an_error(
    tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """A name with 'ł' in a latin-1 layout: an error naming employee, column, character and
    encoding, never a '?' in the file."""
    roster = edited_roster(tmp_path / "roster.csv", {("00002", "name"): "Błażej Chen"})
    args = list(SAMPLE_ARGS)
    args[args.index("--employees") + 1] = str(roster)
    assert cli("run", *args, "--out", tmp_path / "run").exit_code == 0
    layout = tmp_path / "latin.yaml"
    layout.write_text(
        "name: latin\nencoding: latin-1\ncolumns:\n"
        "  - {name: id, from: employee_id}\n  - {name: name, from: roster.name}\n"
        "  - {name: amount, from: amount}\n  - {name: currency, from: currency}\n",
        encoding="utf-8",
    )
    out = tmp_path / "pay.csv"
    result = cli("payroll", "--run", tmp_path / "run", "--layout", layout, "--out", out)
    assert result.exit_code == 1
    assert "employee '00002'" in result.stderr and "column 'name'" in result.stderr
    assert "'ł' (U+0142), which latin-1 cannot write" in result.stderr
    assert f"{layout}:2" in result.stderr
    assert not out.exists()


def test_a_bom_and_crlf_as_the_layout_says(sample_run: CliRun, tmp_path: Path) -> None:
    """The one-time payment load: UTF-8 with a byte-order mark and CRLF line ends."""
    assert sample_run.out is not None
    export(sample_run.out, "one_time_payment", tmp_path / "p.csv")
    data = (tmp_path / "p.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfEmployee ID,")
    # header + 55 records + the 16 paid Q4 sales incentives
    assert data.count(b"\r\n") == data.count(b"\n") == 72


FIXED = """\
name: fixed
format: fixed_width
header: false
implied_decimals: true
sign: trailing
line_ending: crlf
date_format: "%Y%m%d"
columns:
  - {from: employee_id, width: 8}
  - {from: pay_code, width: 6}
  - {from: currency, width: 3}
  - {from: amount, width: 12, pad: "0"}
  - {from: payment_date, width: 8}
trailer:
  - {value: T, width: 1}
  - {from: pay_code, width: 13}
  - {from: currency, width: 3}
  - {from: count, width: 6, pad: "0"}
  - {from: amount, width: 12, pad: "0"}
"""


def test_fixed_width_with_implied_decimals_and_a_trailer(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """Fixed width: each field padded to its width, amounts in minor units without a point
    (2044.10 USD → 000000204410), a trailer per pay code and currency with count and amount."""
    assert sample_run.out is not None
    layout = tmp_path / "fixed.yaml"
    layout.write_text(FIXED, encoding="utf-8")
    export(sample_run.out, layout, tmp_path / "p.txt")
    lines = (tmp_path / "p.txt").read_bytes().decode("ascii").split("\r\n")
    assert lines[0] == "00001   AIP   USD00000020441020270315"
    assert all(len(line) == 37 for line in lines[:95])
    trailer = [line for line in lines if line.startswith("T")]
    assert "TAIP          GBP000003000007443168" in trailer
    # the pay codes and currencies with at least one line (SIP in EUR, GBP and USD among them)
    assert len(trailer) == 13


def test_a_fixed_width_value_too_long_is_an_error(sample_run: CliRun, tmp_path: Path) -> None:
    """A value longer than its field is never cut: an error naming the value and the width."""
    assert sample_run.out is not None
    layout = tmp_path / "fixed.yaml"
    layout.write_text(FIXED.replace("{from: employee_id, width: 8}", "{from: policy, width: 8}"))
    with pytest.raises(
        OptionsError, match=r"'annual-bonus-2026' is 17 characters, longer than the 8"
    ):
        export(sample_run.out, layout, tmp_path / "p.txt")


def test_layout_problems_are_all_reported_with_file_and_line(tmp_path: Path) -> None:
    """An unknown key (with a suggestion), an unknown source and an unknown encoding are
    reported together, each at its file:line."""
    layout = tmp_path / "bad.yaml"
    layout.write_text(
        "name: bad\nencodng: utf-8\ncolumns:\n  - {name: a, from: amout}\n", encoding="utf-8"
    )
    with pytest.raises(LayoutError) as caught:
        load_layout(layout)
    text = str(caught.value)
    assert f"{layout}:2: encodng: unknown key 'encodng' (did you mean 'encoding'?)" in text
    assert (
        f"{layout}:4: columns.0: unknown source 'amout'" in text and "did you mean 'amount'" in text
    )


def test_an_unknown_layout_name_suggests_the_shipped_one(
    sample_run: CliRun, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """``--layout generik``: a message with the shipped layouts and a did-you-mean; exit 2, a
    usage error as report's unknown --by."""
    result = cli("payroll", "--run", sample_run.out, "--layout", "generik", "--out", tmp_path / "p")
    assert result.exit_code == 2
    assert "did you mean 'generic'?" in result.stderr and "Traceback" not in result.output


def test_a_roster_field_the_run_lacks_is_named_before_anything_is_written(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """A layout reading roster.payroll_id, which neither the run nor the roster holds: an
    error naming the field, the layout line and how to supply it (--roster FILE)."""
    assert sample_run.out is not None
    layout = tmp_path / "ids.yaml"
    layout.write_text(
        "name: ids\ncolumns:\n  - {from: roster.payroll_id}\n  - {from: amount}\n  - {from: currency}\n"
    )
    with pytest.raises(
        OptionsError, match=rf"{layout}:3: roster field 'payroll_id'.*--roster FILE"
    ):
        export(sample_run.out, layout, tmp_path / "p.csv")
    roster = tmp_path / "payroll_ids.csv"
    roster.write_text("employee_id,payroll_id\n00001,P-1001\n", encoding="utf-8")
    export(sample_run.out, layout, tmp_path / "p.csv", roster=roster)
    assert (tmp_path / "p.csv").read_text().splitlines()[1] == "P-1001,2044.10,USD"


def test_refuses_to_write_into_the_run_folder_or_over_a_file(
    sample_run: CliRun, tmp_path: Path
) -> None:
    """The run folder stays as the run wrote it, and an existing file is replaced only with
    force."""
    assert sample_run.out is not None
    with pytest.raises(OptionsError, match="inside the run folder"):
        export(sample_run.out, "generic", sample_run.out / "pay.csv")
    export(sample_run.out, "generic", tmp_path / "p.csv")
    with pytest.raises(OptionsError, match="already exists"):
        export(sample_run.out, "generic", tmp_path / "p.csv")
    export(sample_run.out, "generic", tmp_path / "p.csv", force=True)


def test_refusals_are_payroll_refused(sample_run: CliRun, tmp_path: Path) -> None:
    """The library raises `PayrollRefused` (an `OptionsError`) for a what-if run."""
    assert sample_run.out is not None
    run = edited_manifest(sample_run.out, tmp_path / "r", lambda d: d.update(what_if=True))
    with pytest.raises(PayrollRefused):
        export(run, "generic", tmp_path / "p.csv")


def test_the_readme_and_docs_excerpts_are_real_output(
    sample_run: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line of the README's payroll output (and of docs/payroll.md's first one) is a
    line of the real report ("..." stands for lines left out)."""
    import re

    from conftest import ROOT

    assert sample_run.out is not None
    monkeypatch.chdir(tmp_path)
    report = export(sample_run.out, "one_time_payment", Path("payroll/bonus.csv")).report()
    real = report.splitlines()
    for doc in (ROOT / "README.md", ROOT / "docs" / "payroll.md"):
        text = doc.read_text(encoding="utf-8")
        block = re.findall(r"```\n(batch 858C5229591D\n.*?)```", text, flags=re.DOTALL)[0]
        for line in block.splitlines():
            assert line.strip() == "..." or line in real, (doc.name, line)


def test_payroll_reads_the_run_folder_without_its_steps(sample_run: CliRun) -> None:
    """``read_run_folder(..., steps=False)`` (what payroll reads) gives the same results and
    each employee's inputs, without reading a breakdown file's steps."""
    from incentives.audit.run_folder import read_run_folder

    assert sample_run.out is not None
    full = read_run_folder(sample_run.out)
    light = read_run_folder(sample_run.out, steps=False)
    assert light.results == full.results and light.manifest == full.manifest
    assert len(light.breakdown) == len(full.breakdown)
    for short, whole in zip(light.breakdown, full.breakdown, strict=True):
        assert short.items() <= whole.items()
        assert "bonus" not in short  # a step of the bonus policy
    assert {row.get("country") for row in light.breakdown} == {"US", "GB", "DE", None}


def test_shares_are_left_to_the_share_plan_and_the_cash_reconciles(
    tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """A deferral converted into shares (tests/policies/valid/share_conversion_declared.yaml):
    15 % of 100,000 = 15,000.00, 40 % deferred = 6,000.00 → 126 shares at 47.30 and 40.20 in
    cash; a 0 % deferral pays 15,000.00 in cash. The 126 shares are a count, not money: the
    export carries the cash lines only (AIP 9,000.00 + 15,000.00, DEFC 40.20), reconciles them,
    and says the share code was left out, instead of refusing the run."""
    rules = tmp_path / "rules"
    rules.mkdir()
    policy = Path(__file__).parent / "policies" / "valid" / "share_conversion_declared.yaml"
    (rules / policy.name).write_text(policy.read_text(encoding="utf-8"), encoding="utf-8")
    roster = tmp_path / "employees.csv"
    roster.write_text(
        "employee_id,currency,salary,target_pct,deferral_pct\n"
        "001,USD,100000,15%,\n002,USD,100000,15%,0%\n",
        encoding="utf-8",
    )
    run = tmp_path / "run"
    assert cli("run", "--rules", rules, "--employees", roster, "--out", run).exit_code == 0
    result = export(run, "generic", tmp_path / "pay.csv")
    assert line_sums(read_lines(tmp_path / "pay.csv")) == {
        ("AIP", "USD"): Decimal("24000.00"),
        ("DEFC", "USD"): Decimal("40.20"),
    }
    assert "DSU (shares)" in result.report()
    assert "reconciles to the cent: yes" in result.report()
