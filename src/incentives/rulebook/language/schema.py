"""The pydantic model of one policy file (see docs/policy-language.md).

Every scalar arrives as its YAML source text; the types from `values` read it by what each
field declares. Cross-references (names used in formulas, curves named by scorecards) are
checked by the compiler, which knows the whole policy.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from incentives.rulebook.language import earned_spec, units_spec
from incentives.rulebook.language.accelerator_spec import AcceleratorSpec
from incentives.rulebook.language.curve_spec import CurveSpec, TierSpec
from incentives.rulebook.language.result_spec import (
    AdjustmentSpec,
    RankSpec,
    check_result_payout,
)
from incentives.rulebook.language.table_spec import TableSpec
from incentives.rulebook.language.values import IsoDate, Label, Num, Text, Weight, parse_number

__all__ = [
    "MAX_ROUND_STEP",
    "MIN_ROUND_STEP",
    "STEP_RANGE",
    "BudgetSpec",
    "CriterionSpec",
    "EligibilitySpec",
    "GateSpec",
    "Header",
    "InputSpec",
    "PayComponentSpec",
    "PlanGroupSpec",
    "PolicyFile",
    "PoolSpec",
    "RatingHistorySpec",
    "RatingScaleSpec",
    "ResultSpec",
    "RoundSpec",
    "ScorecardItemSpec",
    "ScorecardSpec",
    "SharedGateSpec",
    "SplitSpec",
    "StepSpec",
    "step_in_range",
]

InputType = Literal["text", "integer", "decimal", "percent", "date", "boolean", "rating"]
ValueType = Literal["money", "percent", "decimal", "integer", "boolean", "date", "text"]
Kind = Literal["bonus", "merit", "promotion", "salary"]  # salary: a pay schedule


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Period(Spec):
    start: IsoDate
    end: IsoDate

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self


class Effective(Spec):
    from_: IsoDate = Field(alias="from")
    to: IsoDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"effective 'to' ({self.to}) is before 'from' ({self.from_})")
        return self


class FxDefaults(Spec):
    rate_type: Text = "average"
    date: Text = "period_end"


class RatingHistorySpec(Spec):
    """The rating history a policy reads (``--ratings``): its scale and cycles, most recent first."""

    scale: Text
    cycles: list[Text] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> RatingHistorySpec:
        repeated = sorted({c for c in self.cycles if self.cycles.count(c) > 1})
        if repeated:
            raise ValueError(f"cycle {repeated[0]} is listed twice")
        return self


class PlanGroupSpec(Spec):
    """Several plans per person (docs/policy-language.md, "Several plans per person"): plans of
    one kind naming the same group may cover one employee; ``transfers: weighted`` decides
    coverage over the history's segments and adds the step ``participation``."""

    name: Text
    transfers: Literal["weighted"] | None = None
    combined_cap: Text | None = None  # the group's cap; this plan's share: × participation

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


class Header(Spec):
    id: Text
    title: Text
    version: Text
    kind: Kind
    effective: Effective
    performance_period: Period
    payout_date: IsoDate
    reference: Text = ""
    description: Text = ""
    population: Text = "True"
    currency: Text
    # the defaults as constructed, not validated: validating them would build FxDefaults'
    # own validator while this module loads (a policy's `fx:` is validated within Header's)
    fx: FxDefaults = FxDefaults.model_construct()
    breakdown_decimals: int = Field(default=6, ge=0, le=28)
    rating_history: RatingHistorySpec | None = None
    plan_group: PlanGroupSpec | None = None  # several plans per person (plan_group.py)

    @model_validator(mode="after")
    def _period_in_force(self) -> Header:
        period, effective = self.performance_period, self.effective
        # an earlier cycle (the 2023 grant rewarding 2022): wholly before the version, and
        # paid while the version is in force
        earlier_cycle = (
            period.end < effective.from_
            and effective.from_ <= self.payout_date
            and (effective.to is None or self.payout_date <= effective.to)
        )
        if (period.start < effective.from_ and not earlier_cycle) or (
            effective.to is not None and period.end > effective.to
        ):
            until = f" to {effective.to}" if effective.to else ""
            raise ValueError(
                f"the performance period {period.start} to {period.end} is not within the "
                f"policy's effective period {effective.from_}{until}: a policy version only "
                "governs the periods it is in force for, or an earlier cycle it pays while "
                f"in force (a period ending before it, the payout date {self.payout_date} "
                "within it)"
            )
        return self


class InputSpec(Spec):
    type: InputType
    required: bool = True
    default: Any = None
    min: Num | None = None
    max: Num | None = None
    allowed: list[Label] | None = None
    scale: Text | None = None
    description: Text = ""

    @model_validator(mode="after")
    def _consistent(self) -> InputSpec:
        if self.type == "rating" and not self.scale:
            raise ValueError("a rating input needs 'scale:' naming one of rating_scales")
        if self.type != "rating" and self.scale:
            raise ValueError("'scale' only applies to type: rating")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        if self.default is not None and self.required:
            raise ValueError("a default only applies to an optional input (add required: false)")
        return self


class RatingScaleSpec(Spec):
    labels: dict[str, Num] | None = None
    min: Num | None = None
    max: Num | None = None
    step: Num = Decimal(1)
    description: Text = ""

    @model_validator(mode="after")
    def _one_form(self) -> RatingScaleSpec:
        if self.step <= 0:
            raise ValueError(f"the step of a rating scale must be above 0, not {self.step}")
        numeric = self.min is not None or self.max is not None
        if self.labels is None and not numeric:
            raise ValueError("a rating scale needs either 'labels' or 'min' and 'max'")
        if self.labels is not None and numeric:
            raise ValueError("a rating scale has either 'labels' or 'min'/'max', not both")
        if numeric and (self.min is None or self.max is None or self.min >= self.max):
            raise ValueError("a numeric rating scale needs min below max")
        return self


class Figures(Spec):
    """A result's figures; ``attainment`` and ``stated_payout`` are disclosed figures, stated
    instead of computed (from actual ÷ target, and from the payout curve)."""

    threshold: Num | None = None
    target: Num | None = None
    maximum: Num | None = None
    actual: Num | None = None
    attainment: Num | None = None
    stated_payout: Num | None = None
    adjustment: AdjustmentSpec | None = None  # the committee's, of the reported actual


class Override(Spec):
    payout: Num
    reason: Text


class ResultSpec(Figures):
    description: Text = ""
    # [threshold, target, maximum payouts], or the curve's points [[actual, payout], ...]
    payout: list[Num] | list[tuple[Num, Num]] | None = None
    by: Text | None = None
    units: dict[str, Figures] | None = None
    override: Override | None = None
    rank: RankSpec | None = None  # the actual is a percentile rank within a peer group

    @field_validator("payout", mode="before")
    @classmethod
    def _curve_not_figure(cls, value: object) -> object:
        if value is not None and not isinstance(value, list):
            raise ValueError(
                "'payout:' is the curve [threshold payout, target payout, maximum payout]; "
                f"for a payout given directly (a disclosed score) write 'stated_payout: {value}'"
            )
        return check_result_payout(value)

    @model_validator(mode="after")
    def _shape(self) -> ResultSpec:
        for figures in [self, *(self.units or {}).values()]:
            if self.payout is not None and figures.stated_payout is not None:
                raise ValueError(
                    "a result states its payout ('stated_payout') or computes it from a curve "
                    "('payout: [threshold, target, maximum payouts]'), not both"
                )
            if self.payout is not None and figures.attainment is not None:
                raise ValueError(
                    "a stated 'attainment' cannot be combined with a payout curve on the "
                    "actual; state the payout too ('stated_payout'), or use a scorecard "
                    "item 'curve:' on attainment"
                )
        if self.by and self.units is None:
            raise ValueError(
                f"a result by {self.by} needs 'units:' with one set of figures per unit"
            )
        if self.units is not None and not self.by:
            raise ValueError("'units' needs 'by:' naming the input that holds the unit")
        return self


MIN_ROUND_STEP = Decimal("1e-12")
"""The finest rounding or truncation step: a finer one cannot be held in the engine's 28
significant digits for the values it rounds (every row would be rejected)."""
MAX_ROUND_STEP = Decimal("1e12")
"""The coarsest rounding or truncation step (a coarser one rounds any pay to 0)."""
STEP_RANGE = "between 1e-12 and 1e12"


def step_in_range(step: Decimal) -> bool:
    """Whether a rounding or truncation step above 0 is one the engine can round to."""
    return MIN_ROUND_STEP <= step <= MAX_ROUND_STEP


def _step_or_minor_unit(value: Any) -> Any:
    """``minor_unit`` or a number, read before the union so a bad number gets one message."""
    return value if value == "minor_unit" else parse_number(value)


class RoundSpec(Spec):
    step: Num | Literal["minor_unit"] = "minor_unit"
    mode: Literal["half_up", "half_even", "half_down", "down", "up", "floor", "ceiling"] = "half_up"

    _read_step = field_validator("step", mode="before")(_step_or_minor_unit)

    @model_validator(mode="after")
    def _positive(self) -> RoundSpec:
        if self.step != "minor_unit" and self.step <= 0:
            raise ValueError(f"a rounding step must be above 0 (0.01, 1, 100), not {self.step}")
        if self.step != "minor_unit" and not step_in_range(self.step):
            raise ValueError(
                f"a rounding step must be {STEP_RANGE} (0.01, 1, 100), not {self.step}"
            )
        return self


class GateSpec(Spec):
    name: Text | None = None
    when: Text
    outcome: Literal["zero", "cap", "replace", "flag", "reject"]
    value: Text | None = None
    reason: Text

    @model_validator(mode="after")
    def _value_needed(self) -> GateSpec:
        if self.outcome in ("cap", "replace") and self.value is None:
            raise ValueError(f"a gate with outcome {self.outcome} needs 'value:'")
        if self.outcome in ("zero", "flag", "reject") and self.value is not None:
            raise ValueError(f"a gate with outcome {self.outcome} takes no 'value'")
        return self


class ScorecardItemSpec(Spec):
    name: Text
    weight: Weight
    result: Text | None = None
    curve: Text | None = None
    items: list[ScorecardItemSpec] | None = None
    gates: list[GateSpec] = []
    description: Text = ""

    @model_validator(mode="after")
    def _leaf_or_section(self) -> ScorecardItemSpec:
        if (self.items is None) == (self.result is None):
            raise ValueError(
                f"item '{self.name}' needs either 'result' (a goal) or 'items' (a section)"
            )
        return self


class ScorecardSpec(Spec):
    scope: Literal["plan", "employee"]
    items: list[ScorecardItemSpec] | None = None
    max_goals: int = Field(default=5, ge=1, le=50)
    curve: Text | None = None
    normalise: bool = False
    gates: list[GateSpec] = []
    description: Text = ""
    # of_plan: every weight (a section's and its items') is a share of the whole scorecard;
    # None is of_section (left out of rulebook.json, as before the choice existed)
    weights: Literal["of_section", "of_plan"] | None = None

    @model_validator(mode="after")
    def _by_scope(self) -> ScorecardSpec:
        if self.scope == "plan" and not self.items:
            raise ValueError("a plan scorecard needs 'items'")
        if self.scope == "employee":
            if self.items:
                raise ValueError(
                    "an employee scorecard reads goals from the roster; it takes no 'items'"
                )
            if not self.curve:
                raise ValueError("an employee scorecard needs 'curve:' for its goals")
        return self

    @model_validator(mode="after")
    def _shares_of_a_plan(self) -> ScorecardSpec:
        if self.weights == "of_plan" and self.scope == "employee":
            raise ValueError(
                "'weights: of_plan' states the weights of a plan scorecard's sections as shares "
                "of the whole; an employee scorecard's goal weights come from the roster"
            )
        return self


class EligibilitySpec(Spec):
    name: Text
    rule: Text
    reason: Text
    description: Text = ""


class CriterionSpec(Spec):
    """A promotion-readiness criterion: a rule, the reason it fails, how to word the gap."""

    name: Text
    rule: Text
    reason: Text
    gap: Text | None = None
    missing: Text | None = None
    description: Text = ""


class VariantSpec(Spec):
    when: Text | None = None
    formula: Text


class StepSpec(Spec):
    formula: Text | None = None
    variants: list[VariantSpec] | None = None
    aggregate: Literal["sum", "count", "min", "max", "mean"] | None = None
    of: Text | None = None
    by: Text | None = None
    type: ValueType = "decimal"
    gates: list[GateSpec] = []
    floor: Text | None = None
    cap: Text | None = None
    round: RoundSpec | None = None
    truncate: Num | None = None
    segments: Literal["weighted"] | None = None  # None: the value at the as-of date
    description: Text = ""
    earned: earned_spec.EarnedSpec | None = None  # weighted by the time employed

    _earned_weighted = model_validator(mode="before")(earned_spec.earned_is_weighted)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"formula": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_definition(self) -> StepSpec:
        forms = [self.formula is not None, self.variants is not None, self.aggregate is not None]
        if sum(forms) != 1:
            raise ValueError("a step has exactly one of 'formula', 'variants' or 'aggregate'")
        if self.aggregate is not None and not self.of:
            raise ValueError("an aggregate step needs 'of:' naming the step it totals")
        if self.aggregate is None and (self.of or self.by):
            raise ValueError("'of' and 'by' only apply to an aggregate step")
        if self.variants is not None:
            if not self.variants or self.variants[-1].when is not None:
                raise ValueError("the last variant must have no 'when' (it applies otherwise)")
            if any(v.when is None for v in self.variants[:-1]):
                raise ValueError("every variant but the last needs 'when'")
        if self.round is not None and self.truncate is not None:
            raise ValueError("a step rounds or truncates, not both")
        if self.truncate is not None and self.truncate <= 0:
            raise ValueError(f"truncate needs a step above 0 (0.01, 1, 100), not {self.truncate}")
        if self.truncate is not None and not step_in_range(self.truncate):
            raise ValueError(
                f"a rounding step must be {STEP_RANGE} (0.01, 1, 100), not {self.truncate}"
            )
        if self.segments is not None and self.aggregate is not None:
            raise ValueError("an aggregate step cannot be weighted by segments")
        if self.round is not None and self.round.step == "minor_unit":
            raise ValueError("a step rounds to a number step (0.01, 1, 100); minor_unit is for pay")
        return self


class SplitSpec(Spec):
    name: Text
    pay_code: Text
    above: Text | None = None
    # a fixed share (25%), or a formula: an input or expression per employee (deferral_pct)
    share: Annotated[Num | Text, Field(union_mode="left_to_right")] | None = None
    description: Text = ""

    @model_validator(mode="after")
    def _one_rule(self) -> SplitSpec:
        if (self.above is None) == (self.share is None):
            raise ValueError(f"split part '{self.name}' needs either 'above' or 'share'")
        return self


class PayComponentSpec(Spec):
    name: Text
    step: Text
    pay_code: Text
    round: RoundSpec = RoundSpec()
    split: list[SplitSpec] = []
    description: Text = ""
    unit: Text | None = None  # paid in units (shares, points), not money: see units_spec
    convert: units_spec.ConvertSpec | None = None  # paid in units, the remainder in cash

    _units_round = model_validator(mode="before")(units_spec.units_round)
    _units_checked = model_validator(mode="after")(units_spec.check_units)


class PoolSpec(Spec):
    """A bonus pool: members' individual awards fitted to a funded amount, to the unit."""

    award: Text  # the step holding each member's individual (pre-pool) award, in pay currency
    funding: Text  # formula: what funds the pool of a group, in the pool's currency
    currency: Text  # the pool's currency: awards are converted into it and back with fx
    by: Text | None = None  # the input that groups members into pools (one pool if absent)
    members: Text | None = None  # formula: who is in (default: every eligible employee)
    cap: Text | None = None  # formula: each member's cap, in the pool's currency
    cap_share: Num | None = None  # no member above this share of the pool
    scale: Literal["down", "up_and_down"] = "down"
    excess: Literal["redistribute", "unspent"] = "redistribute"
    round: Num | Literal["minor_unit"] = "minor_unit"  # the unit awards are allocated in
    description: Text = ""

    _read_round = field_validator("round", mode="before")(_step_or_minor_unit)

    @model_validator(mode="after")
    def _bounds(self) -> PoolSpec:
        if self.cap_share is not None and not 0 < self.cap_share <= 1:
            raise ValueError(f"cap_share must be above 0% and at most 100%, got {self.cap_share}")
        if self.round != "minor_unit" and not (isinstance(self.round, Decimal) and self.round > 0):
            raise ValueError("round is a positive unit (0.01, 1, 100) or minor_unit")
        if self.round != "minor_unit" and not step_in_range(self.round):
            raise ValueError(f"round must be {STEP_RANGE} (0.01, 1, 100), not {self.round}")
        return self


class BudgetSpec(Spec):
    """A budget per group: a % of eligible payroll or a fixed amount, against a defined spend."""

    currency: Text  # the budget's currency: payroll and spend are converted into it with fx
    payroll: Text  # formula: the salary an employee adds to the eligible payroll
    spend: Text  # formula: what an employee's outcome costs against the budget
    by: Text | None = None  # the input that groups employees (one budget if absent)
    include: Text | None = None  # formula: whose payroll and spend count (default: eligible)
    percent: Num | None = None  # budget = percent × eligible payroll ...
    amount: Num | dict[str, Num] | None = None  # ... or a fixed amount (per group: a mapping)
    over: Literal["warning", "error"] = "warning"
    description: Text = ""

    @model_validator(mode="after")
    def _one_basis(self) -> BudgetSpec:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a budget needs either 'percent' (of eligible payroll) or 'amount'")
        if isinstance(self.amount, dict) and not self.by:
            raise ValueError("amounts per group need 'by:' naming the input that holds the group")
        return self


class SharedGateSpec(GateSpec):
    """A gate declared once at plan level (`gates:`) for every step or pay component it names."""

    name: Text
    applies_to: list[Text] = Field(min_length=1)


class PolicyFile(Spec):
    policy: Header
    inputs: dict[str, InputSpec] = {}
    rating_scales: dict[str, RatingScaleSpec] = {}
    parameters: dict[str, Num] = {}
    results: dict[str, ResultSpec] = {}
    tables: dict[str, TableSpec] = {}
    curves: dict[str, CurveSpec] = {}
    tiers: dict[str, TierSpec] = {}
    accelerators: dict[str, AcceleratorSpec] | None = None  # None: none (not in rulebook.json)
    scorecards: dict[str, ScorecardSpec] = {}
    eligibility: list[EligibilitySpec] = []
    steps: dict[str, StepSpec] = {}
    pay: list[PayComponentSpec] = []
    outputs: list[Text] = []
    criteria: list[CriterionSpec] = []
    pools: dict[str, PoolSpec] = {}
    budgets: dict[str, BudgetSpec] = {}
    gates: list[SharedGateSpec] | None = None  # plan-level gates, on the steps they name

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        # An empty section (`tables:` with nothing under it) reads as null; treat it as empty.
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data
