"""A run folder read as streams, for reports over 100,000 employees and more.

`audit.run_folder.read_run_folder` joins every row into dictionaries (fine for `explain`, 13 s
and 2.7 GB for 100,000 employees of the bench cycle); a report reads each file once, row by
row, with the same checks and messages (its helpers are reused, not copied): a file cut short,
a missing column, a breakdown that does not match results.csv. The facts of the summary by
group (`by_group.Fact`) are gathered on the way (`FactGatherer`), with the inputs a policy
takes from inputs.csv rather than its breakdown file (FTE: `read_inputs`).
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from incentives.audit.run_folder import _ends_with_line_end, _fault, _read_json, _unescape
from incentives.errors import OptionsError
from incentives.reports.by_group import DEFAULT_STEPS, Fact, FactSteps, fact_from_values

_NO_DIMS: Mapping[str, str] = {}

__all__ = [
    "FactGatherer",
    "PolicyInfo",
    "RunSource",
    "fault",
    "figure_inputs",
    "open_run",
    "read_inputs",
]


@attrs.frozen
class PolicyInfo:
    """What a report needs of one policy of ``rulebook.json``."""

    id: str
    kind: str
    version: str
    title: str
    file: str
    sha256: str
    breakdown: str  # its breakdown file, relative to the folder
    pay_codes: Mapping[str, str]  # pay component or split part -> pay code
    outputs: tuple[str, ...]
    slot_types: Mapping[str, str]  # slot name -> type (money, percent, decimal, text, ...)
    rating_labels: Mapping[str, Mapping[str, str]]  # rating input -> value text -> label
    payout_date: datetime.date | None
    fx_date: datetime.date | None  # the date its conversions use (period end by default)
    fx_rate_type: str
    inputs: frozenset[str] = frozenset()  # the roster fields it reads (its input slots)


def fault(path: Path, message: str) -> OptionsError:
    """The run folder's error for an unusable file (`audit.run_folder`'s wording)."""
    return _fault(path, message)


def _date(text: object) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        return None


def _policy_info(policy: Mapping[str, Any], breakdown: str) -> PolicyInfo:
    spec = policy.get("spec", {})
    head = spec.get("policy", {})
    codes: dict[str, str] = {}
    for pay in policy.get("pay", []):
        if pay.get("unit"):  # shares or points: a count, never added to money
            continue
        codes[str(pay["name"])] = str(pay["pay_code"])
        codes.update({str(p["name"]): str(p["pay_code"]) for p in pay.get("split", [])})
    scales = {
        name: {str(value): f"{value} {label}" for label, value in scale.get("labels", {}).items()}
        for name, scale in spec.get("rating_scales", {}).items()
    }
    labels = {
        name: scales[declared["scale"]]
        for name, declared in spec.get("inputs", {}).items()
        if isinstance(declared, dict)
        and declared.get("type") == "rating"
        and declared.get("scale") in scales
    }
    fx = head.get("fx", {})
    period_end = _date(head.get("performance_period", {}).get("end"))
    fx_date = period_end if fx.get("date", "period_end") == "period_end" else _date(fx["date"])
    return PolicyInfo(
        id=str(policy["id"]),
        kind=str(policy.get("kind", "")),
        version=str(policy.get("version", "")),
        title=str(policy.get("title", "")),
        file=str(policy.get("file", "")),
        sha256=str(policy.get("sha256", "")),
        breakdown=breakdown,
        pay_codes=codes,
        outputs=tuple(str(o) for o in spec.get("outputs", [])),
        slot_types={str(s["name"]): str(s.get("type", "")) for s in policy.get("slots", [])},
        rating_labels=labels,
        payout_date=_date(head.get("payout_date")),
        fx_date=fx_date,
        fx_rate_type=str(fx.get("rate_type", "average")),
        inputs=frozenset(
            str(s["name"]) for s in policy.get("slots", []) if s.get("kind") == "input"
        ),
    )


@attrs.frozen
class RunSource:
    """A run folder's JSON records and its policies; the CSV files are read by `rows`."""

    path: Path
    manifest: Mapping[str, Any]
    rulebook: Mapping[str, Any]
    policies: tuple[PolicyInfo, ...]

    def rows(self, name: str, needed: Sequence[str] = ("employee_id",)) -> Iterator[list[str]]:
        """The header, then each record of ``name`` as its raw cells (a formula guard ``'`` is
        kept: the sheet writer undoes it on text cells)."""
        path = self.path / name
        try:
            if not _ends_with_line_end(path):
                raise _fault(path, "the file does not end with a line end: it was cut short")
            with path.open(encoding="utf-8", newline="") as stream:
                reader = csv.reader(stream)
                header = next(reader, [])
                missing = [column for column in needed if column not in header]
                if missing:
                    raise _fault(path, f"column(s) {', '.join(missing)} missing from the header")
                yield header
                width = len(header)
                for row in reader:
                    if len(row) != width:
                        raise _fault(path, f"line {reader.line_num} does not match the header")
                    yield row
        except FileNotFoundError:
            raise _fault(path, "the file is missing") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _fault(path, f"the file cannot be read ({exc})") from None

    def header(self, name: str) -> list[str]:
        if not (self.path / name).exists():
            return []
        return next(self.rows(name, ()))


def open_run(folder: Path) -> RunSource:
    """The run folder's JSON records and policies (the CSV files are streamed later)."""
    if not folder.is_dir():
        raise OptionsError(f"{folder}: not a folder; give the --out folder of `incentives run`")
    rulebook = _read_json(folder, "rulebook.json")
    manifest = _read_json(folder, "manifest.json")
    files = manifest.get("files")
    names = files.get("breakdown") if isinstance(files, dict) else None
    if not isinstance(rulebook.get("policies"), list) or not isinstance(names, dict):
        raise _fault(
            folder / "manifest.json",
            "no breakdown files listed (a folder written before 0.9 cannot be reported on)",
        )
    policies = []
    for policy in rulebook["policies"]:
        name = names.get(policy.get("id"))
        if not isinstance(name, str) or not name.startswith("breakdown/") or ".." in name:
            raise _fault(folder / "manifest.json", f"no breakdown file for policy '{policy['id']}'")
        policies.append(_policy_info(policy, name))
    return RunSource(folder, manifest, rulebook, tuple(policies))


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


class FactGatherer:
    """Gathers the facts of one policy from its results.csv rows, then its breakdown rows (the
    same employees in the same order); ``inputs`` gives each employee's dimensions that
    inputs.csv holds, shared by the employee's facts, and ``figures`` the figures' inputs
    inputs.csv holds (`read_inputs`): those of the policy's inputs its own files do not keep
    (FTE, so that a part-time employee's payroll is salary × FTE, as the policy has it)."""

    def __init__(
        self,
        policy: PolicyInfo,
        dims: Sequence[str],
        inputs: Mapping[str, Mapping[str, str]],
        steps: FactSteps = DEFAULT_STEPS,
        figures: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.policy = policy
        self._figures = figures or {}
        self._dims = tuple(dims)
        self._inputs = inputs
        held = next(iter(inputs.values()), {})
        self._steps_dims = any(n not in held for n in dims)
        self._steps = steps
        self._wanted = {*_figure_names(steps), *dims}
        self._pending: list[tuple[str, str, bool, dict[str, Decimal], dict[str, str]]] = []
        self.facts: list[Fact] = []

    def results_header(self, header: Sequence[str]) -> None:
        self._results_at = {n: i for i, n in enumerate(header) if n in self._wanted}
        self._pay_at = [
            (i, self.policy.pay_codes[n])
            for i, n in enumerate(header)
            if n in self.policy.pay_codes
        ]
        self._at = (header.index("employee_id"), header.index("currency"), header.index("eligible"))

    def result(self, row: Sequence[str]) -> None:
        eid, currency, eligible = (row[i] for i in self._at)
        pay: dict[str, Decimal] = {}
        for i, code in self._pay_at:
            amount = _decimal(row[i])
            if amount is not None:
                pay[code] = pay.get(code, Decimal(0)) + amount
        values = {n: row[i] for n, i in self._results_at.items()}
        self._pending.append((eid, currency, eligible == "true", pay, values))

    def breakdown_header(self, header: Sequence[str]) -> None:
        self._breakdown_items = [(n, i) for i, n in enumerate(header) if n in self._wanted]
        kept = {*header, *self._results_at}
        self._from_inputs = sorted(
            n for n in self._wanted if n in self.policy.inputs and n not in kept
        )
        self._count = 0

    def _label(self, name: str, text: str) -> str:
        labels = self.policy.rating_labels.get(name)
        return labels.get(text, text) if labels else text

    def breakdown(self, row: Sequence[str], source: Path) -> None:
        count = self._count
        if count >= len(self._pending) or row[0] != self._pending[count][0]:
            raise _fault(source, "the file does not match results.csv (rows or order differ)")
        eid, currency, eligible, pay, values = self._pending[count]
        self._count = count + 1
        for name, i in self._breakdown_items:
            values[name] = row[i]
        key = eid.removeprefix("'")
        if self._from_inputs:
            figures = self._figures.get(key, _NO_DIMS)
            for name in self._from_inputs:
                values[name] = figures.get(name, "")
        dims = self._inputs.get(key, _NO_DIMS)
        if self._steps_dims:  # a dimension the inputs do not hold: a step or a results column
            dims = {n: dims.get(n) or self._label(n, values.get(n, "")) for n in self._dims}
        self.facts.append(
            fact_from_values(
                employee_id=eid,
                policy=self.policy.id,
                kind=self.policy.kind,
                currency=currency,
                eligible=eligible,
                values=values,
                pay=pay,
                dims=dims,
                steps=self._steps,
                payout_date=self.policy.payout_date,
            )
        )

    def finish(self, source: Path) -> list[Fact]:
        if self._count != len(self._pending):
            raise _fault(source, "the file does not match results.csv: rows are missing")
        self._pending = []
        return self.facts


def _figure_names(steps: FactSteps) -> set[str]:
    return {
        steps.target, steps.salary, steps.new_salary, steps.fte, steps.one_time, steps.effective,
        steps.compa_before, steps.midpoint_before, steps.ready, *steps.midpoint_after,
    }  # fmt: skip


def figure_inputs(source: RunSource, steps: FactSteps = DEFAULT_STEPS) -> list[str]:
    """The names of `FactSteps` that some policy of the run reads as an input (``fte``)."""
    names = _figure_names(steps)
    return sorted({n for p in source.policies for n in p.inputs if n in names})


def read_inputs(
    source: RunSource, dims: Sequence[str], figures: Sequence[str] = ()
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """``dims`` and ``figures`` of inputs.csv per employee (ids without the formula guard), in
    one pass: a dimension that is a rating as its label (``3 Meets``), a figure as written;
    equal dimensions (or figures) of two employees are one dictionary."""
    rows = source.rows("inputs.csv")
    header = next(rows)
    labels: dict[str, Mapping[str, str]] = {}
    for policy in source.policies:
        for name, scale in policy.rating_labels.items():
            labels.setdefault(name, scale)
    parts: list[tuple[list[tuple[str, int]], Mapping[str, Mapping[str, str]], dict[Any, Any],
                      dict[str, dict[str, str]]]] = []  # fmt: skip
    plain: dict[str, Mapping[str, str]] = {}
    for names, labelled in ((dims, labels), (figures, plain)):
        at = [(n, header.index(n)) for n in names if n in header]
        parts.append((at, labelled, {}, {}))
    if not any(at for at, *_ in parts):
        return {}, {}
    for row in rows:
        eid = row[0].removeprefix("'")
        for at, scales, shared, found in parts:
            if not at:
                continue
            key = tuple(row[i] for _, i in at)
            same = shared.get(key)
            if same is None:
                same = shared[key] = {
                    n: scales[n].get(t, t) if n in scales else _unescape(t)
                    for (n, _), t in zip(at, key, strict=True)
                }
            found[eid] = same
    return parts[0][3], parts[1][3]
