"""What each recorded value of a policy reads, from `rulebook.json` alone, for run diffs.

A node is a breakdown column (an input, a step, a call ``owner: callee(args)``, a goal field
``card.goalN.field``, an eligibility rule, a pay column, a promotion criterion, readiness) or a
value the policy holds for every employee (a parameter, a plan result, a plan scorecard, a
builtin date). `PolicyGraph.reads`
gives, per node, the nodes it is computed from: the ``reads`` each slot records, the calls a
step makes, the goals of an employee scorecard, the results of a plan scorecard, and the order
in which a pool's steps follow each other (docs/run-folder.md, `compiler/allocations.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["GOAL_INPUTS", "PolicyGraph", "policy_graph"]

GOAL_INPUTS = ("name", "direction", "target", "actual", "weight")  # a goal's own fields
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESULT_SUFFIXES = ("_threshold", "_target", "_maximum", "_attainment", "_payout")


@attrs.frozen
class PolicyGraph:
    """One policy's nodes: what each reads, and what kind of value each is."""

    policy: Mapping[str, Any]
    reads: Mapping[str, tuple[str, ...]]
    kinds: Mapping[str, str]  # node -> input, step, call, goal, eligibility, pay, parameter,
    #                            result, scorecard, builtin, aggregate, pool, criterion, ready
    result_of: Mapping[str, str]  # a result's names (operating_margin_target) -> the result
    pool_of: Mapping[str, tuple[str, str]]  # a pool's step -> (pool, role)
    steps: tuple[str, ...]  # the steps the policy declares (not those of pools or pay)

    def kind(self, name: str) -> str:
        return self.kinds.get(name, "")


def _scorecard_results(items: Any) -> list[str]:
    found: list[str] = []
    for item in items or []:
        if isinstance(item, Mapping):
            if item.get("result"):
                found.append(str(item["result"]))
            found += _scorecard_results(item.get("items"))
    return found


def policy_graph(policy: Mapping[str, Any]) -> PolicyGraph:
    """The graph of one policy as `rulebook.json` describes it."""
    spec: Mapping[str, Any] = policy.get("spec", {})
    slots: list[Mapping[str, Any]] = list(policy.get("slots", []))
    reads: dict[str, tuple[str, ...]] = {}
    kinds: dict[str, str] = {}
    result_of: dict[str, str] = {}
    for name in spec.get("parameters", {}):
        kinds[name] = "parameter"
    for name in ("period_start", "period_end", "payout_date", "effective_from", "effective_to"):
        kinds[name] = "builtin"
    kinds["as_of"] = "builtin"
    for name, result in spec.get("results", {}).items():
        by = result.get("by") if isinstance(result, Mapping) else None
        kinds[name] = "result"
        reads[name] = (str(by),) if by else ()
        result_of[name] = name
        for suffix in _RESULT_SUFFIXES:
            result_of[name + suffix] = name
    cards = spec.get("scorecards", {})
    for name, card in cards.items():
        if card.get("scope") == "plan":
            kinds[name] = "scorecard"
            reads[name] = tuple(dict.fromkeys(_scorecard_results(card.get("items"))))
    calls: dict[str, list[str]] = {}
    for slot in slots:
        if slot.get("kind") == "call":
            calls.setdefault(str(slot.get("owner")), []).append(str(slot["name"]))
    pool_of = {
        f"{pool}_{role}": (str(pool), role)
        for pool in spec.get("pools", {})
        for role in ("member", "award_in", "cap", "funding", "pool", "factor", "scaled",
                     "remainder", "award", "payout")
    }  # fmt: skip
    step_reads = {
        str(s["name"]): tuple(str(r) for r in s.get("reads", []))
        for s in slots
        if s.get("kind") == "step"
    }
    names = {str(s["name"]) for s in slots} | set(kinds) | set(result_of)
    for slot in slots:
        name, kind, owner = str(slot["name"]), str(slot.get("kind")), str(slot.get("owner"))
        own = tuple(result_of.get(r, r) for r in slot.get("reads", []))
        if kind == "input":
            kinds[name] = "input"
        elif kind == "eligibility":
            kinds[name], reads[name] = "eligibility", own
        elif kind == "goals":
            card = cards.get(owner, {})
            for n in range(1, int(card.get("max_goals", 0) or 0) + 1):
                for field in GOAL_INPUTS:
                    kinds[f"{owner}.goal{n}.{field}"] = "goal"
        elif kind == "call":
            kinds[name] = "call"
            reads[name] = tuple(result_of.get(r, r) for r in step_reads.get(owner, ()))
        elif kind == "step":
            kinds[name] = "step"
            extra: tuple[str, ...] = ()
            card = cards.get(name)
            if card is not None and card.get("scope") != "plan":
                extra = tuple(
                    f"{name}.goal{n}.{field}"
                    for n in range(1, int(card.get("max_goals", 0) or 0) + 1)
                    for field in GOAL_INPUTS
                )
            step = spec.get("steps", {}).get(name, {})
            if step.get("aggregate"):
                kinds[name] = "aggregate"
                extra = (str(step["by"]),) if step.get("by") else ()
            if name in pool_of:
                extra = _pool_reads(name, pool_of, names)
                if pool_of[name][1] in ("pool", "factor", "scaled", "remainder", "award"):
                    kinds[name] = "pool"
            reads[name] = tuple(dict.fromkeys((*calls.get(name, ()), *own, *extra)))
        elif kind == "criterion":
            kinds[name], reads[name] = "criterion", own
        elif kind == "ready":  # promotion readiness: all criteria pass
            kinds[name] = "ready"
            reads[name] = tuple(str(s["name"]) for s in slots if s.get("kind") == "criterion")
        elif kind == "pay" or (kind == "stage" and name.startswith("pay.")):
            kinds[name] = "pay"
            reads[name] = _pay_reads(name, spec, names)
    steps = tuple(s for s in spec.get("steps", {}) if s not in pool_of)
    return PolicyGraph(policy, reads, kinds, result_of, pool_of, steps)


def _pool_reads(
    name: str, pool_of: Mapping[str, tuple[str, str]], names: set[str]
) -> tuple[str, ...]:
    """The order of a pool's steps (`compiler/allocations.py`): its funding makes the pool,
    the pool the factor, and each member's scaled award reads the factor and the pool."""
    pool, role = pool_of[name]
    wanted = {
        "pool": ("funding",),
        "factor": ("pool",),
        "scaled": ("award_in", "cap", "factor", "pool"),
        "remainder": ("scaled",),
        "award": ("scaled", "remainder"),
    }.get(role, ())
    return tuple(f"{pool}_{r}" for r in wanted if f"{pool}_{r}" in names)


def _pay_reads(name: str, spec: Mapping[str, Any], names: set[str]) -> tuple[str, ...]:
    """A pay column reads its step (the total), a split part its threshold and the total."""
    for pay in spec.get("pay", []):
        component = str(pay.get("name"))
        parts = [str(p.get("name")) for p in pay.get("split", [])]
        total = f"pay.{component}.total"
        if name == total:
            return (str(pay.get("step")),)
        if name == f"pay.{component}":
            return (total, *(f"pay.{p}.above" for p in parts))
        for part in parts:
            if name == f"pay.{part}":
                return (total, f"pay.{part}.above")
            if name == f"pay.{part}.above":
                above = next(p for p in pay["split"] if p.get("name") == part)
                text = str(above.get("above", ""))
                return tuple(dict.fromkeys(n for n in _NAME.findall(text) if n in names))
    return ()
