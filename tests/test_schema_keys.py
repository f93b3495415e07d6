"""An unknown key is answered from the keys allowed at its place: a did-you-mean never suggests
the key itself, and a key of the language written in the wrong place says where it belongs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import RULES
from incentives.errors import PolicyError, Problem
from incentives.rulebook.rulebook import load_rules


def problems_after(tmp_path: Path, file: str, old: str, new: str) -> list[Problem]:
    text = (RULES / file).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / file
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_rules(path)
    return list(caught.value.problems)


def test_override_under_a_unit_says_where_it_belongs(tmp_path: Path) -> None:
    """A per-unit `override:` (allowed only under results.X) is not "did you mean 'override'"."""
    (problem,) = problems_after(
        tmp_path,
        "annual_bonus.yaml",
        "Sales: {threshold: 8%, target: 10%, maximum: 14%, actual: 11%}",
        'Sales: {threshold: 8%, target: 10%, maximum: 14%, actual: 11%, override: {payout: 10%, reason: "x"}}',
    )
    text = str(problem)
    assert problem.field.endswith("units.Sales.override")
    assert "did you mean 'override'" not in text
    assert "'override' is not allowed here" in text
    assert "results.<name>" in text


def test_a_key_of_another_section_says_where_it_belongs(tmp_path: Path) -> None:
    """`bands:` (a key of tiers) on a range axis: not allowed here, belongs under tiers."""
    (problem,) = problems_after(
        tmp_path,
        "merit.yaml",
        "        match: range\n",
        "        match: range\n        bands: [1]\n",
    )
    text = str(problem)
    assert problem.field.endswith(".bands")
    assert "did you mean 'bands'" not in text
    assert "'bands' is not allowed here" in text
    assert "tiers.<name>" in text


def test_a_suggestion_comes_from_the_keys_allowed_at_that_place(tmp_path: Path) -> None:
    """`formla:` in a step suggests `formula` (a step key); `bandz:` on an axis suggests nothing
    from tiers but lists what an axis allows."""
    (problem,) = problems_after(
        tmp_path,
        "merit.yaml",
        "        match: range\n",
        "        match: range\n        abov: clamp\n",
    )
    assert problem.message == "unknown key 'abov'"
    assert problem.hint == "did you mean 'above'?"
    (problem,) = problems_after(
        tmp_path, "merit.yaml", "        match: range\n", "        match: range\n        bandz: 1\n"
    )
    assert problem.message == "unknown key 'bandz'"
    assert "bands" not in problem.hint
    assert problem.hint == "allowed here: above, at, below, match, name"
