"""Payroll layouts: what a payroll file looks like, read from YAML and validated.

A layout is a YAML file (the shipped ones are in ``incentives/payroll/layouts/``; any path
works too), read with the policy files' bounded YAML reader and checked by the pydantic model
below. Every problem is reported with its file:line, all of them at once (`LayoutError`).
See docs/payroll.md for every key.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import re
from pathlib import Path
from typing import Literal

import attrs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from incentives.errors import OptionsError, PolicyError, Problem, UsageError
from incentives.rulebook.language.values import IsoDate, Text
from incentives.rulebook.language.yamlsource import SourceDoc, load_yaml

__all__ = [
    "BUILTIN_SOURCES",
    "LAYOUTS",
    "Column",
    "Layout",
    "LayoutError",
    "LayoutFile",
    "load_layout",
    "shipped_layouts",
]

LAYOUTS = Path(__file__).parent / "layouts"
"""The folder of the layouts shipped with incentives (``--layout generic`` names one)."""

BUILTIN_SOURCES = {
    "employee_id": "the employee's id, as the run wrote it (without the spreadsheet guard ')",
    "policy": "the policy id",
    "policy_version": "the policy's version",
    "kind": "the policy's kind (bonus, merit, promotion)",
    "component": "the pay component (or split part) name",
    "pay_code": "the pay code (or the recovery code of a negative line)",
    "amount": "the line's amount, in the currency's minor unit",
    "currency": "the line's currency",
    "payment_date": "the payment date (see payment_date)",
    "period": "the performance period, start/end",
    "period_start": "the first day of the performance period",
    "period_end": "the last day of the performance period",
    "batch_id": "the export's batch id, derived from the run's and the layout's hashes",
    "line_type": "payment, reversal or correction",
    "sign": "+ or - (with the amount written without sign)",
    "count": "(trailer only) the records of the pay code and currency",
}
_TRAILER_ONLY = {"count"}
_SOURCE = re.compile(r"^(results|roster)\.(.+)$")
_DATE_TOKENS = re.compile(r"%(.)")


class LayoutError(OptionsError):
    """A layout file is invalid; ``problems`` lists every problem with its file:line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(sorted(set(problems), key=Problem.sort_key))
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the payroll layout:\n"
            + "\n".join(f"  {p}" for p in self.problems)
        )


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Spec):
    """One field of a record: where its value comes from and how it is written."""

    name: Text = ""  # the header text (header: true); by default the source
    source: Text | None = Field(default=None, alias="from")
    value: Text | None = None  # a constant
    as_: Literal["text", "amount", "date"] = Field(default="text", alias="as")
    map: dict[Text, Text] | None = None  # value → code (roster.country US → US01)
    width: int | None = None  # fixed width: characters
    align: Literal["left", "right"] | None = None  # default: numbers right, text left
    pad: Text = " "

    @model_validator(mode="after")
    def _one_source(self) -> Column:
        if (self.source is None) == (self.value is None):
            raise ValueError("a column takes its value either from: a source or value: a constant")
        source = self.source
        if source is not None and source not in BUILTIN_SOURCES and not _SOURCE.match(source):
            close = difflib.get_close_matches(source, list(BUILTIN_SOURCES), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"unknown source '{source}': use one of {', '.join(BUILTIN_SOURCES)}, "
                f"results.<column> or roster.<field>{hint}"
            )
        if len(self.pad) != 1:
            raise ValueError(f"pad is one character, not '{self.pad}'")
        if self.width is not None and not 1 <= self.width <= 1000:
            raise ValueError("width is between 1 and 1000 characters")
        return self

    @property
    def numeric(self) -> bool:
        return self.source in ("amount", "count") or self.as_ == "amount"


class PaymentDate(_Spec):
    """The payment date: the policy's payout date, or a date per value of a roster field."""

    by: Text | None = None  # roster.<field> (pay group, country)
    dates: dict[Text, IsoDate] = {}
    otherwise: Literal["payout_date", "error"] = "payout_date"

    @model_validator(mode="after")
    def _by(self) -> PaymentDate:
        if self.dates and (self.by is None or not self.by.startswith("roster.")):
            raise ValueError("dates: need by: roster.<field> (e.g. roster.pay_group)")
        return self


class Lines(_Spec):
    """Which pay lines the file carries: pay codes in (default all) and out."""

    pay_codes: list[Text] | Literal["all"] = "all"
    except_pay_codes: list[Text] = []


class Negative(_Spec):
    """What a negative line (a correction that pays back) becomes."""

    rule: Literal["allow", "recovery", "refuse"] = "allow"
    recovery_code: Text | None = None

    @model_validator(mode="after")
    def _code(self) -> Negative:
        if (self.rule == "recovery") != (self.recovery_code is not None):
            raise ValueError("rule: recovery needs recovery_code: (and only it)")
        return self


class LayoutFile(_Spec):
    """A payroll layout as written in its YAML file (docs/payroll.md)."""

    name: Text
    description: Text = ""
    format: Literal["delimited", "fixed_width"] = "delimited"
    header: bool = True
    delimiter: Text = ","
    quoting: Literal["minimal", "all", "none"] = "minimal"
    decimal_separator: Literal[".", ","] = "."
    implied_decimals: bool = False  # amounts as whole minor units (1234.50 USD → 123450)
    sign: Literal["leading", "trailing"] = "leading"
    encoding: Text = "utf-8"
    bom: bool = False
    line_ending: Literal["lf", "crlf"] = "lf"
    date_format: Text = "%Y-%m-%d"
    batch_id_length: int = 12
    lines: Lines = Lines()
    split_by: Text | None = None  # currency, or roster.<field> (country): a file per value
    payment_date: PaymentDate = PaymentDate()
    corrections: Literal["delta", "reversal"] = "delta"
    negative: Negative = Negative()
    columns: list[Column]
    trailer: list[Column] = []


@attrs.frozen
class Layout:
    """A validated layout, the file it came from, how it was named (a shipped layout: its
    name) and the SHA-256 of its bytes."""

    spec: LayoutFile
    file: str
    sha256: str
    doc: SourceDoc = attrs.field(repr=False, eq=False)
    shown: str = ""

    def line_of(self, *path: str | int) -> str:
        """``file:line`` of a key of the layout, for messages."""
        line = self.doc.line_of(tuple(path))
        return f"{self.file}:{line}" if line else self.file


def shipped_layouts() -> list[str]:
    """The names of the layouts shipped in ``incentives/payroll/layouts``."""
    return sorted(p.stem for p in LAYOUTS.glob("*.yaml"))


def _resolve(name: str | Path) -> Path:
    path = Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        return path
    shipped = LAYOUTS / f"{name}.yaml"
    if shipped.exists():
        return shipped
    known = shipped_layouts()
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise UsageError(
        f"layout '{name}' is neither a file nor a shipped layout ({', '.join(known)}){hint}"
    )


def load_layout(name: str | Path) -> Layout:
    """A layout from a file path, or a shipped layout's name (``generic``)."""
    path = _resolve(name)
    if not path.is_file():
        raise OptionsError(
            f"{path}: layout file not found; give a YAML file or one of "
            f"{', '.join(shipped_layouts())}"
        )
    file = str(path)
    try:
        doc = load_yaml(path, file)
    except PolicyError as exc:
        raise LayoutError(list(exc.problems)) from None
    if not isinstance(doc.data, dict):
        raise LayoutError([Problem(file, 1, "", "a layout is a mapping with name: and columns:")])
    try:
        spec = LayoutFile.model_validate(doc.data)
    except ValidationError as exc:
        raise LayoutError(_problems(doc, exc)) from None
    found = _checks(spec)
    if found:
        raise LayoutError(
            [Problem(file, doc.line_of(p), ".".join(map(str, p)), m) for p, m in found]
        )
    shown = str(name) if path.parent == LAYOUTS and str(name) == path.stem else file
    return Layout(spec, file, hashlib.sha256(path.read_bytes()).hexdigest(), doc, shown)


def _problems(doc: SourceDoc, exc: ValidationError) -> list[Problem]:
    found = []
    for error in exc.errors():
        loc = tuple(
            part
            for part in error["loc"]
            if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
        )
        message = str(error["msg"]).removeprefix("Value error, ")
        hint = ""
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
            hint = _key_hint(str(loc[-1]))
        elif error["type"] == "missing":
            message = f"'{loc[-1]}' is required here"
        field = ".".join(str(p) for p in loc)
        found.append(Problem(doc.file, doc.line_of(loc), field, message, hint))
    return found


def _key_hint(key: str) -> str:
    known: set[str] = set()
    for model in (LayoutFile, Column, PaymentDate, Lines, Negative):
        for name, info in model.model_fields.items():
            known.add(info.alias or name)
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _checks(spec: LayoutFile) -> list[tuple[tuple[str | int, ...], str]]:
    """What the schema alone cannot say: keys that must agree. (path, message) each."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if not spec.columns:
        found.append((("columns",), "list at least one column"))
    if spec.format == "fixed_width":
        for group in ("columns", "trailer"):
            for i, column in enumerate(getattr(spec, group)):
                if column.width is None:
                    found.append(((group, i), "a fixed_width layout gives every field a width"))
    elif len(spec.delimiter) != 1 or spec.delimiter in '\r\n"':
        found.append(
            (
                ("delimiter",),
                f"one character other than a quote or line end, not {spec.delimiter!r}",
            )
        )
    elif spec.delimiter == spec.decimal_separator and not spec.implied_decimals:
        found.append((("decimal_separator",), "the decimal separator cannot be the delimiter"))
    if spec.corrections == "reversal" and spec.negative.rule == "refuse":
        message = "corrections: reversal writes negative lines, which negative: refuse cannot hold"
        found.append((("corrections",), message))
    split = spec.split_by
    if split is not None and split != "currency" and not split.startswith("roster."):
        found.append((("split_by",), f"split_by is currency or roster.<field>, not '{split}'"))
    if not 4 <= spec.batch_id_length <= 64:
        found.append((("batch_id_length",), "batch_id_length is between 4 and 64"))
    for i, column in enumerate(spec.columns):
        if column.source in _TRAILER_ONLY:
            found.append((("columns", i), f"from: {column.source} is for trailer fields only"))
    bad = [t for t in _DATE_TOKENS.findall(spec.date_format) if t not in "Ymdy%"]
    if bad:
        found.append((("date_format",), f"%{bad[0]} is not allowed: only %Y, %y, %m, %d and %%"))
    try:
        if codecs.lookup(spec.encoding).name not in ("utf-8", "utf-16", "utf-32") and spec.bom:
            found.append(
                (("bom",), f"a byte-order mark is for utf-8, utf-16 or utf-32, not {spec.encoding}")
            )
    except LookupError:
        message = f"unknown encoding '{spec.encoding}' (e.g. utf-8, latin-1, cp1252, ascii)"
        found.append((("encoding",), message))
    return found
