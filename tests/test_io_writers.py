"""Writing outputs: atomic folders, deterministic bytes, formula escaping, JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import incentives.io
from incentives.errors import OptionsError
from incentives.io.writers import OutputDir, dumps_json, format_cell, write_json


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "+1"),  # a number written as text is not a formula
        ("-50000", "-50000"),
        ("12.5%", "12.5%"),
        ("+1+cmd", "'+1+cmd"),
        ("-2+3", "'-2+3"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (Decimal("-5"), "-5"),
        (Decimal("-5.00"), "-5.00"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.5E-7"), "0.00000015"),
        (-3, "-3"),
        (None, ""),
        (True, "true"),
        (False, "false"),
        (date(2026, 12, 31), "2026-12-31"),
    ],
)
def test_format_cell(value: object, text: str) -> None:
    """Formula-like text gets a leading quote; numbers never do and show no exponent."""
    assert format_cell(value) == text


def test_format_cell_refuses_floats() -> None:
    """A binary float never reaches an output file."""
    with pytest.raises(TypeError):
        format_cell(0.1)


def test_outputs_are_written_on_clean_exit(tmp_path: Path) -> None:
    """Files appear only after the block ends, with LF endings, UTF-8 and no BOM."""
    out = tmp_path / "out"
    with OutputDir(out, force=False) as folder:
        sink = folder.csv_writer("results.csv", ["employee_id", "note", "amount"])
        sink.write(["0042", 'a, "b"\nc', Decimal("-5.00")])
        folder.json("manifest.json", {"b": Decimal("1.50"), "a": "é", "d": date(2026, 1, 2)})
        assert not (out / "results.csv").exists()
        assert sink.rows == 1
    assert (out / "results.csv").read_bytes() == (
        b'employee_id,note,amount\n0042,"a, ""b""\nc",-5.00\n'
    )
    assert (out / "manifest.json").read_bytes() == (
        '{\n  "a": "é",\n  "b": "1.50",\n  "d": "2026-01-02"\n}\n'.encode()
    )
    assert [name for name in listing(out) if not name.startswith(".")] == [
        "manifest.json",
        "results.csv",
    ]
    assert not list(out.glob("*.partial")) and not list(out.glob(".*.partial"))


def test_non_empty_folder_is_refused_even_with_force(tmp_path: Path) -> None:
    """A non-empty folder that holds no earlier run (no marker file) is never replaced, not
    even with force (issue 8 §4: --force replaces only a run folder)."""
    (tmp_path / "mine.txt").write_text("x")
    for force in (False, True):
        refused = pytest.raises(OptionsError, match="is not empty and holds no run of incentives")
        with refused, OutputDir(tmp_path, force=force):
            pass  # pragma: no cover
        assert listing(tmp_path) == ["mine.txt"]


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """An output path that is a file is an options error."""
    path = tmp_path / "out"
    path.write_text("x")
    with pytest.raises(OptionsError, match="is a file"), OutputDir(path, force=True):
        pass  # pragma: no cover


def test_exception_leaves_no_files(tmp_path: Path) -> None:
    """After an exception no file of ours is left, and a folder we created is removed."""
    out = tmp_path / "new" / "out"
    with pytest.raises(RuntimeError), OutputDir(out, force=False) as folder:
        folder.csv_writer("results.csv", ["a"]).write([1])
        folder.json("manifest.json", {})
        raise RuntimeError("boom")
    assert listing(tmp_path) == []


def test_exception_keeps_a_pre_existing_folder_as_it_was(tmp_path: Path) -> None:
    """With force, a failing run leaves the earlier outputs untouched."""
    out = tmp_path / "out"
    with OutputDir(out, force=False) as folder:
        folder.text("results.csv", "old\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RuntimeError), OutputDir(out, force=True) as folder:
        folder.csv_writer("results.csv", ["a"]).write([1])
        raise RuntimeError("boom")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert listing(tmp_path) == ["out"]


def test_force_replaces_a_run_and_removes_its_stale_files(tmp_path: Path) -> None:
    """With force, the earlier run's folder is replaced whole: a file it wrote that this run
    does not write is gone, and nothing but this run's files is left (issue 8 §4)."""
    with OutputDir(tmp_path, force=False) as folder:
        folder.csv_writer("results.csv", ["a"]).write(["old"])
        folder.csv_writer("payroll.csv", ["a"]).write(["old"])
    with OutputDir(tmp_path, force=True) as folder:
        folder.csv_writer("results.csv", ["a"]).write(["new"])
    assert listing(tmp_path) == [".incentives-output", "results.csv"]
    assert (tmp_path / "results.csv").read_text() == "a\nnew\n"
    assert (tmp_path / ".incentives-output").read_text() == "results.csv\n"


def test_force_refuses_a_run_folder_holding_a_file_no_run_wrote(tmp_path: Path) -> None:
    """A file saved into a run folder by hand is never deleted: --force refuses, naming it."""
    with OutputDir(tmp_path, force=False) as folder:
        folder.csv_writer("results.csv", ["a"]).write(["old"])
    (tmp_path / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    refused = pytest.raises(OptionsError, match=r"1 file\(s\) that no run wrote \(notes.txt\)")
    with refused, OutputDir(tmp_path, force=True) as folder:
        folder.csv_writer("results.csv", ["a"]).write(["new"])  # pragma: no cover
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_run_folder_without_force_is_refused(tmp_path: Path) -> None:
    """An earlier run is replaced only with force."""
    with OutputDir(tmp_path, force=False) as folder:
        folder.text("results.csv", "old\n")
    refused = pytest.raises(OptionsError, match="holds an earlier run; use --force to replace it")
    with refused, OutputDir(tmp_path, force=False):
        pass  # pragma: no cover
    assert (tmp_path / "results.csv").read_text() == "old\n"


def test_same_name_twice_is_a_bug(tmp_path: Path) -> None:
    """Writing one file twice in a run is refused."""
    with pytest.raises(ValueError, match="written twice"), OutputDir(tmp_path, force=False) as f:
        f.json("a.json", 1)
        f.json("a.json", 2)
    assert listing(tmp_path) == []


def test_row_width_must_match_header(tmp_path: Path) -> None:
    """A row with the wrong number of cells is a programming error."""
    with pytest.raises(ValueError, match="row has 1 cells"), OutputDir(tmp_path, force=False) as f:
        f.csv_writer("a.csv", ["a", "b"]).write([1])


def test_write_json_is_deterministic(tmp_path: Path) -> None:
    """write_json sorts keys, keeps non-ASCII and ends with a newline."""
    path = tmp_path / "x.json"
    write_json(path, {"z": [Decimal("1E+2")], "a": "ü"})
    assert path.read_text(encoding="utf-8") == dumps_json({"a": "ü", "z": ["100"]})
    assert path.read_bytes().endswith(b"]\n}\n")
    assert listing(tmp_path) == ["x.json"]


def test_public_exports_are_sorted_and_complete() -> None:
    """The io package's __all__ is sorted and every name in it exists."""
    names = incentives.io.__all__
    assert names == sorted(names)
    assert all(hasattr(incentives.io, name) for name in names)
