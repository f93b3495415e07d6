"""A run's final pass runs without automatic cycle collections (its per-employee containers are
freed by reference counting; the collector would only walk them), and the collector is as the
caller left it afterwards, whether the run ends well or fails."""

from __future__ import annotations

import errno
import gc
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

import incentives.io.writers
from conftest import EMPLOYEES, HISTORY, RATES, RATINGS, RULES
from incentives import jobs
from incentives.errors import IncentivesError
from incentives.jobs import RunRequest, run_job


def request(out: Path) -> RunRequest:
    return RunRequest(
        rules=RULES, employees=EMPLOYEES, out=out, rates=RATES, ratings=RATINGS, history=HISTORY
    )


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector enabled, as a process starts, and enabled again after the test."""
    enabled = gc.isenabled()
    gc.enable()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_final_pass_runs_without_collections_and_the_collector_is_enabled_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    """Every employee of the final pass is computed and written with the collector paused;
    once the run is done, it collects again."""
    paused: list[bool] = []
    write_items = jobs.write_items

    def watching(items: Iterable[Any], files: Any, writes: Any) -> None:
        def each() -> Iterator[Any]:
            for item in items:
                paused.append(not gc.isenabled())
                yield item

        write_items(each(), files, writes)

    monkeypatch.setattr(jobs, "write_items", watching)
    report = run_job(request(tmp_path / "run"))
    assert report.summary.computed > 0 and paused and all(paused)
    assert gc.isenabled()


def test_a_run_leaves_a_paused_collector_paused(tmp_path: Path, collector: None) -> None:
    """A caller that disabled the collector finds it disabled after the run."""
    gc.disable()
    run_job(request(tmp_path / "run"))
    assert not gc.isenabled()


def test_a_run_failing_in_its_final_pass_leaves_the_collector_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    """A disk that fills up while the employees are written: the run fails and the collector
    collects again."""

    def full_disk(self: object, line: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(incentives.io.writers.CsvSink, "write_line", full_disk)
    with pytest.raises(IncentivesError, match="No space left on device"):
        run_job(request(tmp_path / "run"))
    assert gc.isenabled()
