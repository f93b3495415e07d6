"""Broken promotion policies (``tests/policies/broken_promotion/``) and the messages users see.

Each file is a small promotion policy with one fault. As in `test_policy_errors`, both faces of
the error are checked: `incentives check` exits 1 and prints the problem on stderr, and
`load_rules` raises `PolicyError` whose `Problem` carries file, line, field, message and hint.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import POLICIES, invoke
from incentives.errors import PolicyError, Problem
from incentives.rulebook.rulebook import load_rules

BROKEN = POLICIES / "broken_promotion"


def broken(name: str) -> tuple[Path, Problem]:
    """Load one broken file both ways; its path and its single problem."""
    path = BROKEN / f"{name}.yaml"
    with pytest.raises(PolicyError) as caught:
        load_rules(path)
    (problem,) = caught.value.problems
    run = invoke("check", "--rules", path)
    assert run.exit_code == 1, run.output
    assert run.stdout == ""
    assert "Traceback" not in run.output
    assert str(problem) in run.stderr
    return path, problem


def test_every_broken_promotion_file_has_a_test() -> None:
    """Each file of broken_promotion/ is named by a test below."""
    source = Path(__file__).read_text(encoding="utf-8")
    for path in sorted(BROKEN.glob("*.yaml")):
        assert f'broken("{path.stem}")' in source, path.name


def test_criterion_reading_an_unknown_name() -> None:
    """`months_between(level_start, as_of)`: level_start is not declared; the problem is on the
    rule's line 21, column 16, and suggests level_start_date."""
    path, problem = broken("criterion_unknown_name")
    assert (problem.file, problem.line, problem.field) == (str(path), 21, "criteria[0].rule")
    assert problem.message.startswith("unknown name 'level_start' in")
    assert problem.column is not None  # column 16 of the rule, counted in the file
    written = path.read_text(encoding="utf-8").splitlines()[20]
    assert problem.column == written.index("months_between(level_start") + 16
    assert problem.hint == "did you mean 'level_start_date'?"


def test_rating_in_without_rating_history() -> None:
    """rating_in('2026') in a policy whose header has no rating_history: a load-time problem on
    the rule (line 20) naming the header key to add."""
    _path, problem = broken("rating_in_without_history")
    assert (problem.line, problem.field) == (20, "criteria[0].rule")
    assert problem.message == (
        "rating_in() reads the rating history, which this policy does not declare"
    )
    assert "rating_history: {scale: <rating scale>, cycles: [...]}" in problem.hint
    assert "policy header" in problem.hint


def test_gap_template_with_a_bad_placeholder() -> None:
    """gap "needs {12 - months_in_lvl} more months in level": the placeholder reads an unknown
    name; reported on the gap's line 23."""
    _path, problem = broken("gap_bad_placeholder")
    assert (problem.line, problem.field) == (23, "criteria[0].gap")
    assert problem.message.startswith("unknown name 'months_in_lvl' in '12 - months_in_lvl'")


def policy(tmp_path: Path, header: str, criteria: str) -> tuple[Problem, ...]:
    text = (BROKEN / "criterion_unknown_name.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("criteria:\n")
    head = head.replace(
        '  rating_history: {scale: performance, cycles: ["2026", "2025"]}\n', header
    )
    path = tmp_path / "p.yaml"
    path.write_text(head + "criteria:\n" + criteria, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_rules(path)
    return caught.value.problems


def test_rating_history_scale_must_exist(tmp_path: Path) -> None:
    """rating_history names scale 'perfomance', which is not declared: suggests 'performance'."""
    (problem,) = policy(
        tmp_path,
        '  rating_history: {scale: perfomance, cycles: ["2026"]}\n',
        "  - {name: ok, rule: \"rating_in('2026') >= 3\", reason: low}\n",
    )
    assert problem.field == "policy.rating_history.scale"
    assert problem.message == "unknown rating scale 'perfomance'"
    assert problem.hint == "did you mean 'performance'?"


def test_literal_cycle_and_count_are_checked(tmp_path: Path) -> None:
    """rating_in('2023') names a cycle the header does not declare; lowest_rating(3) asks for
    more cycles than the two declared: one problem each."""
    problems = policy(
        tmp_path,
        '  rating_history: {scale: performance, cycles: ["2026", "2025"]}\n',
        "  - {name: old, rule: \"rating_in('2023') >= 3\", reason: low}\n"
        '  - {name: many, rule: "lowest_rating(3) >= 3", reason: low}\n',
    )
    messages = sorted(p.message for p in problems)
    assert messages == [
        "lowest_rating(3): the policy declares 2 cycles",
        "rating_in('2023'): cycle 2023 is not one of the rating_history cycles (2026, 2025)",
    ]


def test_unbalanced_brace_and_repeated_criterion(tmp_path: Path) -> None:
    """A gap "needs {12 more" has an unmatched brace; a second criterion named like the first
    is reported too."""
    problems = policy(
        tmp_path,
        "",
        '  - {name: a, rule: "level >= 2", reason: low, gap: "needs {12 more"}\n'
        '  - {name: a, rule: "level >= 3", reason: low}\n',
    )
    messages = sorted(p.message for p in problems)
    assert messages == [
        "criterion 'a' is listed twice",
        "unmatched brace in the gap 'needs {12 more'",
    ]
