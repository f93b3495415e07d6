"""A run diff for people (a table on stdout, a summary) and for files (`diff.csv`).

diff_text(diff)            the summary, then every change with its causes, then every output
summary_text(diff)         runs, policies, inputs, counts and the reconciled totals
write_diff(diff, out)      diff.csv, outputs.csv and summary.txt, written whole (`OutputDir`)
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from incentives.audit.diff_causes import amount_places, signed_amount
from incentives.audit.run_diff import RunDiff
from incentives.display import format_number
from incentives.io import run_dir
from incentives.io.writers import OutputDir

__all__ = ["DIFF_COLUMNS", "OUTPUT_COLUMNS", "diff_text", "summary_text", "write_diff"]

DIFF_COLUMNS = (
    "employee_id", "policy", "component", "currency", "status", "before", "after", "delta",
    "causes",
)  # fmt: skip
OUTPUT_COLUMNS = ("employee_id", "policy", "output", "before", "after", "change", "causes")


def _money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "-"
    return format_number(amount, places=amount_places(currency))


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def summary_text(diff: RunDiff) -> str:
    """What a reader needs first: the runs, what changed in policies and inputs, the counts,
    and each total that moved (the deltas reconcile with both runs' totals)."""
    lines = [f"run A: {diff.run_a}", f"run B: {diff.run_b}"]
    lines += [p.describe() for p in diff.policies]
    lines += list(diff.notes)
    lines.append(
        f"employees: {len(diff.added)} added, {len(diff.removed)} removed, "
        f"{len(diff.changed)} changed, {diff.unchanged} unchanged"
    )
    if diff.empty:
        lines.append("no differences")
        return "\n".join(lines) + "\n"
    moved = [t for t in diff.totals if t.difference != 0]
    lines.append("")
    if not moved:  # the changes moved money between employees (a pool), not the totals
        lines.append(f"totals that moved: none of {len(diff.totals)} (the deltas add up to 0)")
    else:
        lines.append(
            f"totals that moved ({len(moved)} of {len(diff.totals)}; the deltas add up to each "
            "difference, per currency and component):"
        )
    rows = [("currency", "component", "run A", "run B", "difference")]
    rows += [
        (
            t.currency,
            t.component,
            _money(t.before, t.currency),
            _money(t.after, t.currency),
            signed_amount(t.difference, t.currency),
        )
        for t in moved
    ]
    if moved:
        lines += ["  " + line for line in _table(rows, {2, 3, 4})]
    return "\n".join(lines) + "\n"


def diff_text(diff: RunDiff) -> str:
    """The summary, then one line per change (employee, policy, component, amounts) and its
    causes indented under it, then likewise one line per output that moved."""
    return _changes_text(diff, summary_text(diff)) + _outputs_text(diff)


def _outputs_text(diff: RunDiff) -> str:
    if not diff.outputs:
        return ""
    header = ("employee", "policy", "output", "before", "after", "change")
    rows = [header] + [
        (o.employee_id, o.policy, o.output, o.shown_before, o.shown_after, o.change)
        for o in diff.outputs
    ]
    table = _table(rows, {3, 4, 5})
    lines = ["", "outputs that moved (not pay: outside the totals):", table[0]]
    for output, line in zip(diff.outputs, table[1:], strict=True):
        lines.append(line)
        lines += [f"    {cause}" for cause in output.causes]
    return "\n".join(lines) + "\n"


def _changes_text(diff: RunDiff, text: str) -> str:
    if not diff.changes:
        return text
    header = ("employee", "policy", "component", "currency", "before", "after", "delta", "")
    rows = [header] + [
        (
            c.employee_id,
            c.policy,
            c.component,
            c.currency,
            _money(c.before, c.currency),
            _money(c.after, c.currency),
            signed_amount(c.delta, c.currency),
            "" if c.status == "changed" else c.status,
        )
        for c in diff.changes
    ]
    table = _table(rows, {4, 5, 6})
    lines = ["", table[0]]
    for change, line in zip(diff.changes, table[1:], strict=True):
        lines.append(line)
        lines += [f"    {cause}" for cause in change.causes]
    return text + "\n".join(lines) + "\n"


def _cell(amount: Decimal | None) -> str:
    return "" if amount is None else format(amount, "f")


def write_diff(diff: RunDiff, out: Path | str, *, force: bool = False) -> tuple[str, ...]:
    """Write ``diff.csv`` (one row per change, causes joined by ``; ``), ``outputs.csv`` (one
    row per output that moved) and ``summary.txt`` into ``out``, whole or not at all; ``out`` may not be or hold either run folder. Returns
    the names of the files written."""
    out = Path(out)
    run_dir.check_apart(out, [("run A", diff.run_a), ("run B", diff.run_b)])
    with OutputDir(out, force=force) as folder:
        sink = folder.csv_writer("diff.csv", DIFF_COLUMNS)
        for c in diff.changes:
            sink.write(
                [
                    c.employee_id,
                    c.policy,
                    c.component,
                    c.currency,
                    c.status,
                    _cell(c.before),
                    _cell(c.after),
                    format(c.delta, "f"),
                    "; ".join(c.causes),
                ]
            )
        outputs = folder.csv_writer("outputs.csv", OUTPUT_COLUMNS)
        for o in diff.outputs:
            outputs.write(
                [o.employee_id, o.policy, o.output, o.before, o.after, o.change,
                 "; ".join(o.causes)]
            )  # fmt: skip
        folder.text("summary.txt", summary_text(diff))
        return folder.names
