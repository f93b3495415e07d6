"""A second process for the large sheets: their XML written and deflated while the report's
own process reads results.csv, gathers the facts, and writes the summary and the charts.

The XML of a sheet and its compression are pure Python and zlib, a core's worth of work for
the 100,000-employee bench (about 900 MB of XML); a thread would share the interpreter's lock
with the main work, a process does not. The worker writes each sheet's parts, deflated exactly
as `zipfile` would, into files of the report's temporary folder (`zip_entries.DeflateFile`);
the main process copies them into the package in the sheets' order
(`zip_entries.copy_deflated`): the workbook's bytes are those of the one-process way.

The worker is ``python -m incentives.reports.sheet_worker``, not `multiprocessing`: that
would import the caller's main module again in the worker ("spawn": a notebook or a script
without ``if __name__ == "__main__"`` fails) or copy a process that may have threads
("fork"). Jobs go to it as pickle files in the temporary folder (a line each on its stdin),
answers come back pickled on its stdout, in order.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from incentives.reports.bulk_sheets import BulkSheet, counted
from incentives.reports.bulk_writer import style_ids, write_streamed
from incentives.reports.run_source import RunSource
from incentives.reports.styles import Styles
from incentives.reports.zip_entries import Deflated, DeflateFile

__all__ = ["WORTH_A_WORKER", "SheetWorker"]

WORTH_A_WORKER = 2_000_000  # bytes of results.csv from which a worker pays for its start


def _currencies(source: RunSource) -> dict[str, list[str]]:
    """The currency of each row of results.csv, per policy (as `bulk_writer.spool_results`
    finds them; the report's process checks the file)."""
    rows = source.rows("results.csv", ("policy", "currency"))
    header = next(rows)
    policy_at, currency_at = header.index("policy"), header.index("currency")
    found: dict[str, list[str]] = {p.id: [] for p in source.policies}
    for row in rows:
        found.setdefault(row[policy_at], []).append(row[currency_at])
    return found


def _deflate_sheet(
    source: RunSource,
    sheet: BulkSheet,
    currencies: Sequence[str] | None,
    ids: Any,
    folder: Path,
    prefix: str,
) -> list[Deflated]:
    """The sheet's parts deflated; a policy's sheet (``sheet.policy``) counted and split here,
    its rows' currencies read from results.csv (``currencies``: the run's, once)."""
    writer = DeflateFile(folder, prefix)
    names = [f"{prefix}-{n}" for n in range(len(sheet.parts))]  # named in the package later
    write_streamed(writer, source, sheet, names, currencies, ids)
    return writer.done


class SheetWorker:
    """The worker process: ``submit`` queues a sheet and gives its ticket; ``result(ticket)``
    waits for its deflated parts (or raises the worker's error); ``close`` ends the worker."""

    def __init__(self, source: RunSource, styles: Styles, folder: Path) -> None:
        self._folder = folder
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "incentives.reports.sheet_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )  # fmt: skip
        self._sent = 0
        self._answers: list[tuple[str, Any]] = []
        self._send((source, style_ids(styles), folder))

    def _send(self, job: object) -> None:
        path = self._folder / f"job{self._sent}.pickle"
        path.write_bytes(pickle.dumps(job, pickle.HIGHEST_PROTOCOL))
        assert self._process.stdin is not None
        self._process.stdin.write(os.fsencode(path) + b"\n")
        self._process.stdin.flush()
        self._sent += 1

    def submit(self, sheet: BulkSheet, max_rows: int) -> int:
        """Queue ``sheet``: a policy's is counted and split by the worker (as `counted`
        does), the others come split."""
        self._send((sheet, max_rows, f"sheet{self._sent}"))
        return self._sent - 2  # the first job was the run itself

    def result(self, ticket: int) -> list[Deflated]:
        assert self._process.stdout is not None
        while len(self._answers) <= ticket:
            try:
                self._answers.append(pickle.load(self._process.stdout))
            except EOFError:
                raise RuntimeError("the report's worker process ended unexpectedly") from None
        status, value = self._answers[ticket]
        if status != "ok":
            raise value
        return list(value)

    def close(self, *, failed: bool) -> None:
        """End the worker: at once after an error, else once its queue is done."""
        assert self._process.stdin is not None
        if failed:
            self._process.kill()
        self._process.stdin.close()
        self._process.wait()
        assert self._process.stdout is not None
        self._process.stdout.close()


def _answer(out: IO[bytes], status: str, value: object) -> None:
    try:
        data = pickle.dumps((status, value), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an error that cannot be pickled: its message
        data = pickle.dumps(("error", RuntimeError(str(value))), pickle.HIGHEST_PROTOCOL)
    out.write(data)
    out.flush()


def _serve() -> None:
    out = os.fdopen(os.dup(1), "wb")  # the answers; a stray print goes to stderr
    os.dup2(2, 1)
    source: RunSource | None = None
    currencies: dict[str, list[str]] | None = None
    for line in sys.stdin.buffer:
        job = pickle.loads(Path(os.fsdecode(line.rstrip(b"\n"))).read_bytes())
        if source is None:
            source, ids, folder = job
            continue
        sheet, max_rows, prefix = job
        try:
            found = None
            if sheet.policy is not None:
                currencies = currencies or _currencies(source)
                found = currencies[sheet.policy]
                sheet = counted([sheet], {sheet.policy: len(found)}, max_rows)[0]
            _answer(out, "ok", _deflate_sheet(source, sheet, found, ids, folder, prefix))
        except Exception as error:  # handed to the report's process, raised there
            _answer(out, "error", error)


if __name__ == "__main__":
    _serve()
