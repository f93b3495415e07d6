"""YAML policy files → plain data, with the line of every node.

PyYAML composes the node tree (safe loading only); we build the data ourselves so that every
plain scalar stays its source text (`1.10`, `010`, `NO`, `15%`) for the schema to read by its
declared type, and so that any path in the data (``("tables", "target_pct", "values", 3)``)
can be traced back to a line for error messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import yaml

from incentives.errors import PolicyError, Problem

__all__ = ["SourceDoc", "load_yaml"]

Path_ = tuple[str | int, ...]

_NULL_TAG = "tag:yaml.org,2002:null"


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
    """Read one policy file; a YAML syntax error is a `PolicyError` with its line."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(name, None, "", f"not UTF-8 text ({exc.reason})")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
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
    problems: list[Problem] = []
    data = None if node is None else _build(node, (), lines, problems, name)
    if problems:
        raise PolicyError(problems)
    return SourceDoc(file=name, data=data, lines=lines, text=text)


def _build(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], file: str
) -> Any:
    lines[path] = node.start_mark.line + 1
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
            result[key] = _build(value_node, (*path, key), lines, problems, file)
            lines[(*path, key)] = key_node.start_mark.line + 1  # point at the key, not its value
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), lines, problems, file)
            for index, item in enumerate(node.value)
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
