"""Build a policy from YAML text and compute employees given as plain dicts.

    outs = compute(tmp_path, POLICY, [{"employee_id": "1", "salary": "1000", ...}])
    outs[0].value("bonus")            # a PolicyOutcome, or a Rejection

Policies are written with `policy_yaml(...)`, which supplies a standard header (a 2026 calendar
period, population everyone in plan ``AIP``) so a test only writes the parts it exercises.
"""

from __future__ import annotations

import datetime
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from incentives.engine.calculate import Calculation, EmployeeOutcome, PolicyOutcome, calculate
from incentives.errors import PolicyError, Problem
from incentives.model import EmployeeInput, GoalInput, Rejection, RowSource
from incentives.rulebook.rulebook import Rulebook, load_rules

__all__ = [
    "HEADER",
    "REJECTED_IN_GROUP",
    "FixedRates",
    "compute",
    "employees",
    "load",
    "outcome",
    "policy_yaml",
    "run",
]

HEADER = """\
policy:
  id: {policy_id}
  title: Test policy
  version: "1"
  kind: {kind}
  effective: {{from: {start}, to: {end}}}
  performance_period: {{start: {start}, end: {end}}}
  payout_date: {payout}
  population: "{population}"
  currency: currency
"""

BASE_INPUTS = """\
  employee_id: {type: text}
  plan: {type: text}
  currency: {type: text}
"""


def policy_yaml(
    body: str,
    *,
    policy_id: str = "test-policy",
    kind: str = "bonus",
    start: str = "2026-01-01",
    end: str = "2026-12-31",
    payout: str = "2027-03-15",
    population: str = "plan == 'AIP'",
    inputs: str = "",
    currencies: str | None = None,
) -> str:
    """A policy file: the standard header, ``inputs:`` (id, plan, currency + ``inputs``), ``body``.

    ``currencies`` (``"USD"``) lists the currency input's ``allowed:`` codes: a policy that adds
    up pay-currency money across employees must say they share one currency.

    ``inputs`` and ``body`` are dedented; ``inputs`` lines go under ``inputs:`` (indented by the
    helper), ``body`` holds the other top-level sections.
    """
    head = HEADER.format(
        policy_id=policy_id, kind=kind, start=start, end=end, payout=payout, population=population
    )
    extra = textwrap.indent(textwrap.dedent(inputs).strip("\n"), "  ")
    base = BASE_INPUTS
    if currencies is not None:
        base = base.replace(
            "currency: {type: text}", f"currency: {{type: text, allowed: [{currencies}]}}"
        )
    return head + "inputs:\n" + base + (extra + "\n" if extra else "") + textwrap.dedent(body)


def load(tmp_path: Path, *policies: str) -> Rulebook:
    """Write each policy text to its own file in a fresh folder and load the folder."""
    index = 0
    while (tmp_path / f"rules{index}").exists():
        index += 1
    folder = tmp_path / f"rules{index}"
    folder.mkdir(parents=True)
    for index, text in enumerate(policies):
        (folder / f"policy_{index}.yaml").write_text(text, encoding="utf-8")
    return load_rules(folder)


def problems_of(tmp_path: Path, text: str) -> list[Problem]:
    """The problems loading the policy ``text`` reports (it must fail to load)."""
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, text)
    return list(caught.value.problems)


def only_problem(tmp_path: Path, text: str) -> Problem:
    """The single problem loading the policy ``text`` reports."""
    found = problems_of(tmp_path, text)
    assert len(found) == 1, "\n".join(str(p) for p in found)
    return found[0]


def employees(
    rows: Iterable[Mapping[str, object]],
    goals: Mapping[str, Sequence[GoalInput]] | None = None,
) -> list[EmployeeInput]:
    """Employee inputs from cell dicts; ``plan`` defaults to AIP and ``currency`` to USD.

    ``goals`` maps an employee id to its goals. Record n is line n + 1, as in a CSV file.
    """
    found: list[EmployeeInput] = []
    for record, row in enumerate(rows, 1):
        cells: dict[str, object] = {"plan": "AIP", "currency": "USD", **row}
        emp_id = str(cells.get("employee_id", f"E{record:03d}"))
        cells["employee_id"] = emp_id
        emp_goals = tuple((goals or {}).get(emp_id, ()))
        found.append(
            EmployeeInput(emp_id, cells, RowSource("roster.csv", record, record + 1), emp_goals)
        )
    return found


def run(
    rulebook: Rulebook,
    rows: Iterable[Mapping[str, object]],
    *,
    goals: Mapping[str, Sequence[GoalInput]] | None = None,
    results: Iterable[Any] = (),
    rates: Any = None,
    as_of: datetime.date | None = None,
) -> tuple[Calculation, list[EmployeeOutcome | Rejection]]:
    """Compute ``rows`` under ``rulebook``; the calculation (for summary, plan values) and items."""
    calc = calculate(rulebook, employees(rows, goals), results=results, rates=rates, as_of=as_of)
    return calc, list(calc)


def outcome(item: EmployeeOutcome | Rejection) -> PolicyOutcome | Rejection:
    """The single policy outcome of an employee, or the rejection as it is."""
    if isinstance(item, Rejection):
        return item
    assert len(item.outcomes) == 1, item.outcomes
    return item.outcomes[0]


def compute(
    tmp_path: Path,
    policy: str | Sequence[str],
    rows: Iterable[Mapping[str, object]],
    *,
    goals: Mapping[str, Sequence[GoalInput]] | None = None,
    results: Iterable[Any] = (),
    rates: Any = None,
    as_of: datetime.date | None = None,
) -> list[PolicyOutcome | Rejection]:
    """Load ``policy`` (one text or several) and compute ``rows``: one outcome or rejection each."""
    texts = [policy] if isinstance(policy, str) else list(policy)
    rulebook = load(tmp_path, *texts)
    _, items = run(rulebook, rows, goals=goals, results=results, rates=rates, as_of=as_of)
    return [outcome(item) for item in items]


class FixedRates:
    """A rate source from a dict ``{(from, to, rate_type, date): rate}``; records each lookup."""

    def __init__(self, rates: Mapping[tuple[str, str, str, datetime.date], str | Decimal]) -> None:
        self.rates = {key: Decimal(value) for key, value in rates.items()}
        self.asked: list[tuple[str, str, str, datetime.date]] = []

    def rate(self, from_ccy: str, to_ccy: str, rate_type: str, on: datetime.date) -> Decimal:
        from incentives.io.plan_inputs import MissingRate

        self.asked.append((from_ccy, to_ccy, rate_type, on))
        key = (from_ccy, to_ccy, rate_type, on)
        if key not in self.rates:
            pair = f"{from_ccy}→{to_ccy}"
            raise MissingRate(
                f"no {rate_type} rate {pair} on {on.isoformat()}", f"{pair} {on.isoformat()}"
            )
        return self.rates[key]


# Targets 100 and 300 in one group; a row with divisor 0 fails in a step the total does not read.
REJECTED_IN_GROUP = policy_yaml(
    """
    steps:
      target: {formula: "salary * 10%", type: money}
      total: {aggregate: sum, of: target}
      share: "target / total"
      check: "1 / divisor"
      bonus: {formula: "1000 * share * check", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """,
    inputs="""
    salary: {type: decimal}
    divisor: {type: decimal}
    """,
    currencies="USD",
)
