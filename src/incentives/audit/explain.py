"""How one employee's payout was derived, step by step, from a run folder alone.

    explain_employee(run_dir, employee_id) -> Explanation
    Explanation.data()  nested dicts and lists (decimals as text), JSON-able
    Explanation.text()  the same content for a person

For each policy the employee is in, in evaluation order (the slot order of rulebook.json): the
policy header and eligibility; plan results and plan scorecards for the employee's unit; every
step as a derivation with the names of its formula replaced by their values and its file:line;
variants, gates, floors, caps and rounding; each table, curve, tier and fx call rebuilt from the
recorded spec, re-evaluated and checked against the recorded value; goal scorecards; group
totals; and the pay components. Nothing here needs the policy files or the inputs of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.explain_pay import CallsAndPay, where
from incentives.audit.explain_plan import employee_goals, plan_results, plan_scorecards
from incentives.audit.explain_pools import budget_blocks, pool_blocks, pool_step
from incentives.audit.explain_readiness import readiness
from incentives.audit.explain_render import render_text
from incentives.audit.explain_segments import explain_segments
from incentives.audit.explain_values import PolicyValues, close_enough, policy_as_of, typed
from incentives.audit.explain_what_if import annotate_what_if
from incentives.audit.formula_text import render
from incentives.audit.run_folder import RunFolder, read_run_folder, unknown_employee
from incentives.display import format_value
from incentives.rulebook.language.values import parse_number

__all__ = ["Explanation", "explain_employee"]


@attrs.frozen
class Explanation:
    """One employee's explanation; `text()` renders exactly what `data()` holds."""

    _data: Mapping[str, Any]

    def data(self) -> dict[str, Any]:
        return dict(self._data)

    def text(self) -> str:
        return render_text(self._data)


def explain_employee(run_dir: Path, employee_id: str) -> Explanation:
    """Explain every policy outcome of ``employee_id`` in the run folder ``run_dir``.

    Raises `OptionsError` for an employee the run did not compute (saying why it was rejected,
    or suggesting close ids) and for a missing or unreadable run folder file (naming it).
    """
    run = read_run_folder(Path(run_dir))
    wanted = employee_id.strip()
    rows = [row for row in run.breakdown if row["employee_id"] == wanted]
    if not rows:
        raise unknown_employee(run, employee_id)
    results = {row["policy"]: row for row in run.results if row["employee_id"] == wanted}
    policies = [_PolicyExplainer(run, row, results.get(row["policy"], {})).data() for row in rows]
    for policy in policies:  # several plans per person: the employee's plans of each group
        if "plan_group" in policy:
            group = policy["plan_group"].get("name")
            mine = [p["id"] for p in policies if p.get("plan_group", {}).get("name") == group]
            policy["plan_group"] = {**policy["plan_group"], "plans": mine}
    name = next((row.get("name", "") for row in rows if row.get("name")), "")
    dates = {p["as_of"] for p in policies if p.get("as_of")}
    # one date for all the employee's policies, else each policy's own (never an empty string)
    as_of: str | dict[str, str] = (
        dates.pop() if len(dates) == 1 else {p["id"]: p.get("as_of") or "-" for p in policies}
    )
    return Explanation(
        {
            "employee_id": wanted,
            "name": name,
            "run": str(run.path),
            "as_of": as_of,
            "policies": policies,
        }
    )


class _PolicyExplainer(CallsAndPay):
    """One employee under one policy: builds the data of its explanation."""

    def __init__(self, run: RunFolder, row: Mapping[str, str], result: Mapping[str, str]) -> None:
        self.policy = run.policy(row["policy"])
        self.pv = PolicyValues(self.policy, row, run.manifest)
        self.spec: Mapping[str, Any] = self.policy.get("spec", {})
        self.file = str(self.policy.get("file", ""))
        self.row = row
        self.result = result
        self.run = run
        self.warnings: list[str] = []
        self.currency = result.get("currency", "")

    # -- the whole policy

    def data(self) -> dict[str, Any]:
        header = self.spec.get("policy", {})
        eligible = self.row.get("eligible") == "true"
        slots = list(self.policy.get("slots", []))
        pending: dict[str, list[Mapping[str, Any]]] = {}
        steps: list[dict[str, Any]] = []
        pay_slots: list[Mapping[str, Any]] = []
        for slot in slots:
            kind = slot.get("kind")
            if kind in ("raw", "variant", "segments", "gate", "call", "stage"):
                pending.setdefault(str(slot.get("owner")), []).append(slot)
            elif kind == "step" and eligible:
                steps.append(self._step(slot, pending.pop(str(slot.get("owner")), [])))
            elif kind == "pay":
                pay_slots.append(slot)
        period = header.get("performance_period", {})
        data: dict[str, Any] = {
            "id": self.policy.get("id"),
            "title": self.policy.get("title"),
            "version": self.policy.get("version"),
            "kind": self.policy.get("kind"),
            "file": self.file,
            "sha256": self.policy.get("sha256"),
            "reference": header.get("reference", ""),
            "performance_period": {"start": period.get("start"), "end": period.get("end")},
            "payout_date": header.get("payout_date"),
            "as_of": policy_as_of(self.run.manifest, self.policy.get("id")),
            "currency": self.currency,
            "breakdown_decimals": self.pv.places,
            **_earlier_period(header),
            "eligible": eligible,
            "zero_reason": self.result.get("zero_reason") or None,
            "inputs": [self._input(s) for s in slots if s.get("kind") == "input"],
            "eligibility": [self._rule(s) for s in slots if s.get("kind") == "eligibility"],
        }
        if header.get("plan_group"):  # several plans per person: only where declared
            data["plan_group"] = header["plan_group"]
        if eligible:
            data["plan_results"] = plan_results(self.pv, self.warnings)
            data["plan_scorecards"] = plan_scorecards(self.pv)
        data["steps"] = steps
        if eligible:
            policy_id = str(self.policy.get("id"))
            data["pools"] = pool_blocks(self.spec, self.row, self.run.manifest, policy_id)
            data["budgets"] = budget_blocks(self.spec, self.row, self.run.manifest, policy_id)
        block = readiness(self.pv, slots, self.file, eligible, self.result.get("zero_reason", ""))
        if block is not None:
            data["readiness"] = block
        data["pay"] = self._pay(pay_slots, pending)
        data["warnings"] = self.warnings
        annotate_what_if(data, self.run.manifest, self.spec)  # overrides used (docs/what-if.md)
        return data

    def _input(self, slot: Mapping[str, Any]) -> dict[str, Any]:
        name = str(slot["name"])
        shown = self.pv.show(name) or ""
        spec = self.spec.get("inputs", {}).get(name, {})
        if spec.get("type") == "rating":
            labels = self.spec.get("rating_scales", {}).get(spec.get("scale"), {}).get("labels", {})
            label = next(
                (k for k, v in labels.items() if parse_number(v) == self.pv.values.get(name)), None
            )
            if label:
                shown += f" ({label})"
        return {
            "name": name,
            "value": shown,
            "cell": self.row.get(name, ""),
            "where": where(self.file, slot.get("line")),
        }

    def _rule(self, slot: Mapping[str, Any]) -> dict[str, Any]:
        cell = self.row.get(str(slot["name"]), "")
        passed = None if cell == "" else cell == "true"
        return {
            "name": slot.get("owner"),
            "rule": slot.get("text"),
            "passed": passed,
            "reason": slot.get("reason"),
            "values": render(str(slot.get("text", "")), self.pv.show, lambda _c, _a: None),
            "where": where(self.file, slot.get("line")),
        }

    # -- steps

    def _step(self, slot: Mapping[str, Any], extra: list[Mapping[str, Any]]) -> dict[str, Any]:
        name = str(slot["name"])
        type_ = str(slot.get("type", "decimal"))
        pv = self.pv
        step_spec = self.spec.get("steps", {}).get(name)
        block: dict[str, Any] = {
            "name": name,
            "type": type_,
            "where": where(self.file, slot.get("line")),
            "value": pv.show(name) or "(missing)",
            "exact": self.row.get(name, ""),
        }
        if step_spec is None and name in self.spec.get("scorecards", {}):
            block["kind"] = "scorecard"
            block["goals"] = employee_goals(pv, name, self.warnings)
            block["derivation"] = (
                f"{name} = Σ weight × payout over the goals below = {block['value']}"
            )
            return block
        if step_spec is None:
            block["kind"] = "other"
            block["derivation"] = f"{name} = {slot.get('text', '')} = {block['value']}"
            return block
        if step_spec.get("aggregate"):
            return self._aggregate(block, step_spec)
        pooled = pool_step(name, self.spec, self.row, block["value"])
        if pooled is not None:
            block["kind"] = "pool"
            block["derivation"] = pooled
            return block
        formula = step_spec.get("formula")
        variant = next((s for s in extra if s.get("kind") == "variant"), None)
        if variant is not None:
            formula = self._variant(block, step_spec, variant)
        raw_slot = next((s for s in extra if s.get("kind") == "raw"), None)
        raw = pv.cell(raw_slot["name"]) if raw_slot else self.row.get(name, "")
        symbolic, values = pv.substitute(str(formula or ""), name)
        shown = pv.display(typed(raw, type_), type_)
        parts = [symbolic] + ([values] if values != symbolic and values != shown else []) + [shown]
        block["kind"] = "formula"
        block["formula"] = formula
        block["symbolic"] = symbolic
        block["substituted"] = values
        block["derivation"] = f"{name} = " + " = ".join(parts)
        block["calls"] = [  # a call of a variant not taken was never evaluated
            self._call(s) for s in extra if s.get("kind") == "call" and pv.cell(str(s["name"]))
        ]
        segments = next((s for s in extra if s.get("kind") == "segments"), None)
        cell = pv.cell(str(segments["name"])) if segments is not None else ""
        if cell:
            weighted = typed(raw, type_)
            earned = "earned" in str((segments or {}).get("text", ""))  # by the time employed
            block.update(
                explain_segments(name, type_, cell, weighted, pv.places, self.warnings, earned)
            )
            block["derivation"] = (
                f"{name} = Σ ({formula}) × share of the period earned = {shown}"
                if earned
                else f"{name} = Σ ({formula}) × days ÷ period days = {shown}"
            )
        if raw_slot is not None:
            block["raw"] = shown
            self._post(block, step_spec, extra, typed(raw, type_))
        return block

    def _variant(
        self, block: dict[str, Any], spec: Mapping[str, Any], slot: Mapping[str, Any]
    ) -> object:
        variants = list(spec.get("variants", []))
        cell = self.pv.cell(str(slot["name"]))
        index = int(cell) if cell.isdigit() else -1
        if not 0 <= index < len(variants):
            block["variant"] = {"index": None, "text": f"variant not recorded ({cell!r})"}
            return ""
        chosen = variants[index]
        skipped = [
            f"{v.get('when')} is false ({render(str(v.get('when')), self.pv.show, _keep)})"
            for v in variants[:index]
        ]
        if chosen.get("when"):
            why = f"its condition {chosen['when']} holds ({render(str(chosen['when']), self.pv.show, lambda _c, _a: None)})"
        else:
            why = "none of the conditions above it held"
        if skipped:
            why += "; " + "; ".join(skipped)
        block["variant"] = {
            "index": index + 1,
            "when": chosen.get("when"),
            "formula": chosen.get("formula"),
            "text": f"variant {index + 1} of {len(variants)} applied: {why}",
        }
        return chosen.get("formula", "")

    def _aggregate(self, block: dict[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
        name = block["name"]
        by = spec.get("by")
        key = "*" if not by else str(self.pv.values.get(str(by)))
        totals = (
            self.run.manifest.get("group_totals", {}).get(self.policy.get("id"), {}).get(name, {})
        )
        total = totals.get(key)
        group = f"the eligible employees with {by} = {key}" if by else "all eligible employees"
        block["kind"] = "aggregate"
        block["group"] = {
            "function": spec.get("aggregate"),
            "of": spec.get("of"),
            "by": by,
            "key": None if key == "*" else key,
            "total": None
            if total is None
            else format_value(Decimal(str(total)), str(spec.get("type", "decimal"))),
        }
        block["derivation"] = (
            f"{name} = {spec.get('aggregate')} of {spec.get('of')} over {group} = {block['value']}"
        )
        recorded = typed(self.row.get(name, ""), "decimal")
        if (
            total is not None
            and isinstance(recorded, Decimal)
            and not close_enough(Decimal(str(total)), recorded, self.pv.places)
        ):
            self.warnings.append(
                f"step {name}: the manifest's group total {total} differs from the breakdown's {recorded}"
            )
        return block

    def _gate(self, slot: Mapping[str, Any]) -> dict[str, Any]:
        applied = self.pv.cell(str(slot["name"])) == "true"
        when = str(slot.get("text", ""))
        symbolic, values = self.pv.substitute(when, str(slot.get("owner")))
        label = str(slot["name"]).rsplit(".gate.", 1)[-1]
        return {
            "name": label,
            "when": when,
            "condition": symbolic,
            "values": values,
            "applied": applied,
            "outcome": slot.get("outcome"),
            "reason": slot.get("reason"),
            "where": where(self.file, slot.get("line")),
        }

    def _post(
        self,
        block: dict[str, Any],
        spec: Mapping[str, Any],
        extra: list[Mapping[str, Any]],
        raw: object,
    ) -> None:
        """Gates, floor, cap, rounding: what each did to the raw value, when it changed it.

        Nothing is re-evaluated here: the evaluation recorded each gate's outcome (a cap gate
        only where it bound), the value each cap or replace gate, floor and cap left (``stage``
        slots) and the final value; this lays them side by side.
        """
        type_ = block["type"]
        name = block["name"]

        def show(value: object) -> str:
            return self.pv.display(value, type_)

        stages = {
            str(s["name"]): typed(self.pv.cell(str(s["name"])), type_)
            for s in extra
            if s.get("kind") == "stage"
        }
        x: object = raw
        gates = []
        for gate_slot in (s for s in extra if s.get("kind") == "gate"):
            gate = self._gate(gate_slot)
            outcome = str(gate["outcome"] or "")
            head = f"gate {gate['name']} ({gate['condition']}; here {gate['values']}): "
            kind = outcome.partition(" ")[0]
            left = stages.get(f"{name}.after_gate.{gate['name']}", x)
            if gate["applied"]:
                before, x = x, (Decimal(0) if kind == "zero" else left)
                gate["text"] = (
                    head + f'applied, {outcome}: {show(before)} → {show(x)} — "{gate["reason"]}"'
                )
            elif kind == "cap":
                gate["text"] = (
                    head + "not applied (its condition is false or the cap does not bind)"
                )
            else:
                gate["text"] = head + "not applied"
            gates.append(gate)
        block["gates"] = gates
        adjustments = []
        for what in ("floor", "cap"):
            key = f"{name}.after_{what}"
            if key not in stages:
                continue
            after = stages[key]
            if after != x:
                text = str(spec.get(what))
                label = show(after) if _is_number(text) else f"{text} = {show(after)}"
                adjustments.append(
                    {
                        "what": what,
                        "limit": label,
                        "from": show(x),
                        "to": show(after),
                        "text": f"{what} {label}: {show(x)} → {show(after)}",
                    }
                )
            x = after
        rounding = spec.get("round")
        truncate = spec.get("truncate")
        final = typed(self.row.get(name, ""), type_)
        if (rounding or truncate is not None) and final != x:
            if rounding:
                how = f"rounded to {rounding['step']} {rounding.get('mode', 'half_up')}"
            else:
                how = f"truncated to {truncate}"
            adjustments.append(
                {
                    "what": "round",
                    "limit": how,
                    "from": show(x),
                    "to": show(final),
                    "text": f"{how}: {show(x)} → {show(final)}",
                }
            )
        block["adjustments"] = adjustments


def _keep(_callee: str, _args: str) -> None:
    return None


def _is_number(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def _earlier_period(header: Mapping[str, Any]) -> dict[str, Any]:
    """The version's effective period, when the period it rewards began before it (a 2023
    grant for 2022): ``{"effective": {"from", "to"}}``, else nothing."""
    effective = header.get("effective") or {}
    start = (header.get("performance_period") or {}).get("start")
    if not effective.get("from") or not start or str(start) >= str(effective["from"]):
        return {}
    return {"effective": {"from": effective.get("from"), "to": effective.get("to")}}

