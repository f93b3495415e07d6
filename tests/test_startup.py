"""What `incentives run` does before its workers start is time no second core can share: the
modules it loads, and the collector while they load."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_ARGS
from incentives.cli import _collector_paused


def test_a_run_of_the_policies_as_written_loads_no_what_if_machinery(tmp_path: Path) -> None:
    """`incentives run` without --scenario or --set does not import `incentives.scenarios`
    (what-if runs do, and their manifests list the layers: test_what_if)."""
    script = (
        "import sys; from incentives.cli import main\n"
        f"sys.argv = ['incentives', 'run', *{list(SAMPLE_ARGS)!r}, '--out', "
        f"{str(tmp_path / 'out')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('incentives.scenarios')))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert found[-1] == "[]"
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_a_run_does_not_look_for_pydantic_plugins(tmp_path: Path) -> None:
    """`incentives run` validates its policy files without pydantic's look for plugins, which
    imports `importlib.metadata` and reads every installed distribution's metadata (the
    policy language tells pydantic there are none), and the run is complete."""
    script = (
        "import sys; from incentives.cli import main\n"
        f"sys.argv = ['incentives', 'run', *{list(SAMPLE_ARGS)!r}, '--out', "
        f"{str(tmp_path / 'out')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert found[-1] == "False"
    assert (tmp_path / "out" / "manifest.json").is_file()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_as_it_was_after_modules_load(enabled: bool) -> None:
    """The collector is paused while the CLI loads its modules, then on again only if it was
    on: a program that turned it off keeps it off."""
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with _collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
