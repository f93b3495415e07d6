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


def test_non_empty_folder_is_refused_without_force(tmp_path: Path) -> None:
    """An existing non-empty folder is not touched unless --force."""
    (tmp_path / "mine.txt").write_text("x")
    refused = pytest.raises(OptionsError, match="is not empty; use --force to replace its files")
    with refused, OutputDir(tmp_path, force=False):
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
    (tmp_path / "results.csv").write_text("old\n")
    with pytest.raises(RuntimeError), OutputDir(tmp_path, force=True) as folder:
        folder.csv_writer("results.csv", ["a"]).write([1])
        raise RuntimeError("boom")
    assert listing(tmp_path) == ["results.csv"]
    assert (tmp_path / "results.csv").read_text() == "old\n"


def test_force_replaces_files_and_removes_stale_ones(tmp_path: Path) -> None:
    """With force, our files are replaced, our stale ones removed and others' files kept."""
    with OutputDir(tmp_path, force=False) as folder:
        folder.csv_writer("results.csv", ["a"]).write(["old"])
        folder.csv_writer("rejected.csv", ["a"]).write(["old"])
    (tmp_path / "notes.txt").write_text("mine")
    with OutputDir(tmp_path, force=True) as folder:
        folder.csv_writer("results.csv", ["a"]).write(["new"])
    visible = [name for name in listing(tmp_path) if not name.startswith(".")]
    assert visible == ["notes.txt", "results.csv"]
    assert (tmp_path / "results.csv").read_text() == "a\nnew\n"


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
