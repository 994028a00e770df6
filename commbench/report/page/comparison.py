"""The comparison section of the HTML report: every other run against the first.

Per benchmark the median ratio with its 95% bootstrap CI and a Mann-Whitney
verdict; a geometric mean per family; machine fingerprints side by side with the
differences marked; benchmarks present on one side only; and a normalised view
(each result over its family's baseline measured in the same run) that compares shape
across machines of different speed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from commbench import compare, families
from commbench.report.page.blocks import Cell, esc, paragraph, table_html
from commbench.results import Results
from commbench.units import format_seconds

"""Per family, the subject every result is divided by in the normalised view."""

MAX_ROWS = 60


def _interval(low: float, high: float) -> str:
    return "-" if np.isnan(low) else f"{low:.3f} – {high:.3f}"


def comparison_html(results: Results) -> str | None:
    """HTML for the comparison of runs 2..n against run 1; None with a single run.

    (:func:`commbench.report.render_html` with ``compare=True`` runs the same plan in its
    worker pool.)
    """
    plan = comparison_plan(results)
    if plan is None:
        return None
    tasks, assemble = plan
    return assemble([task() for task in tasks])


Plan = tuple[list[Callable[[], str]], Callable[[list[str]], str]]


def comparison_plan(results: Results) -> Plan | None:
    """The comparison as tasks (one per run against the baseline, each returning its HTML)
    and the function that joins their results; None with a single run."""
    if len(results.runs) < 2:
        return None
    table = results.table()
    files = [str(run.path) for run in results.runs]
    labels = compare.run_labels(table, files)
    baseline = files[0]
    intro = paragraph(
        f"Baseline: {labels[baseline]}. Ratios are other / baseline medians "
        "(< 1: the other run is faster). Verdicts need Mann-Whitney p < 0.05 "
        "and a 95% bootstrap CI of the ratio that excludes 1."
    )
    norm = compare.normalised(table, families.baselines())
    # validated and sorted here, once: the workers forked for the pairs inherit it
    prepared = compare.prepare_baseline(table, baseline)
    tasks = [
        functools.partial(_one_pair, table, norm, baseline, other, labels, results, prepared)
        for other in files[1:]
    ]

    def assemble(pairs: list[str]) -> str:
        parts = [intro]
        for other, html in zip(files[1:], pairs):
            parts.append(f"<h3>{esc(labels[other])} vs {esc(labels[baseline])}</h3>")
            parts.append(html)
        return "\n".join(parts)

    return tasks, assemble


def _one_pair(table, norm, baseline, other, labels, results, prepared) -> str:
    # one thread: the pairs already run in parallel, one process per CPU
    comparison = compare.compare_runs(table, baseline, other, workers=1, prepared=prepared)
    out = []
    if comparison.empty:
        out.append(paragraph("No benchmark is present in both files."))
    else:
        summary = compare.family_summary(comparison)
        rows = [
            [
                r.family,
                Cell(str(r.benchmarks), numeric=True),
                Cell(f"{r.geomean_ratio:.3f}", numeric=True),
                _interval(r.ci_low, r.ci_high),
                Cell(str(r.faster), numeric=True),
                Cell(str(r.slower), numeric=True),
                Cell(str(r.no_difference), numeric=True),
            ]
            for r in summary.itertuples()
        ]
        header = ["family", "benchmarks", "geomean ratio", "95% CI", "faster", "slower", "no diff."]
        out.append(table_html(header, rows, caption="Geometric mean of median ratios per family"))
        shown = comparison.reindex(
            (comparison["ratio"] - 1).abs().sort_values(ascending=False).index
        ).head(MAX_ROWS)
        rows = [
            [
                r.name,
                Cell(format_seconds(r.baseline_median_s), numeric=True),
                Cell(format_seconds(r.other_median_s), numeric=True),
                Cell(f"{r.ratio:.3f}", numeric=True),
                _interval(r.ci_low, r.ci_high),
                Cell("-" if np.isnan(r.p_value) else f"{r.p_value:.2g}", numeric=True),
                Cell(r.verdict, css=r.verdict.split()[0]),
                Cell("⚠" if r.noise else "", title=r.noise),
            ]
            for r in shown.itertuples()
        ]
        header = [
            "benchmark",
            labels[baseline],
            labels[other],
            "ratio",
            "95% CI",
            "p",
            "verdict",
            "",
        ]
        caption = (
            f"Per benchmark, largest differences first ({len(shown)} of "
            f"{len(comparison)}); ⚠ = unstable timing on either side"
        )
        out.append(table_html(header, rows, caption=caption))
    if not norm.empty:
        shape = compare.compare_normalised(norm, baseline, other)
        if not shape.empty and shape["normalised_ratio"].notna().any():
            ratios = shape["normalised_ratio"].dropna()
            ratios = ratios[ratios > 0]
            refs = ", ".join(f"{s} for {f}" for f, s in families.baselines().items())
            out.append(
                paragraph(
                    f"Normalised view (each result over {refs} "
                    f"in the same run): geometric mean of the cross-run ratio of normalised values "
                    f"{np.exp(np.log(ratios).mean()):.3f} over {len(ratios)} benchmarks "
                    "(1.0 = same shape, whatever the machines' speed)."
                )
            )
    one_side = compare.only_on_one_side(table, baseline, other, prepared=prepared)
    if not one_side.empty:
        rows = [
            [r.family, r.name, labels[baseline] if r.side == "baseline" else labels[other]]
            for r in one_side.itertuples()
        ]
        out.append(
            table_html(
                ["family", "benchmark", "only in"], rows, caption="Benchmarks in one file only"
            )
        )
    fp = {str(run.path): run.machine_info.get("commbench", {}) for run in results.runs}
    diff = compare.fingerprint_diff(fp[baseline], fp[other])
    rows = [[k, a, Cell(b, css="differs" if d else "")] for k, a, b, d in diff]
    out.append(
        table_html(
            ["fingerprint", labels[baseline], labels[other]],
            rows,
            caption="Machine fingerprints (differences highlighted)",
        )
    )
    return "\n".join(out)
