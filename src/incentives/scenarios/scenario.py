"""A scenario file (docs/what-if.md), read and checked against a rulebook.

    load_scenario(path, rulebook, sets=["max_multiple=150%"]) -> Scenario

A scenario file is YAML::

    title: Sales has a stronger year
    description: Company factor at 120 %, Sales rated one step higher.
    overrides:                          # paths as --set writes them
      revenue_growth.payout: 120%
      target_pct[level=4]: 12%
    inputs:                             # changes of roster inputs for a group
      - where: "unit == 'Sales'"
        rating: +1 step
        goal 'Revenue' actual: × 1.05

Every problem of the file is reported at once, each with file:line (`ScenarioError`); the
``--set`` overrides are applied after the file's, as a layer of their own.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from incentives.errors import OverrideError, PolicyError, Problem, ScenarioError, shorten
from incentives.expr import ExpressionError, compile_expression
from incentives.model.roster import RosterSource
from incentives.rulebook.language.yamlsource import SourceDoc, load_yaml
from incentives.rulebook.overrides import Layer
from incentives.rulebook.rulebook import Rulebook
from incentives.scenarios.changes import (
    Change,
    FieldBounds,
    GoalChange,
    InputRule,
    parse_change,
    where_function,
)
from incentives.scenarios.roster import ChangeCounts, ChangedRoster

__all__ = ["Scenario", "load_scenario"]

_KEYS = ("title", "description", "overrides", "inputs")
_GOAL_KEY = re.compile(r"^goal\s+'([^']+)'\s+(\w+)$")
_GOAL_FIELDS = ("actual", "target")


@attrs.frozen
class Scenario:
    """A what-if: the overridden rulebook, the input changes, and what the manifest records.

    ``name`` is the file's stem ("set" for --set alone); ``sha256`` the file's (None without
    one); ``layers`` the override layers it added to the rulebook it was loaded against (the
    scenario file's, then --set's), which the manifest lists with ``inputs``."""

    name: str
    title: str
    description: str
    sha256: str | None
    file: str | None
    rulebook: Rulebook
    layers: tuple[Layer, ...]
    inputs: tuple[InputRule, ...] = ()

    def wrap_roster(self, roster: RosterSource) -> RosterSource:
        """``roster`` itself without input changes; else a roster whose matching rows carry
        the changed inputs (read `change_counts` of it for how many were changed, clamped)."""
        return ChangedRoster(roster, self.inputs) if self.inputs else roster

    def change_counts(self, roster: RosterSource) -> ChangeCounts:
        """Employees changed and clamped in a roster `wrap_roster` returned (zero when it
        changed nothing); the first call scans the roster once."""
        if isinstance(roster, ChangedRoster):
            return roster.counts()
        return ChangeCounts(0, 0, tuple((0, 0) for _ in self.inputs))

    def record(self, counts: ChangeCounts | None = None) -> list[dict[str, Any]]:
        """The scenario's layers as the manifest lists them (input changes with ``counts``)."""
        out: list[dict[str, Any]] = []
        for layer in self.layers:
            entry = layer.describe()
            if layer.name.startswith("scenario"):
                entry["title"] = self.title
                if self.description:
                    entry["description"] = self.description
                entry["inputs"] = self._inputs_record(counts)
            out.append(entry)
        if self.inputs and not any(layer.name.startswith("scenario") for layer in self.layers):
            out.insert(0, {"layer": f"scenario {self.name}", "file": self.file,
                           "sha256": self.sha256, "title": self.title, "overrides": [],
                           "inputs": self._inputs_record(counts)})  # fmt: skip
        return out

    def check_lines(self) -> list[str]:
        """What ``incentives check`` prints: each layer's overrides, the input changes."""
        lines = []
        for layer in self.layers:
            lines.append(f"ok  {layer.name}: {len(layer.edits)} override(s)")
            for e in layer.edits:
                said = (
                    "not in the policy" if e.policy_says is None else f"policy says {e.policy_says}"
                )
                lines.append(f"    {e.policy}:{e.path} = {e.shown} ({said})")
        if self.inputs:
            lines.append(f"ok  scenario {self.name}: {len(self.inputs)} input change(s)")
        return lines

    def run_lines(self, layers: Iterable[Mapping[str, Any]]) -> list[str]:
        """What ``incentives run`` prints: the title, and whom each input change changed
        (``layers`` as the manifest lists them, `RunReport.what_if`)."""
        lines = [f"what-if: {self.title} (manifest.json lists the layers)"]
        for layer in layers:
            for rule in layer.get("inputs", []):
                lines.append(
                    f"  inputs where {rule['where'] or 'everyone'}: "
                    f"{rule['employees_changed']} employee(s) changed, "
                    f"{rule['employees_clamped']} clamped to their inputs' bounds"
                )
        return lines

    def _inputs_record(self, counts: ChangeCounts | None) -> list[dict[str, Any]]:
        rules = []
        for i, rule in enumerate(self.inputs):
            entry = rule.describe()
            if counts is not None:
                entry["employees_changed"], entry["employees_clamped"] = counts.by_rule[i]
            rules.append(entry)
        return rules


def load_scenario(
    path: str | Path | None, rulebook: Rulebook, *, sets: Iterable[str] = ()
) -> Scenario:
    """Read a scenario file (or none: ``sets`` alone) against ``rulebook``.

    Every problem of the file is a `ScenarioError` listing them all with file:line; a bad
    ``--set`` is an `OverrideError`. Both are usage errors (exit 2); nothing has run."""
    sets = list(sets)
    if path is None:
        variant = rulebook.with_overrides(sets, layer="--set") if sets else rulebook
        title = "--set " + ", ".join(sets) if sets else "set"
        added = variant.layers[len(rulebook.layers) :]
        return Scenario("set", title, "", None, None, variant, added)
    path = Path(path)
    name = str(path)
    try:
        doc = load_yaml(path, name)
    except PolicyError as exc:
        raise ScenarioError(exc.problems) from None
    problems: list[Problem] = []
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(name, 1, "", "a scenario is a mapping: title, description, overrides, inputs")]
        )
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), _KEYS, n=1)
            problems.append(
                Problem(name, doc.line_of((key,)), str(key), "unknown key",
                        f"did you mean '{close[0]}'?" if close else f"keys: {', '.join(_KEYS)}")
            )  # fmt: skip
    title, description = (_text(doc, key, problems) for key in ("title", "description"))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    layer = f"scenario {path.stem}"
    variant = _overrides(doc, rulebook, problems, layer, sha)
    inputs = _inputs(doc, rulebook, problems)
    if problems:
        raise ScenarioError(problems)
    if sets:
        variant = variant.with_overrides(sets, layer="--set")
    return Scenario(
        path.stem,
        title or path.stem,
        description,
        sha,
        name,
        variant,
        variant.layers[len(rulebook.layers) :],
        inputs,
    )


def _text(doc: SourceDoc, key: str, problems: list[Problem]) -> str:
    value = doc.data.get(key) if isinstance(doc.data, dict) else None
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(Problem(doc.file, doc.line_of((key,)), key, "write it as text"))
        return ""
    return value.strip()


def _overrides(
    doc: SourceDoc, rulebook: Rulebook, problems: list[Problem], layer: str, sha: str
) -> Rulebook:
    given = doc.data.get("overrides") if isinstance(doc.data, dict) else None
    if given is None:
        return rulebook
    if not isinstance(given, dict):
        problems.append(
            Problem(doc.file, doc.line_of(("overrides",)), "overrides",
                    "overrides is a mapping PATH: VALUE", "e.g. max_multiple: 150%")
        )  # fmt: skip
        return rulebook
    count = len(problems)
    for key, value in given.items():
        try:
            rulebook.with_overrides({str(key): value}, read=False, layer=layer)
        except OverrideError as exc:
            problems.append(
                Problem(doc.file, doc.line_of(("overrides", key)), f"overrides.{key}", _bare(exc))
            )
    if len(problems) > count:
        return rulebook
    try:
        return rulebook.with_overrides(
            {str(k): v for k, v in given.items()},
            read=False,
            layer=layer,
            file=doc.file,
            sha256=sha,
        )
    except OverrideError as exc:  # each alone is fine, together they are not
        problems.append(Problem(doc.file, doc.line_of(("overrides",)), "overrides", _bare(exc)))
        return rulebook


def _bare(exc: Exception) -> str:
    """An override's message without the leading ``override 'PATH'``: the problem names it."""
    return re.sub(r"^override '[^']*'(?: \(policy '[^']*'\))?: ", "", str(exc))


def _inputs(doc: SourceDoc, rulebook: Rulebook, problems: list[Problem]) -> tuple[InputRule, ...]:
    given = doc.data.get("inputs") if isinstance(doc.data, dict) else None
    if given is None:
        return ()
    if not isinstance(given, list):
        problems.append(
            Problem(doc.file, doc.line_of(("inputs",)), "inputs",
                    "inputs is a list of changes", "e.g. - {where: \"unit == 'Sales'\", rating: +1 step}")
        )  # fmt: skip
        return ()
    fields = rulebook.field_names
    converters = {f.name: f.convert for f in rulebook.fields}
    rules: list[InputRule] = []
    for i, item in enumerate(given):
        at = ("inputs", i)

        def problem(message: str, *sub: str | int, hint: str = "", at: Any = at) -> None:
            where = (*at, *sub)
            problems.append(
                Problem(doc.file, doc.line_of(where), ".".join(map(str, where)), message, hint)
            )

        if not isinstance(item, dict):
            problem("a change is a mapping: where, and the inputs it changes")
            continue
        where_text = item.get("where")
        where = None
        reads: frozenset[str] = frozenset()
        if where_text is not None:
            try:
                expr = compile_expression(str(where_text), values=fields, callables={})
            except ExpressionError as exc:
                problem(f"where: {shorten(exc, 300)}", "where")
            else:
                where, reads = where_function(expr), frozenset(expr.names) & set(fields)
        changes: list[tuple[FieldBounds, Change]] = []
        goals: list[GoalChange] = []
        for key, value in item.items():
            key = str(key)
            if key == "where":
                continue
            if key == "goals":
                goals += _goal_mapping(value, problem)
                continue
            if m := _GOAL_KEY.match(key):
                goals += _goal(m.group(1), m.group(2), value, problem, (key,))
                continue
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=1)
                problem(f"no roster input '{shorten(key)}' is read by the policies", key,
                        hint=f"did you mean '{close[0]}'?" if close else "")  # fmt: skip
                continue
            bounds = FieldBounds.of(rulebook, key)
            try:
                change = parse_change(value)
            except ValueError as exc:
                problem(str(exc), key)
                continue
            why = (
                bounds.check_relative(change)
                if change.relative
                else bounds.check_absolute(change.text)
            )
            if why:
                problem(why, key)
                continue
            changes.append((bounds, change))
        if (
            not changes
            and not goals
            and not any(p.field.startswith(f"inputs.{i}") for p in problems)
        ):
            problem("changes nothing: name an input, e.g. rating: +1 step")
            continue
        rules.append(
            InputRule(
                None if where_text is None else str(where_text),
                where,
                reads,
                tuple(changes),
                tuple(goals),
                doc.line_of(at),
                {name: converters[name] for name in reads},
            )
        )
    return tuple(rules)


def _goal_mapping(value: Any, problem: Any) -> list[GoalChange]:
    if not isinstance(value, dict):
        problem("goals is a mapping: goal name → {actual: × 1.05}", "goals")
        return []
    found: list[GoalChange] = []
    for goal, figures in value.items():
        if not isinstance(figures, dict):
            problem("write {actual: CHANGE} or {target: CHANGE}", "goals", str(goal))
            continue
        for field, change in figures.items():
            found += _goal(str(goal), str(field), change, problem, ("goals", str(goal), str(field)))
    return found


def _goal(goal: str, field: str, value: Any, problem: Any, at: tuple[str, ...]) -> list[GoalChange]:
    if field not in _GOAL_FIELDS:
        close = difflib.get_close_matches(field, _GOAL_FIELDS, n=1)
        problem(f"a goal's '{shorten(field)}' cannot be changed (actual, target)", *at,
                hint=f"did you mean '{close[0]}'?" if close else "")  # fmt: skip
        return []
    try:
        change = parse_change(value)
    except ValueError as exc:
        problem(str(exc), *at)
        return []
    if change.kind == "steps":
        problem("a goal figure moves by × N or + N, not by steps", *at)
        return []
    return [GoalChange(goal, field, change)]
