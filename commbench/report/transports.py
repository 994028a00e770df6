"""The transport sections: latency, throughput and the reference checks.

Each builder takes one family's rows of ONE result file (tidy table: one-way
latencies in ``metric.one_way_*_ns`` nanoseconds and ``samples`` seconds, throughput
in ``metric.mb_per_s`` = 10**6 B/s, sizes in bytes) and its :class:`RunContext`, and
returns its :class:`Block` s, captions included. Losses and timeouts are shown in
every table and listed under it; nothing that went missing is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from commbench.report import figures_runs
from commbench.report import figures_transports as figs
from commbench.report.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    paragraph,
    run_labels,
    table_html,
)
from commbench.report.figures_transports import FLOOR
from commbench.report.generic import readable_or_generic
from commbench.report.records import records
from commbench.report.tables import row_noise
from commbench.units import format_bytes, format_seconds

Builder = Callable[[pd.DataFrame, RunContext], list[Block]]
CDF_SIZE_BYTES = 64
REFERENCE_TARGETS = {"tcp": 0.10, "mpi-buffer-shm": 0.15}
"""Reference check -> allowed relative distance of suite / reference from 1."""
_PERCENTILES = ("p50", "p90", "p99", "p99.9", "max")


def _column(rows: pd.DataFrame, name: str) -> pd.Series:
    return rows[name] if name in rows else pd.Series(np.nan, index=rows.index)


def _count(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _rate(value: float) -> str:
    """``223057.4`` -> ``223,057``; ``14.28`` -> ``14.3``; NaN -> ``-``."""
    return "-" if pd.isna(value) else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _css(edge: str, bad: object = False) -> str:
    """Cell classes: the transport's top rule, and red text for a loss or a timeout."""
    return " ".join(c for c in (edge, "slower" if bad else "") if c)


def palette(ctx: RunContext) -> dict:
    """One colour per transport of the file (latency and throughput alike)."""
    extras = [b.get("extra_info") or {} for b in ctx.run.benchmarks]
    names = [str(e.get("subject")) for e in extras if e.get("family") in {"latency", "throughput"}]
    return figs.transport_palette(names)


def conditions(rows: pd.DataFrame, ctx: RunContext) -> str:
    """Machine, profile, date, where each end was pinned, the paths: for every caption."""
    spots = []
    for placement, part in rows.groupby("placement", sort=False):
        client, peer = _column(part, "client_cpu").iloc[0], _column(part, "peer_cpu").iloc[0]
        peer_text = "on the LAN peer" if pd.isna(peer) else f"on CPU {_count(peer)}"
        client_text = "unpinned" if pd.isna(client) else f"on CPU {_count(client)}"
        spots.append(f"{placement} (client {client_text}, peer {peer_text})")
    paths = ", ".join(str(p) for p in pd.unique(rows["path"]))
    return f"{ctx.describe()}. Placements: {'; '.join(spots)}. Paths: {paths}."


def _round_trips(rows: pd.DataFrame) -> str:
    trips = _column(rows, "metric.round_trips").dropna()
    if trips.empty:
        return "an unknown number of round trips"
    lo, hi = int(trips.min()), int(trips.max())
    return f"{lo} round trips" if lo == hi else f"{lo}–{hi} round trips (fewer at large sizes)"


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
        f"cross-core only.{floor}{ref} Each point summarises {_round_trips(rows)}. "
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
        f"shared-memory floor. {_round_trips(at).capitalize()} per curve, every one drawn. "
        f"{conditions(at, ctx)}"
    )
    png = figs.latency_cdf_figure(at, palette(ctx))
    html = figure_html(png, alt=f"latency CDF at {size} B", caption=caption)
    return [Block(f"Latency distribution at {format_bytes(size)}", ctx.anchor("latency-cdf"), html)]


def _losses(rows: pd.DataFrame, lost: str, timed_out: str, what: str) -> str:
    """A sentence naming every case that lost messages or timed out, or saying none did."""
    bad = rows[(_column(rows, lost).fillna(0) > 0) | (_column(rows, timed_out).fillna(0) > 0)]
    if bad.empty:
        return paragraph(f"No {what} lost a message and none timed out.")
    items = [
        f"{r['subject']} {r['placement']} {format_bytes(r['size_bytes'])}: "
        f"{_count(r.get(lost))} lost" + (", timed out" if _count(r.get(timed_out)) else "")
        for r in records(bad)
    ]
    return paragraph(f"Losses and timeouts ({len(bad)} of {len(rows)} {what}): " + "; ".join(items))


def _table_rows(rows: pd.DataFrame) -> Iterator[tuple[dict[str, Any], str, list[Cell]]]:
    """Rows in run order (transports, then placements as measured, then size), each
    with its rule class and leading cells; the transport is named on its first row only."""
    rank = {c: {v: i for i, v in enumerate(pd.unique(rows[c]))} for c in ("subject", "placement")}
    keys = ["subject", "placement", "path", "size_bytes"]
    ordered = rows.sort_values(keys, key=lambda c: c.map(rank[c.name]) if c.name in rank else c)
    previous = None
    for row in records(ordered):
        edge = "first" if row["subject"] != previous else ""
        previous = row["subject"]
        lead = [
            Cell(str(row["subject"]) if edge else "", css=f"rowhead {edge}".strip()),
            Cell(str(row["placement"]), css=edge),
            Cell(str(row["path"]), css=edge),
            Cell(format_bytes(row["size_bytes"]), numeric=True, css=edge),
        ]
        yield row, edge, lead


_LEAD = ["transport", "placement", "path", Cell("size", numeric=True)]


def latency_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per transport, placement, path and size: one-way percentiles, spread, losses."""
    header = [*_LEAD, *(Cell(p, numeric=True, title=f"one-way {p}") for p in _PERCENTILES)]
    header += [
        Cell("spread", numeric=True, title="p99 / p50: how far the tail sits from the median"),
        Cell("round trips", numeric=True),
        Cell("lost", numeric=True),
        "timed out",
    ]
    body = []
    for row, edge, lead in _table_rows(rows):
        p50, p99 = row.get("metric.one_way_p50_ns"), row.get("metric.one_way_p99_ns")
        checks = row_noise(row)
        few = [w for w in checks if w.startswith("only ")]
        lost, timed_out = _count(row.get("metric.lost")), bool(row.get("metric.timed_out"))
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
                Cell(str(_count(row.get("metric.round_trips"))), numeric=True, css=edge),
                Cell(str(lost), numeric=True, css=_css(edge, lost)),
                Cell("yes" if timed_out else "no", css=_css(edge, timed_out)),
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
    html += _losses(rows, "metric.lost", "metric.timed_out", "latency cases")
    return [Block("Latency table", ctx.anchor("latency-table"), html)]


@draws
def throughput_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """MB/s against message size per transport, losses marked."""
    runs = _column(rows, "rounds").dropna()
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
    header = [*_LEAD, *(Cell(h, numeric=True) for h in ("MB/s", "messages/s", "sent"))]
    header += [Cell(h, numeric=True) for h in ("received", "lost", "timed-out runs")]
    body = []
    for row, edge, lead in _table_rows(rows):
        lost, late = _count(row.get("metric.lost")), _count(row.get("metric.timed_out_runs"))
        numbers = [_rate(row.get(f"metric.{k}", np.nan)) for k in ("mb_per_s", "messages_per_s")]
        numbers += [str(_count(row.get(f"metric.{k}"))) for k in ("sent", "received")]
        body.append(
            [
                *lead,
                *(Cell(n, numeric=True, css=edge) for n in numbers),
                Cell(str(lost), numeric=True, css=_css(edge, lost)),
                Cell(str(late), numeric=True, css=_css(edge, late)),
            ]
        )
    caption = (
        "Throughput per transport, placement, path and message size, from the median run: "
        "MB/s and messages/s received (higher is better); sent and received are totals over "
        f"all runs, lost = sent - received. {conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption, css="summary")
    html += _losses(rows, "metric.lost", "metric.timed_out_runs", "throughput cases")
    return [Block("Throughput table", ctx.anchor("throughput-table"), html)]


def _unsupported(ctx: RunContext, family: str) -> list[dict]:
    rows = ctx.run.commbench.get("unsupported") or []
    return [r for r in rows if isinstance(r, dict) and r.get("family") == family]


def not_measured_block(family: str) -> Builder:
    """A builder listing what *family* could not measure, grouped by transport and reason."""

    def build(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
        groups: dict[tuple[str, str], list[dict]] = {}
        for r in _unsupported(ctx, family):
            key = (str(r.get("subject")), str(r.get("reason")))
            groups.setdefault(key, []).append(r.get("params") or {})
        body = []
        for (subject, reason), params in groups.items():
            spots = sorted({str(p.get("placement", "all")) for p in params})
            sizes = sorted({int(p["size_bytes"]) for p in params if "size_bytes" in p})
            body.append([subject, ", ".join(spots), ", ".join(map(format_bytes, sizes)), reason])
        caption = f"{family.capitalize()} cases that were not measured, and why."
        html = table_html(["transport", "placements", "sizes", "reason"], body, caption=caption)
        return [Block("Not measured", ctx.anchor(f"{family}-unsupported"), html)] if body else []

    return build


_REFERENCE_STATS = {
    "RTT p50": ("metric.suite_rtt_p50_ns", "metric.reference_rtt_p50_ns"),
    "one-way mean": ("metric.suite_one_way_mean_ns", "metric.reference_one_way_mean_ns"),
    "one-way p50": ("metric.suite_one_way_p50_ns", "metric.reference_one_way_p50_ns"),
}
_REFERENCE_HEADER = ("check", "reference", "placement", "size", "statistic", "suite",
                     "reference", "suite / ref.", "target", "result")  # fmt: skip


def reference_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Suite against reference: the values, their ratio, the target and PASS / MISS."""
    body = []
    for row in records(rows):
        target = REFERENCE_TARGETS.get(str(row["subject"]))
        stat = next((k for k, (a, _) in _REFERENCE_STATS.items() if pd.notna(row.get(a))), None)
        suite, ref = (row.get(c, np.nan) * 1e-9 for c in _REFERENCE_STATS.get(stat, ("", "")))
        ratio = row.get("metric.ratio", np.nan)
        verdict = "-" if target is None else "PASS" if abs(ratio - 1) <= target else "MISS"
        cells = [row.get("reference", ""), row["placement"], format_bytes(row["size_bytes"])]
        body.append(
            [
                Cell(str(row["subject"]), css="rowhead"),
                *(str(c) for c in cells),
                stat or "-",
                *(Cell(format_seconds(t), numeric=True) for t in (suite, ref)),
                Cell(f"{ratio:.3f}", numeric=True),
                Cell("-" if target is None else f"within {target:.0%}", numeric=True),
                Cell(verdict, css={"PASS": "ok", "MISS": "fail"}.get(verdict, "")),
            ]
        )
    for subject, target in REFERENCE_TARGETS.items():
        if subject in set(rows["subject"]):
            continue
        why = [
            r.get("reason") for r in _unsupported(ctx, "reference") if r.get("subject") == subject
        ]
        reason = f"not measured: {why[0] if why else 'no result in this file'}"
        body.append([Cell(subject, css="rowhead"), Cell(reason, css="fail"), *[""] * 6,
                     Cell(f"within {target:.0%}", numeric=True), "-"])  # fmt: skip
    header = [Cell(h, numeric=3 <= i <= 8 and i != 4) for i, h in enumerate(_REFERENCE_HEADER)]
    caption = (
        "Accuracy against references measured in the same run: TCP against a minimal "
        "hand-written Python ping-pong (median round trip, target within 10%), MPI against "
        "mpiexec -n 2 python -m mpi4py.bench pingpong (mean one-way latency, target within "
        "15%). PASS when |suite / reference − 1| is within the target; a ratio below 1 means "
        f"the suite measured less time than the reference. {ctx.describe()}."
    )
    html = table_html(header, body, caption=caption, css="summary matrix")
    return [Block("Suite against references", ctx.anchor("reference-checks"), html)]


_CASE = ("subject", "placement", "path", "size_bytes")
LATENCY_BUILDERS = readable_or_generic(
    (*_CASE, "metric.one_way_p50_ns", "metric.one_way_p99_ns"),
    [latency_block, cdf_block, latency_table_block, not_measured_block("latency")],
)
THROUGHPUT_BUILDERS = readable_or_generic(
    (*_CASE, "metric.mb_per_s"),
    [throughput_block, throughput_table_block, not_measured_block("throughput")],
)
REFERENCE_BUILDERS = readable_or_generic((*_CASE, "metric.ratio"), [reference_block])


def _runs(rows: pd.DataFrame, contexts: list[RunContext]) -> str:
    return "; ".join(ctx.describe() for ctx in contexts if str(ctx.run.path) in set(rows["file"]))


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
        f"Runs: {_runs(rows, contexts)}."
    )
    png = figures_runs.transport_runs_figure(
        rows, run_labels(contexts), "metric.one_way_p50_ns", scale=1e-9,
        ylabel="one-way p50 (log)",
    )  # fmt: skip
    html = figure_html(png, alt="one-way latency per transport, every run", caption=caption)
    return [Block("Latency against size, every run", "runs-latency-size", html)]


def runs_throughput_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's MB/s against size, one panel per transport."""
    if not {"metric.mb_per_s", "size_bytes", "placement", "path"} <= set(rows.columns):
        return []
    caption = (
        "Throughput (MB/s received, 1 MB = 10^6 B) against message size, one panel per "
        "transport, one colour per run, line style the placement; log–log, higher is better. "
        "Losses are in each run's table below. "
        f"Runs: {_runs(rows, contexts)}."
    )
    png = figures_runs.transport_runs_figure(
        rows, run_labels(contexts), "metric.mb_per_s", ylabel="MB/s (log)",
        formatter=lambda v: f"{v:g} MB/s",
    )  # fmt: skip
    html = figure_html(png, alt="throughput per transport, every run", caption=caption)
    return [Block("Throughput against size, every run", "runs-throughput-size", html)]


LATENCY_ACROSS_BUILDERS = [runs_latency_block]
THROUGHPUT_ACROSS_BUILDERS = [runs_throughput_block]
