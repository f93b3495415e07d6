"""The policy language: what a policy file says (YAML with lines, the schema, scalar and field types)."""

from incentives.rulebook.language.lean_start import (
    no_pydantic_plugins,
    yaml_with_lazy_printable_check,
)

no_pydantic_plugins()
yaml_with_lazy_printable_check()
