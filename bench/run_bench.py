"""End-to-end benchmark of `incentives run` on synthetic rosters.

    .venv/bin/python bench/run_bench.py [--sizes 100000 1000000] [--repeat 3] [--seed 42]

For each size N: generate the roster once (cached in bench/data/, git-ignored), then run
`incentives run` as a subprocess --repeat times (interpreter start-up included), measuring wall
time and the child's peak resident memory (os.wait4 rusage of that very process, so one run's
peak never hides another's). Every repeat's results.csv and breakdown.csv must be byte-identical
and the manifest's counts must reconcile with N. Prints a Markdown table and writes it to
bench/RESULTS.md (or --results-md).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass
class RunMeasure:
    wall_s: float
    peak_kib: int
    tree_pss_kib: int
    output_bytes: int
    hashes: dict[str, str]
    counts: dict[str, object]
    result_rows: int


@dataclass
class SizeResult:
    n: int
    runs: list[RunMeasure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    commits: set[str] = field(default_factory=set)  # engine versions seen (source_version)


def incentives_command() -> list[str]:
    """The `incentives` console script next to this interpreter, else `python -m incentives`."""
    exe = Path(sys.executable).parent / "incentives"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "incentives"]


def roster_for(n: int, seed: int, data_dir: Path) -> Path:
    """The cached roster for (n, seed), regenerated when generate.py is newer than the cache."""
    path = data_dir / f"employees_{n}_seed{seed}.csv"
    generator = BENCH / "generate.py"
    if path.exists() and path.stat().st_mtime >= generator.stat().st_mtime:
        return path
    print(f"generating {n:,} employees -> {path}", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(generator), str(n), str(path), "--seed", str(seed)], check=True
    )
    print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def hash_file(path: Path) -> tuple[str, int]:
    """sha256 of the file and its number of lines."""
    digest = hashlib.sha256()
    lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def _descendants(root: int) -> list[int]:
    """root and every process below it, from the ppid field of /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def _pss_kib(pid: int) -> int:
    """Proportional set size of one process (shared pages split between sharers), else RSS."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", b"Pss:"), (f"/proc/{pid}/status", b"VmRSS:")):
        try:
            with open(path, "rb") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class TreeMemorySampler(threading.Thread):
    """Samples the summed PSS of a process tree (the run and its forked workers)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.available = Path("/proc/self/stat").exists()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while self.available and not self._stop_event.is_set():
            total = sum(_pss_kib(p) for p in _descendants(self.pid))
            self.peak_kib = max(self.peak_kib, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_once(cmd: list[str], log: Path) -> tuple[float, int, int, int]:
    """Run cmd; return (wall s, peak RSS of its largest process in KiB, sampled peak PSS of its
    whole process tree in KiB (0 without /proc), exit code)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = TreeMemorySampler(proc.pid)
        sampler.start()
        # wait4 gives this child's own rusage (its waited-for children included): ru_maxrss is
        # the largest resident set of any one of those processes, not their sum.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak_kib = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return wall, peak_kib, sampler.peak_kib, proc.returncode


def bench_size(n: int, args: argparse.Namespace) -> SizeResult:
    roster = roster_for(n, args.seed, args.data_dir)
    out = args.out_dir / str(n)
    result = SizeResult(n)
    for k in range(1, args.repeat + 1):
        run_dir = out / "run"
        log = out / f"run-{k}.log"
        out.mkdir(parents=True, exist_ok=True)
        cmd = [
            *incentives_command(), "run", "--rules", str(args.rules), "--employees", str(roster),
            "--rates", str(args.rates), "--out", str(run_dir), "--force",
        ]
        result.commits.add(source_version())
        wall, peak_kib, tree_kib, rc = run_once(cmd, log)
        if rc != 0:
            result.problems.append(f"run {k} exited {rc} (see {log})")
            print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
            break
        hashes: dict[str, str] = {}
        rows = 0
        for name in ("results.csv", "breakdown.csv"):
            hashes[name], lines = hash_file(run_dir / name)
            if name == "results.csv":
                rows = lines - 1
        output_bytes = sum(p.stat().st_size for p in run_dir.iterdir() if p.is_file())
        counts = json.loads((run_dir / "manifest.json").read_text())["counts"]
        measure = RunMeasure(wall, peak_kib, tree_kib, output_bytes, hashes, counts, rows)
        result.runs.append(measure)
        print(
            f"N={n:,} run {k}/{args.repeat}: {wall:.2f} s, {n / wall:,.0f} employees/s, "
            f"peak {peak_kib / 1024:.0f} MiB (largest process), {tree_kib / 1024:.0f} MiB "
            f"(whole tree, sampled PSS), {output_bytes:,} output bytes",
            flush=True,
        )
        result.problems += check_counts(n, measure, k)
    if len(result.commits) > 1:
        result.problems.append(
            f"the engine (src/) changed during the runs ({'; '.join(sorted(result.commits))})"
        )
    first = result.runs[0] if result.runs else None
    for k, measure in enumerate(result.runs[1:], start=2):
        assert first is not None
        for name, digest in measure.hashes.items():
            if digest != first.hashes[name]:
                result.problems.append(f"run {k}: {name} differs from run 1")
    if not args.keep_outputs:
        shutil.rmtree(out / "run", ignore_errors=True)
    return result


def check_counts(n: int, m: RunMeasure, k: int) -> list[str]:
    c = m.counts
    problems = []
    expect = {
        "read == N": c.get("read") == n,
        "computed + rejected == read": c.get("computed", 0) + c.get("rejected", 0) == c.get("read"),
        "eligible + ineligible == computed":
            c.get("eligible", 0) + c.get("ineligible", 0) == c.get("computed"),
        "manifest reconciles": c.get("reconciles") is True,
        "results.csv rows == computed": m.result_rows == c.get("computed"),
        "no rejected rows": c.get("rejected") == 0,
    }
    for what, ok in expect.items():
        if not ok:
            problems.append(f"run {k}: {what} fails (counts {c}, results rows {m.result_rows})")
    return problems


def table(results: list[SizeResult]) -> str:
    lines = [
        "| N | runs | median wall s | min–max wall s | employees/s | peak MiB | tree PSS MiB "
        "| output bytes | identical outputs | counts reconcile |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for r in results:
        if not r.runs:
            lines.append(f"| {r.n:,} | 0 | failed | | | | | | | |")
            continue
        walls = [m.wall_s for m in r.runs]
        med = statistics.median(walls)
        peak = max(m.peak_kib for m in r.runs) / 1024
        tree = max(m.tree_pss_kib for m in r.runs) / 1024
        identical = not any("differs" in p for p in r.problems)
        reconcile = not any("fails" in p for p in r.problems)
        lines.append(
            f"| {r.n:,} | {len(walls)} | {med:.2f} | {min(walls):.2f}–{max(walls):.2f} "
            f"| {r.n / med:,.0f} | {peak:.0f} | {tree:.0f} | {r.runs[-1].output_bytes:,} "
            f"| {'yes' if identical else 'NO'}{'' if len(walls) > 1 else ' (1 run)'} "
            f"| {'yes' if reconcile else 'NO'} |"
        )
    return "\n".join(lines)


def source_version() -> str:
    """The engine under test: HEAD's short hash (read-only git) and a hash of src/ as it is on
    disk, so uncommitted edits and commits that touch src/ both show."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    head = "unknown"
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout.strip()
    return f"HEAD {head}, src sha256 {digest.hexdigest()[:12]}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rules", type=Path, default=BENCH / "rules")
    parser.add_argument("--rates", type=Path, default=BENCH / "rates.csv")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    parser.add_argument("--out-dir", type=Path, default=BENCH / "out")
    parser.add_argument("--results-md", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--keep-outputs", action="store_true",
                        help="keep the last run folder under --out-dir/N/run")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    results = [bench_size(n, args) for n in args.sizes]
    md = table(results)
    problems = [f"N={r.n:,}: {p}" for r in results for p in r.problems]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = (
        "# Benchmark results\n\n"
        f"`incentives run` end to end on `bench/rules/bench_bonus.yaml` ({stamp}; {machine()}; "
        f"engine {'; '.join(sorted(set().union(*(r.commits for r in results))))}).\n"
        f"Rosters from `bench/generate.py N --seed {args.seed}`; wall time is the median of the "
        "runs, interpreter start-up included. *peak MiB*: the largest resident set of any one "
        "process of the run (`wait4` rusage); *tree PSS MiB*: the run's processes together "
        "(parent and forked workers, shared pages counted once), sampled every 0.25 s.\n\n"
        f"{md}\n"
    )
    if problems:
        report += "\nProblems:\n\n" + "".join(f"- {p}\n" for p in problems)
    print()
    print(md)
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    args.results_md.write_text(report, encoding="utf-8")
    print(f"\nwritten to {args.results_md}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
