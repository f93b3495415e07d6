"""Plan results and plan scorecards: computed once per run (once per unit for results given
by unit) when a policy is bound, as the generated code's globals and the manifest's record.

A result's figures come from the policy, its units or ``--results``; its payout is the
override, else the stated payout, else its curve at the actual. A plan scorecard weighs its
items' payouts and applies its gates, each formula evaluated once here (never per employee).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from incentives.errors import OptionsError
from incentives.expr import NAMESPACE, compile_expression
from incentives.rulebook.language.fractions import weigh
from incentives.rulebook.language.result_spec import is_points
from incentives.rulebook.language.schema import GateSpec, ScorecardItemSpec
from incentives.rulebook.runtime import contract
from incentives.rulebook.runtime.contract import RESULT_SUFFIXES
from incentives.rulebook.runtime.curves import CurveSpec, compile_curve
from incentives.rulebook.runtime.plan_gate_flags import applied_flags
from incentives.rulebook.runtime.plan_shares import item_weight, written_weights
from incentives.rulebook.runtime.policy import CompiledPolicy
from incentives.rulebook.runtime.result_adjustment import adjust
from incentives.rulebook.runtime.result_curve import result_points
from incentives.rulebook.runtime.result_rank import cap_negative, rank_actual
from incentives.rulebook.runtime.scorecard import attainment

__all__ = ["PlanValues"]

_ZERO = Decimal(0)
# a result's figures, as the policy, a unit or --results gives them
_FIGURES = ("actual", "threshold", "target", "maximum", "attainment", "stated_payout")


class PlanValues:
    """Plan results and plan scorecards for one run, with their globals and their record."""

    def __init__(
        self,
        policy: CompiledPolicy,
        builtins: Mapping[str, object],
        figures: Mapping[tuple[str, str, str], Decimal],
    ):
        self.policy = policy
        self.spec = policy.spec
        self.builtins = builtins
        self.globals: dict[str, Any] = {}
        self.record: dict[str, Any] = {"results": {}, "scorecards": {}}
        self.values: dict[str, dict[str | None, tuple[Any, ...]]] = {}
        for name in self.spec.results:
            self._result(name, figures)
        for name, card in self.spec.scorecards.items():
            if card.scope == "plan":
                self._scorecard(name)

    def _result(self, name: str, figures: Mapping[tuple[str, str, str], Decimal]) -> None:
        spec = self.spec.results[name]
        units: list[str | None] = [None]
        if spec.by:
            listed = set(spec.units or {}) | {
                unit for (res, unit, _f) in figures if res == name and unit
            }
            units[:] = sorted(listed)
        per_unit: dict[str | None, tuple[Any, ...]] = {}
        record: dict[str, Any] = {}
        for unit in units:
            base = spec if unit is None else (spec.units or {}).get(unit)
            values: dict[str, Decimal | None] = {}
            for field in _FIGURES:
                key = (name, unit or "", field)
                # a figure a what-if override set wins over --results (docs/what-if.md)
                given = None if key in self.policy.pinned_figures else figures.get(key)
                values[field] = (
                    given
                    if given is not None
                    else (getattr(base, field) if base is not None else None)
                )
            where = f"policy '{self.policy.id}': result '{name}'"
            where += f" for '{unit}'" if unit else ""
            adjustment = base.adjustment if base is not None else None
            values["actual"], adjusted = adjust(where, values["actual"], adjustment)
            if spec.rank is not None:  # the actual is the percentile rank among the peers
                values["actual"], ranked = rank_actual(
                    where, name, spec.rank, values["actual"], figures
                )
                values["rank_value"] = ranked["rank_value"]
                adjusted.update(ranked)
            per_unit[unit], record[unit or "*"] = self._figures(name, unit, values)
            record[unit or "*"].update(adjusted)
        self.values[name] = per_unit
        self.record["results"][name] = record
        if spec.by:
            self.globals[contract.RESULT_BY_UNIT + name] = {
                unit: vals for unit, vals in per_unit.items()
            }
        else:
            for suffix, value in zip(RESULT_SUFFIXES, per_unit[None], strict=True):
                self.globals[contract.RESULT + name + suffix] = value

    def _figures(
        self, name: str, unit: str | None, values: Mapping[str, Decimal | None]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """One result's values (as ``RESULT_SUFFIXES``) for one unit, and their record.

        The attainment is stated or actual ÷ target; the payout is the override, else the
        stated payout, else the curve's value at the actual."""
        spec = self.spec.results[name]
        actual, threshold, target, maximum, stated_att, stated_pay = (values[f] for f in _FIGURES)
        where = f"result '{name}'" + (f" for {spec.by} '{unit}'" if unit else "")
        given = stated_att is not None or stated_pay is not None or spec.override is not None
        if actual is None and (not given or (spec.payout is not None and spec.override is None)):
            raise OptionsError(
                f"policy '{self.policy.id}': {where} has no actual; give it in the policy or in --results"
            )
        lower = threshold is not None and target is not None and threshold > target
        if is_points(spec.payout):  # the direction is the listed points'
            lower = spec.payout[1][0] < spec.payout[0][0]  # type: ignore[index]
        att = stated_att
        if att is None and actual is not None and target:
            att = attainment(actual, target, lower)
        computed = stated_pay
        points: list[tuple[Decimal, Decimal]] | None = None
        if spec.payout is not None and actual is not None:
            points = result_points(spec.payout, threshold, target, maximum)
            try:
                curve = compile_curve(name, CurveSpec(points=points))
            except ValueError as exc:
                raise OptionsError(
                    f"policy '{self.policy.id}': {where}: threshold, target and maximum must be in order ({exc})"
                ) from None
            computed = curve(actual)[0]
        capped = False
        if spec.rank is not None:  # the negative-TSR cap, before any override
            uncapped = computed
            computed, capped = cap_negative(spec.rank, computed, values.get("rank_value"))
        payout = spec.override.payout if spec.override is not None else computed
        record = {
            "actual": actual, "threshold": threshold, "target": target, "maximum": maximum,
            "attainment": att, "payout": payout, "computed_payout": computed,
            "lower_is_better": lower,
            "override_reason": spec.override.reason if spec.override else None,
            "attainment_stated": stated_att is not None,
            "payout_stated": stated_pay is not None,
        }  # fmt: skip
        if capped:
            cap = spec.rank.negative_cap if spec.rank else None
            record.update(uncapped_payout=uncapped, negative_cap=cap)
        if is_points(spec.payout) and points is not None:  # explain reads the curve used
            return (actual, threshold, target, maximum, att, payout), {
                **record,
                "curve_points": [[x, y] for x, y in points],
            }
        return (actual, threshold, target, maximum, att, payout), record

    def _namespace(self, unit: str | None) -> dict[str, Any]:
        ns: dict[str, Any] = dict(NAMESPACE)
        ns.update({f"N_{k}": v for k, v in self.builtins.items()})
        ns.update({f"N_{k}": v for k, v in self.policy.parameters.items()})
        for name, per_unit in self.values.items():
            vals = per_unit.get(None) if None in per_unit else per_unit.get(unit)
            if vals is None:
                continue
            for suffix, value in zip(RESULT_SUFFIXES, vals, strict=True):
                ns[f"N_{name}{suffix}"] = value
        ns.update({contract.LOOKUP + name: obj for name, obj in self.policy.lookups.items()})
        return ns

    def _eval(self, text: str, ns: Mapping[str, Any]) -> Any:
        names = [key[2:] for key in ns if key.startswith("N_")]
        callables = {name: obj.arity for name, obj in self.policy.lookups.items()}
        expr = compile_expression(text, values=frozenset(names), callables=callables)
        consts: dict[str, object] = {}

        def const(value: object) -> str:
            key = f"K{len(consts)}"
            consts[key] = value
            return key

        source = expr.to_python(
            lambda name: f"N_{name}",
            lambda site, args: f"{contract.LOOKUP}{site.name}({', '.join(args)})[0]",
            const,
        )
        return eval(source, {**ns, **consts})  # a formula validated by the compiler's allow-list

    def _scorecard(self, name: str) -> None:
        card = self.spec.scorecards[name]
        by = None
        units: set[str] = set()
        for res in _results_of(card.items or []):
            rspec = self.spec.results[res]
            if rspec.by:
                by = rspec.by
                present = {u for u in self.values[res] if u is not None}
                units = present if not units else units & present
        record: dict[str, Any] = {}
        table: dict[str | None, Decimal] = {}
        flags: dict[str | None, tuple[bool, ...]] = {}
        for unit in sorted(units) if by else [None]:
            ns = self._namespace(unit)
            shares = card.weights or "of_section"
            score, items = self._items(card.items or [], ns, card.normalise, shares)
            score, gates = self._gates(card.gates, score, ns)
            table[unit] = score
            record[unit or "*"] = {"score": score, "items": items, "gates": gates}
            flags[unit] = applied_flags(record[unit or "*"])
        self.record["scorecards"][name] = {"by": by, "values": record}
        if by:
            self.globals[contract.PLAN_SCORE_BY_UNIT + name] = table
            self.globals[contract.PLAN_GATES + name] = flags
        else:
            self.globals[contract.PLAN_SCORE + name] = table[None]
            self.globals[contract.PLAN_GATES + name] = flags[None]

    def _items(
        self,
        items: list[ScorecardItemSpec],
        ns: Mapping[str, Any],
        normalise: bool,
        shares: str = "of_section",
        section: Decimal | None = None,
    ) -> tuple[Decimal, list[dict[str, Any]]]:
        total = _ZERO
        weights = _ZERO
        detail: list[dict[str, Any]] = []
        for item in items:
            weight = item_weight(item.weight, section if shares == "of_plan" else None)
            # recorded as plain decimals (a NumberFraction's exact value is only for weighing)
            entry: dict[str, Any] = {"name": item.name, "weight": Decimal(weight)}
            if weight is not item.weight:  # a share of the plan, weighed within its section
                entry["plan_weight"] = Decimal(item.weight)
            entry.update(written_weights(weight, item.weight))
            if item.items is not None:
                score, children = self._items(item.items, ns, normalise, shares, item.weight)
                entry["items"] = children
            else:
                res = str(item.result)
                entry["result"] = res
                override = self.spec.results[res].override
                if item.curve is not None:
                    curve = self.policy.lookups[item.curve]
                    x = ns[f"N_{res}_attainment"] if curve.on == "attainment" else ns[f"N_{res}"]
                    entry["curve"] = item.curve
                    entry["input"] = x
                    if x is None and override is None:
                        on = "attainment" if curve.on == "attainment" else "actual"
                        raise OptionsError(
                            f"policy '{self.policy.id}': item '{item.name}' reads result "
                            f"'{res}' through curve '{item.curve}', and the result has no "
                            f"{on}; give it one (in the policy or in --results), or drop the "
                            "item's curve to pay the result's own payout"
                        )
                    entry["curve_payout"] = None if x is None else curve(x)[0]
                    if override is not None:  # the override replaces the result's payout
                        score = override.payout
                        entry["override_reason"] = override.reason
                    else:
                        score = entry["curve_payout"]
                else:
                    score = ns[f"N_{res}_payout"]
            entry["computed"] = score
            score, entry["gates"] = self._gates(item.gates, score, ns)
            entry["score"] = score
            detail.append(entry)
            total += weigh(weight, score)
            weights += weight
        if normalise and weights:
            total = total / weights
        return total, detail

    def _gates(
        self, gates: list[GateSpec], score: Decimal, ns: Mapping[str, Any]
    ) -> tuple[Decimal, list[dict[str, Any]]]:
        applied: list[dict[str, Any]] = []
        for gate in gates:
            before = score
            hit = bool(self._eval(gate.when, ns))
            if hit:
                if gate.outcome == "zero":
                    score = _ZERO
                elif gate.outcome == "cap":
                    score = min(score, self._eval(str(gate.value), ns))
                elif gate.outcome == "replace":
                    score = self._eval(str(gate.value), ns)
            applied.append(
                {
                    "name": gate.name,
                    "when": gate.when,
                    "outcome": gate.outcome,
                    "value": gate.value,
                    "applied": hit,
                    "reason": gate.reason,
                    "score_before": before,
                    "score_after": score,
                    "bound": score != before,
                }
            )
        return score, applied


def _results_of(items: list[ScorecardItemSpec]) -> list[str]:
    found: list[str] = []
    for item in items:
        if item.items is not None:
            found += _results_of(item.items)
        elif item.result:
            found.append(item.result)
    return found
