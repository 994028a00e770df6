"""How long ``commbench report`` takes on one result file and on N copies of it.

The figure the report issue asks for: "a report over 10 full result files renders in
under 10 s". Usage (``make bench-report RESULT=...`` runs the same)::

    .venv/bin/python bench/report_timing.py RESULT.json [--copies 10] [--repeat 3]

RESULT.json is copied N times into a temporary directory: N runs that happen to hold
the same numbers, each compared with the first and drawn like any other run. The real
command line runs REPEAT times for one file and for the N copies; each run's wall time
and CPU time (user + system, the workers included) are printed with the medians, the
size of the HTML file and the machine. Timings on a shared machine drift: compare
figures measured in one sitting.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIMEOUT_S = 600.0  # per report: a bound, far above any expected time


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_report(files: list[Path], output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``commbench report FILES -o OUTPUT``."""
    command = [sys.executable, "-m", "commbench.cli", "report", *map(str, files), "-o", str(output)]
    cpu, start = _cpu_s(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"commbench report exited with {done.returncode}: {last}")
    return wall, _cpu_s() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("result", type=Path, help="a result file (e.g. a full-profile run)")
    parser.add_argument("--copies", type=int, default=10, help="files in the big report")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report")
    args = parser.parse_args(argv)
    if not args.result.is_file():
        print(f"report_timing: {args.result}: no such file", file=sys.stderr)
        return 2
    if args.copies < 1 or args.repeat < 1:
        print("report_timing: --copies and --repeat must be at least 1", file=sys.stderr)
        return 2

    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"result file: {args.result} ({args.result.stat().st_size / 1e6:.1f} MB)")
    with tempfile.TemporaryDirectory(prefix="commbench-report-timing-") as scratch:
        root = Path(scratch)
        copies = [root / f"run{i:02d}.json" for i in range(1, args.copies + 1)]
        for copy in copies:
            shutil.copyfile(args.result, copy)
        for label, files in (("1 file", copies[:1]), (f"{args.copies} files", copies)):
            output = root / "report.html"
            try:
                runs = [time_report(files, output) for _ in range(args.repeat)]
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"report_timing: {label}: {exc}", file=sys.stderr)
                return 2
            walls = ", ".join(f"{wall:.2f}" for wall, _ in runs)
            print(
                f"{label}: median {statistics.median(w for w, _ in runs):.2f} s wall "
                f"(runs: {walls}), median {statistics.median(c for _, c in runs):.2f} s CPU, "
                f"HTML {output.stat().st_size / 1e6:.2f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
