"""The runtime: what a compiled policy evaluates per employee, and the policy bound to one run."""
