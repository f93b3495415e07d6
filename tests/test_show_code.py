"""The generated code in view: `incentives check --show-code POLICY` prints the module a
policy compiles to, and a traceback into generated code shows its lines."""

from __future__ import annotations

import ast
import multiprocessing
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from conftest import RULES, CliRun
from incentives.errors import RowError
from incentives.parallel import can_fork
from incentives.rulebook.rulebook import load_rules
from incentives.rulebook.runtime.contract import POPULATION_FAILED
from incentives.rulebook.runtime.policy import BoundPolicy

Cli = Callable[..., CliRun]

# the line of generated code a failed population formula raises from
_RAISE_POPULATION_FAILED = f"raise {POPULATION_FAILED}(_s, _e, locals()) from None"


def test_show_code_prints_the_module_the_engine_runs(cli: Cli) -> None:
    """stdout is the policy's generated module, exactly as compiled: valid Python with the
    `evaluate` function, reading the policy's inputs; nothing else is printed on stdout (the
    header goes to stderr, see below)."""
    run = cli("check", "--rules", RULES, "--show-code", "annual-bonus-2026")
    assert run.exit_code == 0, run.output
    assert all(line.startswith("#") for line in run.stderr.splitlines())
    assert run.stdout == load_rules(RULES).policy("annual-bonus-2026").source + "\n"
    module = ast.parse(run.stdout)
    functions = {node.name for node in module.body if isinstance(node, ast.FunctionDef)}
    assert "evaluate" in functions
    assert "v_base_salary" in run.stdout
    assert not run.stdout.startswith("ok ")  # the module only, not the check listing


def test_show_code_says_which_policy_and_the_values_its_names_are_bound_to(cli: Cli) -> None:
    """A reader of `F_min((v_target_bonus * PARAM_max_multiple), ...)` sees that max_multiple
    is 2: a comment header on stderr names the policy, its file, the pseudo-filename (with the
    source hash) tracebacks show, and each constant the module reads with its value; stdout
    stays the module, so its line numbers are those of a traceback."""
    run = cli("check", "--rules", RULES, "--show-code", "annual-bonus-2026")
    policy = load_rules(RULES).policy("annual-bonus-2026")
    header = run.stderr.splitlines()
    assert header[0].startswith("# policy annual-bonus-2026 from ")
    assert policy.code.co_filename in run.stderr
    assert "# PARAM_max_multiple = 2\n" in run.stderr
    assert "# DEFAULT_fte = 1\n" in run.stderr
    assert "# DATE_2026_10_01 = 2026-10-01\n" in run.stderr
    assert "# ALLOWED_currency = EUR, GBP, USD\n" in run.stderr
    assert all(line.startswith("#") for line in header)
    assert run.stdout == policy.source + "\n"


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
    assert (
        "policies: annual-bonus-2026, ltip-psu-2024, merit-2027, promotion-2027,"
        " sales-incentive-2026-q4" in run.stderr
    )


_BOUND: dict[str, BoundPolicy] = {}  # bound in the parent, inherited by a forked worker


def _raise_inside_generated_code(policy_id: str) -> str:
    """A deliberate engine bug: the generated `population` given no row at all."""
    if policy_id not in _BOUND:
        _BOUND[policy_id] = load_rules(RULES).policy(policy_id).bind()
    try:
        _BOUND[policy_id].population(None)  # type: ignore[arg-type]
    except Exception:
        return traceback.format_exc()
    raise AssertionError("the generated code accepted a missing row")


def test_a_traceback_into_generated_code_shows_its_lines() -> None:
    """The frames in the generated module name it after its policy and quote its lines, the
    same lines `--show-code` prints."""
    policy = load_rules(RULES).policy("promotion-2027")
    text = _raise_inside_generated_code("promotion-2027")
    assert 'File "<policy promotion-2027' in text
    frame_lines = [
        line.strip()
        for line in text.splitlines()[1:]
        if line.strip() and not line.lstrip().startswith(("File ", "Traceback", "^"))
    ]
    generated = {line.strip() for line in policy.source.splitlines() if line.strip()}
    assert _RAISE_POPULATION_FAILED in frame_lines
    assert _RAISE_POPULATION_FAILED in generated


def test_generated_lines_are_shown_after_a_fork() -> None:
    """A worker forked after compiling and binding (the both-core path) shows the same lines
    without compiling anything itself."""
    if not can_fork():
        pytest.skip("no fork on this platform")
    _BOUND["annual-bonus-2026"] = load_rules(RULES).policy("annual-bonus-2026").bind()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        text = pool.submit(_raise_inside_generated_code, "annual-bonus-2026").result()
    assert 'File "<policy annual-bonus-2026' in text
    assert _RAISE_POPULATION_FAILED in text


def _fail_inside_generated_code(policy_id: str) -> None:
    _BOUND[policy_id].population(None)  # type: ignore[arg-type]


def test_an_error_from_a_worker_reaches_the_parent_with_the_generated_lines() -> None:
    """An exception raised in generated code in a forked worker is pickled to the parent as
    before, and the worker's traceback it carries quotes the generated lines."""
    if not can_fork():
        pytest.skip("no fork on this platform")
    _BOUND["merit-2027"] = load_rules(RULES).policy("merit-2027").bind()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(_fail_inside_generated_code, "merit-2027")
        with pytest.raises(RowError, match="policy 'merit-2027'") as raised:
            future.result()
    remote = str(raised.value.__cause__)
    assert 'File "<policy merit-2027' in remote
    assert _RAISE_POPULATION_FAILED in remote


@pytest.mark.parametrize("bug", [AttributeError, NameError, KeyError, IndexError, AssertionError])
def test_an_engine_bug_in_a_step_is_a_traceback_not_a_rejection(
    monkeypatch: pytest.MonkeyPatch, bug: type[Exception]
) -> None:
    """A runtime function the generated code calls fails with an error no roster value can
    cause: it is not told as a rejected row blaming the inputs, it propagates, and its
    traceback quotes the generated line that called it."""
    import incentives.expr as expr
    from conftest import EMPLOYEES, HISTORY, RATES, RATINGS
    from incentives import calculate, open_roster, read_rates

    def broken(*args: object, **kwargs: object) -> object:
        raise bug("engine bug")

    monkeypatch.setitem(expr.NAMESPACE, "F_round_to", broken)
    roster = open_roster(EMPLOYEES, ratings_path=RATINGS, history_path=HISTORY)
    with pytest.raises(bug) as raised:
        list(calculate(load_rules(RULES), roster, rates=read_rates(RATES)))
    text = "".join(traceback.format_exception(raised.value))
    assert 'File "<policy annual-bonus-2026' in text
    assert "F_round_to(" in text


_ENGINE_BUG_RUN = """
import sys
import incentives.expr as expr

def broken(*args, **kwargs):
    raise AttributeError("engine bug")

expr.NAMESPACE["F_round_to"] = broken
from incentives.cli import main
sys.argv = ["incentives", "run", "--rules", sys.argv[1], "--employees", sys.argv[2],
            "--rates", sys.argv[3], "--out", sys.argv[4]]
main()
"""


def test_the_command_line_traceback_of_an_engine_bug_quotes_the_generated_lines(
    tmp_path: Path,
) -> None:
    """`incentives run` meeting an engine bug prints a traceback whose frames in the generated
    module quote its lines (Python's own printer reads only files on disk)."""
    import os
    import subprocess
    import sys

    from conftest import EMPLOYEES, RATES, ROOT

    bonus = tmp_path / "rules"
    bonus.mkdir()
    (bonus / "bonus.yaml").write_bytes((RULES / "annual_bonus.yaml").read_bytes())
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = [str(bonus), str(EMPLOYEES), str(RATES), str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-c", _ENGINE_BUG_RUN, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode != 0
    assert "AttributeError: engine bug" in done.stderr
    frames = done.stderr.split('File "<policy annual-bonus-2026 ')[1:]
    assert frames and all("F_round_to(" in f or "STEP_FAILED" in f for f in frames), done.stderr


def test_a_traceback_into_a_generated_csv_line_function_shows_its_lines() -> None:
    """The line functions the run folder's files are written with are generated code too: a
    fault in one (an engine bug) quotes the line's source, not just `<line …>`."""
    from incentives.io.csv_lines import LineCell, line_function

    line = line_function("test", "v", [LineCell("id", "v"), LineCell("half", "1 // v")], {})
    with pytest.raises(ZeroDivisionError):
        line(0)
    try:
        line(0)
    except ZeroDivisionError:
        shown = traceback.format_exc()
    assert "(1 // v)" in shown


def test_the_generated_roster_converter_is_shown_in_tracebacks() -> None:
    """The roster's generated fast converter is registered like the policies' code: its
    pseudo-file's lines can be read back, so a traceback into it quotes them."""
    import linecache

    from incentives.engine.convert import fast_converter

    rulebook = load_rules(RULES)
    convert = fast_converter(rulebook.fields, {f.name for f in rulebook.fields})
    filename = convert.__code__.co_filename
    assert filename.startswith("<convert ")
    assert linecache.getline(filename, convert.__code__.co_firstlineno).startswith("def convert")
