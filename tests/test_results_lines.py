"""results.csv's generated line writes an outcome's texts (zero reason, notes, gaps) as
`format_cell` does, quoted for CSV: empty ones inline, the others through their memos."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from incentives.io.run_outputs import OutputLayout
from incentives.io.writers import format_cell
from incentives.rulebook.rulebook import load_rules

_LAYOUT = OutputLayout(load_rules(ROOT / "rules"))  # the sample: a promotion with criteria (gaps)
_TEXTS = st.one_of(
    st.just(""),
    st.sampled_from(["computed as zero", "a,b", 'say "hi"', "=1+1", "-x", "two\nlines", " "]),
    st.text(max_size=6),
)


@settings(max_examples=200)
@given(
    policy=st.sampled_from(sorted(_LAYOUT.breakdown_files)),
    zero_reason=_TEXTS,
    notes=_TEXTS,
    gaps=_TEXTS,
    eligible=st.booleans(),
    ready=st.sampled_from([None, True, False]),
)
def test_an_outcomes_texts_are_written_as_format_cell_writes_them(
    policy: str, zero_reason: str, notes: str, gaps: str, eligible: bool, ready: bool | None
) -> None:
    """Whatever the texts (empty, commas, quotes, a formula start, a line break), the line
    reads back as the cells `format_cell` makes of them, in their columns."""
    compiled = _LAYOUT._policies[policy]
    outcome = SimpleNamespace(
        policy=compiled,
        trace=(Decimal("1.00"),) * len(compiled.slots),  # pay is always a rounded Decimal
        eligible=eligible,
        zero_reason=zero_reason,
        currency="USD",
        notes=notes,
        ready=ready,
        gaps=gaps,
    )
    line = _LAYOUT.results_line_of(policy)("E1", outcome)  # type: ignore[arg-type]
    (row,) = list(csv.reader(io.StringIO(line, newline="")))
    cells = dict(zip(_LAYOUT.results_header, row, strict=True))
    assert cells["zero_reason"] == format_cell(zero_reason)
    assert cells["notes"] == format_cell(notes)
    assert cells["gaps"] == format_cell(gaps)
    assert cells["eligible"] == format_cell(eligible)
