"""Bonus pools in a policy (``pools:``): funding, caps, scaling, remainder cents, errors.

Each policy here pays the pool's payout; the individual award is a roster column so that the
expectations can be computed by hand. See tests/test_pool_solver.py for the solver alone.
"""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import employee_files
from engine_helpers import FixedRates, compute, load, policy_yaml, run
from incentives.engine.calculate import EmployeeOutcome, PolicyOutcome
from incentives.errors import OptionsError, PolicyError
from incentives.jobs import RunRequest, run_job
from incentives.model import Rejection

D = Decimal
END = datetime.date(2026, 12, 31)


def pool_policy(
    pool: str,
    *,
    steps: str = "",
    inputs: str = "",
    pay_step: str = "",
    currencies: str | None = None,
) -> str:
    """A policy whose individual award is the roster's ``claim``, paid through pool ``team_pool``."""
    return policy_yaml(
        f"""
steps:
  award: {{formula: "claim", type: money}}
{steps}
pools:
  team_pool:
{pool}
pay:
  - {{name: bonus, step: {pay_step or "team_pool_payout"}, pay_code: B}}
""",
        inputs=f"""
claim: {{type: decimal}}
team: {{type: text, required: false, default: A}}
{inputs}
""",
        currencies=currencies,
    )


SIMPLE = """\
    by: team
    currency: USD
    award: award
    funding: "1000.00"
"""


def paid(outs: list[PolicyOutcome | Rejection]) -> list[Decimal]:
    found = []
    for out in outs:
        assert isinstance(out, PolicyOutcome), out
        found.append(out.value("pay.bonus"))
    return found


def test_a_pool_of_1000_over_three_equal_awards(tmp_path: Path) -> None:
    """Three claims of 500 on a pool of 1,000.00: factor 2/3, each 333.333…; the one remainder
    cent goes to the lowest employee_id (ties), whatever the roster order."""
    rows = [{"employee_id": e, "claim": "500"} for e in ("E3", "E1", "E2")]
    outs = compute(tmp_path, pool_policy(SIMPLE), rows)
    assert paid(outs) == [D("333.33"), D("333.34"), D("333.33")]
    first = outs[1]
    assert isinstance(first, PolicyOutcome)
    assert first.value("team_pool_pool") == D("1000.00")
    assert first.value("team_pool_factor") == D(2) / D(3)
    assert first.value("team_pool_remainder") == D("0.01")
    assert outs[0].value("team_pool_remainder") == 0  # type: ignore[union-attr]


def test_ties_are_broken_by_employee_id_and_larger_remainders_win(tmp_path: Path) -> None:
    """Claims 100, 200, 300 on a pool of 500: factor 5/6 gives 83.333…, 166.666…, 250; the floors
    add up to 499.99, so one cent goes to the largest remainder (166.666… → 166.67), not to the
    lowest id."""
    rows = [
        {"employee_id": "A", "claim": "100"},
        {"employee_id": "B", "claim": "200"},
        {"employee_id": "C", "claim": "300"},
    ]
    outs = compute(tmp_path, pool_policy(SIMPLE.replace("1000.00", "500")), rows)
    assert paid(outs) == [D("83.33"), D("166.67"), D("250.00")]
    assert sum(paid(outs)) == D(500)


def test_a_pool_rounded_to_hundreds(tmp_path: Path) -> None:
    """Awards rounded to 100s: a funding of 1,050 is a pool of 1,000 (rounded down to the unit);
    three equal claims get 400 (lowest id), 300 and 300."""
    pool = SIMPLE.replace('"1000.00"', '"1050"') + "    round: 100\n"
    rows = [{"employee_id": e, "claim": "900"} for e in ("E1", "E2", "E3")]
    outs = compute(tmp_path, pool_policy(pool), rows)
    assert paid(outs) == [D(400), D(300), D(300)]
    assert outs[0].value("team_pool_funding") == D(1050)  # type: ignore[union-attr]
    assert outs[0].value("team_pool_pool") == D(1000)  # type: ignore[union-attr]


def test_a_capped_member_excess_is_redistributed_or_left_unspent(tmp_path: Path) -> None:
    """Claims 800, 100, 100 on a pool of 1,000 with nobody above 40 % (400): redistributed, the
    others share the 400 the cap removed (300 each); left unspent, they keep 100 and 400 is
    reported as unspent."""
    rows = [
        {"employee_id": "A", "claim": "800"},
        {"employee_id": "B", "claim": "100"},
        {"employee_id": "C", "claim": "100"},
    ]
    capped = SIMPLE + "    cap_share: 40%\n"
    outs = compute(tmp_path, pool_policy(capped), rows)
    assert paid(outs) == [D(400), D(300), D(300)]
    unspent = capped + "    excess: unspent\n"
    calc, items = run(load(tmp_path, pool_policy(unspent)), rows)
    assert [i.outcomes[0].value("pay.bonus") for i in items] == [D(400), D(100), D(100)]  # type: ignore[union-attr]
    ((_, pool, key, state),) = [(b, p, k, s) for b, p, k, s in calc.pool_states()]
    assert (pool.name, key, state.allocated, state.unspent) == ("team_pool", "A", D(600), D(400))


def test_an_own_cap_per_member(tmp_path: Path) -> None:
    """``cap:`` gives each member a cap of its own (here 2 × the claim's target): B's 300 claim is
    capped at 200 and its excess redistributed to A within the pool of 500."""
    pool = SIMPLE.replace("1000.00", "500") + '    cap: "limit"\n'
    rows = [
        {"employee_id": "A", "claim": "300", "limit": "1000"},
        {"employee_id": "B", "claim": "300", "limit": "200"},
    ]
    outs = compute(tmp_path, pool_policy(pool, inputs="limit: {type: decimal}"), rows)
    assert paid(outs) == [D(300), D(200)]


def test_a_negative_funding_counts_as_zero(tmp_path: Path) -> None:
    """A pool funded at −500 (a loss-making unit) is a pool of 0: nobody is paid, nothing is
    negative."""
    rows = [{"employee_id": e, "claim": "500"} for e in ("E1", "E2")]
    outs = compute(tmp_path, pool_policy(SIMPLE.replace('"1000.00"', '"0 - 500"')), rows)
    assert paid(outs) == [D("0.00"), D("0.00")]
    assert outs[0].value("team_pool_pool") == 0  # type: ignore[union-attr]


def test_an_over_funded_pool_pays_the_claims_and_reports_the_rest(tmp_path: Path) -> None:
    """Claims of 100.004 and 200 on a pool of 1,000 (scale: down): each member gets the claim
    rounded down to the cent (the claims add up to 300.004: 300.00 is handed out) and 700.00 is
    unspent; with scale: up_and_down the pool is spent exactly."""
    rows = [{"employee_id": "A", "claim": "100.004"}, {"employee_id": "B", "claim": "200"}]
    calc, items = run(load(tmp_path, pool_policy(SIMPLE)), rows)
    assert [i.outcomes[0].value("pay.bonus") for i in items] == [D("100.00"), D("200.00")]  # type: ignore[union-attr]
    (state,) = [s for *_, s in calc.pool_states()]
    assert (state.allocated, state.unspent, state.factor) == (D("300.00"), D("700.00"), 1)
    up = SIMPLE + "    scale: up_and_down\n"
    calc, items = run(load(tmp_path, pool_policy(up)), rows)
    amounts = [i.outcomes[0].value("pay.bonus") for i in items]  # type: ignore[union-attr]
    assert sum(amounts) == D(1000) and amounts[1] > amounts[0]


def test_pools_per_group_and_roster_order(tmp_path: Path) -> None:
    """One pool per team, funded from a group total; the roster reversed gives the same payouts."""
    pool = SIMPLE.replace('"1000.00"', '"team_claims * 0.5"')
    policy = pool_policy(
        pool,
        steps="  team_claims: {aggregate: sum, of: award, by: team, type: decimal}",
        currencies="USD",
    )
    rows = [{"employee_id": f"E{n}", "claim": str(100 + n), "team": "AB"[n % 2]} for n in range(9)]
    forward = dict(
        zip([r["employee_id"] for r in rows], paid(compute(tmp_path, policy, rows)), strict=True)
    )
    backward = dict(
        zip(
            [r["employee_id"] for r in rows[::-1]],
            paid(compute(tmp_path, policy, rows[::-1])),
            strict=True,
        )
    )
    assert forward == backward
    for team in "AB":
        members = [r for r in rows if r["team"] == team]
        claims = sum(D(str(r["claim"])) for r in members)
        assert sum(forward[str(r["employee_id"])] for r in members) == claims / 2


def test_a_pool_in_usd_pays_eur_members_in_eur(tmp_path: Path) -> None:
    """A EUR member's claim enters the USD pool at the EUR→USD rate and the allocation goes
    back at the same rate (the USD→EUR quote is not its exact inverse: an unscaled claim would
    not come back whole); the rate is in the trace."""
    rates = FixedRates(
        {("EUR", "USD", "average", END): "1.10", ("USD", "EUR", "average", END): "0.90"}
    )
    rows = [
        {"employee_id": "A", "claim": "1000", "currency": "EUR"},
        {"employee_id": "B", "claim": "900", "currency": "USD"},
    ]
    policy = pool_policy(SIMPLE.replace('"1000.00"', '"1000"'))
    outs = compute(tmp_path, policy, rows, rates=rates)
    a = outs[0]
    assert isinstance(a, PolicyOutcome)
    assert a.value("team_pool_award_in") == D(1100)  # 1,000 EUR × 1.10
    # pool 1,000 over claims 1,100 + 900 = 2,000: factor 1/2 → 550 USD ÷ 1.10 = 500 EUR;
    # B 450 USD
    assert a.value("team_pool_award") == D(550)
    assert a.value("pay.bonus") == D("500.00")
    assert paid(outs)[1] == D("450.00")


def test_a_missing_pool_rate_stops_the_run_before_any_employee(tmp_path: Path) -> None:
    """With the pay currencies listed (``allowed:``), a rate the pool needs and the rates file
    lacks is one clear error naming the pool, the pair and the date."""
    policy = pool_policy(SIMPLE).replace(
        "  currency: {type: text}", "  currency: {type: text, allowed: [USD, EUR]}"
    )
    rates = FixedRates({("EUR", "USD", "average", END): "1.10"})
    with pytest.raises(OptionsError, match=r"pool 'team_pool'.*USD→EUR.*2026-12-31"):
        run(load(tmp_path, policy), [{"claim": "1"}], rates=rates)


def test_two_pools_of_the_same_award_need_member_rules(tmp_path: Path) -> None:
    """Two pools allocating the same award to every eligible employee would pay it twice: the
    policy is refused, naming both pools."""
    policy = pool_policy(SIMPLE + "  other_pool:\n" + SIMPLE.replace("    ", "    ", 1))
    with pytest.raises(PolicyError, match="allocates 'award' like pool"):
        load(tmp_path, policy)


def test_a_member_in_two_pools_of_the_same_award_is_rejected(tmp_path: Path) -> None:
    """Member rules that overlap: the employee in both is rejected with both pool names; the
    others are computed."""
    two = (
        SIMPLE
        + '    members: "grade <= 2"\n'
        + "  senior_pool:\n"
        + SIMPLE
        + '    members: "grade >= 2"\n'
    )
    rows = [
        {"employee_id": "A", "claim": "100", "grade": "1"},
        {"employee_id": "B", "claim": "100", "grade": "2"},
        {"employee_id": "C", "claim": "100", "grade": "3"},
    ]
    outs = compute(tmp_path, pool_policy(two, inputs="grade: {type: integer}"), rows)
    assert isinstance(outs[0], PolicyOutcome) and isinstance(outs[2], PolicyOutcome)
    rejected = outs[1]
    assert isinstance(rejected, Rejection)
    assert "in two pools of award 'award' (team_pool and senior_pool)" in rejected.reason


def test_unknown_names_in_a_pool_are_reported_at_its_lines(tmp_path: Path) -> None:
    """A funding formula naming an unknown step and an award that is no step: each problem
    names the pool's field and its line, with a suggestion."""
    pool = SIMPLE.replace('"1000.00"', '"awrd * 2"').replace("award: award", "award: bonsu")
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, pool_policy(pool))
    text = str(caught.value)
    assert "pools.team_pool.funding: unknown name 'awrd'" in text
    assert "pools.team_pool.award: unknown step 'bonsu'" in text
    lines = {p.field: p.line for p in caught.value.problems}
    assert lines["pools.team_pool.funding"] and lines["pools.team_pool.award"]


def test_a_funding_that_differs_within_a_group_is_a_policy_fault(tmp_path: Path) -> None:
    """The funding must be one figure per group; a formula reading each member's own claim
    stops the run (no outputs), naming the pool's line, the funding it was solved with (from
    the lowest employee_id, A) and a member that gives another."""
    policy = pool_policy(SIMPLE.replace('"1000.00"', '"claim * 2"'))
    rows = [{"employee_id": "A", "claim": "1"}, {"employee_id": "B", "claim": "2"}]
    message = r"pools\.team_pool\.funding: the funding differs .*funded with 2, B gives 4"
    with pytest.raises(PolicyError, match=message):
        run(load(tmp_path, policy), rows)
    # the same when the awards read a group total (the pool gets a pass of its own)
    shared = pool_policy(
        SIMPLE.replace('"1000.00"', '"claim * 2"').replace("award: award", "award: share_award"),
        steps="  claims: {aggregate: sum, of: award, by: team}\n"
        '  share_award: {formula: "award * 100 / claims", type: money}',
        currencies="USD",
    )
    with pytest.raises(PolicyError, match=r"funding differs between members .*B gives 4"):
        run(load(tmp_path, shared), rows)


def test_awards_that_read_a_group_total_get_a_pool_pass_of_their_own(tmp_path: Path) -> None:
    """A pool whose awards read a group total is collected after the totals, in a pass of its
    own: claims 100 × share of the team's claims (1/4 and 3/4 → 25 and 75) on a pool of 50 →
    factor 1/2: 12.50 and 37.50."""
    policy = pool_policy(
        SIMPLE.replace('"1000.00"', '"50"').replace("award: award", "award: share_award"),
        steps="  claims: {aggregate: sum, of: award, by: team}\n"
        '  share_award: {formula: "award * 100 / claims", type: money}',
        currencies="USD",
    )
    rulebook = load(tmp_path, policy)
    assert not rulebook.policies[0].pools_in_first_pass
    rows = [{"employee_id": "A", "claim": "1"}, {"employee_id": "B", "claim": "3"}]
    calc, items = run(rulebook, rows)
    assert calc.needs_pools
    assert [i.outcomes[0].value("pay.bonus") for i in items] == [D("12.50"), D("37.50")]  # type: ignore[union-attr]
    merged = load(tmp_path, pool_policy(SIMPLE))
    assert merged.policies[0].pools_in_first_pass


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_roster(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_pools_csv_and_parallel_runs_are_identical(tmp_path: Path) -> None:
    """run_job writes pools.csv and the manifest's pools; two workers give the same bytes as
    one."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pool.yaml").write_text(
        pool_policy(SIMPLE.replace('"1000.00"', '"2500"')), encoding="utf-8"
    )
    rows = [
        {
            "employee_id": f"E{n:03d}",
            "plan": "AIP",
            "currency": "USD",
            "claim": f"{n}.5",
            "team": "XY"[n % 2],
        }
        for n in range(1, 60)
    ]
    roster = _write_roster(tmp_path / "roster.csv", rows)
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        run_job(RunRequest(rules=rules, employees=roster, out=out, workers=workers))
        outs[workers] = out
        pools = _read(out / "pools.csv")
        assert [p["group"] for p in pools] == ["X", "Y"]
        for pool in pools:
            assert D(pool["allocated"]) + D(pool["unspent"]) == D(pool["pool_amount"]) == D(2500)
    for name in (*employee_files(outs[1]), "pools.csv", "manifest.json"):
        assert (outs[1] / name).read_bytes() == (outs[2] / name).read_bytes(), name


def test_a_member_rejected_after_the_pool_is_left_out_and_the_pool_refitted(tmp_path: Path) -> None:
    """A check after the pool rejects one member: the run is redone without it, so the pool is
    spent exactly over the members that are paid."""
    rules = tmp_path / "rules"
    rules.mkdir()
    policy = pool_policy(
        SIMPLE,
        steps='  checked: {formula: "team_pool_payout / divisor", type: money}',
        inputs="divisor: {type: decimal}",
        pay_step="checked",
    )
    (rules / "pool.yaml").write_text(policy, encoding="utf-8")
    rows = [
        {
            "employee_id": e,
            "plan": "AIP",
            "currency": "USD",
            "claim": "900",
            "team": "A",
            "divisor": d,
        }
        for e, d in (("E1", "1"), ("E2", "0"), ("E3", "1"))
    ]
    roster = _write_roster(tmp_path / "roster.csv", rows)
    report = run_job(RunRequest(rules=rules, employees=roster, out=tmp_path / "out"))
    assert (report.summary.computed, report.summary.rejected) == (2, 1)
    results = _read(tmp_path / "out" / "results.csv")
    assert [r["employee_id"] for r in results] == ["E1", "E3"]
    assert report.pools[0].allocated == D(1000) and report.pools[0].members == 2


def test_the_pool_pass_needs_a_rereadable_roster(tmp_path: Path) -> None:
    """Pools read the employees more than once: a one-shot iterator is refused up front."""
    from engine_helpers import employees
    from incentives.engine.calculate import calculate

    rulebook = load(tmp_path, pool_policy(SIMPLE))
    with pytest.raises(OptionsError, match="twice or more"):
        calculate(rulebook, iter(employees([{"claim": "1"}])))


def test_explain_shows_the_pool_factor_remainder_and_totals(tmp_path: Path) -> None:
    """explain: the member's pool steps and the pool's figures from the run folder."""
    from incentives.audit.explain import explain_employee

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "pool.yaml").write_text(pool_policy(SIMPLE), encoding="utf-8")
    rows = [
        {"employee_id": e, "plan": "AIP", "currency": "USD", "claim": "500", "team": "A"}
        for e in ("E1", "E2", "E3")
    ]
    roster = _write_roster(tmp_path / "roster.csv", rows)
    run_job(RunRequest(rules=rules, employees=roster, out=tmp_path / "out"))
    text = explain_employee(tmp_path / "out", "E1").text()
    assert (
        "team_pool_factor = the one factor that fits the pool's awards to the pool = 0.666667"
        in text
    )
    assert "team_pool_remainder = 0.01" in text
    assert "pool team_pool team = A: funding 1,000 → pool USD 1,000.00" in text  # funding unrounded
    assert "allocated 1,000.00, unspent 0.00" in text
    data = explain_employee(tmp_path / "out", "E1").data()
    (block,) = data["policies"][0]["pools"]
    assert block["figures"]["factor"] == "0.6666666666666666666666666667"


def test_items_are_employee_outcomes(tmp_path: Path) -> None:
    """The library API gives the same outcomes iterated directly (pools solved on the way)."""
    calc, items = run(load(tmp_path, pool_policy(SIMPLE)), [{"claim": "2000"}])
    assert isinstance(items[0], EmployeeOutcome)
    assert items[0].outcomes[0].value("pay.bonus") == D("1000.00")
    assert calc.summary.totals[("USD", "bonus", "B")] == D("1000.00")


def test_claims_below_the_pool_are_rounded_half_up(tmp_path: Path) -> None:
    """No scaling: each claim is rounded half up, like any pay (100.005 → 100.01). Claims whose
    half-up roundings would add up to more than the pool (0.335 + 0.335 + 0.325 = 0.995 → 0.34 +
    0.34 + 0.33 = 1.01 > 1.00) are rounded down and the cent left of 0.995 goes to the largest
    remainder, the lowest id on a tie: 0.34, 0.33, 0.32."""
    rows = [{"employee_id": "A", "claim": "100.005"}, {"employee_id": "B", "claim": "200"}]
    assert paid(compute(tmp_path, pool_policy(SIMPLE), rows)) == [D("100.01"), D("200.00")]
    rows = [
        {"employee_id": "A", "claim": "0.335"},
        {"employee_id": "B", "claim": "0.335"},
        {"employee_id": "C", "claim": "0.325"},
    ]
    tight = pool_policy(SIMPLE.replace('"1000.00"', '"1.00"'))
    assert paid(compute(tmp_path, tight, rows)) == [D("0.34"), D("0.33"), D("0.32")]


def test_one_pool_for_every_member_without_by(tmp_path: Path) -> None:
    """Without ``by:`` one pool takes every eligible employee, whatever their team: a funding of
    300 over claims 100, 200 and 300 (factor 1/2): 50, 100, 150."""
    pool = SIMPLE.replace("    by: team\n", "").replace('"1000.00"', '"300"')
    rows = [
        {"employee_id": "A", "claim": "100", "team": "X"},
        {"employee_id": "B", "claim": "200", "team": "Y"},
        {"employee_id": "C", "claim": "300", "team": "Z"},
    ]
    calc, items = run(load(tmp_path, pool_policy(pool)), rows)
    assert [i.outcomes[0].value("pay.bonus") for i in items] == [D(50), D(100), D(150)]  # type: ignore[union-attr]
    ((_, _, key, state),) = calc.pool_states()
    assert key is None and state.members == 3 and state.unspent == 0


def test_nobody_above_their_own_award(tmp_path: Path) -> None:
    """``cap: "team_pool_award_in"``: redistribution never lifts anyone above their own claim.
    Claims 800, 100, 100 on 1,000 with a 40 % cap: 400, 100, 100, and 400 stays unspent."""
    pool = SIMPLE + "    cap_share: 40%\n" + '    cap: "team_pool_award_in"\n'
    rows = [
        {"employee_id": "A", "claim": "800"},
        {"employee_id": "B", "claim": "100"},
        {"employee_id": "C", "claim": "100"},
    ]
    calc, items = run(load(tmp_path, pool_policy(pool)), rows)
    assert [i.outcomes[0].value("pay.bonus") for i in items] == [D(400), D(100), D(100)]  # type: ignore[union-attr]
    ((*_, state),) = calc.pool_states()
    assert state.unspent == D(400)


FUNDED = pool_policy(
    SIMPLE.replace('"1000.00"', '"fund"') + "    cap_share: 50%\n",
    inputs="fund: {type: decimal}",
)


@pytest.fixture(scope="module")
def funded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load(tmp_path_factory.mktemp("funded"), FUNDED)


@settings(max_examples=60, deadline=None)
@given(
    claims=st.lists(
        st.decimals(min_value=0, max_value=50000, places=2, allow_nan=False),
        min_size=1,
        max_size=12,
    ),
    fund=st.decimals(min_value=-100, max_value=200000, places=2, allow_nan=False),
)
def test_paid_through_the_run_a_pool_adds_up(
    funded: Any, claims: list[Decimal], fund: Decimal
) -> None:
    """Through the compiled policy and the run: what is paid never exceeds the pool, is spent to
    the cent when the claims exceed it, nobody gets more than half of it, nothing is negative,
    and the roster in reverse pays everyone the same."""
    rows = [
        {"employee_id": f"E{n:02d}", "claim": str(c), "fund": str(fund)}
        for n, c in enumerate(claims)
    ]
    calc, items = run(funded, rows)
    pay = {i.employee_id: i.outcomes[0].value("pay.bonus") for i in items}  # type: ignore[union-attr]
    ((*_, state),) = calc.pool_states()
    assert sum(pay.values()) == state.allocated <= state.amount
    assert all(0 <= amount <= state.amount / 2 for amount in pay.values())
    if state.target == state.amount:
        assert sum(pay.values()) == state.amount
    _, backwards = run(funded, rows[::-1])
    assert {i.employee_id: i.outcomes[0].value("pay.bonus") for i in backwards} == pay  # type: ignore[union-attr]
