"""A comparison of two result files in the terminal: rich tables of what
:mod:`commbench.compare` computed (``commbench compare``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from commbench.compare import compare_normalised, normalised, shape_summary
from commbench.units import format_seconds

_VERDICT_STYLE = {"faster": "green", "slower": "red"}


def _interval(low: float, high: float) -> str:
    return "-" if np.isnan(low) else f"{low:.3f}-{high:.3f}"


def _table(title: str, columns: list[str], rows: list[list[str]], numeric: Sequence = ()) -> Table:
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        out.add_row(*row)
    return out


def print_comparison(
    comparison: pd.DataFrame,
    summary: pd.DataFrame,
    one_side: pd.DataFrame,
    fingerprints: list[tuple[str, str, str, bool]],
    console: Console | None = None,
    *,
    labels: tuple[str, str] = ("baseline", "other"),
) -> None:
    """Rich tables: family summary, benchmarks by ratio, one-sided list, differing fingerprint.

    ``labels`` name the baseline and the other file in headers (see
    :func:`commbench.compare.run_labels`).
    """
    console = console or Console(width=max(Console().width, 120))
    base, oth = labels
    counts = ["faster", "slower", "no_difference", "no_samples"]
    rows = [
        [r.family, str(r.benchmarks), f"{r.geomean_ratio:.3f}", _interval(r.ci_low, r.ci_high)]
        + [str(getattr(r, c)) for c in counts]
        for r in summary.itertuples()
    ]
    columns = ["family", "benchmarks", "geomean", "95% CI", *counts]
    title = f"{oth} vs {base}: geometric mean of median ratios (< 1: {oth} is faster)"
    console.print(_table(title, columns, rows, numeric=columns[1:]))

    rows = []
    for r in comparison.sort_values("ratio", na_position="last").itertuples():
        times = [format_seconds(r.baseline_median_s), format_seconds(r.other_median_s)]
        test = [_interval(r.ci_low, r.ci_high), "-" if np.isnan(r.p_value) else f"{r.p_value:.2g}"]
        style = _VERDICT_STYLE.get(r.verdict, "default")
        shown = [f"[{style}]{r.verdict}[/]", escape(r.noise)]
        rows.append([escape(r.name), *times, f"{r.ratio:.3f}", *test, *shown])
    numeric = [base, oth, "ratio", "95% CI", "p"]
    columns = ["benchmark", *numeric, "verdict", "noise"]
    console.print(_table("benchmarks, by ratio", columns, rows, numeric=numeric))

    if not one_side.empty:
        sides = {"baseline": base, "other": oth}
        rows = [[r.family, escape(r.name), sides[r.side]] for r in one_side.itertuples()]
        columns = ["family", "benchmark", "only in"]
        console.print(_table("benchmarks in one file only", columns, rows))

    differing = [[k, escape(a), f"[bold]{escape(b)}[/]"] for k, a, b, diff in fingerprints if diff]
    if differing:
        title = "machine fingerprints: differing keys"
        console.print(_table(title, ["key", base, oth], differing))
    else:
        console.print(f"machine fingerprints: identical ({len(fingerprints)} keys compared)")


def print_shape(
    table: pd.DataFrame,
    baseline: str,
    other: str,
    baselines: Mapping[str, str],
    console: Console | None = None,
) -> None:
    """The normalised view in the terminal: per subject, the geometric mean across runs of
    its ratio to the family's baseline subject (measured in the same run); 1 = same shape."""
    norm = normalised(table, baselines)
    if norm.empty:
        return
    shape = compare_normalised(norm, baseline, other)
    summary = shape_summary(shape[shape["subject"] != shape["family"].map(baselines)])
    refs = ", ".join(f"{s} ({f})" for f, s in baselines.items())
    title = f"normalised view: each result over {refs} in its own run; ratio between the runs"
    columns = ["family", "subject", "benchmarks", "geomean", "median", "within 5%"]
    rows = [
        [
            r.family,
            r.subject,
            str(r.benchmarks),
            f"{r.geomean_normalised_ratio:.3f}",
            f"{r.median_normalised_ratio:.3f}",
            f"{r.within_5pct:.0%}",
        ]
        for r in summary.itertuples()
    ]
    console = console or Console(width=max(Console().width, 100))
    console.print(_table(title, columns, rows, numeric=columns[2:]))
