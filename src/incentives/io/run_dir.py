"""The run folder on disk: where a run may write it, and how it is put in place whole.

A run writes every file into a hidden sibling of its folder, ``.NAME.incentives-new``, then
swaps it in with renames:

    1. the previous run (if any) is renamed to ``.NAME.incentives-old``
    2. ``.NAME.incentives-new`` is renamed to NAME
    3. ``.NAME.incentives-old`` is deleted

A kill at any moment therefore leaves NAME as the complete previous run, the complete new run,
or (between 1 and 2) absent with the previous run beside it. `recover`, called at the start of
the next run, restores or removes what an interrupted run left and says what it did. A run
folder holds a marker file, ``.incentives-output``, listing its files: ``--force`` replaces a
folder only when the marker is there and the folder holds nothing else.

A run holds an exclusive lock (`fcntl.flock`) on ``.NAME.incentives-lock`` from before `recover`
to its end (`exclusive`): a second run into the same folder stops at once instead of taking the
first one's live staging folder for an interrupted run's. The OS releases the lock of a killed
run, so what it left is still recovered by the next.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from incentives.errors import OptionsError, OutputError, OutputOverlapsInput, shorten

__all__ = [
    "MARKER",
    "aside_path",
    "check_apart",
    "check_replaceable",
    "exclusive",
    "lock_path",
    "recover",
    "staging_path",
    "swap_in",
    "writing",
]

MARKER = ".incentives-output"  # lists the files of the run; its presence makes a run folder
_NEW = ".incentives-new"
_OLD = ".incentives-old"
_LOCK = ".incentives-lock"

_HINTS = {
    errno.ENOSPC: "free some space or choose another --out",
    errno.EDQUOT: "free some space or choose another --out",
    errno.EACCES: "choose a folder you may write to",
    errno.EPERM: "choose a folder you may write to",
    errno.EROFS: "the file system is read-only; choose another --out",
    errno.ENAMETOOLONG: "choose a shorter --out",
    errno.ENOTDIR: "a part of the --out path is a file, not a folder",
    errno.EEXIST: "a file is in the way of the output folder",
}


def staging_path(out: Path) -> Path:
    """Where a run writes its files before they are swapped in."""
    return out.parent / f".{out.name}{_NEW}"


def aside_path(out: Path) -> Path:
    """Where the previous run waits while the new one is renamed in."""
    return out.parent / f".{out.name}{_OLD}"


def lock_path(out: Path) -> Path:
    """The file a run holds locked while it writes ``out`` (see `exclusive`)."""
    return out.parent / f".{out.name}{_LOCK}"


@contextlib.contextmanager
def exclusive(out: Path, shown: Path) -> Iterator[None]:
    """Hold the lock of the run folder ``out`` (resolved) for the block, or raise `OutputError`
    at once, touching nothing, if another run holds it. Folders made for the lock file are
    removed again if they are empty at the end (the run failed); the lock file is removed."""
    lock = lock_path(out)
    made = [p for p in reversed(lock.parents) if not p.exists()]
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = _acquire(lock, shown)
    except BaseException:
        _remove_empty(made)
        raise
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)  # while still held: a run waiting on it sees it gone and retries
        os.close(fd)
        _remove_empty(made)


def _acquire(lock: Path, shown: Path) -> int:
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise OutputError(
                f"another run is writing {shorten(shown)}"
                + (f" (pid {holder})" if holder else "")
                + "; wait for it or choose another --out"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            info = os.stat(lock)
            current = (info.st_dev, info.st_ino) == _identity_of(fd)
        except FileNotFoundError:
            current = False
        if current:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)  # the run that held it has just ended and removed it: lock the new one


def _identity_of(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


def _remove_empty(folders: Sequence[Path]) -> None:
    for folder in reversed(folders):  # the deepest first
        try:
            folder.rmdir()
        except OSError:
            return


def _path_max() -> int:
    try:
        return os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 4096


PATH_MAX = _path_max()  # longer paths fail anyway: refuse them before resolving (slow for them)


def real_path(path: Path) -> Path:
    """``path`` absolute, with ``..`` and symbolic links resolved (as far as they exist).

    A path longer than the system allows raises `OutputError` at once."""
    if len(os.fsencode(path)) >= PATH_MAX:
        too_long = OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
        raise output_error(path, too_long)
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


@contextlib.contextmanager
def writing(out: Path) -> Iterator[None]:
    """Turn an `OSError` raised while writing the run folder ``out`` into an `OutputError`."""
    try:
        yield
    except OSError as error:
        if isinstance(error, OutputError):
            raise
        raise output_error(out, error) from None


def output_error(out: Path, error: OSError) -> OutputError:
    """A clear message for a failure to write the run folder ``out``."""
    reason = error.strerror or str(error) or type(error).__name__
    where = f" ({shorten(error.filename)})" if error.filename else ""
    hint = _HINTS.get(error.errno or 0, "check the folder and try again")
    return OutputError(
        f"cannot write the run folder {shorten(out)}: {reason}{where}; {hint}; "
        "no outputs were written"
    )


def check_apart(out: Path, inputs: Sequence[tuple[str, Path]]) -> None:
    """Refuse an ``out`` that is, contains or lies inside one of ``inputs`` ((role, path)):
    a run replaces its whole folder. Paths are compared resolved (links, ``..``), and files
    by identity, so a hard link or a second mount of an input is found too."""
    target = real_path(out)
    identities: dict[tuple[int, int], tuple[str, Path]] = {}
    for role, path in inputs:
        if len(os.fsencode(path)) >= PATH_MAX:
            continue  # no such file can exist; reading it will say so
        real = real_path(path)
        if real == target:
            _overlap(out, "is", role, path)
        if target in real.parents:
            _overlap(out, "contains", role, path)
        if real in target.parents:
            _overlap(out, "lies inside", role, path)
        for beside in (aside_path(target), staging_path(target)):
            if real == beside or beside in real.parents:
                raise OutputOverlapsInput(
                    f"the {role} {shorten(path)} lies in {shorten(beside)}, which a run into "
                    f"--out {shorten(out)} removes (it holds what an interrupted run left); "
                    "move the file away first, and choose an output folder apart from the "
                    "inputs and the rules"
                )
        with contextlib.suppress(OSError, ValueError):
            info = os.stat(path)
            identities[(info.st_dev, info.st_ino)] = (role, path)
    for ancestor in (target, *target.parents):
        found = _identity(ancestor, identities)
        if found is not None:
            _overlap(out, "is" if ancestor == target else "lies inside", *found)
    for folder in (target, aside_path(target)):
        if _is_file(folder / MARKER):  # a folder we would replace: every file it holds
            for found_at in _walk(folder):
                found = _identity(found_at, identities)
                if found is not None:
                    _overlap(out, "contains", *found)
    for folder in target.parents:
        if _is_file(folder / MARKER):  # its next run --force would refuse a folder it never wrote
            raise OutputOverlapsInput(
                f"--out {shorten(out)} is inside the run folder {shorten(folder)}, which holds "
                "only what its run wrote; choose an output folder outside it"
            )


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False  # a name too long, say: nothing there to protect; writing it will fail


def _identity(
    path: Path, identities: dict[tuple[int, int], tuple[str, Path]]
) -> tuple[str, Path] | None:
    try:
        info = os.stat(path, follow_symlinks=False)
    except (OSError, ValueError):
        return None
    return identities.get((info.st_dev, info.st_ino))


def _walk(folder: Path) -> Iterator[Path]:
    for parent, folders, files in os.walk(folder):
        for name in (*folders, *files):
            yield Path(parent) / name


_WHY = {
    "is": "a run replaces its whole output folder, so it would destroy that input",
    "contains": "a run replaces its whole output folder, so it would destroy that input",
    "lies inside": "the run would write its files among the inputs",
}


def _overlap(out: Path, relation: str, role: str, path: Path) -> None:
    raise OutputOverlapsInput(
        f"--out {shorten(out)} {relation} the {role} {shorten(path)}: {_WHY[relation]}; "
        "choose an output folder apart from the inputs and the rules"
    )


def check_replaceable(out: Path, *, force: bool) -> None:
    """Refuse to replace ``out`` unless it is missing, empty, or (with ``force``) a run folder
    holding nothing but what that run wrote."""
    shown = shorten(out)
    if out.exists() and not out.is_dir():
        raise OptionsError(f"output path {shown} is a file, not a folder; choose a folder")
    if not out.is_dir():
        return
    names = sorted(entry.name for entry in out.iterdir())
    if not names:
        return
    marker = out / MARKER
    if not marker.is_file():
        raise OptionsError(
            f"output folder {shown}/ is not empty and holds no run of incentives (no {MARKER} "
            "file); choose a new or empty folder: --force replaces only the folder of an "
            "earlier run"
        )
    if not force:
        raise OptionsError(
            f"output folder {shown}/ is not empty: it holds an earlier run; use --force to "
            "replace it"
        )
    listed = set(marker.read_text(encoding="utf-8").splitlines()) | {MARKER}
    folders = {name.split("/")[0] for name in listed if "/" in name}  # breakdown/<policy>.csv
    foreign = [name for name in names if name not in listed and name not in folders]
    for folder in sorted(folders & set(names)):
        inside = out / folder
        if not inside.is_dir() or inside.is_symlink():
            foreign.append(folder)
            continue
        foreign += [
            f"{folder}/{entry.name}"
            for entry in sorted(inside.iterdir())
            if f"{folder}/{entry.name}" not in listed
        ]
    if foreign:
        shown_names = shorten(", ".join(foreign))
        raise OptionsError(
            f"output folder {shown}/ holds {len(foreign)} file(s) that no run wrote "
            f"({shown_names}); move them away: --force replaces the whole folder and deletes "
            "only what a run wrote"
        )


def recover(out: Path) -> list[str]:
    """Restore or remove what an interrupted run left beside ``out``; what was done, in words."""
    done: list[str] = []
    aside = aside_path(out)
    staging = staging_path(out)
    if aside.is_dir():
        if out.exists() or out.is_symlink():  # the new run was in place: the old one goes
            shutil.rmtree(aside)
            done.append(
                f"removed {shorten(aside)}: an interrupted run had put its complete outputs in "
                f"{shorten(out)} but not yet deleted the previous run it had moved aside"
            )
        else:  # interrupted between the two renames: the previous run comes back
            os.rename(aside, out)
            done.append(
                f"restored the previous run to {shorten(out)}: an interrupted run had moved it "
                f"aside to {shorten(aside)} and not put its own outputs in place"
            )
    if staging.is_dir():
        shutil.rmtree(staging)
        done.append(
            f"removed {shorten(staging)}: the outputs of an interrupted run, never put in place"
        )
    return done


def swap_in(staging: Path, out: Path) -> None:
    """Put the complete run in ``staging`` in place of ``out`` (see the module docstring)."""
    aside = aside_path(out)
    moved = False
    if out.exists():
        os.rename(out, aside)
        moved = True
    try:
        os.rename(staging, out)
    except BaseException:
        if moved:
            os.rename(aside, out)
        raise
    if moved:
        shutil.rmtree(aside, ignore_errors=True)  # what is left, the next run removes
