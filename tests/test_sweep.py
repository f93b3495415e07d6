"""`incentives sweep`: totals over many values of the plan results (issue 10 §4).

The bonus policy below pays ``salary × 10 % × revenue payout``; revenue's curve pays 50 % at
90, 100 % at 100, 200 % at 120 and above (capped). E1 earns 10,000 and E2 20,000: their
targets add up to 3,000.00, so the AIP total is 3,000.00 × the payout. The merit policy pays
3 % of salary (300.00 + 600.00 = 900.00 MERIT) and reads no result: it is evaluated once.
"""

from __future__ import annotations

import csv
import warnings
from decimal import Decimal as D
from pathlib import Path

import pytest

from engine_helpers import policy_yaml
from incentives.jobs import RunRequest
from incentives.sweep import (
    SweepRequest,
    grid_points,
    read_draws,
    run_sweep,
    sweep_points,
)
from incentives.sweep.evaluate import forget

BONUS = policy_yaml(
    """
    results:
      revenue: {threshold: 90, target: 100, maximum: 120, actual: 100, payout: [50%, 100%, 200%]}
      margin:
        by: unit
        payout: [50%, 100%, 150%]
        units:
          Sales: {threshold: 8, target: 10, maximum: 12, actual: 10}
    steps:
      bonus: {formula: "salary * 0.1 * revenue_payout", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP, round: {step: 0.01, mode: half_up}}
    """,
    policy_id="test-bonus",
    inputs="salary: {type: decimal}\nunit: {type: text}",
)
MERIT = policy_yaml(
    """
    steps:
      increase: {formula: "salary * 0.03", type: money}
    pay:
      - {name: merit, step: increase, pay_code: MERIT, round: {step: 0.01, mode: half_up}}
    """,
    policy_id="test-merit",
    kind="merit",
    inputs="salary: {type: decimal}\nunit: {type: text}",
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bonus.yaml").write_text(BONUS, encoding="utf-8")
    (rules / "merit.yaml").write_text(MERIT, encoding="utf-8")
    (tmp_path / "employees.csv").write_text(
        "employee_id,plan,currency,salary,unit\nE1,AIP,USD,10000,Sales\nE2,AIP,USD,20000,Sales\n",
        encoding="utf-8",
    )
    forget()
    return tmp_path


def _inputs(folder: Path, out: str = "out") -> RunRequest:
    return RunRequest(folder / "rules", folder / "employees.csv", folder / out, workers=1)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_a_three_point_grid_matches_the_hand_computation(folder: Path) -> None:
    """revenue 90, 110, 130 pays 50 %, 150 %, 200 % (capped): AIP 1,500.00, 4,500.00,
    6,000.00; MERIT 900.00 at each. Equal weights: accrual (1,500 + 4,500 + 6,000) / 3 =
    4,000.00; p5 1,500.00, p50 4,500.00, p95 6,000.00."""
    report = run_sweep(
        SweepRequest(_inputs(folder), grid=("revenue=90..130/20",))
    )
    rows = _rows(folder / "out" / "sweep.csv")
    assert [(r["revenue"], r["AIP USD"], r["MERIT USD"]) for r in rows] == [
        ("90", "1500.00", "900.00"),
        ("110", "4500.00", "900.00"),
        ("130", "6000.00", "900.00"),
    ]
    aip = next(t for t in report.summary.totals if t.measure == "AIP")
    assert (aip.mean, aip.percentiles) == (D("4000.00"), (D("1500.00"), D("4500.00"), D("6000.00")))
    assert report.reused == ("test-merit",)
    assert "test-merit evaluated once" in (folder / "out" / "summary.md").read_text()


def test_weighted_draws_give_the_accrual_percentiles_and_overrun_probability(folder: Path) -> None:
    """Weights 1, 2, 3, 4 (Σ 10) on revenue 90, 100, 110, 120 → AIP 1,500, 3,000, 4,500,
    6,000. Accrual (1,500 + 2 × 3,000 + 3 × 4,500 + 4 × 6,000) / 10 = 4,500.00. Cumulative
    weights 1, 3, 6, 10: p5 (0.5) 1,500.00, p50 (5) 4,500.00, p95 (9.5) 6,000.00. Over a
    4,000 budget: the draws of weight 3 and 4, P = 0.7."""
    draws = folder / "draws.csv"
    draws.write_text("draw,weight,revenue\nd1,1,90\nd2,2,100\nd3,3,110\nd4,4,120\n")
    report = run_sweep(
        SweepRequest(
            _inputs(folder), draws=draws, budgets=("AIP:USD=4000",)
        )
    )
    aip = next(t for t in report.summary.totals if t.measure == "AIP")
    assert aip.mean == D("4500.00")
    assert aip.percentiles == (D("1500.00"), D("4500.00"), D("6000.00"))
    assert aip.p_over == D("0.7000")
    stats = {r["measure"]: r for r in _rows(folder / "out" / "stats.csv")}
    assert (stats["AIP"]["mean"], stats["AIP"]["p_over"]) == ("4500.00", "0.7000")
    assert "| AIP | USD | 4,500.00 | 1,500.00 | 4,500.00 | 6,000.00 | 4,000.00 | 70.00 % |" in report.text


def test_a_unit_result_is_swept_per_unit(folder: Path) -> None:
    """A column per unit: margin[Sales] is accepted (and read as that unit's actual)."""
    draws = folder / "draws.csv"
    draws.write_text("draw,revenue,margin[Sales]\n1,100,9\n")
    points = read_draws(draws, _load(folder))
    assert [v.label for v in points.variables] == ["revenue", "margin[Sales]"]
    assert points.variables[1].unit == "Sales"


def _load(folder: Path):  # type: ignore[no-untyped-def]
    from incentives.rulebook.rulebook import load_rules

    return load_rules(folder / "rules")


SPEC = """\
draws: 40
seed: {seed}
precision: 0.01
distributions:
  revenue: {{normal: {{mean: 100, sd: 10}}}}
  margin[Sales]: {{triangular: {{low: 8, mode: 10, high: 12}}}}
correlation:
  - [revenue, "margin[Sales]", 0.6]
"""


def test_seeded_distributions_are_reproducible_byte_for_byte(folder: Path) -> None:
    """The same seed writes the same files; another seed draws other values."""
    outs = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        spec = folder / f"{name}.yaml"
        spec.write_text(SPEC.format(seed=seed))
        run_sweep(SweepRequest(_inputs(folder, name), spec=spec))
        outs.append((folder / name / "sweep.csv").read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]
    drawn = [r["revenue"] for r in _rows(folder / "a" / "sweep.csv")]
    assert len(drawn) == 40 and all(len(v.split(".")[1]) == 2 for v in drawn)


def test_local_processes_give_the_same_results_as_one_process(folder: Path) -> None:
    """Two forked workers and this process agree point for point."""
    points = grid_points(["revenue=90..120/5", "margin[Sales]=8,12"], _load(folder))
    one = sweep_points(_inputs(folder), points, workers=1)
    two = sweep_points(_inputs(folder), points, workers=2)
    assert one == two


def test_the_reuse_gives_the_totals_of_a_whole_run(folder: Path) -> None:
    """The merit policy evaluated once plus the bonus per point equals `calculate` with every
    policy and the point's figures."""
    from incentives.engine.calculate import calculate
    from incentives.io import open_roster
    from incentives.io.plan_inputs import ResultFigure

    rulebook = _load(folder)
    points = grid_points(["revenue=95,118"], rulebook)
    results = sweep_points(_inputs(folder), points, workers=1)
    for point, result in zip(points.points, results, strict=True):
        figure = ResultFigure("test-bonus", "revenue", "", "actual", point.values[0], 1)
        calc = calculate(rulebook, open_roster(folder / "employees.csv"), results=[figure])
        list(calc)
        whole = {(c, code): a for (c, _n, code), a in calc.summary.totals.items()}
        assert dict(result.totals) == whole


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "revnue=90..130/20"], "--grid 'revnue': no plan result 'revnue' (did you mean 'revenue'?)"),
        (["--grid", "margin=8,10"], "result 'margin' is given by unit: name the unit"),
        (["--draws", "{bad_weight}"], "draws.csv:3:2: weight"),
        (["--draws", "{empty}"], "the draws file has no draws"),
        (["--draws", "{unknown}"], "draws.csv:1:2: no plan result 'revenu' (did you mean 'revenue'?)"),
    ],
)
def test_bad_points_exit_2_saying_where(
    folder: Path, cli, args: list[str], message: str  # type: ignore[no-untyped-def]
) -> None:
    """Unknown results, a bad weight, an empty draws file: exit 2, file:row:column, no folder."""
    files = {
        "bad_weight": "draw,weight,revenue\n1,1,100\n2,heavy,110\n",
        "empty": "draw,weight,revenue\n",
        "unknown": "draw,revenu\n1,100\n",
    }
    for name, text in files.items():
        (folder / "draws.csv").write_text(text) if f"{{{name}}}" in args else None
    args = [str(folder / "draws.csv") if a.startswith("{") else a for a in args]
    result = cli(
        "sweep", "--rules", str(folder / "rules"), "--employees", str(folder / "employees.csv"),
        *args, "--out", str(folder / "out"),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (folder / "out").exists()


def test_the_cli_prints_the_summary_and_writes_the_folder(folder: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "sweep", "--rules", str(folder / "rules"), "--employees", str(folder / "employees.csv"),
        "--grid", "revenue=90..130/20", "--workers", "1", "--out", str(folder / "out"),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "| AIP | USD | 4,000.00 | 1,500.00 | 4,500.00 | 6,000.00 | - | - |" in result.stdout
    assert sorted(p.name for p in (folder / "out").iterdir() if not p.name.startswith(".")) == [
        "manifest.json", "rulebook.json", "stats.csv", "summary.md", "sweep.csv",
    ]  # fmt: skip


def test_a_scheduler_without_the_extra_is_a_clear_error(folder: Path, monkeypatch, cli) -> None:  # type: ignore[no-untyped-def]
    """Without `distributed` installed, --scheduler says how to install the extra."""
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    result = cli(
        "sweep", "--rules", str(folder / "rules"), "--employees", str(folder / "employees.csv"),
        "--grid", "revenue=90,100", "--scheduler", "tcp://127.0.0.1:1", "--out", str(folder / "o"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "pip install 'incentives[dask]'" in result.stderr


def test_a_dask_sweep_equals_the_local_one(folder: Path) -> None:
    """On an in-process Dask cluster, through `Client.get_executor()`, every point's result is
    the local run's."""
    distributed = pytest.importorskip(
        "distributed", reason="the optional dask extra is not installed (pip install 'incentives[dask]')"
    )
    points = grid_points(["revenue=90..120/10", "margin[Sales]=8,12"], _load(folder))
    local = sweep_points(_inputs(folder), points, workers=1)
    forget()
    with warnings.catch_warnings():
        # distributed's own start-up notices (ports, dashboard) are not the sweep's concern
        warnings.filterwarnings("ignore", module="distributed")
        with distributed.Client(processes=False, dashboard_address=None) as client:
            remote = sweep_points(_inputs(folder), points, executor=client.get_executor())
    assert remote == local


def test_the_sample_cycle_swept_equals_whole_runs_at_each_point() -> None:
    """On the bundled sample (bonus with history and pools, merit with budgets, promotion),
    each point's totals and budget spends equal a whole `calculate` run with that point's
    figures: the cached rows and the policies evaluated once change nothing."""
    from conftest import EMPLOYEES, FIXTURES, HISTORY, RATES, RATINGS, ROOT, RULES
    from incentives.engine.allocation_report import budget_lines
    from incentives.engine.calculate import calculate
    from incentives.io import open_roster, read_rates, read_results
    from incentives.io.plan_inputs import ResultFigure
    from incentives.rulebook.rulebook import load_rules

    forget()
    rulebook = load_rules(RULES)
    inputs = RunRequest(RULES, EMPLOYEES, ROOT / "out", results=FIXTURES / "results.csv",
                        rates=RATES, ratings=RATINGS, history=HISTORY)  # fmt: skip
    points = grid_points(["revenue_growth=1%,9%", "operating_margin[Sales]=7%,13%"], rulebook)
    results = sweep_points(inputs, points, workers=1)
    for point, result in zip(points.points, results, strict=True):
        figures = [*read_results(FIXTURES / "results.csv")] + [
            ResultFigure(v.policy, v.result, v.unit, v.field, value, 1)
            for v, value in zip(points.variables, point.values, strict=True)
        ]
        roster = open_roster(EMPLOYEES, ratings_path=RATINGS, history_path=HISTORY)
        calc = calculate(rulebook, roster, results=figures, rates=read_rates(RATES))
        list(calc)
        whole: dict[tuple[str, str], D] = {}
        for (currency, _name, code), amount in calc.summary.totals.items():
            whole[(currency, code)] = whole.get((currency, code), D(0)) + amount
        assert dict(result.totals) == whole
        assert [b.spend for b in result.budgets] == [
            line.spend for line in sorted(
                budget_lines(calc), key=lambda b: (b.policy, b.budget, b.group, b.currency)
            )
        ]  # fmt: skip
        assert not result.whole


def test_a_point_rejecting_other_rows_is_evaluated_with_every_policy(folder: Path) -> None:
    """At revenue 100 the bonus divides by zero for both employees (not at the baseline, 95),
    so both rows are rejected and, as in a whole run, their merit is not paid either: MERIT 0
    there (900.00 at 90)."""
    text = BONUS.replace("actual: 100", "actual: 95").replace(
        '"salary * 0.1 * revenue_payout"',
        '"salary * 0.1 * revenue_payout + 0 * (1 / (revenue - 100))"',
    )
    (folder / "rules" / "bonus.yaml").write_text(text, encoding="utf-8")
    points = grid_points(["revenue=90,100"], _load(folder))
    low, zero = sweep_points(_inputs(folder), points, workers=1)
    assert (dict(low.totals)[("USD", "MERIT")], low.whole, low.rejected) == (D("900.00"), False, 0)
    assert (dict(zero.totals).get(("USD", "MERIT"), D(0)), zero.whole, zero.rejected) == (0, True, 2)


def test_an_employee_scorecard_is_scored_once_per_row_for_the_whole_sweep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row's goals are the same at every point and a scorecard reads nothing else, so the
    sample's bonus scorecard scores each employee once for all the points (and the totals
    are those of the same sweep scoring them at every point)."""
    from conftest import EMPLOYEES, FIXTURES, RATES, ROOT, RULES
    from incentives.rulebook.rulebook import load_rules
    from incentives.rulebook.runtime.scorecard import EmployeeScorecard

    inputs = RunRequest(RULES, EMPLOYEES, ROOT / "out", results=FIXTURES / "results.csv",
                        rates=RATES)  # fmt: skip
    points = grid_points(["revenue_growth=1%,5%,9%"], load_rules(RULES))
    forget()
    scored: list[object] = []
    quick = EmployeeScorecard.quick

    def counted(self: EmployeeScorecard) -> object:
        score = quick(self)

        def scoring(goals: object) -> object:
            scored.append(goals)
            return score(goals)

        return scoring

    monkeypatch.setattr(EmployeeScorecard, "quick", counted)
    remembered = sweep_points(inputs, points, workers=1)
    assert scored and len(scored) == len({id(goals) for goals in scored})  # once per row
    monkeypatch.setattr("incentives.sweep.cached_rows._remembered", lambda score, kept: score)
    forget()
    scored.clear()
    each_time = sweep_points(inputs, points, workers=1)
    assert len(scored) > 3 * len({id(goals) for goals in scored})  # at every point, both passes
    assert [r.totals for r in remembered] == [r.totals for r in each_time]
