"""The rpc section: calls end to end, under load, their marshalling share, by value
against by reference, under server crashes, and against their references.

Self-contained (the lead is restructuring commbench/report/): each builder takes the
``rpc`` rows of ONE result file (tidy table: params as columns, metrics as
``metric.<name>``) and its :class:`RunContext`, and returns :class:`Block` s; a
builder whose data is missing returns nothing. Ratios, not absolute times, are the
figures to compare across machines.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    paragraph,
    table_html,
)
from commbench.report.plotting import png_bytes

Builder = Callable[[pd.DataFrame, RunContext], list[Block]]


# ------------------------------------------------------------------ helpers


def _measure(rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    if rows.empty or "measure" not in rows:
        return rows.iloc[0:0]
    return rows[rows["measure"] == measure]


def _has(rows: pd.DataFrame, *columns: str) -> bool:
    return not rows.empty and all(c in rows and rows[c].notna().any() for c in columns)


def _us(ns: float | None) -> str:
    if ns is None or pd.isna(ns):
        return "-"
    us = ns / 1e3
    return f"{us:,.0f} µs" if us >= 100 else f"{us:.3g} µs"


def _ratio(x: float | None) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.2f}×"


def _frameworks(rows: pd.DataFrame) -> list[str]:
    from commbench.rpc import FRAMEWORKS

    present = set(rows["subject"])
    return [f for f in FRAMEWORKS if f in present] + sorted(present - set(FRAMEWORKS))


def _widest_placement(rows: pd.DataFrame) -> pd.DataFrame:
    """Cross-core rows where there are any (what quick measures), else what there is."""
    if "placement" in rows and (rows["placement"] == "cross-core").any():
        return rows[rows["placement"] == "cross-core"]
    return rows


def _conditions(rows: pd.DataFrame, ctx: RunContext) -> str:
    place = ", ".join(sorted(set(rows["placement"].dropna()))) if "placement" in rows else ""
    return f"Loopback, placement {place or 'unknown'}. {ctx.describe()}."


def _figure(n: int, width: float = 5.2, height: float = 3.4) -> tuple[Figure, list]:
    fig, axes = plt.subplots(1, n, figsize=(width * n, height), dpi=100, squeeze=False)
    return fig, list(axes[0])


def _png(fig: Figure) -> bytes:
    fig.tight_layout()
    try:
        return png_bytes(fig)
    finally:
        plt.close(fig)


# ------------------------------------------------------------------ latency against size


@draws
def latency_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """p50 and p99 call latency against payload size, one line per framework."""
    rows = _widest_placement(_measure(rows, "latency"))
    if not _has(rows, "size_bytes", "metric.p50_ns", "metric.p99_ns"):
        return []
    fig, (ax50, ax99) = _figure(2)
    for framework in _frameworks(rows):
        sub = rows[rows["subject"] == framework].sort_values("size_bytes")
        for ax, col in ((ax50, "metric.p50_ns"), (ax99, "metric.p99_ns")):
            ax.plot(sub["size_bytes"], sub[col] / 1e3, marker="o", label=framework)
    for ax, name in ((ax50, "p50"), (ax99, "p99")):
        ax.set(xscale="log", yscale="log", xlabel="payload (compact JSON bytes)",
               ylabel=f"{name} call latency (µs)", title=name)  # fmt: skip
        ax.grid(True, which="both", alpha=0.3)
    ax99.legend(fontsize=8, frameon=False)
    payloads = ", ".join(sorted(set(rows["payload"])))
    caption = (
        "Closed-loop ping-pong (one call in flight, every call timed, every reply checked "
        "against what was sent): p50 (left) and p99 (right) against payload size, log-log, "
        f"lower is faster. Payloads: {payloads}. {_conditions(rows, ctx)}"
    )
    html = figure_html(_png(fig), alt="rpc latency against size", caption=caption)
    return [Block("RPC: call latency against size", ctx.anchor("rpc-latency"), html)]


def latency_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Latency, CPU per call and marshalling share per framework x payload."""
    rows = _widest_placement(_measure(rows, "latency"))
    if not _has(rows, "metric.p50_ns"):
        return []
    body = []
    for framework in _frameworks(rows):
        for r in rows[rows["subject"] == framework].sort_values("size_bytes").to_dict("records"):
            cpu = (r.get("metric.client_cpu_s_per_call") or 0) + (
                r.get("metric.server_cpu_s_per_call") or 0
            )
            body.append([
                framework, str(r["payload"]), Cell(f"{int(r['size_bytes']):,}", numeric=True),
                Cell(_us(r["metric.p50_ns"]), numeric=True),
                Cell(_us(r["metric.p99_ns"]), numeric=True),
                Cell(_us(r.get("metric.p99.9_ns")), numeric=True),
                Cell(f"{int(r['metric.calls'])}/{int(r['metric.failed'])}", numeric=True),
                Cell(_us(cpu * 1e9) if cpu else "-", numeric=True),
                Cell(f"{r['metric.marshalling_share']:.0%}"
                     if pd.notna(r.get("metric.marshalling_share")) else "-", numeric=True),
            ])  # fmt: skip
    header = ["framework", "payload", "bytes", "p50", "p99", "p99.9", "calls/failed",
              "CPU per call", "codec share"]  # fmt: skip
    caption = (
        "CPU per call: client + server CPU seconds over the calls. Codec share: the codec "
        "work of one echo (client encode, server decode + touch + encode, client decode), "
        "timed apart in the same run, over the call's p50 (above 100% when the codec timed "
        f"alone runs slower than inside the call). {_conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption)
    return [Block("RPC: latency, CPU and codec share", ctx.anchor("rpc-latency-table"), html)]


# ------------------------------------------------------------------ marshalling share


@draws
def marshalling_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Stacked bars: the codec work of one echo against the rest of the call (p50)."""
    rows = _widest_placement(_measure(rows, "latency"))
    if not _has(rows, "metric.codec_ns", "metric.p50_ns"):
        return []
    payloads = list(rows.sort_values("size_bytes")["payload"].drop_duplicates())
    fig, axes = _figure(len(payloads), width=4.2, height=3.6)
    for ax, payload in zip(axes, payloads):
        sub = rows[rows["payload"] == payload]
        names = [f for f in _frameworks(sub)]
        p50 = np.array([sub[sub["subject"] == f]["metric.p50_ns"].iloc[0] for f in names])
        codec = np.array([sub[sub["subject"] == f]["metric.codec_ns"].iloc[0] for f in names])
        codec_part = np.minimum(codec, p50) / 1e3
        rest = np.maximum(p50 - codec, 0) / 1e3
        ax.bar(names, codec_part, label="codec (one echo)", color="#d95f02")
        ax.bar(names, rest, bottom=codec_part, label="rest of the call", color="#7570b3")
        ax.set(yscale="log", ylabel="p50 call (µs)", title=payload)
        ax.tick_params(axis="x", rotation=60, labelsize=8)
    axes[0].legend(fontsize=8, frameon=False)
    caption = (
        "The marshalling share of a call: each bar is the p50 call time, split into the codec "
        "work of one echo in that framework's encoding (timed alone, same run; capped at the "
        "call) and the rest (transport, framework, scheduling). Log y. "
        f"{_conditions(rows, ctx)}"
    )
    html = figure_html(_png(fig), alt="marshalling share", caption=caption)
    return [Block("RPC: marshalling share", ctx.anchor("rpc-marshalling"), html)]


# ------------------------------------------------------------------ load


@draws
def load_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Calls/s against p50 and p99 as calls in flight grow, one curve per framework."""
    closed = _measure(rows, "concurrency")
    opened = _measure(rows, "open-loop")
    if not _has(closed, "metric.calls_per_s", "metric.p50_ns"):
        return []
    fig, (ax50, ax99) = _figure(2)
    for framework in _frameworks(closed):
        sub = closed[closed["subject"] == framework].sort_values("concurrency")
        for ax, col in ((ax50, "metric.p50_ns"), (ax99, "metric.p99_ns")):
            (line,) = ax.plot(sub["metric.calls_per_s"], sub[col] / 1e3, marker="o",
                              label=framework)  # fmt: skip
            for r in sub.to_dict("records"):
                ax.annotate(str(int(r["concurrency"])), (r["metric.calls_per_s"], r[col] / 1e3),
                            fontsize=6, xytext=(2, 2), textcoords="offset points")  # fmt: skip
            o = opened[opened["subject"] == framework] if not opened.empty else opened
            if not o.empty:
                ax.scatter(o["metric.calls_per_s"], o[col] / 1e3, marker="x",
                           color=line.get_color())  # fmt: skip
    for ax, name in ((ax50, "p50"), (ax99, "p99")):
        ax.set(xscale="log", yscale="log", xlabel="calls/s", ylabel=f"{name} latency (µs)")
        ax.grid(True, which="both", alpha=0.3)
    ax99.legend(fontsize=8, frameon=False)
    levels = ", ".join(str(int(c)) for c in sorted(set(closed["concurrency"])))
    caption = (
        f"Throughput against latency under load: closed loop with {levels} calls in flight "
        "(numbers at the points; gRPC multiplexes them on one channel, the others use one "
        "connection per call in flight), and × the open loop at a constant rate (a fraction "
        "of the measured maximum) with latency from each call's intended send time. "
        f"Payload: the RPC record. {_conditions(closed, ctx)}"
    )
    html = figure_html(_png(fig), alt="throughput against latency", caption=caption)
    return [Block("RPC: throughput against latency", ctx.anchor("rpc-load"), html)]


# ------------------------------------------------------------------ ratios and references


def _p50(rows: pd.DataFrame, framework: str, payload: str) -> float | None:
    sub = rows[(rows["subject"] == framework) & (rows["payload"] == payload)]
    return None if sub.empty else float(sub["metric.p50_ns"].iloc[0])


def ratios_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Connect-JSON / Connect-protobuf, JSON-RPC / gRPC per payload; calls per CPU-second."""
    lat = _widest_placement(_measure(rows, "latency"))
    if not _has(lat, "metric.p50_ns"):
        return []
    body = []
    for payload in lat.sort_values("size_bytes")["payload"].drop_duplicates():

        def ratio(a: str, b: str, payload: str = payload) -> str:
            x, y = _p50(lat, a, payload), _p50(lat, b, payload)
            return _ratio(x / y if x and y else None)

        body.append([payload, Cell(ratio("connect-json", "connect-proto"), numeric=True),
                     Cell(ratio("jsonrpc", "grpc"), numeric=True),
                     Cell(ratio("grpc", "tcp"), numeric=True)])  # fmt: skip
    header = ["payload", "Connect JSON / Connect protobuf", "JSON-RPC / gRPC", "gRPC / raw TCP"]
    html = table_html(
        header,
        body,
        caption=(
            "Ratios of p50 call latency (above 1: the first is slower). The lecture's claim "
            f'"JSON for RPC is very inefficient", measured on one stack. {_conditions(lat, ctx)}'
        ),
    )
    cpu = lat[lat["payload"] == lat.sort_values("size_bytes")["payload"].iloc[0]]
    per_cpu = {}
    for r in cpu.to_dict("records"):
        total = (r.get("metric.client_cpu_s_per_call") or 0) + (
            r.get("metric.server_cpu_s_per_call") or 0
        )
        if total > 0:
            per_cpu[r["subject"]] = 1.0 / total
    if "tcp" in per_cpu:
        body2 = [[f, Cell(f"{v:,.0f}", numeric=True), Cell(_ratio(v / per_cpu["tcp"]),
                  numeric=True)] for f, v in per_cpu.items()]  # fmt: skip
        html += table_html(
            ["framework", "calls per CPU-second", "over raw TCP's"],
            body2,
            caption="Calls per CPU-second (client + server), smallest payload, "
            "one call in flight; above 1× is cheaper than raw TCP.",
        )
    return [Block("RPC: ratios", ctx.anchor("rpc-ratios"), html)]


def _verdict(text: str) -> Cell:
    return Cell(text, css="pass" if text == "PASS" else "miss")


def references_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Side-by-side references, each marked PASS or MISS against its target."""
    rows = _measure(rows, "reference")
    if not _has(rows, "metric.ratio"):
        return []
    body = [
        [r["subject"], str(r["reference"]), str(r.get("payload")),
         Cell(_us(r["metric.suite_p50_ns"]), numeric=True),
         Cell(_us(r["metric.reference_p50_ns"]), numeric=True),
         Cell(_ratio(r["metric.ratio"]), numeric=True),
         f"±{r['metric.tolerance']:.0%}", _verdict(str(r["metric.verdict"]))]
        for r in rows.to_dict("records")
    ]  # fmt: skip
    header = ["suite", "reference", "payload", "suite p50", "reference p50", "ratio", "target",
              "verdict"]  # fmt: skip
    caption = (
        "Each pair run alternately (best of each compared). gRPC against a minimal hand-written "
        "grpcio client and server (target ±10%); the raw TCP call against a TCP round trip of "
        "the request's size plus the codec work of one echo (target ±20%). "
        f"{_conditions(rows, ctx)}"
    )
    return [
        Block(
            "RPC: references",
            ctx.anchor("rpc-references"),
            table_html(header, body, caption=caption),
        )
    ]


# ------------------------------------------------------------------ by reference


def byref_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """By value against by reference over the size sweep, and the crossover."""
    rows = _measure(rows, "by-reference")
    if not _has(rows, "metric.value_p50_ns", "sizes_bytes"):
        return []
    records = rows.to_dict("records")
    blocks_html = ""
    if ctx.draw:
        fig, axes = _figure(len(records), width=4.2)
        for ax, r in zip(axes, records):
            sizes = np.asarray(r["sizes_bytes"], dtype=float)
            ax.plot(sizes, np.asarray(r["metric.value_p50_ns"]) / 1e3, marker="o", label="by value")
            ax.plot(sizes, np.asarray(r["metric.reference_p50_ns"]) / 1e3, marker="s",
                    label="by reference (shared memory)")  # fmt: skip
            cross = r.get("metric.crossover_bytes")
            if cross is not None and pd.notna(cross):
                ax.axvline(cross, color="gray", linestyle="--")
            ax.set(xscale="log", yscale="log", xlabel="object (bytes)", ylabel="p50 call (µs)",
                   title=f"{r['subject']}, reads {r['access']}")  # fmt: skip
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=8, frameon=False)
        caption = (
            "Read(object, fraction): the object passed inline (by value) or as a handle to a "
            "multiprocessing.shared_memory segment (by reference); the callee reads all of it "
            "or 1%. Dashed: the crossover size from which the reference is faster. "
            f"{_conditions(rows, ctx)}"
        )
        blocks_html += figure_html(_png(fig), alt="by value against by reference",
                                   caption=caption)  # fmt: skip
    body = [[r["subject"], str(r["access"]),
             Cell("never" if r.get("metric.crossover_bytes") is None
                  or pd.isna(r.get("metric.crossover_bytes"))
                  else f"{r['metric.crossover_bytes']:,.0f} B", numeric=True)]
            for r in records]  # fmt: skip
    blocks_html += table_html(["framework", "callee reads", "reference wins from"], body)
    return [Block("RPC: by value against by reference", ctx.anchor("rpc-byref"), blocks_html)]


# ------------------------------------------------------------------ faults


@draws
def fault_timeline_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Calls/s and failures over time per framework and fault, kill/pause and recovery marked."""
    rows = _measure(rows, "faults")
    if not _has(rows, "metric.timeline"):
        return []
    rows = rows[rows["retry_policy"] == "none"] if (rows["retry_policy"] == "none").any() else rows
    records = rows.to_dict("records")
    fig, axes = _figure(len(records), width=3.6, height=3.0)
    for ax, r in zip(axes, records):
        t = r["metric.timeline"]
        ax.plot(t["t_s"], t["ok_per_s"], color="#1b9e77", label="ok/s")
        ax.plot(t["t_s"], t["failed_per_s"], color="#d95f02", label="failed/s")
        ax.axvline(r["metric.fault_at_s"], color="red", linestyle="--")
        if r.get("metric.recovered_at_s") is not None and pd.notna(r["metric.recovered_at_s"]):
            ax.axvline(r["metric.recovered_at_s"], color="green", linestyle="--")
        ax.set(xlabel="s", ylabel="calls/s", title=f"{r['subject']}: {r['fault']}")
        ax.title.set_fontsize(9)
    axes[0].legend(fontsize=7, frameon=False)
    caption = (
        "Calls per second that succeeded and failed (50 ms bins) while the server is SIGKILLed "
        "and restarted (kill) or SIGSTOPped and continued (pause), no retry. Red dashed: the "
        "fault; green dashed: restart done / SIGCONT sent. "
        f"{_conditions(rows, ctx)}"
    )
    html = figure_html(_png(fig), alt="fault timelines", caption=caption)
    return [Block("RPC: calls under server faults", ctx.anchor("rpc-fault-timeline"), html)]


def fault_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Success rate, errors seen, recovery time and duplicates per framework/fault/policy."""
    rows = _measure(rows, "faults")
    if not _has(rows, "metric.success_rate"):
        return []
    body = []
    for r in rows.to_dict("records"):
        errors = r.get("metric.errors") or {}
        seen = ", ".join(f"{k} ×{v}" for k, v in sorted(errors.items())) or "none"
        rec = r.get("metric.recovery_s")
        body.append([
            r["subject"], str(r["fault"]), str(r["retry_policy"]),
            Cell(f"{r['metric.success_rate']:.2%}", numeric=True),
            Cell(f"{int(r['metric.calls']):,}", numeric=True), seen,
            Cell(_us(r.get("metric.p99_during_fault_ns")), numeric=True),
            Cell("-" if rec is None or pd.isna(rec) else f"{rec * 1e3:,.0f} ms", numeric=True),
            Cell(str(int(r["metric.duplicates"])), numeric=True),
            Cell(str(int(r["metric.failed_but_executed"])), numeric=True),
        ])  # fmt: skip
    header = ["framework", "fault", "retry", "success", "calls", "errors seen",
              "p99 during fault", "recovery", "executed twice", "failed but executed"]  # fmt: skip
    caption = (
        "Duplicates are counted from the request ids the server appends to a file before it "
        "replies (survives SIGKILL). Recovery: from restart done / SIGCONT to the end of the "
        "first successful call. app-retry retries with the same id and exponential backoff "
        "(at least once); none makes one attempt (at most once; a failed call may still have "
        f"run). {_conditions(rows, ctx)}"
    )
    return [Block("RPC: faults, duplicates and success", ctx.anchor("rpc-faults"),
                  table_html(header, body, caption=caption))]  # fmt: skip


# ------------------------------------------------------------------ TLS


def tls_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The cost of the secure channel: p50/p99 with TLS off and on."""
    rows = _measure(rows, "tls")
    if not _has(rows, "metric.p50_ns", "tls"):
        return []
    body = []
    for framework in _frameworks(rows):
        sub = rows[rows["subject"] == framework]
        off, on = sub[sub["tls"] == False], sub[sub["tls"] == True]  # noqa: E712
        if off.empty or on.empty:
            continue
        a, b = off.iloc[0], on.iloc[0]
        body.append([framework, Cell(_us(a["metric.p50_ns"]), numeric=True),
                     Cell(_us(b["metric.p50_ns"]), numeric=True),
                     Cell(_ratio(b["metric.p50_ns"] / a["metric.p50_ns"]), numeric=True),
                     Cell(_us(a["metric.p99_ns"]), numeric=True),
                     Cell(_us(b["metric.p99_ns"]), numeric=True)])  # fmt: skip
    if not body:
        return []
    caption = (
        "The same calls (RPC record) with TLS off and on; certificates from a private CA made "
        f"at run time (trustme). {_conditions(rows, ctx)}"
    )
    header = ["framework", "p50 plain", "p50 TLS", "TLS / plain", "p99 plain", "p99 TLS"]
    return [Block("RPC: TLS on against off", ctx.anchor("rpc-tls"),
                  table_html(header, body, caption=caption))]  # fmt: skip


def unsupported_note(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Frameworks recorded as unsupported in this run, with the reason."""
    found = [u for u in ctx.run.commbench.get("unsupported", []) if u.get("family") == "rpc"]
    if not found:
        return []
    reasons = {}
    for u in found:
        reasons.setdefault(u["subject"], u["reason"])
    text = "; ".join(f"{s}: {r}" for s, r in reasons.items())
    return [Block("RPC: not measured", ctx.anchor("rpc-unsupported"),
                  paragraph(f"Not measured in this run: {text}."))]  # fmt: skip


BUILDERS: list[Builder] = [
    latency_block,
    latency_table_block,
    marshalling_block,
    ratios_block,
    load_block,
    references_block,
    byref_block,
    fault_timeline_block,
    fault_table_block,
    tls_block,
    unsupported_note,
]
"""The rpc section, in page order: ``(rows, ctx) -> list[Block]`` each."""
