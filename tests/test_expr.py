"""The formula language: literals, the allow-list, errors with columns and hints, codegen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

import pytest

from incentives import expr
from incentives.expr import (
    NAMESPACE,
    CallSite,
    Expression,
    ExpressionError,
    compile_expression,
    reference_eval,
)

VALUES = frozenset(
    {"a", "b", "c", "x", "base_salary", "unit", "grade", "hire", "leave", "period_start",
     "period_end", "amount", "words"}
)  # fmt: skip
CALLABLES = {"target_pct": (1, 1), "payout_curve": (2, 3)}
PERIOD = (date(2024, 1, 1), date(2024, 12, 31))


def compile_(text: str) -> Expression:
    return compile_expression(text, values=VALUES, callables=CALLABLES)


def run(
    text: str,
    values: Mapping[str, object] | None = None,
    callables: Mapping[str, Callable[..., object]] | None = None,
) -> object:
    """Compile ``text`` to Python, evaluate it, check the reference agrees, return the value."""
    expression = compile_(text)
    env: dict[str, object] = {"period_start": PERIOD[0], "period_end": PERIOD[1]}
    env.update(values or {})
    consts: list[object] = []

    def constant(value: object) -> str:
        consts.append(value)
        return f"K[{len(consts) - 1}]"

    def call(site: CallSite, args: list[str]) -> str:
        return f"U[{site.name!r}]({', '.join(args)})"

    source = expression.to_python(lambda n: f"V[{n!r}]", call, constant)
    scope = {**NAMESPACE, "V": env, "K": consts, "U": dict(callables or {})}
    compiled = eval(compile(source, "<formula>", "eval"), scope)
    reference = reference_eval(expression, env, dict(callables or {}), PERIOD)
    assert type(compiled) is type(reference) and compiled == reference, source
    return compiled


def rejected(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        compile_(text)
    return info.value


def test_public_api_is_sorted_and_complete() -> None:
    """`incentives.expr.__all__` is sorted (constants, classes, functions) and every name exists."""
    assert expr.__all__ == sorted(
        expr.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)
    )
    assert all(hasattr(expr, name) for name in expr.__all__)


# --- number literals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15%", Decimal("0.15")),
        ("2.5 %", Decimal("0.025")),
        ("010", Decimal(10)),
        ("1e3", Decimal(1000)),
        ("1_000", Decimal(1000)),
        (".5", Decimal("0.5")),
    ],
)
def test_number_literals_are_exact_decimals(text: str, expected: Decimal) -> None:
    """Literals read as exact Decimals: 15% = 15/100 = 0.15, 2.5 % = 0.025, 010 = 10, 1e3 = 1000."""
    value = run(text)
    assert isinstance(value, Decimal)
    assert value == expected


def test_literal_keeps_its_exponent() -> None:
    """1.10 stays Decimal('1.10'), not 1.1, so the written precision is kept."""
    value = run("1.10")
    assert isinstance(value, Decimal)
    assert value.as_tuple() == Decimal("1.10").as_tuple()


def test_percent_in_arithmetic() -> None:
    """base_salary * 15% with base_salary 50000 is 50000 × 0.15 = 7500."""
    assert run("base_salary * 15%", {"base_salary": Decimal(50000)}) == Decimal(7500)


def test_numbers_inside_text_are_left_alone() -> None:
    """Digits inside quotes are text: unit == 'Q1 2024' compares the text as written."""
    assert run("unit == 'Q1 2024'", {"unit": "Q1 2024"}) is True


def test_names_with_digits_are_not_numbers() -> None:
    """A name like q1 is not split into q and 1."""
    expression = compile_expression("q1 + 1", values={"q1"}, callables={})
    assert expression.names == frozenset({"q1"})


# --- operators and precedence -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3 * 4", Decimal(14)),  # 3 × 4 = 12, + 2 = 14
        ("(2 + 3) * 4", Decimal(20)),  # 5 × 4 = 20
        ("10 - 4 - 3", Decimal(3)),  # (10 − 4) − 3 = 3
        ("2 ** 3 ** 2", None),  # exponent 3 ** 2 is not a literal: rejected below
        ("-2 ** 2", Decimal(-4)),  # −(2²) = −4
        ("12 / 4 / 3", Decimal(1)),  # (12 ÷ 4) ÷ 3 = 1
        ("1 + 2 if 0 > 1 else 3 + 4", Decimal(7)),  # the if-else binds loosest: 3 + 4 = 7
        ("not 1 > 2 and 2 > 1", True),  # (not False) and True
    ],
)
def test_precedence_is_pythons(text: str, expected: object) -> None:
    """Operators bind as in Python; the generated code is fully parenthesised."""
    if expected is None:
        assert "exponent" in rejected(text).message
    else:
        assert run(text) == expected


def test_chained_comparison() -> None:
    """1 < a <= 3 holds for a = 3 and fails for a = 4, as in mathematics."""
    assert run("1 < a <= 3", {"a": Decimal(3)}) is True
    assert run("1 < a <= 3", {"a": Decimal(4)}) is False


def test_in_literal_tuple() -> None:
    """grade in ('A', 'B') tests membership; not in is its negation; numbers work too."""
    assert run("grade in ('A', 'B')", {"grade": "B"}) is True
    assert run("grade not in ('A', 'B')", {"grade": "B"}) is False
    assert run("a in (1, 2.0, 3)", {"a": Decimal(2)}) is True


def test_and_or_if_else() -> None:
    """x if a > b else c picks x when a > b: a=2, b=1 gives x = 5."""
    values = {"a": Decimal(2), "b": Decimal(1), "c": Decimal(0), "x": Decimal(5)}
    assert run("x if a > b else c", values) == Decimal(5)
    assert run("a > b or c > a", values) is True


def test_power_with_small_whole_exponent() -> None:
    """a ** 2 with a = 1.5 is 2.25; ** 0 gives 1."""
    assert run("a ** 2", {"a": Decimal("1.5")}) == Decimal("2.25")
    assert run("a ** 0", {"a": Decimal("1.5")}) == Decimal(1)


def test_text_is_allowed_in_comparisons() -> None:
    """unit == 'Sales' compares the label."""
    assert run("unit == 'Sales'", {"unit": "Sales"}) is True


# --- rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("().__class__", "not allowed"),
        ("x.__class__", "attributes (x.y) are not allowed"),
        ("foo.bar()", "attributes (x.y) are not allowed"),
        ("[x for x in y]", "list comprehensions are not allowed"),
        ("{x: 1}", "dicts ({...}) are not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("f'{x}'", "f-strings are not allowed"),
        ("x[0]", "subscripts (x[...]) are not allowed"),
        ("10**10**10", "** needs a whole-number exponent from 0 to 4"),
        ("2**100", "** needs a whole-number exponent from 0 to 4"),
        ("2**1.5", "** needs a whole-number exponent from 0 to 4"),
        ("2**x", "** needs a whole-number exponent from 0 to 4"),
        ("'a' * 10**9", "text can only be compared, as in unit == 'Sales'"),
        ("'a' + x", "text can only be compared, as in unit == 'Sales'"),
        ("__import__('os')", "names starting with '_'"),
        ("(x := 1)", "walrus := is not allowed"),
        ("x % 2", "% is only a percent sign after a number (15%)"),
        ("15 % 2", "% is only a percent sign after a number (15%)"),
        ("x // 2", "// is not allowed"),
        ("a; b", "syntax error"),
        ("_x + 1", "names starting with '_'"),
        ("lit__0 + 1", "names starting with '_' or 'lit__'"),
        ("x is None", "'is' is not allowed"),
        ("None", "None is not allowed"),
        ("2x", "a number cannot run into a name"),
        ("0x1F", "a number cannot run into a name"),
        ("(a, b)", "tuples are only allowed after in"),
        ("a in b", "in needs a list of constants"),
        ("a in (b, 1)", "after in, list only constants"),
        ("min", "'min' is a function; call it as min(...)"),
        ("a(1)", "'a' is a value, not a function"),
        ("min(x=1)", "keyword arguments are not allowed"),
        ("min(*a)", "* unpacking is not allowed"),
        ("~a", "~ is not allowed"),
        ("a & b", "& is not allowed"),
        ("", "the formula is empty"),
        ("base_salary # * 10%", "# is not part of the formula language"),
    ],
)
def test_rejected_constructs(text: str, message: str) -> None:
    """Every construct outside the language is refused with a message that names it."""
    assert message in rejected(text).message


def test_a_hash_is_refused_where_it_stands_but_is_text_inside_quotes() -> None:
    """``#`` would start a Python comment: ``base_salary # * 10%`` must not pay base_salary."""
    error = rejected("base_salary # * 10%")
    assert error.offset == 12
    assert "YAML comment goes after the quoted formula" in error.hint
    compile_expression("unit == 'A#1'", values={"unit"}, callables={})


def test_error_offset_points_into_the_original_text() -> None:
    """In '1.10 + 15% + x.y', the attribute starts at column 13 of the text as written."""
    error = rejected("1.10 + 15% + x.y")
    assert error.offset == 13


def test_operator_error_points_at_the_operator() -> None:
    """In 'base_salary // 2' the // is at column 12."""
    assert rejected("base_salary // 2").offset == 12


def test_syntax_error_has_an_offset() -> None:
    """An unbalanced '1.10 + (2' is a syntax error located in the original text."""
    error = rejected("1.10 + (2")
    assert error.message.startswith("syntax error")
    assert error.offset is not None and 0 <= error.offset <= len("1.10 + (2")


def test_unknown_name_suggests_the_nearest() -> None:
    """A misspelt name says which name was meant."""
    error = rejected("base_salry * 2")
    assert error.message == "unknown name 'base_salry'"
    assert error.hint == "did you mean 'base_salary'?"
    assert error.offset == 0


def test_unknown_function_suggests_the_nearest() -> None:
    """A misspelt function is named, with the nearest builtin or callable."""
    error = rejected("target_pc(a)")
    assert error.message == "unknown function 'target_pc'"
    assert error.hint == "did you mean 'target_pct'?"
    assert rejected("clamq(a, b, c)").hint == "did you mean 'clamp'?"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target_pct(a, b)", "target_pct takes 1 argument, got 2"),
        ("payout_curve(a)", "payout_curve takes 2 to 3 arguments, got 1"),
        ("clamp(a, b)", "clamp takes 3 arguments, got 2"),
        ("min()", "min takes at least 1 argument, got 0"),
        ("fx(a, 'EUR')", "fx takes 3 to 5 arguments, got 2"),
    ],
)
def test_arity_is_checked(text: str, message: str) -> None:
    """Calls with the wrong number of arguments are refused, saying how many are expected."""
    assert rejected(text).message == message


def test_text_arguments_only_at_declared_positions() -> None:
    """'half_even' is accepted as round_to's mode, but text is refused as the number to round."""
    compile_("round_to(a, 0.01, 'half_even')")
    assert rejected("round_to('a', 0.01)").message == (
        "text can only be compared, as in unit == 'Sales'"
    )


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("round_to(a, 1, 'half_upp')", "did you mean 'half_up'?"),
        ("prorate(hire, leave, 'month')", "did you mean 'months'?"),
        ("prorate(hire, leave, 'months', 'fiftenth')", "did you mean 'fifteenth'?"),
        ("fx(a, 'EUR', 'USX')", "did you mean 'USD'?"),
    ],
)
def test_literal_modes_are_checked_at_compile_time(text: str, hint: str) -> None:
    """An unknown literal rounding mode, basis, partial rule or currency fails at load time."""
    assert rejected(text).hint == hint


def test_date_literal_is_validated() -> None:
    """date('2026-02-30') is refused when the policy loads, not when a row is computed."""
    assert rejected("date('2026-02-30')").offset == 5
    assert "not a date" in rejected("date('1 July 2026')").message


# --- names, call sites, code generation -------------------------------------------------------


def test_names_and_call_sites() -> None:
    """names lists the values read; calls lists user callables and fx in source order."""
    expression = compile_("payout_curve(target_pct(grade), a * 2) + fx(amount, 'EUR', 'USD')")
    assert expression.names == frozenset({"grade", "a", "amount"})
    assert expression.calls == (
        CallSite(0, "payout_curve", ("target_pct(grade)", "a * 2")),
        CallSite(1, "target_pct", ("grade",)),
        CallSite(2, "fx", ("amount", "'EUR'", "'USD'")),
    )


def test_call_site_text_keeps_the_literal_as_written() -> None:
    """The argument texts show 15% and 1.10 as written, not their placeholders."""
    assert compile_("payout_curve(15%, 1.10)").calls[0].arg_texts == ("15%", "1.10")


def test_prorate_reads_the_period() -> None:
    """prorate reads period_start and period_end, and renders with defaults filled in."""
    expression = compile_("prorate(hire, leave)")
    assert expression.names == frozenset({"hire", "leave", "period_start", "period_end"})
    source = expression.to_python(lambda n: n, lambda s, a: "", repr)
    assert source == "F_prorate(hire, leave, 'actual_days', 'count', period_start, period_end)"


def test_to_python_hoists_constants_and_routes_calls() -> None:
    """Numbers and date literals go through constant(); user callables and fx through call()."""
    expression = compile_(
        "target_pct(a) * 1.10 if date('2026-07-01') > hire else fx(a, 'EUR', 'USD')"
    )
    constants: list[object] = []

    def constant(value: object) -> str:
        constants.append(value)
        return f"K{len(constants) - 1}"

    source = expression.to_python(
        lambda n: f"N_{n}", lambda s, a: f"S{s.index}({', '.join(a)})", constant
    )
    assert source == ("((S0(N_a) * K0) if (K1 > N_hire) else S1(N_a, 'EUR', 'USD'))")
    assert constants == [Decimal("1.10"), date(2026, 7, 1)]


def test_user_callables_are_evaluated() -> None:
    """target_pct(grade) * base_salary with a 10% target and 50000 salary is 5000."""
    value = run(
        "target_pct(grade) * base_salary",
        {"grade": "B", "base_salary": Decimal(50000)},
        {"target_pct": lambda grade: Decimal("0.10") if grade == "B" else Decimal(0)},
    )
    assert value == Decimal(5000)


def test_prorate_from_a_formula() -> None:
    """Hired 2024-07-01 in leap 2024: 184 of 366 days, 6 of 12 months."""
    values = {"hire": date(2024, 7, 1), "leave": None}
    assert run("prorate(hire, leave)", values) == Decimal(184) / Decimal(366)
    assert run("prorate(hire, leave, 'months')", values) == Decimal(6) / Decimal(12)


def test_missing_inputs() -> None:
    """coalesce(x, 0) is 0 when x is missing, and is_missing(x) says so."""
    assert run("coalesce(x, 0)", {"x": None}) == Decimal(0)
    assert run("is_missing(x)", {"x": None}) is True


def test_expressions_compare_by_text_names_and_calls() -> None:
    """Two compilations of the same text are equal and hash alike (frozen value objects)."""
    assert compile_("a + 1") == compile_("a + 1")
    assert hash(compile_("a + 1")) == hash(compile_("a + 1"))


def test_multiline_formula() -> None:
    """A formula may span lines (YAML block scalars): 'a +\\n 1' with a = 1 is 2."""
    assert run("a +\n 1", {"a": Decimal(1)}) == Decimal(2)
