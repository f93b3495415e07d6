"""Frozen value objects shared by every layer: employees as read, rejections, results."""

from incentives.model.employee import (
    EmployeeInput,
    GoalInput,
    HistoryRow,
    RatingRecord,
    RowSource,
)
from incentives.model.outcome import Rejection

__all__ = [
    "EmployeeInput",
    "GoalInput",
    "HistoryRow",
    "RatingRecord",
    "Rejection",
    "RowSource",
]
