"""The override grammar: ``[POLICY_ID:]PATH=VALUE`` (docs/what-if.md).

    split_assignment("target_pct[level=4]=12%")  -> ("target_pct[level=4]", "12%")
    parse_path("annual-bonus-2026:funding[unit=Sales,rating=Exceeds]") -> OverridePath
    read_value("[105%, 110%]", what)             -> ["105%", "110%"]  (the policy files' reader)

PATH is dotted names, each with at most one bracket: keys (``[unit=Sales,rating=Exceeds]``)
or a position (``[2]``). The path ends at the first ``=`` outside brackets, so a value may
itself hold ``=`` (a formula ``unit == 'Sales'``).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from incentives.errors import OverrideError, PolicyError, shorten
from incentives.rulebook.language.yamlsource import load_yaml_text

__all__ = ["OverridePath", "Segment", "parse_path", "read_value", "split_assignment"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SEGMENT = re.compile(r"([^\[\]]*)(?:\[(.*)\])?\Z", re.DOTALL)
_POSITION = re.compile(r"-?\d+\Z")
MAX_TEXT = 10_000  # characters of one override


@attrs.frozen
class Segment:
    """One dotted name and its bracket: keys (name, text) or a position, or neither."""

    name: str
    keys: tuple[tuple[str, str], ...] = ()
    position: int | None = None

    def __str__(self) -> str:
        if self.position is not None:
            return f"{self.name}[{self.position}]"
        if self.keys:
            return f"{self.name}[{','.join(f'{k}={v}' for k, v in self.keys)}]"
        return self.name


@attrs.frozen
class OverridePath:
    """A parsed PATH: the policy id when written, and its segments."""

    text: str
    policy: str | None
    segments: tuple[Segment, ...]

    def __str__(self) -> str:
        return ".".join(str(s) for s in self.segments)


def _outside_brackets(text: str, char: str) -> int:
    """The index of the first ``char`` outside brackets, or -1."""
    depth = 0
    for i, c in enumerate(text):
        if c == "[":
            depth += 1
        elif c == "]":
            depth = max(0, depth - 1)
        elif c == char and depth == 0:
            return i
    return -1


def split_assignment(text: str) -> tuple[str, str]:
    """``PATH=VALUE`` → (PATH, VALUE), both stripped; no ``=`` outside brackets is an error."""
    if len(text) > MAX_TEXT:
        raise OverrideError(f"override '{shorten(text)}' is longer than {MAX_TEXT:,} characters")
    at = _outside_brackets(text, "=")
    if at < 0:
        raise OverrideError(
            f"override '{shorten(text)}' has no '=': write PATH=VALUE, e.g. max_multiple=150% "
            "or 'target_pct[level=4]=12%' (quote it in the shell: brackets are globs)"
        )
    return text[:at].strip(), text[at + 1 :].strip()


def parse_path(text: str) -> OverridePath:
    """``[POLICY_ID:]name[keys].name[position]...`` → `OverridePath`; a malformed path is an
    `OverrideError` saying which part."""
    whole = text.strip()
    policy: str | None = None
    colon = _outside_brackets(whole, ":")
    rest = whole
    if colon >= 0:
        policy, rest = whole[:colon].strip(), whole[colon + 1 :].strip()
        if not policy:
            raise OverrideError(f"override path '{shorten(whole)}': nothing before ':'")
    if not rest:
        raise OverrideError(f"override path '{shorten(whole)}' is empty")
    parts: list[str] = []
    depth = 0
    start = 0
    for i, c in enumerate(rest):
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth < 0:
                raise OverrideError(f"override path '{shorten(whole)}': a ']' without '['")
        elif c == "." and depth == 0:
            parts.append(rest[start:i])
            start = i + 1
    if depth:
        raise OverrideError(f"override path '{shorten(whole)}': a '[' is never closed")
    parts.append(rest[start:])
    return OverridePath(whole, policy, tuple(_segment(part, whole) for part in parts))


def _segment(part: str, whole: str) -> Segment:
    match = _SEGMENT.match(part.strip())
    name = match.group(1).strip() if match else ""
    if not match or not _NAME.match(name):
        raise OverrideError(
            f"override path '{shorten(whole)}': '{shorten(part)}' is not a name "
            "(letters, digits and _, with at most one [...] after it)"
        )
    inside = match.group(2)
    if inside is None:
        return Segment(name)
    inside = inside.strip()
    if _POSITION.match(inside):
        return Segment(name, position=int(inside))
    keys: list[tuple[str, str]] = []
    for item in inside.split(","):
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip().strip("'\"")
        if not eq or not _NAME.match(key) or not value:
            raise OverrideError(
                f"override path '{shorten(whole)}': '[{shorten(inside)}]' is neither a "
                "position ([2]) nor keys ([unit=Sales] or [unit=Sales,rating=Exceeds])"
            )
        keys.append((key, value))
    return Segment(name, keys=tuple(keys))


def read_value(text: str, what: str) -> Any:
    """VALUE read by the policy files' own reader: scalars stay their text (``1.10``, ``NO``,
    ``150%``), ``[105%, 110%]`` is a list of texts; nothing at all is an error."""
    try:
        value = load_yaml_text(text, what).data
    except PolicyError as exc:
        raise OverrideError(
            f"{what}: '{shorten(text)}' cannot be read as a value ({exc.problems[0].message})"
        ) from None
    if value is None:
        raise OverrideError(f"{what}: no value after '='")
    return value
