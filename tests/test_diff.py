"""`incentives diff RUN_A RUN_B`: what changed between two runs of the bundled sample, and why.

Each run B is the sample run again with one edit (a roster cell, a rules file, the rates), in
tmp_path; run A is the sample as bundled (docs/diff.md)."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES, CliRun, invoke
from incentives.audit.run_diff import Change, DiffError, RunDiff, diff_runs
from strategies import sample_roster_edits


def _run(
    out: Path,
    *,
    rules: Path = RULES,
    employees: Path = EMPLOYEES,
    rates: Path = RATES,
    rejections: bool = False,
) -> Path:
    """The sample run into ``out`` (exit 3, some rows rejected, only with ``rejections``)."""
    args = ("--rules", rules, "--employees", employees, "--rates", rates)
    run = invoke("run", *args, "--ratings", RATINGS, "--history", HISTORY, "--out", out)
    assert run.exit_code in ((0, 3) if rejections else (0,)), run.output
    return out


def _edit(source: Path, target: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target


def _rules(tmp_path: Path, file: str, *edits: tuple[str, str]) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    for old, new in edits:
        _edit(folder / file, folder / file, old, new)
    return folder


def _roster(tmp_path: Path, old: str, new: str) -> Path:
    return _edit(EMPLOYEES, tmp_path / "employees.csv", old, new)


@pytest.fixture
def run_a(sample_run: CliRun) -> Path:
    assert sample_run.out is not None
    return sample_run.out


def _change(diff: RunDiff, employee: str, component: str) -> Change:
    (found,) = [c for c in diff.changes if (c.employee_id, c.component) == (employee, component)]
    return found


def test_a_run_compared_with_itself_has_no_difference(
    run_a: Path, cli: Callable[..., CliRun]
) -> None:
    """Nothing is added, removed or changed, and the command says so."""
    diff = diff_runs(run_a, run_a)
    assert diff.empty and diff.changes == () and diff.unchanged == 52
    shown = cli("diff", run_a, run_a)
    assert shown.exit_code == 0, shown.output
    assert (
        "employees: 0 added, 0 removed, 0 changed, 52 unchanged\nno differences\n" in shown.stdout
    )


def test_a_changed_rating_is_the_root_and_the_unit_gets_the_pool_factor(
    run_a: Path, tmp_path: Path
) -> None:
    """00004 (Sales) rated Exceeds instead of Exceptional: their bonus and merit fall because of
    the rating, through the rating multiplier; every other member of the Sales pool is paid
    more, because the pool factor rose, and the diff names 00004 as who moved it."""
    roster = _roster(tmp_path, "2016-05-02,,Exceptional,", "2016-05-02,,Exceeds,")
    diff = diff_runs(run_a, _run(tmp_path / "b", employees=roster))
    own = _change(diff, "00004", "annual_bonus")
    assert own.before == Decimal("12300.00") and own.after == Decimal("11678.97")
    assert own.causes[0] == (
        "rating 5 (Exceptional) → 4 (Exceeds), so rating_multiplier(rating) 150% → 120%, …, "
        "so bonus 15,189.885 → 12,151.908, so annual_bonus -621.03"
    )
    merit = _change(diff, "00004", "merit_increase")
    assert merit.causes[0].startswith("rating 5 (Exceptional) → 4 (Exceeds), so merit_matrix")
    assert merit.causes[0].endswith("so merit_increase -400.00")
    other = _change(diff, "00001", "annual_bonus")
    assert other.causes == (
        "pool department_pool factor 0.945833 → 0.961081 (unit Sales: claims of 00004 changed), "
        "so annual_bonus +32.95",
    )
    sales = {c.employee_id for c in diff.changes} - {"00004"}
    assert len(sales) == 14
    assert all(
        any("pool department_pool factor" in cause for cause in c.causes)
        for c in diff.changes
        if c.employee_id != "00004"
    )


def test_a_goal_actual_is_named_with_its_goal(run_a: Path, tmp_path: Path) -> None:
    """00002's 'Release milestones' actual 22.8 → 25: the goal is the root cause of the
    bonus change (Engineering's pool is over-funded, so nobody else moves)."""
    roster = _roster(
        tmp_path,
        "Chen,AIP,Engineering,2,55000,1,USD,2019-07-15,,Exceeds,false,,,Release milestones,20,22.8,",
        "Chen,AIP,Engineering,2,55000,1,USD,2019-07-15,,Exceeds,false,,,Release milestones,20,25,",
    )
    diff = diff_runs(run_a, _run(tmp_path / "b", employees=roster))
    assert diff.changed == ("00002",)
    (cause,) = _change(diff, "00002", "annual_bonus").causes
    assert cause == (
        "goal 1 'Release milestones' actual 22.8 → 25, so individual_score 108% → 120.2222%, …, "
        "so bonus 4,521.6468 → 5,033.3558, so annual_bonus +428.35"
    )


def test_a_new_policy_version_names_its_changed_step(run_a: Path, tmp_path: Path) -> None:
    """A new version of the bonus policy with another formula for one step: the policy line
    shows id, both versions and hashes and the step; each change names the step as its cause."""
    rules = _rules(
        tmp_path,
        "annual_bonus.yaml",
        ('version: "2026.1"', 'version: "2026.2"'),
        ('formula: "performance_factor * individual_modifier"',
         'formula: "performance_factor * individual_modifier * 1.05"'),
    )  # fmt: skip
    diff = diff_runs(run_a, _run(tmp_path / "b", rules=rules))
    (policy,) = diff.policies
    assert (policy.id, policy.version_a, policy.version_b) == (
        "annual-bonus-2026",
        "2026.1",
        "2026.2",
    )
    assert policy.steps == ("modified_factor",)
    assert policy.describe().startswith(
        f"policy annual-bonus-2026 2026.1 ({policy.sha_a[:12]}) → 2026.2 ({policy.sha_b[:12]}); "
        "steps changed: modified_factor"
    )
    causes = _change(diff, "00002", "annual_bonus").causes
    assert causes[0].startswith(
        "step modified_factor changed in annual-bonus-2026 2026.1 → 2026.2: formula "
        "performance_factor * individual_modifier → performance_factor * individual_modifier * 1.05"
        ", so bonus 4,521.6468 → 4,747.72914"
    )


def test_a_parameter_moves_pay_between_the_split_parts(run_a: Path, tmp_path: Path) -> None:
    """excess_above 150 % → 140 %: more of 00004's bonus is paid as the excess part, the same
    amount less as the main part, and the parameter is the cause of both."""
    rules = _rules(tmp_path, "annual_bonus.yaml", ("excess_above: 150%", "excess_above: 140%"))
    diff = diff_runs(run_a, _run(tmp_path / "b", rules=rules))
    main, excess = (
        _change(diff, "00004", "annual_bonus"),
        _change(diff, "00004", "annual_bonus_excess"),
    )
    assert main.delta == -excess.delta != 0
    assert main.causes[0].startswith("parameter excess_above 150% → 140%, so annual_bonus -")
    assert excess.causes[0].startswith(
        "parameter excess_above 150% → 140%, so annual_bonus_excess +"
    )
    assert "parameters (excess_above 150% → 140%)" in diff.policies[0].describe()


def test_an_exchange_rate_is_a_cause(run_a: Path, tmp_path: Path) -> None:
    """EUR→USD 1.0929 → 1.2 moves the USD claims of EUR employees, so the pools of their
    units, so everyone's share: an EUR employee's change names the rate."""
    rates = _edit(RATES, tmp_path / "rates.csv", "EUR,USD,average,1.0929", "EUR,USD,average,1.2")
    diff = diff_runs(run_a, _run(tmp_path / "b", rates=rates))
    assert "rates file changed" in " ".join(diff.notes)
    causes = _change(diff, "00039", "annual_bonus").causes
    assert any(
        c.startswith("FX rate EUR→USD (average, 2026-12-31) 1.0929 → 1.2, so ") for c in causes
    )


def test_added_and_removed_employees(
    run_a: Path, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """00052 left the roster and 00099 (a copy of 00003) joined: each is listed, with every
    amount as a change from or to nothing, and the totals still reconcile."""
    rows = EMPLOYEES.read_text(encoding="utf-8").splitlines(keepends=True)
    copy = next(r for r in rows if r.startswith("00003,")).replace("00003,", "00099,", 1)
    roster = tmp_path / "employees.csv"
    roster.write_text(
        "".join([r for r in rows if not r.startswith("00052,")] + [copy]), encoding="utf-8"
    )
    diff = diff_runs(run_a, _run(tmp_path / "b", employees=roster))
    assert (diff.added, diff.removed) == (("00099",), ("00052",))
    gone = _change(diff, "00052", "annual_bonus")
    assert (gone.status, gone.after, gone.causes) == ("removed", None, ("not in run B's roster",))
    new = _change(diff, "00099", "merit_increase")
    assert (new.status, new.before, new.causes) == ("added", None, ("not in run A's roster",))
    shown = cli("diff", run_a, tmp_path / "b")
    assert "employees: 1 added, 1 removed," in shown.stdout


def test_the_out_folder_holds_diff_csv_and_the_summary(
    run_a: Path, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """--out writes diff.csv (one row per change, its causes) and summary.txt, and refuses to
    replace them without --force."""
    roster = _roster(tmp_path, "2016-05-02,,Exceptional,", "2016-05-02,,Exceeds,")
    run_b = _run(tmp_path / "b", employees=roster)
    shown = cli("diff", run_a, run_b, "--out", tmp_path / "d")
    assert shown.exit_code == 0, shown.output
    with (tmp_path / "d" / "diff.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    first = next(r for r in rows if (r["employee_id"], r["component"]) == ("00004", "annual_bonus"))
    assert (first["before"], first["after"], first["delta"]) == ("12300.00", "11678.97", "-621.03")
    assert first["causes"].startswith("rating 5 (Exceptional) → 4 (Exceeds)")
    summary = (tmp_path / "d" / "summary.txt").read_text(encoding="utf-8")
    assert summary in shown.stdout and "15 changed" in summary
    again = cli("diff", run_a, run_b, "--out", tmp_path / "d")
    assert again.exit_code == 1 and "--force" in again.stderr
    assert cli("diff", run_a, run_b, "--out", tmp_path / "d", "--force").exit_code == 0


def test_a_folder_that_is_not_a_run_folder_is_refused(
    run_a: Path, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """Exit 1 (as explain, payroll and report answer a folder that is not a run's) and a
    message naming the run and the missing file; no traceback."""
    shown = cli("diff", run_a, tmp_path)
    assert shown.exit_code == 1 and shown.exception is None
    assert f"run B: {tmp_path / 'rulebook.json'}: the file is missing" in shown.stderr
    inside = cli("diff", run_a, run_a, "--out", run_a / "d")
    assert inside.exit_code == 2 and "lies inside" in inside.stderr


def test_runs_whose_figures_do_not_add_up_are_refused(run_a: Path, tmp_path: Path) -> None:
    """A results.csv edited after the run no longer matches its manifest: the diff says the
    deltas do not reconcile, per currency and component, instead of printing a wrong total."""
    copy = tmp_path / "b"
    shutil.copytree(run_a, copy)
    _edit(copy / "results.csv", copy / "results.csv", "00001,annual-bonus-2026,bonus,USD,true,,,2044.10,",
          "00001,annual-bonus-2026,bonus,USD,true,,,2045.10,")  # fmt: skip
    with pytest.raises(
        DiffError,
        match=re.escape("USD annual_bonus: the deltas add up to 1.00, the totals differ by 0.00"),
    ):
        diff_runs(run_a, copy)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sample_roster_edits())
def test_the_deltas_add_up_to_the_difference_of_the_totals(
    run_a: Path, tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, str, str]]
) -> None:
    """Whatever changes in the roster (ratings, salaries, units, modifiers, rows left out; some
    edits reject a row, which is then removed), per currency and component the sum of the
    diff's deltas is the difference of the two manifests' totals, to the cent, and every
    change has a recorded cause."""
    folder = tmp_path_factory.mktemp("prop")
    with EMPLOYEES.open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    dropped = set()
    for number, column, value in edits:
        if column == "drop":
            dropped.add(number)
        else:
            rows[number][header.index(column)] = value
    kept = [row for i, row in enumerate(rows) if i not in dropped]
    with (folder / "employees.csv").open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows([header, *kept])
    run_b = _run(folder / "b", employees=folder / "employees.csv", rejections=True)
    diff = diff_runs(run_a, run_b)
    sums: dict[tuple[str, str], Decimal] = {}
    for change in diff.changes:
        key = (change.currency, change.component)
        sums[key] = sums.get(key, Decimal(0)) + change.delta
    before, after = _manifest_totals(run_a), _manifest_totals(folder / "b")
    for key in before.keys() | after.keys():
        expected = after.get(key, Decimal(0)) - before.get(key, Decimal(0))
        assert sums.get(key, Decimal(0)) == expected, key
    assert not any("no recorded cause" in cause for c in diff.changes for cause in c.causes)
    # every output that differs in results.csv, and only those, is listed, with a cause
    assert {(o.employee_id, o.policy, o.output) for o in diff.outputs} == _moved_outputs(
        run_a, run_b
    )
    assert not any("no recorded cause" in cause for o in diff.outputs for cause in o.causes)


def _moved_outputs(run_a: Path, run_b: Path) -> set[tuple[str, str, str]]:
    """(employee, policy, output) whose value differs between the runs' results.csv, for
    employees both runs computed under the policy."""
    policies = json.loads((run_b / "rulebook.json").read_text(encoding="utf-8"))["policies"]
    outputs = {
        p["id"]: [*p["spec"]["outputs"], *(["ready"] if p["spec"]["criteria"] else [])]
        for p in policies
    }
    rows = []
    for run in (run_a, run_b):
        with (run / "results.csv").open(encoding="utf-8", newline="") as stream:
            rows.append({(r["employee_id"], r["policy"]): r for r in csv.DictReader(stream)})
    moved = set()
    for key in rows[0].keys() & rows[1].keys():
        for name in outputs[key[1]]:
            old, new = rows[0][key][name], rows[1][key][name]
            if old != new and not (_number(old) and _number(new) and Decimal(old) == Decimal(new)):
                moved.add((*key, name))
    return moved


def _number(cell: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d+)?", cell))


def _manifest_totals(run: Path) -> dict[tuple[str, str], Decimal]:
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    return {(t["currency"], t["component"]): Decimal(t["amount"]) for t in manifest["totals"]}


def test_a_table_cell_changed_in_the_policy_is_named_by_its_keys(
    run_a: Path, tmp_path: Path
) -> None:
    """The Exceeds multiplier 120 % → 130 %: an employee rated Exceeds in an over-funded pool
    (00002, Engineering) is paid more, and the cause names the table and the cell it read."""
    rules = _rules(
        tmp_path,
        "annual_bonus.yaml",
        ("values: [0%, 50%, 100%, 120%, 150%]", "values: [0%, 50%, 100%, 130%, 150%]"),
    )
    diff = diff_runs(run_a, _run(tmp_path / "b", rules=rules))
    assert diff.policies[0].sections == ("tables (rating_multiplier)",)
    causes = _change(diff, "00002", "annual_bonus").causes
    assert causes[0].startswith(
        "table rating_multiplier [rating=4] 120% → 130% (changed in the policy), "
        "so rating_factor 120% → 130%, …, so bonus "
    )


def test_the_documented_example_is_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliRun]
) -> None:
    """Every line of docs/diff.md's example outputs is a line of the real output, in order."""
    text = (Path(__file__).parents[1] / "docs" / "diff.md").read_text(encoding="utf-8")
    block = text.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    monkeypatch.chdir(tmp_path)
    _run(Path("out"))
    _roster(tmp_path, "2016-05-02,,Exceptional,", "2016-05-02,,Exceeds,").rename("employees-b.csv")
    _run(Path("out-b"), employees=Path("employees-b.csv"))
    shown = cli("diff", "out", "out-b")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[: len(block)] == block
    # the outputs example: 00016 also rated Meets; its block is the end of the real output
    outputs = text.split("```text\n")[2].split("```", 1)[0].splitlines()
    _edit(Path("employees-b.csv"), Path("employees-c.csv"), "2015-07-27,,Exceeds,",
          "2015-07-27,,Meets,")  # fmt: skip
    _run(Path("out-c"), employees=Path("employees-c.csv"))
    shown = cli("diff", "out", "out-c")
    assert outputs[0].startswith("outputs that moved")
    assert shown.stdout.splitlines()[-len(outputs) :] == outputs


def test_runs_of_different_policy_sets_are_compared(run_a: Path, tmp_path: Path) -> None:
    """Run B without the merit policy: the policy is reported removed, and each merit amount
    is a removal whose cause says the policy is not in run B; the bonus is unchanged."""
    rules = _rules(tmp_path, "annual_bonus.yaml")
    (rules / "merit.yaml").unlink()
    diff = diff_runs(run_a, _run(tmp_path / "b", rules=rules))
    assert [p.describe()[:35] for p in diff.policies] == ["policy merit-2027 2027.1 (75b2e526e"]
    assert {(c.policy, c.status) for c in diff.changes} == {("merit-2027", "removed")}
    assert _change(diff, "00004", "merit_increase").causes == ("policy merit-2027 is not in run B",)


def test_eligibility_lost_names_the_rule_and_its_input(run_a: Path, tmp_path: Path) -> None:
    """00002 put on a performance improvement plan: not eligible for the bonus, and the
    cause says which input made which rule fail."""
    roster = _roster(
        tmp_path,
        "Chen,AIP,Engineering,2,55000,1,USD,2019-07-15,,Exceeds,false,",
        "Chen,AIP,Engineering,2,55000,1,USD,2019-07-15,,Exceeds,true,",
    )
    diff = diff_runs(run_a, _run(tmp_path / "b", employees=roster))
    assert _change(diff, "00002", "annual_bonus").causes == (
        "on_pip no → yes, so not_on_pip fails (On a performance improvement plan), so not "
        "eligible, so annual_bonus -4,521.65",
    )


def test_a_plan_result_is_a_cause(run_a: Path, tmp_path: Path) -> None:
    """Revenue growth 6.2 % → 7 % (in the policy file): the result, its payout and the company
    factor it moves are the chain to 00002's bonus."""
    rules = _rules(tmp_path, "annual_bonus.yaml", ("    actual: 6.2%", "    actual: 7%"))
    diff = diff_runs(run_a, _run(tmp_path / "b", rules=rules))
    assert _change(diff, "00002", "annual_bonus").causes == (
        "result revenue_growth: actual 6.2% → 7%, payout 124% → 140%, so company_factor "
        "105.725% → 114.125%, …, so bonus 4,521.6468 → 4,880.898, so annual_bonus +359.25",
    )


def test_a_what_if_run_is_named_as_one(run_a: Path, tmp_path: Path) -> None:
    """A run whose manifest marks it as a what-if (overrides, a scenario) is said to be one, so
    a diff against it cannot be mistaken for a diff of two real cycles."""
    copy = tmp_path / "b"
    shutil.copytree(run_a, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest.update({"what_if": True, "layers": [{"source": "--set", "max_multiple": "150%"}]})
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    diff = diff_runs(run_a, copy)
    assert diff.notes == (
        'run B is a what-if, not the real cycle: {"max_multiple": "150%", "source": "--set"}',
    )


def test_a_pool_funded_more_is_the_cause_not_its_factor(run_a: Path, tmp_path: Path) -> None:
    """Sales' pool multiplier 100 % → 110 %: nobody's claim changed, so the cause of each Sales
    member's change is the table cell, through the pool and its factor; the factor is not
    named as a cause of its own."""
    rules = _rules(
        tmp_path,
        "annual_bonus.yaml",
        ("values: [100%, 160%, 140%, 100%]", "values: [110%, 160%, 140%, 100%]"),
    )
    diff = diff_runs(run_a, _run(tmp_path / "b", rules=rules))
    (cause,) = _change(diff, "00001", "annual_bonus").causes
    assert cause == (
        "table pool_multiplier [unit=Sales] 100% → 110% (changed in the policy), so pool "
        "department_pool 301,845.80 → 332,030.39, so pool department_pool factor 0.945833 → 1.040416, "
        "so annual_bonus +204.41"
    )


def test_a_change_of_currency_is_two_rows_that_reconcile(run_a: Path, tmp_path: Path) -> None:
    """00039 paid in USD (and ranged in the US) instead of EUR: the EUR amount leaves the EUR
    totals and the USD amount joins the USD totals, each row saying why."""
    roster = _roster(
        tmp_path,
        "00039,Mara Olsen,AIP,Engineering,5,90000,1,EUR,",
        "00039,Mara Olsen,AIP,Engineering,5,90000,1,USD,",
    )
    _edit(roster, roster, "G3,DE,active,,,2023-01-01,", "G3,US,active,,,2023-01-01,")
    diff = diff_runs(run_a, _run(tmp_path / "b", employees=roster))
    rows = [c for c in diff.changes if (c.employee_id, c.component) == ("00039", "annual_bonus")]
    assert [(c.currency, c.before, c.after, c.causes) for c in rows] == [
        ("EUR", Decimal("15700.16"), None, ("currency EUR → USD",)),
        ("USD", None, Decimal("15700.16"), ("currency EUR → USD",)),
    ]


def test_a_component_paid_in_shares_is_diffed_in_shares(
    run_a: Path, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """The PSU plan's LTI target for level 7 raised from 40 % to 50 %: 00007's grant is
    150,000 × 50 % ÷ 48.20 = 1,556.0 → 1,556 PSUs (was 1,244), vesting 100 %: +312 shares,
    counted in shares (not in the employee's currency, never as money: no decimals), and the
    deltas reconcile with the manifests' share totals (+312 +332 +370 +321 = +1,335)."""
    rules = _rules(tmp_path, "ltip_psu.yaml", ("values: [40%, 60%]", "values: [50%, 60%]"))
    run_b = _run(tmp_path / "b", rules=rules)
    diff = diff_runs(run_a, run_b)
    change = _change(diff, "00007", "psus_vested")
    assert (change.currency, change.before, change.after) == ("shares", 1244, 1556)
    (line,) = [t for t in diff.totals if t.component == "psus_vested"]
    assert (line.currency, line.before, line.after) == ("shares", 14073, 15408)
    shown = cli("diff", run_a, run_b)
    assert shown.exit_code == 0, shown.output
    assert re.search(r"00007 +ltip-psu-2024 +psus_vested +shares +1,244 +1,556 +\+312\b", shown.stdout)


def test_outputs_that_moved_are_compared_with_their_causes(
    run_a: Path, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    """Not only money paid moves: 00004 rated Exceeds instead of Exceptional gets a smaller
    merit percentage and new salary; 00016 rated Meets instead of Exceeds is no longer ready
    for promotion, and the diff names the criterion that now fails and why. Outputs are listed
    apart from the pay changes and never enter the totals."""
    roster = _roster(tmp_path, "2016-05-02,,Exceptional,", "2016-05-02,,Exceeds,")
    _edit(roster, roster, "2015-07-27,,Exceeds,", "2015-07-27,,Meets,")
    run_b = _run(tmp_path / "b", employees=roster)
    diff = diff_runs(run_a, run_b)
    by_key = {(o.employee_id, o.output): o for o in diff.outputs}
    salary = by_key["00004", "new_salary"]
    assert (salary.policy, salary.before, salary.after) == ("merit-2027", "84900.00", "84500.00")
    assert (salary.shown_before, salary.shown_after, salary.change) == (
        "84,900.00", "84,500.00", "-400.00"
    )
    assert salary.causes[0].startswith("rating 5 (Exceptional) → 4 (Exceeds), so merit_matrix")
    assert salary.causes[0].endswith("so new_salary -400.00")
    pct = by_key["00004", "merit_pct"]
    assert (pct.shown_before, pct.shown_after, pct.change) == ("3.5%", "3%", "-0.5 pts")
    ready = by_key["00016", "ready"]
    assert (ready.policy, ready.before, ready.after, ready.change) == (
        "promotion-2027", "true", "false", ""
    )
    assert ready.causes == (
        "rating 4 (Exceeds) → 3 (Meets), so criterion rating_now passes → fails "
        "(rating 3, needs 4), so ready yes → no",
    )
    assert ("00004", "ready") not in by_key  # 00004 is still ready at Exceeds
    merit = json.loads((run_b / "rulebook.json").read_text(encoding="utf-8"))["policies"]
    declared = {n for p in merit for n in p["spec"]["outputs"]} | {"ready"}
    assert {o.output for o in diff.outputs} <= declared
    assert all(t.component not in ("new_salary", "merit_pct", "ready") for t in diff.totals)
    shown = cli("diff", run_a, run_b, "--out", tmp_path / "d")
    assert shown.exit_code == 0, shown.output
    assert "\noutputs that moved (not pay: outside the totals):\n" in shown.stdout
    assert re.search(r"\n00016 +promotion-2027 +ready +yes +no *\n +rating 4 \(Exceeds\)", shown.stdout)
    with (tmp_path / "d" / "outputs.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    row = next(r for r in rows if (r["employee_id"], r["output"]) == ("00004", "new_salary"))
    assert (row["before"], row["after"], row["change"]) == ("84900.00", "84500.00", "-400.00")
    assert row["causes"].startswith("rating 5 (Exceptional) → 4 (Exceeds)")
