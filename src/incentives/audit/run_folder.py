"""Reading a run folder back: its CSV outputs and JSON records, with errors naming the file.

Only what `incentives run` wrote is read; nothing is recomputed here. A missing or unreadable
file raises `OptionsError` naming the file and saying what to do.
"""

from __future__ import annotations

import csv
import difflib
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from incentives.errors import OptionsError, shorten

__all__ = ["RunFolder", "read_run_folder", "unknown_employee"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDED = {
    "results.csv": ("employee_id", "policy", "currency", "eligible", "zero_reason"),
    "inputs.csv": ("employee_id",),
    "breakdown.csv": ("employee_id", "policy", "eligible"),  # a folder written before 0.9
    "rejected.csv": ("employee_id", "reason"),
    "not_covered.csv": ("employee_id", "kind", "excluded_by"),
}
_BREAKDOWN_NEEDED = ("employee_id", "eligible")  # breakdown/<policy>.csv


@attrs.frozen
class RunFolder:
    """One run folder, read: the records of every employee and the run's JSON files.

    ``breakdown`` holds one row per computed employee and policy, in the order of results.csv:
    the policy's breakdown file row joined with the inputs the policy read (from inputs.csv,
    or from its breakdown file for an input it keeps), with the policy id (see
    docs/run-folder.md).
    """

    path: Path
    rulebook: Mapping[str, Any]
    manifest: Mapping[str, Any]
    results: tuple[dict[str, str], ...]
    breakdown: tuple[dict[str, str], ...]
    rejected: tuple[dict[str, str], ...]
    not_covered: tuple[dict[str, str], ...] = ()  # none in a folder written before the file was

    def policy(self, policy_id: str) -> Mapping[str, Any]:
        for policy in self.rulebook.get("policies", []):
            if policy.get("id") == policy_id:
                return dict(policy)
        raise OptionsError(
            f"{self.path / 'rulebook.json'}: policy '{policy_id}' of the breakdown is not "
            "described; the run folder is inconsistent (write it again with `incentives run`)"
        )


def _unescape(cell: str) -> str:
    """Undo the writer's guard against spreadsheet formulas (``'-5`` was written for ``-5``)."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS):
        return cell[1:]
    return cell


def _fault(path: Path, message: str) -> OptionsError:
    return OptionsError(
        f"{path}: {message} (is this a run folder written by `incentives run`? "
        "Run it again with --force to rewrite it)"
    )


def _read_csv(
    folder: Path, name: str, needed: tuple[str, ...] | None = None
) -> tuple[dict[str, str], ...]:
    path = folder / name
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            if not _ends_with_line_end(path):
                raise _fault(path, "the file does not end with a line end: it was cut short")
            reader = csv.DictReader(stream)
            header = reader.fieldnames or []
            missing = [column for column in needed or _NEEDED[name] if column not in header]
            if missing:
                raise _fault(path, f"column(s) {', '.join(missing)} missing from the header")
            rows = []
            for row in reader:
                if None in row or any(value is None for value in row.values()):
                    raise _fault(path, f"line {reader.line_num} does not match the header")
                rows.append({key: _unescape(value) for key, value in row.items()})
            return tuple(rows)
    except FileNotFoundError:
        raise _fault(path, "the file is missing") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _fault(path, f"the file cannot be read ({exc})") from None


def _ends_with_line_end(path: Path) -> bool:
    """Every file `incentives run` writes ends with a line end; one cut short does not."""
    with path.open("rb") as stream:
        if stream.seek(0, 2) == 0:
            return False
        stream.seek(-1, 2)
        return stream.read(1) == b"\n"


def _read_json(folder: Path, name: str) -> Mapping[str, Any]:
    path = folder / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fault(path, "the file is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fault(path, f"the file is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _fault(path, "the file does not hold a JSON object")
    return data


def read_run_folder(folder: Path, *, steps: bool = True) -> RunFolder:
    """Read every file of a run folder; `OptionsError` names the first one that is unusable.

    With ``steps=False`` the breakdown files are not read: each ``breakdown`` row holds the
    employee's inputs only (what payroll reads; a large run's steps cost most of the time)."""
    if not folder.is_dir():
        raise OptionsError(f"{folder}: not a folder; give the --out folder of `incentives run`")
    rulebook = _read_json(folder, "rulebook.json")
    if not isinstance(rulebook.get("policies"), list):
        raise _fault(folder / "rulebook.json", "no 'policies' list")
    manifest = _read_json(folder, "manifest.json")
    results = _read_csv(folder, "results.csv")
    if "files" not in manifest and (folder / "breakdown.csv").exists():
        breakdown = _read_csv(folder, "breakdown.csv")  # one file for every policy
        _check_rows(folder / "breakdown.csv", _keys(breakdown), _keys(results))
    else:
        breakdown = _joined_breakdown(folder, rulebook, manifest, results, steps)
    return RunFolder(
        path=folder,
        rulebook=rulebook,
        manifest=manifest,
        results=results,
        breakdown=breakdown,
        rejected=_read_csv(folder, "rejected.csv"),
        not_covered=_read_csv(folder, "not_covered.csv")
        if (folder / "not_covered.csv").exists()
        else (),
    )


def _joined_breakdown(
    folder: Path,
    rulebook: Mapping[str, Any],
    manifest: Mapping[str, Any],
    results: tuple[dict[str, str], ...],
    steps: bool = True,
) -> tuple[dict[str, str], ...]:
    """Each policy's breakdown rows with the inputs it read, in the order of results.csv."""
    files = manifest.get("files", {})
    names = files.get("breakdown") if isinstance(files, dict) else None
    if not isinstance(names, dict):
        raise _fault(folder / "manifest.json", "no 'files.breakdown' (the breakdown files)")
    input_rows = _read_csv(folder, "inputs.csv")
    inputs = {row["employee_id"]: row for row in input_rows}
    paid: dict[str, list[str]] = {}  # policy id -> the employees results.csv has for it
    for r in results:
        paid.setdefault(r["policy"], []).append(r["employee_id"])
    computed = list(dict.fromkeys(r["employee_id"] for r in results))
    _check_rows(folder / "inputs.csv", [row["employee_id"] for row in input_rows], computed)
    unknown = sorted(paid.keys() - {str(policy.get("id")) for policy in rulebook["policies"]})
    if unknown:
        raise _fault(
            folder / "rulebook.json", f"policy '{shorten(unknown[0])}' of results.csv is missing"
        )
    joined: dict[tuple[str, str], dict[str, str]] = {}
    for policy in rulebook["policies"]:
        policy_id = str(policy.get("id"))
        name = names.get(policy_id)
        if not isinstance(name, str) or not name.startswith("breakdown/") or ".." in name:
            raise _fault(folder / "manifest.json", f"no breakdown file for policy '{policy_id}'")
        read = [
            str(s["name"])
            for s in policy.get("slots", [])
            if s.get("kind") == "input" and s.get("name") != "employee_id"
        ]
        if not steps:
            rows: tuple[dict[str, str], ...] = tuple(
                {"employee_id": e} for e in paid.get(policy_id, [])
            )
        else:
            rows = _read_csv(folder, name, _BREAKDOWN_NEEDED)
        _check_rows(folder / name, [row["employee_id"] for row in rows], paid.get(policy_id, []))
        for row in rows:
            shared = inputs.get(row["employee_id"])
            if shared is None:
                raise _fault(
                    folder / "inputs.csv", f"employee '{row['employee_id']}' of {name} is missing"
                )
            record = {"employee_id": row["employee_id"], "policy": policy_id}
            record.update({n: shared.get(n, "") for n in read if n not in row})
            record.update(row)
            record["policy"] = policy_id  # the key, whatever an input of that name holds
            joined[(row["employee_id"], policy_id)] = record
    ordered = [
        joined.pop(key) for r in results if (key := (r["employee_id"], r["policy"])) in joined
    ]
    return (*ordered, *joined.values())


def _keys(rows: tuple[dict[str, str], ...]) -> list[str]:
    return [f"{row['employee_id']}, {row['policy']}" for row in rows]


def _check_rows(path: Path, held: list[str], expected: list[str]) -> None:
    """A file holds one row for each employee results.csv has for it, and no other row."""
    if held == expected or Counter(held) == Counter(expected):
        return
    rows = set(held)
    missing = [e for e in dict.fromkeys(expected) if e not in rows]
    if missing:
        first = shorten(missing[0])
        what = f"{len(missing)} employee(s) of results.csv have no row here, the first '{first}'"
    else:
        what = f"{len(held)} row(s) where results.csv has {len(expected)}"
    raise _fault(path, f"the file does not match results.csv: {what}")


def unknown_employee(run: RunFolder, employee_id: str) -> OptionsError:
    """The error for an id the run did not compute: why it was rejected, or the ids it resembles."""
    wanted = employee_id.strip()
    rejections = [row for row in run.rejected if row.get("employee_id", "").strip() == wanted]
    if rejections:
        reasons = "; ".join(_rejection_text(row) for row in rejections)
        return OptionsError(
            f"employee '{shorten(employee_id)}' was rejected by the run at {run.path}, so it has no "
            f"payout to explain: {reasons}. Fix the input row and run again."
        )
    left_out = [row for row in run.not_covered if row.get("employee_id", "").strip() == wanted]
    if left_out:
        kinds = "; ".join(f"{row['kind']}: {row['excluded_by']}" for row in left_out)
        return OptionsError(
            f"employee '{employee_id}' is covered by no policy in the run at {run.path}, so it "
            f"has no payout to explain ({kinds}). If they should be, check the population "
            "condition or their roster row (not_covered.csv)."
        )
    known = sorted(
        {row["employee_id"] for row in run.breakdown} | {row["employee_id"] for row in run.results}
    )
    suggestions = [i for i in known if wanted and i.lstrip("0") == wanted.lstrip("0")]
    suggestions += [
        i for i in difflib.get_close_matches(wanted, known, n=3, cutoff=0.6) if i not in suggestions
    ]
    hint = f"; did you mean {' or '.join(suggestions[:3])}?" if suggestions else ""
    return OptionsError(
        f"employee '{shorten(employee_id)}' is not in the run at {run.path} "
        f"({len(known)} employee(s) computed, none rejected with this id){hint}"
    )


def _rejection_text(row: Mapping[str, str]) -> str:
    where = row.get("file", "")
    if row.get("record"):
        where += f" record {row['record']}"
    if row.get("line"):
        where += f" (line {row['line']})"
    column = f", column {row['column']}" if row.get("column") else ""
    value = f" = '{row['value']}'" if row.get("value") else ""
    return f"{where.strip()}{column}{value}: {row.get('reason', '')}".strip()
