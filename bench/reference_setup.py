"""What bench/reference_check.py and bench/reference_bench.py share: the baseline's folder, its
seeded roster, the roster `incentives` reads, and the two commands.

The baseline (`../shared/bench-baseline` by default: README.md, REFERENCE_POLICY.md,
gen_employees.py, impl_plain.py) is only ever run from its own folder, never copied here.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
POLICY = BENCH / "reference"
DEFAULT_BASELINE = ROOT.parent / "shared" / "bench-baseline"
DEFAULT_SEED = 20260101  # gen_employees.py's own default
GOALS = 3  # the generator's goal column groups: goal1_ .. goal3_


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help="the bench-baseline folder (gen_employees.py, impl_plain.py); default: %(default)s",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument(
        "--data",
        type=Path,
        default=BENCH / "data" / "reference",
        help="where rosters and outputs go (git-ignored); default: %(default)s",
    )


def baseline_script(baseline: Path, name: str) -> Path:
    script = baseline.resolve() / name
    if not script.is_file():
        sys.exit(f"error: {script} not found: give the baseline's folder with --baseline")
    return script


def baseline_command(baseline: Path, roster: Path, out: Path) -> list[str]:
    """impl_plain.py on a roster, run from its own folder (it imports its common.py)."""
    return [sys.executable, str(baseline_script(baseline, "impl_plain.py")), str(roster), str(out)]


def incentives_env() -> dict[str, str]:
    """The environment that makes the interpreter import this checkout's src/."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + path if path else "")
    return env


def compile_bytecode(tree: Path) -> None:
    """Compile a checkout's src/ to bytecode before timing it, as `pip install` does for an
    installed package: with PYTHONDONTWRITEBYTECODE set (as in some shells and CI), every
    timed run would otherwise compile ~140 modules from source (~0.1 s CPU each time)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "src")], check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def incentives_command(roster: Path, out: Path, rules: Path = POLICY) -> list[str]:
    """A normal `incentives run` of the reference policy: results, breakdown, manifest."""
    return [
        sys.executable, "-m", "incentives", "run",
        "--rules", str(rules), "--employees", str(roster), "--out", str(out), "--force",
    ]  # fmt: skip


def generated_roster(baseline: Path, n: int, seed: int, data: Path) -> Path:
    """The baseline generator's roster for (n, seed), generated once (same n and seed, same
    bytes)."""
    generator = baseline_script(baseline, "gen_employees.py")
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"employees_{n}_seed{seed}.csv"
    if path.exists() and path.stat().st_mtime >= generator.stat().st_mtime:
        return path
    print(f"generating {n:,} employees with {generator} -> {path}", flush=True)
    start = time.perf_counter()
    partial = path.with_suffix(".partial")
    subprocess.run(
        [sys.executable, str(generator), str(n), str(partial), "--seed", str(seed)], check=True
    )
    partial.replace(path)
    print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def roster_for_incentives(roster: Path, data: Path) -> Path:
    """The roster `incentives run` reads: the generated one itself, unless this engine still
    requires a `goalN_name` column in each goal column group (the generator writes none); then
    a copy with goal1_name..goal3_name appended ("goal1".."goal3"), made once."""
    if not _needs_goal_names(roster, data):
        return roster
    named = roster.with_name(roster.stem + "_named.csv")
    if named.exists() and named.stat().st_mtime >= roster.stat().st_mtime:
        return named
    print(f"this engine needs goalN_name columns: writing {named}", flush=True)
    _write_named(roster, named.with_suffix(".partial")).replace(named)
    return named


def _needs_goal_names(roster: Path, data: Path) -> bool:
    """Run the reference policy on the roster's first two rows and look at the refusal."""
    probe = data / "probe"
    probe.mkdir(parents=True, exist_ok=True)
    sample = probe / "sample.csv"
    with open(roster, newline="") as src, open(sample, "w", newline="") as dst:
        for _, line in zip(range(3), src, strict=False):
            dst.write(line)
    done = subprocess.run(
        incentives_command(sample, probe / "out"),
        env=incentives_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode == 0:
        return False
    if "goal1_name" in done.stderr:
        return True
    sys.exit(f"error: `incentives run` refused a two-row sample of {roster}:\n{done.stderr}")


def _write_named(roster: Path, out: Path) -> Path:
    with open(roster, newline="") as src, open(out, "w", newline="") as dst:
        reader = csv.reader(src)
        writer = csv.writer(dst, lineterminator="\n")
        names = [f"goal{i}" for i in range(1, GOALS + 1)]
        writer.writerow([*next(reader), *(f"{name}_name" for name in names)])
        for row in reader:
            writer.writerow([*row, *names])
    return out
