"""A keyed file's plain blocks of usual rows are indexed whole (`io/keyed_blocks.py`): the
index, each employee's rows read back, the counts and the unmatched rows are those the loop
per record builds, and a block is taken whole exactly when every one of its rows builds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import test_io_keyed
from incentives.model import RowSource

# the fast index against the general one, on the file it writes (Hypothesis's inner test)
_same_index = (
    test_io_keyed.test_the_fast_index_of_plain_blocks_is_the_general_index.hypothesis.inner_test
)
cell_texts = st.sampled_from(["", " ", "2026", " 2025 ", "Meets", " Exceeds ", "4", "a,b"])


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(["ratings", "history", "goals"]),
    columns=st.permutations(["employee_id", "first", "second", "third"]),
    rows=st.lists(st.lists(cell_texts, min_size=4, max_size=4), min_size=1, max_size=6),
)
def test_a_plain_blocks_check_finds_a_row_the_builder_rejects(
    kind: str, columns: list[str], rows: list[list[str]]
) -> None:
    """Whether a plain block is indexed whole (`keyed_blocks.block_check`, from the block's
    columns) is whether every one of its rows builds from its fields (no fault): a rating
    row with a rating and no cycle, a history row without its effective date."""
    from incentives.errors import RowError
    from incentives.io.keyed_blocks import block_check
    from incentives.io.keyed_rows import (
        goal_fields,
        goal_row,
        history_fields,
        history_row,
        rating_fields,
        rating_row,
    )

    names = {
        "ratings": ("cycle", "rating", "note"),
        "history": ("effective_date", "base_salary", "level"),
        "goals": ("goal", "target", "actual"),
    }[kind]
    header = tuple(
        dict(zip(("first", "second", "third"), names, strict=True)).get(c, c) for c in columns
    )
    if kind == "goals":
        header = (*header, "weight")
        rows = [[*row, "1"] for row in rows]
    build, fields = {
        "ratings": (rating_row, rating_fields),
        "history": (history_row, history_fields),
        "goals": (goal_row, goal_fields),
    }[kind]
    check = block_check(build, header)
    assert check is not None
    builder = fields(header)  # type: ignore[operator]
    source = RowSource("file.csv", 1, 2)
    try:
        for row in rows:
            builder(row, source)
        builds = True
    except RowError:
        builds = False
    assert check([list(column) for column in zip(*rows, strict=True)]) == builds


@settings(max_examples=200, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.sampled_from(["E1", "E2", "E3", "E4"]), st.integers(1, 4)), max_size=12
    ),
    odd=st.lists(
        st.tuples(
            st.integers(0, 40),
            st.sampled_from(
                ["", "E2,,Meets", "E1,2026", " E3 ,2026,Meets", "E9,2025,Né", " ,2026,Meets"]
            ),
        ),
        max_size=2,
    ),
    final_newline=st.booleans(),
    block=st.sampled_from([16, 40, 64, 1 << 20]),
    roster=st.sampled_from([{"E1", "E2", "E3", "E4"}, {"E1", "E3"}]),
)
def test_plain_blocks_indexed_whole_give_the_general_index(
    tmp_path_factory: pytest.TempPathFactory,
    runs: list[tuple[str, int]],
    odd: list[tuple[int, str]],
    final_newline: bool,
    block: int,
    roster: set[str],
) -> None:
    """A file of usual rows (an employee's rows one after the other, an employee coming back
    later, blocks ending within an employee's rows, no final line end) is indexed a block at a
    time (`keyed_blocks.plain_runs`) into the index the general loop builds record by record;
    so it is with a few odd lines among them (a blank line, a rating without its cycle, a
    short row, a spaced or blank id, non-ASCII text), which send their block to the loop."""
    lines = [
        f"{eid},{2026 - k},{'Meets' if k % 2 else 'Exceeds'}" for eid, n in runs for k in range(n)
    ]
    for at, line in odd:
        lines.insert(min(at, len(lines)), line)
    # the file and the comparison of `test_the_fast_index_of_plain_blocks_is_the_general_index`
    # (a last line without its line end as its tail)
    tail = "" if final_newline or not lines else lines.pop()
    columns = ["employee_id", "cycle", "rating"]
    _same_index(tmp_path_factory, lines, columns, False, tail, block, roster)
