"""Overrides as layers: what each source (a scenario file, ``--set``, a notebook) changed.

    overrides_of(["max_multiple=150%"] | {"max_multiple": "150%"}) -> [(path, value)]
    edits_for(items, policies, layer=...) -> tuple[Edit, ...]
    edited(data, edits) -> a copy of a policy file's data with the edits made

A run records its layers in the manifest (policy files < --results < scenario < --set).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from incentives.errors import OverrideError, shorten
from incentives.rulebook.overrides.edits import Edit
from incentives.rulebook.overrides.grammar import parse_path, read_value, split_assignment
from incentives.rulebook.overrides.targets import resolve
from incentives.rulebook.runtime.policy import CompiledPolicy

__all__ = ["Layer", "edited", "edits_for", "overrides_of"]


@attrs.frozen
class Layer:
    """One source of overrides, in the order applied; ``file``/``sha256`` for a scenario."""

    name: str
    edits: tuple[Edit, ...]
    file: str | None = None
    sha256: str | None = None

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {"layer": self.name}
        if self.file is not None:
            data["file"] = self.file
            data["sha256"] = self.sha256
        data["overrides"] = [edit.describe() for edit in self.edits]
        return data


_Item = tuple[str, Any, bool]  # (path text, value, whether the value is still unread text)


def overrides_of(
    overrides: str | Iterable[str] | Mapping[str, Any], *, read: bool = True
) -> list[_Item]:
    """``"PATH=VALUE"`` texts, or a mapping PATH → value (a text read as a policy file reads
    it, a `Decimal`, an int, or a pair for a curve point), as (path, value, unread) items."""
    if isinstance(overrides, str):
        overrides = [overrides]
    if isinstance(overrides, Mapping):
        items: list[_Item] = []
        for path, value in overrides.items():
            if not isinstance(path, str):
                raise OverrideError(f"an override path is text, not {shorten(repr(path))}")
            items.append((path, value, read and isinstance(value, str)))
        return items
    found: list[_Item] = []
    for text in overrides:
        if not isinstance(text, str):
            raise OverrideError(f"an override is 'PATH=VALUE' text, not {shorten(repr(text))}")
        path, value = split_assignment(text)
        found.append((path, value, True))
    return found


def edits_for(
    items: Iterable[_Item], policies: Sequence[CompiledPolicy], *, layer: str
) -> tuple[Edit, ...]:
    """Each item resolved against the policies (the first error raised)."""
    edits: list[Edit] = []
    for path_text, value, unread in items:
        path = parse_path(path_text)
        if unread:
            value = read_value(value, f"override '{shorten(path_text)}'")
        edits.append(resolve(path, value, policies, layer=layer))
    return tuple(edits)


def edited(data: Any, edits: Iterable[Edit]) -> Any:
    """A deep copy of a policy file's data with each edit's value put at its place."""
    data = copy.deepcopy(data)
    for edit in edits:
        target = data
        for part in edit.data_path[:-1]:
            target = target[part]
        target[edit.data_path[-1]] = copy.deepcopy(edit.value)
    return data
