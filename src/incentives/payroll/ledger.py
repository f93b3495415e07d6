"""What payroll has received, and the lines that bring it to what a run pays.

An export's control file keeps a ledger: per employee, policy and component, the pay code,
currency and amount payroll holds after that export. A correction (``--since``) compares the
run with that ledger, never with a run payroll did not get, and writes only the offsetting
lines: one delta line, or a reversal of what was sent and the new line, as the layout says.
A negative line is written as it is, under the layout's recovery code, or withheld and
reported (payroll recovers it by hand; the ledger keeps what payroll still holds).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from incentives.errors import OptionsError
from incentives.payroll.layout import Layout
from incentives.payroll.lines import PayLine, PolicyInfo

__all__ = [
    "Held",
    "OutLine",
    "check_pay_codes",
    "held_from",
    "ledger_rows",
    "offsetting_lines",
    "payable",
]

Key = tuple[str, str, str]  # employee, policy, component


@attrs.frozen
class Held:
    """What payroll holds for one key after an export."""

    pay_code: str
    currency: str
    amount: Decimal


@attrs.frozen
class OutLine:
    """A line to write: a pay line with the amount this export sends (signed) and its type."""

    line: PayLine
    amount: Decimal  # signed: what payroll's position moves by
    line_type: str  # payment, reversal or correction
    pay_code: str  # as written: the recovery code for a negative line under rule: recovery

    def record(self) -> dict[str, str]:
        """The line as the control file lists it (a withheld line)."""
        return {
            "employee_id": self.line.employee_id,
            "policy": self.line.policy.id,
            "component": self.line.component,
            "pay_code": self.line.pay_code,
            "currency": self.line.currency,
            "amount": f"{self.amount:f}",
        }

    @property
    def written_amount(self) -> Decimal:
        """The amount as the file writes it: a recovery line is positive, under its own code."""
        return -self.amount if self.pay_code != self.line.pay_code else self.amount


def selected(layout: Layout, pay_code: str) -> bool:
    lines = layout.spec.lines
    chosen = lines.pay_codes == "all" or pay_code in lines.pay_codes
    return chosen and pay_code not in lines.except_pay_codes


def check_pay_codes(layout: Layout, lines: Iterable[PayLine]) -> None:
    """A pay code the layout lists that the run does not have is a typo, not an empty
    selection: ``pay_codes: [AIPP]`` would export nothing and still reconcile. A code it
    excludes may be absent (a shipped layout excludes MERIT from runs without merit), unless
    it is one letter away from a code the run has and does not exclude."""
    known = {ln.pay_code for ln in lines}
    spec = layout.spec.lines
    listed = [] if spec.pay_codes == "all" else spec.pay_codes
    for key, codes in (("pay_codes", listed), ("except_pay_codes", spec.except_pay_codes)):
        for i, code in enumerate(codes):
            if code in known:
                continue
            others = sorted(known - set(spec.except_pay_codes))
            close = difflib.get_close_matches(code, others, n=1, cutoff=0.6)
            if key == "pay_codes" or close:
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise OptionsError(
                    f"{layout.line_of('lines', key, i)}: pay code '{code}' is not one of the "
                    f"run's ({', '.join(sorted(known))}){hint}"
                )


def payable(layout: Layout, lines: Iterable[PayLine]) -> list[PayLine]:
    """The lines payroll pays: eligible, non-zero, of a pay code the layout carries."""
    return [ln for ln in lines if ln.eligible and ln.amount != 0 and selected(layout, ln.pay_code)]


def offsetting_lines(
    layout: Layout,
    current: Sequence[PayLine],
    held: Mapping[Key, Held],
    lines: Mapping[Key, PayLine],
    policies: Mapping[str, PolicyInfo],
) -> list[OutLine]:
    """The lines that move payroll from ``held`` to ``current`` (the payable lines), in the
    run's order, then the keys payroll holds that the run no longer pays, reversed with the
    run's line for them (``lines``: every line of the run), or for an employee no longer in
    the run a line made from the ledger and the policy (``policies``)."""
    out: list[OutLine] = []
    now = {ln.key: ln for ln in current}
    for key in [*now, *(k for k in held if k not in now)]:
        new = now.get(key)
        old = held.get(key)
        if old is None:
            assert new is not None
            out.append(OutLine(new, new.amount, "payment", new.pay_code))
            continue
        if new is not None and (old.currency, old.pay_code) == (new.currency, new.pay_code):
            if old.amount == new.amount:
                continue
            if layout.spec.corrections == "delta":
                out.append(OutLine(new, new.amount - old.amount, "correction", new.pay_code))
                continue
        base = new or lines.get(key) or _gone(key, old, policies)
        gone = attrs.evolve(base, pay_code=old.pay_code, currency=old.currency)
        out.append(OutLine(gone, -old.amount, "reversal", old.pay_code))
        if new is not None:
            out.append(OutLine(new, new.amount, "payment", new.pay_code))
    return out


def _gone(key: Key, old: Held, policies: Mapping[str, PolicyInfo]) -> PayLine:
    """A line to reverse what payroll holds for an employee the run no longer has."""
    policy = policies.get(key[1])
    if policy is None:
        raise OptionsError(
            f"employee '{key[0]}': the previous export paid {key[2]} of policy '{key[1]}', which "
            "this run does not have; export the correction from a run of the same policies"
        )
    return PayLine(key[0], policy, key[2], old.pay_code, old.currency, Decimal(0), False, {})


def apply_negative_rule(
    layout: Layout, lines: list[OutLine]
) -> tuple[list[OutLine], list[OutLine]]:
    """(lines to write, lines withheld) under the layout's rule for negative amounts."""
    rule = layout.spec.negative
    written: list[OutLine] = []
    withheld: list[OutLine] = []
    for ln in lines:
        if ln.amount >= 0 or rule.rule == "allow":
            written.append(ln)
        elif rule.rule == "recovery":
            written.append(attrs.evolve(ln, pay_code=str(rule.recovery_code)))
        else:
            withheld.append(ln)
    return written, withheld


def held_after(held: Mapping[Key, Held], written: Sequence[OutLine]) -> dict[Key, Held]:
    """What payroll holds once ``written`` is loaded (a key that nets to zero is dropped)."""
    after = dict(held)
    for ln in written:
        key = ln.line.key
        old = after.get(key)
        same = old is not None and (old.currency, old.pay_code) == (
            ln.line.currency,
            ln.line.pay_code,
        )
        amount = (old.amount if old is not None and same else Decimal(0)) + ln.amount
        if amount == 0:
            after.pop(key, None)
        else:
            after[key] = Held(ln.line.pay_code, ln.line.currency, amount)
    return after


def ledger_rows(held: Mapping[Key, Held]) -> list[dict[str, str]]:
    return [
        {
            "employee_id": key[0],
            "policy": key[1],
            "component": key[2],
            "pay_code": h.pay_code,
            "currency": h.currency,
            "amount": f"{h.amount:f}",
        }
        for key, h in sorted(held.items())
    ]


def held_from(rows: Iterable[Mapping[str, Any]], where: str) -> dict[Key, Held]:
    """The ledger of a control file, read back."""
    found: dict[Key, Held] = {}
    try:
        for row in rows:
            key = (str(row["employee_id"]), str(row["policy"]), str(row["component"]))
            found[key] = Held(
                str(row["pay_code"]), str(row["currency"]), Decimal(str(row["amount"]))
            )
    except (KeyError, TypeError, ArithmeticError):
        raise OptionsError(f"{where}: the ledger of the control file cannot be read") from None
    return found
