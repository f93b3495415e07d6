"""The README's notebook example runs as written (from the repository root)."""

from __future__ import annotations

import os
import re
from pathlib import Path

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


def test_the_explain_excerpt_is_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line of the README's `explain 00004` excerpt is a line of the real output (a "…"
    inside a line stands for the text left out; a line of "..." for lines left out), so the
    excerpt cannot go stale (line numbers, digits, wording)."""
    from incentives.audit.explain import explain_employee
    from incentives.jobs import RunRequest, run_job

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```\n(Steps \(in evaluation order\)\n.*?)```", text, flags=re.DOTALL)
    out = tmp_path / "run"
    monkeypatch.chdir(ROOT)  # as the README runs it: policy paths print as rules/…
    fixtures = Path("fixtures")
    run_job(
        RunRequest(
            rules=Path("rules"),
            employees=fixtures / "employees.csv",
            rates=fixtures / "rates.csv",
            ratings=fixtures / "ratings.csv",
            history=fixtures / "history.csv",
            out=out,
        )
    )
    real = explain_employee(out, "00004").text().splitlines()
    for line in block.splitlines():
        if line.strip() in ("", "...", "…"):
            continue
        pattern = ".*".join(re.escape(part) for part in line.split("…"))
        assert any(re.fullmatch(pattern, have) for have in real), line
