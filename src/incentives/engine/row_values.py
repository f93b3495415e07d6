"""Reading one roster row for a pass: its cells converted, the policies covering it.

A row is converted in two steps: the fields the populations read, then, coverage decided,
those the covering policies read in the pass at hand (`RunPlan.pass_fields`), so that a bad
value in a column no covering policy reads is nobody's fault. Cells that are all text (a roster
read by incentives.io) take a generated fast path (`incentives.engine.convert`).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from incentives.engine.convert import FALL_BACK, fast_converter
from incentives.engine.outcome import outcome_maker
from incentives.engine.plan_groups import (
    one_group,
    transfer_bits,
    transferred_into,
    undeclared_groups,
)
from incentives.engine.run_plan import RunPlan
from incentives.engine.segments import period_segments, read_history
from incentives.errors import RowError
from incentives.model import EmployeeInput, Exclusion, Rejection
from incentives.rulebook.language.fields import MEMO_SIZE, Converter
from incentives.rulebook.rulebook import Rulebook
from incentives.rulebook.runtime.policy import BoundPolicy, CompiledPolicy
from incentives.rulebook.runtime.weighted import Segment

__all__ = ["RowConversion"]

# a pass's converters of what covering policies read: (index, name, converter) each, the
# generated fast converter filling a row's values, and the one converting the population's
# fields too (both None for cells not all text)
_Rest = tuple[
    tuple[tuple[int, str, Converter], ...],
    Callable[..., list[Any]] | None,
    Callable[..., list[Any]] | None,
]


class RowConversion:
    """What `Calculation` does to one row in any pass: convert it, find who covers it."""

    rulebook: Rulebook
    plan: RunPlan
    bound: tuple[BoundPolicy, ...]
    kinds: tuple[str, ...]
    require_coverage: bool
    converters: tuple[tuple[str, Converter], ...]
    _population_converters: tuple[tuple[int, str, Converter], ...]
    _fast_population: Callable[..., list[Any]] | None
    _text_cells: bool
    _rest: dict[str, dict[int, _Rest]]
    _bits: tuple[tuple[int, BoundPolicy], ...]
    # coverage mask → the policies covering and the kinds covered by none or several of them
    _coverage: dict[int, Any]
    # a tuple of covering policies `_coverage_of` built (by id) → (the tuple, each policy with
    # its evaluate function and outcome maker)
    _routes: dict[int, tuple[tuple[BoundPolicy, ...], Any]]
    # the text of a row's population cells (None for cells not all text; see `_covering`)
    _population_cells: Callable[[Any], Any] | None
    _masks: dict[Any, int]  # the text of the population cells → the coverage mask
    # per pass, the text of the population cells → the covering policies and the converter of
    # every field the pass reads for them (see `_values`)
    _alike: dict[str, dict[Any, tuple[tuple[BoundPolicy, ...], Callable[..., list[Any]]]]]

    def _values(
        self, emp: EmployeeInput, stage: str, why: bool = True
    ) -> tuple[list[Any], tuple[BoundPolicy, ...], tuple[Exclusion, ...]] | Rejection:
        """A row's values for pass ``stage``, the policies covering it and the kinds none
        covers (see `_covering`): the fields the populations read are converted first, the
        covering policies' fields once coverage is decided; a bad value in either rejects.
        (The final pass's caller asks whether an earlier pass counted a row it rejects, see
        `EarlierPasses.counted_before`.)"""
        cells = emp.cells
        pick = self._population_cells
        key: Any = None
        if pick is not None:
            try:
                key = pick(cells)
            except KeyError:  # a column the roster lacks: the defaults, decided below
                key = None
            else:
                # rows alike: the path below (its population mask remembered, see `_covering`)
                # gave rows with this population text these covering policies, none of whose
                # kinds is covered by none or several: its values in one conversion
                alike = self._alike[stage].get(key)
                if alike is not None and not (emp.history and self._transfers):
                    try:
                        return alike[1](cells), alike[0], ()
                    except FALL_BACK:
                        pass  # a cell the fields' own converters must decide on (messages)
        values: list[Any] | None = None
        fast = self._fast_population
        if fast is not None:  # the fast paths inline: this runs for every row of every pass
            try:
                values = fast(cells)
            except FALL_BACK:
                values = None  # a cell the fields' own converters must decide on (messages)
        if values is None:
            slow = self._convert(emp, self._population_converters)
            if isinstance(slow, Rejection):
                return slow
            values = slow
        found = self._covering(emp, values, why, key)
        if isinstance(found, Rejection):
            return found
        covering, exclusions, mask = found
        rests = self._rest[stage]
        rest = rests.get(mask)
        if rest is None:
            rest = rests[mask] = self._rest_converters(stage, mask, cells)
        converters, fast, whole = rest
        if key is not None and whole is not None:
            self._remember_alike(emp, stage, key, mask, covering, whole)
        if not converters:
            return values, covering, exclusions
        if fast is not None:
            try:
                fast(cells, values)
                return values, covering, exclusions
            except FALL_BACK:
                pass  # a cell the fields' own converters must decide on, with their messages
        done = self._convert(emp, converters, into=values)
        if isinstance(done, Rejection):
            return done
        return values, covering, exclusions

    def _remember_alike(
        self,
        emp: EmployeeInput,
        stage: str,
        key: Any,
        mask: int,
        covering: tuple[BoundPolicy, ...],
        whole: Callable[..., list[Any]],
    ) -> None:
        """Remember the covering policies of rows whose population cells read ``key`` (and
        ``whole``, converting their fields for pass ``stage``), unless a kind is covered by
        none or several of them, or the row's history moved it between plans (a transfer)."""
        alike = self._alike[stage]
        if (
            key not in alike
            and len(alike) < MEMO_SIZE
            and not self._coverage[mask][1]
            and not (emp.history and self._transfers)
        ):
            alike[key] = (covering, whole)

    def _rest_converters(self, stage: str, mask: int, layout: Collection[str]) -> _Rest:
        """The converters (and fast converters) of what the covering policies of ``mask`` read
        in pass ``stage`` beyond the populations' fields; ``layout``: a row's cells (the
        columns the others have too, see `fast_converter`)."""
        wanted: set[str] = set()
        for (bit, _), reads in zip(self._bits, self.plan.pass_fields[stage], strict=True):
            if mask & bit:
                wanted |= reads
        converters = tuple(c for c in self.plan.converters if c[1] in wanted)
        if not self._text_cells:
            return converters, None, None
        fields = self.rulebook.fields
        fast = fast_converter(fields, wanted, into=True, layout=layout) if converters else None
        whole = fast_converter(fields, self.plan.population | wanted, layout=layout)
        return converters, fast, whole

    def _convert(
        self,
        emp: EmployeeInput,
        converters: tuple[tuple[int, str, Converter], ...],
        into: list[Any] | None = None,
    ) -> list[Any] | Rejection:
        """Convert ``converters``' cells of a row into a new list of values (or ``into``) with
        the fields' own converters, which accept or reject each value with its message."""
        cells = emp.cells
        values: list[Any] = [None] * len(self.converters) if into is None else into
        for index, name, convert in converters:
            raw = cells.get(name)
            if raw is None or raw == "":
                values[index] = None
                continue
            try:
                values[index] = convert(raw)
            except ValueError as exc:
                return _reject(emp, name, str(raw), f"{name}: {exc}")
        return values

    def _covering(
        self, emp: EmployeeInput, values: list[Any], why: bool = True, key: Any = None
    ) -> tuple[tuple[BoundPolicy, ...], tuple[Exclusion, ...], int] | Rejection:
        """The policies covering an employee (and as a bit mask of their places in `bound`),
        and the kinds none of whose policies does (with ``why=False``, as the passes before
        the last need, those kinds are not described). ``key``: the text of the row's
        population cells (`_population_cells`), None when the cells are not all text.

        A population reads only the fields `plan.population` names, and a text cell converts
        to one value: rows whose population cells read the same text are covered alike, so
        the mask is remembered per text (a bounded number of them; the rest computed)."""
        found_mask = None if key is None else self._masks.get(key)
        if found_mask is not None:
            mask = found_mask
        else:
            mask = 0
            for bit, bound in self._bits:
                try:
                    if bound.population(values):
                        mask |= bit
                except RowError as exc:
                    return _reject(emp, exc.column, exc.value, exc.reason, exc.source)
            if key is not None and len(self._masks) < MEMO_SIZE:
                self._masks[key] = mask
        if emp.history and self._transfers:  # several plans per person: a mid-period transfer
            mask = transferred_into(self._transfers, self.plan, emp, values, mask)
        found = self._coverage.get(mask)
        if found is None:
            found = self._coverage[mask] = self._coverage_of(mask)
        covering, uneven = found  # the policies as a tuple built once per mask, no list per row
        if not uneven:  # the common case: one policy of every kind
            return covering, (), mask
        exclusions: tuple[Exclusion, ...] = ()
        for kind, mine in uneven:
            if not mine and (why or self.require_coverage):
                exclusion = self._exclusion(kind, values)
                if self.require_coverage:
                    reason = f"not covered by any {kind} policy ({exclusion.describe()})"
                    return _reject(emp, "population", "", reason)
                exclusions += (exclusion,)
            if len(mine) > 1:
                return _reject(
                    emp,
                    "population",
                    "",
                    f"covered by {len(mine)} {kind} policies ({', '.join(p.id for p in mine)}); an employee belongs to one"
                    + undeclared_groups(mine),
                )
        return covering, exclusions, mask

    def _coverage_of(
        self, mask: int
    ) -> tuple[tuple[BoundPolicy, ...], tuple[tuple[str, tuple[CompiledPolicy, ...]], ...]]:
        """The policies of a coverage mask, and the kinds (in order) that none or more than
        one of them covers, with those policies: worked out once per mask (`_coverage`)."""
        covering = tuple(b for bit, b in self._bits if mask & bit)
        # the final pass's route for these policies (`Calculation.evaluated`): the tuple kept
        self._routes[id(covering)] = (
            covering,
            tuple((b, b.evaluate, outcome_maker(b.policy)) for b in covering),
        )
        uneven = []
        for kind in self.kinds:
            mine = tuple(b.policy for b in covering if b.policy.kind == kind)
            if len(mine) != 1 and not one_group(mine):
                uneven.append((kind, mine))
        return covering, tuple(uneven)

    @functools.cached_property
    def _transfers(self) -> tuple[tuple[int, BoundPolicy], ...]:
        """The policies (with their bits) whose plan group weighs transfers."""
        return transfer_bits(self._bits)

    def _exclusion(self, kind: str, values: list[Any]) -> Exclusion:
        """Why no policy of ``kind`` covers a row: each one's population, as written, with the
        values of the inputs it reads, e.g. ``annual-bonus-2026: plan == 'AIP' (plan = 'LTI')``."""
        conditions = []
        for policy in self.rulebook.policies:
            if policy.kind != kind:
                continue
            read = ", ".join(
                f"{name} = {self._input_shown(policy, name, values)}"
                for name in policy.population_inputs  # in name order
            )
            text = f"{policy.id}: {policy.spec.policy.population}"
            conditions.append(f"{text} ({read})" if read else text)
        return Exclusion(kind, tuple(conditions))

    def _input_shown(self, policy: CompiledPolicy, name: str, values: list[Any]) -> str:
        """An input's value as the population read it (an empty cell reads the default)."""
        value = values[self.plan.field_index[name]]
        if value is not None:
            return _shown(value)
        spec = policy.spec.inputs.get(name)
        default = None if spec is None else spec.default
        if default is None:
            return "(empty)"
        with contextlib.suppress(ValueError):  # otherwise shown as declared
            default = self.plan.field_converters[name](str(default))
        return f"{_shown(default)}, the default"

    def _segments(
        self, item: EmployeeInput, policy_id: str, built: dict[object, Any]
    ) -> tuple[Segment, ...] | Rejection | None:
        """The segments of a policy's period for an employee with history (None when the
        policy weighs no step); the history is read once per employee, segments once per period."""
        period = self.plan.weighted.get(policy_id)
        if period is None:
            return None
        if "history" not in built:
            built["history"] = read_history(item, self.plan.field_converters)
        history = built["history"]
        if isinstance(history, Rejection):
            return history
        if period not in built:
            built[period] = period_segments(item, history, *period)
        return built[period]  # type: ignore[no-any-return]

    def _covered(
        self,
        employees: Iterable[EmployeeInput | Rejection],
        exclude: Collection[int],
        stage: str,
        wanted: Callable[[BoundPolicy], bool],
    ) -> Iterator[tuple[EmployeeInput, list[Any], BoundPolicy, tuple[Segment, ...] | None]]:
        """For a pass before the last: each row that converts and is covered, with each wanted
        policy covering it and its segments. A row that fails here is skipped: the last pass
        rejects it, with its reason. What a row must convert is what pass ``stage`` reads of
        the policies covering it: never more than the last pass, so a row skipped here is
        rejected there. ``wanted`` is asked once per tuple of covering policies (a few per run,
        each built once per coverage mask), not per row."""
        # id of a tuple of covering policies → (that tuple, kept alive; those of it wanted)
        chosen: dict[int, tuple[tuple[BoundPolicy, ...], tuple[BoundPolicy, ...]]] = {}
        for item in employees:
            if isinstance(item, Rejection) or item.source.record in exclude:
                continue
            found = self._values(item, stage, why=False)
            if isinstance(found, Rejection):
                continue
            covering = found[1]
            mine = chosen.get(id(covering))
            if mine is None:  # (the tuple kept in `chosen`: its id is no other object's)
                mine = chosen[id(covering)] = (covering, tuple(b for b in covering if wanted(b)))
            if not mine[1]:
                continue
            values = found[0]
            if not item.history:  # no segments
                for bound in mine[1]:
                    yield item, values, bound, None
                continue
            # history read once, segments once per period
            built: dict[object, Any] = {}
            for bound in mine[1]:
                segments = self._segments(item, bound.policy.id, built)
                if not isinstance(segments, Rejection):
                    yield item, values, bound, segments


def _shown(value: object) -> str:
    """An input's value as a population condition would write it."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _reject(
    emp: EmployeeInput,
    column: str,
    value: str,
    reason: str,
    at: tuple[str, int, int] | None = None,
) -> Rejection:
    """The employee's rejection, on its roster row; or, when the fault is in another file's
    row (``at``: a goals file's file, record and line), on that row, the reason naming the
    employee and the roster row that is rejected with it."""
    src = emp.source
    if at is None:
        return Rejection(src.file, src.record, src.line, emp.employee_id, column, value, reason)
    file, record, line = at
    reason = f"{reason} (employee {emp.employee_id}, roster {src.file} line {src.line})"
    return Rejection(file, record, line, emp.employee_id, column, value, reason)
