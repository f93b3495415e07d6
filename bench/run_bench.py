"""End-to-end benchmark of `incentives run` on synthetic rosters.

    .venv/bin/python bench/run_bench.py [--sizes 100000 1000000] [--repeat 3] [--seed 42]
        [--cycle | --bonus-only] [--bonus-only-sizes 100000]

Workloads:
  --cycle (default)  the full compensation cycle: every policy in bench/rules/ (bonus with
                     time-weighted segments, merit, promotion readiness), with the generated
                     rating history (--ratings) and dated changes (--history, 10 % of employees);
  --bonus-only       the earlier workload: bench/rules/bench_bonus.yaml alone, no ratings or
                     history file (the weighted step then costs nothing extra), same roster.
--bonus-only-sizes also runs the bonus-only workload at those sizes, after the main workload, so
one invocation can measure both and report them in one table.

For each size N: generate the roster and its ratings and history files once (cached in
bench/data/, git-ignored), then run `incentives run` as a subprocess --repeat times (interpreter
start-up included), measuring wall time and the child's peak resident memory (os.wait4 rusage of
that very process, so one run's peak never hides another's). Every repeat's results.csv,
inputs.csv and breakdown/*.csv must be byte-identical and the manifest's counts must reconcile with N (every
employee computed once per policy kind, none rejected). Prints a Markdown table and writes it to
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
    rows_by_kind: dict[str, int]
    breakdown_rows: int  # summed over the policies' breakdown files
    input_rows: int = 0  # inputs.csv: one row per computed employee


@dataclass
class SizeResult:
    n: int
    workload: str  # "cycle" or "bonus only"
    runs: list[RunMeasure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    commits: set[str] = field(default_factory=set)  # engine versions seen (source_version)


def incentives_command() -> list[str]:
    """The `incentives` console script next to this interpreter, else `python -m incentives`."""
    exe = Path(sys.executable).parent / "incentives"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "incentives"]


def roster_for(n: int, seed: int, data_dir: Path) -> tuple[Path, Path, Path]:
    """The cached roster, ratings and history files for (n, seed), regenerated (all three) when
    one is missing or generate.py is newer than any of them."""
    path = data_dir / f"employees_{n}_seed{seed}.csv"
    # the companions are named by generate.companions(): OUT stem + _ratings.csv / _history.csv
    paths = (path, path.with_name(path.stem + "_ratings.csv"),
             path.with_name(path.stem + "_history.csv"))
    generator = BENCH / "generate.py"
    if all(p.exists() and p.stat().st_mtime >= generator.stat().st_mtime for p in paths):
        return paths
    print(f"generating {n:,} employees -> {path} (+ _ratings.csv, _history.csv)", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(generator), str(n), str(path), "--seed", str(seed)], check=True
    )
    print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
    return paths


def count_kinds(path: Path) -> dict[str, int]:
    """results.csv rows per policy kind (the third column; ids and policy ids hold no commas or
    quotes in the generated data, so a split is enough)."""
    kinds: dict[str, int] = {}
    with open(path, "rb") as fh:
        next(fh)
        for line in fh:
            kind = line.split(b",", 3)[2].decode()
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


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


def bench_size(n: int, args: argparse.Namespace, cycle: bool) -> SizeResult:
    roster, ratings, history = roster_for(n, args.seed, args.data_dir)
    out = args.out_dir / (str(n) if cycle else f"{n}-bonus-only")
    result = SizeResult(n, "cycle" if cycle else "bonus only")
    kinds = EXPECTED_KINDS if cycle else ("bonus",)
    for k in range(1, args.repeat + 1):
        run_dir = out / "run"
        log = out / f"run-{k}.log"
        out.mkdir(parents=True, exist_ok=True)
        rules = args.rules if cycle else args.bonus_rules
        cmd = [
            *incentives_command(), "run", "--rules", str(rules), "--employees", str(roster),
            "--rates", str(args.rates), "--out", str(run_dir), "--force",
        ]
        if cycle:
            cmd += ["--ratings", str(ratings), "--history", str(history)]
        result.commits.add(source_version())
        wall, peak_kib, tree_kib, rc = run_once(cmd, log)
        if rc != 0:
            result.problems.append(f"run {k} exited {rc} (see {log})")
            print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
            break
        hashes: dict[str, str] = {}
        manifest = json.loads((run_dir / "manifest.json").read_text())
        breakdown_files = sorted(manifest["files"]["breakdown"].values())  # one per policy
        lines_of: dict[str, int] = {}
        for name in ("results.csv", "inputs.csv", *breakdown_files):
            hashes[name], lines_of[name] = hash_file(run_dir / name)
        rows = lines_of["results.csv"] - 1
        breakdown_rows = sum(lines_of[name] - 1 for name in breakdown_files)
        by_kind = count_kinds(run_dir / "results.csv")
        output_bytes = sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file())
        counts = manifest["counts"]
        measure = RunMeasure(
            wall, peak_kib, tree_kib, output_bytes, hashes, counts, rows, by_kind, breakdown_rows,
            lines_of["inputs.csv"] - 1,
        )
        result.runs.append(measure)
        print(
            f"N={n:,} {result.workload} run {k}/{args.repeat}: {wall:.2f} s, "
            f"{n / wall:,.0f} employees/s, "
            f"peak {peak_kib / 1024:.0f} MiB (largest process), {tree_kib / 1024:.0f} MiB "
            f"(whole tree, sampled PSS), {output_bytes:,} output bytes",
            flush=True,
        )
        result.problems += check_counts(n, measure, k, kinds)
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


EXPECTED_KINDS = ("bonus", "merit", "promotion")


def check_counts(n: int, m: RunMeasure, k: int, kinds: tuple[str, ...]) -> list[str]:
    """The manifest's counts against N, and the outputs against the counts: every computed
    employee has exactly one results.csv row and one breakdown row per policy kind (each
    bench policy covers every employee: population plan == 'AIP'), and one inputs.csv row."""
    c = m.counts
    computed = c.get("computed")
    per_kind = {kind: m.rows_by_kind.get(kind, 0) for kind in kinds}
    problems = []
    expect = {
        "read == N": c.get("read") == n,
        "computed + rejected == read": c.get("computed", 0) + c.get("rejected", 0) == c.get("read"),
        "eligible + ineligible == computed x kinds":
            c.get("eligible", 0) + c.get("ineligible", 0) == (computed or 0) * len(kinds),
        "manifest reconciles": c.get("reconciles") is True,
        "results.csv rows == computed x kinds": m.result_rows == (computed or 0) * len(kinds),
        "breakdown rows (all policies' files) == computed x kinds":
            m.breakdown_rows == (computed or 0) * len(kinds),
        "inputs.csv rows == computed": m.input_rows == computed,
        f"one results.csv row per employee and kind ({', '.join(kinds)})":
            all(v == computed for v in per_kind.values()) and set(m.rows_by_kind) == set(kinds),
        "no rejected rows": c.get("rejected") == 0,
        "no orphan rows (ratings or history for unknown employees)": not c.get("orphan_rows"),
    }
    for what, ok in expect.items():
        if not ok:
            problems.append(
                f"run {k}: {what} fails (counts {c}, results rows {m.result_rows} "
                f"{m.rows_by_kind}, breakdown rows {m.breakdown_rows})"
            )
    return problems


def table(results: list[SizeResult]) -> str:
    lines = [
        "| workload | N | runs | median wall s | min–max wall s | employees/s | peak MiB "
        "| tree PSS MiB | output bytes | identical outputs | counts reconcile |",
        "|:---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for r in results:
        if not r.runs:
            lines.append(f"| {r.workload} | {r.n:,} | 0 | failed | | | | | | | |")
            continue
        walls = [m.wall_s for m in r.runs]
        med = statistics.median(walls)
        peak = max(m.peak_kib for m in r.runs) / 1024
        tree = max(m.tree_pss_kib for m in r.runs) / 1024
        identical = not any("differs" in p for p in r.problems)
        reconcile = not any("fails" in p for p in r.problems)
        lines.append(
            f"| {r.workload} | {r.n:,} | {len(walls)} | {med:.2f} | {min(walls):.2f}–{max(walls):.2f} "
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


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def display(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


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
    workload = parser.add_mutually_exclusive_group()
    workload.add_argument("--cycle", dest="cycle", action="store_true", default=True,
                          help="full cycle: every policy in --rules, with ratings and history "
                          "(the default)")
    workload.add_argument("--bonus-only", dest="cycle", action="store_false",
                          help="the bonus policy alone (--bonus-rules), no ratings or history")
    parser.add_argument("--bonus-only-sizes", type=int, nargs="*", default=[],
                        help="also run the bonus-only workload at these sizes, for comparison")
    parser.add_argument("--rules", type=Path, default=BENCH / "rules")
    parser.add_argument("--bonus-rules", type=Path, default=BENCH / "rules" / "bench_bonus.yaml")
    parser.add_argument("--rates", type=Path, default=BENCH / "rates.csv")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    parser.add_argument("--out-dir", type=Path, default=BENCH / "out")
    parser.add_argument("--results-md", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--append", action="store_true",
                        help="add this invocation's report to --results-md instead of replacing it")
    parser.add_argument("--keep-outputs", action="store_true",
                        help="keep the last run folder under --out-dir/N/run")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    load_before = load_average()
    results = [bench_size(n, args, args.cycle) for n in args.sizes]
    results += [bench_size(n, args, False) for n in args.bonus_only_sizes]
    load_after = load_average()
    md = table(results)
    problems = [f"{r.workload} N={r.n:,}: {p}" for r in results for p in r.problems]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = (
        "# Benchmark results\n\n"
        f"`incentives run` end to end ({stamp}; {machine()}; "
        f"engine {'; '.join(sorted(set().union(*(r.commits for r in results))))}; "
        f"load average {load_before} before, {load_after} after).\n"
        f"Workloads: *cycle*: every policy in `{display(args.rules)}` (bonus with time-weighted "
        "segments, merit, promotion readiness) with `--ratings` and `--history`; *bonus only*: "
        f"`{display(args.bonus_rules)}` alone, no ratings or history. "
        f"Rosters, ratings and history from `bench/generate.py N OUT.csv --seed {args.seed}`; "
        "wall time is the median of the runs, interpreter start-up included. *peak MiB*: the "
        "largest resident set of any one process of the run (`wait4` rusage); *tree PSS MiB*: "
        "the run's processes together (parent and forked workers, shared pages counted once), "
        "sampled every 0.25 s.\n\n"
        f"{md}\n"
    )
    if problems:
        report += "\nProblems:\n\n" + "".join(f"- {p}\n" for p in problems)
    print()
    print(md)
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    if args.append and args.results_md.exists():
        report = args.results_md.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + report.replace(
            "# Benchmark results\n", "## Further runs\n", 1
        )
    args.results_md.write_text(report, encoding="utf-8")
    print(f"\nwritten to {args.results_md}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
