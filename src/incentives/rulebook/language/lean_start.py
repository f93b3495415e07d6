"""What the policy language's libraries would do at every start that a run never needs.

Imported first by the `incentives.rulebook.language` package, before pydantic builds a
validator and before PyYAML is imported (see docs/serial-time.md):

- pydantic looks for plugins when it builds its first validator: it imports
  `importlib.metadata` (and `email`, `zipfile`, `socket`...) and reads the metadata of every
  installed distribution (~13 ms), for plugins that could only watch policy files validated;
- PyYAML compiles, as it is imported, its pure-Python reader's check for non-printable
  characters (~10 ms: a character class over all of Unicode), which only its pure-Python
  parser uses: we parse with libyaml and fall back to it only to word an error.
"""

from __future__ import annotations

import re
import sys
import types
from typing import Any

__all__ = ["LazyPattern", "no_pydantic_plugins", "yaml_with_lazy_printable_check"]

# PyYAML's `yaml.reader.Reader.NON_PRINTABLE` pattern, as its reader.py writes it
YAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def no_pydantic_plugins() -> None:
    """Tell pydantic, before it builds a validator, that no plugin observes our validation:
    its loader of plugins is stood in for by one that finds none, unless a program loaded the
    real one first (then pydantic's own look stays: `setdefault`). For the command line's
    own process only (`incentives.cli`): a program that imports the library keeps its plugins.
    Any other name pydantic may ask of the loader is the real module's, loaded then."""
    loader = types.ModuleType("pydantic.plugin._loader", "pydantic plugins: none (incentives)")
    loader.get_plugins = tuple  # type: ignore[attr-defined]  # no plugins: ()
    loader.__getattr__ = _real_loader_attribute  # type: ignore[method-assign]
    sys.modules.setdefault("pydantic.plugin._loader", loader)


def _real_loader_attribute(name: str) -> Any:
    """An attribute of pydantic's real plugin loader, loaded from its file beside the
    stand-in (a later pydantic asking its loader for more than `get_plugins`)."""
    if name.startswith("__"):  # a module's own attributes (__file__, __path__): none here
        raise AttributeError(name)
    import importlib.machinery
    import importlib.util

    import pydantic.plugin

    spec = importlib.machinery.PathFinder.find_spec("_loader", list(pydantic.plugin.__path__))
    if spec is None or spec.loader is None:
        raise AttributeError(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


class LazyPattern:
    """A regular expression compiled on its first use; until then only its text is kept.
    Every attribute is the compiled pattern's (`search`, `match`...), so it is used as one."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self.compiled is None:
            self.compiled = re.compile(self.pattern)  # the real one: not in re's cache
        return getattr(self.compiled, name)


def yaml_with_lazy_printable_check() -> None:
    """Import PyYAML with its reader's check for non-printable characters a `LazyPattern`:
    while it is imported, `re.compile` of that text finds it in the `re` module's cache of
    compiled patterns. If PyYAML was imported already, or that cache is not a dict as in
    CPython 3.11 and 3.12, PyYAML compiles it as usual."""
    if "yaml" in sys.modules:
        return
    cache = getattr(re, "_cache", None)
    key = (str, YAML_NON_PRINTABLE, 0)
    if isinstance(cache, dict):
        cache[key] = LazyPattern(YAML_NON_PRINTABLE)
    try:
        import yaml  # noqa: F401
    finally:
        for name in ("_cache", "_cache2"):  # 3.12 copies it to a second cache
            held = getattr(re, name, None)
            if isinstance(held, dict) and isinstance(held.get(key), LazyPattern):
                del held[key]
