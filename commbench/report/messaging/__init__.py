"""The messaging section: the lecture's 2x2 table, the loss matrix, the cost of
persistence, end-to-end latency CDFs and one timeline per crash.

Each builder takes the ``messaging`` rows of ONE result file (tidy table: params as
columns, metrics as ``metric.<name>``) and its :class:`RunContext`, and returns its
:class:`Block` s; a builder whose rows are missing returns nothing. Self-contained:
only the page machinery of :mod:`commbench.report.page.blocks` is used.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from commbench.messaging.modes import AT_THE_ACK
from commbench.report.messaging import figures as figs
from commbench.report.messaging.pullers import pullers_block
from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    run_labels,
    table_html,
)

CELLS = (
    ("sync", "transient"),
    ("sync", "persistent"),
    ("async", "transient"),
    ("async", "persistent"),
)
FAULTS = ("consumer-kill", "broker-kill", "broker-stop", "producer-kill", "power-cut")


def _rows(rows: pd.DataFrame, measure: str) -> list[dict[str, Any]]:
    if rows.empty or "measure" not in rows:
        return []
    return rows[rows["measure"] == measure].to_dict("records")


def _key(row: dict[str, Any]) -> str:
    return figs.key(row)


def _us(ns: Any) -> str:
    if ns is None or (isinstance(ns, float) and math.isnan(ns)):
        return "-"
    return f"{ns / 1e3:,.0f} µs" if ns >= 1e4 else f"{ns / 1e3:.1f} µs"


def _loss(row: dict[str, Any]) -> tuple[str, bool]:
    """A crash row's loss in words, and whether acknowledged messages were lost."""
    lost = int(row.get("metric.lost") or 0)
    if row.get("metric.acknowledged"):
        text = f"{lost} of {int(row['metric.acknowledged'])} acked lost"
    else:
        text = f"{int(row.get('metric.lost_sent') or 0)} of {int(row['metric.sent'])} sent lost"
    dup = int(row.get("metric.duplicated") or 0)
    if dup:
        text += f", {dup} dup"
    if row.get("metric.timed_out"):
        text += ", timed out"
    if row.get("metric.balanced") is False:
        text += ", BOOKS DO NOT BALANCE"
    errors = row.get("metric.errors")
    if isinstance(errors, list | tuple) and any("did not restart" in str(e) for e in errors):
        text += ", broker did not restart"  # what was queued is then counted lost
    return text, lost > 0


def _smallest(rows: list[dict[str, Any]]) -> int | None:
    sizes = sorted({int(r["size_bytes"]) for r in rows})
    return sizes[0] if sizes else None


def table_2x2(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Sync/async x transient/persistent: each mode's latency, throughput and worst loss."""
    latency = _rows(rows, "e2e-latency")
    size = _smallest(latency)
    p50 = {_key(r): r.get("metric.p50_ns") for r in latency if int(r["size_bytes"]) == size}
    rate = {_key(r): r.get("metric.messages_per_s") for r in _rows(rows, "throughput")}
    worst: dict[str, str] = {}
    for r in _rows(rows, "crash"):
        text, _ = _loss(r)
        worst.setdefault(_key(r), "")
        worst[_key(r)] += f"{r['fault']}: {text}. "
    modes: dict[tuple[str, str], list[str]] = {cell: [] for cell in CELLS}
    for r in [*latency, *_rows(rows, "throughput"), *_rows(rows, "crash")]:
        cell = ("sync" if r["sync"] else "async", "persistent" if r["persistent"] else "transient")
        if _key(r) not in modes[cell]:
            modes[cell].append(_key(r))
    if not any(modes.values()):
        return []

    def cell(sync: str, persistence: str) -> Cell:
        lines = [
            f"{k}: e2e p50 {_us(p50.get(k))}" + (f", {rate[k]:,.0f} msg/s" if rate.get(k) else "")
            for k in modes[(sync, persistence)]
        ]
        detail = " ".join(f"{k} — {worst[k]}" for k in modes[(sync, persistence)] if k in worst)
        return Cell("; ".join(lines) or "-", title=detail)

    body = [
        [Cell(s, css="rowhead"), cell(s, "transient"), cell(s, "persistent")]
        for s in ("sync", "async")
    ]
    caption = (
        f"The lecture's four ways of sending a message, each filled by the systems measured: "
        f"median end-to-end latency at {size} B (paced stream), throughput (unpaced), and, "
        f"on hover, the loss under each crash. {ctx.describe()}."
    )
    html = table_html(["", "transient", "persistent"], body, caption=caption)
    return [Block("Synchronous/asynchronous × transient/persistent", ctx.anchor("msg-2x2"), html)]


def loss_matrix(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per system/mode and fault: the books; red where acknowledged messages were lost."""
    crash = _rows(rows, "crash")
    if not crash:
        return []
    by = {(_key(r), r["fault"]): r for r in crash}
    keys = list(dict.fromkeys(_key(r) for r in crash))
    faults = [f for f in FAULTS if any(r["fault"] == f for r in crash)]
    body = []
    for k in keys:
        line: list[Cell | str] = [Cell(k, css="rowhead")]
        for f in faults:
            r = by.get((k, f))
            if r is None:
                line.append(Cell("n/a", title="not applicable or not run"))
                continue
            text, lost_acked = _loss(r)
            books = (
                f"sent {r['metric.sent']}, acked {r['metric.acknowledged']}, received "
                f"{r['metric.received']}, distinct {r['metric.distinct']}, duplicated "
                f"{r['metric.duplicated']}, reordered {r['metric.reordered']}, lost "
                f"{r['metric.lost']}, unacked-delivered {r['metric.delivered_unacked']}; "
                f"records: {r.get('ledger_records', '-')}"
            )
            why = AT_THE_ACK.get(k) if f in ("power-cut", "broker-kill") else None
            if why:
                books += f"; at the ack: {why}"
            line.append(Cell(text, title=books, css="fail" if lost_acked else "ok"))
        body.append(line)
    caption = (
        "Loss under each crash, counted from per-message sequence numbers: lost = "
        "acknowledged but never delivered (red), or, for modes without acknowledgements, "
        "sent but never delivered. Hover for the full books; every row's books balance "
        "(received = distinct + duplicates; sent = acked + unacked). The power cut kills "
        "the consumer, lets a backlog build, then cuts the broker and its disk cache "
        "together (a FUSE layer drops what was not fsynced; the broker's start-up files "
        "are written back first, as after a while of uptime): a mode that acknowledges "
        "before fsync loses its backlog by design (JetStream's default sync_interval, "
        "Redis appendfsync no/everysec), mosquitto loses it to any kill (it saves its "
        "queue only every autosave_interval), and a mode that fsyncs before the ack "
        "(JetStream always, Redis always, RabbitMQ durable and quorum) should lose "
        f"none. {ctx.describe()}."
    )
    html = table_html(["system/mode", *faults], body, caption=caption, css="matrix")
    return [Block("Loss matrix", ctx.anchor("msg-loss"), html)]


def persistence_cost(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per system: each persistent mode's latency and throughput over its transient mode's."""
    latency = _rows(rows, "e2e-latency")
    size = _smallest(latency)
    p50 = {_key(r): r["metric.p50_ns"] for r in latency if int(r["size_bytes"]) == size}
    rate = {_key(r): r.get("metric.messages_per_s") for r in _rows(rows, "throughput")}
    persistent = {_key(r): bool(r["persistent"]) for r in latency}
    body = []
    for system in dict.fromkeys(k.split("/")[0] for k in p50):
        base = [k for k in p50 if k.startswith(system + "/") and not persistent[k]]
        if not base:
            continue
        ref = base[0]
        for k in p50:
            if k.startswith(system + "/") and persistent[k]:
                tp = (
                    f"{rate[ref] / rate[k]:.1f}× fewer msg/s"
                    if rate.get(k) and rate.get(ref)
                    else "-"
                )
                body.append(
                    [
                        k,
                        ref,
                        Cell(f"{p50[k] / p50[ref]:.2f}×", numeric=True),
                        Cell(tp, numeric=True),
                    ]
                )
    if not body:
        return []
    caption = (
        f"Cost of persistence: median end-to-end latency at {size} B of each persistent "
        f"mode over the same system's transient mode, and throughput the other way. "
        f"{ctx.describe()}."
    )
    header = [
        "persistent",
        "transient",
        Cell("latency ratio", numeric=True),
        Cell("throughput", numeric=True),
    ]
    return [
        Block(
            "Cost of persistence", ctx.anchor("msg-cost"), table_html(header, body, caption=caption)
        )
    ]


def _seconds(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 1e3:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def _int(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return str(int(value))


def rank_kill(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The lecture's "MPI is not fault tolerant" beside a broker's consumer crash: what
    the others saw when one process was SIGKILLed, and how long until the job ended
    (MPI) or the stream had caught up (broker)."""
    mpi = _rows(rows, "rank-kill")
    if not mpi:
        return []
    body: list[list[Cell | str]] = []
    for r in mpi:
        timed_out = bool(r.get("metric.timed_out"))
        ended = _seconds(r.get("metric.abort_s")) + (" (time-out: stopped)" if timed_out else "")
        body.append(
            [
                Cell(f"mpi, {int(r['ranks'])} ranks, {r['cleanup']}", css="rowhead"),
                f"rank {int(r['victim_rank'])} ({r['victim_role']}) SIGKILLed",
                Cell(str(r.get("metric.survivor_saw") or "-"), title=str(r.get("ledger_records"))),
                Cell(
                    f"{int(r['metric.survivors_aborted'])} of {int(r['metric.survivors'])}",
                    numeric=True,
                ),
                Cell(
                    f"job ended after {ended}, exit {_int(r.get('metric.exit_code'))}", numeric=True
                ),
                Cell("the job: no survivor goes on", css="fail"),
            ]
        )
    for r in _rows(rows, "crash"):
        if r["fault"] != "consumer-kill":
            continue
        text, lost_acked = _loss(r)
        backlog = r.get("metric.backlog_at_restart")
        drain_s = _seconds(r.get("metric.drain_s"))
        drained = f"backlog of {int(backlog)} drained in {drain_s}" if backlog else "went on"
        body.append(
            [
                Cell(_key(r), css="rowhead"),
                "consumer SIGKILLed, restarted",
                "producer and broker carried on",
                Cell("0 of 2", numeric=True),
                Cell(drained, numeric=True),
                Cell(text, css="fail" if lost_acked else "ok"),
            ]
        )
    caption = (
        "One process SIGKILLed mid-stream. MPI: N ranks, rank 0 streams to the others with "
        "a credit window; what the survivors recorded (an MPI error, a signal, nothing "
        "because the launcher SIGKILLed them, or a hang until the harness stopped the job at "
        "its limit) and the time from the kill to mpiexec's end. Brokers: the consumer "
        f"killed and restarted while producer and broker go on. {ctx.describe()}."
    )
    header = [
        "system",
        "fault",
        "what the others saw",
        Cell("others aborted", numeric=True),
        Cell("end / recovery", numeric=True),
        "lost",
    ]
    html = table_html(header, body, caption=caption)
    return [Block("A killed process: MPI job against broker", ctx.anchor("msg-rank-kill"), html)]


@draws
def timelines(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Published, delivered and backlog over time for each crash, the fault shaded."""
    crash = [r for r in _rows(rows, "crash") if isinstance(r.get("metric.timeline"), dict)]
    if not crash:
        return []
    caption = (
        "Each crash over time (s): messages published and delivered (distinct, cumulative) "
        f"and the backlog between them; the fault shaded. {ctx.describe()}."
    )
    html = figure_html(figs.timelines_figure(crash), alt="crash timelines", caption=caption)
    return [Block("Crash timelines", ctx.anchor("msg-timelines"), html)]


def _with_samples(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if getattr(r.get("samples"), "size", 0) > 0]


@draws
def latency_cdfs(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """End-to-end latency CDF per system/mode, one panel per message size."""
    latency = _with_samples(_rows(rows, "e2e-latency"))
    if not latency:
        return []
    sizes = sorted({int(r["size_bytes"]) for r in latency})
    caption = (
        "End-to-end latency, producer to consumer on the host's monotonic clock, paced "
        f"streams (no queueing), per system and mode. {ctx.describe()}."
    )
    png = figs.cdf_figure(latency, sizes)
    html = figure_html(png, alt="end-to-end latency CDFs", caption=caption)
    return [Block("End-to-end latency CDFs", ctx.anchor("msg-cdf"), html)]


def _max_rates(rows: pd.DataFrame) -> dict[str, float]:
    return {
        _key(r): r.get("metric.max_rate_per_s")
        for r in _rows(rows, "max-rate")
        if r.get("metric.max_rate_per_s") is not None
    }


def _rate_points(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [r for r in _rows(rows, "rate-latency") if r.get("metric.p50_ns") is not None]


def _search_text(rows: pd.DataFrame) -> str:
    found = _rows(rows, "max-rate") or _rows(rows, "rate-latency")
    if not found:
        return ""
    r = found[0]
    retries = r.get("search_retries")
    if isinstance(retries, float) and math.isnan(retries):  # a run from before retries
        retries = None
    return (
        f"A rate is sustained when the producer keeps at least {r.get('min_pace', 0.9):.0%} of "
        f"the pace, every message is delivered, the backlog at the end of sending stays "
        f"within the latency bound and the e2e p99 is under {r.get('p99_bound_ms', 50):g} ms, "
        f"over a {r.get('trial_s', 1):g} s paced stream of {int(r['size_bytes'])} B messages; "
        f"the search doubles from a start rate, then bisects, {int(r.get('search_trials', 0))} "
        + (
            "streams at most."
            if retries is None
            else f"rates at most; a failed trial is run {int(retries)} more "
            "time(s) before its rate counts as failed (marked retry)."
        )
    )


@draws
def rate_latency(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """E2e latency against the publish rate, at fractions of each mode's maximum."""
    points = _rate_points(rows)
    if not points:
        return []
    caption = (
        "End-to-end latency against the publish rate (OpenMessaging style): p50 solid, p99 "
        "dashed, at fixed fractions of each system/mode's maximum sustainable rate (the "
        f"dotted line). {_search_text(rows)} {ctx.describe()}."
    )
    png = figs.rate_latency_figure(points, _max_rates(rows))
    html = figure_html(png, alt="end-to-end latency against publish rate", caption=caption)
    return [Block("Rate against latency", ctx.anchor("msg-rate"), html)]


def max_rate_table(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per system/mode: the maximum sustainable rate, the trials that found it, and the
    latency at each fraction of it."""
    found = _rows(rows, "max-rate")
    if not found:
        return []
    points = _rate_points(rows)
    fractions = sorted({float(r["fraction"]) for r in points})
    body = []
    for r in found:
        trials = r.get("metric.trials") or []
        tried = "; ".join(
            f"{t['rate_per_s']:,.0f}{' (retry)' if t.get('attempt', 1) > 1 else ''}: "
            f"{'ok' if t['sustained'] else t['reason']}"
            for t in trials
        )
        best = r.get("metric.max_rate_per_s")
        line: list[Cell | str] = [
            Cell(_key(r), css="rowhead"),
            Cell(
                (f"{best:,.0f} msg/s" if best else "none")
                + (
                    " or more (search bound)"
                    if best and r.get("metric.first_failed_per_s") is None
                    else ""
                ),
                numeric=True,
                title=tried,
                css="" if best else "fail",
            ),
            Cell(str(len(trials)), numeric=True),
        ]
        for f in fractions:
            at = [p for p in points if _key(p) == _key(r) and float(p["fraction"]) == f]
            line.append(
                Cell(
                    f"{_us(at[0].get('metric.p50_ns'))} / {_us(at[0].get('metric.p99_ns'))}"
                    if at
                    else "-",
                    numeric=True,
                )
            )
        body.append(line)
    header = [
        "system/mode",
        Cell("max sustainable rate", numeric=True),
        Cell("streams", numeric=True),
        *(Cell(f"p50 / p99 at {f:.0%}", numeric=True) for f in fractions),
    ]
    caption = (
        f"Maximum sustainable publish rate per system/mode (hover for every trial and why "
        f"it failed) and the e2e latency at fractions of it. {_search_text(rows)} "
        f"{ctx.describe()}."
    )
    html = table_html(header, body, caption=caption)
    return [Block("Maximum sustainable rate", ctx.anchor("msg-max-rate"), html)]


BUILDERS = [
    table_2x2,
    loss_matrix,
    rank_kill,
    pullers_block,
    persistence_cost,
    max_rate_table,
    rate_latency,
    latency_cdfs,
    timelines,
]
"""Callables ``(rows, ctx) -> list[Block]`` for the messaging section."""


# ------------------------------------------------------------------ several runs
def runs_rate_latency(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's rate-against-latency curves, one panel per system/mode."""
    points = _rate_points(rows)
    if not points:
        return []
    max_rates = {
        (str(r["file"]), _key(r)): r.get("metric.max_rate_per_s")
        for r in _rows(rows, "max-rate")
        if r.get("metric.max_rate_per_s") is not None
    }
    caption = (
        "End-to-end latency (p50 solid, p99 dashed) against the publish rate, one panel per "
        "system/mode, one colour per run; dotted: that run's maximum sustainable rate. Each "
        "run's own figures are replaced by these; its tables follow below."
    )
    png = figs.runs_rate_latency_figure(points, max_rates, run_labels(contexts))
    html = figure_html(png, alt="rate against latency, every run", caption=caption)
    return [Block("Rate against latency, every run", "runs-msg-rate", html)]


def runs_latency_cdfs(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's e2e CDF at each system/mode's smallest size."""
    latency = _with_samples(_rows(rows, "e2e-latency"))
    if not latency:
        return []
    caption = (
        "End-to-end latency CDF at each system/mode's smallest message size (paced streams), "
        "one panel per system/mode, one colour per run."
    )
    png = figs.runs_cdf_figure(latency, run_labels(contexts))
    html = figure_html(png, alt="end-to-end latency CDFs, every run", caption=caption)
    return [Block("End-to-end latency CDFs, every run", "runs-msg-cdf", html)]


def runs_timelines(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's backlog over time for each crash case."""
    crash = [r for r in _rows(rows, "crash") if isinstance(r.get("metric.timeline"), dict)]
    if not crash:
        return []
    caption = (
        "Backlog (published minus delivered) over time (s) for each crash case, one colour "
        "per run; the fault shaded."
    )
    png = figs.runs_timelines_figure(crash, run_labels(contexts))
    html = figure_html(png, alt="crash backlogs, every run", caption=caption)
    return [Block("Crash backlogs, every run", "runs-msg-timelines", html)]


def runs_summary(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """One table, runs side by side: each system/mode's e2e p50, throughput, maximum
    sustainable rate and acknowledged losses under crashes."""
    labels = run_labels(contexts)
    files = [f for f in labels if (rows["file"] == f).any()]
    if not files or "measure" not in rows:
        return []
    keys = list(dict.fromkeys(_key(r) for r in rows.to_dict("records") if "system" in r))
    body = []
    for k in keys:
        line: list[Cell | str] = [Cell(k, css="rowhead")]
        for f in files:
            mine = rows[rows["file"] == f]
            latency = [r for r in _rows(mine, "e2e-latency") if _key(r) == k]
            size = _smallest(latency)
            p50 = next(
                (r.get("metric.p50_ns") for r in latency if int(r["size_bytes"]) == size), None
            )
            rate = _max_rates(mine).get(k)
            crash = [r for r in _rows(mine, "crash") if _key(r) == k]
            lost = sum(int(r.get("metric.lost") or 0) for r in crash)
            text = " · ".join(
                x
                for x in (
                    f"p50 {_us(p50)}" if p50 is not None else "",
                    f"max {rate:,.0f}/s" if rate else "",
                    f"{lost} acked lost" if crash else "",
                )
                if x
            )
            line.append(Cell(text or "-", css="fail" if lost else ""))
        body.append(line)
    caption = (
        "Every run side by side, per system/mode: e2e p50 at its smallest size, maximum "
        "sustainable rate, and acknowledged messages lost over all its crash cases (red if "
        "any)."
    )
    html = table_html(["system/mode", *(labels[f] for f in files)], body, caption=caption)
    return [Block("Messaging, every run", "runs-msg-summary", html)]


ACROSS_BUILDERS = [runs_summary, runs_rate_latency, runs_latency_cdfs, runs_timelines]
"""Callables ``(rows of every run, contexts) -> list[Block]``: used when the report has
several runs; the per-run figures then give way to these, the per-run tables stay."""
