"""Numbers and dates are written with the digits 0-9 only: Python's Decimal and int would read
'١٠٠' (Arabic-Indic) or '１０' (full width) as 100 and 10, silently paying on a value nobody typed
as such. Every reader refuses them with one clear message."""

from __future__ import annotations

import pytest

from conftest import invoke
from engine_helpers import policy_yaml
from incentives.engine.convert import FALL_BACK, fast_converter
from incentives.rulebook.language.fields import FieldDef, make_converter
from incentives.rulebook.language.values import parse_iso_date, parse_number

OTHER_DIGITS = ["١٠٠", "１０", "٣", "1٠", "۲۵%", "१२"]


@pytest.mark.parametrize("kind", ["decimal", "percent", "integer"])
@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_roster_numbers_refuse_other_digits(kind: str, text: str) -> None:
    field = FieldDef("x", kind, None, make_converter(kind))
    with pytest.raises(FALL_BACK):  # the fast path leaves it to the field's converter...
        fast_converter([field])({"x": text})
    with pytest.raises(ValueError, match="use the digits 0-9"):  # ...which refuses it
        field.convert(text)


def test_roster_dates_refuse_other_digits() -> None:
    field = FieldDef("d", "date", None, make_converter("date"))
    text = "٢٠٢٦-٠١-٠١"
    with pytest.raises(FALL_BACK):
        fast_converter([field])({"d": text})
    with pytest.raises(ValueError, match="is not a date: use the digits 0-9"):
        field.convert(text)
    with pytest.raises(ValueError, match="is not a date: use the digits 0-9"):
        parse_iso_date("２０２６-０１-０１")


@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_policy_numbers_refuse_other_digits(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number: use the digits 0-9"):
        parse_number(text)


def test_a_run_rejects_the_row_and_a_rates_file_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    body = """
    steps:
      bonus: {formula: "salary * 10%", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
    (rules / "p.yaml").write_text(policy_yaml(body, inputs="salary: {type: decimal}\n"))
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id,plan,currency,salary\nE1,AIP,USD,١٠٠\nE2,AIP,USD,100\n")
    run = invoke("run", "--rules", rules, "--employees", roster, "--out", tmp_path / "out")
    assert run.exit_code == 3, run.output
    rejected = (tmp_path / "out" / "rejected.csv").read_text(encoding="utf-8")
    assert "'١٠٠' is not a number: use the digits 0-9" in rejected
    rates = tmp_path / "rates.csv"
    rates.write_text("date,from,to,rate_type,rate\n2026-06-30,USD,EUR,average,０.9\n")
    run = invoke(
        "run", "--rules", rules, "--employees", roster, "--rates", rates,
        "--out", tmp_path / "out2",
    )  # fmt: skip
    assert run.exit_code == 1, run.output
    assert "'０.9' is not a number: use the digits 0-9" in run.output
    assert "Traceback" not in run.output


def test_a_goal_figure_in_other_digits_rejects_the_row_saying_why() -> None:
    from incentives.errors import RowError
    from incentives.model import GoalInput
    from incentives.rulebook.runtime.scorecard import _number

    goal = GoalInput("margin", "١٠", "5", "50%", column_prefix="goal1_")
    with pytest.raises(RowError, match="target '١٠' is not a number: use the digits 0-9"):
        _number(goal, "target", goal.target)
