"""The policy language: what a policy file says (YAML with lines, the schema, scalar and field types)."""
