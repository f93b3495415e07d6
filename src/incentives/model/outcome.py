"""What became of a row that could not be computed."""

from __future__ import annotations

import attrs


@attrs.frozen
class Rejection:
    """A rejected row: file, record and physical line, the column and value at fault, the reason."""

    file: str
    record: int
    line: int
    employee_id: str
    column: str
    value: str
    reason: str
