"""A sweep's folder, written whole (`io.writers.OutputDir`): sweep.csv, stats.csv, summary.md,
rulebook.json and manifest.json. The same inputs and points give byte-identical files."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.manifest import rulebook_data
from incentives.io.csvread import file_sha256
from incentives.io.writers import OutputDir, format_cell
from incentives.jobs import manifest_inputs
from incentives.money import ENGINE_CONTEXT, context_description
from incentives.rulebook.rulebook import Rulebook
from incentives.sweep.evaluate import PointResult, budget_spends, prepared
from incentives.sweep.job import Stats, Summary, SweepRequest, load, summarise, sweep_points
from incentives.sweep.points import Points
from incentives.sweep.stats import PERCENTILES
from incentives.version import __version__

__all__ = ["FILES", "SweepReport", "run_sweep", "summary_text"]

FILES = ("manifest.json", "rulebook.json", "stats.csv", "summary.md", "sweep.csv")
_STATS_HEADER = ("measure", "currency", "mean", *(f"p{p}" for p in PERCENTILES), "min", "max",
                 "budget", "p_over")  # fmt: skip


@attrs.frozen
class SweepReport:
    out: Path
    points: Points
    results: tuple[PointResult, ...]
    summary: Summary
    reused: tuple[str, ...]  # the policies evaluated once, not per point
    rows: int  # roster records read once
    text: str  # summary.md


def run_sweep(request: SweepRequest, executor: Executor | None = None) -> SweepReport:
    """Read the points, evaluate each (see `sweep_points`), write the sweep folder."""
    rulebook, points, budgets = load(request)
    results = sweep_points(
        request.run, points, workers=request.run.workers, scheduler=request.scheduler,
        executor=executor,
    )  # fmt: skip
    summary = summarise(points, results, budgets)
    ready = prepared(request.run, frozenset(v.policy for v in points.variables))
    text = summary_text(points, summary, ready.reused, len(ready.rows))
    with OutputDir(request.run.out, force=request.run.force) as out:
        _sweep_csv(out, points, results)
        sink = out.csv_writer("stats.csv", _STATS_HEADER)
        for t in (*summary.totals, *summary.budgets):
            sink.write_cells([format_cell(c) for c in (
                t.measure, t.currency, t.mean, *t.percentiles, t.minimum, t.maximum, t.budget,
                t.p_over)])  # fmt: skip
        out.text("summary.md", text)
        out.json("rulebook.json", rulebook_data(rulebook))
        out.json("manifest.json", _manifest(request, rulebook, points, summary, ready.reused))
    return SweepReport(
        request.run.out, points, tuple(results), summary, ready.reused, len(ready.rows), text
    )


def _sweep_csv(out: OutputDir, points: Points, results: Sequence[PointResult]) -> None:
    keys = sorted({key for r in results for key, _ in r.totals})
    spends = budget_spends(results)
    header = ("point", "weight", *(v.label for v in points.variables),
              *(f"{code} {cur}" for cur, code in keys), *spends, "rejected", "whole")  # fmt: skip
    sink = out.csv_writer("sweep.csv", header)
    for index, (point, result) in enumerate(zip(points.points, results, strict=True)):
        totals = dict(result.totals)
        cells: list[object] = [point.id, point.weight, *point.values]
        cells += [totals.get(key, Decimal(0)) for key in keys]
        cells += [getattr(at[index], "spend", None) for at in spends.values()]
        cells += [result.rejected, result.whole]
        sink.write_cells([format_cell(c) for c in cells])


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def summary_text(points: Points, summary: Summary, reused: Sequence[str], rows: int) -> str:
    """summary.md: what was swept, the accrual and its spread, the chance of each overrun."""
    source = points.source.get("kind", "points")
    lines = [
        f"# Funding sweep: {len(points.points):,} points ({source})",
        "",
        "Swept: " + ", ".join(v.label for v in points.variables)
        + f" (policy {', '.join(sorted({v.policy for v in points.variables}))}).",
        f"Reused at every point: the roster ({rows:,} records, read once)"
        + (f"; {', '.join(reused)} evaluated once (no swept result belongs to them)." if reused else "."),
        "",
        "| pay code | currency | accrual (weighted mean) | p5 | p50 | p95 | budget | P(over budget) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += _table_rows(summary.totals)
    if summary.budgets:
        lines += ["", "| policy budget | currency | mean spend | p5 | p50 | p95 | budget | P(over budget) |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        lines += _table_rows(summary.budgets)
    if summary.whole_points:
        lines += ["", f"{summary.whole_points} point(s) rejected other rows than the baseline "
                  "and were evaluated with every policy."]  # fmt: skip
    return "\n".join(lines) + "\n"


def _table_rows(stats: Sequence[Stats]) -> list[str]:
    return [
        f"| {t.measure} | {t.currency} | {_money(t.mean)} | "
        + " | ".join(_money(p) for p in t.percentiles)
        + f" | {_money(t.budget)} | {'-' if t.p_over is None else _percent(t.p_over)} |"
        for t in stats
    ]


def _percent(probability: Decimal) -> str:
    return f"{probability * 100:.2f} %"


def _manifest(
    request: SweepRequest, rulebook: Rulebook, points: Points, summary: Summary,
    reused: Sequence[str],
) -> dict[str, Any]:  # fmt: skip
    given = request.run
    inputs: dict[str, Any] = manifest_inputs(given, file_sha256(given.employees), None)
    for role, path in (("draws", request.draws), ("sweep_file", request.spec)):
        if path is not None:
            inputs[role] = {"path": str(path), "sha256": file_sha256(path)}
    return {
        "tool": {"name": "incentives", "version": __version__},
        "kind": "sweep",
        "as_of": None if given.as_of is None else given.as_of.isoformat(),
        "decimal_context": context_description(ENGINE_CONTEXT),
        "policies": [
            {"id": p.id, "version": p.version, "kind": p.kind, "file": p.file, "sha256": p.sha256}
            for p in rulebook.policies
        ],
        "inputs": inputs,
        "points": {
            **points.source,
            "count": len(points.points),
            "grid": list(request.grid),
            "variables": [attrs.asdict(v) for v in points.variables],
        },
        "reused": {"roster_read_once": True, "policies_evaluated_once": list(reused)},
        "accrual_budgets": list(request.budgets),
        "whole_points": summary.whole_points,
        "totals": [
            {"currency": t.currency, "pay_code": t.measure, "mean": t.mean,
             **{f"p{p}": v for p, v in zip(PERCENTILES, t.percentiles, strict=True)},
             "budget": t.budget, "p_over": t.p_over}
            for t in summary.totals
        ],
    }
