"""A sweep file (YAML): a grid, or seeded distributions with an optional correlation.

    # sweep.yaml
    draws: 1000            # how many joint draws
    seed: 42               # same seed, same draws, byte for byte
    precision: 0.0001      # each drawn value is rounded (half even) to this before the engine
    distributions:
      revenue_growth: {normal: {mean: 6%, sd: 2%}}
      operating_margin[Sales]: {triangular: {low: 6%, mode: 10%, high: 14%}}
      operating_margin[Engineering]: {uniform: {low: 8%, high: 14%}}
      recordable_incidents: {discrete: {values: [4, 8, 12], weights: [1, 2, 1]}}
    correlation:           # pairs; the rest are independent
      - [revenue_growth, "operating_margin[Sales]", 0.6]

or ``grid: {revenue_growth: {from: 0%, to: 12%, step: 0.5%}, margin[Sales]: [6%, 10%, 14%]}``.

Draws are made with the standard library's `random.Random(seed)`, one uniform per variable
and draw; correlated variables go through a Gaussian copula (independent standard normals,
times the Cholesky factor of the correlation matrix, back to uniforms by the normal CDF, then
each variable's inverse CDF). The floats of that arithmetic never reach the engine: each value
is an exact decimal at ``precision`` first.
"""

from __future__ import annotations

import difflib
import math
import random
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from statistics import NormalDist
from typing import Any

from incentives.rulebook.language.yamlsource import load_yaml
from incentives.rulebook.rulebook import Rulebook
from incentives.sweep.points import MAX_POINTS, Point, Points, _number, grid_from_axes
from incentives.sweep.variables import SweepInputError, Variable, parse_variable

__all__ = ["KINDS", "read_sweep_file"]

# each distribution and its parameters, in the order its inverse CDF takes them
KINDS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "discrete": ("values", "weights"),
}
_KEYS = ("grid", "distributions", "draws", "seed", "precision", "correlation")
_STANDARD = NormalDist()
_TINY = 1e-12  # uniforms are kept inside (0, 1), where the normal's inverse CDF is finite


def read_sweep_file(path: str | Path, rulebook: Rulebook, seed: int | None = None) -> Points:
    """The points a sweep file describes; ``seed`` replaces the file's."""
    doc = load_yaml(Path(path))
    name = doc.file

    def at(*keys: object) -> str:
        return f"{name}:{doc.line_of(tuple(keys)) or 1}"  # type: ignore[arg-type]

    data = doc.data
    if not isinstance(data, dict):
        raise SweepInputError(f"{name}:1: a sweep file is a mapping (grid: or distributions:)")
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), _KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SweepInputError(f"{at(key)}: unknown key '{key}'{hint}")
    if ("grid" in data) == ("distributions" in data):
        raise SweepInputError(f"{name}:1: give either grid: or distributions:, not both or neither")
    if "grid" in data:
        grid = data["grid"]
        if not isinstance(grid, dict):
            raise SweepInputError(f"{at('grid')}: grid: maps each result to its values")
        grid_at = grid_from_axes(grid.items(), rulebook, lambda n: at("grid", n))
        return Points(grid_at.variables, grid_at.points, {"kind": "grid", "path": str(path)})
    count = _whole(data.get("draws"), at("draws"), "draws", 1, MAX_POINTS)
    chosen = seed if seed is not None else _whole(data.get("seed"), at("seed"), "seed", 0, 2**63)
    precision = _number(data.get("precision", "0.0001"), at("precision"), "precision")
    if precision <= 0:
        raise SweepInputError(f"{at('precision')}: precision must be positive (e.g. 0.0001)")
    specs = data["distributions"]
    if not isinstance(specs, dict) or not specs:
        raise SweepInputError(f"{at('distributions')}: distributions: maps each result to one")
    variables: list[Variable] = []
    inverses: list[Callable[[float], Decimal | float]] = []
    for key, spec in specs.items():
        variable = parse_variable(str(key), rulebook, at("distributions", key))
        if variable in variables:
            raise SweepInputError(f"{at('distributions', key)}: '{key}' is given twice")
        variables.append(variable)
        inverses.append(_inverse(spec, at("distributions", key)))
    factor = _cholesky(_correlation(data.get("correlation") or [], list(specs), at), at("correlation"))
    rng = random.Random(chosen)
    width = len(str(count))
    points = []
    for index in range(1, count + 1):
        normals = [_STANDARD.inv_cdf(min(max(rng.random(), _TINY), 1 - _TINY)) for _ in variables]
        values = []
        for i, inverse in enumerate(inverses):
            z = math.fsum(factor[i][j] * normals[j] for j in range(i + 1))
            drawn = inverse(_STANDARD.cdf(z))
            values.append(
                drawn if isinstance(drawn, Decimal)
                else Decimal(drawn).quantize(precision, ROUND_HALF_EVEN)
            )  # fmt: skip
        points.append(Point(str(index).zfill(width), Decimal(1), tuple(values)))
    source = {"kind": "distributions", "path": str(path), "seed": chosen, "draws": count,
              "precision": str(precision)}  # fmt: skip
    return Points(tuple(variables), tuple(points), source)


def _inverse(spec: object, where: str) -> Callable[[float], Decimal | float]:
    """The inverse CDF of one variable's distribution (a discrete one gives its exact values)."""
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in KINDS:
        kinds = "; ".join(f"{k}: {{{', '.join(p)}}}" for k, p in KINDS.items())
        raise SweepInputError(f"{where}: give one distribution ({kinds})")
    kind, params = next(iter(spec.items()))
    if not isinstance(params, dict) or set(params) - set(KINDS[kind]):
        raise SweepInputError(f"{where}: {kind} takes {', '.join(KINDS[kind])}")
    if kind == "discrete":
        return _discrete(params, where)
    missing = [p for p in KINDS[kind] if p not in params]
    if missing:
        raise SweepInputError(f"{where}: {kind} needs {', '.join(missing)}")
    p = [float(_number(params[k], where, k)) for k in KINDS[kind]]
    if kind == "normal":
        if p[1] < 0:
            raise SweepInputError(f"{where}: sd must not be negative")
        return lambda u: NormalDist(p[0], p[1]).inv_cdf(u) if p[1] > 0 else p[0]
    if kind == "uniform":
        if p[1] < p[0]:
            raise SweepInputError(f"{where}: uniform needs low <= high")
        return lambda u: p[0] + u * (p[1] - p[0])
    low, mode, high = p
    if not low <= mode <= high or low == high:
        raise SweepInputError(f"{where}: triangular needs low <= mode <= high and low < high")
    cut = (mode - low) / (high - low)
    return lambda u: (
        low + math.sqrt(u * (high - low) * (mode - low)) if u < cut
        else high - math.sqrt((1 - u) * (high - low) * (high - mode))
    )  # fmt: skip


def _discrete(params: dict[str, Any], where: str) -> Callable[[float], Decimal | float]:
    values = params.get("values")
    if not isinstance(values, list) or not values:
        raise SweepInputError(f"{where}: discrete needs values: [..]")
    exact = [_number(v, where, "values") for v in values]
    weights_given = params.get("weights")
    weights = (
        [_number(w, where, "weights") for w in weights_given]
        if isinstance(weights_given, list) else [Decimal(1)] * len(exact)
    )  # fmt: skip
    if len(weights) != len(exact) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise SweepInputError(f"{where}: discrete needs one non-negative weight per value")
    total = sum(weights)
    bounds, running = [], Decimal(0)
    for w in weights:
        running += w
        bounds.append(float(running / total))

    def pick(u: float) -> Decimal:
        for value, bound in zip(exact, bounds, strict=True):
            if u <= bound:
                return value
        return exact[-1]

    return pick


def _correlation(pairs: object, names: Sequence[str], at: Callable[..., str]) -> list[list[float]]:
    """The correlation matrix (identity but for the pairs given)."""
    size = len(names)
    matrix = [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)]
    if not isinstance(pairs, list):
        raise SweepInputError(f"{at('correlation')}: correlation: is a list of [result, result, rho]")
    for n, pair in enumerate(pairs):
        where = at("correlation", n)
        if not isinstance(pair, list) or len(pair) != 3:
            raise SweepInputError(f"{where}: write each pair as [result, result, rho]")
        ends = []
        for end in pair[:2]:
            if end not in names:
                close = difflib.get_close_matches(str(end), names, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise SweepInputError(f"{where}: '{end}' has no distribution{hint}")
            ends.append(list(names).index(end))
        rho = float(_number(pair[2], where, "rho"))
        if not -1 < rho < 1 or ends[0] == ends[1]:
            raise SweepInputError(f"{where}: rho must lie strictly between -1 and 1, between two results")
        matrix[ends[0]][ends[1]] = matrix[ends[1]][ends[0]] = rho
    return matrix


def _cholesky(matrix: list[list[float]], where: str) -> list[list[float]]:
    """The lower factor L of ``matrix`` = L·Lᵀ; a matrix that is not positive definite (the
    pairs contradict each other) is an error."""
    size = len(matrix)
    factor = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1):
            s = math.fsum(factor[i][k] * factor[j][k] for k in range(j))
            if i == j:
                rest = matrix[i][i] - s
                if rest <= 1e-12:
                    raise SweepInputError(
                        f"{where}: the correlations contradict each other (the matrix is not positive definite)"
                    )
                factor[i][j] = math.sqrt(rest)
            else:
                factor[i][j] = (matrix[i][j] - s) / factor[j][j]
    return factor


def _whole(value: object, where: str, what: str, low: int, high: int) -> int:
    if value is None:
        raise SweepInputError(f"{where}: {what}: is required with distributions:")
    text = str(value).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise SweepInputError(f"{where}: {what} must be a whole number from {low} to {high:,}")
    return int(text)
