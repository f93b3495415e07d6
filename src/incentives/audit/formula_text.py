"""Formula text for people: operators as × ÷ − ≤, names and calls replaced by their values.

`render(text, name_value, call_value)` walks a formula as written in the policy file, token by
token, and keeps everything it does not replace exactly as written (spacing, literals, quoted
text). `name_value(name)` and `call_value(callee, arg_text)` return the text to show, or `None`
to keep the name (or to keep the call and render inside its parentheses). With both returning
`None` the result is the symbolic form: ``base_salary × fte``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["KEYWORDS", "call_parts", "render", "split_args"]

KEYWORDS = frozenset({"and", "or", "not", "in", "if", "else", "True", "False", "None"})
_NUMBER = re.compile(r"([0-9][0-9_]*(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?(\s*%)?")
_WORD = re.compile(r"[A-Za-z_]\w*")
_OPERATORS = (
    ("**", "^"),
    ("<=", "≤"),
    (">=", "≥"),
    ("!=", "≠"),
    ("==", "="),
    ("*", "×"),
    ("/", "÷"),
    ("-", "−"),
)

NameValue = Callable[[str], str | None]
CallValue = Callable[[str, str], str | None]


def _quoted_end(text: str, start: int) -> int:
    """The index just past the quoted text that starts at ``start`` (or the end of ``text``)."""
    quote = text[start]
    end = text.find(quote, start + 1)
    return len(text) if end < 0 else end + 1


def _closing(text: str, open_at: int) -> int:
    """The index of the parenthesis closing the one at ``open_at`` (or -1 when unbalanced)."""
    depth = 0
    i = open_at
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            i = _quoted_end(text, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def split_args(text: str) -> list[str]:
    """``"a, min(b, c), 'x,y'"`` → ``["a", "min(b, c)", "'x,y'"]``: top-level commas only."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            i = _quoted_end(text, i)
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail or parts:
        parts.append(tail)
    return parts


def call_parts(slot_name: str) -> tuple[str, str, list[str]] | None:
    """A call slot's name ``"owner: callee(a, b)"`` → ``("owner", "callee", ["a", "b"])``."""
    owner, sep, call = slot_name.partition(": ")
    open_at = call.find("(")
    if not sep or open_at <= 0 or not call.endswith(")"):
        return None
    return owner, call[:open_at], split_args(call[open_at + 1 : -1])


def render(text: str, name_value: NameValue, call_value: CallValue) -> str:
    """The formula with operators as symbols and names/calls replaced where the callbacks say."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            end = _quoted_end(text, i)
            out.append(text[i:end])
            i = end
            continue
        if ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            number = _NUMBER.match(text, i)
            end = number.end() if number else i + 1
            out.append(text[i:end])
            i = end
            continue
        word = _WORD.match(text, i)
        if word:
            name = word.group()
            after = word.end()
            j = after
            while j < len(text) and text[j] == " ":
                j += 1
            if name not in KEYWORDS and j < len(text) and text[j] == "(":
                close = _closing(text, j)
                if close > 0:
                    inner = text[j + 1 : close]
                    shown = call_value(name, ", ".join(split_args(inner)))
                    if shown is None:
                        shown = f"{name}({render(inner, name_value, call_value)})"
                    out.append(shown)
                    i = close + 1
                    continue
            shown = None if name in KEYWORDS else name_value(name)
            out.append(name if shown is None else shown)
            i = after
            continue
        for op, symbol in _OPERATORS:
            if text.startswith(op, i):
                out.append(symbol)
                i += len(op)
                break
        else:
            out.append(ch)
            i += 1
    return "".join(out)
