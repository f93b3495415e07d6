"""Loading a folder of policy files into an immutable `Rulebook`, and deriving variants of it.

load_rules(path) -> Rulebook     load → validate (every problem, one report) → compile
rulebook.with_overrides(...)     a variant with values changed by path (docs/what-if.md):
                                 each changed policy recompiled from its edited data
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from pydantic import ValidationError

from incentives.errors import OptionsError, OverrideError, PolicyError, Problem, shorten
from incentives.rulebook.compiler.compiler import compile_policy
from incentives.rulebook.compiler.plan_group import group_problems
from incentives.rulebook.language import schema
from incentives.rulebook.language.fields import FieldDef, make_converter, rating_converter
from incentives.rulebook.language.schema_keys import unknown_key
from incentives.rulebook.language.yamlsource import SourceDoc, dotted, load_yaml
from incentives.rulebook.runtime.policy import CompiledPolicy

if TYPE_CHECKING:  # what-if overrides: imported by `with_overrides`, which a plain run never calls
    from incentives.rulebook.overrides import Edit, Layer

__all__ = ["MAX_POLICY_FILES", "Rulebook", "load_rules"]

MAX_POLICY_FILES = 500
"""Policy files in one rules folder."""


@attrs.frozen
class Rulebook:
    """Every policy of a rules folder, compiled; the roster fields they read, in one registry."""

    policies: tuple[CompiledPolicy, ...]
    fields: tuple[FieldDef, ...]
    # what-if overrides applied, in order (`with_overrides`); empty for the policy files as read
    layers: tuple[Layer, ...] = ()

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
        overrides: str | Iterable[str] | Mapping[str, Any] = (),
        /,
        *,
        parameters: Mapping[str, Decimal | int | str] | None = None,
        table_values: Mapping[str, Mapping[tuple[int, ...], Decimal | int | str]] | None = None,
        curve_points: Mapping[str, Mapping[int, tuple[Decimal | int | str, Decimal | int | str]]]
        | None = None,
        layer: str = "with_overrides",
        read: bool = True,
        file: str | None = None,
        sha256: str | None = None,
    ) -> Rulebook:
        """A variant of this rulebook with a few values changed, as if the policy files said so.

        ``overrides`` are what ``--set`` takes (docs/what-if.md): ``"PATH=VALUE"`` texts, e.g.
        ``["max_multiple=150%", "annual-bonus-2026:target_pct[level=4]=12%",
        "goal_payout.points[2]=[105%, 110%]"]``, or a mapping PATH → value (a text read as a
        policy file reads it, an int, a `Decimal`, or a pair for a curve point). They are
        recorded as one `Layer` named ``layer`` (``file``/``sha256`` for a scenario file) in
        ``layers``, which a run's manifest lists. ``read=False``: the mapping's values were
        read from YAML already (a scenario file's) and are taken as they are.

        The older form names one policy and changes values by position: ``with_overrides(
        policy_id, parameters={...}, table_values={"target_pct": {(3,): "10%"}},
        curve_points={"goal_payout": {2: ("105%", "110%")}})``.

        Each changed policy is recompiled from its file's data with the values edited (about
        10 ms a policy), so its rulebook.json, breakdown and explanations are those of a copy
        of the rules folder with that edit; this rulebook is left unchanged. A value is read as
        a policy file reads it: ``"150%"`` is 1.50, ``"1.10"`` keeps its places; a float
        (``0.1`` is really 0.1000000000000000055…), an unknown policy, name, key or position
        (with a did-you-mean), a value of the wrong type or one that makes the policy invalid
        is an `OverrideError` (an `OptionsError`) naming the policy and the value.
        """
        from incentives.rulebook.overrides import Layer, edits_for, overrides_of
        from incentives.rulebook.overrides.positional import positional_edits

        legacy = parameters is not None or table_values is not None or curve_points is not None
        if legacy:
            if not isinstance(overrides, str):
                raise OverrideError("parameters=, table_values= and curve_points= need a policy id")
            edits = positional_edits(
                self.policy(overrides), parameters or {}, table_values or {}, curve_points or {}
            )
        else:
            edits = edits_for(overrides_of(overrides, read=read), self.policies, layer=layer)
        says = {(e.policy, e.data_path): e.policy_says for done in self.layers for e in done.edits}
        edits = tuple(
            attrs.evolve(e, policy_says=says[(e.policy, e.data_path)])
            if (e.policy, e.data_path) in says
            else e
            for e in edits
        )
        policies = list(self.policies)
        for i, policy in enumerate(policies):
            mine = [e for e in edits if e.policy == policy.id]
            if mine:
                policies[i] = self._recompiled(policy, mine)
        return attrs.evolve(
            self,
            policies=tuple(policies),
            layers=(*self.layers, Layer(layer, edits, file, sha256)) if edits else self.layers,
        )

    def _recompiled(self, policy: CompiledPolicy, edits: Sequence[Edit]) -> CompiledPolicy:
        """``policy`` compiled again from its file's data with ``edits`` made."""
        from incentives.rulebook.overrides import edited

        where = f"override of policy '{policy.id}'"
        if policy.document is None:
            raise OverrideError(f"{where}: the policy was not loaded from a file (load_rules)")
        data = edited(policy.document.data, edits)
        doc = attrs.evolve(policy.document, data=data)
        problems: list[Problem]
        try:
            spec = schema.PolicyFile.model_validate(data)
        except ValidationError as exc:
            problems = _validation_problems(doc, exc)
        else:
            fields = {f.name: f for f in self.fields}
            compiled = compile_policy(doc, spec, fields, policy.sha256)
            if not isinstance(compiled, list):
                return attrs.evolve(
                    compiled,
                    written_as_percent=written_as_percent(data),
                    document=doc,
                    overrides=(*policy.overrides, *(f"{e.path}={e.shown}" for e in edits)),
                    pinned_figures=policy.pinned_figures
                    | {e.figure for e in edits if e.figure is not None},
                )
            problems = compiled
        names = ", ".join(dict.fromkeys(f"'{e.name}'" for e in edits))
        raise OverrideError(
            f"{where}: override of {names} is invalid: "
            + "; ".join(str(p) for p in sorted(set(problems), key=Problem.sort_key))
        )


def _overridden(policies: Sequence[CompiledPolicy]) -> str:
    changed = [f"{p.id} {', '.join(p.overrides)}" for p in policies if p.overrides]
    return f"; overridden: {'; '.join(changed)}" if changed else ""


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
            policies.append(attrs.evolve(compiled, written_as_percent=percents, document=doc))
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
