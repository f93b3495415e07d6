"""The history file's columns checked against the inputs the policies read, when a run starts.

A history column that no policy reads would change nothing: it is a mistake (a misspelt
column, a file meant for another rulebook), so the run stops before anything is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection

from incentives.errors import InputFileError
from incentives.io.roster import Roster

__all__ = ["HISTORY_KEYS", "check_history_columns"]

HISTORY_KEYS = ("employee_id", "effective_date")


def check_history_columns(roster: Roster, inputs: Collection[str]) -> None:
    """Raise `InputFileError` naming every history column that is not one of ``inputs``."""
    unknown = [c for c in roster.history_columns if c not in HISTORY_KEYS and c not in inputs]
    if not unknown:
        return
    hints = []
    for column in unknown:
        close = difflib.get_close_matches(column, list(inputs), n=1)
        hints.append(f"'{column}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise InputFileError(
        roster.history_file,
        f"history column{'s' if len(unknown) > 1 else ''} {', '.join(hints)} "
        f"{'are' if len(unknown) > 1 else 'is'} not an input of any policy; a history file has "
        "employee_id, effective_date and input columns only",
    )
