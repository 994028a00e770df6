"""The marshalling section: figures, the summary table, unsupported rows, edge cases.

Each builder takes the marshalling rows of one result file (tidy table: seconds,
bytes, ``metric.copy_floor_ns`` in nanoseconds) and its :class:`RunContext`, and
returns the :class:`Block` s it contributes, captions included.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from commbench.report.marshalling import figures
from commbench.report.marshalling.tables import (
    NOISE_LEGEND,
    SUMMARY_COLUMNS,
    marshalling_rows,
    summary_frame,
)
from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    paragraph,
    run_labels,
    table_html,
)
from commbench.report.page.records import records
from commbench.units import format_bytes

_SHORT_REASON = 20


def conditions(rows: pd.DataFrame, ctx: RunContext) -> str:
    """Machine, profile, date, rounds and payload sizes, for every caption."""
    rounds = rows["rounds"].dropna()
    span = f"{int(rounds.min())}–{int(rounds.max())}" if len(rounds) else "an unknown number of"
    sizes = rows.groupby("payload", sort=False)["metric.encoded_bytes"].agg(["min", "max"])
    listed = "; ".join(
        f"{payload} {format_bytes(lo)}" + ("" if lo == hi else f"–{format_bytes(hi)}")
        for payload, (lo, hi) in sizes.dropna().iterrows()
    )
    text = (
        f"{ctx.describe()}. Each time is a median over {span} rounds (pytest-benchmark, "
        "calibrated iterations per round)."
    )
    return f"{text} Payload sizes, smallest–largest encoding: {listed}." if listed else text


def _missing_note(ctx: RunContext) -> str:
    if _unsupported(ctx):
        return " Codecs absent from a panel could not carry that payload: see Unsupported."
    return ""


@draws
def time_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Median encode, decode and decode+touch time per payload and codec (log scale)."""
    rows = marshalling_rows(rows)
    caption = (
        "Median time per call of encode, decode (parse only) and decode+touch (parse, then "
        "visit every value), per codec, one panel per payload; log scale, lower is better. "
        "The grey | is each codec's copy floor: copying its encoded bytes into a preallocated "
        "buffer, which no format can beat. Panels have their own scales: compare codecs "
        f"within a panel. {conditions(rows, ctx)}{_missing_note(ctx)}"
    )
    png = figures.times_figure(rows)
    html = figure_html(png, alt="median time per codec and payload", caption=caption)
    return [Block("Time per call", ctx.anchor("marshalling-time"), html)]


@draws
def size_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Encoded and zlib-compressed bytes per payload and codec."""
    rows = marshalling_rows(rows)
    if rows[["metric.encoded_bytes", "metric.compressed_bytes"]].isna().all(axis=None):
        return []
    caption = (
        "Encoded size and size after zlib (level 6) per codec, one panel per payload; "
        "linear scale from zero, lower is better. Sizes are exact (measured once, not "
        "timed); JSON codecs carry binary fields as base64 text, which is counted. "
        f"{conditions(rows, ctx)}{_missing_note(ctx)}"
    )
    png = figures.sizes_figure(rows)
    html = figure_html(png, alt="encoded and compressed size per codec", caption=caption)
    return [Block("Encoded size", ctx.anchor("marshalling-size"), html)]


@draws
def speed_size_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Encoded bytes against encode + decode+touch median, with the Pareto front."""
    rows = marshalling_rows(rows)
    if figures.speed_size_points(rows).empty:
        return []
    caption = (
        "Speed against size: encoded bytes (x) and the sum of the encode and decode+touch "
        "medians (y, log scale), one panel per payload; lower left is better. Decode+touch, "
        "not decode: protobuf's upb parser decodes lazily, so a bare decode would flatter it. "
        "The step line joins "
        "the Pareto front, the codecs no other codec beats on both size and time; they are "
        f"labelled. {conditions(rows, ctx)}{_missing_note(ctx)}"
    )
    html = figure_html(figures.speed_size_figure(rows), alt="speed against size", caption=caption)
    return [Block("Speed against size", ctx.anchor("marshalling-pareto"), html)]


def summary_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per payload and codec: medians, ratios to the fastest and the copy floor, MB/s, bytes."""
    rows = marshalling_rows(rows)
    summary = summary_frame(rows)
    if summary.empty:
        return []
    header = [Cell(c.header, title=c.tooltip, numeric=i > 1) for i, c in enumerate(SUMMARY_COLUMNS)]
    body = []
    previous = None
    for row in records(summary):
        edge = "first" if row["payload"] != previous else ""  # a rule above each payload
        previous = row["payload"]
        cells = [Cell(str(row["payload"]) if edge else "", css=f"rowhead {edge}".strip())]
        for i, column in enumerate(SUMMARY_COLUMNS[1:], start=1):
            cells.append(
                Cell(column.text(row), warnings=column.warnings(row), numeric=i > 1, css=edge)
            )
        body.append(cells)
    caption = (
        "Per payload and codec: median time per call (lower is better), the ratio to the "
        "fastest codec on that payload (1.0× = fastest) and to the copy floor (copying the "
        "encoded bytes), throughput as encoded bytes / median (MB/s, 1 MB = 10^6 B), and the "
        f"encoded and zlib-compressed sizes. {conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption, css="summary") + paragraph(
        NOISE_LEGEND + " Hover over ⚠ to see which check failed.", "legend"
    )
    return [Block("Summary table", ctx.anchor("marshalling-table"), html)]


def _unsupported(ctx: RunContext) -> list[dict]:
    rows = ctx.run.commbench.get("unsupported") or []
    return [
        r for r in rows if isinstance(r, dict) and r.get("family", "marshalling") == "marshalling"
    ]


def short_reason(outcome: str) -> str:
    """``"TypeError: Integer exceeds 64-bit range"`` -> ``"TypeError"``; long text cut with …"""
    head = outcome.split(": ", 1)[0]
    return head if len(head) <= _SHORT_REASON else head[: _SHORT_REASON - 1] + "…"


def support_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """What could not be measured: unsupported pairs, refused payload files, edge cases."""
    parts = []
    unsupported = _unsupported(ctx)
    if unsupported:
        body = [
            [
                str(r.get("subject", "?")),
                str((r.get("params") or {}).get("payload", "?")),
                str((r.get("params") or {}).get("op", "all")),
                str(r.get("reason", "")),
            ]
            for r in unsupported
        ]
        parts.append(
            table_html(
                ["codec", "payload", "op", "reason"],
                body,
                caption="Codec and payload pairs that were not timed, and why (the codec refused "
                "the payload, is not installed, or did not give back an equal document).",
            )
        )
    else:
        parts.append(paragraph("Every codec carried every payload: nothing was left unmeasured."))
    refused = ctx.run.commbench.get("rejected_payloads") or []
    if refused:
        parts.append(
            table_html(
                ["payload file", "reason"],
                [[str(r.get("file", "?")), str(r.get("reason", ""))] for r in refused],
                caption="Payload files given to the run that were refused before timing.",
            )
        )
    parts.append(_support_matrix(ctx))
    return [Block("Unsupported and edge cases", ctx.anchor("marshalling-support"), "".join(parts))]


def _support_matrix(ctx: RunContext) -> str:
    support = pd.DataFrame(ctx.run.commbench.get("support") or [])
    if support.empty or not {"codec", "case", "outcome"} <= set(support.columns):
        return paragraph("This result file has no edge-case support matrix.")
    codecs = list(pd.unique(support["codec"]))
    cases = list(pd.unique(support["case"]))
    outcome = support.drop_duplicates(["codec", "case"]).set_index(["codec", "case"])["outcome"]
    body = []
    for case in cases:  # cases down, codecs across: eight codecs fit a page, ten cases do not
        row: list[Cell | str] = [Cell(str(case), css="rowhead")]
        for codec in codecs:
            text = outcome.get((codec, case))
            if text is None:
                row.append(Cell("-", title="not tested"))
            elif str(text) == "ok":
                row.append(Cell("ok", title="round trip exact", css="ok"))
            else:
                row.append(Cell(short_reason(str(text)), title=str(text), css="fail"))
        body.append(row)
    caption = (
        "Edge-case support matrix: each codec (column) round-trips small documents that probe "
        "a format's limits (rows). ok = decoded to a strictly equal document; otherwise the error "
        "or the first difference, shortened (hover for the full reason)."
    )
    return table_html(["edge case", *codecs], body, caption=caption, css="matrix")


BUILDERS = [time_block, size_block, speed_size_block, summary_block, support_block]
"""The marshalling section, in page order."""


def runs_time_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's round-trip median per payload and codec, in one figure."""
    rows = marshalling_rows(rows)
    if figures.round_trip_points(rows).empty:
        return []
    labels = run_labels(contexts)
    runs = "; ".join(ctx.describe() for ctx in contexts if str(ctx.run.path) in set(rows["file"]))
    caption = (
        "Round trip per call (encode + decode+touch medians) per codec, one colour per run, "
        "one panel per payload; log scale, lower is better. Panels have their own scales. "
        "Each run's own figures are replaced by this one; its tables follow below, and the "
        f"Comparison section tests every difference. Runs: {runs}."
    )
    png = figures.marshalling_runs_figure(rows, labels)
    html = figure_html(png, alt="round trip per codec, every run", caption=caption)
    return [Block("Round trip per call, every run", "runs-marshalling-time", html)]


def runs_size_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """The first run's size figure, and whether the other runs encoded the same bytes."""
    rows = marshalling_rows(rows)
    present = [c for c in contexts if str(c.run.path) in set(rows["file"])]
    if not present:
        return []
    first, labels = str(present[0].run.path), run_labels(contexts)
    sizes = rows.set_index(["file", "name"])["metric.encoded_bytes"].unstack("file")
    differ = []
    for ctx in present[1:]:
        other = sizes[str(ctx.run.path)].dropna()
        if not other.equals(sizes[first].reindex(other.index)):
            differ.append(labels[str(ctx.run.path)])
    note = (
        f"Encoded sizes differ from them in: {', '.join(differ)} (other library versions?)."
        if differ
        else "Every other run encoded the same number of bytes for every payload it shares."
    )
    blocks = size_block(rows[rows["file"] == first], replace(present[0], draw=True))
    extra = paragraph(f"Sizes from {labels[first]}. {note}")
    return [replace(b, anchor=f"runs-{b.anchor}", html=b.html + extra) for b in blocks]


ACROSS_BUILDERS = [runs_time_block, runs_size_block]
"""The marshalling figures of a report with several runs, drawn once for all of them."""
