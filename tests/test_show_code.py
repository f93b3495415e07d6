"""The generated code in view: `incentives check --show-code POLICY` prints the module a
policy compiles to, and a traceback into generated code shows its lines."""

from __future__ import annotations

import ast
from collections.abc import Callable

from conftest import RULES, CliRun
from incentives.rulebook.rulebook import load_rules

Cli = Callable[..., CliRun]


def test_show_code_prints_the_module_the_engine_runs(cli: Cli) -> None:
    """stdout is the policy's generated module, exactly as compiled: valid Python with the
    `evaluate` function, reading the policy's inputs; nothing else is printed."""
    run = cli("check", "--rules", RULES, "--show-code", "annual-bonus-2026")
    assert run.exit_code == 0, run.output
    assert run.stderr == ""
    assert run.stdout == load_rules(RULES).policy("annual-bonus-2026").source + "\n"
    module = ast.parse(run.stdout)
    functions = {node.name for node in module.body if isinstance(node, ast.FunctionDef)}
    assert "evaluate" in functions
    assert "v_base_salary" in run.stdout
    assert not run.stdout.startswith("ok ")  # the module only, not the check listing


def test_an_unknown_policy_is_a_usage_error_with_a_suggestion(cli: Cli) -> None:
    run = cli("check", "--rules", RULES, "--show-code", "annual-bonus")
    assert run.exit_code == 2
    assert run.stdout == ""
    assert "--show-code" in run.stderr
    assert "no policy 'annual-bonus'; did you mean 'annual-bonus-2026'?" in run.stderr
    assert "Traceback" not in run.output


def test_an_id_like_no_policy_lists_the_policies(cli: Cli) -> None:
    run = cli("check", "--rules", RULES, "--show-code", "zzz")
    assert run.exit_code == 2
    assert "policies: annual-bonus-2026, merit-2027, promotion-2027" in run.stderr
