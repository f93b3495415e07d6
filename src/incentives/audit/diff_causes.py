"""Why one employee's payout under one policy differs between two runs, read from the records.

Nothing is re-computed: each node of the policy's graph (`diff_graph`) is compared between the
two breakdown rows (and the two runs' parameters, plan results, rates and policy specs). A root
cause is a node whose value differs while nothing it reads does, or that the run does not derive
from the employee's own values: an input, a goal, a parameter, a plan result, a table cell
changed in the policy, an exchange rate, a step whose definition changed, a group total or a pool
figure moved by other employees. Each cause is written as the chain from its root to the pay:
``rating 3 (Meets) → 4 (Exceeds), so rating_multiplier(rating) 100% → 120%, …, so annual_bonus
+2,250.00``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from incentives.audit.diff_graph import PolicyGraph
from incentives.audit.explain_values import PolicyValues, typed
from incentives.display import format_number, format_recorded, format_value
from incentives.money import CURRENCY_MINOR_UNITS

__all__ = ["PolicyPair", "RowCauses", "amount_places", "signed_amount"]

_RESULT_FIELDS = ("actual", "threshold", "target", "maximum", "payout", "override_reason")
_SHOWN_MEMBERS = 5


def amount_places(currency: str) -> int:
    """The decimals an amount is shown with: a currency's minor unit; 0 for a unit (``shares``:
    a count, lower-case as the policy language requires, never formatted as money)."""
    return CURRENCY_MINOR_UNITS.get(currency, 0 if currency.islower() else 2)


def signed_amount(amount: Decimal, currency: str) -> str:
    """``+2,250.00``, ``-12.50``: an amount at the currency's minor unit (``+312`` shares),
    with its sign."""
    text = format_number(amount, places=amount_places(currency))
    return text if text.startswith("-") else "+" + text


@attrs.frozen
class PolicyPair:
    """One policy as each run recorded it, with what is fixed for every employee.

    ``rows_a``/``rows_b`` are every breakdown row of the policy in each run (for the members of
    a group); ``graph`` is the later run's graph."""

    policy_a: Mapping[str, Any]
    policy_b: Mapping[str, Any]
    manifest_a: Mapping[str, Any]
    manifest_b: Mapping[str, Any]
    rows_a: tuple[Mapping[str, str], ...]
    rows_b: tuple[Mapping[str, str], ...]
    graph: PolicyGraph
    _members: dict[tuple[str, str, str], str] = attrs.field(factory=dict, init=False)

    def spec(self, side: str) -> Mapping[str, Any]:
        policy = self.policy_a if side == "a" else self.policy_b
        spec: Mapping[str, Any] = policy.get("spec", {})
        return spec

    def changed(self, *path: str) -> bool:
        """Whether the policy's spec differs between the runs at ``path``."""
        return bool(_at(self.spec("a"), path) != _at(self.spec("b"), path))

    def members(self, of: str, by: str, key: str) -> str:
        """Who moved a group figure: the employees of the group (``by`` = ``key``) whose
        ``of`` value differs, joined or left: ``00004 changed; 00060 joined`` (among the
        eligible employees, whom group totals and pools count)."""
        cached = self._members.get((of, by, key))
        if cached is not None:
            return cached
        before, after = _group(self.rows_a, of, by, key), _group(self.rows_b, of, by, key)
        parts = []
        for what, ids in (
            ("changed", [e for e in after if e in before and before[e] != after[e]]),
            ("joined", [e for e in after if e not in before]),
            ("left", [e for e in before if e not in after]),
        ):
            if ids:
                more = f" and {len(ids) - _SHOWN_MEMBERS} more" if len(ids) > _SHOWN_MEMBERS else ""
                parts.append(f"{', '.join(ids[:_SHOWN_MEMBERS])}{more} {what}")
        text = "; ".join(parts)
        self._members[(of, by, key)] = text
        return text


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _group(rows: tuple[Mapping[str, str], ...], of: str, by: str, key: str) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for row in rows:
        cell = row.get(of, "")
        if cell and (not by or row.get(by, "") == key) and row.get("eligible") == "true":
            value = typed(cell, "decimal")
            if isinstance(value, Decimal):
                found[row["employee_id"]] = value
    return found


Root = tuple[str, tuple[str, ...]]  # (what changed, the nodes from it to the pay)


class RowCauses:
    """One employee under one policy in both runs: the root causes of each pay column."""

    def __init__(self, pair: PolicyPair, row_a: Mapping[str, str], row_b: Mapping[str, str]):
        self.pair = pair
        self.graph = pair.graph
        self.rows = {"a": row_a, "b": row_b}
        self.pv = {
            "a": PolicyValues(pair.policy_a, row_a, pair.manifest_a),
            "b": PolicyValues(pair.policy_b, row_b, pair.manifest_b),
        }
        self.slots = {str(s["name"]): s for s in pair.policy_b.get("slots", [])}
        self._roots: dict[str, list[Root]] = {}

    # -- values

    def _result_record(self, side: str, name: str) -> tuple[str, Mapping[str, Any]]:
        """The plan result ``name`` for the employee's unit: (the unit or ``*``, its record)."""
        pv = self.pv[side]
        by = self.graph.reads.get(name, ())
        key = str(pv.values.get(by[0])) if by else "*"
        return key, pv.results.get(name) or {}

    def value(self, side: str, name: str) -> object:
        kind = self.graph.kind(name)
        pv = self.pv[side]
        if kind in ("criterion", "ready"):
            return self.rows[side].get(name, "")
        if kind == "result":
            return self._result_record(side, name)
        if kind in ("parameter", "builtin", "scorecard") or (
            name in pv.values and kind not in ("call", "goal", "eligibility", "pay")
        ):
            return pv.values.get(name)
        cell = self.rows[side].get(name, "")
        if kind == "goal" and not name.endswith((".target", ".actual", ".weight")):
            return cell
        return typed(cell, "decimal")

    def differs(self, name: str) -> bool:
        return self.value("a", name) != self.value("b", name)

    def show(self, side: str, name: str) -> str:
        """A node's value as `explain` prints it."""
        pv, kind = self.pv[side], self.graph.kind(name)
        if kind in ("criterion", "ready"):
            return _passes(kind, self.rows[side].get(name, ""), self.rows[side].get(name + ".gap"))
        if kind == "call":
            slot = self.slots.get(name, {})
            callee, owner = str(slot.get("callee", "")), str(slot.get("owner", ""))
            value = typed(self.rows[side].get(name, ""), "decimal")
            return pv.display(value, pv.call_type(callee, owner)) if value is not None else "(none)"
        if kind in ("goal", "pay"):
            value = self.value(side, name)
            weight = name.endswith(".weight")
            return (
                "(none)"
                if value in (None, "")
                else format_recorded(value, "percent" if weight else "decimal")
            )
        shown = pv.show(name)
        if shown is None or shown == "(missing)":
            return "(none)"
        spec = pv.spec.get("inputs", {}).get(name, {})
        if kind == "input" and spec.get("type") == "rating":
            labels = pv.spec.get("rating_scales", {}).get(spec.get("scale"), {}).get("labels", {})
            value = pv.values.get(name)
            label = next((k for k, v in labels.items() if Decimal(str(v)) == value), None)
            shown += f" ({label})" if label else ""
        return shown.strip("()") if shown.startswith("(−") else shown

    def change(self, name: str, label: str | None = None) -> str:
        return f"{label or name} {self.show('a', name)} → {self.show('b', name)}"

    # -- causes

    def causes(self, component: str, delta: str) -> list[str]:
        """Each root cause of the pay column ``component`` as a chain ending in ``delta``."""
        end = f"{component} {delta}"
        if self.rows["a"].get("eligible") != self.rows["b"].get("eligible"):
            return [f"{text}, so {end}" for text in self._eligibility()]
        node = f"pay.{component}"
        if not self.differs(node):
            return []
        return [self._chain(text, path, end) for text, path in self.roots(node)]

    def output_causes(self, name: str, end: str) -> list[str]:
        """Each root cause of the output ``name`` (a step the policy outputs, or readiness) as
        a chain ending in ``end``; readiness through each criterion whose outcome flipped."""
        if self.rows["a"].get("eligible") != self.rows["b"].get("eligible"):
            return [f"{text}, so {end}" for text in self._eligibility()]
        if not self.differs(name):
            return []
        if self.graph.kind(name) != "ready":  # the chain ends at the output, named by ``end``
            return [self._chain(text, path[:-1], end) for text, path in self.roots(name)]
        found = []
        for criterion in self.graph.reads.get(name, ()):
            if not self.differs(criterion):
                continue
            flipped = self.change(criterion, f"criterion {criterion.removeprefix('criterion.')}")
            for text, path in self.roots(criterion):
                if path == (criterion,):  # nothing it reads moved: no root recorded
                    text = f"{flipped} (no recorded cause)"
                    found.append(f"{text}, so {end}")
                else:
                    found.append(f"{text}, so {flipped}, so {end}")
        return found

    def roots(self, name: str) -> list[Root]:
        if name in self._roots:
            return self._roots[name]
        self._roots[name] = []  # a cycle (none is expected) stops here
        found: dict[str, tuple[str, ...]] = {}
        own = self._own(name)
        if own:
            found[own] = (name,)
        for up in self.graph.reads.get(name, ()):
            if self.differs(up):
                for text, path in self.roots(up):
                    found.setdefault(text, (*path, name))
        if not found:
            found[self.change(name) + " (no recorded cause)"] = (name,)
        self._roots[name] = list(found.items())
        return self._roots[name]

    def _chain(self, text: str, path: tuple[str, ...], end: str) -> str:
        """The root, the first and the last declared step or call on the way, the pay."""
        declared, pools = self.graph.steps, self.graph.pool_of
        hops = [
            n
            for n in path[1:]
            if n in declared
            or (self.graph.kind(n) == "call" and self.slots[n].get("owner") in declared)
            or (n in pools and pools[n][1] in ("pool", "factor"))
        ]
        shown = hops[:1] + ([hops[-1]] if len(hops) > 1 else [])
        parts = [text]
        for i, hop in enumerate(shown):
            if i == 1 and len(hops) > 2:
                parts.append("…")
            parts.append("so " + self.change(hop, self._label(hop)))
        return ", ".join([*parts, f"so {end}"])

    def _label(self, name: str) -> str:
        """How a node is named in a chain: a call as written, a pool's figures by the pool."""
        if self.graph.kind(name) == "call":
            return name.split(": ", 1)[1]
        if name in self.graph.pool_of:
            pool, role = self.graph.pool_of[name]
            return f"pool {pool}" if role == "pool" else f"pool {pool} {role}"
        return name

    def _own(self, name: str) -> str | None:
        """What changed at ``name`` itself (a root), whatever its inputs did."""
        kind = self.graph.kind(name)
        handler: Callable[[str], str | None] | None = {
            "input": self._leaf,
            "parameter": lambda n: self._leaf(n, f"parameter {n}"),
            "builtin": self._leaf,
            "goal": self._goal,
            "result": self._result,
            "scorecard": self._scorecard,
            "call": self._call,
            "step": self._step,
            "aggregate": self._aggregate,
            "pool": self._pool,
        }.get(kind)
        return handler(name) if handler is not None else None

    def _leaf(self, name: str, label: str | None = None) -> str | None:
        return self.change(name, label) if self.differs(name) else None

    def _goal(self, name: str) -> str | None:
        if not self.differs(name):
            return None
        card, goal, field = name.split(".")
        title = self.rows["b"].get(f"{card}.{goal}.name") or self.rows["a"].get(
            f"{card}.{goal}.name", ""
        )
        return self.change(name, f"goal {goal.removeprefix('goal')} '{title}' {field}")

    def _result(self, name: str) -> str | None:
        key_a, rec_a = self._result_record("a", name)
        key_b, rec_b = self._result_record("b", name)
        if key_a != key_b or rec_a == rec_b:
            return None  # the employee's unit changed: a cause upstream
        pv = self.pv["b"]
        changes = []
        for field in _RESULT_FIELDS:
            if rec_a.get(field) != rec_b.get(field):
                type_ = "percent" if field == "payout" else pv.types.get(name, "decimal")
                changes.append(
                    f"{field} {_figure(rec_a.get(field), type_)} → "
                    f"{_figure(rec_b.get(field), type_)}"
                )
        unit = "" if key_b == "*" else f" ({key_b})"
        return f"result {name}{unit}: {', '.join(changes) or 'changed'}"

    def _scorecard(self, name: str) -> str | None:
        if self.pair.changed("scorecards", name):
            return self.change(name, f"scorecard {name}") + " (changed in the policy)"
        return None

    def _call(self, name: str) -> str | None:
        slot = self.slots.get(name, {})
        callee = str(slot.get("callee", ""))
        if callee == "fx":
            rate_a = self.rows["a"].get(name + " [match]", "").split(";")
            rate_b = self.rows["b"].get(name + " [match]", "").split(";")
            if len(rate_a) == len(rate_b) == 5 and rate_a[1:] == rate_b[1:] and rate_a != rate_b:
                _rate, date, rate_type, frm, to = rate_b
                return f"FX rate {frm}→{to} ({rate_type}, {date}) {rate_a[0]} → {rate_b[0]}"
            return None
        spec_a, spec_b = self.pv["a"].table_spec(callee), self.pv["b"].table_spec(callee)
        if spec_a is None and spec_b is None:
            for section in ("curves", "tiers"):
                if callee in self.pair.spec("b").get(section, {}) and self.pair.changed(
                    section, callee
                ):
                    return f"{section[:-1]} {callee} changed in the policy"
            return None
        if spec_b is None or spec_a == spec_b or not self.differs(name):
            return None
        cell = _cell_label(spec_b, self.rows["b"].get(name + " [match]", ""))
        return self.change(name, f"table {callee}{cell}") + " (changed in the policy)"

    def _step(self, name: str) -> str | None:
        if not self.pair.changed("steps", name):
            return None
        step_a = _at(self.pair.spec("a"), ("steps", name))
        step_b = _at(self.pair.spec("b"), ("steps", name))
        policy = self.pair.policy_b
        where = (
            f"in {policy.get('id')} {self.pair.policy_a.get('version')} → {policy.get('version')}"
        )
        if not isinstance(step_a, Mapping) or not isinstance(step_b, Mapping):
            return f"step {name} {'added' if step_a is None else 'removed'} {where}"
        keys = sorted(k for k in set(step_a) | set(step_b) if step_a.get(k) != step_b.get(k))
        if keys == ["formula"]:
            what = f"formula {step_a['formula']} → {step_b['formula']}"
        else:
            what = ", ".join(keys) + " changed"
        return f"step {name} changed {where}: {what}"

    def _aggregate(self, name: str) -> str | None:
        step = _at(self.pair.spec("b"), ("steps", name)) or {}
        by = str(step.get("by") or "")
        key = self.rows["b"].get(by, "") if by else "*"
        if (by and self.rows["a"].get(by) != key) or not self.differs(name):
            return None
        of = str(step.get("of"))
        moved = self.pair.members(of, by, key)
        group = f"{by} {key}" if by else "all employees"
        why = f"{group}: {of} of {moved}" if moved else f"{group} total changed"
        return f"{self.change(name)} ({why})"

    def _pool(self, name: str) -> str | None:
        pool, role = self.graph.pool_of[name]
        if not self.differs(name):
            return None
        spec = _at(self.pair.spec("b"), ("pools", pool)) or {}
        by = str(spec.get("by") or "")
        key = self.rows["b"].get(by, "") if by else "*"
        if by and self.rows["a"].get(by) != key:
            return None  # the employee moved to another group: a cause upstream
        group = f"{by} {key}" if by else "the pool"
        if self.pair.changed("pools", pool):
            return f"{self.change(name)} (pool {pool} changed in the policy)"
        if role == "factor":  # moved by the pool (upstream) or by the claims of the group
            moved = self.pair.members(f"{pool}_award_in", by, key)
            if not moved:
                return None
            return f"{self.change(name, f'pool {pool} factor')} ({group}: claims of {moved})"
        if role == "remainder" and not self.differs(f"{pool}_scaled"):
            return self.change(name, f"pool {pool} rounding remainder") + (
                f" (largest-remainder ranking of {group} changed)"
            )
        if role == "pool" and not self.differs(f"{pool}_funding"):
            return self.change(name, f"pool {pool} ({group})")
        return None

    def _eligibility(self) -> list[str]:
        """Why the employee became eligible or not: each rule whose outcome flipped."""
        now = self.rows["b"].get("eligible") == "true"
        found: list[str] = []
        for name, slot in self.slots.items():
            if slot.get("kind") != "eligibility" or not self.differs(name):
                continue
            roots = [
                text
                for up in self.graph.reads.get(name, ())
                if self.differs(up)
                for text, _path in self.roots(up)
            ]
            if self.pair.changed("eligibility"):
                roots.append(f"eligibility rules of {self.pair.policy_b.get('id')} changed")
            rule = slot.get("owner")
            outcome = (
                f"{rule} passes, so eligible"
                if now
                else f"{rule} fails ({slot.get('reason')}), so not eligible"
            )
            found += [f"{text}, so {outcome}" for text in dict.fromkeys(roots)] or [outcome]
        return found or ["eligible " + ("no → yes" if now else "yes → no")]


def _figure(text: object, type_: str) -> str:
    """A plan result's figure as `explain` prints it (``124%``, not ``124.0%``)."""
    if text is None:
        return "(none)"
    value = typed(str(text), "decimal")
    return format_value(value, type_) if isinstance(value, Decimal) else str(text)


def _cell_label(spec: Mapping[str, Any], match: str) -> str:
    """``[rating=4]``: the table cell a call matched (its recorded positions), by axis value."""
    axes = spec.get("axes", [])
    positions = match.split(";")
    if len(positions) != len(axes) or not all(p.isdigit() for p in positions):
        return ""
    labels = []
    for axis, position in zip(axes, positions, strict=True):
        at = axis.get("at", [])
        index = int(position)
        if index >= len(at):
            return ""
        item = at[index]
        if isinstance(item, Mapping):
            item = f"{item.get('from', '')}–{item.get('to', '')}"
        labels.append(f"{axis.get('name')}={item}")
    return f" [{', '.join(labels)}]"


def _passes(kind: str, cell: str, gap: str | None) -> str:
    """A criterion as ``passes`` or ``fails (its gap)``, readiness as ``yes`` or ``no``."""
    if cell not in ("true", "false"):
        return "(none)"
    if kind == "ready":
        return "yes" if cell == "true" else "no"
    return "passes" if cell == "true" else f"fails ({gap})" if gap else "fails"
