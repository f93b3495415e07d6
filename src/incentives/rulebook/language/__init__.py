"""The policy language: what a policy file says (YAML with lines, the schema, scalar and field types)."""

import sys
import types


def _no_pydantic_plugins() -> None:
    """Tell pydantic, before it builds the schema's first validator, that no plugin observes
    our validation. Pydantic otherwise looks for plugins when it builds a validator: it
    imports `importlib.metadata` (and `email`, `zipfile`, `socket`...) and reads the metadata
    of every installed distribution, ~13 ms of every run's start, for plugins that would only
    watch policy files being validated. Its loader module stands in for the real one unless a
    program loaded that first (then pydantic's own lookup stays: `setdefault`)."""
    loader = types.ModuleType("pydantic.plugin._loader", "pydantic plugins: none (incentives)")
    loader.get_plugins = tuple  # type: ignore[attr-defined]  # no plugins: ()
    sys.modules.setdefault("pydantic.plugin._loader", loader)


_no_pydantic_plugins()
