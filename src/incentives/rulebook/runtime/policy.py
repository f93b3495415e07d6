"""A compiled policy: its static description (slots) and generated evaluation code.

`CompiledPolicy` is immutable and holds no run data. `bind` joins it with a run's inputs
(plan results, rates, the as-of date) into a `BoundPolicy` whose functions evaluate one
employee each into a flat tuple laid out as `CompiledPolicy.slots`.
"""

from __future__ import annotations

import datetime
import hashlib
import linecache
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import CodeType
from typing import Any

import attrs

from incentives.rulebook.language.schema import PolicyFile
from incentives.rulebook.language.yamlsource import SourceDoc
from incentives.rulebook.runtime.allocation_defs import BudgetDef, PoolDef

__all__ = [
    "AggregateDef",
    "BoundPolicy",
    "CompiledPolicy",
    "PayDef",
    "Slot",
    "show_in_tracebacks",
    "source_filename",
]


def source_filename(policy_id: str, source: str) -> str:
    """The pseudo-filename generated code is compiled under: the policy's id and a hash of the
    source, so the same source always has the same name and two versions never share one."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    return f"<policy {policy_id} {digest}>"


def show_in_tracebacks(filename: str, source: str) -> None:
    """Give `linecache` the generated source, so a traceback into it (an engine bug, never a
    user's mistake) quotes its lines. No modification time: `checkcache` keeps the entry;
    a forked worker inherits it."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)


def run_generated(label: str, source: str, namespace: dict[str, Any], name: str) -> Any:
    """Run the generated ``source`` in ``namespace`` and give what it defines as ``name``; the
    source is named ``<label HASH>`` by its hash and given to linecache (`show_in_tracebacks`)."""
    filename = f"<{label} {hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}>"
    show_in_tracebacks(filename, source)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


@attrs.frozen
class Slot:
    """One recorded value of a policy's trace (one breakdown column, or a few for calls/goals).

    kind: input | eligibility | step | raw | variant | segments | gate | call | goals | pay
          | stage (the value a cap/replace gate, floor or cap left; a split part's threshold)
    """

    name: str
    kind: str
    type: str
    owner: str
    line: int | None
    text: str = ""
    reads: tuple[str, ...] = ()
    callee: str = ""
    arg_texts: tuple[str, ...] = ()
    reason: str = ""
    outcome: str = ""
    width: int = 1

    def describe(self) -> dict[str, object]:
        data: dict[str, object] = {"name": self.name, "kind": self.kind, "type": self.type}
        for key in ("owner", "text", "callee", "reason", "outcome"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.reads:
            data["reads"] = list(self.reads)
        if self.line is not None:
            data["line"] = self.line
        return data


@attrs.frozen
class AggregateDef:
    name: str
    function: str
    of: str
    by: str | None


@attrs.frozen
class PayDef:
    """A pay component and its split parts (names and pay codes), with their slot indices."""

    name: str
    pay_code: str
    step: str
    parts: tuple[tuple[str, str], ...]
    slot: int
    part_slots: tuple[int, ...]
    total_slot: int
    unit: str | None = None  # paid in units (shares, points), totalled per unit: not money


@attrs.frozen
class CompiledPolicy:
    """One policy file, validated and compiled. Immutable; derive variants with `evolve`."""

    spec: PolicyFile
    file: str
    sha256: str
    input_names: tuple[str, ...]
    slots: tuple[Slot, ...]
    source: str
    code: CodeType = attrs.field(eq=False, repr=False)
    lookups: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    scorecards: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    parameters: Mapping[str, Decimal]
    aggregates: tuple[AggregateDef, ...]
    pay: tuple[PayDef, ...]
    eligibility_slots: tuple[int, ...]
    zero_gate_slots: tuple[int, ...]
    currency_input: str
    # the constants the generated code reads (see `contract`: NUM_, DATE_, DEFAULT_, ALLOWED_...)
    globals_: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    # what runs at each label ``_s = <n>`` of the generated code and the names it reads, and
    # each input's bounds and allowed values: for the messages of a failed or rejected row
    labels: tuple[tuple[str, tuple[str, ...]], ...] = attrs.field(eq=False, repr=False)
    input_rules: Mapping[str, Mapping[str, Any]] = attrs.field(eq=False, repr=False)
    lines: Mapping[str, int] = attrs.field(eq=False, repr=False)
    # what the fast first pass (group totals) reads: inputs, and whether goals are needed
    first_pass_inputs: tuple[str, ...] = ()
    first_pass_goals: bool = False
    population_inputs: tuple[str, ...] = ()
    gate_slots: tuple[int, ...] = ()  # every step gate, for the notes of results.csv
    pay_total_slots: tuple[int, ...] = ()  # each pay component's rounded total: paid at all?
    output_slots: tuple[tuple[str, int], ...] = ()  # `outputs:` steps shown in results.csv
    # readiness criteria: (criterion slot, gap slot) each, and the `ready` slot (None: no criteria)
    criteria_slots: tuple[tuple[int, int], ...] = ()
    ready_slot: int | None = None
    pools: tuple[PoolDef, ...] = ()
    budgets: tuple[BudgetDef, ...] = ()
    # pools collected in the first pass with the group totals (their members' awards read no
    # total); otherwise a pass of their own after the totals (`BoundPolicy.stage2`)
    pools_in_first_pass: bool = False
    funding_slots: tuple[int, ...] = ()  # each pool's funding step, per member
    # parameters and results written as percentages (`150%`), shown as such in explanations
    written_as_percent: frozenset[str] = frozenset()
    # what `Rulebook.with_overrides` changed ("max_multiple=3", "table target_pct"), for repr
    overrides: tuple[str, ...] = ()
    # the policy file's data and lines it was compiled from (an override edits a copy of it)
    document: SourceDoc | None = attrs.field(default=None, eq=False, repr=False)
    # plan result figures (result, unit or "", field) an override set: --results cannot undo them
    pinned_figures: frozenset[tuple[str, str, str]] = frozenset()

    def __repr__(self) -> str:  # short: never the generated source or the whole spec
        steps = sum(1 for slot in self.slots if slot.kind == "step")
        pay = ", ".join(p.name for p in self.pay) or "none"
        return (
            f"<CompiledPolicy {self.id} v{self.version} ({self.kind}) from {self.file}: "
            f"{len(self.input_names)} inputs, {steps} steps, pay {pay}"
            + (f"; overridden: {', '.join(self.overrides)}>" if self.overrides else ">")
        )

    @property
    def first_pass(self) -> bool:
        """Whether the policy takes part in the first pass (group totals, merged pools)."""
        return bool(self.aggregates) or self.pools_in_first_pass

    @property
    def id(self) -> str:
        return self.spec.policy.id

    @property
    def kind(self) -> str:
        return self.spec.policy.kind

    @property
    def version(self) -> str:
        return self.spec.policy.version

    def bind(
        self,
        *,
        as_of: datetime.date | None = None,
        figures: Mapping[tuple[str, str, str], Decimal] | None = None,
        fx: Callable[..., tuple[Decimal, tuple[object, ...]]] | None = None,
    ) -> BoundPolicy:
        """Join this policy with a run's inputs; see `incentives.rulebook.runtime.binding.bind`."""
        from incentives.rulebook.runtime.binding import bind

        return bind(self, as_of=as_of, figures=figures or {}, fx=fx)


@attrs.frozen
class BoundPolicy:
    """A policy ready to evaluate employees in one run."""

    policy: CompiledPolicy
    population: Callable[[Any], bool]
    evaluate: Callable[..., tuple[Any, ...]]  # (c, X, SEGS=None)
    stage1: Callable[..., Any]
    stage1_full: Callable[..., Any]
    aggregate_totals: dict[str, dict[object, Any]]
    plan_values: Mapping[str, Any]
    # pools: the after-totals pass (None without pools) and each pool's allocation per group
    stage2: Callable[..., Any] | None = None
    funding: Callable[..., Any] | None = None  # merged pools: each pool's funding (one member)
    pool_states: dict[str, dict[object, Any]] = attrs.field(factory=dict)
    # the policy's fx rate (its default rate type and date) from one currency to another
    fx_rate: Callable[[str, str], Decimal] | None = None

    def __repr__(self) -> str:
        return f"<BoundPolicy {self.policy.id} v{self.policy.version} ({self.policy.kind})>"
