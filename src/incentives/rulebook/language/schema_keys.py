"""Which keys a policy file allows where: the answer to an unknown key.

An unknown key is answered from the keys allowed at its place (the schema models reached by
following its path), never from every key of the language: so `formla:` in a step suggests
`formula`, and a key of the language written in the wrong place (a per-unit `override:`, `bands:`
on a table axis) says where it belongs instead of suggesting itself.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Sequence

from pydantic import BaseModel

from incentives.rulebook.language import schema

__all__ = ["unknown_key"]

_ROOT: type[BaseModel] = schema.PolicyFile


def unknown_key(path: Sequence[str | int]) -> tuple[str, str]:
    """``(message, hint)`` for the unknown key at the end of ``path`` (from the file's top)."""
    key = str(path[-1])
    allowed = sorted(_keys(_models_at(path[:-1])))
    close = difflib.get_close_matches(key, allowed, n=1)
    section = str(path[0]) if len(path) > 1 else ""
    # the places nearest first: in the same section, then the shortest
    places = sorted(_places().get(key, ()), key=lambda p: (p.split(".")[0] != section, len(p)))
    if places and key not in allowed:
        where = " or ".join(f"under {p}" if p else "at the top level" for p in places[:2])
        where += " …" if len(places) > 2 else ""
        message = f"'{key}' is not allowed here (it belongs {where})"
        return message, f"did you mean '{close[0]}'?" if close else ""
    if close:
        return f"unknown key '{key}'", f"did you mean '{close[0]}'?"
    if allowed:
        return f"unknown key '{key}'", "allowed here: " + ", ".join(allowed)
    return f"unknown key '{key}'", "see docs/policy-language.md"


def _keys(models: Sequence[type[BaseModel]]) -> set[str]:
    return {info.alias or name for model in models for name, info in model.model_fields.items()}


def _models_at(path: Sequence[str | int]) -> list[type[BaseModel]]:
    """The models a mapping at ``path`` may be (several where the schema has a union)."""
    current: list[object] = [_ROOT]
    for part in path:
        following: list[object] = []
        for node in _unwrap(current):
            if isinstance(node, type) and issubclass(node, BaseModel):
                for name, info in node.model_fields.items():
                    if part in (name, info.alias):
                        following.append(info.annotation)
            else:
                origin, args = typing.get_origin(node), typing.get_args(node)
                if origin is dict and len(args) == 2 and isinstance(part, str):
                    following.append(args[1])
                elif origin in (list, tuple) and args and isinstance(part, int):
                    following.extend(a for a in args if a is not Ellipsis)
        current = following
    return [n for n in _unwrap(current) if isinstance(n, type) and issubclass(n, BaseModel)]


def _unwrap(nodes: Sequence[object]) -> list[object]:
    """Annotated and unions opened up to the types they hold."""
    found: list[object] = []
    for node in nodes:
        origin = typing.get_origin(node)
        if origin is typing.Annotated:
            found += _unwrap([typing.get_args(node)[0]])
        elif origin is typing.Union or origin is types.UnionType:
            found += _unwrap(typing.get_args(node))
        else:
            found.append(node)
    return found


@functools.cache
def _places() -> dict[str, tuple[str, ...]]:
    """Each key of the language and the places it is allowed (``results.<name>``; "" for the
    top level), found by walking the schema from the top."""
    places: dict[str, list[str]] = {}

    def walk(node: object, where: str, within: frozenset[type[BaseModel]]) -> None:
        for item in _unwrap([node]):
            if isinstance(item, type) and issubclass(item, BaseModel):
                if item in within:  # a model inside itself (scorecard items): once is enough
                    continue
                for name, info in item.model_fields.items():
                    key = info.alias or name
                    places.setdefault(key, []).append(where)
                    walk(info.annotation, f"{where}.{key}" if where else key, within | {item})
                continue
            origin, args = typing.get_origin(item), typing.get_args(item)
            if origin is dict and len(args) == 2:
                walk(args[1], f"{where}.<name>", within)
            elif origin in (list, tuple):
                for arg in args:
                    if arg is not Ellipsis:
                        walk(arg, f"{where}[]", within)

    walk(_ROOT, "", frozenset())
    return {key: tuple(dict.fromkeys(where)) for key, where in places.items()}
