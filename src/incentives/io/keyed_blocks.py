"""The index of a keyed file's plain block taken whole, at C speed (what `keyed.KeyedFile`
reads before a run, on one core: 300,000 rating rows for 100,000 employees).

A plain ASCII block (`csvread.PlainBlocks`) is its lines split at commas. When every line is a
usual row (the header's width, an id, a row its builder takes) the block needs no loop per row:
the widths are checked from the bytes with all but commas and line ends deleted, the fields
split in one list and cut into columns by slices, the rows checked per column (`block_check`:
the rows the builder would reject are found from their cells, not built), the runs of
consecutive rows of one employee found where the id column changes (`itertools.compress`),
and the runs added to the file's index together (`index_runs`). Any other block (a blank
line, a row of another width or with a blank id, a row the builder rejects) is left to the
loop per row, which finds and reports it.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable, Sequence
from itertools import accumulate, compress, islice
from operator import lt, ne, sub
from typing import TYPE_CHECKING, Any

from incentives.io.keyed_rows import goal_row, history_row, rating_row

if TYPE_CHECKING:
    from incentives.io.keyed import KeyedFile, _Indexing

__all__ = ["BlockCheck", "Runs", "block_check", "index_runs", "plain_runs"]

ID = "employee_id"
# whether every row of a block, given as its columns (a list of fields each), builds
BlockCheck = Callable[[Sequence[list[str]]], bool]
# a block's runs: each row's id, where each run of one employee's rows starts (row number),
# and the lengths of the rows before each row, summed (one more: all of them)
Runs = tuple[list[str], list[int], list[int]]


def block_check(build: Callable[..., object], columns: Sequence[str]) -> BlockCheck | None:
    """For the rows ``build`` makes (as `KeyedFile` is given it: `keyed_rows.rating_row`,
    `history_row` or `goal_row`), whether every row of a block builds from its fields without
    a `RowError` (as the ``*_fields`` builder does: tests/test_io_keyed.py); None for another
    builder (its rows are built one by one)."""
    if build is rating_row:  # a row with a rating needs its cycle
        cycle_at, rating_at = columns.index("cycle"), columns.index("rating")

        def ratings(cells: Sequence[list[str]]) -> bool:
            if "" not in map(str.strip, cells[cycle_at]):
                return True  # the usual block: every row has its cycle
            pairs = zip(cells[cycle_at], cells[rating_at], strict=True)
            return not any(rating.strip() for cycle, rating in pairs if not cycle.strip())

        return ratings
    if build is history_row:  # a history row needs its effective_date
        date_at = columns.index("effective_date")
        return lambda cells: "" not in map(str.strip, cells[date_at])
    if build is goal_row:  # a goal row is always built (or left out, all blank)
        return lambda cells: True
    return None


def plain_runs(
    data: bytes, texts: list[str], width: int, id_index: int, check: BlockCheck
) -> Runs | None:
    """The runs of one employee's consecutive rows in ``texts`` (the lines of a plain ASCII
    block, without their ends, after the header; ``data``: their bytes), if every line is a
    usual row: as many fields as ``width``, a non-blank id in field ``id_index``, and
    ``check`` finds no row that would be rejected. None otherwise (then each line is taken
    on its own)."""
    if width < 2 or not texts:
        return None
    # each line's commas, from the bytes with all but commas and line ends deleted (C speed)
    separators = data.translate(None, _NOT_SEPARATORS)
    if not data.endswith(b"\n"):  # the file's last line, without its line end
        separators += b"\n"
    if separators != (b"," * (width - 1) + b"\n") * len(texts):
        return None  # a blank line (no comma), a row of another width
    # no list per row (a container per row, kept till the block ends, sets the cyclic
    # collector off over the whole heap): the fields in one list, cut into columns
    fields = ",".join(texts).split(",")
    columns = [fields[at::width] for at in range(width)]
    ids = list(map(str.strip, columns[id_index]))
    if "" in ids or not check(columns):
        return None
    # a run starts where the id differs from the row before's
    starts = [0, *compress(range(1, len(ids)), map(ne, islice(ids, 1, None), ids))]
    # the lines' lengths summed: line k starts ``lengths[k] + k`` bytes into the block
    lengths = list(accumulate(map(len, texts), initial=0))
    return ids, starts, lengths


_NOT_SEPARATORS = bytes(byte for byte in range(256) if byte not in b",\n")


def index_runs(keyed: KeyedFile[Any], runs: Runs, offset: int, line: int, state: _Indexing) -> None:
    """Index in ``keyed`` a plain block whose rows are all usual (`plain_runs`: each row's id,
    where each run of one employee's rows starts, the rows' lengths summed) as the loop per
    row in `KeyedFile._index_plain` does; ``offset`` and ``line``: where it starts."""
    ids, starts, lengths = runs
    count, index, end = keyed._count, keyed._index, keyed._end
    rows, first = len(ids), 0
    if ids[0] == state.previous:  # the first run goes on with the last block
        count[-1] += starts[1] if len(starts) > 1 else rows
        first = 1
    fresh = starts[first:]  # the runs that start a block
    if fresh:
        stops = [*fresh[1:], rows]
        at = [offset + lengths[k] + k for k in fresh]  # the runs' first bytes
        if state.open:  # the record before ended the last block: it ends here
            end[-1] = at[0]
        record, line = state.record + 1, line + 1  # the block's first row's
        named = list(map(ids.__getitem__, fresh))
        # ids in ascending order after all before (a file sorted by id: no set of them)
        known, top = keyed._top
        ascending = (
            known == len(index) and named[0] > top and all(map(lt, named, islice(named, 1, None)))
        )
        if ascending or (len(set(named)) == len(named) and index.keys().isdisjoint(named)):
            # each its employee's first block (usual): `_add`, for all at once
            if known == len(index):
                keyed._top = (
                    len(index) + len(named),
                    max(top, named[-1] if ascending else max(named)),
                )
            blocks = len(count)
            index.update(zip(named, range(blocks, blocks + len(named)), strict=True))
            _extend(keyed._offset, at)
            _extend(end, at[1:])
            end.append(-1)
            _extend(count, list(map(sub, stops, fresh)))
            _extend(keyed._record, [record + k for k in fresh])
            _extend(keyed._line, [line + k for k in fresh])
        else:
            for place, (k, stop) in enumerate(zip(fresh, stops, strict=True)):
                if place:
                    end[-1] = at[place]
                keyed._add(named[place], at[place], record + k, line + k)
                count[-1] = stop - k
    state.previous, state.record, state.open = ids[-1], state.record + rows, True


def _extend(numbers: array[int], values: list[int]) -> None:
    """``numbers.extend(values)``, packed by `struct` (an array converts each value it is
    given through the argument parser: 4 times the instructions)."""
    numbers.frombytes(struct.pack(f"{len(values)}{numbers.typecode}", *values))
