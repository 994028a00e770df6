"""CPU seconds of comparing two result files (``commbench.compare.compare_runs``).

Usage::

    .venv/bin/python bench/compare_timing.py BASELINE.json [OTHER.json] [--repeat 5]

Without OTHER, BASELINE is compared with a copy of itself (what a report over N copies
of one file does N - 1 times) and with a perturbed copy (every sixth benchmark's samples
scaled by 1.03, 0.96, shifted by 1% of the median, jittered by 0-2% or 0-1%: verdicts of
every kind). Printed per case: CPU seconds per pair, alone and with the baseline
prepared once (``prepare_baseline``, as the report and ``commbench compare`` do), the
best of REPEAT runs, and the verdict counts. (It runs on older checkouts too, without
the prepared figure: PYTHONPATH=old-checkout to compare.) CPU time (``time.process_time``), not wall
time: it stays meaningful on a machine shared with other work.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from commbench import compare
from commbench.results import load_results


def perturbed(table: pd.DataFrame, file: str, seed: int = 42) -> pd.DataFrame:
    """*table* with the samples of *file* changed benchmark by benchmark (kept sorted)."""
    rng = np.random.default_rng(seed)
    changes: list[Callable[[np.ndarray], np.ndarray]] = [
        lambda x: x * 1.03,
        lambda x: x * 0.96,
        lambda x: x + 0.01 * float(np.median(x)),
        lambda x: np.sort(x * (1 + 0.02 * rng.random(x.size))),
        lambda x: np.sort(x * (0.995 + 0.01 * rng.random(x.size))),
        lambda x: x.copy(),
    ]
    out = table.copy()
    out["samples"] = [
        changes[i % len(changes)](x) if f == file and isinstance(x, np.ndarray) and x.size else x
        for i, (f, x) in enumerate(zip(table["file"], table["samples"], strict=True))
    ]
    return out


def best_cpu_s(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument("other", type=Path, nargs="?")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        print("compare_timing: --repeat must be at least 1", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="commbench-compare-timing-") as scratch:
        other_path = args.other
        if other_path is None:  # a copy: another file with the same numbers
            other_path = Path(scratch) / f"copy-{args.baseline.name}"
            shutil.copyfile(args.baseline, other_path)
        results = load_results([args.baseline, other_path])
    if len(results.runs) < 2:
        print("compare_timing: need two readable result files", file=sys.stderr)
        return 2
    table = results.table()
    base, other = (str(run.path) for run in results.runs)
    cases = {"as given": table}
    if args.other is None:
        cases = {"identical copy": table, "perturbed copy": perturbed(table, other)}
    for name, rows in cases.items():
        compare.compare_runs(rows, base, other)  # the per-size draws cached, as in a report
        alone = best_cpu_s(lambda rows=rows: compare.compare_runs(rows, base, other), args.repeat)
        verdicts = compare.compare_runs(rows, base, other)["verdict"].value_counts().to_dict()
        line = f"{name}: {alone:.3f} s CPU per pair"
        if hasattr(compare, "prepare_baseline"):  # not in checkouts before it (to compare)
            start = time.process_time()
            prepared = compare.prepare_baseline(rows, base)
            prepare_s = time.process_time() - start
            with_prepared = best_cpu_s(
                lambda rows=rows, prepared=prepared: compare.compare_runs(
                    rows, base, other, prepared=prepared
                ),
                args.repeat,
            )
            line += f", {with_prepared:.3f} s with the baseline prepared ({prepare_s:.3f} s once)"
        print(f"{line}; verdicts {verdicts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
