"""Loading a folder of policy files into an immutable `Rulebook`, and deriving variants of it.

load_rules(path) -> Rulebook     load → validate (every problem, one report) → compile
rulebook.with_overrides(...)     a variant with parameters, table cells or curve points
                                 changed, sharing everything else (no re-reading, no re-parsing)
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
from pydantic import ValidationError

from incentives.errors import OptionsError, PolicyError, Problem, shorten
from incentives.rulebook.compiler.compiler import compile_policy
from incentives.rulebook.compiler.plan_group import group_problems
from incentives.rulebook.language import schema
from incentives.rulebook.language.fields import FieldDef, make_converter, rating_converter
from incentives.rulebook.language.schema_keys import unknown_key
from incentives.rulebook.language.values import SpecIssue, SpecIssues, check_number, parse_number
from incentives.rulebook.language.yamlsource import SourceDoc, dotted, load_yaml
from incentives.rulebook.runtime.curves import compile_curve
from incentives.rulebook.runtime.policy import CompiledPolicy
from incentives.rulebook.runtime.tables import compile_table

__all__ = ["MAX_POLICY_FILES", "Rulebook", "load_rules"]

MAX_POLICY_FILES = 500
"""Policy files in one rules folder."""


@attrs.frozen
class Rulebook:
    """Every policy of a rules folder, compiled; the roster fields they read, in one registry."""

    policies: tuple[CompiledPolicy, ...]
    fields: tuple[FieldDef, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def __repr__(self) -> str:  # short: each policy by id, never its generated source
        policies = ", ".join(f"{p.id} v{p.version} ({p.kind})" for p in self.policies)
        count = len(self.policies)
        return (
            f"<Rulebook {count} polic{'y' if count == 1 else 'ies'}: {policies or 'none'}; "
            f"{len(self.fields)} roster fields{_overridden(self.policies)}>"
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({p.kind for p in self.policies}))

    def policy(self, policy_id: str) -> CompiledPolicy:
        for policy in self.policies:
            if policy.id == policy_id:
                return policy
        raise OptionsError(
            f"no policy '{policy_id}' (policies: {', '.join(p.id for p in self.policies)})"
        )

    def with_overrides(
        self,
        policy_id: str,
        *,
        parameters: Mapping[str, Decimal | int | str] | None = None,
        table_values: Mapping[str, Mapping[tuple[int, ...], Decimal | int | str]] | None = None,
        curve_points: Mapping[str, Mapping[int, tuple[Decimal | int | str, Decimal | int | str]]]
        | None = None,
    ) -> Rulebook:
        """A variant of this rulebook with a few values of one policy changed.

        ``parameters`` maps parameter names to new values; ``table_values`` maps a table to
        cells by index (``(3,)`` in a 1-D table, ``(row, column)`` in a 2-D one);
        ``curve_points`` maps a curve to points by index. Only the changed tables and curves
        are rebuilt: the generated code and everything else are shared with this rulebook,
        which is left unchanged.

        A value is read as a policy file reads it: ``"150%"`` is 1.50, ``"1.10"`` keeps its
        places; an int or a `Decimal` is taken as it is; the limits of policy numbers apply. A
        float (``0.1`` is really 0.1000000000000000055…), another type, an unknown name or a
        cell or point that does not exist is an `OptionsError` naming the policy and the value.
        """
        policy = self.policy(policy_id)
        where = f"override of policy '{policy_id}'"
        new_params = dict(policy.parameters)
        percents = set(policy.written_as_percent)
        changes: list[str] = []
        for name, value in (parameters or {}).items():
            if not isinstance(name, str) or name not in new_params:
                raise OptionsError(f"{where}: " + _unknown("parameter", shorten(name), new_params))
            new_params[name] = _override_number(value, f"{where}: parameter '{name}'")
            changes.append(f"{name}={new_params[name]}")
            written = isinstance(value, str) and value.strip().endswith("%")
            (percents.add if written else percents.discard)(f"parameters.{name}")
        lookups = dict(policy.lookups)
        for name, cells in (table_values or {}).items():
            spec = policy.spec.tables.get(name)
            if spec is None:
                raise OptionsError(
                    f"{where}: " + _unknown("table", shorten(name), policy.spec.tables)
                )
            values: Any = _deep_list(spec.values)
            for index, value in cells.items():
                what = f"{where}: table '{name}' cell {shorten(index)}"
                number = _override_number(value, what)
                try:
                    target = values
                    for i in index[:-1]:
                        target = target[i]
                    if not isinstance(target, list) or not isinstance(index[-1], int):
                        raise TypeError
                    target[index[-1]] = number
                except (IndexError, TypeError, KeyError):
                    raise OptionsError(
                        f"{what}: no such cell (give one index per axis, from 0, as a tuple)"
                    ) from None
            changes.append(f"table {name}")
            lookups[name] = _rebuild(
                compile_table, name, spec.model_copy(update={"values": values}), where
            )
        for name, points in (curve_points or {}).items():
            cspec = policy.spec.curves.get(name)
            if cspec is None:
                raise OptionsError(
                    f"{where}: " + _unknown("curve", shorten(name), policy.spec.curves)
                )
            new_points = list(cspec.points)
            for position, point in points.items():
                what = f"{where}: curve '{name}' point {shorten(position)}"
                if not isinstance(point, tuple | list) or len(point) != 2:
                    raise OptionsError(f"{what}: a point is a pair (input, output)")
                pair = (_override_number(point[0], what), _override_number(point[1], what))
                if (
                    not isinstance(position, int)
                    or isinstance(position, bool)
                    or not -len(new_points) <= position < len(new_points)
                ):
                    raise OptionsError(
                        f"{what}: no such point (the curve has {len(new_points)}, from 0)"
                    )
                new_points[position] = pair
            changes.append(f"curve {name}")
            lookups[name] = _rebuild(
                compile_curve, name, cspec.model_copy(update={"points": new_points}), where
            )
        scorecards = {
            name: attrs.evolve(card, curve=lookups[card.curve.name])
            for name, card in policy.scorecards.items()
        }
        changed = attrs.evolve(
            policy,
            parameters=MappingProxyType(new_params),
            lookups=MappingProxyType(lookups),
            scorecards=MappingProxyType(scorecards),
            written_as_percent=frozenset(percents),
            overrides=(*policy.overrides, *changes),
        )
        return attrs.evolve(
            self, policies=tuple(changed if p is policy else p for p in self.policies)
        )


def _overridden(policies: Sequence[CompiledPolicy]) -> str:
    changed = [f"{p.id} {', '.join(p.overrides)}" for p in policies if p.overrides]
    return f"; overridden: {'; '.join(changed)}" if changed else ""


def _deep_list(values: Any) -> Any:
    return [_deep_list(v) for v in values] if isinstance(values, list | tuple) else values


def _rebuild(build: Any, name: str, spec: Any, where: str) -> Any:
    try:
        return build(name, spec)
    except (SpecIssue, SpecIssues) as exc:
        raise OptionsError(f"{where}: override of '{name}' is invalid: {exc}") from None


def _override_number(value: object, what: str) -> Decimal:
    """``value`` read as a policy file reads a number (``"150%"``, ``"1.10"``, an int or a
    Decimal), within the same limits; anything else an `OptionsError` saying ``what``."""
    if isinstance(value, float):
        raise OptionsError(
            f"{what}: {value!r} is a binary float (it is really {Decimal(value):.25}…); "
            f"pass a string ('{value!r}') or a Decimal"
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise OptionsError(f"{what}: {value} is not a finite number")
    try:
        number = parse_number(value)
        if not isinstance(value, str):
            check_number(number, str(value))
    except ValueError as exc:
        raise OptionsError(f"{what}: {shorten(exc)}") from None
    return number


def _unknown(what: str, name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"unknown {what} '{name}'" + (f" (did you mean '{close[0]}'?)" if close else "")


def load_rules(path: str | Path) -> Rulebook:
    """Load every policy file (``*.yaml``, ``*.yml``) of a folder, or one file.

    Raises `PolicyError` listing every problem found in every file, each with file, line,
    field, what is wrong and, where it helps, what to do.
    """
    root = Path(path)
    problems: list[Problem] = []
    if root.is_dir():
        files = []
        for entry in sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml")):
            odd = _not_a_regular_file(entry)
            if odd:
                problems.append(Problem(str(entry), None, "", odd, "remove it or replace it"))
            else:
                files.append(entry)
        if len(files) > MAX_POLICY_FILES:
            raise PolicyError(
                [
                    Problem(
                        str(root),
                        None,
                        "",
                        f"{len(files):,} policy files; the limit is {MAX_POLICY_FILES:,}",
                        "point --rules at the folder of one plan year",
                    )
                ]
            )
        if not files and not problems:
            raise PolicyError(
                [Problem(str(root), None, "", "no policy files (*.yaml) in this folder")]
            )
    elif root.is_file():
        files = [root]
    else:
        raise PolicyError(
            [Problem(str(root), None, "", _not_a_regular_file(root) or "no such file or folder")]
        )
    loaded: list[tuple[SourceDoc, schema.PolicyFile, str]] = []
    for file in files:
        try:
            doc = load_yaml(file, str(file))
        except PolicyError as exc:
            problems += exc.problems
            continue
        sha = hashlib.sha256(file.read_bytes()).hexdigest()
        if not isinstance(doc.data, dict):
            problems.append(
                Problem(doc.file, 1, "", "a policy file is a mapping with a 'policy:' header")
            )
            continue
        try:
            loaded.append((doc, schema.PolicyFile.model_validate(doc.data), sha))
        except ValidationError as exc:
            problems += _validation_problems(doc, exc)
    fields = _field_registry(loaded, problems)
    problems += group_problems(loaded)  # several plans per person
    policies: list[CompiledPolicy] = []
    seen: dict[str, str] = {}
    for doc, spec, sha in loaded:
        if not spec.policy.id[:1].isalnum():
            problems.append(_id_start_problem(doc, spec.policy.id))
        if spec.policy.id in seen:
            problems.append(
                Problem(
                    doc.file,
                    doc.line_of(("policy", "id")),
                    "policy.id",
                    f"policy id '{spec.policy.id}' is also used by {seen[spec.policy.id]}",
                )
            )
        seen[spec.policy.id] = doc.file
        compiled = compile_policy(doc, spec, fields, sha)
        if isinstance(compiled, list):
            problems += compiled
        else:
            percents = written_as_percent(doc.data)
            policies.append(attrs.evolve(compiled, written_as_percent=percents))
    if problems:
        raise PolicyError(problems)
    return Rulebook(policies=tuple(policies), fields=tuple(fields[name] for name in sorted(fields)))


def _id_start_problem(doc: SourceDoc, policy_id: str) -> Problem:
    """An id must start with a letter or digit: one starting with = + - @ is escaped in the
    CSV files (`'-lead`) and not in manifest.json, so the join between them would fail."""
    start = next((i for i, c in enumerate(policy_id) if c.isalnum()), len(policy_id))
    hint = f"; did you mean '{shorten(policy_id[start:], 80)}'?" if policy_id[start:] else ""
    return Problem(
        doc.file,
        doc.line_of(("policy", "id")),
        "policy.id",
        f"policy id '{shorten(policy_id, 80)}' "
        + (f"starts with {policy_id[0]!r}" if policy_id else "is empty")
        + ": an id starts with a letter or digit (the CSV files would write one starting with "
        f"= + - @ escaped, so it would not join manifest.json){hint}",
    )


def _not_a_regular_file(path: Path) -> str:
    """Why ``path`` is not a policy file we can read ("" when it is a regular file)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if path.is_symlink():
            if exc.errno == errno.ELOOP:
                return "a symbolic link that loops back on itself, not a policy file"
            return f"a symbolic link to {os.readlink(path)}, which does not exist"
        return "no such file or folder" if exc.errno == errno.ENOENT else f"cannot be read: {exc}"
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder, not a policy file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a policy file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a policy file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a policy file"
    return "not a regular file"  # pragma: no cover - no other kinds on POSIX


def written_as_percent(data: Any) -> frozenset[str]:
    """``parameters.<name>`` for each parameter written as a percentage (``150%``), and
    ``results.<name>`` / ``tables.<name>`` for each result whose figures or table whose cells
    are all written so: the source text says
    how a value reads, which its number no longer does (explanations print 150%, not 1.5)."""

    def percent(text: object) -> bool:
        return isinstance(text, str) and text.strip().endswith("%")

    found: set[str] = set()
    parameters = data.get("parameters")
    if isinstance(parameters, dict):
        found.update(f"parameters.{n}" for n, text in parameters.items() if percent(text))
    results = data.get("results")
    for name, result in (results if isinstance(results, dict) else {}).items():
        if not isinstance(result, dict):
            continue
        units = result.get("units")
        sets = [result, *(units.values() if isinstance(units, dict) else ())]
        figures = [
            s[key]
            for s in sets
            if isinstance(s, dict)
            for key in ("threshold", "target", "maximum", "actual")
            if s.get(key) is not None
        ]
        if figures and all(percent(text) for text in figures):
            found.add(f"results.{name}")
    tables = data.get("tables")
    for name, table in (tables if isinstance(tables, dict) else {}).items():
        cells = _leaves(table.get("values") if isinstance(table, dict) else None)
        if cells and all(percent(text) for text in cells):
            found.add(f"tables.{name}")
    return frozenset(found)


def _leaves(values: Any) -> list[Any]:
    """The cells of a table's ``values`` (nested lists), or [] for named-value cells."""
    if isinstance(values, list):
        return [leaf for item in values for leaf in _leaves(item)] if values else []
    return [] if isinstance(values, dict) else [values]


def _field_registry(
    loaded: Sequence[tuple[SourceDoc, schema.PolicyFile, str]], problems: list[Problem]
) -> dict[str, FieldDef]:
    fields: dict[str, FieldDef] = {}
    for doc, spec, _ in loaded:
        for name, field in spec.inputs.items():
            path = ("inputs", name)
            scale_key = None
            if field.type == "rating":
                scale = spec.rating_scales.get(str(field.scale))
                if scale is None:
                    problems.append(
                        Problem(
                            doc.file,
                            doc.line_of((*path, "scale")),
                            dotted((*path, "scale")),
                            f"unknown rating scale '{field.scale}'",
                            _hint(str(field.scale), spec.rating_scales),
                        )
                    )
                    continue
                scale_key = (
                    repr(sorted((scale.labels or {}).items()))
                    + f"{scale.min}/{scale.max}/{scale.step}"
                )
                convert = rating_converter(
                    str(field.scale), scale.labels, scale.min, scale.max, scale.step
                )
            else:
                convert = make_converter(field.type)
            known = fields.get(name)
            if known is None:
                fields[name] = FieldDef(name, field.type, scale_key, convert, (spec.policy.id,))
            elif known.type != field.type or known.scale != scale_key:
                problems.append(
                    Problem(
                        doc.file,
                        doc.line_of(path),
                        dotted(path),
                        f"input '{name}' is a {field.type} here but a {known.type} in policy {known.declared_by[0]}",
                        "one roster column has one type (and one rating scale) in every policy",
                    )
                )
            else:
                fields[name] = attrs.evolve(known, declared_by=(*known.declared_by, spec.policy.id))
    if "employee_id" in fields and fields["employee_id"].type != "text":
        problems.append(
            Problem(
                "rules",
                None,
                "inputs.employee_id",
                "employee_id must be type text (it keeps leading zeros)",
            )
        )
    return fields


def _hint(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _validation_problems(doc: SourceDoc, exc: ValidationError) -> list[Problem]:
    found: list[Problem] = []
    for error in exc.errors():
        loc = tuple(
            part
            for part in error["loc"]
            if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
        )
        kind = error["type"]
        message = str(error["msg"]).removeprefix("Value error, ")
        hint = ""
        if kind == "extra_forbidden":
            message, hint = unknown_key(loc)
        elif kind == "missing":
            message = f"'{loc[-1]}' is required here"
        found.append(Problem(doc.file, doc.line_of(loc), dotted(loc), message, hint))
    return found
