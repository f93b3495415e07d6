"""The README's "Simulate" section shows real output: each of its ```sh blocks is run as a user
runs it (from a folder holding the repository's rules/ and fixtures/, after the Quickstart's
run into out/), and every line of the output block after it is a line of the real stdout, in
order (a "…" inside a line stands for the text left out, a line of "..." for lines left out)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT, invoke

_VARIABLE = re.compile(r"^(\w+)=(.*)$")


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Simulate\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _examples() -> list[tuple[str, str]]:
    """Each ```sh block of the section with the output block that follows it."""
    return re.findall(r"```sh\n(.*?)```\n.*?```\n(.*?)```", _section(), flags=re.DOTALL)


def _run(block: str, variables: dict[str, str]) -> list[str]:
    """The stdout lines of the block's commands (``NAME="..."`` lines set a variable)."""
    lines: list[str] = []
    for line in block.splitlines():
        if found := _VARIABLE.match(line):
            (variables[found[1]],) = shlex.split(found[2])
            continue
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[0] == ".venv/bin/incentives", line
        args = [part for w in words[1:] for part in
                (shlex.split(variables[w[1:]]) if w.startswith("$") else [w])]  # fmt: skip
        ran = invoke(*args)
        assert ran.exit_code == 0, ran.output
        lines += ran.stdout.splitlines()
    return lines


def _shown_in_order(shown: str, real: list[str]) -> None:
    at = 0
    for line in shown.splitlines():
        if line.strip() in ("...", "…"):
            continue
        pattern = ".*".join(re.escape(part) for part in line.split("…"))
        while at < len(real) and not re.fullmatch(pattern, real[at]):
            at += 1
        assert at < len(real), f"not in the real output (in order): {line}"
        at += 1


def test_the_simulate_section_is_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("rules", "fixtures"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    quickstart = invoke("run", *shlex.split(
        "--rules rules --employees fixtures/employees.csv --rates fixtures/rates.csv "
        "--ratings fixtures/ratings.csv --history fixtures/history.csv --out out"))  # fmt: skip
    assert quickstart.exit_code == 0, quickstart.output
    examples = _examples()
    assert len(examples) >= 4  # a what-if with explain, a diff, a simulation, a sweep
    variables: dict[str, str] = {}
    for block, shown in examples:
        _shown_in_order(shown, _run(block, variables))
