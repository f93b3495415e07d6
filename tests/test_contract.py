"""The contract between generated code and the runtime (`rulebook.runtime.contract`) is complete:
every global a compiled policy reads is declared there and supplied when the policy is bound,
and every declared name is read by some policy."""

from __future__ import annotations

import ast
import builtins
import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from conftest import RULES
from incentives.rulebook.rulebook import load_rules
from incentives.rulebook.runtime.contract import (
    DECLARED,
    GENERATED_FUNCTIONS,
    PYTHON_BUILTINS,
    constant_name,
    declared,
)
from incentives.rulebook.runtime.policy import CompiledPolicy

ROOT = Path(__file__).parent.parent
FOLDERS = (
    Path(RULES),
    ROOT / "bench" / "rules",
    ROOT / "tests" / "policies" / "valid",
    ROOT / "tests" / "policies" / "contract",
    ROOT / "tests" / "policies" / "valid" / "several_plans" / "two_plans",
    ROOT / "tests" / "policies" / "valid" / "several_plans" / "combined_cap",
)


@cache
def _policies() -> tuple[CompiledPolicy, ...]:
    return tuple(p for folder in FOLDERS for p in load_rules(folder).policies)


def _globals_read(source: str) -> set[str]:
    """The names the module reads that none of its functions binds: its globals."""
    tree = ast.parse(source)
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return read - bound


@pytest.mark.parametrize("policy", _policies(), ids=lambda p: p.id)
def test_every_global_of_generated_code_is_declared_and_supplied(policy: CompiledPolicy) -> None:
    """Each global the module reads is a Python builtin the contract allows or a name (or
    family member) the contract declares, and binding the policy supplies it."""
    bound = policy.bind(figures=_figures(policy))
    supplied = bound.evaluate.__globals__
    for name in sorted(_globals_read(policy.source)):
        if name in PYTHON_BUILTINS:
            assert hasattr(builtins, name)
            continue
        assert not hasattr(builtins, name), f"{name}: a Python builtin the contract does not allow"
        assert declared(name) is not None, f"{policy.id}: {name} is not in the contract"
        assert name in supplied, f"{policy.id}: {name} is declared but not supplied by bind"


def test_every_declared_name_is_read_by_some_policy() -> None:
    """No name of the contract is dead: each single name is read, and each family has a
    member read, by the sample, bench or test policies."""
    read = set().union(*(_globals_read(p.source) for p in _policies()))
    used = {d.name for name in read if (d := declared(name)) is not None}
    assert sorted(set(DECLARED) - used) == []


def test_the_generated_module_defines_what_bind_reads() -> None:
    """Every policy's module defines each function of the contract (None where a pass is
    not needed), and nothing else."""
    for policy in _policies():
        namespace: dict[str, object] = {}
        exec(policy.code, {}, namespace)  # definitions only: nothing runs
        assert set(namespace) == set(GENERATED_FUNCTIONS), policy.id


def test_constants_are_named_for_what_they_hold() -> None:
    """A number or date constant is named by its value, readably and without collisions."""
    assert constant_name(Decimal("0.05")) == "NUM_0_05"
    assert constant_name(Decimal("-1")) == "NUM_minus_1"
    assert constant_name(Decimal("1E+3")) == "NUM_1e3"
    assert constant_name(Decimal("1.0")) != constant_name(Decimal("10"))
    assert constant_name(datetime.date(2026, 3, 31)) == "DATE_2026_03_31"
    for name in ("RESULT_BY_UNIT_sales", "PLAN_SCORE_BY_UNIT_company"):
        assert declared(name) is DECLARED[name.rsplit("_", 1)[0] + "_"]


def _figures(policy: CompiledPolicy) -> dict[tuple[str, str, str], Decimal]:
    """An actual for each result the policy does not give one (binding needs it)."""
    return {
        (name, "", "actual"): Decimal(1)
        for name, result in policy.spec.results.items()
        if result.actual is None and not result.by
    }


def test_a_name_outside_the_contract_is_caught() -> None:
    """The walk finds a global the generated code would read without the contract knowing it
    (a typo'd prefix, a cryptic name), and never mistakes a local or an argument for one."""
    source = "def evaluate(c, X, SEGS=None):\n    v_a = c[0]\n    return T_rate(v_a), PARAM_x\n"
    assert _globals_read(source) == {"T_rate", "PARAM_x"}
    assert declared("T_rate") is None
    assert declared("K0") is None
    assert declared("PARAM_x") is DECLARED["PARAM_"]
