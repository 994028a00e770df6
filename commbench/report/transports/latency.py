"""The latency section: one-way latency against size, its CDF and table, and every run side
by side. Rows carry ``metric.one_way_*_ns`` (nanoseconds) and ``samples`` (seconds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    run_labels,
    table_html,
)
from commbench.report.page.generic import readable_or_generic
from commbench.report.page.tables import row_noise
from commbench.report.transports import figures as figs
from commbench.report.transports.common import (
    CASE_COLUMNS,
    LEAD_CELLS,
    conditions,
    count_of,
    css_classes,
    losses_paragraph,
    not_measured_block,
    palette,
    round_trips_text,
    runs_text,
    table_rows,
)
from commbench.report.transports.figures import FLOOR
from commbench.results import family_rows
from commbench.units import format_bytes, format_seconds

CDF_SIZE_BYTES = 64


_PERCENTILES = ("p50", "p90", "p99", "p99.9", "max")


@draws
def latency_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """One-way p50 and p99 against message size, with the floor and the references."""
    refs = figs.reference_points(ctx.rows("reference"))
    png = figs.latency_size_figure(rows, palette(ctx), refs)
    floor = (
        " The wide grey line is the shared-memory floor (shm-floor: two processes handing a "
        "message through shared memory, busy-waiting, cross-core), which no transport between "
        "processes can beat."
        if (rows["subject"] == FLOOR).any()
        else ""
    )
    ref = " Black stars: the reference measurement at that size." if len(refs) else ""
    caption = (
        "One-way latency (round-trip time / 2) against message size, one line per transport, "
        "one panel per path and placement; p50 solid with markers, p99 dashed; log–log, lower "
        f"is better. Busy-waiting transports (MPI over shared memory, the floor) are measured "
        f"cross-core only.{floor}{ref} Each point summarises {round_trips_text(rows)}. "
        f"{conditions(rows, ctx)}"
    )
    html = figure_html(png, alt="one-way latency against message size", caption=caption)
    return [Block("Latency against size", ctx.anchor("latency-size"), html)]


@draws
def cdf_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Latency CDF at 64 B (or the smallest size measured) from the raw samples."""
    sizes = sorted(int(s) for s in rows["size_bytes"].dropna().unique())
    if not sizes or "samples" not in rows:
        return []
    size = CDF_SIZE_BYTES if CDF_SIZE_BYTES in sizes else sizes[0]
    at = rows[(rows["size_bytes"] == size) & rows["samples"].notna()]
    if at.empty:
        return []
    caption = (
        f"Distribution of the one-way latency at {format_bytes(size)}: the fraction of round "
        "trips at or below x (x log scale); further left is better, and a curve that reaches "
        "100% late has a long tail. Colour: transport; line style: placement; wide grey: the "
        f"shared-memory floor. {round_trips_text(at).capitalize()} per curve, every one drawn. "
        f"{conditions(at, ctx)}"
    )
    png = figs.latency_cdf_figure(at, palette(ctx))
    html = figure_html(png, alt=f"latency CDF at {size} B", caption=caption)
    return [Block(f"Latency distribution at {format_bytes(size)}", ctx.anchor("latency-cdf"), html)]


def latency_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per transport, placement, path and size: one-way percentiles, spread, losses."""
    header = [*LEAD_CELLS, *(Cell(p, numeric=True, title=f"one-way {p}") for p in _PERCENTILES)]
    header += [
        Cell("spread", numeric=True, title="p99 / p50: how far the tail sits from the median"),
        Cell("round trips", numeric=True),
        Cell("lost", numeric=True),
        "timed out",
    ]
    body = []
    for row, edge, lead in table_rows(rows):
        p50, p99 = row.get("metric.one_way_p50_ns"), row.get("metric.one_way_p99_ns")
        checks = row_noise(row)
        few = [w for w in checks if w.startswith("only ")]
        lost, timed_out = count_of(row.get("metric.lost")), bool(row.get("metric.timed_out"))
        times = [row.get(f"metric.one_way_{p}_ns", np.nan) * 1e-9 for p in _PERCENTILES]
        body.append(
            [
                *lead,
                *(Cell(format_seconds(t), numeric=True, css=edge) for t in times),
                Cell(
                    f"{p99 / p50:.1f}×" if p50 else "-",
                    numeric=True,
                    css=edge,
                    warnings=few,
                    title="; ".join(checks) or "stable by the pyperf-style checks",
                ),
                Cell(str(count_of(row.get("metric.round_trips"))), numeric=True, css=edge),
                Cell(str(lost), numeric=True, css=css_classes(edge, lost)),
                Cell("yes" if timed_out else "no", css=css_classes(edge, timed_out)),
            ]
        )
    caption = (
        "One-way latency (round-trip time / 2) per transport, placement, path and message "
        "size: percentiles of every round trip, lower is better. Spread = p99 / p50; hover it "
        "for the pyperf-style checks on the samples (for a latency distribution a maximum far "
        "above the median is the tail being measured, so only too few round trips earns a ⚠). "
        f"Lost = round trips that never came back. {conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption, css="summary")
    html += losses_paragraph(rows, "metric.lost", "metric.timed_out", "latency cases")
    return [Block("Latency table", ctx.anchor("latency-table"), html)]


LATENCY_BUILDERS = readable_or_generic(
    (*CASE_COLUMNS, "metric.one_way_p50_ns", "metric.one_way_p99_ns"),
    [latency_block, cdf_block, latency_table_block, not_measured_block("latency")],
)


def runs_latency_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's one-way p50 against size, one panel per transport."""
    if not {"metric.one_way_p50_ns", "size_bytes", "placement", "path"} <= set(rows.columns):
        return []
    caption = (
        "One-way latency p50 (round-trip time / 2) against message size, one panel per "
        "transport (and per path when a run measured the LAN), one colour per run; line style "
        "is the placement (solid same-core, dashed cross-core, dotted LAN); log–log, lower is "
        "better. shm-floor is the shared-memory floor of each machine. Each run's own figures "
        "(with p99 and the latency CDF) are replaced by this one; its table follows below. "
        f"Runs: {runs_text(rows, contexts)}."
    )
    png = figs.transport_runs_figure(
        rows, run_labels(contexts), "metric.one_way_p50_ns", scale=1e-9,
        ylabel="one-way p50 (log)",
    )  # fmt: skip
    html = figure_html(png, alt="one-way latency per transport, every run", caption=caption)
    return [Block("Latency against size, every run", "runs-latency-size", html)]


LATENCY_ACROSS_BUILDERS = [runs_latency_block]


def latency_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One-way p50 and p99 (seconds) per transport, placement and path at the summary sizes."""
    from commbench.transports.latency import SUMMARY_SIZES_BYTES

    rows = family_rows(table, "latency")
    if rows.empty:
        return pd.DataFrame()
    rows = rows[rows["size_bytes"].isin(SUMMARY_SIZES_BYTES)].copy()
    rows["p50"] = rows["metric.one_way_p50_ns"] / 1e9
    rows["p99"] = rows["metric.one_way_p99_ns"] / 1e9
    return rows.pivot_table(
        index=["path", "subject", "placement"], columns="size_bytes", values=["p50", "p99"]
    )


def print_latency_summary(table: pd.DataFrame, console: Console | None = None) -> None:
    """One-way latency p50 / p99 at 64 B, 4 KiB and 64 KiB, fastest first."""
    console = console or Console(width=max(Console().width, 110))
    wide = latency_summary(table)
    if wide.empty:
        return
    sizes = sorted(wide.columns.get_level_values(1).unique())
    paths = wide.index.get_level_values("path").unique()
    title = f"one-way latency, p50 / p99 (RTT / 2), {', '.join(paths)}"
    out = Table(title=title, title_justify="left")
    for column in ("transport", "placement"):
        out.add_column(column, no_wrap=True)
    for size in sizes:
        out.add_column(format_bytes(size), justify="right", no_wrap=True)
    order = wide[("p50", sizes[0])].sort_values(na_position="last").index
    for path, subject, placement in order:
        cells = [
            f"{format_seconds(wide.loc[(path, subject, placement), ('p50', size)])} / "
            f"{format_seconds(wide.loc[(path, subject, placement), ('p99', size)])}"
            for size in sizes
        ]
        out.add_row(subject if len(paths) == 1 else f"{subject} ({path})", placement, *cells)
    console.print(out)


def markdown(rows: pd.DataFrame, ctx: RunContext) -> str:
    """``--format md``: one-way percentiles per transport, placement, path and size."""
    header = ["transport", "placement", "path", "size", *_PERCENTILES, "round trips", "lost"]
    lines = [f"{conditions(rows, ctx)} One-way latency (RTT / 2); lower is better.", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row, _, _ in table_rows(rows):
        times = [row.get(f"metric.one_way_{p}_ns", np.nan) * 1e-9 for p in _PERCENTILES]
        cells = [str(row["subject"]), str(row["placement"]), str(row["path"])]
        cells += [format_bytes(row["size_bytes"]), *map(format_seconds, times)]
        cells += [
            str(count_of(row.get("metric.round_trips"))),
            str(count_of(row.get("metric.lost"))),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
