"""Explanations of scorecards: plan results and plan scorecards (from the manifest) and an
employee's own goals (from the breakdown), each with its arithmetic re-done and checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from incentives.audit.explain_adjustment import adjustment_text
from incentives.audit.explain_rank import negative_cap_text, rank_text
from incentives.audit.explain_values import PolicyValues, close_enough
from incentives.display import format_value
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.runtime.curves import CurveSpec, compile_curve
from incentives.rulebook.runtime.scorecard import attainment

__all__ = ["employee_goals", "plan_results", "plan_scorecards"]


def _dec(text: object) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def _pct(value: object) -> str:
    return format_value(_dec(value) if isinstance(value, str) else value, "percent")


def _num(value: object) -> str:
    return format_value(_dec(value) if isinstance(value, str) else value, "decimal")


def _attainment_text(
    actual: Decimal, target: Decimal, lower: bool, show: Any = _num
) -> tuple[str, str]:
    if lower:
        return (
            "1 − (actual − target) ÷ |target|",
            f"1 − ({show(actual)} − {show(target)}) ÷ |{show(target)}|",
        )
    return "actual ÷ target", f"{show(actual)} ÷ {show(target)}"


def plan_results(pv: PolicyValues, warnings: list[str]) -> list[dict[str, Any]]:
    """Every plan result as read for the employee's unit: figures, attainment, payout, override."""
    out: list[dict[str, Any]] = []
    for name, rec in pv.results.items():
        spec = pv.spec.get("results", {}).get(name, {})
        actual, threshold, target, maximum = (
            _dec(rec.get(f)) for f in ("actual", "threshold", "target", "maximum")
        )
        lower = bool(rec.get("lower_is_better"))
        entry: dict[str, Any] = {
            "name": name,
            "unit": None if pv.unit_keys.get(name) == "*" else pv.unit_keys.get(name),
            "actual": _num(actual),
            "threshold": _num(threshold),
            "target": _num(target),
            "maximum": _num(maximum),
            "lower_is_better": lower,
        }
        # data keeps fractions (as the CSVs do); text prints a percent result as the policy writes it
        percent = pv.types.get(name) == "percent"
        percent = percent or rec.get("rank_method") is not None  # a percentile rank
        entry["text"] = _figures_text(entry, rec, _pct if percent else _num)
        if rec.get("adjustment_reason") is not None:  # as recorded: reported, adjusted, why
            entry["adjustment"] = adjustment_text(rec, _pct if percent else _num)
        if rec.get("rank_method") is not None:  # a percentile rank among peers, as recorded
            entry["rank"] = rank_text(rec, _pct if percent else _num, _pct, _num)
        if rec.get("uncapped_payout") is not None:
            entry["negative_cap"] = negative_cap_text(rec, _pct if percent else _num, _pct)
        if rec.get("attainment_stated"):
            entry["attainment"] = f"attainment {_pct(rec.get('attainment'))} (stated, not computed)"
        elif actual is not None and target:
            formula, shown = _attainment_text(actual, target, lower, _pct if percent else _num)
            entry["attainment"] = (
                f"attainment = {formula} = {shown} = {_pct(rec.get('attainment'))}"
            )
        payout_points = spec.get("payout")
        computed = _dec(rec.get("computed_payout"))
        if rec.get("payout_stated"):
            entry["payout_explain"] = f"payout {_pct(computed)} (stated, not computed)"
        elif (
            (payout_points or rec.get("curve_points"))
            and actual is not None
            and (rec.get("curve_points") or None not in (threshold, target, maximum))
            and computed is not None
        ):
            if rec.get("curve_points"):  # a curve of the plan's own points, as recorded
                points = [(_dec(x), _dec(y)) for x, y in rec["curve_points"]]
            else:
                assert threshold is not None and target is not None and maximum is not None
                points = [
                    (threshold, _dec(payout_points[0])),
                    (target, _dec(payout_points[1])),
                    (maximum, _dec(payout_points[2])),
                ]
            try:
                # `on` only decides how the x axis prints: a percent result's values as percents
                on = "attainment" if percent else "value"
                curve = compile_curve(name, CurveSpec(points=points, on=on))  # type: ignore[arg-type]
                with localcontext(ENGINE_CONTEXT):
                    value, detail = curve(actual)
                entry["payout_explain"] = curve.explain([actual], value, detail)
                # a negative cap lowered the curve's payout: the curve is checked against the
                # payout before the cap (the cap is shown on a line of its own)
                uncapped = _dec(rec.get("uncapped_payout"))
                before_cap = computed if uncapped is None else uncapped
                if not close_enough(value, before_cap, pv.places):
                    warnings.append(
                        f"result {name}: re-evaluated payout {_pct(value)} differs from the recorded {_pct(before_cap)}"
                    )
            except ValueError as exc:
                entry["payout_explain"] = f"payout {_pct(computed)} (cannot re-evaluate: {exc})"
        entry["computed_payout"] = _pct(rec.get("computed_payout"))
        entry["payout"] = _pct(rec.get("payout"))
        if rec.get("override_reason"):
            entry["override"] = {
                "computed_payout": _pct(rec.get("computed_payout")),
                "payout": _pct(rec.get("payout")),
                "reason": rec["override_reason"],
                "text": (
                    f"override: computed payout {_pct(rec.get('computed_payout'))} replaced by "
                    if rec.get("computed_payout") is not None
                    else "override: payout "
                )
                + f'{_pct(rec.get("payout"))} — "{rec["override_reason"]}"',
            }
        out.append(entry)
    return out


def _figures_text(entry: Mapping[str, Any], rec: Mapping[str, Any], show: Any = _num) -> str:
    """``revenue for Sales: actual 11% (threshold 8%, …; higher is better)``; only the figures
    given (a result stated directly or only overridden may have none)."""
    head = str(entry["name"]) + (f" for {entry['unit']}" if entry.get("unit") else "")
    given = [f for f in ("threshold", "target", "maximum") if rec.get(f) is not None]
    if rec.get("actual") is None and not given:
        return f"{head}: no actual or curve figures (stated or overridden below)"
    direction = "lower is better" if entry.get("lower_is_better") else "higher is better"
    figures = ", ".join(f"{f} {show(rec.get(f))}" for f in given)
    actual = show(rec.get("actual"))
    return f"{head}: actual {actual} ({figures + '; ' if figures else ''}{direction})"


def _gates(gates: list[Mapping[str, Any]], before: object) -> list[dict[str, Any]]:
    out = []
    for gate in gates:
        applied = bool(gate.get("applied"))
        outcome = str(gate.get("outcome", ""))
        if gate.get("value") is not None:
            outcome += f" {gate['value']}"
        text = f"gate {gate.get('name') or 'gate'} ({gate.get('when', '')}): "
        before = gate.get("score_before", before)  # recorded by the run since plan gates are noted
        if applied and gate.get("outcome") == "cap" and gate.get("bound") is False:
            text += f"applied, {outcome}: {_pct(before)} is not above it, unchanged"
        elif applied:
            text += f'applied, {outcome}: {_pct(before)} → {_pct(gate.get("score_after"))} — "{gate.get("reason", "")}"'
        else:
            text += "not applied"
        out.append(
            {
                "name": gate.get("name"),
                "when": gate.get("when"),
                "outcome": outcome,
                "applied": applied,
                "reason": gate.get("reason"),
                "score_after": _pct(gate.get("score_after")),
                "text": text,
            }
        )
    return out


def _items(pv: PolicyValues, items: list[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """Each item with its own derivation, and the weighted sum ``75% × 120% + 25% × 50%``."""
    out = []
    terms = []
    for item in items:
        entry: dict[str, Any] = {"name": item.get("name"), "weight": _pct(item.get("weight"))}
        shown = str(item.get("weight_written") or entry["weight"])  # a fraction as written: 1/3
        weight = shown
        if item.get("plan_weight") is not None:  # weights of_plan: recorded share of the whole
            plan_weight = item.get("plan_weight_written") or _pct(item["plan_weight"])
            weight += f" of the section, {plan_weight} of the plan"
        if "items" in item:
            children, total = _items(pv, item["items"])
            entry["items"] = children
            entry["text"] = (
                f"{item.get('name')} (weight {weight}): {total} = {_pct(item.get('computed'))}"
            )
        else:
            result = str(item.get("result", ""))
            entry["result"] = result
            how = f"{result} payout = {_pct(item.get('computed'))}"
            if item.get("curve"):
                how = f"{item['curve']}({result}) = {_pct(item.get('computed'))}"
            if item.get("override_reason"):  # the result's override replaced the curve's value
                how = (
                    f"{item['curve']}({result}) = {_pct(item.get('curve_payout'))}, "
                    if item.get("curve_payout") is not None
                    else f"{result} "
                )
                how += f'overridden to {_pct(item.get("computed"))} — "{item["override_reason"]}"'
            entry["text"] = f"{item.get('name')} (weight {weight}): {how}"
        entry["computed"] = _pct(item.get("computed"))
        entry["gates"] = _gates(item.get("gates", []), item.get("computed"))
        entry["score"] = _pct(item.get("score"))
        out.append(entry)
        terms.append(f"{shown} × {_pct(item.get('score'))}")
    return out, " + ".join(terms)


def plan_scorecards(pv: PolicyValues) -> list[dict[str, Any]]:
    """The plan-level scorecards for the employee's unit, as the manifest recorded them."""
    out = []
    for name, (key, rec) in pv.scorecards.items():
        items, total = _items(pv, rec.get("items", []))
        normalise = bool(pv.spec.get("scorecards", {}).get(name, {}).get("normalise"))
        raw = f"({total}) ÷ Σ weights" if normalise else total
        gates = _gates(rec.get("gates", []), None)
        out.append(
            {
                "name": name,
                "unit": None if key == "*" else key,
                "items": items,
                "gates": gates,
                "score": _pct(rec.get("score")),
                "text": f"{name} = {raw} = {_pct(rec.get('score'))}"
                + (" (after the gates below)" if any(g["applied"] for g in gates) else ""),
            }
        )
    return out


def employee_goals(pv: PolicyValues, card_name: str, warnings: list[str]) -> dict[str, Any]:
    """An employee scorecard: each goal's attainment, curve arithmetic, weight; the sum."""
    card = pv.spec.get("scorecards", {}).get(card_name, {})
    curve_name = str(card.get("curve", ""))
    curve = pv.lookup(curve_name) if curve_name else None
    goals: list[dict[str, Any]] = []
    weighted_terms: list[str] = []
    total = Decimal(0)
    weights = Decimal(0)
    for i in range(1, int(card.get("max_goals", 0)) + 1):
        prefix = f"{card_name}.goal{i}."
        name = pv.cell(prefix + "name")
        if not name:
            continue
        target, actual, weight, att, payout = (
            _dec(pv.cell(prefix + f))
            for f in ("target", "actual", "weight", "attainment", "payout")
        )
        direction = pv.cell(prefix + "direction") or "higher"
        lower = direction == "lower"
        goal: dict[str, Any] = {
            "number": i,
            "name": name,
            "direction": direction,
            "target": _num(target),
            "actual": _num(actual),
            "weight": _pct(weight),
            "attainment": _pct(att),
            "payout": _pct(payout),
            "text": f"goal {i} '{name}' ({direction} is better, weight {_pct(weight)}): target {_num(target)}, actual {_num(actual)}",
        }
        if target and actual is not None:
            formula, shown = _attainment_text(actual, target, lower)
            with localcontext(ENGINE_CONTEXT):
                exact = attainment(actual, target, lower)
            goal["attainment_text"] = (
                f"attainment = {formula} = {shown} = {_pct(pv.recorded(exact))}"
            )
            if curve is not None:
                x = exact if curve.on == "attainment" else actual
                with localcontext(ENGINE_CONTEXT):
                    value, detail = curve(x)
                goal["curve"] = curve.explain([x], value, detail)
                if payout is not None and not close_enough(value, payout, pv.places):
                    goal["check"] = (
                        f"MISMATCH: {curve_name} re-evaluated gives {_pct(value)}, the run recorded {_pct(payout)}"
                    )
                    warnings.append(
                        f"goal {i} '{name}': {goal['check']} (the run's policies differ from rulebook.json)"
                    )
        if weight is not None and payout is not None:
            with localcontext(ENGINE_CONTEXT):
                contribution = weight * payout
            total += contribution
            weights += weight
            goal["weighted"] = f"weighted: {_pct(weight)} × {_pct(payout)} = {_pct(contribution)}"
            weighted_terms.append(_pct(contribution))
        goals.append(goal)
    score = _dec(pv.cell(card_name))
    sum_text = " + ".join(weighted_terms) or "0"
    if card.get("normalise") and weights:
        with localcontext(ENGINE_CONTEXT):
            total = total / weights
        sum_text = f"({sum_text}) ÷ {_pct(weights)}"
    data: dict[str, Any] = {
        "scorecard": card_name,
        "curve": curve_name,
        "goals": goals,
        "sum": f"{card_name} = {sum_text} = {_pct(pv.recorded(total))}",
        "score": _pct(score),
    }
    if score is not None and goals and not close_enough(total, score, pv.places):
        warnings.append(
            f"scorecard {card_name}: the goals add up to {_pct(total)}, the run recorded {_pct(score)}"
        )
    return data
