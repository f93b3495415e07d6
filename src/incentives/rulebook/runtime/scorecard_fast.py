"""An employee scorecard's evaluation as code generated for that scorecard: its fast path.

`EmployeeScorecard.__call__` is general: it loops over the goals, calls the curve per goal
(`bisect` over its points) and reads its settings per call. What it computes for one scorecard
is known when the policy compiles: how many goals at most, the curve's points, whether the
curve reads the attainment or the actual, whether weights are normalised. `scorecard_source`
writes that computation out once per scorecard: one block per goal position (no loop, no
per-goal call), the curve's segments as a chain of comparisons against its points (what
`bisect_right` over the same keys finds), its constants as globals.

It is equal to the general path, value for value and exponent for exponent: the same decimal
operations in the same order on the same operands (figures read through the same cache and
converter, ``0 + w`` as the general sum starts, the curve's own point and slope objects), and
whatever the general path would reject or normalise (no goals, too many, a direction other
than ``higher``/``lower`` as written, a negative weight, a target of 0, weights that do not
sum to 1 or sum to 0) is handed to the general path, which gives its own error or value.
`tests/test_scorecard_fast.py` holds the two together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from incentives.rulebook.runtime.curves import Curve
from incentives.rulebook.runtime.policy import show_in_tracebacks

__all__ = ["scorecard_function", "scorecard_source"]

# A curve of more points than this is called (`bisect`) rather than written out as comparisons.
_INLINE_POINTS = 8

# compiled sources, by their text: a sweep binds a policy many times (a few kept: a sweep over
# a curve's points makes a new source per point)
_CODE: dict[str, Any] = {}
_CODE_KEPT = 64


def scorecard_source(
    name: str, curve: Curve, max_goals: int, normalise: bool, score_only: bool = False
) -> str:
    """The module text of ``def scorecard(goals)``, the fast path of one scorecard; with
    ``score_only``, the same decimal operations for the score alone (no goal's outcome tuple,
    no curve segment; ``GENERAL`` then gives the score alone too)."""
    x = "x" if curve.on == "attainment" else "a"  # what the curve reads: attainment or actual
    lines = [
        "def scorecard(goals):",
        f"    # scorecard {name!r}: EmployeeScorecard.__call__ written out (runtime/scorecard_fast)",
        "    n = len(goals)",
        f"    if not 0 < n <= {max_goals}:",
        "        return GENERAL(goals)",
        "    try:",
    ]
    for i in range(max_goals):
        lines += _goal_lines(i, x, curve, score_only)
        lines += _finish_lines(i + 1, normalise, last=i + 1 == max_goals, score_only=score_only)
    lines += [
        "    except TypeError:  # a figure that is no text nor number (unhashable): as general",
        "        return GENERAL(goals)",
    ]
    return "\n".join(lines) + "\n"


def _goal_lines(i: int, x: str, curve: Curve, score_only: bool = False) -> list[str]:
    """Goal ``i``: its figures (cached by text as `_figure` caches them, converted by it
    when new: the same value or the same rejection), the general path's checks, attainment,
    the curve, its outcome tuple and the running sums."""
    k = i + 1
    start = "ZERO + " if i == 0 else ""  # the general sums start at 0: 0 + w, as it adds
    total, score = ("ZERO", "ZERO") if i == 0 else ("total", "score")
    body = [
        f"name, target, actual, weight, direction, _, _ = goal = goals[{i}]",
        # `_FIGURES` holds text keys only: a number, a date or None is never found (-> FIGURE)
        "t = KNOWN(target)",
        "if t is None: t = FIGURE(goal, 'target', target)",
        "a = KNOWN(actual)",
        "if a is None: a = FIGURE(goal, 'actual', actual)",
        "w = KNOWN(weight)",
        "if w is None: w = FIGURE(goal, 'weight', weight)",
        "if w < ZERO or not t or (direction != 'higher' and direction != 'lower'):",
        "    return GENERAL(goals)  # rejected, or a direction to normalise: as general",
        "x = ONE - (a - t) / abs(t) if direction == 'lower' else a / t",
        *_curve_lines(curve, x, score_only),
        *([] if score_only else [f"o{k} = (name, direction, t, a, w, x, p, s)"]),
        f"total = {total} + w" if i else f"total = {start}w",
        f"score = {score} + w * p",
    ]
    return [f"        {line}" for line in body]


def _finish_lines(k: int, normalise: bool, last: bool, score_only: bool = False) -> list[str]:
    """After goal ``k``: an employee with ``k`` goals is scored (the general path's sum check
    and division) and returned; one with more goes on."""
    outcomes = "".join(f"o{j}, " for j in range(1, k + 1))
    if normalise:
        check = ["if total == 0: return GENERAL(goals)", "score = score / total"]
    else:
        check = ["if total != ONE: return GENERAL(goals)"]
    body = [*check, "return score" if score_only else f"return score, ({outcomes})"]
    if last:
        return [f"        {line}" for line in body]
    return [f"        if n == {k}:", *(f"            {line}" for line in body)]


def _curve_lines(curve: Curve, x: str, score_only: bool = False) -> list[str]:
    """``p, s = curve(x)``, written out: `Curve._evaluator`'s branches for each segment that
    `bisect_right(keys, key) - 1` would find, the key being ``x`` (``-x`` for a decreasing
    curve, whose keys are its points negated); ``p`` alone with ``score_only``."""
    last = len(curve.xs) - 1
    if last + 1 > _INLINE_POINTS:
        return [f"p, s = CURVE({x})"]
    lines = _curve_branches(curve, x, last)
    return [re.sub(r"; s = -?\d+$", "", line) for line in lines] if score_only else lines


def _curve_branches(curve: Curve, x: str, last: int) -> list[str]:
    """`_curve_lines`' chain of comparisons, each branch setting ``p`` and ``s``."""
    k = "k" if curve.decreasing else x
    zero = [not dy for dy in curve._dys]  # a flat segment pays its start, as `if not dy`
    lines = [f"k = -{x}"] if curve.decreasing else []
    lines.append(f"if {k} < K0: p = BELOW; s = -1")
    for i in range(last):  # keys[i] <= k < keys[i + 1]: segment i
        paid = (
            f"Y{i}" if zero[i] else f"Y{i} if {x} == X{i} else Y{i} + ({x} - X{i}) * DY{i} / DX{i}"
        )
        lines.append(f"elif {k} < K{i + 1}: p = {paid}; s = {i}")
    lines.append(f"elif {x} == X{last}: p = Y{last}; s = {last - 1}")
    if not curve.extrapolate or zero[last - 1]:
        lines.append(f"else: p = Y{last}; s = {last}")
    else:
        j = last - 1
        lines.append(f"else: p = Y{j} + ({x} - X{j}) * DY{j} / DX{j}; s = {last}")
    return lines


def scorecard_function(
    name: str,
    curve: Curve,
    max_goals: int,
    normalise: bool,
    general: Callable[[Sequence[Any]], Any],
    figures: dict[str, Decimal],
    figure: Callable[[Any, str, object], Decimal],
    score_only: bool = False,
) -> Callable[[Sequence[Any]], tuple[Decimal, tuple[Any, ...]]]:
    """The compiled fast path of one scorecard (`scorecard_source`), over ``general`` (the
    scorecard's own `__call__`, or its score alone with ``score_only``), the figures cache and
    the converter of the general path."""
    source = scorecard_source(name, curve, max_goals, normalise, score_only)
    code = _CODE.get(source)
    if code is None:
        if len(_CODE) >= _CODE_KEPT:
            _CODE.clear()
        filename = f"<scorecard {name} {hashlib.sha256(source.encode()).hexdigest()[:12]}>"
        code = _CODE[source] = compile(source, filename, "exec")
    show_in_tracebacks(code.co_filename, source)
    scope: dict[str, Any] = {
        "GENERAL": general,
        "KNOWN": figures.get,
        "FIGURE": figure,
        "CURVE": curve.quick(),
        "ZERO": Decimal(0),
        "ONE": Decimal(1),
        "BELOW": curve.below,
    }
    for i, (key, x, y) in enumerate(zip(curve._keys, curve.xs, curve.ys, strict=True)):
        scope.update({f"K{i}": key, f"X{i}": x, f"Y{i}": y})
    for i, (dx, dy) in enumerate(zip(curve._dxs, curve._dys, strict=True)):
        scope.update({f"DX{i}": dx, f"DY{i}": dy})
    exec(code, scope)  # generated from the scorecard's settings and curve, never user text
    function: Callable[[Sequence[Any]], tuple[Decimal, tuple[Any, ...]]] = scope["scorecard"]
    return function
