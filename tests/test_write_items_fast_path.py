"""`write_items` writes a computed employee's lines with a function generated per combination
of policies (in the order of the employee's outcomes), trying the previous employee's first;
what it writes is what the plain loop over the employee's outcomes and the files writes."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import RATES, RULES, sample_roster
from incentives.engine.calculate import calculate
from incentives.io import read_rates
from incentives.io.csv_lines import csv_line
from incentives.io.employee_files import EmployeeFile, employee_files, write_items
from incentives.io.run_outputs import OutputLayout
from incentives.model import NotCovered, Rejection
from incentives.rulebook.rulebook import load_rules


@functools.cache
def sample() -> tuple[OutputLayout, tuple[Any, ...]]:
    """The sample cycle's layout and items (employees under one to four of five policies)."""
    rulebook = load_rules(RULES)
    items = tuple(calculate(rulebook, sample_roster(rulebook), rates=read_rates(RATES)))
    return OutputLayout(rulebook), items


def looped(layout: OutputLayout, items: list[Any], files: tuple[EmployeeFile, ...]) -> list[str]:
    """Each file's text as the plain loop writes it: a line per outcome of each file taking one
    for the outcome's policy, the inputs line from all the outcomes, rows of cells."""
    texts = ["" for _ in files]
    for item in items:
        for k, f in enumerate(files):
            rows: list[list[str]] = []
            if isinstance(item, Rejection):
                if f.rejected is not None:
                    f.rejected(item, rows.append)
            elif isinstance(item, NotCovered):
                if f.not_covered is not None:
                    f.not_covered(item, rows.append)
            else:
                for po in item.outcomes:
                    line = f.outcome_line(po.policy.id) if f.outcome_line else None
                    if line is not None:
                        texts[k] += line(item.employee_id, po)
                if f.name == "inputs.csv":
                    texts[k] += layout.inputs_line(item)
                if f.computed is not None:
                    f.computed(item, rows.append)
            texts[k] += "".join(csv_line(row) for row in rows)
    return texts


def written(items: list[Any], files: tuple[EmployeeFile, ...]) -> list[str]:
    texts: list[list[str]] = [[] for _ in files]
    write_items(items, files, [text.append for text in texts])
    return ["".join(text) for text in texts]


@st.composite
def employee_sequences(draw: st.DrawFn) -> list[Any]:
    """Sample items in any order, repeated, each computed one under a subset of its policies in
    any order (so that the policies change from one employee to the next, or stay), with
    rejections and employees no policy covers among them."""
    _, items = sample()
    chosen = draw(st.lists(st.sampled_from(items), max_size=25))
    out: list[Any] = []
    for item in chosen:
        kept = draw(st.permutations(item.outcomes))
        kept = kept[: draw(st.integers(0, len(kept)))]
        what = draw(st.sampled_from(["computed", "computed", "computed", "rejected", "none"]))
        if what == "rejected":
            out.append(Rejection("roster.csv", 2, 3, item.employee_id, "x", "1,2", "bad"))
        elif what == "none":
            out.append(NotCovered("roster.csv", 2, 3, item.employee_id, ()))
        else:
            out.append(item._replace(outcomes=tuple(kept)))
    return out


@settings(max_examples=150, deadline=None)
@given(items=employee_sequences())
def test_generated_writers_write_what_the_loop_writes(items: list[Any]) -> None:
    """For any sequence of employees, whatever their policies and the order of their outcomes,
    every per-employee file holds the text the plain loop gives."""
    layout, _ = sample()
    files = employee_files(layout)
    assert written(items, files) == looped(layout, items, files)


def test_the_whole_sample_is_written_as_the_loop_writes_it() -> None:
    """The sample as it is computed (employees under one to four policies) gives every file the
    loop's text, with lines in each of the files."""
    layout, items = sample()
    files = employee_files(layout)
    texts = written(list(items), files)
    assert texts == looped(layout, list(items), files)
    assert sum(1 for text in texts if text) >= 6
