"""The package version, in one place (recorded in every manifest)."""

__version__ = "0.1.0"
