"""Dependencies point one way (docs/architecture.md): the policy language and the runtime
objects never import the compiler, and the engine never imports the compiler either; it reads
what a compiled policy holds."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "incentives"

# (the modules under this folder, the packages they must not import)
RULES = (
    ("rulebook/language", ("incentives.rulebook.compiler", "incentives.rulebook.runtime")),
    ("rulebook/runtime", ("incentives.rulebook.compiler",)),
    ("engine", ("incentives.rulebook.compiler",)),
    # payroll reads run folders: it never computes, compiles, or reaches into the CLI
    (
        "payroll",
        (
            "incentives.cli",
            "incentives.jobs",
            "incentives.engine",
            "incentives.rulebook.compiler",
            "incentives.rulebook.runtime",
        ),
    ),
    # simulations sit beside jobs: they read the engine and io, nothing below reads them
    ("engine", ("incentives.simulation", "incentives.io", "incentives.jobs")),
    ("simulation", ("incentives.cli",)),
    ("io", ("incentives.reports",)),
    ("reports", ("incentives.cli",)),
)


@functools.cache  # the sources do not change during a test session: parsed once, not per rule
def _imports(path: Path) -> frozenset[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(found)


@pytest.mark.parametrize(("folder", "forbidden"), RULES)
def test_imports_point_one_way(folder: str, forbidden: tuple[str, ...]) -> None:
    """No module of the folder imports a forbidden package, even lazily."""
    files = sorted((SRC / folder).rglob("*.py"))
    assert files
    wrong = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in files
        for name in sorted(_imports(path))
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    ]
    assert wrong == []


def test_only_the_rulebook_entry_reaches_into_the_compiler() -> None:
    """Outside the compiler itself, only `rulebook.py` (load, compile, override) imports it:
    the engine, io, audit, jobs and the CLI read compiled policies, never compile."""
    compiler = "incentives.rulebook.compiler"
    importers = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if not path.is_relative_to(SRC / "rulebook" / "compiler")
        and any(n == compiler or n.startswith(compiler + ".") for n in _imports(path))
    }
    assert importers == {"rulebook/rulebook.py"}
