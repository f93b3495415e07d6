"""Size limits of a formula, checked before Python's parser or any walk of the tree sees it.

A formula is text from a policy file, which may come from anywhere. Python's parser and every
recursive walk of a syntax tree fail with `RecursionError` or `MemoryError` (or take a very long
time) on text such as 100,000 unary minuses or a 100,000-term sum; these limits turn such text
into a clear error at a column, and leave every ordinary formula (a thousand terms, two hundred
nested parentheses) alone.

`excess(text)` scans the text once (quoted texts skipped) before parsing; `nesting(tree)` walks
the parsed tree without recursion and measures how deep the generated Python nests;
`recursion_room(depth)` gives the recursive walks of a tree within the limits room to run.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "MAX_BRACKETS",
    "MAX_CHAIN",
    "MAX_CONDITIONALS",
    "MAX_FORMULA_CHARS",
    "MAX_NESTING",
    "MAX_OPERANDS",
    "MAX_POLICY_FORMULA_CHARS",
    "MAX_PREFIX_RUN",
    "SIMPLER",
    "Excess",
    "chain_group",
    "excess",
    "nesting",
    "recursion_room",
]

MAX_FORMULA_CHARS = 50_000
"""Characters in one formula."""
MAX_POLICY_FORMULA_CHARS = 500_000
"""Characters in all the formulas of one policy file together, each alias counted in full (a
formula written once and aliased into 500 steps is parsed and checked 500 times)."""
MAX_OPERANDS = 2_000
"""Names, numbers and quoted texts in one formula (a 1,000-term weighted sum has 2,000)."""
MAX_BRACKETS = 200
"""Parentheses nested in the text of a formula (Python's own limit)."""
MAX_PREFIX_RUN = 20
"""Prefix operators in a row (``- - x``, ``not not x``)."""
MAX_CHAIN = 20
"""Calls, subscripts or attributes chained on one value (``f(a)(b)``, ``x.a.b``)."""
MAX_CONDITIONALS = 100
"""``if ... else`` expressions in one formula."""
MAX_NESTING = 150
"""How deep the parts of a formula nest once parsed (a chain of + and - counts as one level)."""

_OPEN = "([{"
_CLOSE = ")]}"
_WORD_START = frozenset("_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Excess:
    """A limit a formula breaks: the message, the 0-based column, a hint."""

    def __init__(self, message: str, offset: int, hint: str) -> None:
        self.message = message
        self.offset = offset
        self.hint = hint


SIMPLER = "split it into steps"


def excess(text: str) -> Excess | None:
    """The first limit ``text`` breaks, or None; linear in the length, no parsing."""
    if len(text) > MAX_FORMULA_CHARS:
        return Excess(
            f"the formula is {len(text):,} characters long; the limit is {MAX_FORMULA_CHARS:,}",
            MAX_FORMULA_CHARS,
            SIMPLER,
        )
    depth = operands = prefix_run = conditionals = 0
    chain = 0  # trailers ("(", "[", ".") after the current operand
    chains: list[int] = []  # the chain count of each open bracket's owner
    after_operand = False  # the last token ends an operand (a name, number, text or ")")
    after_dot = False  # the last token is a "." after an operand (x.a: "a" continues the chain)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            start, i = i, min(n, j + len(quote))
            operands, chain, prefix_run, after_operand = operands + 1, 0, 0, True
        elif ch in _WORD_START or ch.isalpha() or ch.isdigit() or (ch == "." and not after_operand):
            start = i
            number = ch.isdigit() or ch == "."
            while i < n and (text[i].isalnum() or text[i] == "_" or (number and text[i] == ".")):
                i += 1  # a name, or a number with its point (1.5, 1e3: close enough)
            word = text[start:i]
            if word == "not":
                prefix_run += 1
                if prefix_run > MAX_PREFIX_RUN:
                    return _prefix(start)
                after_operand = False
                continue
            if word in ("if", "else", "and", "or", "in", "is"):
                if word == "if":
                    conditionals += 1
                    if conditionals > MAX_CONDITIONALS:
                        return Excess(
                            f"more than {MAX_CONDITIONALS} if-expressions in one formula",
                            start,
                            "use a table, or split the formula into steps",
                        )
                chain, prefix_run, after_operand = 0, 0, False
                continue
            operands += 1
            if operands > MAX_OPERANDS:
                return Excess(
                    f"more than {MAX_OPERANDS:,} names and numbers in one formula",
                    start,
                    SIMPLER,
                )
            chain = chain if after_dot else 0
            prefix_run, after_operand, after_dot = 0, True, False
            continue
        else:
            start = i
            i += 1
            after_dot = False
            if ch in _OPEN or ch == ".":
                if after_operand:
                    chain += 1
                    if chain > MAX_CHAIN:
                        return Excess(
                            f"more than {MAX_CHAIN} calls or attributes chained on one value",
                            start,
                            SIMPLER,
                        )
                if ch == ".":
                    after_operand, after_dot = False, True
                    continue
                depth += 1
                if depth > MAX_BRACKETS:
                    return Excess(
                        f"brackets nested more than {MAX_BRACKETS} deep",
                        start,
                        SIMPLER,
                    )
                chains.append(chain if after_operand else 0)
                chain, prefix_run, after_operand = 0, 0, False
            elif ch in _CLOSE:
                depth = max(0, depth - 1)
                chain = chains.pop() if chains else 0
                prefix_run, after_operand = 0, True
            elif ch in "-+~" and not after_operand:
                prefix_run += 1
                if prefix_run > MAX_PREFIX_RUN:
                    return _prefix(start)
            else:
                chain, prefix_run, after_operand = 0, 0, False
                if ch == "*" and text.startswith("*", i):
                    i += 1
    return None


def _prefix(offset: int) -> Excess:
    return Excess(
        f"more than {MAX_PREFIX_RUN} signs or 'not's in a row", offset, "write at most one"
    )


_FLAT: dict[type[ast.operator], int] = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}


def chain_group(node: ast.AST) -> int:
    """The group of a binary operator whose chains render flat (+ and -; * and /), else 0."""
    return _FLAT.get(type(node.op), 0) if isinstance(node, ast.BinOp) else 0


def nesting(tree: ast.AST) -> tuple[int, ast.AST | None, int]:
    """How deep ``tree`` nests as generated Python and its deepest node, and how deep it is as
    a tree (a chain of + is one level of the first, as many as its terms of the second); no
    recursion."""
    depth: dict[int, int] = {}
    deepest: tuple[int, ast.AST | None] = (0, None)
    tree_depth = 0
    stack: list[tuple[ast.AST, bool, int]] = [(tree, False, 1)]
    while stack:
        node, done, level_in_tree = stack.pop()
        children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
        if not done:
            tree_depth = max(tree_depth, level_in_tree)
            stack.append((node, True, level_in_tree))
            stack.extend((child, False, level_in_tree + 1) for child in children)
            continue
        if not children:
            depth[id(node)] = 0
            continue
        group = chain_group(node)
        if group and isinstance(node, ast.BinOp) and chain_group(node.left) == group:
            level = max(depth[id(node.left)], 1 + depth[id(node.right)])
        else:
            level = 1 + max(depth[id(child)] for child in children)
        depth[id(node)] = level
        if level > deepest[0]:
            deepest = (level, node)
    return deepest[0], deepest[1], tree_depth


@contextmanager
def recursion_room(depth: int) -> Iterator[None]:
    """Let recursive walks of a tree ``depth`` deep run (a long chain of + is that deep).

    The limits above bound ``depth``; Python frames of pure-Python recursion do not use the C
    stack (3.11+), so a higher recursion limit for the walk is safe.
    """
    old = sys.getrecursionlimit()
    needed = old + 4 * depth
    if depth < 100:
        yield
        return
    sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
