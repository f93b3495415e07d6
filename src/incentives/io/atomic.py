"""One output file written whole or not at all: `atomic_write`.

The bytes go to a hidden temporary file in the target's folder (``.<name>.partial``), which is
flushed, synced to disk and renamed over the target only when the ``with`` block ends cleanly.
After any exception the temporary file is removed and a file already at the target is exactly as
it was; a reader never sees a partial file. (A run folder is written whole by `OutputDir`.)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

__all__ = ["atomic_write", "partial_path"]


def partial_path(path: Path) -> Path:
    """Where `atomic_write` writes ``path`` before renaming it into place."""
    return path.with_name(f".{path.name}.partial")


@overload
def atomic_write(
    path: Path, mode: Literal["wb"] = "wb"
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
@overload
def atomic_write(path: Path, mode: Literal["w"]) -> contextlib.AbstractContextManager[IO[str]]: ...
def atomic_write(path: Path, mode: str = "wb") -> contextlib.AbstractContextManager[IO[Any]]:
    """A handle on a temporary file that replaces ``path`` when the block ends without error.

    ``mode`` is ``"wb"`` (bytes) or ``"w"`` (text: UTF-8, lines written as given)."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write writes with mode 'wb' or 'w', not {mode!r}")
    return _atomic(path, mode)


@contextlib.contextmanager
def _atomic(path: Path, mode: str) -> Iterator[IO[Any]]:
    temporary = partial_path(path)
    try:
        stream: IO[Any] = (
            temporary.open("w", encoding="utf-8", newline="")
            if mode == "w"
            else temporary.open("wb")
        )
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
