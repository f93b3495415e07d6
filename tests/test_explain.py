"""`incentives explain`: derivations rebuilt from a run folder alone (fixtures/EXPECTED.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CliRun
from incentives.audit.explain import Explanation, explain_employee
from incentives.audit.formula_text import call_parts, render, split_args
from incentives.cli import cli
from incentives.errors import OptionsError
from incentives.jobs import RunRequest, run_job

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="module")
def run_dir(sample_run: CliRun) -> Path:
    """The bundled sample's run folder (shared by the session: read only)."""
    assert sample_run.out is not None
    return sample_run.out


@pytest.fixture(scope="module")
def bad_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("explain-bad") / "run"
    run_job(
        RunRequest(
            rules=RULES,
            employees=FIXTURES / "bad" / "bad_rows.csv",
            rates=FIXTURES / "rates.csv",
            out=out,
        )
    )
    return out


def _text(run_dir: Path, employee_id: str) -> str:
    return explain_employee(run_dir, employee_id).text()


def _line_of(text: str) -> str:
    """``<policy file>:N`` for the first line of the policy file that is ``text`` (stripped)."""
    path = RULES / "annual_bonus.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.strip() == text)
    return f"{path}:{number}"


# -- steps


def test_target_bonus_substitution_line(run_dir: Path) -> None:
    """00002: each name of the formula is replaced by its value, with the step's file:line.

    55,000 × 1 = 55,000.00 salary base; the full-year target (weighted by segments, one segment
    without history) 55,000 × 1 × 6 % = 3,300.00; full year → 100 %; 3,300.00 × 100 % = 3,300.00.
    """
    text = _text(run_dir, "00002")
    where = _line_of("target_bonus:")
    assert (
        f"target_bonus = full_year_target × proration = 3,300.00 × 100% = 3,300.00  [{where}]"
    ) in text
    full_year = next(line for line in text.splitlines() if "full_year_target = " in line)
    assert full_year.strip().startswith(
        "full_year_target = base_salary × fte × target_pct(level) = 55,000 × 1 × "
    )
    assert full_year.endswith(f"= 3,300.00  [{_line_of('full_year_target:')}]")
    assert "salary_base = base_salary × fte = 55,000 × 1 = 55,000.00" in text


def test_table_call_is_re_evaluated_under_its_step(run_dir: Path) -> None:
    """00002: target_pct(level) is rebuilt from rulebook.json and shown with the key it matched (level 2 → 6 %)."""
    text = _text(run_dir, "00002")
    assert "target_percent = target_pct(level) = 6%" in text
    assert "target_pct(level=2) = 6%" in text
    assert "rating_multiplier(rating=4) = 120%" in text
    assert "MISMATCH" not in text


def test_header_shows_policy_reference_period_and_payout_date(run_dir: Path) -> None:
    """The header names the policy (title, id, version, file), its reference, period and payout date."""
    text = _text(run_dir, "00002")
    assert (
        f"Annual Incentive Plan 2026 — policy annual-bonus-2026 version 2026.1 ({RULES / 'annual_bonus.yaml'})"
        in text
    )
    assert "reference: HR-POL-204 Annual Incentive Plan, sections 3 to 5" in text
    assert (
        "performance period 2026-01-01 to 2026-12-31; payout date 2027-03-15; paid in USD" in text
    )
    assert "rating = 4 (Exceeds)" in text


# -- goal scorecards


def test_goal_between_threshold_and_target_shows_the_interpolation(run_dir: Path) -> None:
    """00002 goal 3: 92 ÷ 100 = 92 %, between 80 % (pays 50 %) and 95 % (pays 100 %):
    50 % + (92 − 80) ÷ (95 − 80) × (100 − 50) % = 50 % + 0.8 × 50 % = 90 %; weighted 20 % × 90 % = 18 %.
    """
    text = _text(run_dir, "00002")
    assert "goal 3 'Project delivery' (higher is better, weight 20%): target 100, actual 92" in text
    assert "attainment = actual ÷ target = 92 ÷ 100 = 92%" in text
    assert "goal_payout(92%) = 50% + (92% − 80%) ÷ (95% − 80%) × (100% − 50%) = 90%" in text
    assert "weighted: 20% × 90% = 18%" in text
    # 50 % × 120 % + 30 % × 100 % + 20 % × 90 % = 60 % + 30 % + 18 % = 108 %
    assert "individual = 60% + 30% + 18% = 108%" in text


def test_goal_in_the_flat_band(run_dir: Path) -> None:
    """00014: goals at 102 % and 98 % are inside the 95 %..105 % band and pay 100 %."""
    text = _text(run_dir, "00014")
    assert "goal_payout(102%) = 100% (flat between 95% and 105%)" in text
    assert "goal_payout(98%) = 100% (flat between 95% and 105%)" in text


def test_goal_above_the_maximum_is_capped(run_dir: Path) -> None:
    """00017 goal 1: 1,920,000 ÷ 1,200,000 = 160 % > 150 %: capped at 200 %; exactly 150 % pays 200 %."""
    text = _text(run_dir, "00017")
    assert "attainment = actual ÷ target = 1,920,000 ÷ 1,200,000 = 160%" in text
    assert "goal_payout(160%) = 200% (capped at the maximum, reached at 150%)" in text
    assert "goal_payout(150%) = 200% (at the maximum 150%)" in text


def test_lower_is_better_goal_uses_the_mirrored_attainment(run_dir: Path) -> None:
    """00018: days to close 8.6 against 10, lower is better: 1 − (8.6 − 10) ÷ 10 = 114 % →
    100 % + (114 − 105) ÷ (150 − 105) × 100 % = 120 %."""
    text = _text(run_dir, "00018")
    assert "attainment = 1 − (actual − target) ÷ |target| = 1 − (8.6 − 10) ÷ |10| = 114%" in text
    assert "goal_payout(114%) = 100% + (114% − 105%) ÷ (150% − 105%) × (200% − 100%) = 120%" in text


def test_step_cap_is_shown_from_raw_to_capped(run_dir: Path) -> None:
    """00017: 25,000.00 × 302.5628 % = 75,640.6875 (at the breakdown's 6 decimals), capped at
    bonus_cap = min(25,000.00 × 2, 250,000.00) = 50,000.00."""
    text = _text(run_dir, "00017")
    assert (
        "bonus_cap = min(target_bonus × max_multiple, absolute_cap) = min(25,000.00 × 2, 250,000.00) = 50,000.00"
        in text
    )
    assert "cap bonus_cap = 50,000.00: 75,640.6875 → 50,000.00" in text


# -- plan results and scorecards


def test_plan_scorecard_for_the_unit_with_override_and_section_gate(run_dir: Path) -> None:
    """00003 (Finance): margin 9 % < 10 % target caps the financial section: 70 % × 124 % + 30 % × 75 %
    = 109.3 % → 100 %; safety computed 87.5 % but overridden to 50 %; score 75 % × 100 % + 25 % × 50 % = 87.5 %."""
    text = _text(run_dir, "00003")
    assert (
        "revenue_growth(6.2%) = 100% + (6.2% − 5%) ÷ (10% − 5%) × (200% − 100%) = 124%"  # as written
        in text
    )
    assert 'override: computed payout 87.5% replaced by 50% — "Fatal incident at Plant 3' in text
    assert "Plan scorecard company for Finance" in text
    assert "financial (weight 75%): 70% × 124% + 30% × 75% = 109.3%" in text
    assert 'applied, cap 100%: 109.3% → 100% — "Unit operating margin below target' in text
    assert "company = 75% × 100% + 25% × 50% = 87.5%" in text


def test_group_total_read_by_an_aggregate_step(run_dir: Path) -> None:
    """00002: unit_target_total_usd is the Engineering total 275,931.22 (EXPECTED.md, unit totals)."""
    text = _text(run_dir, "00002")
    assert (
        "unit_target_total_usd = sum of target_bonus_usd over the eligible employees with unit = Engineering = 275,931.22"
        in text
    )


# -- eligibility and gates


def test_ineligible_employee_shows_the_failed_rule_and_no_steps(run_dir: Path) -> None:
    """00024, hired 2026-10-02: minimum_tenure fails with its reason; no step of the bonus is
    evaluated; pay 0 (the merit and promotion blocks follow the bonus block)."""
    text = _text(run_dir, "00024").split("Merit Increase Policy 2027")[0]
    assert (
        "minimum_tenure: NO — hire_date <= date('2026-10-01')  (here: 2026-10-02 ≤ date('2026-10-01'))"
        in text
    )
    assert 'not eligible: "Hired after 1 October 2026"' in text
    assert "no step was evaluated" in text
    assert "Steps (in evaluation order)" not in text
    assert "annual_bonus (AIP) = 0.00 − 0.00 = 0.00" in text


def test_company_gate_zeroes_the_company_factor_with_its_reason(run_dir: Path) -> None:
    """00034 (Operations): margin 5 % < 6 % threshold: company factor 77.6 % → 0 %, and that is the zero reason."""
    text = _text(run_dir, "00034")
    assert (
        "gate unit_margin_below_threshold (operating_margin < operating_margin_threshold; here 5% < 6%): "
        'applied, zero: 77.6% → 0% — "Unit operating margin below threshold: no company factor"'
    ) in text
    assert 'zero: "Unit operating margin below threshold: no company factor"' in text


def test_floor_lifts_a_negative_bonus(run_dir: Path) -> None:
    """00035: 7,600.00 × 0 % + (−380.00) = −380.00, floored at 0."""
    text = _text(run_dir, "00035")
    assert "= 7,600.00 × 0% + (−380.00) = -380.00" in text
    assert "floor 0.00: -380.00 → 0.00" in text


def test_rating_gate_applies_with_its_reason(run_dir: Path) -> None:
    """00009 (Does Not Meet, rating value 1): the bonus gate applies (1 = 1) with its reason."""
    text = _text(run_dir, "00009")
    assert "gate no_bonus_at_does_not_meet (rating = 1; here 1 = 1): applied, zero:" in text
    assert '"No bonus with an overall rating of Does Not Meet"' in text


# -- pay and fx


def test_split_into_the_excess_component(run_dir: Path) -> None:
    """00031: the pay component rounds the department pool payout. Engineering's pool is not
    scaled (over-funded): the individual award 13,899.8772 is rounded half up to 13,899.88 (no
    remainder cent in an unscaled pool), in USD both ways; limit round(8,300.00 × 150%) =
    12,450.00; excess 13,899.88 − 12,450.00 = 1,449.88; AIP keeps 12,450.00."""
    text = _text(run_dir, "00031")
    assert (
        "department_pool_award = department_pool_scaled rounded to 0.01 (down when the pool is"
        " spent exactly, else half up) + department_pool_remainder = 13,899.8772 → 13,899.88"
    ) in text
    assert (
        "annual_bonus total = round(department_pool_payout = 13,899.88, to 0.01 half_up) = 13,899.88"
    ) in text
    assert (
        "annual_bonus_excess (AIPX) = the part above round(target_bonus × excess_above) = "
        "round(8,300.00 × 150%) = 12,450.00: max(0, 13,899.88 − 12,450.00) = 1,449.88"
    ) in text
    assert "annual_bonus (AIP) = 13,899.88 − 1,449.88 = 12,450.00" in text


def test_fx_rate_used_is_shown(run_dir: Path) -> None:
    """00052 (GBP): 10,523.84 × 1.2739 = 13,406.319776 USD; the cap 250,000 × 0.785 = 196,250.00 GBP."""
    text = _text(run_dir, "00052")
    assert (
        "fx(10,523.84 GBP → USD) = 10,523.84 × 1.2739 (average rate GBP→USD on 2026-12-31) = 13,406.319776"
        in text
    )
    assert (
        "fx(250,000.00 USD → GBP) = 250,000.00 × 0.785 (average rate USD→GBP on 2026-12-31) = 196,250.00"
        in text
    )
    assert "Pay (GBP)" in text


# -- data() and text() agree


def test_json_has_the_same_steps_as_the_text(run_dir: Path) -> None:
    """data() is JSON-able and holds every step of the text, in the same order, with its derivation."""
    explanation = explain_employee(run_dir, "00031")
    data = json.loads(json.dumps(explanation.data()))
    text = explanation.text()
    (policy,) = (p for p in data["policies"] if p["kind"] == "bonus")
    names = [step["name"] for step in policy["steps"]]
    assert names[:3] == ["individual", "salary_base", "proration"]
    assert "bonus" in names and "bonus_pct_of_target" in names
    positions = [
        text.index(f"  {step['derivation']}  [{step['where']}]") for step in policy["steps"]
    ]
    assert positions == sorted(positions)
    target = next(step for step in policy["steps"] if step["name"] == "target_bonus")
    assert target["substituted"] == "8,300.00 × 100%"  # full_year_target × proration
    assert target["value"] == "8,300.00"
    assert policy["pay"]["components"][0]["parts"][0]["amount"] == "1,449.88"
    assert policy["warnings"] == []


# -- errors


def test_unknown_id_suggests_the_id_with_leading_zeros(run_dir: Path) -> None:
    """'17' is not an id of the run, but 00017 is: the error suggests it."""
    with pytest.raises(OptionsError, match="did you mean 00017"):
        explain_employee(run_dir, "17")


def test_unknown_id_without_any_close_match(run_dir: Path) -> None:
    """An id that resembles nothing says it is not in the run, with the count of employees."""
    with pytest.raises(OptionsError, match=r"'nobody' is not in the run .*52 employee"):
        explain_employee(run_dir, "nobody")


def test_rejected_id_says_why(bad_run_dir: Path) -> None:
    """10004 of bad_rows.csv was rejected (level 'four' is not an integer): the error says so."""
    with pytest.raises(OptionsError) as caught:
        explain_employee(bad_run_dir, "10004")
    message = str(caught.value)
    assert "was rejected" in message
    assert "column level" in message and "'four'" in message


def test_missing_run_file_is_named(run_dir: Path, tmp_path: Path) -> None:
    """A run folder without manifest.json: the error names the file."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(OptionsError, match=r"manifest\.json: the file is missing"):
        explain_employee(copy, "00002")


def test_corrupt_run_file_is_named(run_dir: Path, tmp_path: Path) -> None:
    """A truncated rulebook.json: the error names the file and says it is not valid JSON."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "rulebook.json").write_text('{"policies": [', encoding="utf-8")
    with pytest.raises(OptionsError, match=r"rulebook\.json: the file is not valid JSON"):
        explain_employee(copy, "00002")


def test_changed_table_is_reported_loudly(run_dir: Path, tmp_path: Path) -> None:
    """rulebook.json edited after the run (level 2 → 7 % instead of 6 %): the re-evaluated lookup
    disagrees with the recorded 6 %, and the explanation says so."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    data = json.loads((copy / "rulebook.json").read_text(encoding="utf-8"))
    data["policies"][0]["spec"]["tables"]["target_pct"]["values"][1] = "0.07"
    (copy / "rulebook.json").write_text(json.dumps(data), encoding="utf-8")
    explanation = explain_employee(copy, "00002")
    assert (
        "!! MISMATCH: target_pct in rulebook.json gives 7%, the run recorded 6%"
        in explanation.text()
    )
    assert any("MISMATCH" in w for w in explanation.data()["policies"][0]["warnings"])


# -- the command line


def test_cli_explain_text_and_json(run_dir: Path) -> None:
    """`incentives explain ID --run DIR` prints the derivation (exit 0); --format json parses."""
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", "00031", "--run", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (
        "target_bonus = full_year_target × proration = 8,300.00 × 100% = 8,300.00" in result.stdout
    )
    result = runner.invoke(cli, ["explain", "00031", "--run", str(run_dir), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["employee_id"] == "00031"
    assert data["policies"][0]["pay"]["components"][0]["amount"] == "12,450.00"


def test_cli_unknown_id_exits_1_with_the_suggestion(run_dir: Path) -> None:
    """An unknown id is a domain error: exit 1, the suggestion on stderr, nothing on stdout."""
    result = CliRunner().invoke(cli, ["explain", "17", "--run", str(run_dir)])
    assert result.exit_code == 1
    assert "did you mean 00017" in result.stderr
    assert result.stdout == ""


# -- formula text


def test_render_replaces_names_and_operators_but_not_quoted_text() -> None:
    """Names become values, * / - <= become × ÷ − ≤, quoted text and literals stay as written."""
    values = {"a": "1,000.00", "b": "15%"}
    text = render(
        "a * b / 2 - a <= 'x*y' and t(a, 'q')",
        values.get,
        lambda c, a: "7%" if (c, a) == ("t", "a, 'q'") else None,
    )
    assert text == "1,000.00 × 15% ÷ 2 − 1,000.00 ≤ 'x*y' and 7%"


def test_call_names_split_at_top_level_commas() -> None:
    """A call slot's name gives its owner, callee and argument texts."""
    assert call_parts("cap: fx(min(a, b), 'USD', c)") == ("cap", "fx", ["min(a, b)", "'USD'", "c"])
    assert split_args("") == []
    assert isinstance(Explanation({}), Explanation)


def test_variant_says_which_applied_and_why(tmp_path: Path) -> None:
    """rating_factor rewritten as variants (level ≥ 7: the rating table; otherwise 1): 00038
    (level 7) takes variant 1 because 7 ≥ 7; 00002 (level 2) takes variant 2, and the table call of
    the variant not taken is not shown."""
    text = (RULES / "annual_bonus.yaml").read_text(encoding="utf-8")
    old = '  rating_factor:\n    formula: "rating_multiplier(rating)"\n'
    assert old in text
    new = (
        "  rating_factor:\n    variants:\n"
        '      - {when: "level >= 7", formula: "rating_multiplier(rating)"}\n'
        '      - formula: "1"\n'
    )
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "annual_bonus.yaml").write_text(text.replace(old, new), encoding="utf-8")
    out = tmp_path / "run"
    run_job(
        RunRequest(
            rules=rules,
            employees=FIXTURES / "employees.csv",
            rates=FIXTURES / "rates.csv",
            out=out,
        )
    )
    senior = _text(out, "00038")
    assert "rating_factor = rating_multiplier(rating) = 150%" in senior
    assert "variant 1 of 2 applied: its condition level >= 7 holds (7 ≥ 7)" in senior
    junior = _text(out, "00002")
    assert "rating_factor = 1 = 100%" in junior
    assert (
        "variant 2 of 2 applied: none of the conditions above it held; level >= 7 is false (2 ≥ 7)"
        in junior
    )
    assert "rating_multiplier(rating) = (missing)" not in junior
