"""Frozen value objects shared by every layer: employees as read, rejections, results."""

from incentives.model.employee import (
    EmployeeInput,
    GoalInput,
    HistoryRow,
    RatingRecord,
    RowSource,
)
from incentives.model.outcome import Exclusion, KeyedCounts, NotCovered, Rejection, Unmatched

__all__ = [
    "EmployeeInput",
    "Exclusion",
    "GoalInput",
    "HistoryRow",
    "KeyedCounts",
    "NotCovered",
    "RatingRecord",
    "Rejection",
    "RowSource",
    "Unmatched",
]
