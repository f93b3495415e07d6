"""Percentile rank within a peer group feeding a vesting curve, with the negative-TSR cap
(issue 12, §1 "percentile rank"): conventions, a value exactly on a breakpoint, ties.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine_helpers import compute, load, only_problem, run
from explain_helpers import explained
from incentives.engine.calculate import PolicyOutcome
from incentives.errors import OptionsError
from incentives.io.plan_inputs import ResultFigure
from incentives.model import Rejection
from incentives.rulebook.runtime.percentile import percentile_rank

POLICY = (Path(__file__).parent / "policies" / "valid" / "relative_tsr.yaml").read_text(
    encoding="utf-8"
)
ROW = {"plan": "PSU", "target_value": "10000"}
PEERS = [D(v) for v in ("-0.05", "0.02", "0.08", "0.12", "0.15", "0.20", "0.30", "0.40")]


def ok(out: PolicyOutcome | Rejection) -> PolicyOutcome:
    assert isinstance(out, PolicyOutcome), out
    return out


def figure(field: str, value: str, unit: str = "") -> ResultFigure:
    return ResultFigure("relative-tsr", "relative_tsr", unit, field, D(value), 2)


def test_a_tie_with_a_peer_shares_the_lower_position(tmp_path: Path) -> None:
    """TSR 12 % among 8 peers, the company included (N = 9), tied with Delta at 12 %: 3 values
    lie strictly below (−5 %, 2 %, 8 %), so the position is 3 and the rank 3 ÷ 8 = 37.5 %;
    vesting 50 % + (37.5 − 25)/25 × 50 % = 75 %; award 10,000 × 75 % = 7,500.00."""
    [out] = compute(tmp_path, POLICY, [ROW])
    assert ok(out).value("vesting") == D("0.75")
    assert ok(out).value("pay.psu_award") == D("7500.00")


@pytest.mark.parametrize(
    ("tsr", "rank", "vesting"),
    [
        ("0.13", "0.5", "1"),  # 4 below: 4/8 = 50 % exactly on the median → 100 %
        ("0.05", "0.25", "0.5"),  # 2 below: 2/8 = 25 % exactly on the threshold → 50 %
        ("0.01", "0.125", "0"),  # 1 below: 12.5 %, below the threshold → 0
        ("0.16", "0.625", "1.5"),  # 5 below: 62.5 % → 100 % + 12.5/25 × 100 % = 150 %
        ("0.25", "0.75", "2"),  # 6 below: 75 % exactly → 200 %
        ("0.50", "1", "2"),  # the top: 100 % → capped at 200 %
    ],
)
def test_vesting_at_each_rank(tmp_path: Path, tsr: str, rank: str, vesting: str) -> None:
    """Company included among the 8 peers (N = 9): rank = values strictly below ÷ 8; the
    company's TSR comes from a --results row (field rank_value)."""
    calc, items = run(load(tmp_path, POLICY), [ROW], results=[figure("rank_value", tsr)])
    record = calc.plan_values["relative-tsr"]["results"]["relative_tsr"]["*"]
    assert record["actual"] == D(rank)
    [item] = items
    assert not isinstance(item, Rejection)
    assert ok(item.outcomes[0]).value("vesting") == D(vesting)


def test_a_negative_tsr_caps_vesting_at_target(tmp_path: Path) -> None:
    """Peers from --results (the unit column names each), all worse than the company's −2 %:
    rank 8 ÷ 8 = 100 % → 200 %, but the company's own TSR is negative: capped at 100 %.
    The disclosed percentile 80 % (→ 200 %) with a TSR of −4 % is capped at 100 % too."""
    tsrs = ("-0.30", "-0.25", "-0.20", "-0.15", "-0.10", "-0.08", "-0.05", "-0.03")
    peers = [figure("peer", v, f"P{i}") for i, v in enumerate(tsrs)]
    calc, items = run(
        load(tmp_path, POLICY), [ROW], results=[*peers, figure("rank_value", "-0.02")]
    )
    record = calc.plan_values["relative-tsr"]["results"]["relative_tsr"]["*"]
    assert record["actual"] == D(1)
    assert record["uncapped_payout"] == D(2)
    [item] = items
    assert not isinstance(item, Rejection)
    assert ok(item.outcomes[0]).value("vesting") == D(1)
    assert ok(item.outcomes[0]).value("disclosed_vesting") == D(1)


def test_a_tsr_of_zero_is_not_capped(tmp_path: Path) -> None:
    """The top rank with a TSR of exactly 0 % (not negative) vests 200 %."""
    peers = [figure("peer", v, f"P{i}") for i, v in enumerate(("-0.30", "-0.20"))]
    [out] = compute(tmp_path, POLICY, [ROW], results=[*peers, figure("rank_value", "0")])
    assert ok(out).value("vesting") == D(2)


def test_conventions_by_hand() -> None:
    """8 peers (−5, 2, 8, 12, 15, 20, 30, 40 %), the company at 13 %:
    included, inclusive: 4 below of N = 9 → 4/8 = 50 %; exclusive: (4 + 1)/(9 + 1) = 50 %.
    excluded, interpolated: 13 lies a third of the way from 12 (position 3) to 15 (position 4):
    r = 3⅓; inclusive r/(8 − 1) = 10/21; exclusive (r + 1)/(8 + 1) = 13/27.
    excluded, not interpolated: r = 3 (the peer just below): inclusive 3/7.
    A tie, excluded: 12 % equals Delta (position 3): inclusive 3/7. Outside the peers: 0 and 1."""
    v = D("0.13")
    assert percentile_rank(v, PEERS)[0] == D("0.5")
    assert percentile_rank(v, PEERS, method="exclusive")[0] == D("0.5")
    ten_21 = percentile_rank(v, PEERS, company="excluded")[0]
    assert abs(ten_21 - D(10) / D(21)) < D("1e-26")
    thirteen_27 = percentile_rank(v, PEERS, company="excluded", method="exclusive")[0]
    assert abs(thirteen_27 - D(13) / D(27)) < D("1e-26")
    assert percentile_rank(v, PEERS, company="excluded", interpolate=False)[0] == D(3) / D(7)
    assert percentile_rank(D("0.12"), PEERS, company="excluded")[0] == D(3) / D(7)
    assert percentile_rank(D("-1"), PEERS, company="excluded")[0] == 0
    assert percentile_rank(D("1"), PEERS, company="excluded")[0] == 1


@given(
    st.lists(st.integers(-100, 100), min_size=2, max_size=30),
    st.integers(-120, 120),
    st.integers(-120, 120),
    st.sampled_from(["inclusive", "exclusive"]),
    st.sampled_from(["included", "excluded"]),
    st.booleans(),
)
def test_a_better_value_never_ranks_lower(
    peers: list[int], a: int, b: int, method: str, company: str, interpolate: bool
) -> None:
    """The rank lies in [0, 1] and does not fall when the company's value rises."""
    low, high = sorted((D(a), D(b)))
    values = [D(p) for p in peers]
    r_low = percentile_rank(low, values, method=method, company=company, interpolate=interpolate)[0]
    r_high = percentile_rank(high, values, method=method, company=company, interpolate=interpolate)[
        0
    ]
    assert 0 <= r_low <= r_high <= 1


def test_peers_and_an_actual_are_refused_together(tmp_path: Path) -> None:
    """A ranked result takes its actual from the ranking: a stated actual beside peers is an
    error at load, naming the peers."""
    text = POLICY.replace(
        "    rank:\n      value: 12%", "    actual: 60%\n    rank:\n      value: 12%"
    )
    problem = only_problem(tmp_path, text)
    assert problem.field == "results.relative_tsr.rank.peers"
    assert "takes its actual from the ranking" in problem.message


def test_peers_without_the_company_value_stop_the_run(tmp_path: Path) -> None:
    """Without the company's own value there is nothing to rank."""
    text = POLICY.replace("      value: 12%                  # the company's three-year TSR\n", "")
    with pytest.raises(OptionsError, match="has no value"):
        run(load(tmp_path, text), [ROW])


def test_explain_shows_the_rank_and_the_cap_from_the_record(tmp_path: Path) -> None:
    """`explain` prints the rank's arithmetic and, for the disclosed result, the cap."""
    text = explained(
        tmp_path, POLICY, "employee_id,plan,currency,target_value\nE1,PSU,USD,10000\n", "E1"
    )
    assert "percentile rank = 3 ÷ (9 − 1) = 37.5% (inclusive; 12% ranked among 8 peers" in text
    assert "negative cap: the company's value -4% is below 0: 200% capped at 100%" in text


def test_a_capped_result_is_explained_without_a_false_mismatch(tmp_path: Path) -> None:
    """The disclosed percentile 80 % reads 200 % on the curve and the negative TSR caps it at
    100 %: `explain` checks its re-evaluated curve (200 %) against the payout before the cap,
    and warns of nothing."""
    text = explained(
        tmp_path, POLICY, "employee_id,plan,currency,target_value\nE1,PSU,USD,10000\n", "E1"
    )
    assert "negative cap: the company's value -4% is below 0: 200% capped at 100%" in text
    assert "WARNING" not in text and "differs from the recorded" not in text


def test_an_actual_in_the_results_file_beside_peers_stops_the_run(tmp_path: Path) -> None:
    """A --results actual for a result ranked among peers would be ignored: the run says so."""
    said = r"results line 2: result 'relative_tsr' is ranked among its peers and takes its actual"
    with pytest.raises(OptionsError, match=said):
        run(load(tmp_path, POLICY), [ROW], results=[figure("actual", "0.6")])
