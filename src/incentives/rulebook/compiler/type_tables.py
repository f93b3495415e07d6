"""Table calls, typed: a key of the wrong kind for its axis, and keys certain to miss.

For each argument of a table call, against the table's axis at that position:

- a rating on an exact axis listing labels: the axis is keyed by the labels' values instead
  (so an axis on a rating may list labels or values); a label not on the scale is an error;
- a rating whose scale values, or an input whose ``allowed:`` values, are not all keys of an
  exact axis (and the table has no ``default``): every employee with such a value would be
  rejected, so it is an error naming the missing keys (a value a guard excludes, see
  `type_guards`, cannot reach the lookup and is not counted);
- a number on an exact axis of text keys, a date or true/false anywhere, text on a range or
  interpolate axis: the lookup cannot match;
- a range or interpolate axis that rejects outside its bands while an input's declared
  ``min``/``max`` reaches outside them.
"""

from __future__ import annotations

import ast
import difflib
from decimal import ROUND_CEILING, Decimal

import attrs

from incentives.errors import shorten
from incentives.rulebook.compiler.compile_state import CompileState
from incentives.rulebook.compiler.type_guards import possible, tree_guards
from incentives.rulebook.compiler.type_infer import Infer
from incentives.rulebook.compiler.valuetypes import DECIMAL, PERCENT, VType, money
from incentives.rulebook.language.schema import InputSpec
from incentives.rulebook.runtime.table_axes import ExactAxis, InterpolateAxis, RangeAxis, plain_text
from incentives.rulebook.runtime.table_lookup import Table

__all__ = ["table_call"]

_MAX_SCALE_VALUES = 1000


def table_call(p: CompileState, name: str, node: ast.Call, infer: Infer) -> VType:
    """Check the keys of one call of table ``name``; the type of the value it returns."""
    table = p.lookups[name]
    assert isinstance(table, Table)
    for position, (arg, axis) in enumerate(zip(node.args, table.axes, strict=False)):
        t = infer.of(arg)
        where = f"table '{name}', axis '{axis.name}'"
        if t.kind in ("date", "boolean"):
            infer.fail(arg, f"{where} is looked up with {t.describe()}; it cannot match")
        elif isinstance(axis, ExactAxis):
            _exact(p, name, position, arg, t, infer, node)
        elif t.kind == "text":
            infer.fail(
                arg,
                f"{where} matches numbers by band; '{shorten(infer.expr.source_of(arg))}' is text",
            )
        elif table.default is None:
            _bounds(p, name, axis, arg, infer)
    if table.type == "money":
        return money(None)
    return PERCENT if table.type == "percent" else DECIMAL


def _exact(
    p: CompileState, name: str, position: int, arg: ast.expr, t: VType, infer: Infer, call: ast.Call
) -> None:
    table = p.lookups[name]
    axis = table.axes[position]
    assert isinstance(axis, ExactAxis)
    where = f"table '{name}', axis '{axis.name}'"
    if t.kind == "rating":
        if any(isinstance(key, str) for key in axis.keys):
            axis = _bind_labels(p, name, position, t)
        values = _scale_values(p, t)
        if isinstance(arg, ast.Name):  # a rating a guard excludes cannot reach the lookup
            reach = _reachable(arg.id, [value for value, _ in values], infer, call, t)
            values = [(value, text) for value, text in values if value in reach]
        missing = [text for value, text in values if axis.locate(value) is None]
        if missing and table.default is None:
            infer.fail(
                arg,
                f"{where} has no key for rating {', '.join(missing)} of scale '{t.scale}': "
                "every employee with it would be rejected",
                "add the rating to the axis (its label or value), or give the table a default",
            )
        return
    texts_only = all(isinstance(key, str) for key in axis.keys)
    if t.numeric and texts_only:
        infer.fail(
            arg,
            f"{where} lists text keys ({axis.known()}), but '{shorten(infer.expr.source_of(arg))}' is "
            f"{t.describe()}; it can never match",
        )
        return
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        if axis.locate(arg.value) is None and table.default is None:
            keys = [k for k in axis.keys if isinstance(k, str)]
            close = difflib.get_close_matches(arg.value, keys, n=1)
            infer.fail(
                arg,
                f"'{arg.value}' is not a key of {where} ({axis.known()})",
                f"did you mean '{close[0]}'?" if close else "",
            )
        return
    if isinstance(arg, ast.Name) and table.default is None:
        spec = p.spec.inputs.get(arg.id)
        if spec is None or p.kinds.get(arg.id) != "input":
            return
        possible: list[object] = list(spec.allowed or []) or _whole_numbers(spec)
        if possible:
            possible = _reachable(arg.id, possible, infer, call, None)
            missing = [plain_text(v) for v in possible if axis.locate(v) is None]
            if missing:
                infer.fail(
                    arg,
                    f"input '{arg.id}' {'allows' if spec.allowed else 'may be'} "
                    f"{', '.join(missing)}, which {where} does not list: every employee with "
                    "it would be rejected",
                    "add the key to the table, give the table a default, or narrow the "
                    "input's allowed values (or min/max)",
                )


def _reachable(
    name: str, values: list[object], infer: Infer, call: ast.Call, rating: VType | None
) -> list[object]:
    """The ``values`` of input ``name`` that the guards around ``call`` let through."""
    tree, _ = infer.expr.reference_tree()
    labels = {label.strip().casefold(): value for label, value in (rating.labels if rating else ())}

    def literal(node: ast.expr) -> object:
        if isinstance(node, ast.Constant) and isinstance(node.value, Decimal):
            return node.value  # a label already bound to its value
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if rating is None:
                return node.value
            return labels.get(node.value.strip().casefold())
        return infer.literal(node)

    keyed = [Decimal(v) if isinstance(v, int) else v for v in values]
    kept = possible(name, keyed, [*infer.guards, *tree_guards(tree, call)], literal)
    return [v for v, k in zip(values, keyed, strict=True) if k in kept]


def _whole_numbers(spec: InputSpec) -> list[object]:
    """Every whole number an integer input with a small declared min..max can hold."""
    if spec.type != "integer" or spec.min is None or spec.max is None:
        return []
    if spec.max - spec.min > _MAX_SCALE_VALUES:
        return []
    low = int(spec.min.to_integral_value(rounding=ROUND_CEILING))
    return [Decimal(n) for n in range(low, int(spec.max) + 1)]


def _bind_labels(p: CompileState, name: str, position: int, rating: VType) -> ExactAxis:
    """An axis listing a rating's labels is keyed by their values instead, in the compiled
    table and in the policy as recorded (rulebook.json, which explain re-evaluates); a label
    not on the scale is reported."""
    table = p.lookups[name]
    axis = table.axes[position]
    assert isinstance(axis, ExactAxis)
    by_fold = {label.strip().casefold(): value for label, value in rating.labels}
    origin = p.origins.get(name, name)
    keys: list[Decimal | str] = []
    for key in axis.keys:
        found = by_fold.get(key.strip().casefold()) if isinstance(key, str) else key
        if found is None:
            labels = [label for label, _ in rating.labels]
            close = difflib.get_close_matches(str(key), labels, n=1, cutoff=0.5)
            p.problem(
                ("tables", origin, "axes", position, "at"),
                f"'{key}' is not a label of rating scale '{rating.scale}' ("
                + ", ".join(labels)
                + "), which the formulas look this axis up with",
                f"did you mean '{close[0]}'?" if close else "list the scale's labels or values",
            )
        keys.append(key if found is None else found)
    # the labels stay in the index: a quoted label (table('Exceeds')) still finds its row
    index: dict[object, int] = dict(axis.index)
    index.update((key, i) for i, key in enumerate(keys))
    bound = ExactAxis(axis.name, tuple(keys), index)
    axes = list(table.axes)
    axes[position] = bound
    p.lookups[name] = attrs.evolve(table, axes=tuple(axes))
    spec = p.spec.tables.get(origin)
    if spec is not None and origin == name:
        axis_specs = list(spec.axes)
        axis_specs[position] = axis_specs[position].model_copy(update={"at": keys})
        tables = dict(p.spec.tables)
        tables[origin] = spec.model_copy(update={"axes": axis_specs})
        p.spec = p.spec.model_copy(update={"tables": tables})
    return bound


def _scale_values(p: CompileState, rating: VType) -> list[tuple[Decimal, str]]:
    """Every value an employee's rating can take, with how it reads."""
    if rating.labels:
        return [(value, f"'{label}' ({plain_text(value)})") for label, value in rating.labels]
    scale = p.spec.rating_scales.get(rating.scale or "")
    if scale is None or scale.min is None or scale.max is None or scale.step <= 0:
        return []
    count = (scale.max - scale.min) / scale.step
    if count > _MAX_SCALE_VALUES:
        return []
    values = [scale.min + i * scale.step for i in range(int(count) + 1)]
    return [(value, plain_text(value)) for value in values]


def _bounds(
    p: CompileState, name: str, axis: RangeAxis | InterpolateAxis, arg: ast.expr, infer: Infer
) -> None:
    """An input's declared min/max outside what a rejecting axis covers."""
    if not isinstance(arg, ast.Name) or p.kinds.get(arg.id) != "input":
        return
    spec = p.spec.inputs[arg.id]
    if isinstance(axis, RangeAxis):
        low, high = axis.starts[0], axis.top
        reject_below, reject_above = not axis.clamp_below, not axis.clamp_above
        beyond = high is not None and spec.max is not None and spec.max >= high
    else:
        low, high = axis.points[0], axis.points[-1]
        reject_below, reject_above = axis.below == "reject", axis.above == "reject"
        beyond = spec.max is not None and spec.max > high
    where = f"table '{name}', axis '{axis.name}' ({axis.known()})"
    if reject_below and spec.min is not None and spec.min < low:
        infer.fail(
            arg,
            f"input '{arg.id}' may be as low as {plain_text(spec.min)}, below what {where} "
            "covers: such an employee would be rejected",
            "extend the first band, set below: clamp, or raise the input's min",
        )
    if reject_above and beyond:
        assert spec.max is not None
        infer.fail(
            arg,
            f"input '{arg.id}' may be as high as {plain_text(spec.max)}, above what {where} "
            "covers: such an employee would be rejected",
            "extend the last band (leave out 'to'), set above: clamp, or lower the input's max",
        )
