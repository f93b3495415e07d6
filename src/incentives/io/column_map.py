"""A column mapping file (``--columns mapping.yaml``): an HR system's export read as our roster.

    columns:                      # field the policies read: the export's header for it
      employee_id: Employee ID
      base_salary: Annual Base Salary
      rating: Perf Rating
    values:                       # per field, the export's codes and what they mean
      rating: {EE: Exceeds, ME: Meets, BE: Below}
    date_formats: ["%d/%m/%Y"]    # how the export writes dates as text (strptime codes)

Headers are matched ignoring case and runs of spaces; a header the mapping does not name keeps
its own name (a column already called ``currency`` needs no entry). A code not listed is
passed on as it is. The file is read with the policy files' bounded YAML reader.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from incentives.errors import InputFileError, PolicyError
from incentives.io.csvread import file_sha256, suggest

__all__ = ["ColumnMap", "folded", "load_column_map"]

_KEYS = ("columns", "values", "date_formats")
_GOAL_COLUMN = re.compile(r"goal\d+_(?:name|target|actual|weight|direction)")


def folded(name: str) -> str:
    """A header as it is matched: case and runs of white space ignored."""
    return " ".join(name.split()).casefold()


@attrs.frozen
class ColumnMap:
    """Which export header feeds each field, the value codes per field, the text date formats."""

    file: str
    headers: Mapping[str, str]  # field -> the export's header
    codes: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    date_formats: tuple[str, ...] = ()
    lines: Mapping[str, int] = attrs.field(factory=dict, eq=False)
    sha256: str = ""

    def rename(self, names: Sequence[str], table: str) -> list[str]:
        """The field each header feeds (a header not mapped keeps its name); a mapped header
        that the table lacks is an error naming the mapping's line."""
        position = {folded(name): k for k, name in enumerate(names)}
        renamed = list(names)
        for field, header in self.headers.items():
            at = position.get(folded(header))
            if at is None:
                close = suggest(header, names)
                hint = f" (did you mean '{close}'?)" if close else ""
                raise InputFileError(
                    self.file,
                    f"{field}: the column '{header}' is not in {table}{hint}; its columns: "
                    + ", ".join(names),
                    line=self.lines.get(field),
                )
            renamed[at] = field
        return renamed

    def recoder(self, field: str) -> Mapping[str, str] | None:
        """The codes of ``field`` keyed by their folded text, or None when it has none."""
        codes = self.codes.get(field)
        return None if not codes else {folded(code): value for code, value in codes.items()}

    def missing(self, fields: Iterable[str], names: Sequence[str], table: str) -> InputFileError:
        """One error listing every required field the table lacks, each with the unmapped
        export header that looks most like it."""
        mapped = {folded(header) for header in self.headers.values()}
        free = [name for name in names if folded(name) not in mapped]
        parts = []
        for field in fields:
            close = suggest(field.replace("_", " "), free)
            parts.append(f"{field}" + (f" (the column '{close}'?)" if close else ""))
        return InputFileError(
            self.file,
            f"{table} has no column for the field(s) the policies require: {', '.join(parts)}; "
            f"map each under columns: (field: export header); the export's columns: "
            + ", ".join(names),
        )


def load_column_map(path: str | Path, fields: Collection[str] | None = None) -> ColumnMap:
    """Read a mapping file; with ``fields`` (what the policies read), a field it maps that no
    policy reads is an error (a misspelling would otherwise be ignored)."""
    from incentives.rulebook.language.yamlsource import load_yaml

    file = str(path)
    if not Path(path).is_file():
        raise InputFileError(file, "column mapping file not found; check the path")
    try:
        doc = load_yaml(Path(path), file)
    except PolicyError as error:
        problem = error.problems[0]
        raise InputFileError(file, problem.message, line=problem.line) from None
    data = doc.data
    if not isinstance(data, dict):
        raise InputFileError(file, "expected a mapping with 'columns:' (field: export header)")
    for key in data:
        if key not in _KEYS:
            close = suggest(str(key), _KEYS)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise InputFileError(
                file,
                f"unknown key '{key}'{hint}; the keys are {', '.join(_KEYS)}",
                line=doc.lines.get((key,)),
            )
    headers = _texts(data.get("columns"), "columns", doc, file)
    if not headers:
        raise InputFileError(file, "'columns:' is missing or empty; map field: export header")
    known = None if fields is None else {"employee_id", *fields}
    lines = {field: doc.lines.get(("columns", field)) or 0 for field in headers}
    for field in headers:
        if known is not None and field not in known and not _GOAL_COLUMN.fullmatch(field):
            close = suggest(field, known)
            hint = f" (did you mean '{close}'?)" if close else ""
            raise InputFileError(
                file, f"'{field}' is not a field any policy reads{hint}", line=lines[field]
            )
    taken: dict[str, str] = {}
    for field, header in headers.items():
        if folded(header) in taken:
            raise InputFileError(
                file,
                f"the column '{header}' is mapped twice ({taken[folded(header)]} and {field})",
                line=lines[field],
            )
        taken[folded(header)] = field
    codes_data = data.get("values") or {}
    if not isinstance(codes_data, dict):
        raise InputFileError(
            file, "'values:' must map a field to its codes", doc.lines.get(("values",))
        )
    codes = {
        str(field): _texts(table, f"values: {field}", doc, file, ("values", field))
        for field, table in codes_data.items()
    }
    shapes = data.get("date_formats") or []
    if not isinstance(shapes, list) or not all(isinstance(s, str) and "%" in s for s in shapes):
        raise InputFileError(
            file,
            "'date_formats:' must be a list of formats such as \"%d/%m/%Y\"",
            line=doc.lines.get(("date_formats",)),
        )
    return ColumnMap(
        file,
        headers,
        codes,
        tuple(shapes),
        {f: n for f, n in lines.items() if n},
        file_sha256(path),
    )


def _texts(
    value: Any, what: str, doc: Any, file: str, at: tuple[str, ...] | None = None
) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(v, str) and v.strip() for v in value.values()
    ):
        raise InputFileError(
            file, f"'{what}:' must map names to texts", line=doc.lines.get(at or (what,))
        )
    return {str(key): text.strip() for key, text in value.items()}
