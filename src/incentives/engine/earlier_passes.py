"""The passes before the final one: group totals, pools collected and solved.

The totals pass sums each group's total per share (and collects the members of the pools whose
awards read no total); the pools pass collects the members of the others once the totals are
set. Each returns partials that merge exactly, in any order (`apply_partials`), into the
totals and solved pools the next pass reads. A row the final pass rejects after one of these
counted it is found by `counted_before`, so that a caller that can redo the run does so without
it (see `incentives.jobs`).
"""

from __future__ import annotations

import contextlib
import decimal
import functools
from collections.abc import Callable, Collection, Iterable
from decimal import Decimal
from typing import Any

from incentives.engine.allocation_checks import pool_rule
from incentives.engine.allocation_passes import (
    Claims,
    FundingOf,
    PoolPartials,
    merge_pools,
    one_funding,
)
from incentives.engine.pools import PoolState, solve_pool
from incentives.engine.row_values import RowConversion
from incentives.engine.run_plan import Pass
from incentives.errors import OptionsError, PolicyError, Problem, RowError
from incentives.model import EmployeeInput, Rejection
from incentives.money import ENGINE_CONTEXT, EXACT_CONTEXT, add_exact
from incentives.rulebook.runtime.allocation_defs import PoolDef
from incentives.rulebook.runtime.policy import BoundPolicy
from incentives.rulebook.runtime.weighted import Segment

__all__ = ["Covered", "EarlierPasses", "GroupPartials"]

# a row converted for a pass, with a policy covering it and its segments (see `_covered`)
Covered = tuple[EmployeeInput, list[Any], BoundPolicy, tuple[Segment, ...] | None]
# the totals pass: policy → aggregate → group → [sum, count, min, max]; and its pools
GroupPartials = tuple[dict[str, dict[str, dict[object, list[Any]]]], PoolPartials]


class EarlierPasses(RowConversion):
    """What `Calculation` does in the passes before the final one, and with their partials."""

    exact_first_pass: bool
    _needs_totals: bool
    _needs_pools: bool
    _totals_done: bool
    _pools_done: bool

    def partials(
        self,
        step: Pass,
        rows: Iterable[EmployeeInput | Rejection],
        exclude: Collection[int] = (),
        covered: Iterable[Covered] | None = None,
    ) -> GroupPartials | PoolPartials:
        """What pass ``step`` (before the final one) collects from some rows (``covered``:
        those rows already converted, as `_covered` gives them, with this run's policies)."""
        if step.kind == "totals":
            return self.group_partials(rows, exclude, covered)
        return self.pool_partials(rows, exclude, covered)

    def apply_partials(self, step: Pass, partials: list[Any]) -> None:
        """The partials of every share of pass ``step``, merged and applied."""
        if step.kind == "totals":
            self.apply_group_partials(partials)
        else:
            self.apply_pool_partials(partials)

    @property
    def may_miscount(self) -> bool:
        """Whether an earlier pass may count a row the final pass rejects: a fast totals
        pass, or a pool collected before the final pass."""
        return self._needs_pools or (self._needs_totals and not self.exact_first_pass)

    def counted_before(self, item: EmployeeInput, miscounted: set[int]) -> None:
        """A row the final pass rejects before evaluating it (a field the fast first pass or
        the pool pass does not convert): if that pass counted it in a group total or a pool,
        the caller must redo the run without it (added to ``miscounted``)."""
        for step in self.plan.before_final():
            if step.fields == "all":
                continue  # it converted what the final pass does: it skipped the row too
            wanted = _evaluated_in(step)
            for _, values, bound, segments in self._covered((item,), (), step.fields, wanted):
                self._check_counted(bound, values, item, segments, miscounted)

    def _check_counted(
        self,
        bound: BoundPolicy,
        values: list[Any],
        item: EmployeeInput,
        segments: tuple[Segment, ...] | None,
        miscounted: set[int],
    ) -> None:
        """A row rejected now: did an earlier pass count it in a group total or a pool? Then
        those are wrong and the caller must redo the run without it (``miscounted``)."""
        counted = False
        if bound.policy.first_pass:
            stage1 = bound.stage1_full if self.exact_first_pass else bound.stage1
            with contextlib.suppress(RowError):
                found = stage1(values, item, segments)
                counted = found is not None and (bool(found[0]) or any(m[1] for m in found[1]))
        if not counted and bound.stage2 is not None:
            try:
                rows = bound.stage2(values, item, segments)
                counted = rows is not None and any(row[1] for row in rows)
            except RowError:
                pass
        if counted:
            miscounted.add(item.source.record)

    def group_partials(
        self,
        employees: Iterable[EmployeeInput | Rejection],
        exclude: Collection[int] = (),
        covered: Iterable[Covered] | None = None,
    ) -> GroupPartials:
        """The first pass over some employees: per policy, aggregate and group, the running
        sum, count, min and max; per pool collected here, its members and one member per
        group (the lowest employee_id) to evaluate the funding with. Partials of disjoint
        shares of a roster merge exactly.

        With ``exact_first_pass`` every step that does not read a total is evaluated, so a row
        rejected by any of them never counts. Without it only what the totals read is
        evaluated (much faster); rows the second pass then rejects are collected in
        `miscounted`, and the run is redone with them in ``exclude`` (record numbers).
        """
        sums: dict[str, dict[str, dict[object, list[Any]]]] = {}
        pools: PoolPartials = {}
        exact = self.exact_first_pass
        # per policy (by the id of its bound policy, kept alive here), what is looked up once:
        # its stage1, and per aggregate and per pool collected here the group → accumulator
        # [sum, count, min, max] or claims dictionary of this share (the very dictionaries of
        # ``sums`` and ``pools``)
        plans: dict[int, tuple[BoundPolicy, Callable[..., Any], list[Any], list[Any]]] = {}
        add = _EXACT_ADD
        with decimal.localcontext(ENGINE_CONTEXT):
            if covered is None:
                stage = "all" if exact else "first"
                covered = self._covered(employees, exclude, stage, _in_first_pass)
            for item, values, bound, segments in covered:
                plan = plans.get(id(bound))
                if plan is None:
                    plan = plans[id(bound)] = _collecting(bound, exact, sums, pools)
                try:
                    found = plan[1](values, item, segments)
                except RowError:
                    continue  # rejected again, with its reason, in the last pass
                if found is None:
                    continue  # not eligible: not part of any group total
                pairs, members = found
                for accs, (key, value) in zip(plan[2], pairs, strict=True):
                    acc = accs.get(key)
                    if acc is None:
                        acc = accs[key] = [_ZERO, 0, None, None]
                    # `_accumulate(acc, value, 1, value, value)`, inline
                    try:
                        acc[0] = add(acc[0], value)
                    except decimal.Inexact:
                        acc[0] = add_exact(acc[0], value)  # its message
                    acc[1] += 1
                    if value is not None:
                        if acc[2] is None or value < acc[2]:
                            acc[2] = value
                        if acc[3] is None or value > acc[3]:
                            acc[3] = value
                for groups, (key, member, award, cap) in zip(plan[3], members, strict=True):
                    if member:
                        claims = groups.get(key)
                        if claims is None:
                            claims = groups[key] = Claims()
                        claims.add(item.employee_id, award, cap)
                        first = claims.found.get(None)
                        if first is None or item.employee_id < first[0]:
                            claims.found[None] = (item.employee_id, values, item, segments)
        return sums, pools

    def apply_group_partials(self, partials: Iterable[GroupPartials]) -> None:
        """Merge first-pass partials (in any order: sums of exact decimals) and set the totals."""
        merged: dict[str, dict[str, dict[object, list[Any]]]] = {}
        parts = list(partials)
        for part, _ in parts:
            for policy_id, per in part.items():
                for name, groups in per.items():
                    target = merged.setdefault(policy_id, {}).setdefault(name, {})
                    for key, (total, count, low, high) in groups.items():
                        acc = target.setdefault(key, [Decimal(0), 0, None, None])
                        _accumulate(acc, total, count, low, high)
        with decimal.localcontext(ENGINE_CONTEXT):
            for bound in self.bound:
                per = merged.get(bound.policy.id, {})
                for agg in bound.policy.aggregates:
                    table = bound.aggregate_totals[agg.name]
                    table.clear()
                    for key in sorted(per.get(agg.name, {}), key=_group_order):
                        total, count, low, high = per[agg.name][key]
                        table[key] = {
                            "sum": total, "count": Decimal(count), "min": low, "max": high,
                            "mean": total / count,
                        }[agg.function]  # fmt: skip
        self._totals_done = True
        merged_pools = merge_pools(pools for _, pools in parts)
        with decimal.localcontext(ENGINE_CONTEXT):
            for bound in self.bound:
                if bound.policy.pools_in_first_pass:
                    self._solve(bound, merged_pools, self._funding_of(bound))

    def pool_partials(
        self,
        employees: Iterable[EmployeeInput | Rejection],
        exclude: Collection[int] = (),
        covered: Iterable[Covered] | None = None,
    ) -> PoolPartials:
        """The pool pass over some employees (group totals must be set): per pool and group,
        its members (id, award, own cap) and the funding each gave. Shares merge exactly."""
        if self._needs_totals and not self._totals_done:
            raise OptionsError("group totals are not computed yet: call apply_group_partials first")
        parts: PoolPartials = {}
        with decimal.localcontext(ENGINE_CONTEXT):
            if covered is None:
                covered = self._covered(employees, exclude, "pool", lambda b: b.stage2 is not None)
            for item, values, bound, segments in covered:
                assert bound.stage2 is not None
                try:
                    rows = bound.stage2(values, item, segments)
                except RowError:
                    continue  # rejected, with its reason, in the last pass
                if rows is None:
                    continue  # not eligible
                pid = bound.policy.id
                for pool, (key, member, award, cap, funding) in zip(
                    bound.policy.pools, rows, strict=True
                ):
                    if member:
                        claims = _claims(parts, pid, pool, key)
                        claims.add(item.employee_id, award, cap)
                        seen = claims.found.get(funding)
                        if seen is None or item.employee_id < seen:
                            claims.found[funding] = item.employee_id
        return parts

    def apply_pool_partials(self, partials: Iterable[PoolPartials]) -> None:
        """Merge pool-pass partials (in any order) and solve every pool of every group."""
        merged = merge_pools(partials)
        with decimal.localcontext(ENGINE_CONTEXT):
            for bound in self.bound:
                if bound.stage2 is not None:
                    self._solve(bound, merged, functools.partial(one_funding, bound))
        self._pools_done = True

    def _funding_of(self, bound: BoundPolicy) -> FundingOf:
        """For pools collected in the first pass: the funding of a group, from its member
        with the lowest employee_id (every member's is checked against it in the last pass)."""
        cache: dict[object, tuple[Any, ...]] = {}

        def funding(index: int, pool: PoolDef, key: object, found: dict[Any, Any]) -> Decimal:
            employee_id, values, item, segments = found[None]
            if employee_id not in cache:
                assert bound.funding is not None
                try:
                    cache[employee_id] = bound.funding(values, item, segments)
                except RowError as exc:
                    raise PolicyError(
                        [
                            Problem(
                                bound.policy.file,
                                pool.line,
                                f"pools.{pool.name}.funding",
                                f"the funding of the pool for {pool.by or 'all'} '{key}' cannot be "
                                f"computed (from employee {employee_id}): {exc.reason}",
                            )
                        ]
                    ) from None
            return cache[employee_id][index]  # type: ignore[no-any-return]

        return funding

    def _solve(self, bound: BoundPolicy, merged: PoolPartials, funding_of: FundingOf) -> None:
        for index, pool in enumerate(bound.policy.pools):
            states = bound.pool_states[pool.name]
            states.clear()
            groups = merged.get((bound.policy.id, pool.name), {})
            for key in sorted(groups, key=_group_order):
                claims = groups[key]
                funding = funding_of(index, pool, key, claims.found)
                states[key] = solve_pool(pool_rule(pool), funding, claims.members())

    def pool_states(self) -> list[tuple[BoundPolicy, PoolDef, object, PoolState]]:
        """Every solved pool: (policy, pool, group, state), in policy, pool and group order."""
        return [
            (bound, pool, key, state)
            for bound in self.bound
            for pool in bound.policy.pools
            for key, state in bound.pool_states[pool.name].items()
        ]


def _in_first_pass(bound: BoundPolicy) -> bool:
    return bound.policy.first_pass


def _collecting(
    bound: BoundPolicy,
    exact: bool,
    sums: dict[str, dict[str, dict[object, list[Any]]]],
    pools: PoolPartials,
) -> tuple[BoundPolicy, Callable[..., Any], list[Any], list[Any]]:
    """What `group_partials` collects a policy's rows with: its stage1, and per aggregate (in
    the order of stage1's pairs) and per pool collected in the first pass (in the order of its
    members) the dictionary of its groups in ``sums`` or ``pools`` (made empty here)."""
    policy = bound.policy
    per = sums.setdefault(policy.id, {})
    accs = [per.setdefault(agg.name, {}) for agg in policy.aggregates]
    collected = policy.pools if policy.pools_in_first_pass else ()
    claims = [pools.setdefault((policy.id, pool.name), {}) for pool in collected]
    return bound, bound.stage1_full if exact else bound.stage1, accs, claims


def _evaluated_in(step: Pass) -> Callable[[BoundPolicy], bool]:
    """Whether pass ``step`` evaluates a policy."""
    return lambda bound: bound.policy.id in step.policies


def _claims(parts: PoolPartials, policy_id: str, pool: PoolDef, key: object) -> Claims:
    """The claims of a pool's group, to add members to."""
    groups = parts.setdefault((policy_id, pool.name), {})
    claims = groups.get(key)
    if claims is None:
        claims = groups[key] = Claims()
    return claims


_ZERO = Decimal(0)
_EXACT_ADD = EXACT_CONTEXT.add


def _accumulate(acc: list[Any], total: Decimal, count: int, low: Any, high: Any) -> None:
    acc[0] = add_exact(acc[0], total)  # a group total never rounds, whatever the rows
    acc[1] += count
    if low is not None and (acc[2] is None or low < acc[2]):
        acc[2] = low
    if high is not None and (acc[3] is None or high > acc[3]):
        acc[3] = high


def _group_order(key: object) -> tuple[int, str]:
    return (0, "") if key is None else (1, str(key))
