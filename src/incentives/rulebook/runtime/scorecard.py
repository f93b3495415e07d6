"""Per-employee goal scorecards: each goal's attainment through a curve, weighted.

Goal figures arrive as roster text (or typed values); a bad figure, a missing goal or weights
that do not sum to 100 % reject the employee with the column at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

import attrs

from incentives.errors import RowError
from incentives.model import GoalInput
from incentives.rulebook.language.fields import make_converter
from incentives.rulebook.runtime.curves import Curve
from incentives.rulebook.runtime.scorecard_fast import scorecard_function

__all__ = ["EmployeeScorecard", "GoalOutcome", "attainment"]

_ONE = Decimal(1)
_ZERO = Decimal(0)

# name, direction, target, actual, weight, attainment, payout, segment
GoalOutcome = tuple[str, str, Decimal, Decimal, Decimal, Decimal, Decimal, int]


def attainment(actual: Decimal, target: Decimal, lower_is_better: bool) -> Decimal:
    """actual ÷ target, or 1 − (actual − target) ÷ |target| when lower is better."""
    if lower_is_better:
        return _ONE - (actual - target) / abs(target)
    return actual / target


_AS_NUMBER = make_converter("percent")  # 12.5, 0.125 or 12.5%: what a goal figure may be

# Goal figures as read, by their text: targets and weights repeat from employee to employee
# (a roster has a few thousand distinct figures), so each text is converted once. Only short
# texts are kept: their conversion is exact whatever the context (at most 24 digits), so a
# cached figure is the very `Decimal` the converter gives. Cleared when full, to bound memory.
_FIGURES: dict[str, Decimal] = {}
_FIGURES_KEPT = 1 << 16
_FIGURE_TEXT_MAX = 24


def _figure(goal: GoalInput, field: str, value: object) -> Decimal:
    """`_number`, remembered for a short text (the caller looked in `_FIGURES` first). Plain
    digits (an actual figure, most often new) are `Decimal(text)` at once: the very value the
    percent converter gives them, with its checks passed (at most 24 digits, no sign, no %)."""
    if (
        type(value) is str
        and len(value) <= _FIGURE_TEXT_MAX
        and value.isdigit()
        and value.isascii()
    ):
        number = Decimal(value)
    else:
        number = _number(goal, field, value)
    if type(value) is str and len(value) <= _FIGURE_TEXT_MAX:
        if len(_FIGURES) >= _FIGURES_KEPT:
            _FIGURES.clear()
        _FIGURES[value] = number
    return number


def _number(goal: GoalInput, field: str, value: object) -> Decimal:
    """A goal figure as a decimal, through the percent converter (fast for plain text); a
    missing or unreadable figure rejects the employee naming the goal and its column."""
    try:
        number = _AS_NUMBER(value)
    except ValueError:
        number = None
    if isinstance(number, Decimal):
        return number
    column = f"{goal.column_prefix}{field}" if goal.column_prefix else field
    source = _file_row(goal)
    if value is None or value == "":
        raise RowError(f"goal '{goal.name}' has no {field}", column, "", source)
    digits = "" if str(value).isascii() else ": use the digits 0-9"
    raise RowError(
        f"goal '{goal.name}': {field} '{value}' is not a number{digits}",
        column,
        str(value),
        source,
    )


def _file_row(goal: GoalInput) -> tuple[str, int, int] | None:
    """Where a goals file's goal was read, for its rejection to name; None for a goal of the
    roster's own columns (its prefix set), rejected on the employee's roster row."""
    return None if goal.column_prefix else goal.source


def _direction(goal: GoalInput) -> str:
    direction = goal.direction
    if direction == "higher" or direction == "lower":
        return direction
    text = str(direction or "higher").strip().lower() or "higher"
    if text not in ("higher", "lower"):
        column = f"{goal.column_prefix}direction" if goal.column_prefix else "direction"
        raise RowError(
            f"goal '{goal.name}': direction must be higher or lower", column, text, _file_row(goal)
        )
    return text


@attrs.frozen
class EmployeeScorecard:
    """A weighted scorecard over an employee's own goals."""

    name: str
    curve: Curve
    max_goals: int
    normalise: bool

    def quick(self) -> Callable[[Sequence[GoalInput]], tuple[Decimal, tuple[GoalOutcome, ...]]]:
        """What the generated code calls (``SCORECARD_<name>``): this scorecard's evaluation
        written out as code of its own (`scorecard_fast`), equal to `__call__`, to which it
        hands whatever it does not score itself (tests/test_scorecard_fast.py)."""
        return scorecard_function(
            self.name, self.curve, self.max_goals, self.normalise, self, _FIGURES, _figure
        )

    def quick_score(self) -> Callable[[Sequence[GoalInput]], Decimal]:
        """``SCORECARD_SCORE_<name>``: `quick`'s score alone, its goals' outcomes not built
        (for the functions that record no trace: the first pass's)."""
        general = self

        def score(goals: Sequence[GoalInput]) -> Decimal:
            return general(goals)[0]

        return scorecard_function(  # type: ignore[return-value]
            self.name, self.curve, self.max_goals, self.normalise, score, _FIGURES, _figure,
            score_only=True,
        )  # fmt: skip

    def __call__(self, goals: Sequence[GoalInput]) -> tuple[Decimal, tuple[GoalOutcome, ...]]:
        if not goals:
            raise RowError(
                f"scorecard '{self.name}' needs goals, and the employee has none", "goals", ""
            )
        if len(goals) > self.max_goals:
            raise RowError(
                f"scorecard '{self.name}' takes at most {self.max_goals} goals, got {len(goals)}",
                "goals",
                str(len(goals)),
            )
        outcomes: list[GoalOutcome] = []
        append = outcomes.append
        curve = self.curve.quick()  # what `Curve.__call__` calls, without the method lookup
        on_attainment = self.curve.on == "attainment"
        total_weight = _ZERO
        score = _ZERO
        known = _FIGURES.get
        for goal in goals:  # a GoalInput: unpacked whole, no attribute looked up per goal
            name, target_in, actual_in, weight_in, direction, _source, prefix = goal
            target = known(target_in) if type(target_in) is str else None
            if target is None:
                target = _figure(goal, "target", target_in)
            actual = known(actual_in) if type(actual_in) is str else None
            if actual is None:
                actual = _figure(goal, "actual", actual_in)
            weight = known(weight_in) if type(weight_in) is str else None
            if weight is None:
                weight = _figure(goal, "weight", weight_in)
            if direction != "higher" and direction != "lower":
                direction = _direction(goal)
            if weight < _ZERO:
                column = f"{prefix}weight" if prefix else "weight"
                raise RowError(
                    f"goal '{name}' has a negative weight", column, str(weight), _file_row(goal)
                )
            if not target:  # 0, -0, 0.00
                column = f"{prefix}target" if prefix else "target"
                raise RowError(
                    f"goal '{name}' has a target of 0: attainment is undefined",
                    column,
                    "0",
                    _file_row(goal),
                )
            att = (
                _ONE - (actual - target) / abs(target) if direction == "lower" else actual / target
            )
            payout, segment = curve(att if on_attainment else actual)
            append((name, direction, target, actual, weight, att, payout, segment))
            total_weight += weight
            score += weight * payout
        if self.normalise:
            if total_weight == 0:
                raise RowError(f"scorecard '{self.name}': goal weights sum to 0", "goals", "0")
            score = score / total_weight
        elif total_weight != _ONE:
            raise RowError(
                f"goal weights sum to {(total_weight * 100).normalize():f}%, not 100% "
                f"(scorecard '{self.name}' does not normalise)",
                "goal weights",
                f"{total_weight}",
            )
        return score, tuple(outcomes)
