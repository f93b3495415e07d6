"""The policy language: what a policy file says (YAML with lines, the schema, scalar and field types)."""

from incentives.rulebook.language.lean_start import yaml_with_lazy_printable_check

yaml_with_lazy_printable_check()
