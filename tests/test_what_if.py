"""What-ifs without editing policies (docs/what-if.md): `--set PATH=VALUE` on every kind of
target gives the outputs of a copied rules folder with that one edit; a bad path or value is a
usage error (exit 2) with a did-you-mean, before anything runs; the manifest of a what-if says
so and lists its layers in precedence order; `explain` shows where an overridden value was used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import EMPLOYEES, FIXTURES, HISTORY, RATES, RATINGS, RULES, CliRun
from incentives.audit.explain import explain_employee
from incentives.errors import OverrideError
from incentives.jobs import RunRequest, run_job
from incentives.rulebook.rulebook import load_rules

RESULTS = FIXTURES / "results.csv"
INPUTS = ("--rates", RATES, "--ratings", RATINGS, "--history", HISTORY)
BONUS_FILE = "annual_bonus.yaml"
MERIT_FILE = "merit.yaml"


def run_sample(
    cli: Callable[..., CliRun],
    out: Path,
    *extra: str | Path,
    rules: Path = RULES,
    employees: Path = EMPLOYEES,
) -> CliRun:
    """``incentives run`` on the sample cycle (rates, ratings, history) into ``out``."""
    return cli("run", "--rules", rules, "--employees", employees, *INPUTS, "--out", out, *extra)


def sample_request(out: Path, **what_if: object) -> RunRequest:
    """The sample cycle (rates, ratings, history) as a `RunRequest` into ``out``."""
    return RunRequest(
        rules=RULES,
        employees=EMPLOYEES,
        out=out,
        rates=RATES,
        ratings=RATINGS,
        history=HISTORY,
        **what_if,  # type: ignore[arg-type]
    )


# (--set, policy file, text in it, the same edit made in a copy of the file)
KINDS = [
    ("max_multiple=150%", BONUS_FILE, "max_multiple: 2 ", "max_multiple: 150% "),
    ("revenue_growth.actual=7.5%", BONUS_FILE, "    actual: 6.2%", "    actual: 7.5%"),
    (
        "revenue_growth.payout=90%",
        BONUS_FILE,
        "    payout: [50%, 100%, 200%]\n  # Operating",
        '    payout: [50%, 100%, 200%]\n    override: {payout: 90%, reason: "what-if: set by --set"}\n  # Operating',
    ),
    (
        "revenue_growth.payout=[50%, 100%, 250%]",
        BONUS_FILE,
        "    payout: [50%, 100%, 200%]",
        "    payout: [50%, 100%, 250%]",
    ),
    (
        "operating_margin.actual[unit=Sales]=12.5%",
        BONUS_FILE,
        "maximum: 14%, actual: 11%}",
        "maximum: 14%, actual: 12.5%}",
    ),
    (
        "annual-bonus-2026:target_pct[level=4]=12%",
        BONUS_FILE,
        "values: [5%, 6%, 8%, 10%, 15%",
        "values: [5%, 6%, 8%, 12%, 15%",
    ),
    (
        "rating_multiplier[rating=Exceeds]=130%",
        BONUS_FILE,
        "values: [0%, 50%, 100%, 120%, 150%]",
        "values: [0%, 50%, 100%, 130%, 150%]",
    ),
    (
        "merit_matrix[rating=3,compa_ratio=0.90].target=3%",
        MERIT_FILE,
        "{min: 2%, target: 2.5%, max: 3%}",
        "{min: 2%, target: 3%, max: 3%}",
    ),
    (
        "salary_range[grade=G3,country=US].max=140000",
        MERIT_FILE,
        "{min: 90000, midpoint: 112500, max: 135000}",
        "{min: 90000, midpoint: 112500, max: 140000}",
    ),
    ("goal_payout.points[2]=[105%, 110%]", BONUS_FILE, "- [105%, 100%]", "- [105%, 110%]"),
    ("department_pool.cap_share=35%", BONUS_FILE, "cap_share: 40%", "cap_share: 35%"),
    (
        "department_pool.funding=unit_target_total_usd * company_factor * 1.2",
        BONUS_FILE,
        'funding: "unit_target_total_usd * company_factor * pool_multiplier(unit)"',
        "funding: unit_target_total_usd * company_factor * 1.2",
    ),
    (
        "department_pool.funding[unit=Sales]=400000",
        BONUS_FILE,
        'funding: "unit_target_total_usd * company_factor * pool_multiplier(unit)"',
        "funding: \"(400000) if unit == 'Sales' else (unit_target_total_usd * company_factor"
        ' * pool_multiplier(unit))"',
    ),
    ("merit_budget.percent=4%", MERIT_FILE, "percent: 3.5%", "percent: 4%"),
    (
        "international_fund.amount[unit=Sales]=20000",
        MERIT_FILE,
        "amount: {Sales: 18000,",
        "amount: {Sales: 20000,",
    ),
]


def _outputs(out: Path) -> dict[str, str]:
    """Every file of a run folder but the records naming the rules folder (rulebook.json,
    manifest.json)."""
    return {
        str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.csv"))
    }


def _copy_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    rules = tmp_path / "edited-rules"
    rules.mkdir()
    for policy in RULES.glob("*.yaml"):
        text = policy.read_text(encoding="utf-8")
        if policy.name == file:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        (rules / policy.name).write_text(text, encoding="utf-8")
    return rules


@pytest.mark.parametrize(("setting", "file", "old", "new"), KINDS, ids=[k[0] for k in KINDS])
def test_set_gives_the_outputs_of_a_copied_rules_folder_with_that_edit(
    cli: Callable[..., CliRun],
    sample_run: CliRun,
    tmp_path: Path,
    setting: str,
    file: str,
    old: str,
    new: str,
) -> None:
    """Each kind of target (parameter, result figure, fixed payout, payout curve, keyed actual,
    1-D and 2-D table cells by key, a named value of a cell, a curve point, a pool's cap share
    and funding, a budget's percent and per-group amount): the same results, breakdowns,
    pools and budgets as editing a copy of the policy file. (The run without the edit is the
    session's `sample_run`: the same command, run once.)"""
    edited = _copy_with(tmp_path, file, old, new)
    a = run_sample(cli, tmp_path / "a", "--set", setting)
    b = run_sample(cli, tmp_path / "b", rules=edited)
    assert a.exit_code == b.exit_code == 0, a.output + b.output
    assert sample_run.out is not None
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b")
    assert _outputs(tmp_path / "a") != _outputs(sample_run.out), "the edit changes something"
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["what_if"] is True
    assert [layer["layer"] for layer in manifest["layers"]] == ["policy files", "--set"]
    assert "what_if" not in json.loads((tmp_path / "b" / "manifest.json").read_text())


BAD = [
    ("max_multipel=150%", "did you mean 'max_multiple'"),
    ("annual-bonus:max_multiple=150%", "did you mean 'annual-bonus-2026'"),
    ("target_pct[levl=4]=12%", "did you mean 'level'"),
    ("operating_margin.actual[unit=Sails]=12%", "did you mean 'Sales'"),
    ("revenue_growth.actaul=7%", "did you mean 'actual'"),
    ("department_pool.cap_shar=35%", "did you mean 'cap_share'"),
    ("merit_budget.percnt=4%", "did you mean 'percent'"),
    ("goal_payout.pionts[2]=[1, 1]", "goal_payout.points[0..3]"),
    ("goal_payout.points[9]=[1, 1]", "numbered 0 to 3"),
    ("goal_payout.points[2]=110%", "[x, y]"),
    ("max_multiple=NO", "'NO' is not a number"),
    ("target_pct[level=4]=high", "'high' is not a number"),
    ("max_multiple", "write PATH=VALUE"),
    ("bonus=100", "a step of policy 'annual-bonus-2026'"),
    ("goal_payout.points[2]=[200%, 100%]", "strictly increasing"),
]


@pytest.mark.parametrize(("setting", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_target_or_value_is_a_usage_error_before_anything_runs(
    cli: Callable[..., CliRun], tmp_path: Path, setting: str, words: str
) -> None:
    """Exit 2, the message names the override and what was meant, and nothing is written."""
    out = tmp_path / "out"
    result = cli("run", "--rules", RULES, "--employees", EMPLOYEES, "--out", out, "--set", setting)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    checked = cli("check", "--rules", RULES, "--set", setting)
    assert checked.exit_code == 2
    assert words in checked.stderr


def test_set_beats_a_scenario_which_beats_the_results_file(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """Precedence: policy file (6.2%) < --results (0.062) < scenario (7%) < --set (7.5%); the
    manifest lists the layers in that order, with the scenario file's sha256."""
    scenario = tmp_path / "growth.yaml"
    scenario.write_text(
        "title: Strong growth\noverrides:\n  revenue_growth.actual: 7%\n  max_multiple: 3\n"
    )
    result = run_sample(
        cli,
        tmp_path / "out",
        "--results",
        RESULTS,
        "--scenario",
        scenario,
        "--set",
        "revenue_growth.actual=7.5%",
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    actual = manifest["plan_values"]["annual-bonus-2026"]["results"]["revenue_growth"]["*"]
    assert actual["actual"] == "0.075"
    layers = manifest["layers"]
    assert [layer["layer"] for layer in layers] == [
        "policy files",
        "--results",
        "scenario growth",
        "--set",
    ]
    import hashlib

    assert layers[2]["sha256"] == hashlib.sha256(scenario.read_bytes()).hexdigest()
    assert layers[2]["title"] == "Strong growth"
    assert {o["path"]: o["value"] for o in layers[2]["overrides"]} == {
        "revenue_growth.actual": "7%",
        "max_multiple": "3",
    }
    assert layers[3]["overrides"][0]["policy_says"] == "6.2%"
    without_set = run_sample(cli, tmp_path / "o2", "--results", RESULTS, "--scenario", scenario)
    assert without_set.exit_code == 0
    manifest = json.loads((tmp_path / "o2" / "manifest.json").read_text())
    actual = manifest["plan_values"]["annual-bonus-2026"]["results"]["revenue_growth"]["*"]
    assert actual["actual"] == "0.07"  # the scenario beats --results' 0.062


def test_explain_shows_where_an_overridden_value_was_used(
    cli: Callable[..., CliRun], sample_run: CliRun, tmp_path: Path
) -> None:
    """Under the policy and under the step that reads it: the value, who set it, what the
    policy says; a run of the policy as written (the session's `sample_run`) shows none of
    it."""
    out = tmp_path / "out"
    run = run_sample(cli, out, "--set", "max_multiple=150%")
    assert run.exit_code == 0, run.output
    text = explain_employee(out, "00004").text()
    note = "max_multiple = 150% (set by --set; policy says 2)"
    assert "WHAT-IF: not the policy as written" in text
    lines = text.splitlines()
    cap = next(i for i, line in enumerate(lines) if line.strip().startswith("bonus_cap ="))
    assert note in lines[cap + 1]
    assert (
        "bonus_cap = min(target_bonus × max_multiple, absolute_cap) = min(8,200.00 × 150%" in text
    )
    assert sample_run.out is not None
    assert "what-if" not in explain_employee(sample_run.out, "00004").text().lower()


def test_run_job_writes_a_notebook_what_if_as_a_complete_run_folder(tmp_path: Path) -> None:
    """`run_job` takes an overridden `Rulebook`: the folder says what_if, lists the layer
    `with_overrides` recorded, and its explanation uses the overridden value."""
    variant = load_rules(RULES).with_overrides({"max_multiple": "150%"})
    out = tmp_path / "out"
    report = run_job(sample_request(out, rulebook=variant))
    assert report.summary.computed == 52
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["what_if"] is True
    assert manifest["layers"][1]["layer"] == "with_overrides"
    spec = json.loads((out / "rulebook.json").read_text())["policies"][0]["spec"]
    assert spec["parameters"]["max_multiple"] == "1.50"
    assert (
        "max_multiple = 150% (set by with_overrides; policy says 2)"
        in explain_employee(out, "00004").text()
    )


def test_check_lists_what_a_set_changes(cli: Callable[..., CliRun]) -> None:
    result = cli("check", "--rules", RULES, "--set", "target_pct[level=4]=12%")
    assert result.exit_code == 0, result.output
    assert "annual-bonus-2026:target_pct[level=4] = 12% (policy says 10%)" in result.stdout


def header(policy_id: str) -> str:
    """The header of a small bonus policy written for a test."""
    return (
        f"policy: {{id: {policy_id}, title: Test, version: '1', kind: bonus, currency: currency,"
        " effective: {from: 2026-01-01}, payout_date: 2027-03-15,"
        " performance_period: {start: 2026-01-01, end: 2026-12-31}}\n"
    )


GRID = (
    header("grid")
    + """
inputs:
  employee_id: {type: text}
  currency: {type: text}
  unit: {type: text, allowed: [Sales, Finance]}
  rating: {type: rating, scale: perf}
  sales: {type: decimal}
rating_scales:
  perf: {labels: {Meets: 3, Exceeds: 4}}
tables:
  funding:
    axes:
      - {name: unit, match: exact, at: [Sales, Finance]}
      - {name: rating, match: exact, at: [3, 4]}
    values: [[1000, 2000], [1500, 2500]]
tiers:
  commission:
    mode: cumulative
    bands: [{from: 0, rate: 5%}, {from: 100000, rate: 6%}]
steps:
  bonus: {formula: "funding(unit, rating) + commission(sales)", type: money}
pay:
  - {name: annual_bonus, step: bonus, pay_code: AIP}
"""
)


def test_a_2d_cell_by_keys_and_a_tier_band(policy_file: Callable[..., Path]) -> None:
    """``funding[unit=Sales,rating=Exceeds]`` is the cell of row Sales, column 4 (a rating
    label reads as its value), keys in any order; ``commission.bands[1].rate`` a tier rate."""
    rulebook = load_rules(policy_file(GRID))
    variant = rulebook.with_overrides(
        ["funding[rating=Exceeds,unit=Sales]=2100", "commission.bands[1].rate=7%"]
    )
    spec = variant.policy("grid").spec
    assert spec.tables["funding"].values == [[1000, 2100], [1500, 2500]]
    assert spec.tiers["commission"].bands[1].rate == Decimal("0.07")
    edits = variant.layers[0].edits
    assert [(e.path, e.policy_says) for e in edits] == [
        ("funding[unit=Sales,rating=4]", "2000"),  # keys as the policy writes them
        ("commission.bands[1].rate", "6%"),
    ]
    with pytest.raises(OverrideError, match="did you mean 'Finance'"):
        rulebook.with_overrides(["funding[unit=Finanse,rating=3]=1"])
    with pytest.raises(OverrideError, match=r"give every axis of table 'funding'"):
        rulebook.with_overrides(["funding[unit=Sales]=1"])


def test_explain_names_a_units_override_only_for_that_unit(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """An override of Sales' operating margin is shown under 00004's (Sales) plan result and
    not under 00003's (Finance), though both policies list it as not as written."""
    out = tmp_path / "out"
    run = run_sample(cli, out, "--set", "operating_margin.actual[unit=Sales]=12.5%")
    assert run.exit_code == 0, run.output
    note = "what-if: operating_margin.actual[unit=Sales] = 12.5% (set by --set; policy says 11%)"
    assert note in explain_employee(out, "00004").text()
    finance = explain_employee(out, "00003").text()
    assert note not in finance
    assert "operating_margin.actual[unit=Sales] = 12.5%" in finance  # in the policy's list


def test_explain_notes_a_table_cell_only_where_that_cell_was_read(
    cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    """target_pct[level=4] is noted under 00004's target steps (level 4), not under 00001's
    (level 1); a named value (salary_range ... .max) only under the steps reading the max."""
    out = tmp_path / "out"
    run = run_sample(
        cli,
        out,
        "--set",
        "target_pct[level=4]=12%",
        "--set",
        "salary_range[grade=G2,country=US].max=90000",
    )
    assert run.exit_code == 0, run.output
    four = explain_employee(out, "00004").text().splitlines()
    notes = [i for i, line in enumerate(four) if "what-if: target_pct[level=4] = 12%" in line]
    assert [four[i - 1].split(" = ")[0].strip() for i in notes] == [
        "target_percent",
        "full_year_target",
    ]
    ranges = [i for i, line in enumerate(four) if "what-if: salary_range[" in line]
    assert {four[i - 1].split(" = ")[0].strip() for i in ranges} == {"range_max", "new_range_max"}
    one = explain_employee(out, "00001").text()
    assert "what-if: target_pct" not in one
    assert "target_pct[level=4] = 12% (set by --set; policy says 10%)" in one  # listed above
