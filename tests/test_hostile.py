"""Hostile inputs hit hard limits: each is a clear error (or a clean result), fast, never a traceback.

Policy files and rosters are written by people and copied between companies, so they are treated
like uploads. Every case below runs the real command line (`check` for a policy, `run` for a roster
or an output) on a file generated in ``tmp_path`` and asserts the exit code, the message and a
generous time bound: 5 s of CPU time (the real times are far lower), which a loaded machine does
not stretch as it stretches the clock, and 60 s of wall time, which catches a command waiting
instead of working (a sleep, a blocked read). The limits and their values are documented in
docs/policy-language.md ("Limits").

The slowest cases: ``pytest tests/test_hostile.py --durations=10`` (the 500 MB case's time there
includes writing the file; the bounds apply to the command alone).

Exit codes: 0 computed; 1 a fault of a policy or an input file (a message, no traceback);
3 some rows rejected.
"""

from __future__ import annotations

import csv
import io
import json
import os
import textwrap
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EMPLOYEES, RATES, RATINGS, RULES, CliRun, employee_files, invoke, spent
from engine_helpers import policy_yaml
from incentives.io.csv_lines import csv_line

CPU_LIMIT = 5.0  # seconds of this process's CPU time; generous on purpose
WALL_LIMIT = 60.0  # seconds of the clock: only waiting (no work) comes near it

SIMPLE = """
    steps:
      bonus: {formula: "salary * 10%", type: money}
    pay:
      - {name: annual_bonus, step: bonus, pay_code: AIP}
    """
SIMPLE_TOP = textwrap.dedent(SIMPLE)  # to append more top-level sections to
SALARY = "salary: {type: decimal}\n"
ROSTER_HEADER = "employee_id,plan,currency,salary\n"


@attrs.frozen
class Case:
    """A hostile input: how to build the command line in a folder, what it must answer."""

    name: str
    build: Callable[[Path], list[str | Path]]
    exit_code: int
    says: tuple[str, ...]
    check: Callable[[Path], None] | None = None  # more assertions on the folder afterwards
    memory: bool = False  # also measure the memory allocated (slower: tracemalloc)


CASES: list[Case] = []


def case(name: str, exit_code: int, *says: str, check: Callable[[Path], None] | None = None):
    def register(build: Callable[[Path], list[str | Path]]) -> Callable[[Path], list[str | Path]]:
        CASES.append(Case(name, build, exit_code, says, check))
        return build

    return register


# -- building blocks -------------------------------------------------------------------------


def rules_with(folder: Path, text: str, name: str = "policy.yaml") -> Path:
    rules = folder / "rules"
    rules.mkdir(exist_ok=True)
    (rules / name).write_text(text, encoding="utf-8")
    return rules


def check_policy(text: str) -> Callable[[Path], list[str | Path]]:
    return lambda folder: ["check", "--rules", rules_with(folder, text)]


def policy_case(name: str, text: str, exit_code: int, *says: str) -> None:
    CASES.append(Case(name, check_policy(text), exit_code, says))


def with_body(body: str, inputs: str = SALARY) -> str:
    return policy_yaml(body, inputs=inputs)


def formula_policy(formula: str, inputs: str = SALARY) -> str:
    body = f"""
    steps:
      bonus: {{formula: "{formula}", type: money}}
    pay:
      - {{name: annual_bonus, step: bonus, pay_code: AIP}}
    """
    return with_body(body, inputs)


def formula_case(name: str, formula: str, exit_code: int, *says: str, inputs: str = SALARY) -> None:
    policy_case(name, formula_policy(formula, inputs), exit_code, *says)


def run_args(folder: Path, roster: Path, *extra: str | Path) -> list[str | Path]:
    rules = rules_with(folder, with_body(SIMPLE))
    return ["run", "--rules", rules, "--employees", roster, "--out", folder / "out", *extra]


def roster_bytes(folder: Path, data: bytes) -> Path:
    path = folder / "roster.csv"
    path.write_bytes(data)
    return path


def roster_case(name: str, make: Callable[[], bytes], exit_code: int, *says: str) -> None:
    CASES.append(
        Case(name, lambda folder: run_args(folder, roster_bytes(folder, make())), exit_code, says)
    )


# == YAML ======================================================================================

BASE = with_body(SIMPLE)


def laughs(levels: int, width: int, flow: bool) -> str:
    lines = ['a0: &a0 "lol"']
    for level in range(1, levels):
        items = ", ".join(f"*a{level - 1}" for _ in range(width))
        if flow:
            lines.append(f"a{level}: &a{level} [{items}]")
        else:
            lines.append(f"a{level}: &a{level}")
            lines += [f"  - *a{level - 1}" for _ in range(width)]
    return "\n".join(lines) + "\n"


policy_case("billion-laughs-flow", laughs(10, 10, True) + BASE, 1, "aliases expand to more than")
policy_case("billion-laughs-block", laughs(9, 9, False) + BASE, 1, "aliases expand to more than")
policy_case(
    "billion-laughs-wide", laughs(4, 1000, True) + BASE, 1, "aliases expand to more than 100,000"
)
policy_case(
    "merge-key-bomb",
    "m0: &m0 {x: 1}\n"
    + "".join(
        f"m{i}: &m{i}\n" + "".join(f"  k{j}: *m{i - 1}\n" for j in range(10)) for i in range(1, 9)
    )
    + "steps:\n  <<: [*m8, *m8, *m8, *m8]\n",
    1,
    "aliases expand to more than",
)
policy_case(
    "recursive-anchor-mapping",
    "tables: &t\n  self: *t\n" + BASE,
    1,
    "the alias *t is used inside the anchor &t",
)
policy_case(
    "recursive-anchor-sequence", "loop: &l [1, *l]\n" + BASE, 1, "used inside the anchor &l"
)
policy_case(
    "recursive-anchor-deep",
    "x: &x\n  a:\n    b:\n      - c: *x\n" + BASE,
    1,
    "used inside the anchor &x",
)
policy_case("undefined-alias", "x: *nothing\n" + BASE, 1, "the alias *nothing has no anchor")
policy_case(
    "nesting-flow-1000", "x: " + "[" * 1000 + "]" * 1000 + "\n" + BASE, 1, "nested more than 100"
)
policy_case(
    "nesting-flow-100000",
    "x: " + "[" * 100_000 + "]" * 100_000 + "\n" + BASE,
    1,
    "nest",  # libyaml itself stops at its maximum nesting depth, before our limit
)
policy_case(
    "nesting-flow-mappings",
    "x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n" + BASE,
    1,
    "nested more than 100",
)
policy_case(
    "nesting-block-150",
    "".join("  " * level + f"k{level}:\n" for level in range(150)) + "  " * 150 + "v: 1\n",
    1,
    "nested more than 100",
)
policy_case(
    "nesting-block-lists-300",
    "".join("  " * level + "-\n" for level in range(300)) + "  " * 300 + "- 1\n",
    1,
    "nested more than 100",
)
policy_case(
    "nesting-through-aliases",
    "".join(f"n{i}: &n{i} [[[[[[[[[[{'*n' + str(i - 1) if i else 1}]]]]]]]]]]\n" for i in range(30))
    + BASE,
    1,
    "aliases nest more than 100",
)
policy_case("file-size-6mb", BASE + ("# " + "x" * 98 + "\n") * 60_000, 1, "larger than 5 MB")
policy_case(
    "file-size-one-scalar-6mb",
    BASE + "description: " + "x" * 6_000_000 + "\n",
    1,
    "larger than 5 MB",
)
policy_case(
    "values-250000",
    BASE + "".join(f"junk{i}: [" + ", ".join(["1"] * 5000) + "]\n" for i in range(50)),
    1,
    "more than 100,000 values in one file",
)
policy_case(
    "keys-20000-inputs",
    policy_yaml(
        SIMPLE, inputs=SALARY + "".join(f"in{i}: {{type: decimal}}\n" for i in range(20_000))
    ),
    1,
    "more than 10,000 entries",
)
policy_case(
    "steps-20000",
    with_body(
        "steps:\n"
        + "".join(f'  s{i}: {{formula: "salary", type: money}}\n' for i in range(20_000))
        + '  bonus: {formula: "salary", type: money}\n'
        + "pay:\n  - {name: annual_bonus, step: bonus, pay_code: AIP}\n"
    ),
    1,
    "more than 10,000 entries",
)
policy_case(
    "table-bands-20000",
    with_body(
        SIMPLE_TOP
        + "tables:\n  t:\n    axes:\n      - {name: salary, match: exact, at: ["
        + ", ".join(str(i) for i in range(20_000))
        + "]}\n    values: ["
        + ", ".join("1" for _ in range(20_000))
        + "]\n"
    ),
    1,
    "more than 10,000 entries",
)
policy_case(
    "curve-points-20000",
    with_body(
        SIMPLE_TOP
        + "curves:\n  c:\n    points: ["
        + ", ".join(f"[{i}, {i}]" for i in range(20_000))
        + "]\n"
    ),
    1,
    "more than 10,000 entries",
)
policy_case(
    "allowed-values-20000",
    policy_yaml(
        SIMPLE,
        inputs=SALARY
        + "grade: {type: text, allowed: ["
        + ", ".join(f"g{i}" for i in range(20_000))
        + "]}\n",
    ),
    1,
    "more than 10,000 entries",
)


def big_table(rows: int, columns: int) -> str:
    """A valid policy with a rows × columns range table (a large but real policy)."""
    return with_body(
        SIMPLE_TOP
        + "tables:\n  t:\n    axes:\n"
        + "      - {name: salary, match: exact, at: ["
        + ", ".join(str(i * 10) for i in range(rows))
        + "]}\n"
        + "      - {name: bonus_years, match: exact, at: ["
        + ", ".join(str(i) for i in range(columns))
        + "]}\n"
        + "    values:\n"
        + "".join(
            "      - [" + ", ".join(f"{r}.{c}" for c in range(columns)) + "]\n" for r in range(rows)
        ),
        SALARY + "bonus_years: {type: decimal}\n",
    )


policy_case("ok-table-300x300", big_table(300, 300), 0, "ok  ")
policy_case("table-330x330-too-many-values", big_table(330, 330), 1, "more than 100,000 values")


for tag, text in (
    ("python-object-apply", '!!python/object/apply:os.system ["echo pwned"]'),
    ("python-name", "!!python/name:os.system"),
    ("python-module", "!!python/module:os"),
    ("python-tuple", "!!python/tuple [1, 2]"),
    ("binary", "!!binary aGVsbG8="),
    ("set", "!!set {a, b}"),
    ("omap", "!!omap [{a: 1}]"),
    ("local-tag", "!include other.yaml"),
    ("verbatim-tag", "!<tag:evil.example,2026:x> 1"),
):
    policy_case(f"tag-{tag}", BASE + f"description: {text}\n", 1, "is not allowed")
policy_case(
    "duplicate-top-key",
    BASE + "steps:\n  other: {formula: '1', type: money}\n",
    1,
    "'steps' is declared twice",
)
policy_case(
    "duplicate-step",
    with_body(
        """
        steps:
          bonus: {formula: "salary * 10%", type: money}
          bonus: {formula: "salary * 90%", type: money}
        pay:
          - {name: annual_bonus, step: bonus, pay_code: AIP}
        """
    ),
    1,
    "steps.bonus: 'bonus' is declared twice",
)
policy_case("lone-surrogate-high", BASE + 'description: "\\ud800"\n', 1, "lone surrogate")
policy_case(
    "lone-surrogate-in-formula",
    formula_policy("salary * 10% if '\\udfff' == 'a' else 0"),
    1,
    "lone surrogate",
)
policy_case("lone-surrogate-key", BASE + '"\\udc80": 1\n', 1, "lone surrogate")
policy_case(
    "syntax-error-after-250kb",
    BASE + "junk:\n" + "".join(f"  k{i}: [a, b, c, d]\n" for i in range(10_000)) + "bad: [x\n",
    1,
    "invalid YAML",
)
policy_case(
    "syntax-error-after-60kb",
    BASE + "junk:\n" + "".join(f"  k{i}: [a, b, c, d]\n" for i in range(2_500)) + "bad: [x\n",
    1,
    "invalid YAML: while parsing a flow sequence",  # PyYAML's wording, re-read
)
policy_case(
    "syntax-error-after-4mb",
    BASE + "junk:\n" + "".join(f"  - {'x' * 390}\n" for i in range(10_000)) + "bad: [x\n",
    1,
    "invalid YAML",
)
policy_case("second-document", BASE + "---\n" + BASE, 1, "one YAML document")
policy_case("nul-byte", BASE + "description: a\x00b\n", 1, "invalid YAML")
policy_case("control-characters", BASE + "description: a\x07b\n", 1, "invalid YAML")
policy_case("empty-file", "", 1, "a policy file is a mapping")
policy_case("only-a-scalar", "hello\n", 1, "a policy file is a mapping")


@case("not-utf8-policy", 1, "not UTF-8 text")
def _not_utf8(folder: Path) -> list[str | Path]:
    rules = rules_with(folder, BASE)
    (rules / "policy.yaml").write_bytes(BASE.encode() + b"description: \xff\xfe\n")
    return ["check", "--rules", rules]


@case("utf16-policy", 1, "not UTF-8 text")
def _utf16(folder: Path) -> list[str | Path]:
    rules = rules_with(folder, BASE)
    (rules / "policy.yaml").write_bytes(BASE.encode("utf-16"))
    return ["check", "--rules", rules]


@case("policy-files-600", 1, "600 policy files; the limit is 500")
def _many_files(folder: Path) -> list[str | Path]:
    rules = folder / "rules"
    rules.mkdir()
    for index in range(600):
        (rules / f"p{index:03d}.yaml").write_text("x: 1\n", encoding="utf-8")
    return ["check", "--rules", rules]


@case("fifo-in-rules", 1, "fifo.yaml: a named pipe (FIFO), not a policy file")
def _fifo(folder: Path) -> list[str | Path]:
    rules = rules_with(folder, BASE)
    os.mkfifo(rules / "fifo.yaml")
    return ["check", "--rules", rules]


@case("dangling-symlink-in-rules", 1, "gone.yaml: a symbolic link to", "which does not exist")
def _dangling(folder: Path) -> list[str | Path]:
    rules = rules_with(folder, BASE)
    (rules / "gone.yaml").symlink_to(folder / "nowhere.yaml")
    return ["check", "--rules", rules]


@case("looping-symlink-in-rules", 1, "loop.yaml: a symbolic link that loops back on itself")
def _looping(folder: Path) -> list[str | Path]:
    rules = rules_with(folder, BASE)
    (rules / "loop.yaml").symlink_to(rules / "loop2.yaml")
    (rules / "loop2.yaml").symlink_to(rules / "loop.yaml")
    return ["check", "--rules", rules]


@case("device-in-rules", 1, "null.yaml: a device, not a policy file")
def _device(folder: Path) -> list[str | Path]:
    rules = rules_with(folder, BASE)
    (rules / "null.yaml").symlink_to("/dev/null")
    return ["check", "--rules", rules]


@case("folder-named-yaml-in-rules", 1, "old.yaml: a folder, not a policy file")
def _folder(folder: Path) -> list[str | Path]:
    rules = rules_with(folder, BASE)
    (rules / "old.yaml").mkdir()
    return ["check", "--rules", rules]


@case("rules-is-a-fifo", 1, "a named pipe (FIFO), not a policy file")
def _rules_fifo(folder: Path) -> list[str | Path]:
    os.mkfifo(folder / "rules.yaml")
    return ["check", "--rules", folder / "rules.yaml"]


# == expressions ===============================================================================

TERMS = SALARY + "".join(f"a{i}: {{type: decimal}}\n" for i in range(1000))

formula_case(
    "sum-100000-terms", " + ".join(["salary"] * 100_000), 1, "characters long; the limit is 50,000"
)
formula_case("sum-3000-terms", "+".join(["salary"] * 3000), 1, "more than 2,000 names and numbers")
formula_case("sum-100000-short", "+".join(["1"] * 20_000), 1, "more than 2,000 names and numbers")
formula_case("unary-minus-100000", "-" * 100_000 + "salary", 1, "characters long")
formula_case("unary-minus-40000", "-" * 40_000 + "salary", 1, "more than 20 signs")
formula_case("unary-minus-21", "-" * 21 + "salary", 1, "more than 20 signs or 'not's in a row")
formula_case("unary-mixed-signs", "+-" * 5000 + "salary", 1, "more than 20 signs")
formula_case("not-10000", "not " * 10_000 + "salary", 1, "more than 20 signs or 'not's")
formula_case("invert-10000", "~" * 10_000 + "salary", 1, "more than 20 signs")
formula_case("if-nested-10000", "salary if salary > 0 else " * 10_000 + "0", 1, "characters long")
formula_case("if-nested-2000", "1 if salary else " * 2000 + "0", 1, "more than 100 if-expressions")
formula_case(
    "if-nested-parenthesised-2000",
    "(1 if salary else " * 2000 + "0" + ")" * 2000,
    1,
    "more than 100 if-expressions",
)
formula_case("attribute-chain-100000", "salary" + ".a" * 100_000, 1, "characters long")
formula_case(
    "attribute-chain-20000", "salary" + ".a" * 20_000, 1, "more than 20 calls or attributes"
)
formula_case("call-chain-100000", "max(1, 2)" + "()" * 100_000, 1, "characters long")
formula_case("call-chain-20000", "max(1, 2)" + "()" * 20_000, 1, "more than 20 calls or attributes")
formula_case(
    "subscript-chain-10000", "salary" + "[0]" * 10_000, 1, "more than 20 calls or attributes"
)
formula_case(
    "parentheses-10000", "(" * 10_000 + "salary" + ")" * 10_000, 1, "brackets nested more than 200"
)
formula_case(
    "parentheses-201", "(" * 201 + "salary" + ")" * 201, 1, "brackets nested more than 200"
)
formula_case("parentheses-unbalanced-40000", "(" * 40_000, 1, "brackets nested more than 200")
formula_case(
    "calls-nested-300", "max(" * 300 + "salary" + ", 1)" * 300, 1, "brackets nested more than 200"
)
_alternating = "salary"
for _ in range(110):
    _alternating = f"({_alternating} * 2 + 1)"
formula_case("nesting-alternating-110", _alternating, 1, "nests 220 levels deep; the limit is 150")
formula_case("power-chain-10000", "salary" + " ** 2" * 10_000, 1, "")
formula_case("power-chain-parenthesised-5000", "salary" + " ** (2)" * 5000, 1, "")
formula_case("in-list-10000", "salary in (" + ", ".join(["1"] * 10_000) + ")", 1, "more than 2,000")
formula_case("call-args-100000", "max(" + ", ".join(["salary"] * 5000) + ")", 1, "more than 2,000")
formula_case("comparison-chain-5000", " < ".join(["salary"] * 5000), 1, "more than 2,000")
formula_case("and-chain-5000", " and ".join(["salary > 0"] * 3000), 1, "more than 2,000")
formula_case("long-text-literal", "'" + "x" * 60_000 + "' == 'a'", 1, "characters long")
formula_case("dunder-import", "__import__('os').system('echo pwned')", 1, "names starting with '_'")
formula_case("lambda", "(lambda: 1)()", 1, "lambda is not allowed")
formula_case("long-number-literal", "salary * " + "9" * 5000, 1, "has 5,000 digits; at most 40")
formula_case("huge-exponent-literal", "salary * 1e999999999", 1, "out of range")
formula_case("tiny-exponent-literal", "salary * 1e-999999999", 1, "out of range")
formula_case("huge-percent-literal", "salary * 1e99%", 1, "out of range")
# ordinary long formulas still work
formula_case("ok-sum-1000-terms", " + ".join(f"a{i}" for i in range(1000)), 0, "ok  ", inputs=TERMS)
formula_case(
    "ok-weighted-sum-1000-terms",
    " + ".join(f"a{i} * {i}" for i in range(1000)),
    0,
    "ok  ",
    inputs=TERMS,
)
formula_case("ok-parentheses-200", "(" * 200 + "salary" + ")" * 200, 0, "ok  ")
formula_case("ok-nested-sums-100", "(" * 100 + "salary" + " + 1)" * 100, 0, "ok  ")
formula_case("ok-if-chain-90", "1 if salary > 5 else " * 90 + "0", 0, "ok  ")
formula_case("ok-signs-20", "-" * 20 + "salary", 0, "ok  ")


def table_calls(calls: int) -> str:
    """A valid policy whose one formula looks a table up ``calls`` times."""
    return with_body(
        "tables:\n  m:\n    axes:\n      - {name: unit, match: exact, at: [A, B]}\n"
        "    values: [1, 2]\n"
        + SIMPLE_TOP.replace("salary * 10%", "salary * (" + " + ".join(["m(unit)"] * calls) + ")"),
        SALARY + "unit: {type: text, allowed: [A, B]}\n",
    )


def aliased_sums(steps: int, terms: int) -> str:
    """One long sum written once (an anchor) and aliased into ``steps`` steps."""
    total = " + ".join(["salary"] * terms)
    lines = [f'  s0: {{formula: &f "{total}", type: money}}\n']
    lines += [f"  s{i}: {{formula: *f, type: money}}\n" for i in range(1, steps)]
    return with_body(
        "steps:\n" + "".join(lines) + "pay:\n  - {name: annual_bonus, step: s0, pay_code: AIP}\n"
    )


def long_sums(steps: int, terms: int) -> str:
    """``steps`` steps, each its own long sum written out (a large file, no aliases)."""
    lines = [
        f'  s{i}: {{formula: "' + " + ".join(["salary"] * terms) + '", type: money}\n'
        for i in range(steps)
    ]
    return with_body(
        "steps:\n" + "".join(lines) + "pay:\n  - {name: annual_bonus, step: s0, pay_code: AIP}\n"
    )


policy_case("ok-table-looked-up-990-times", table_calls(990), 0, "ok  ")
policy_case(
    "aliased-sum-in-500-steps",
    aliased_sums(500, 1990),
    1,
    "formulas total more than 500,000 characters",
    "steps.s",
)
policy_case(
    "long-sums-in-170-steps",
    long_sums(170, 1990),
    1,
    "formulas total more than 500,000 characters",
)
policy_case("ok-aliased-sum-in-20-steps", aliased_sums(20, 1990), 0, "ok  ")

# names that differ only by a lookalike character would share one value in generated code
# (Python folds identifiers by NFKC): names are ASCII, in every section and in formulas
_LOOKALIKE = "\uff42onus_x"  # a fullwidth b
policy_case(
    "lookalike-step-name",
    with_body(
        SIMPLE_TOP.replace(
            "steps:\n",
            f'steps:\n  bonus_x: {{formula: "1000", type: decimal}}\n'
            f'  {_LOOKALIKE}: {{formula: "1", type: decimal}}\n',
        )
    ),
    1,
    f"'{_LOOKALIKE}' is not a valid name (use lower case ASCII letters, digits and _)",
)
policy_case(
    "lookalike-input-name",
    with_body(SIMPLE_TOP, SALARY + "sal\u00e4ry: {type: decimal}\n"),
    1,
    "'sal\u00e4ry' is not a valid name (use lower case ASCII letters, digits and _)",
)
policy_case(
    "lookalike-criterion-name",
    with_body(SIMPLE_TOP + f'criteria:\n  - {{name: {_LOOKALIKE}, rule: "salary > 0", reason: r}}\n'),
    1,
    f"'{_LOOKALIKE}' is not a valid name (use lower case ASCII letters, digits and _)",
)
# a long value quoted in a parse or type message is shortened (the harness bounds the output)
formula_case("unknown-name-49000-chars", "salary * " + "x" * 49_000, 1, "unknown name 'xxx", "49,000")
formula_case(
    "long-operand-in-type-message",
    "1 if (" + " + ".join(["salary"] * 1900) + ") == 'abc' else 0",
    1,
    "compares text with a number",
)
formula_case("lookalike-name-in-formula", "\uff53alary * 10%", 1, "'\uff53alary'", "ASCII")


# == numbers ===================================================================================


def parameter(value: str) -> str:
    return with_body(SIMPLE_TOP + f"parameters:\n  p: {value}\n")


policy_case("parameter-1e999999999", parameter("1e999999999"), 1, "'1e999999999' is out of range")
policy_case("parameter-5000-digits", parameter("1" * 5000), 1, "has 5,000 digits; at most 40")
policy_case("parameter-5000-decimals", parameter("0." + "3" * 5000), 1, "has 5,000 digits")
policy_case("parameter-negative-huge", parameter("-1e41"), 1, "out of range")
policy_case("parameter-huge-percent", parameter("1e999999999%"), 1, "out of range")
policy_case("parameter-zero-huge-exponent", parameter("0e999999999"), 0, "ok  ")
policy_case("parameter-empty", parameter(""), 1, "expected a number, got nothing")
policy_case("parameter-mapping", parameter("{a: 1}"), 1, "expected a number, got a mapping")
policy_case("parameter-list", parameter("[1, 2]"), 1, "expected a number, got a list")
roster_case(
    "roster-doubled-bom",
    lambda: b"\xef\xbb\xbf\xef\xbb\xbf" + (ROSTER_HEADER + "E1,AIP,USD,1000\n").encode(),
    1,
    "the header starts with a second byte-order mark",
)
policy_case(
    "table-value-tiny",
    with_body(
        SIMPLE_TOP
        + "tables:\n  t:\n    axes:\n      - {name: salary, match: exact, at: [0, 10]}\n"
        + "    values: [1e-999999999, 1]\n"
    ),
    1,
    "out of range",
)
policy_case(
    "curve-point-huge",
    with_body(SIMPLE_TOP + "curves:\n  c:\n    points: [[0, 0], [1e50, 1]]\n"),
    1,
    "out of range",
)
# a step finer than 1e-12 cannot be held in 28 digits for the values it rounds (every row
# was rejected); one coarser than 1e12 rounds any pay to 0; each is one clear load error
ROUND_STEPS = (
    ("zero", "0", "a rounding step must be above 0"),
    ("negative", "-1", "a rounding step must be above 0"),
    ("zero-decimal", "0.00", "a rounding step must be above 0"),
    ("tiny", "1e-40", "a rounding step must be between 1e-12 and 1e12"),
    ("huge", "1e13", "a rounding step must be between 1e-12 and 1e12"),
)
for label, step, message in ROUND_STEPS:
    policy_case(
        f"round-step-{label}",
        with_body(
            f"""
            steps:
              bonus: {{formula: "salary * 10%", type: money, round: {{step: {step}}}}}
            pay:
              - {{name: annual_bonus, step: bonus, pay_code: AIP}}
            """
        ),
        1,
        message,
    )
policy_case(
    "truncate-step-zero",
    with_body(
        """
        steps:
          bonus: {formula: "salary * 10%", type: money, truncate: 0}
        pay:
          - {name: annual_bonus, step: bonus, pay_code: AIP}
        """
    ),
    1,
    "truncate needs a step above 0",
)
for label, step in (("tiny", "1e-40"), ("huge", "1e13")):
    policy_case(
        f"truncate-step-{label}",
        with_body(
            f"""
            steps:
              bonus: {{formula: "salary * 10%", type: money, truncate: {step}}}
            pay:
              - {{name: annual_bonus, step: bonus, pay_code: AIP}}
            """
        ),
        1,
        "a rounding step must be between 1e-12 and 1e12",
    )
    formula_case(
        f"round-to-step-{label}",
        f"round_to(salary, {step})",
        1,
        "the step must be between 1e-12 and 1e12",
    )
policy_case(
    "table-round-step-tiny",
    with_body(
        SIMPLE_TOP
        + "tables:\n  m:\n    axes:\n      - {name: salary, match: exact, at: [1, 2]}\n"
        + "    values: [1, 2]\n    round: {step: 1e-40}\n"
    ),
    1,
    "the rounding step must be between 1e-12 and 1e12",
)
policy_case(
    "pay-round-step-out-of-range",
    with_body(SIMPLE_TOP.replace("pay_code: AIP}", "pay_code: AIP, round: {step: 1e40}}")),
    1,
    "out of range",
)
for label, step in (("zero", "0"), ("negative", "-0.5")):
    policy_case(
        f"rating-scale-step-{label}",
        with_body(SIMPLE_TOP + f"rating_scales:\n  five: {{min: 1, max: 5, step: {step}}}\n"),
        1,
        "the step of a rating scale must be above 0",
    )


def overflow_roster(salary: str) -> bytes:
    return (ROSTER_HEADER + f"E1,AIP,USD,{salary}\nE2,AIP,USD,1000\n").encode()


def rejected_says(*texts: str) -> Callable[[Path], None]:
    def check(folder: Path) -> None:
        rejected = (folder / "out" / "rejected.csv").read_text(encoding="utf-8")
        for text in texts:
            assert text in rejected
        results = (folder / "out" / "results.csv").read_text(encoding="utf-8")
        assert "E2" in results

    return check


for label, salary, reason in (
    ("beyond-cents", "9e39", "a number too large"),  # within range, too many digits at the cent
    ("overflow", "9e999999", "'9e999999' is out of range"),
    ("huge-exponent", "1e999999999", "'1e999999999' is out of range"),
    ("tiny-exponent", "1e-999999999", "out of range"),
    ("huge-percent", "1e999999999%", "'1e999999999%' is a percentage"),
):
    CASES.append(
        Case(
            f"roster-decimal-{label}",
            lambda folder, s=salary: run_args(folder, roster_bytes(folder, overflow_roster(s))),
            3,
            ("1 row(s) rejected",),
            rejected_says("E1", reason),
        )
    )


CASES.append(
    Case(
        "roster-decimal-many-near-the-edge",
        lambda folder: run_args(
            folder,
            roster_bytes(
                folder,
                (ROSTER_HEADER + "".join(f"E{i},AIP,USD,9.9e24\n" for i in range(30))).encode(),
            ),
        ),
        0,
        ("computed: 30",),
    )
)
CASES.append(
    Case(
        "roster-decimal-5000-digits",
        lambda folder: run_args(
            folder,
            roster_bytes(folder, overflow_roster("1" * 5000)),
        ),
        3,
        ("1 row(s) rejected",),
        rejected_says("E1", "has 5,000 digits; at most 40"),
    )
)


# == rosters and keyed files ===================================================================

roster_case(
    "field-over-limit",
    lambda: (ROSTER_HEADER + "E1,AIP,USD," + "9" * 200_000 + "\n").encode(),
    1,
    "a field is longer than 131,072 characters",
)
roster_case(
    "quoted-field-over-limit-many-lines",
    lambda: (ROSTER_HEADER + 'E1,AIP,USD,"' + "x\n" * 100_000 + '"\n').encode(),
    1,
    "a field is longer than 131,072 characters",
)
roster_case(
    "unclosed-quote",
    lambda: (ROSTER_HEADER + 'E1,AIP,USD,"1000\nE2,AIP,USD,2000\n').encode(),
    1,
    "roster.csv",
)
roster_case(
    "nul-in-cell",
    lambda: (ROSTER_HEADER + "E1,AIP,USD,10\x0000\n").encode(),
    1,
    "line 2 holds a NUL character",
)
roster_case(
    "nul-in-header",
    lambda: b"employee_id\x00,plan,currency,salary\nE1,AIP,USD,1\n",
    1,
    "line 1 holds a NUL character",
)
roster_case("utf16-roster", lambda: ROSTER_HEADER.encode("utf-16"), 1, "not UTF-8 text")
roster_case(
    "invalid-utf8-row",
    lambda: ROSTER_HEADER.encode() + b"E1,AIP,USD,1000\nE\xff2,AIP,USD,1\n",
    1,
    "is not UTF-8 text (byte 0xff at line 3)",
)
roster_case(
    "invalid-utf8-overlong",
    lambda: ROSTER_HEADER.encode() + b"E\xc0\xaf,AIP,USD,1\n",
    1,
    "not UTF-8 text (byte 0xc0 at line 2)",
)
roster_case(
    "invalid-utf8-surrogate-bytes",
    lambda: ROSTER_HEADER.encode() + b"E\xed\xa0\x80,AIP,USD,1\n",
    1,
    "not UTF-8 text",
)
roster_case(
    "invalid-utf8-late-in-long-line",
    lambda: ROSTER_HEADER.encode() + b"E1,AIP,USD," + b"1" * 900_000 + b"\xff\n",
    1,
    "not UTF-8 text (byte 0xff at line 2)",
)
roster_case(
    "columns-100000",
    lambda: (",".join(f"c{i}" for i in range(100_000)) + "\n").encode(),
    1,
    "the header has 100,000 columns; the limit is 10,000",
)
roster_case(
    "fields-100000-in-a-row",
    lambda: (ROSTER_HEADER + "E1,AIP,USD,1" + ",x" * 100_000 + "\nE2,AIP,USD,1000\n").encode(),
    3,
    "1 row(s) rejected",
)
roster_case(
    "line-5mb",
    lambda: (ROSTER_HEADER + "E1,AIP,USD," + "1" * 5_000_000 + "\n").encode(),
    1,
    "line 2 is longer than 1,000,000 characters",
)
roster_case(
    "header-line-5mb-no-newline",
    lambda: b"a" * 5_000_000,
    1,
    "line 1 is longer than 1,000,000 characters",
)
roster_case(
    "many-blank-cr-lines",
    lambda: (ROSTER_HEADER + "\r" * 1_000_000 + "E1,AIP,USD,1\n").encode(),
    0,
    "computed: 1",
)


def big_line(folder: Path) -> list[str | Path]:
    path = folder / "roster.csv"
    with path.open("wb") as stream:
        stream.write(ROSTER_HEADER.encode() + b"E1,AIP,USD,")
        block = b"7" * (1 << 20)
        for _ in range(500):
            stream.write(block)
        stream.write(b"\n")
    return run_args(folder, path)


CASES.append(
    Case("line-500mb", big_line, 1, ("line 2 is longer than 1,000,000 characters",), memory=True)
)


def keyed_case(name: str, option: str, data: bytes, *says: str) -> None:
    def build(folder: Path) -> list[str | Path]:
        path = folder / "keyed.csv"
        path.write_bytes(data)
        out = folder / "out"
        return [
            "run", "--rules", RULES, "--employees", EMPLOYEES, "--rates", RATES,
            option, path, "--out", out,
        ]  # fmt: skip

    CASES.append(Case(name, build, 1, says))


RATINGS_HEADER = RATINGS.read_text(encoding="utf-8").splitlines()[0].encode() + b"\n"
keyed_case("ratings-nul", "--ratings", RATINGS_HEADER + b"00001,2025,\x003\n", "NUL character")
keyed_case(
    "ratings-line-5mb",
    "--ratings",
    RATINGS_HEADER + b"0" * 5_000_000 + b"\n",
    "longer than 1,000,000",
)
keyed_case("ratings-invalid-utf8", "--ratings", RATINGS_HEADER + b"\xff\xfe,1,2\n", "UTF-8")
keyed_case(
    "ratings-columns-100000",
    "--ratings",
    (",".join(f"c{i}" for i in range(100_000)) + "\n").encode(),
    "the header has 100,000 columns",
)
keyed_case(
    "ratings-field-over-limit",
    "--ratings",
    RATINGS_HEADER + b"00001,2025," + b"3" * 200_000 + b"\n",
    "keyed.csv:2: a field is longer than 131,072 characters",
)
keyed_case("rates-nul", "--rates", b"date,from,to,rate_type,rate\n2026\x00,EUR,USD,spot,1\n", "NUL")
keyed_case(
    "rates-line-5mb",
    "--rates",
    b"date,from,to,rate_type,rate\n" + b"2" * 5_000_000,
    "longer than 1,000,000",
)


# == outputs stay well-formed ==================================================================

BREAKS = {
    "cr": "\r",
    "lf": "\n",
    "crlf": "\r\n",
    "vt": "\x0b",
    "ff": "\x0c",
    "fs": "\x1c",
    "gs": "\x1d",
    "rs": "\x1e",
    "nel": "\x85",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
}


_NOT_COMPUTED = ("rejected.csv", "not_covered.csv")


def round_trips(employee_id: str) -> Callable[[Path], None]:
    def check(folder: Path) -> None:
        computed = [n for n in employee_files(folder / "out") if n not in _NOT_COMPUTED]
        for name in computed:  # results, inputs and each breakdown file
            path = folder / "out" / name
            with path.open(encoding="utf-8", newline="") as stream:
                rows = list(csv.reader(stream))
            assert [row[0] for row in rows[1:]].count(employee_id) >= 1, name
            with path.open(encoding="utf-8", newline="") as stream:
                text = stream.read()
            assert f'"{employee_id}"' in text, f"{name}: the id is not quoted"

    return check


for label, brk in BREAKS.items():
    employee_id = f"X-{brk}CR"
    data = (ROSTER_HEADER + f'"{employee_id}",AIP,USD,1000\nE2,AIP,USD,2000\n').encode()
    CASES.append(
        Case(
            f"output-quotes-{label}",
            lambda folder, d=data: run_args(folder, roster_bytes(folder, d)),
            0,
            ("computed: 2",),
            round_trips(employee_id),
        )
    )


def rejected_round_trips(folder: Path) -> None:
    path = folder / "out" / "rejected.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert len(rows) == 2
    assert "R-\rX" in rows[1]


CASES.append(
    Case(
        "output-rejected-quotes-cr",
        lambda folder: run_args(
            folder,
            roster_bytes(folder, (ROSTER_HEADER + '"R-\rX",AIP,USD,"12\r34"\n').encode()),
        ),
        3,
        ("1 row(s) rejected",),
        rejected_round_trips,
    )
)



def exact_total(folder: Path) -> None:
    manifest = json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))
    (total,) = manifest["totals"]
    assert Decimal(total["amount"]) == Decimal("11") * Decimal("9.9e24")  # not rounded to 28 digits


# 11 rows each within the per-row limit, whose total needs 29 digits: summed exactly, printed
CASES.append(
    Case(
        "roster-total-beyond-28-digits",
        lambda folder: run_args(
            folder,
            roster_bytes(
                folder,
                (ROSTER_HEADER + "".join(f"E{i},AIP,USD,9.9e25\n" for i in range(11))).encode(),
            ),
        ),
        0,
        ("annual_bonus (AIP) USD 108,900,000,000,000,000,000,000,000.00",),
        exact_total,
    )
)

def exact_cents(folder: Path) -> None:
    manifest = json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))
    (total,) = manifest["totals"]
    assert total["amount"] == "108900000000000000000000000.11"  # not ….1 (28 digits)


CASES.append(
    Case(
        "roster-total-beyond-28-digits-to-the-cent",
        lambda folder: run_args(
            folder,
            roster_bytes(
                folder,
                (
                    ROSTER_HEADER
                    + "".join(f"E{i},AIP,USD,99000000000000000000000000.1\n" for i in range(11))
                ).encode(),
            ),
        ),
        0,
        ("annual_bonus (AIP) USD 108,900,000,000,000,000,000,000,000.11",),
        exact_cents,
    )
)


# == control characters from files never reach a message raw ===============================


def no_raw_controls(folder: Path) -> None:
    with (folder / "out" / "rejected.csv").open(encoding="utf-8", newline="") as handle:
        reasons = [row["reason"] for row in csv.DictReader(handle)]
    assert reasons and all(r.isprintable() for r in reasons), reasons
    assert any("\\x1b[31m" in r for r in reasons), reasons


def rates_with(folder: Path, currency: str) -> list[str | Path]:
    rates = folder / "rates.csv"
    rates.write_bytes(
        f'date,from,to,rate_type,rate\n2026-06-30,USD,"{currency}",average,0.9\n'.encode()
    )
    roster = roster_bytes(folder, (ROSTER_HEADER + "E1,AIP,USD,1000\n").encode())
    return [*run_args(folder, roster), "--rates", rates]


CASES.append(Case("rates-currency-with-cr", lambda f: rates_with(f, "EU\rR"), 1, ("'EU\\rR' is",)))
CASES.append(
    Case("rates-currency-with-esc", lambda f: rates_with(f, "\x1b[2J"), 1, ("'\\x1b[2J' is",))
)
CASES.append(
    Case(
        "roster-value-with-escape-sequence",
        lambda f: run_args(f, roster_bytes(f, overflow_roster("1\x1b[31m"))),
        3,
        ("1 row(s) rejected",),
        no_raw_controls,
    )
)


policy_case(
    "policy-version-with-escape",
    with_body(SIMPLE).replace('version: "1"', 'version: "1\\e[2J"'),
    0,
    "v1\\x1b[2J (bonus)",
)


def test_explain_escapes_an_ids_control_characters(tmp_path: Path) -> None:
    """An id holding a terminal escape sequence is printed as an escape, not sent raw."""
    employee_id = "E\x1b[2J1"
    roster = roster_bytes(tmp_path, (ROSTER_HEADER + f"{employee_id},AIP,USD,1000\n").encode())
    assert invoke(*run_args(tmp_path, roster)).exit_code == 0
    run = invoke("explain", employee_id, "--run", tmp_path / "out")
    assert run.exit_code == 0, run.output
    assert "E\\x1b[2J1" in run.output
    assert "\x1b" not in run.output


# == the test ==================================================================================


@pytest.mark.parametrize("hostile", CASES, ids=[c.name for c in CASES])
def test_hostile_input_is_a_clear_answer_in_time(hostile: Case, tmp_path: Path) -> None:
    """Each hostile input: the expected exit code and message, no traceback, within 5 s of
    CPU time (and 60 s of the clock)."""
    try:
        _answers_in_time(hostile, tmp_path)
    finally:  # pytest keeps the folders of recent runs: no 500 MB file left in them
        for path in tmp_path.glob("*.csv"):
            path.unlink()


def _answers_in_time(hostile: Case, tmp_path: Path) -> None:
    args = hostile.build(tmp_path)
    if hostile.memory:
        tracemalloc.start()
    try:
        with spent() as took:
            run: CliRun = invoke(*args)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert run.exception is None, repr(run.exception)
    assert "Traceback" not in run.output
    assert run.exit_code == hostile.exit_code, run.output[:2000]
    for text in hostile.says:
        assert text in run.output, run.output[:2000]
    if hostile.exit_code == 1:
        assert run.stderr.startswith("error: "), run.output[:2000]
        assert len(run.output) < 20_000  # a hostile value is never echoed whole
    if hostile.check is not None:
        hostile.check(tmp_path)
    assert took.cpu <= CPU_LIMIT, f"{took.cpu:.2f} s of CPU time"
    assert took.wall <= WALL_LIMIT, f"{took.wall:.2f} s of wall time, {took.cpu:.2f} s of CPU time"
    assert peak < 50_000_000, f"{peak / 1e6:.0f} MB allocated"


def test_there_are_at_least_100_hostile_cases() -> None:
    """The issue asks for at least 100 hostile cases."""
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)


# == the writer, property-tested ===============================================================

_CELL = st.text(
    alphabet=st.sampled_from(list("ab ,\"\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029=+-\t'é€")),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=1, max_size=5), min_size=1, max_size=5))
def test_every_written_row_reads_back_as_written(rows: list[list[str]]) -> None:
    """Whatever the cells hold, a standard CSV reader reads back exactly the rows written, and a
    cell holding any line-break character is quoted; rows without one are byte-identical to
    Python's csv writer (so ordinary outputs do not change)."""
    text = "".join(csv_line(row) for row in rows)  # every row of every output goes through it
    assert list(csv.reader(io.StringIO(text, newline=""))) == rows
    for row in rows:
        for cell in row:
            if any(brk in cell for brk in BREAKS.values()):
                assert '"' + cell.replace('"', '""') + '"' in text
    plain = [row for row in rows if not any(b in "".join(row) for b in BREAKS.values())]
    expected = io.StringIO(newline="")
    csv.writer(expected, lineterminator="\n").writerows(plain)
    assert "".join(csv_line(row) for row in plain) == expected.getvalue()


def test_an_out_of_range_rounding_step_is_one_message(tmp_path: Path) -> None:
    text = with_body(SIMPLE_TOP.replace("pay_code: AIP}", "pay_code: AIP, round: {step: 1e40}}"))
    run = invoke("check", "--rules", rules_with(tmp_path, text))
    assert run.exit_code == 1
    assert "1 problem" in run.output and "out of range" in run.output
    assert "Input should be" not in run.output


def test_a_long_operand_is_quoted_shortened_in_a_type_message(tmp_path: Path) -> None:
    formula = "1 if (" + " + ".join(["salary"] * 1900) + ") == 'abc' else 0"
    run = invoke("check", "--rules", rules_with(tmp_path, formula_policy(formula)))
    assert run.exit_code == 1
    assert "compares text with a number: 'salary + salary" in run.output
    assert "characters)" in run.output
    assert len(run.output) < 2_000
