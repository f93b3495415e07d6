"""The dependency graph of a policy's steps: evaluation order, cycles and group-total reach.

Nodes are the steps and the employee scorecards; a step depends on the steps and scorecards its
formulas read, and an aggregate step on the step it totals. A cycle is reported as its path
(``a → b → a``); an aggregate that reads another aggregate is reported too.
"""

from __future__ import annotations

from collections.abc import Callable

from incentives.rulebook.compiler.compile_state import CompileState, StepExprs
from incentives.rulebook.language.schema import StepSpec

__all__ = ["StepGraph"]


class StepGraph:
    """Steps (and employee scorecards) with the names each one reads."""

    def __init__(self, p: CompileState, exprs: dict[str, StepExprs]) -> None:
        self.p = p
        self.steps = p.spec.steps
        self.exprs = exprs

    def deps(self, name: str) -> list[str]:
        """The steps and scorecards step `name` reads, sorted."""
        step = self.steps[name]
        deps: set[str] = set()
        for _, expr, _ in self.exprs.get(name, []):
            if expr is not None:
                deps |= {n for n in expr.names if self.p.kinds.get(n) in ("step", "scorecard")}
        if step.aggregate and step.of in self.steps:
            deps.add(str(step.of))
        made = self.p.synthetic.get(name)
        if made is not None and made.custom:
            deps |= {d for d in made.deps if d in self.steps}
        return sorted(deps)

    def order(self) -> list[str]:
        """Steps (and employee scorecards) ordered by dependency; a cycle is reported as its path."""
        nodes = list(self.p.spec.scorecards) + list(self.steps)
        nodes = [n for n in nodes if self.p.kinds.get(n) in ("step", "scorecard")]
        order: list[str] = []
        state: dict[str, int] = {}  # 1: being visited, 2: done
        stack: list[str] = []

        def visit(node: str) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                cycle = [*stack[stack.index(node) :], node]
                self.p.problem(
                    ("steps", node),
                    "steps depend on each other in a cycle: " + " → ".join(cycle),
                    "break the cycle",
                )
                return
            state[node] = 1
            stack.append(node)
            for dep in self.deps(node) if node in self.steps else []:
                visit(dep)
            stack.pop()
            state[node] = 2
            order.append(node)

        for node in nodes:
            visit(node)
        # an aggregate may only read steps that do not themselves read an aggregate
        for name, step in self.steps.items():
            if step.aggregate and step.of in self.steps:
                for dep in self.closure([str(step.of)]):
                    if dep in self.steps and self.steps[dep].aggregate:
                        self.p.problem(
                            ("steps", name, "of"),
                            f"an aggregate cannot read another aggregate ('{dep}')",
                        )
        return order

    def independent_of_aggregates(self, order: list[str]) -> set[str]:
        """The nodes of `order` that neither are nor read (directly or not) a group total or
        a pool's allocation (both known only after a pass over every employee)."""
        return self._independent(
            order, lambda node, step: bool(step.aggregate) or self._pooled(node)
        )

    def independent_of_pools(self, order: list[str]) -> set[str]:
        """The nodes of `order` that neither are nor read a pool's allocation."""
        return self._independent(order, lambda node, step: self._pooled(node))

    def _pooled(self, node: str) -> bool:
        made = self.p.synthetic.get(node)
        return made is not None and made.custom

    def _independent(self, order: list[str], root: Callable[[str, StepSpec], bool]) -> set[str]:
        tainted: set[str] = set()
        for node in order:
            step = self.steps.get(node)
            if step is not None and (
                root(node, step) or any(dep in tainted for dep in self.deps(node))
            ):
                tainted.add(node)
        return {node for node in order if node not in tainted}

    def closure(self, roots: list[str]) -> set[str]:
        """`roots` and everything they read, directly or not."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in self.steps:
                todo += self.deps(node)
        return seen
