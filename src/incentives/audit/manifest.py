"""The run's records: `rulebook.json` (the static policies) and `manifest.json` (the run).

Neither holds a timestamp or an absolute path that would differ between two runs of the same
inputs: the same inputs and policies give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from incentives.engine.allocation_report import BudgetLine, PoolLine
from incentives.engine.calculate import Calculation
from incentives.money import ENGINE_CONTEXT, context_description
from incentives.rulebook.rulebook import Rulebook
from incentives.version import __version__

__all__ = ["manifest_data", "rulebook_data"]


def rulebook_data(rulebook: Rulebook) -> dict[str, Any]:
    """Every policy as declared (the validated spec), its slots and its lookups, recorded once."""
    policies = []
    for policy in rulebook.policies:
        policies.append(
            {
                "id": policy.id,
                "version": policy.version,
                "kind": policy.kind,
                "title": policy.spec.policy.title,
                "file": policy.file,
                "sha256": policy.sha256,
                "spec": policy.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
                "slots": [slot.describe() for slot in policy.slots],
                "written_as_percent": sorted(policy.written_as_percent),
                "lookups": {name: obj.describe() for name, obj in sorted(policy.lookups.items())},
                "pay": [
                    {
                        "name": pay.name,
                        "pay_code": pay.pay_code,
                        "step": pay.step,
                        "split": [{"name": n, "pay_code": c} for n, c in pay.parts],
                        **({"unit": pay.unit} if pay.unit else {}),  # shares, points: not money
                    }
                    for pay in policy.pay
                ],
            }
        )
    return {
        "tool": {"name": "incentives", "version": __version__},
        "fields": [
            {"name": f.name, "type": f.type, "declared_by": list(f.declared_by)}
            for f in rulebook.fields
        ],
        "policies": policies,
    }


def _keyed(data: Mapping[object, Any]) -> dict[str, Any]:
    return {("*" if key is None else str(key)): value for key, value in data.items()}


def manifest_data(
    calc: Calculation,
    *,
    inputs: Mapping[str, Mapping[str, object]],
    as_of: str | Mapping[str, str],
    orphan_rows: int,
    budgets: Sequence[BudgetLine] = (),
    pools: Sequence[PoolLine] = (),
    files: Mapping[str, object] | None = None,
    what_if: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """What the run read (with SHA-256), how it counted, its totals per currency and component,
    and (``files``) the files it wrote: each policy's breakdown file (docs/run-folder.md).
    A what-if run (overrides or input changes) says so first: ``what_if`` and its ``layers``
    (docs/what-if.md)."""
    s = calc.summary
    totals = [
        {"currency": cur, "component": comp, "pay_code": code, "amount": amount}
        for (cur, comp, code), amount in sorted(s.totals.items())
    ]
    data = {
        "tool": {"name": "incentives", "version": __version__},
        **({"what_if": True, "layers": [dict(layer) for layer in what_if]} if what_if else {}),
        "as_of": as_of,
        "decimal_context": context_description(ENGINE_CONTEXT),
        "policies": [
            {"id": p.id, "version": p.version, "kind": p.kind, "file": p.file, "sha256": p.sha256}
            for p in calc.rulebook.policies
        ],
        "inputs": dict(inputs),
        "counts": {
            "read": s.read,
            "computed": s.computed,
            "rejected": s.rejected,
            "not_covered": s.not_covered,
            "not_covered_by_kind": dict(sorted(s.not_covered_by_kind.items())),
            "eligible": s.eligible,
            "ineligible": s.ineligible,
            "reconciles": s.reconciles,
            "orphan_rows": orphan_rows,
            "unmatched_rows": s.unmatched,
            "keyed_files": {
                role: {**attrs.asdict(counts), "reconciles": counts.reconciles}
                for role, counts in sorted(s.keyed_files.items())
            },
        },
        "totals": totals,
        **(
            {  # components paid in units (shares, points), per unit: never money
                "unit_totals": [
                    {"unit": unit, "component": comp, "pay_code": code, "amount": amount}
                    for (unit, comp, code), amount in sorted(s.unit_totals.items())
                ]
            }
            if s.unit_totals
            else {}
        ),
        "plan_values": calc.plan_values,
        "group_totals": {
            pid: {name: _keyed(groups) for name, groups in per.items()}
            for pid, per in calc.group_totals().items()
        },
        "budgets": [attrs.asdict(line) for line in budgets],
        "pools": [attrs.asdict(line) for line in pools],
    }
    if files is not None:
        data["files"] = dict(files)
    return data
