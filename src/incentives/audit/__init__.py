"""Audit: what a run records about itself (manifest, rulebook.json) and explanations."""
