"""The throughput section: MB/s against size, its table, and every run side by side. Rows
carry ``metric.mb_per_s`` (10**6 bytes per second) and ``metric.lost`` (messages).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
from commbench.report.transports import figures as figs
from commbench.report.transports.common import (
    CASE_COLUMNS,
    LEAD_CELLS,
    column_or_nan,
    conditions,
    count_of,
    css_classes,
    losses_paragraph,
    not_measured_block,
    palette,
    rate_text,
    runs_text,
    table_rows,
)


@draws
def throughput_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """MB/s against message size per transport, losses marked."""
    runs = column_or_nan(rows, "rounds").dropna()
    count = f"{int(runs.min())}" if len(runs) and runs.min() == runs.max() else "several"
    caption = (
        "Throughput against message size: a stream of messages from client to peer, counted "
        "where they arrive; MB/s = bytes received / elapsed time of the median run (1 MB = "
        f"10^6 B), log–log, higher is better. {count} runs per point. Open circles: messages "
        f"were lost at that size (see the table). {conditions(rows, ctx)}"
    )
    png = figs.throughput_figure(rows, palette(ctx))
    html = figure_html(png, alt="throughput against message size", caption=caption)
    return [Block("Throughput against size", ctx.anchor("throughput-size"), html)]


def throughput_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per transport, placement, path and size: MB/s, messages/s, sent, received, lost."""
    header = [*LEAD_CELLS, *(Cell(h, numeric=True) for h in ("MB/s", "messages/s", "sent"))]
    header += [Cell(h, numeric=True) for h in ("received", "lost", "timed-out runs")]
    body = []
    for row, edge, lead in table_rows(rows):
        lost, late = count_of(row.get("metric.lost")), count_of(row.get("metric.timed_out_runs"))
        numbers = [
            rate_text(row.get(f"metric.{k}", np.nan)) for k in ("mb_per_s", "messages_per_s")
        ]
        numbers += [str(count_of(row.get(f"metric.{k}"))) for k in ("sent", "received")]
        body.append(
            [
                *lead,
                *(Cell(n, numeric=True, css=edge) for n in numbers),
                Cell(str(lost), numeric=True, css=css_classes(edge, lost)),
                Cell(str(late), numeric=True, css=css_classes(edge, late)),
            ]
        )
    caption = (
        "Throughput per transport, placement, path and message size, from the median run: "
        "MB/s and messages/s received (higher is better); sent and received are totals over "
        f"all runs, lost = sent - received. {conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption, css="summary")
    html += losses_paragraph(rows, "metric.lost", "metric.timed_out_runs", "throughput cases")
    return [Block("Throughput table", ctx.anchor("throughput-table"), html)]


THROUGHPUT_BUILDERS = readable_or_generic(
    (*CASE_COLUMNS, "metric.mb_per_s"),
    [throughput_block, throughput_table_block, not_measured_block("throughput")],
)


def runs_throughput_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's MB/s against size, one panel per transport."""
    if not {"metric.mb_per_s", "size_bytes", "placement", "path"} <= set(rows.columns):
        return []
    caption = (
        "Throughput (MB/s received, 1 MB = 10^6 B) against message size, one panel per "
        "transport, one colour per run, line style the placement; log–log, higher is better. "
        "Losses are in each run's table below. "
        f"Runs: {runs_text(rows, contexts)}."
    )
    png = figs.transport_runs_figure(
        rows, run_labels(contexts), "metric.mb_per_s", ylabel="MB/s (log)",
        formatter=lambda v: f"{v:g} MB/s",
    )  # fmt: skip
    html = figure_html(png, alt="throughput per transport, every run", caption=caption)
    return [Block("Throughput against size, every run", "runs-throughput-size", html)]


THROUGHPUT_ACROSS_BUILDERS = [runs_throughput_block]
