"""The pay components and outputs that moved for one employee under one policy between runs.

`Comparison` indexes the two run folders once (breakdown rows by employee and policy, each
policy's pair of records, why an employee is absent from a run) and gives, per row of
results.csv, one `Change` per component whose amount differs and one `OutputChange` per output
(a new salary, a merit percentage, promotion readiness) whose value differs, each with its
causes (`diff_causes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from incentives.audit.diff_causes import PolicyPair, RowCauses, signed_amount
from incentives.audit.diff_graph import policy_graph
from incentives.audit.run_folder import RunFolder

__all__ = ["Change", "Comparison", "OutputChange"]


@attrs.frozen
class Change:
    """One pay component of one employee under one policy that differs between the runs.

    ``status``: ``changed``, ``added`` (not paid by this policy in run A) or ``removed``;
    ``before``/``after`` are `None` where the run has no amount."""

    employee_id: str
    policy: str
    component: str
    currency: str
    before: Decimal | None
    after: Decimal | None
    status: str
    causes: tuple[str, ...]

    @property
    def delta(self) -> Decimal:
        return (self.after or Decimal(0)) - (self.before or Decimal(0))


@attrs.frozen
class OutputChange:
    """One output of one employee under one policy that differs between the runs (both runs
    computed the employee under the policy): not money paid, so outside the totals.

    ``before``/``after`` as results.csv records them; ``shown_before``/``shown_after`` as
    `explain` prints them (``84,900.00``, ``3.5%``, ``yes``); ``change`` the signed difference
    of a number (``-400.00``, ``-0.5 pts`` for a percentage), empty for readiness."""

    employee_id: str
    policy: str
    output: str
    before: str
    after: str
    shown_before: str
    shown_after: str
    change: str
    causes: tuple[str, ...]


def _components(policy: Mapping[str, Any]) -> list[str]:
    names = []
    for pay in policy.get("pay", []):
        names.append(str(pay.get("name")))
        names += [str(part.get("name")) for part in pay.get("split", [])]
        if isinstance(pay.get("convert"), Mapping):  # the units the amount bought
            names.append(str(pay["convert"].get("name")))
    return names


def _units(policy: Mapping[str, Any]) -> dict[str, str]:
    """The policy's components paid in units (``psus_vested`` → ``shares``): a count is
    compared in its unit, whatever the employee's pay currency."""
    units = {str(p.get("name")): str(p["unit"]) for p in policy.get("pay", []) if p.get("unit")}
    for pay in policy.get("pay", []):
        convert = pay.get("convert")
        if isinstance(convert, Mapping) and convert.get("unit"):
            units[str(convert.get("name"))] = str(convert["unit"])
    return units


def _amount(row: Mapping[str, str] | None, component: str) -> Decimal | None:
    cell = "" if row is None else row.get(component, "")
    return Decimal(cell) if cell else None


class Comparison:
    """Two runs side by side, indexed once: what moved for one employee under one policy."""

    def __init__(self, a: RunFolder, b: RunFolder) -> None:
        self.a, self.b = a, b
        self.pairs = _policy_pairs(a, b)
        self.rows_a = {(r["employee_id"], r["policy"]): r for r in a.breakdown}
        self.rows_b = {(r["employee_id"], r["policy"]): r for r in b.breakdown}
        self.absent = {"added": _Absence(a, "A"), "removed": _Absence(b, "B")}

    def changes(
        self,
        key: tuple[str, str],
        before: Mapping[str, str] | None,
        after: Mapping[str, str] | None,
    ) -> list[Change]:
        """Each pay component of ``key`` (employee, policy) that differs between the
        results.csv rows ``before`` (run A) and ``after`` (run B), with its causes."""
        employee, policy_id = key
        policy = (self.b if after is not None else self.a).policy(policy_id)
        currency_a = before.get("currency", "") if before else ""
        currency_b = after.get("currency", "") if after else ""
        units = _units(policy)
        found: list[Change] = []
        causes: RowCauses | None = None
        for component in _components(policy):
            unit = units.get(component)
            cur_a, cur_b = (unit, unit) if unit else (currency_a, currency_b)
            old, new = _amount(before, component), _amount(after, component)
            if before is None or after is None:
                if old or new:
                    status = "added" if before is None else "removed"
                    alone = (self.absent[status].why(employee, policy_id),)
                    found.append(
                        Change(
                            employee, policy_id, component, cur_b or cur_a, old, new, status, alone
                        )
                    )
                continue
            if cur_a != cur_b:
                moved = (f"currency {cur_a} → {cur_b}",)
                if old:
                    found.append(
                        Change(employee, policy_id, component, cur_a, old, None, "changed", moved)
                    )
                if new:
                    found.append(
                        Change(employee, policy_id, component, cur_b, None, new, "changed", moved)
                    )
                continue
            if (old or Decimal(0)) == (new or Decimal(0)):
                continue
            if causes is None and policy_id in self.pairs:
                causes = RowCauses(self.pairs[policy_id], self.rows_a[key], self.rows_b[key])
            delta = signed_amount((new or Decimal(0)) - (old or Decimal(0)), cur_b)
            texts = causes.causes(component, delta) if causes is not None else []
            why = tuple(texts) or (f"{component} {delta} (no recorded cause)",)
            found.append(Change(employee, policy_id, component, cur_b, old, new, "changed", why))
        return found


    def output_changes(
        self, key: tuple[str, str], before: Mapping[str, str], after: Mapping[str, str]
    ) -> list[OutputChange]:
        """Each output of ``key`` (employee, policy) whose value differs between the
        results.csv rows ``before`` and ``after``, with its causes; the policy's declared
        outputs, then readiness when it has criteria."""
        employee, policy_id = key
        pair = self.pairs.get(policy_id)
        if pair is None:  # the policy is in one run only: its pay says so
            return []
        spec = pair.policy_b.get("spec", {})
        names = [str(n) for n in spec.get("outputs", [])]
        names += ["ready"] if spec.get("criteria") else []
        found: list[OutputChange] = []
        causes: RowCauses | None = None
        for name in names:
            old, new = before.get(name, ""), after.get(name, "")
            if _same(old, new):
                continue
            if causes is None:
                causes = RowCauses(pair, self.rows_a[key], self.rows_b[key])
            change = _difference(causes, name, old, new, after.get("currency", ""))
            end = f"{name} {change}" if change else causes.change(name)
            why = tuple(causes.output_causes(name, end)) or (f"{end} (no recorded cause)",)
            shown = causes.show("a", name), causes.show("b", name)
            found.append(OutputChange(employee, policy_id, name, old, new, *shown, change, why))
        return found


def _same(old: str, new: str) -> bool:
    """Two cells of results.csv hold the same value (``0.50`` and ``0.5`` are one number)."""
    if old == new:
        return True
    try:
        return Decimal(old) == Decimal(new)
    except ArithmeticError:
        return False


def _difference(causes: RowCauses, name: str, old: str, new: str, currency: str) -> str:
    """The signed difference of a numeric output as it prints (percentages in points);
    empty for a value that is not a number in both runs (readiness, a date)."""
    try:
        delta = Decimal(new) - Decimal(old)
    except ArithmeticError:
        return ""
    type_ = str(causes.slots.get(name, {}).get("type", "decimal"))
    if type_ == "money":
        return signed_amount(delta, currency)
    delta = delta.normalize()  # -0.010 is -1 point, as 4.5% → 3.5% reads
    if delta.as_tuple().exponent > 0:  # type: ignore[operator]  # an int for a finite number
        delta = delta.quantize(Decimal(1))  # 1E+1 -> 10
    shown = causes.pv["b"].display(delta, type_)
    shown = shown if shown.startswith("-") else "+" + shown
    return shown.removesuffix("%") + " pts" if type_ == "percent" else shown


class _Absence:
    """Why an employee has no row under a policy in one run (the other run has one)."""

    def __init__(self, run: RunFolder, which: str) -> None:
        self.which = which
        self.rejected: dict[str, str] = {}
        for row in run.rejected:
            self.rejected.setdefault(row.get("employee_id", "").strip(), row.get("reason", ""))
        self.not_covered: dict[str, str] = {}
        for row in run.not_covered:
            self.not_covered.setdefault(
                row.get("employee_id", "").strip(), f"{row.get('kind')}: {row.get('excluded_by')}"
            )
        self.policies = {str(p.get("id")) for p in run.rulebook.get("policies", [])}
        self.computed = {r["employee_id"] for r in run.results}

    def why(self, employee: str, policy_id: str) -> str:
        which = self.which
        if employee in self.rejected:
            return f"rejected in run {which}: {self.rejected[employee]}"
        if employee in self.not_covered:
            return f"not covered in run {which} ({self.not_covered[employee]})"
        if employee not in self.computed:
            return f"not in run {which}'s roster"
        if policy_id not in self.policies:
            return f"policy {policy_id} is not in run {which}"
        return f"not in policy {policy_id}'s population in run {which}"


def _policy_pairs(a: RunFolder, b: RunFolder) -> dict[str, PolicyPair]:
    by_a = {str(p.get("id")): p for p in a.rulebook.get("policies", [])}
    pairs = {}
    for policy in b.rulebook.get("policies", []):
        policy_id = str(policy.get("id"))
        if policy_id in by_a:
            pairs[policy_id] = PolicyPair(
                policy_a=by_a[policy_id],
                policy_b=policy,
                manifest_a=a.manifest,
                manifest_b=b.manifest,
                rows_a=tuple(r for r in a.breakdown if r["policy"] == policy_id),
                rows_b=tuple(r for r in b.breakdown if r["policy"] == policy_id),
                graph=policy_graph(policy),
            )
    return pairs
