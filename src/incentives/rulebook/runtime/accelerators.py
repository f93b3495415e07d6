"""Sales accelerators (``accelerators:``): ``commission(sales, plan)``, compiled once.

Attainment is sales ÷ plan. Below plan the reached band is a decelerator: its rate applies
to all sales. At or above plan the sales up to plan earn ``base_rate`` and the amount above
plan earns the accelerator rate: the reached band's rate on all of it (``reached``), or each
band's rate on the slice of sales between its attainment and the next band's
(``cumulative``). The call returns the commission and the band reached (``-1`` below the first
band: nothing is paid), which is all the trace keeps.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from decimal import Decimal

import attrs

from incentives.display import format_value
from incentives.errors import RowError
from incentives.rulebook.language.accelerator_spec import AcceleratorSpec
from incentives.rulebook.language.values import SpecIssue, SpecIssues

__all__ = ["Accelerator", "accelerator_from", "compile_accelerator"]

_ZERO = Decimal(0)


def _pct(value: object) -> str:
    return format_value(value, "percent")


@attrs.frozen(slots=True)
class Accelerator:
    """A compiled accelerator. ``accelerator(sales, plan)`` → ``(commission, band)``."""

    name: str
    base_rate: Decimal
    starts: tuple[Decimal, ...]
    rates: tuple[Decimal, ...]
    plan_at: Decimal
    cumulative: bool
    description: str | None = None

    @property
    def arity(self) -> tuple[int, int]:
        return (2, 2)

    @property
    def type(self) -> str:
        return "money"

    def __call__(self, sales: Decimal | None, plan: Decimal | None) -> tuple[Decimal, int]:
        if sales is None or plan is None:
            raise RowError(
                f"accelerator '{self.name}' needs sales and plan and got none (missing)",
                column=self.name,
            )
        if plan <= 0:
            raise RowError(
                f"accelerator '{self.name}': the plan must be above 0 to give an attainment",
                column=self.name,
                value=str(plan),
            )
        band = bisect_right(self.starts, sales / plan) - 1
        if band < 0:
            return _ZERO, -1
        if self.starts[band] < self.plan_at:  # a decelerator: its rate on all sales
            return self.rates[band] * sales, band
        target = plan * self.plan_at
        paid = self.base_rate * target
        if not self.cumulative:
            return paid + self.rates[band] * (sales - target), band
        for j in range(self._first_above(), band + 1):
            top = sales if j == band else plan * self.starts[j + 1]
            paid += self.rates[j] * (top - max(plan * self.starts[j], target))
        return paid, band

    def _first_above(self) -> int:
        return next(i for i, s in enumerate(self.starts) if s >= self.plan_at)

    def describe(self) -> dict[str, object]:
        """A static, JSON-able description for the run's rulebook.json."""
        return {
            "kind": "accelerator",
            "name": self.name,
            "base_rate": format(self.base_rate, "f"),
            "plan_at": format(self.plan_at, "f"),
            "mode": "cumulative" if self.cumulative else "reached",
            "bands": [
                {"from": format(s, "f"), "rate": format(r, "f")}
                for s, r in zip(self.starts, self.rates, strict=True)
            ],
            "type": self.type,
            "description": self.description,
        }

    def explain(
        self,
        args: Sequence[object],
        value: Decimal,
        detail: object,
        at_places: Callable[[Decimal], Decimal] = lambda v: v,
    ) -> str:
        """``commission(130,000, 100,000) = 100,000 × 8% + 30,000 × 12% = 11,600 (attainment
        130%, band from 125%)``; ``at_places`` rounds the attainment (sales ÷ plan, which may
        not end: 93.333…%) as the breakdown writes a value."""
        sales, plan = (args[0], args[1]) if len(args) == 2 else (None, None)
        head = f"{self.name}({format_value(sales)}, {format_value(plan)}) = "
        if type(detail) is not int or not isinstance(sales, Decimal | int):
            return head + format_value(value)
        if not isinstance(plan, Decimal | int) or not plan:
            return head + format_value(value)
        att = f"attainment {_pct(at_places(Decimal(sales) / Decimal(plan)))}"
        if detail < 0:
            return head + f"0 ({att}, below the first band from {_pct(self.starts[0])})"
        band = f"{att}, band from {_pct(self.starts[detail])}"
        if self.starts[detail] < self.plan_at:
            return (
                head
                + f"{format_value(sales)} × {_pct(self.rates[detail])} = {format_value(value)} "
                f"({band}: a decelerator, on all sales)"
            )
        target = plan * self.plan_at
        parts = [f"{format_value(target)} × {_pct(self.base_rate)}"]
        if not self.cumulative:
            parts.append(f"{format_value(sales - target)} × {_pct(self.rates[detail])}")
        else:
            for j in range(self._first_above(), detail + 1):
                top = sales if j == detail else plan * self.starts[j + 1]
                part = top - max(plan * self.starts[j], target)
                parts.append(f"{format_value(part)} × {_pct(self.rates[j])}")
        return head + " + ".join(parts) + f" = {format_value(value)} ({band})"


def compile_accelerator(name: str, spec: AcceleratorSpec) -> Accelerator:
    """Check an accelerator spec and compile it; raises `SpecIssues` listing every problem."""
    issues: list[SpecIssue] = []
    starts = tuple(b.from_ for b in spec.bands)
    for i in range(1, len(starts)):
        if starts[i] <= starts[i - 1]:
            issues.append(
                SpecIssue(
                    ("bands", i, "from"),
                    f"band {i + 1} starts at {_pct(starts[i])}, not above the previous band's "
                    f"{_pct(starts[i - 1])}: attainment bands must be strictly increasing",
                    "list the bands from the lowest attainment to the highest",
                )
            )
    if spec.plan_at not in starts:
        issues.append(
            SpecIssue(
                ("bands",),
                f"no band starts at plan ({_pct(spec.plan_at)} attainment): the accelerator "
                "bands start there",
                f"add a band {{from: {_pct(spec.plan_at)}, rate: ...}} for the amount above plan",
            )
        )
    if issues:
        raise SpecIssues(issues)
    return Accelerator(
        name=name,
        base_rate=spec.base_rate,
        starts=starts,
        rates=tuple(b.rate for b in spec.bands),
        plan_at=spec.plan_at,
        cumulative=spec.mode == "cumulative",
        description=spec.description,
    )


def accelerator_from(name: str, data: object) -> Accelerator:
    """The accelerator rebuilt from its spec as recorded in rulebook.json (for `explain`)."""
    return compile_accelerator(name, AcceleratorSpec.model_validate(data))
