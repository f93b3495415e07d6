"""The formula language: parse and allow-list, the builtin library, code generation, and the
simpleeval reference evaluator that the generated code is tested against.

    compile_expression(text, values=..., callables=...) -> Expression
    Expression.to_python(name, call, constant) -> Python expression source
    NAMESPACE: the ``F_<name>`` builtins the generated source calls
"""

from __future__ import annotations

from incentives.expr.functions import BUILTINS, NAMESPACE, FunctionSpec
from incentives.expr.parse import CallSite, Expression, ExpressionError, compile_expression
from incentives.expr.reference import reference_eval

__all__ = [
    "BUILTINS",
    "NAMESPACE",
    "CallSite",
    "Expression",
    "ExpressionError",
    "FunctionSpec",
    "compile_expression",
    "reference_eval",
]
