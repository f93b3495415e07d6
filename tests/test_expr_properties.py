"""Property: generated Python code and the simpleeval reference agree on every formula."""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.expr import NAMESPACE, CallSite, Expression, compile_expression, reference_eval
from incentives.money import ENGINE_CONTEXT
from incentives.rulebook.language.values import parse_number

NAMES = ("a", "b", "c")
PERIOD = (date(2024, 1, 1), date(2024, 12, 31))


def _literal(value: Decimal, style: int) -> str:
    if style == 0:
        return str(value)  # 1.50, 0.001, 1E+3
    if style == 1:
        return f"{value.scaleb(2).normalize():f}%"  # 0.15 written as 15%
    return f"{value:f}"


literals = st.builds(
    _literal,
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
    st.integers(0, 2),
)
leaves = st.sampled_from(NAMES) | literals


BINARY = ("+", "-", "*", "/")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


@st.composite
def formulas(draw: st.DrawFn, depth: int = 3) -> str:
    """A formula over a, b, c: + - * / **, comparisons, if-else, min, max, clamp."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaves)
    sub = formulas(depth - 1)
    kind = draw(st.integers(0, 7))
    if kind == 0:
        text = f"{draw(sub)} {draw(st.sampled_from(BINARY))} {draw(sub)}"
    elif kind == 1:
        return f"({draw(sub)}) ** {draw(st.integers(0, 4))}"
    elif kind == 2:
        return f"-({draw(sub)})"
    elif kind == 3:
        text = f"{draw(sub)} {draw(st.sampled_from(COMPARISONS))} {draw(sub)}"
    elif kind == 4:
        return f"({draw(sub)} < {draw(sub)} <= {draw(sub)})"
    elif kind == 5:
        text = f"{draw(sub)} if ({draw(sub)}) else {draw(sub)}"  # a bare test must not be an if
    elif kind == 6:
        args = draw(st.lists(sub, min_size=1, max_size=3))
        return f"{draw(st.sampled_from(['min', 'max']))}({', '.join(args)})"
    else:
        return f"clamp({draw(sub)}, {draw(sub)}, {draw(sub)})"
    # Leave some compound operands unparenthesised, so Python's precedence decides the tree
    # and the generated code must keep it.
    return f"({text})" if draw(st.booleans()) else text


inputs = st.just(Decimal(0)) | st.decimals(
    min_value=-10_000, max_value=10_000, places=2, allow_nan=False
)


def _compiled(expression: Expression, values: dict[str, object]) -> object:
    constants: list[object] = []

    def constant(value: object) -> str:
        constants.append(value)
        return f"K[{len(constants) - 1}]"

    def call(site: CallSite, args: list[str]) -> str:  # pragma: no cover - no callables here
        raise AssertionError(site)

    source = expression.to_python(lambda n: f"V[{n!r}]", call, constant)
    code = compile(source, "<formula>", "eval")
    return eval(code, {**NAMESPACE, "V": values, "K": constants})


def _outcome(run: object) -> tuple[str, object]:
    assert callable(run)
    with decimal.localcontext(ENGINE_CONTEXT):
        try:
            return ("value", run())
        except Exception as exc:  # the property: both paths fail the same way
            return ("error", type(exc))


@settings(max_examples=400, deadline=None)
@given(formulas(), inputs, inputs, inputs)
def test_compiled_code_agrees_with_the_reference(
    text: str, a: Decimal, b: Decimal, c: Decimal
) -> None:
    """For any formula of + - * / **, comparisons, if-else, min, max and clamp over a, b, c and
    literals, the generated code and simpleeval return equal values of the same type, or both
    raise the same exception (division by zero, invalid operation, clamp with low > high)."""
    expression = compile_expression(text, values=NAMES, callables={})
    values: dict[str, object] = {"a": a, "b": b, "c": c}
    compiled = _outcome(lambda: _compiled(expression, values))
    reference = _outcome(lambda: reference_eval(expression, values, {}, PERIOD))
    assert compiled[0] == reference[0], (text, compiled, reference)
    if compiled[0] == "value":
        assert type(compiled[1]) is type(reference[1]), text
        assert compiled[1] == reference[1], text
    else:
        assert compiled[1] is reference[1], text


@given(literals)
def test_literals_evaluate_to_their_exact_decimal(text: str) -> None:
    """Any written literal evaluates to exactly the Decimal the policy reader would give it."""
    expression = compile_expression(text, values=(), callables={})
    value = reference_eval(expression, {}, {}, PERIOD)
    assert isinstance(value, Decimal)
    expected = parse_number(text)
    assert value.as_tuple() == expected.as_tuple()
