"""The README's notebook example runs as written (from the repository root)."""

from __future__ import annotations

import os
import re

import pytest

from conftest import ROOT


def test_the_notebook_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ```python block of README.md computes the 52 sample employees and prints their count."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {})  # the documented example, as a user runs it
    assert capsys.readouterr().out.startswith("52 ")
    assert os.getcwd() == str(ROOT)
