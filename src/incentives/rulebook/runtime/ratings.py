"""An employee's rating history, as the rating functions of the formula language read it.

A policy that declares ``rating_history: {scale, cycles}`` in its header converts each
employee's rating history rows (``X.ratings``, from ``--ratings``) through that scale once per
evaluation (``_ratings = READ_RATINGS(X)`` in the generated code); an unknown rating rejects
the employee, naming the file line. The functions are then called as
``HISTORY_<name>(_ratings, *args)`` (see `contract`) and return
``(value, detail)`` like a table lookup, so each call site is recorded in the trace:

    rating_in(cycle)     the rating of that cycle; detail: the label as written in the file
    lowest_rating(n)     the lowest of the n most recent declared cycles; detail: its cycle
    ratings_count()      how many declared cycles have a rating; detail: those cycles

A rating that is not there raises `MissingValue` ("no rating for cycle 2025"): a readiness
criterion fails with it, anywhere else it rejects the row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from incentives.errors import MissingValue, RowError
from incentives.rulebook.language.fields import MEMO_SIZE

__all__ = ["RATING_FUNCTIONS", "RatingHistory", "missing_text", "rating_call_problems"]

RATING_FUNCTIONS = ("rating_in", "lowest_rating", "ratings_count")

# cycle -> (rating value, the rating as written)
Ratings = Mapping[str, tuple[Decimal, str]]
_CYCLE_AND_RATING = operator.itemgetter(0, 1)  # of a rating history row (`RatingRecord`)


class RatingHistory:
    """The rating functions of one policy: its scale's converter and its declared cycles."""

    def __init__(
        self, scale: str, convert: Callable[[object], object], cycles: Sequence[str]
    ) -> None:
        self.scale = scale
        self.convert = convert
        self.cycles = tuple(cycles)
        self._recent: dict[object, tuple[str, ...]] = {}  # n -> its cycles (`lowest_rating`)
        # the (cycle, rating) texts of an employee's rows -> what `_read_rows` made of them
        self._read: dict[tuple[tuple[object, object], ...], Ratings] = {}
        # id of a mapping `_read` holds -> it, and its lowest rating per n (`lowest_rating`)
        self._lowest: dict[int, tuple[Ratings, dict[object, tuple[Decimal, str]]]] = {}

    def read(self, employee: Any) -> Ratings:
        """The employee's ratings by cycle, converted; a bad or repeated row rejects the row.

        What an employee's rows give depends only on their cycles and ratings (their lines
        serve the messages): rows read as text, whose cycles and ratings repeat from employee
        to employee (a few cycles, a few labels), are read once per distinct sequence (a
        bounded number of them; one that is rejected is read again, for its own lines). The
        same mapping is given to every employee whose rows read alike: the rating functions
        only read it. (`tests/test_eval_fast_paths.py` holds it to a fresh read.)"""
        key = tuple(map(_CYCLE_AND_RATING, employee.ratings))
        try:
            found = self._read.get(key)
        except TypeError:  # a value that cannot be a key (not as read from a file)
            return self._read_rows(employee)
        if found is None:
            found = self._read_rows(employee)
            # only texts as keys: a number equal to another (3 and 3.0) is written otherwise
            if len(self._read) < MEMO_SIZE and all(
                type(cycle) is str and type(rating) is str for cycle, rating in key
            ):
                self._read[key] = found
                self._lowest[id(found)] = (found, {})
        return found

    def _read_rows(self, employee: Any) -> Ratings:
        found: dict[str, tuple[Decimal, str]] = {}
        for record in employee.ratings:
            try:
                value = self.convert(record.rating)
            except ValueError as exc:
                where = _where(record)
                raise RowError(f"{where}: {exc}", "rating", str(record.rating)) from None
            if value is None:
                continue
            cycle = str(record.cycle)
            if cycle in found:
                first = next(
                    r
                    for r in employee.ratings
                    if str(r.cycle) == cycle and self.convert(r.rating) is not None
                )
                raise RowError(
                    f"{_where(record)}: a second rating for cycle {cycle} "
                    f"(the first is at {_where(first)})",
                    "cycle",
                    cycle,
                )
            assert isinstance(value, Decimal)
            found[cycle] = (value, str(record.rating))
        return found

    def rating_in(self, ratings: Ratings, cycle: object) -> tuple[Decimal, str]:
        key = _cycle_text(cycle)
        hit = ratings.get(key)
        if hit is None:
            raise MissingValue(f"no rating for cycle {key}", "rating_in", key)
        return hit

    def lowest_rating(self, ratings: Ratings, n: object) -> tuple[Decimal, str]:
        # a mapping `read` remembered (shared by the employees whose rows read alike): its
        # lowest rating per n found once, kept with it
        kept = self._lowest.get(id(ratings))
        if kept is not None and kept[0] is ratings and (type(n) is Decimal or type(n) is int):
            found = kept[1].get(n)
            if found is None:
                found = kept[1][n] = self._lowest_of(ratings, n)  # (raises if one is missing)
            return found
        return self._lowest_of(ratings, n)

    def _lowest_of(self, ratings: Ratings, n: object) -> tuple[Decimal, str]:
        # the cycles n names, found once per n (a number of the policy's formula, as a rule)
        recent = self._recent.get(n) if type(n) is Decimal or type(n) is int else None
        if recent is None:
            recent = self._recent_cycles(n)
        lowest: tuple[Decimal, str] | None = None
        for cycle in recent:
            hit = ratings.get(cycle)
            if hit is None:
                raise MissingValue(f"no rating for cycle {cycle}", "lowest_rating", cycle)
            if lowest is None or hit[0] < lowest[0]:
                lowest = (hit[0], cycle)
        assert lowest is not None
        return lowest

    def _recent_cycles(self, n: object) -> tuple[str, ...]:
        """The ``n`` most recent declared cycles; a `RowError` unless 1 <= n <= their count."""
        count = len(self.cycles)
        if not isinstance(n, Decimal | int) or n != int(n) or not 1 <= n <= count:
            raise RowError(
                f"lowest_rating: {n} is not a whole number of cycles from 1 to {count}",
                "lowest_rating",
                str(n),
            )
        recent = self.cycles[: int(n)]
        if type(n) is Decimal or type(n) is int:  # True is no count: bool is checked each time
            self._recent[n] = recent
        return recent

    def ratings_count(self, ratings: Ratings) -> tuple[int, tuple[str, ...]]:
        rated = tuple(cycle for cycle in self.cycles if cycle in ratings)
        return len(rated), rated

    def functions(self) -> dict[str, Callable[..., Any]]:
        """The rating functions the generated code calls (over what `read` returns), by name
        (``HISTORY_<name>`` in the `contract`)."""
        return {
            "rating_in": self.rating_in,
            "lowest_rating": self.lowest_rating,
            "ratings_count": self.ratings_count,
        }


def rating_call_problems(
    cycles: Sequence[str] | None, calls: Sequence[Any]
) -> list[tuple[str, str]]:
    """Problems of the rating function calls of one formula, as (message, hint): a policy
    without ``rating_history``, a literal cycle it does not declare, a literal n out of range."""
    found: list[tuple[str, str]] = []
    for site in calls:
        if site.name not in RATING_FUNCTIONS:
            continue
        if cycles is None:
            found.append(
                (
                    f"{site.name}() reads the rating history, which this policy does not declare",
                    "add 'rating_history: {scale: <rating scale>, cycles: [...]}' to the policy "
                    "header",
                )
            )
            continue
        arg = site.arg_texts[0] if site.arg_texts else ""
        if site.name == "rating_in" and arg[:1] in ("'", '"') and arg[1:-1] not in cycles:
            found.append(
                (
                    f"rating_in({arg}): cycle {arg[1:-1]} is not one of the rating_history "
                    f"cycles ({', '.join(cycles)})",
                    "add the cycle to rating_history.cycles",
                )
            )
        if site.name == "lowest_rating" and arg.isdigit() and not 1 <= int(arg) <= len(cycles):
            found.append(
                (
                    f"lowest_rating({arg}): the policy declares {len(cycles)} cycles",
                    f"use 1 to {len(cycles)}",
                )
            )
    return found


def _cycle_text(cycle: object) -> str:
    if isinstance(cycle, Decimal) and cycle == cycle.to_integral_value():
        return str(int(cycle))
    return str(cycle)


def _where(record: Any) -> str:
    source = record.source
    return "rating history" if source is None else f"{source.file} line {source.line}"


def missing_text(names: Sequence[str], values: Sequence[object]) -> str | None:
    """The gap of a criterion that failed on a missing optional input ("no value for x"), or
    None when every value it reads is there (the error is then not about a missing value)."""
    empty = [name for name, value in zip(names, values, strict=True) if value is None]
    return "no value for " + ", ".join(empty) if empty else None
