"""`zero_reason` names the zeroing gate that made the payout zero: the one nearest the pay.

Several `zero` gates may apply to one employee: a section's gate (which removes that section
only), the scorecard's own gate (the whole score), a gate of a step reading the scorecard (the
whole step). The one evaluated last on the way to the pay is the one that zeroed it; the others
are still listed in `notes`. Of several gates of one step or one scorecard level, the first
that applied. A gate on a step the pay does not read never explains a zero payout.
"""

from __future__ import annotations

from pathlib import Path

from engine_helpers import compute, policy_yaml
from incentives.engine.calculate import PolicyOutcome
from incentives.model import Rejection

# the reviewer's card: Engineering's margin 5 % trips the section gate (the 20 % `fin`
# section) and the card gate (margin under 6 %: the whole card)
CARD = """
    results:
      rev: {threshold: 2%, target: 5%, maximum: 10%, actual: 8%, payout: [50%, 100%, 200%]}
      margin:
        by: unit
        payout: [50%, 100%, 150%]
        units:
          Sales: {threshold: 8%, target: 10%, maximum: 14%, actual: 11%}
          Engineering: {threshold: 8%, target: 10%, maximum: 14%, actual: 5%}
          Finance: {threshold: 8%, target: 10%, maximum: 14%, actual: 7%}
    scorecards:
      company:
        scope: plan
        items:
          - {name: revenue, weight: 80%, result: rev}
          - name: fin
            weight: 20%
            items:
              - {name: m, weight: 100%, result: margin}
            gates:
              - {name: margin_floor, when: "margin < margin_threshold", outcome: zero,
                 reason: "Margin below threshold: no financial payout"}
        gates:
          - {name: all_zero, when: "margin < 6%", outcome: zero,
             reason: "Company gate: margin under 6%"}
"""
SECTION = "Margin below threshold: no financial payout"
CARD_GATE = "Company gate: margin under 6%"


def _policy(steps: str) -> str:
    return policy_yaml(
        CARD + steps + "    pay:\n      - {name: annual_bonus, step: bonus, pay_code: AIP}\n",
        inputs="unit: {type: text}\nbase_salary: {type: decimal}\n",
    )


def _one(tmp_path: Path, policy: str, unit: str) -> PolicyOutcome:
    [found] = compute(tmp_path, policy, [{"unit": unit, "base_salary": "100000"}])
    assert not isinstance(found, Rejection), found
    return found


def test_the_card_gate_not_the_section_gate_is_the_zero_reason(tmp_path: Path) -> None:
    """Engineering: both gates apply; the card's zeroed the payout (the section's removed 20 %
    only): zero_reason is the card gate's, notes list both. Finance (7 %): the section gate
    alone applies, the payout is 80 % of revenue's 160 % (8 % on 2/5/10 %) × 10,000 = 12,800,
    no zero_reason."""
    policy = _policy(
        '    steps:\n      bonus: {formula: "base_salary * 10% * company", type: money}\n'
    )
    eng = _one(tmp_path, policy, "Engineering")
    assert eng.value("pay.annual_bonus") == 0
    assert eng.zero_reason == CARD_GATE
    assert eng.notes == f"{SECTION}; {CARD_GATE}"
    fin = _one(tmp_path, policy, "Finance")
    assert (fin.value("pay.annual_bonus"), fin.zero_reason, fin.notes) == (12800, "", SECTION)


def test_a_gate_of_the_step_reading_the_card_comes_after_the_card(tmp_path: Path) -> None:
    """A zero gate on the step reading the scorecard applies after the card's gates: it is the
    one that zeroed the payout (zero_reason), the card's and the section's are noted."""
    policy = _policy(
        """    steps:
      bonus:
        formula: "base_salary * 10% * company"
        type: money
        gates:
          - {name: eng, when: "unit == 'Engineering'", outcome: zero, reason: "No bonus in Engineering"}
"""
    )
    eng = _one(tmp_path, policy, "Engineering")
    assert eng.value("pay.annual_bonus") == 0
    assert eng.zero_reason == "No bonus in Engineering"
    assert set(eng.notes.split("; ")) == {SECTION, CARD_GATE, "No bonus in Engineering"}


def test_a_gate_off_the_pay_path_never_explains_a_zero(tmp_path: Path) -> None:
    """`memo` (a zero gate that applies to everyone) is not read by the pay: the card gate is
    still Engineering's zero_reason; for Sales (no other gate applies), with a bonus computed as
    zero, memo's gate does not pretend to explain it."""
    steps = """    steps:
      memo:
        formula: "base_salary"
        type: money
        gates:
          - {name: memo_gate, when: "base_salary > 0", outcome: zero, reason: "Memo zeroed"}
      bonus: {formula: "base_salary * 10% * company", type: money}
"""
    eng = _one(tmp_path, _policy(steps), "Engineering")
    assert eng.zero_reason == CARD_GATE
    zero_step = steps.replace("base_salary * 10% * company", "base_salary * 0 * company")
    sales = _one(tmp_path, _policy(zero_step), "Sales")
    assert sales.value("pay.annual_bonus") == 0
    assert sales.zero_reason == "computed as zero"


def test_of_one_steps_gates_the_first_that_applied(tmp_path: Path) -> None:
    """Two zero gates of one step both apply: the first, as written, is the zero_reason."""
    policy = _policy(
        """    steps:
      bonus:
        formula: "base_salary * 10% * company"
        type: money
        gates:
          - {name: first, when: "unit == 'Sales'", outcome: zero, reason: "First"}
          - {name: second, when: "base_salary > 0", outcome: zero, reason: "Second"}
"""
    )
    sales = _one(tmp_path, policy, "Sales")
    assert (sales.zero_reason, sales.notes) == ("First", "First; Second")
