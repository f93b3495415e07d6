"""`Rulebook.with_overrides` reads values as a policy file does, and refuses anything else with
an `IncentivesError` naming the policy and the parameter (never a bare `decimal` or Python error).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conftest import RULES
from incentives.errors import IncentivesError, OptionsError
from incentives.rulebook.rulebook import Rulebook, load_rules

D = Decimal
BONUS = "annual-bonus-2026"


@pytest.fixture(scope="module")
def sample() -> Rulebook:
    return load_rules(RULES)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("150%", D("1.50")),
        ("1.10", D("1.10")),
        ("1_000", D(1000)),
        (" 3 ", D(3)),
        (3, D(3)),
        (D("2.5"), D("2.5")),
        ("1e3", D("1e3")),
    ],
)
def test_a_value_is_read_as_in_a_policy_file(sample: Rulebook, value: Any, expected: D) -> None:
    """ "150%" is 1.5 and "1.10" keeps its two places, exactly as `excess_above: 150%` in YAML."""
    variant = sample.with_overrides(BONUS, parameters={"excess_above": value})
    got = variant.policy(BONUS).parameters["excess_above"]
    assert got == expected
    assert str(got) == str(expected)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("abc", "'abc' is not a number"),
        ("", "is not a number"),
        ("150 %%", "is not a number"),
        (None, "expected a number, got nothing"),
        ([1], "expected a number, got a list"),
        (True, "boolean"),
        ("1" * 41, "41 digits; at most 40"),
        ("1e41", "out of range"),
        ("1e-41", "out of range"),
        (D("1e41"), "out of range"),
        (10**41, "digits; at most 40"),
        (D("NaN"), "not a finite number"),
        (D("Infinity"), "not a finite number"),
    ],
)
def test_a_bad_value_is_an_options_error_naming_policy_and_parameter(
    sample: Rulebook, value: Any, words: str
) -> None:
    with pytest.raises(OptionsError) as caught:
        sample.with_overrides(BONUS, parameters={"max_multiple": value})
    text = str(caught.value)
    assert BONUS in text
    assert "max_multiple" in text
    assert words in text


def test_a_float_is_refused_with_the_way_out(sample: Rulebook) -> None:
    """0.1 as a float is 0.1000000000000000055…: refused, saying to pass a string or Decimal."""
    with pytest.raises(OptionsError) as caught:
        sample.with_overrides(BONUS, parameters={"max_multiple": 0.1})
    text = str(caught.value)
    assert "float" in text
    assert "'0.1'" in text
    assert "Decimal" in text
    assert BONUS in text and "max_multiple" in text


def test_an_unknown_parameter_is_refused_with_did_you_mean(sample: Rulebook) -> None:
    with pytest.raises(OptionsError, match=rf"{BONUS}.*max_multipel.*did you mean 'max_multiple'"):
        sample.with_overrides(BONUS, parameters={"max_multipel": "3"})
    with pytest.raises(OptionsError, match="unknown parameter"):
        sample.with_overrides(BONUS, parameters={3: "3"})  # type: ignore[dict-item]


def test_bad_table_cells_and_curve_points_are_options_errors(sample: Rulebook) -> None:
    """Cells and points go through the same reader; a wrong index is an error, not IndexError."""
    variant = sample.with_overrides(BONUS, table_values={"target_pct": {(0,): "10%"}})
    assert (
        variant.policy(BONUS).lookups["target_pct"]
        is not sample.policy(BONUS).lookups["target_pct"]
    )
    bad: list[dict[str, Any]] = [
        {"table_values": {"target_pct": {(0,): "abc"}}},
        {"table_values": {"target_pct": {(0,): 0.1}}},
        {"table_values": {"target_pct": {(99,): "1"}}},
        {"table_values": {"target_pct": {(): "1"}}},
        {"curve_points": {"goal_payout": {0: ("abc", "1")}}},
        {"curve_points": {"goal_payout": {0: (0.5, D(1))}}},
        {"curve_points": {"goal_payout": {99: ("1", "1")}}},
        {"curve_points": {"goal_payout": {0: "1"}}},
    ]
    for kwargs in bad:
        with pytest.raises(OptionsError) as caught:
            sample.with_overrides(BONUS, **kwargs)
        assert BONUS in str(caught.value), kwargs


def test_every_failure_is_an_incentives_error(sample: Rulebook) -> None:
    for value in ("abc", None, [1], 0.1, {"a": 1}, object()):
        with pytest.raises(IncentivesError):
            sample.with_overrides(BONUS, parameters={"max_multiple": value})


def test_a_percent_override_is_shown_as_a_percent() -> None:
    """An override written "150%" reads as a percentage in explanations, "1.5" does not."""
    sample = load_rules(RULES)
    assert "parameters.excess_above" in sample.policy(BONUS).written_as_percent
    plain = sample.with_overrides(BONUS, parameters={"excess_above": "1.6"})
    assert "parameters.excess_above" not in plain.policy(BONUS).written_as_percent
    percent = plain.with_overrides(BONUS, parameters={"excess_above": "160%"})
    assert "parameters.excess_above" in percent.policy(BONUS).written_as_percent


def test_a_variant_says_so_in_its_repr(sample: Rulebook) -> None:
    variant = sample.with_overrides(BONUS, parameters={"max_multiple": "3"})
    assert repr(variant) != repr(sample)
    assert "max_multiple=3" in repr(variant)
    assert "max_multiple=3" in repr(variant.policy(BONUS))
    assert "overrid" not in repr(sample)
    again = variant.with_overrides(BONUS, table_values={"target_pct": {(0,): "10%"}})
    assert "max_multiple=3" in repr(again) and "target_pct" in repr(again)
