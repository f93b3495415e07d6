"""The text form of an explanation: `render_text(data)` lays out what `Explanation.data()` holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incentives.audit.explain_readiness import readiness_text

__all__ = ["render_text"]

_INDENT = "  "


def render_text(data: Mapping[str, Any]) -> str:
    name = f" ({data['name']})" if data.get("name") else ""
    lines = [
        f"Employee {data['employee_id']}{name} — run {data['run']}"
        + (f", as of {data['as_of']}" if isinstance(data.get("as_of"), str) else "")
    ]
    for policy in data.get("policies", []):
        lines.append("")
        lines += _policy(policy)
    return "\n".join(lines) + "\n"


def _policy(p: Mapping[str, Any]) -> list[str]:
    period = p.get("performance_period", {})
    out = [
        f"{p['title']} — policy {p['id']} version {p['version']} ({p['file']})",
        f"{_INDENT}reference: {p.get('reference') or '-'}",
        f"{_INDENT}performance period {period.get('start')} to {period.get('end')}; payout date {p.get('payout_date')}; paid in {p.get('currency') or '-'}; as of {p.get('as_of') or '-'}",
    ]
    if p.get("effective"):  # a grant rewarding an earlier cycle
        until = f" to {p['effective']['to']}" if p["effective"].get("to") else " on"
        out.append(
            f"{_INDENT}rewards an earlier period: this version is in force {p['effective']['from']}{until}"
        )
    out.append(
        f"{_INDENT}values as recorded in the breakdown (unrounded values at up to {p.get('breakdown_decimals', 6)} decimals); [file:line] points into the policy"
    )
    if p.get("what_if"):
        out.append(f"{_INDENT}WHAT-IF: not the policy as written (manifest.json lists the layers)")
        out += [f"{_INDENT * 2}{text}" for text in p["what_if"]]
    if p.get("plan_group"):
        out.append(f"{_INDENT}{plan_group_line(p['plan_group'])}")
    if p.get("warnings"):
        out.append("")
        out += [f"!! WARNING: {w}" for w in p["warnings"]]
    out += ["", "Inputs"]
    out += [f"{_INDENT}{i['name']} = {i['value']}" for i in p.get("inputs", [])]
    out += ["", "Eligibility"]
    for rule in p.get("eligibility", []):
        verdict = {True: "yes", False: "NO", None: "not evaluated"}[rule["passed"]]
        out.append(
            f"{_INDENT}{rule['name']}: {verdict} — {rule['rule']}  (here: {rule['values']})  [{rule['where']}]"
        )
        if rule["passed"] is False:
            out.append(f'{_INDENT * 2}not eligible: "{rule["reason"]}"')
    if not p.get("eligible"):
        out.append(
            f"{_INDENT}→ not eligible, so no step was evaluated and every pay component is 0"
        )
    else:
        out += _plan(p)
        out += ["", "Steps (in evaluation order)"]
        for step in p.get("steps", []):
            out += _step(step)
        if p.get("pools"):
            out += ["", "Pools (from manifest.json)"]
            out += [f"{_INDENT}{block['text']}" for block in p["pools"]]
        if p.get("budgets"):
            out += ["", "Budgets (from manifest.json)"]
            out += [f"{_INDENT}{block['text']}" for block in p["budgets"]]
    out += readiness_text(p.get("readiness"))
    pay = p.get("pay", {})
    if pay.get("components") or pay.get("zero_reason"):  # a readiness policy pays nothing
        out += ["", *_pay(pay)]
    return out


def _plan(p: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    results = p.get("plan_results", [])
    if results:
        out += ["", "Plan results"]
    for r in results:
        out.append(f"{_INDENT}{r['text']}")
        for key in ("adjustment", "rank", "attainment", "payout_explain", "negative_cap"):
            if r.get(key):
                out.append(f"{_INDENT * 2}{r[key]}")
        if r.get("override"):
            out.append(f"{_INDENT * 2}{r['override']['text']}")
        out.append(f"{_INDENT * 2}{r['name']}_payout = {r['payout']}")
        out += [f"{_INDENT * 2}what-if: {text}" for text in r.get("what_if", [])]
    for card in p.get("plan_scorecards", []):
        unit = f" for {card['unit']}" if card.get("unit") else ""
        out += ["", f"Plan scorecard {card['name']}{unit}"]
        out += _items(card.get("items", []), 2)
        out += [f"{_INDENT * 2}{g['text']}" for g in card.get("gates", [])]
        out.append(f"{_INDENT}{card['text']}")
    return out


def _items(items: list[Mapping[str, Any]], depth: int) -> list[str]:
    out: list[str] = []
    for item in items:
        out.append(f"{_INDENT * depth}{item['text']}")
        out += _items(item.get("items", []), depth + 1)
        out += [f"{_INDENT * (depth + 1)}{g['text']}" for g in item.get("gates", [])]
    return out


def _step(s: Mapping[str, Any]) -> list[str]:
    out = [f"{_INDENT}{s['derivation']}  [{s['where']}]"]
    deeper = _INDENT * 3
    out += [f"{deeper}what-if: {text}" for text in s.get("what_if", [])]
    if s.get("variant"):
        out.append(f"{deeper}{s['variant']['text']}")
    for call in s.get("calls", []):
        out += _call(call, deeper)
    for segment in s.get("segments", []):  # a step weighted by segments
        out.append(f"{deeper}{segment['text']}")
    if s.get("sum"):
        out.append(f"{deeper}{s['sum']}")
    if s.get("group"):
        total = s["group"].get("total")
        key = s["group"].get("key")
        out.append(
            f"{deeper}group {s['group'].get('by') or '(all)'} = {key or '*'}: total {total} (from manifest.json)"
        )
    goals = s.get("goals")
    if goals:
        for goal in goals["goals"]:
            out.append(f"{deeper}{goal['text']}")
            for key in ("attainment_text", "curve", "weighted", "check"):
                if goal.get(key):
                    out.append(f"{deeper}{_INDENT}{goal[key]}")
        out.append(f"{deeper}{goals['sum']}")
    for gate in s.get("gates", []):
        out.append(f"{deeper}{gate['text']}  [{gate['where']}]")
    for adj in s.get("adjustments", []):
        out.append(f"{deeper}{adj['text']}")
    if "raw" in s and (s.get("adjustments") or any(g["applied"] for g in s.get("gates", []))):
        out.append(f"{deeper}{s['name']} = {s['value']}")
    return out


def _call(call: Mapping[str, Any], indent: str) -> list[str]:
    out = [f"{indent}{call['explain']}"]
    if call.get("check") not in (None, "ok", "recorded"):
        out.append(f"{indent}{_INDENT}!! {call['check']}")
    return out


def _pay(pay: Mapping[str, Any]) -> list[str]:
    out = [f"Pay ({pay.get('currency') or '-'})"]
    for comp in pay.get("components", []):
        out.append(f"{_INDENT}{comp['total_text']}  [{comp['where']}]")
        for call in comp.get("calls", []):
            out += _call(call, _INDENT * 3)
        out += [f"{_INDENT}{part['text']}" for part in comp.get("parts", [])]
        out.append(f"{_INDENT}{comp['text']}")
    if pay.get("zero_reason"):
        out.append(f'{_INDENT}zero: "{pay["zero_reason"]}"')
    return out


def plan_group_line(group: Mapping[str, Any]) -> str:
    """The header's plan group, as declared (docs/policy-language.md, "Several plans per person")."""
    said = [f"transfers {group['transfers']}"] if group.get("transfers") else []
    if group.get("combined_cap"):
        said.append(f"combined cap {group['combined_cap']}")
    more = f" ({'; '.join(said)})" if said else ""
    plans = ", ".join(group.get("plans", ()))
    return f"plan group {group.get('name')}{more}; the employee's plans of the group: {plans}"
