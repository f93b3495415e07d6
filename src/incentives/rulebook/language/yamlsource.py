"""YAML policy files → plain data, with the line of every node.

PyYAML composes the node tree (safe loading only); we build the data ourselves so that every
plain scalar stays its source text (`1.10`, `010`, `NO`, `15%`) for the schema to read by its
declared type, and so that any path in the data (``("tables", "target_pct", "values", 3)``)
can be traced back to a line for error messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import yaml

from incentives.errors import PolicyError, Problem

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_ITEMS",
    "MAX_NODES",
    "SourceDoc",
    "load_yaml",
    "load_yaml_text",
]

Path_ = tuple[str | int, ...]

_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))  # YAML 1.1 plain nulls, as PyYAML reads
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# Tags a policy may state explicitly (``!!str 010``); ``!!python/object``, ``!!binary``,
# ``!!set`` and local ``!tags`` are refused.
_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REWORD_BYTES = 64_000  # up to this size a syntax error is re-read for PyYAML's wording

MAX_FILE_BYTES = 5_000_000
"""A policy file larger than this (bytes) is refused before it is parsed."""
MAX_DEPTH = 100
"""Mappings and lists nest at most this deep (aliases included)."""
MAX_NODES = 100_000
"""Values (scalars, lists, mappings) in one file, counting each alias expansion."""
MAX_ITEMS = 10_000
"""Entries in one mapping or list: keys, steps, table bands, curve points, allowed values."""


@attrs.frozen
class SourceDoc:
    """One policy file's data and the line (1-based) of each path in it."""

    file: str
    data: Any
    lines: dict[Path_, int]
    text: str

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest known node on ``path`` (a pydantic error location)."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def load_yaml(path: Path, display_name: str | None = None) -> SourceDoc:
    """Read one policy file; a YAML syntax error or a broken limit is a `PolicyError` with its line."""
    name = display_name or str(path)
    return load_yaml_text(_read_text(path, name), name)


def load_yaml_text(text: str, name: str) -> SourceDoc:
    """`load_yaml` for text already read (a scenario's value, a `--set` value), named ``name``
    in messages; the same reader, so ``1.10`` stays text and ``NO`` is not a boolean."""
    problems: list[Problem] = []
    try:
        node = _compose_checked(text, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line != mark.line:
            what += f" (the construct opened at line {opened.line + 1})"
        raise PolicyError(
            [Problem(name, line, "", f"invalid YAML: {what}", "check indentation and quoting")]
        ) from None
    except yaml.YAMLError as exc:
        raise PolicyError([Problem(name, None, "", f"invalid YAML: {exc}")]) from None
    lines: dict[Path_, int] = {}
    data = None if node is None else _Builder(lines, problems, name).build(node, (), 0)
    if problems:
        raise PolicyError(problems)
    return SourceDoc(file=name, data=data, lines=lines, text=text)


def _read_text(path: Path, name: str) -> str:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise PolicyError(
            [Problem(name, None, "", f"cannot be read: {exc.strerror or exc}")]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise PolicyError(
            [
                Problem(
                    name,
                    None,
                    "",
                    f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB, the limit for a "
                    "policy file",
                    "split it into several policies, or move large data into an input file",
                )
            ]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(name, None, "", f"not UTF-8 text ({exc.reason})")]) from None


def _refused(file: str, line: int | None, message: str, hint: str = "") -> PolicyError:
    """A limit broken or a construct refused, at a line."""
    return PolicyError([Problem(file, line, "", message, hint)])


def _compose_checked(text: str, file: str) -> yaml.Node | None:
    """The node tree of ``text``, parsed by libyaml where available (fast: a file near the size
    limit must not take seconds), with PyYAML's own parser's wording for a syntax error in a
    file of ordinary size."""
    try:
        return _compose(yaml.parse(text, Loader=_FAST_LOADER), file)
    except yaml.YAMLError:
        if _FAST_LOADER is yaml.SafeLoader or len(text) > _REWORD_BYTES:
            raise
    return _compose(yaml.parse(text, Loader=yaml.SafeLoader), file)


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return None if mark is None else mark.line + 1


def _compose(events: Iterator[yaml.Event], file: str) -> yaml.Node | None:
    """Events → node tree, like PyYAML's composer but iterative, and refusing what a policy
    never needs: more than one document, non-standard tags, an anchor used inside itself, lone
    surrogates, and anything beyond the nesting, node and collection-size limits."""
    anchors: dict[str, yaml.Node] = {}
    open_anchors: set[str] = set()
    stack: list[tuple[yaml.Node, str | None]] = []
    pending: list[yaml.Node | None] = []  # per open mapping: the key waiting for its value
    root: yaml.Node | None = None
    documents = 0
    count = 0

    def attach(node: yaml.Node, line: int | None) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1][0]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
            size = len(parent.value)
        else:
            key = pending[-1]
            if key is None:
                pending[-1] = node
                return
            parent.value.append((key, node))
            pending[-1] = None
            size = len(parent.value)
        if size > MAX_ITEMS:
            raise _refused(
                file,
                line,
                f"more than {MAX_ITEMS:,} entries in one list or mapping (the limit)",
                "a real policy never needs this many; move large data into an input file",
            )

    def register(anchor: str | None, node: yaml.Node) -> None:
        if anchor is not None:
            anchors[anchor] = node

    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _refused(
                    file,
                    _line(event),
                    "a policy file holds one YAML document; found a second '---'",
                )
            continue
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            continue
        line = _line(event)
        if isinstance(event, yaml.AliasEvent):
            anchor = str(event.anchor)
            if anchor in open_anchors:
                raise _refused(
                    file,
                    line,
                    f"the alias *{anchor} is used inside the anchor &{anchor} it refers to",
                    "a mapping or list cannot contain itself",
                )
            if anchor not in anchors:
                raise _refused(file, line, f"the alias *{anchor} has no anchor &{anchor} before it")
            attach(anchors[anchor], line)
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            node, opened = stack.pop()
            if isinstance(node, yaml.MappingNode):
                pending.pop()
            if opened is not None:
                open_anchors.discard(opened)
            continue
        count += 1
        if count > MAX_NODES:
            raise _refused(
                file,
                line,
                f"more than {MAX_NODES:,} values in one file (the limit)",
                "a real policy never needs this many; move large data into an input file",
            )
        assert isinstance(event, yaml.NodeEvent)
        start: Any = event.start_mark  # libyaml's marks are typed apart from PyYAML's
        end: Any = event.end_mark
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in _STANDARD_TAGS:
            raise _refused(
                file,
                line,
                f"the tag {tag} is not allowed",
                "policy files use plain YAML: text, numbers, lists and mappings",
            )
        if isinstance(event, yaml.ScalarEvent):
            value = str(event.value)
            if _SURROGATE.search(value):
                raise _refused(
                    file,
                    line,
                    "a text holds a lone surrogate escape (such as \\ud800), which is not a character",
                    "write the character itself, or a valid escape",
                )
            if tag is None or tag == "!":  # only null matters: every other scalar stays text
                plain = event.implicit[0] and not event.style
                tag = _NULL_TAG if plain and value in _NULLS else _STR_TAG
            style = event.style or None  # libyaml says '' for plain
            scalar = yaml.ScalarNode(tag, value, start, end, style)
            attach(scalar, line)
            register(event.anchor, scalar)
            continue
        if len(stack) >= MAX_DEPTH:
            raise _refused(
                file,
                line,
                f"nested more than {MAX_DEPTH} levels deep (the limit)",
                "a real policy never nests this deep",
            )
        collection: yaml.Node
        if isinstance(event, yaml.MappingStartEvent):
            collection = yaml.MappingNode(tag or _MAP_TAG, [], start, end, event.flow_style)
        else:
            assert isinstance(event, yaml.SequenceStartEvent)
            collection = yaml.SequenceNode(tag or _SEQ_TAG, [], start, end, event.flow_style)
        attach(collection, line)
        register(event.anchor, collection)
        if event.anchor is not None:
            open_anchors.add(str(event.anchor))
        stack.append((collection, event.anchor))
        if isinstance(collection, yaml.MappingNode):
            pending.append(None)
    return root


class _Builder:
    """Node tree → plain data and the line of each path; aliases expand here, so the count of
    values built and the depth are bounded again (a billion laughs is small as a tree)."""

    def __init__(self, lines: dict[Path_, int], problems: list[Problem], file: str) -> None:
        self.lines = lines
        self.problems = problems
        self.file = file
        self.built = 0

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        line = node.start_mark.line + 1
        self.built += 1
        if self.built > MAX_NODES:
            raise _refused(
                self.file,
                line,
                f"aliases expand to more than {MAX_NODES:,} values (the limit)",
                "an alias bomb? use each anchor a few times at most",
            )
        if depth > MAX_DEPTH:
            raise _refused(
                self.file,
                line,
                f"aliases nest more than {MAX_DEPTH} levels deep (the limit)",
                "a real policy never nests this deep",
            )
        lines, problems, file = self.lines, self.problems, self.file
        lines[path] = line
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    problems.append(
                        Problem(
                            file,
                            key_node.start_mark.line + 1,
                            _dotted(path),
                            "keys must be plain names",
                        )
                    )
                    continue
                key = str(key_node.value)
                if key in result:
                    problems.append(
                        Problem(
                            file,
                            key_node.start_mark.line + 1,
                            _dotted((*path, key)),
                            f"'{key}' is declared twice",
                            f"first at line {lines[(*path, key)]}",
                        )
                    )
                    continue
                result[key] = self.build(value_node, (*path, key), depth + 1)
                lines[(*path, key)] = key_node.start_mark.line + 1  # the key, not its value
            return result
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)
            ]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == _NULL_TAG and node.style is None:
            return None
        return str(node.value)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


dotted = _dotted
