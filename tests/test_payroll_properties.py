"""Properties of payroll exports over generated runs: whatever the roster, the lines of the
generic export sum, per pay code and currency, to the run's manifest totals, and each amount
is written in its currency's minor unit (JPY 0 decimals, KWD and BHD 3)."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from engine_helpers import policy_yaml
from incentives.jobs import RunRequest, run_job
from incentives.money import CURRENCY_MINOR_UNITS
from incentives.payroll import export
from payroll_helpers import line_sums, read_lines
from strategies import payroll_rosters

POLICY = policy_yaml(
    """
    eligibility:
      - name: is_active
        rule: "active"
        reason: "Not active"
    steps:
      award: {formula: "salary * rate", type: money}
    pay:
      - name: bonus
        step: award
        pay_code: BON
        round: {step: minor_unit, mode: half_up}
        split:
          - {name: bonus_deferred, pay_code: DEF, share: 33.33%}
    """,
    inputs="""
    salary: {type: decimal}
    rate: {type: percent}
    active: {type: boolean}
    """,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=payroll_rosters())
def test_exported_lines_per_pay_code_sum_to_the_run_totals(
    tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    """For any run, the generic export's lines per pay code and currency sum to the
    manifest's totals, every line is payable (non-zero, eligible), and every amount has
    exactly its currency's minor-unit decimals."""
    work = tmp_path / "example"
    shutil.rmtree(work, ignore_errors=True)
    (work / "rules").mkdir(parents=True)
    (work / "rules" / "bonus.yaml").write_text(POLICY, encoding="utf-8")
    roster = work / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(
            f,
            fieldnames=["employee_id", "plan", "currency", "salary", "rate", "active"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)
    run_job(RunRequest(rules=work / "rules", employees=roster, out=work / "run"))
    export(work / "run", "generic", work / "pay.csv")
    lines = read_lines(work / "pay.csv")
    manifest = json.loads((work / "run" / "manifest.json").read_text(encoding="utf-8"))
    totals = {(t["pay_code"], t["currency"]): Decimal(t["amount"]) for t in manifest["totals"]}
    assert line_sums(lines) == {key: amount for key, amount in totals.items() if amount}
    inactive = {r["employee_id"] for r in rows if r["active"] == "false"}
    for line in lines:
        assert line["employee_id"] not in inactive
        assert Decimal(line["amount"]) != 0
        places = CURRENCY_MINOR_UNITS[line["currency"]]
        assert len(line["amount"].partition(".")[2]) == places, line
