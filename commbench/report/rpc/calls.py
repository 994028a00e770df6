"""Calls end to end: latency against size, the marshalling share, ratios, load, TLS.

Each builder takes the ``rpc`` rows of ONE result file and its :class:`RunContext`;
figure builders are :func:`draws` (with several runs, :mod:`.runs` draws every run in
one figure instead, and the tables stay per run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commbench.report.page.blocks import Block, Cell, RunContext, draws, figure_html, table_html
from commbench.report.plotting import finish, panels, size_axis
from commbench.report.rpc.common import (
    colors,
    conditions,
    frameworks,
    has,
    measure,
    ratio,
    seconds_axis,
    us,
    widest_placement,
)
from commbench.units import format_seconds

# ------------------------------------------------------------------ latency against size


@draws
def latency_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """p50 and p99 call latency against payload size, one line per framework."""
    rows = widest_placement(measure(rows, "latency"))
    if not has(rows, "size_bytes", "metric.p50_ns", "metric.p99_ns"):
        return []
    palette = colors()
    names = frameworks(rows)
    fig, axes = panels(2, height=3.4, width=5.2, cols=2)
    for framework in names:
        sub = rows[rows["subject"] == framework].sort_values("size_bytes")
        for ax, col in zip(axes, ("metric.p50_ns", "metric.p99_ns")):
            ax.plot(sub["size_bytes"], sub[col] / 1e9, marker="o", ms=3, lw=1.1,
                    color=palette.get(framework), label=framework)  # fmt: skip
    for ax, name in zip(axes, ("p50", "p99")):
        size_axis(ax, rows["size_bytes"])
        ax.set_xlabel("payload, compact JSON bytes (log)", fontsize=9)
        seconds_axis(ax)
        ax.set_ylabel(f"{name} call latency (log)", fontsize=9)
        ax.set_title(name, fontsize=10)
    payloads = ", ".join(sorted(set(rows["payload"])))
    caption = (
        "Closed-loop ping-pong (one call in flight, every call timed, every reply checked "
        "against what was sent): p50 (left) and p99 (right) against payload size, log-log, "
        f"lower is faster. Payloads: {payloads}. {conditions(rows, ctx)}"
    )
    png = finish(fig, axes, 2, order=names)
    html = figure_html(png, alt="rpc latency against size", caption=caption)
    return [Block("RPC: call latency against size", ctx.anchor("rpc-latency"), html)]


def latency_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Latency, CPU per call and marshalling share per framework x payload."""
    rows = widest_placement(measure(rows, "latency"))
    if not has(rows, "metric.p50_ns"):
        return []
    body = []
    for framework in frameworks(rows):
        for r in rows[rows["subject"] == framework].sort_values("size_bytes").to_dict("records"):
            cpu = (r.get("metric.client_cpu_s_per_call") or 0) + (
                r.get("metric.server_cpu_s_per_call") or 0
            )
            share = r.get("metric.marshalling_share")
            body.append([
                framework, str(r["payload"]), Cell(f"{int(r['size_bytes']):,}", numeric=True),
                Cell(us(r["metric.p50_ns"]), numeric=True),
                Cell(us(r["metric.p99_ns"]), numeric=True),
                Cell(us(r.get("metric.p99.9_ns")), numeric=True),
                Cell(f"{int(r['metric.calls'])}/{int(r['metric.failed'])}", numeric=True),
                Cell(us(cpu * 1e9) if cpu else "-", numeric=True),
                Cell(f"{share:.0%}" if pd.notna(share) else "-", numeric=True),
            ])  # fmt: skip
    header = ["framework", "payload", "bytes", "p50", "p99", "p99.9", "calls/failed",
              "CPU per call", "codec share"]  # fmt: skip
    caption = (
        "CPU per call: client + server CPU seconds over the calls. Codec share: the codec "
        "work of one echo (client encode, server decode + touch + encode, client decode), "
        "timed apart in the same run, over the call's p50 (above 100% when the codec timed "
        f"alone runs slower than inside the call). {conditions(rows, ctx)}"
    )
    html = table_html(header, body, caption=caption)
    return [Block("RPC: latency, CPU and codec share", ctx.anchor("rpc-latency-table"), html)]


# ------------------------------------------------------------------ marshalling share


@draws
def marshalling_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Stacked bars: the codec work of one echo against the rest of the call (p50)."""
    rows = widest_placement(measure(rows, "latency"))
    if not has(rows, "metric.codec_ns", "metric.p50_ns"):
        return []
    payloads = list(rows.sort_values("size_bytes")["payload"].drop_duplicates())
    fig, axes = panels(len(payloads), height=3.6, width=4.2)
    for ax, payload in zip(axes, payloads):
        sub = rows[(rows["payload"] == payload) & rows["metric.codec_ns"].notna()]
        names = frameworks(sub)
        first = sub.drop_duplicates("subject").set_index("subject")
        p50 = first.loc[names, "metric.p50_ns"].to_numpy(dtype=float)
        codec = first.loc[names, "metric.codec_ns"].to_numpy(dtype=float)
        share = np.minimum(codec / p50, 1.0) * 100.0
        y = np.arange(len(names))
        ax.barh(y, share, label="codec (one echo)", color="#d95f02")
        ax.barh(y, 100.0 - share, left=share, label="rest of the call", color="#7570b3")
        labels = [
            f"{name} {format_seconds(whole / 1e9)}{'*' if part >= whole else ''}"
            for name, whole, part in zip(names, p50, codec, strict=True)
        ]
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of the p50 call (%)", fontsize=9)
        ax.set_title(payload, fontsize=10)
        ax.set_yticks(y, labels=labels, fontsize=8)
        ax.invert_yaxis()  # the registry's order, top down
    caption = (
        "The marshalling share of a call: each bar is the p50 call, split into the codec "
        "work of one echo in that framework's encoding (timed alone, same run) and the rest "
        "(transport, framework, scheduling); the p50 follows each framework's name. * : the "
        "codec timed alone took as long as the whole call or longer (the bar is all codec). "
        f"{conditions(rows, ctx)}"
    )
    png = finish(fig, axes, len(payloads))
    html = figure_html(png, alt="marshalling share", caption=caption)
    return [Block("RPC: marshalling share", ctx.anchor("rpc-marshalling"), html)]


# ------------------------------------------------------------------ ratios


def _p50(rows: pd.DataFrame, framework: str, payload: str) -> float | None:
    sub = rows[(rows["subject"] == framework) & (rows["payload"] == payload)]
    return None if sub.empty else float(sub["metric.p50_ns"].iloc[0])


def ratios_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Connect-JSON / Connect-protobuf, JSON-RPC / gRPC per payload; calls per CPU-second."""
    lat = widest_placement(measure(rows, "latency"))
    if not has(lat, "metric.p50_ns"):
        return []
    pairs = (("connect-json", "connect-proto"), ("jsonrpc", "grpc"), ("grpc", "tcp"),
             ("capnp", "tcp"))  # fmt: skip
    body = []
    for payload in lat.sort_values("size_bytes")["payload"].drop_duplicates():
        cells = [payload]
        for a, b in pairs:
            x, y = _p50(lat, a, payload), _p50(lat, b, payload)
            cells.append(Cell(ratio(x / y if x and y else None), numeric=True))
        body.append(cells)
    header = ["payload", "Connect JSON / Connect protobuf", "JSON-RPC / gRPC", "gRPC / raw TCP",
              "Cap'n Proto / raw TCP"]  # fmt: skip
    html = table_html(
        header,
        body,
        caption=(
            "Ratios of p50 call latency (above 1: the first is slower). The lecture's claim "
            f'"JSON for RPC is very inefficient", measured on one stack. {conditions(lat, ctx)}'
        ),
    )
    smallest = lat[lat["payload"] == lat.sort_values("size_bytes")["payload"].iloc[0]]
    per_cpu = {}
    for r in smallest.to_dict("records"):
        total = (r.get("metric.client_cpu_s_per_call") or 0) + (
            r.get("metric.server_cpu_s_per_call") or 0
        )
        if total > 0:
            per_cpu[r["subject"]] = 1.0 / total
    if "tcp" in per_cpu:
        body2 = [[f, Cell(f"{v:,.0f}", numeric=True), Cell(ratio(v / per_cpu["tcp"]),
                  numeric=True)] for f, v in per_cpu.items()]  # fmt: skip
        html += table_html(
            ["framework", "calls per CPU-second", "over raw TCP's"],
            body2,
            caption="Calls per CPU-second (client + server), smallest payload, "
            "one call in flight; above 1× is cheaper than raw TCP.",
        )
    return [Block("RPC: ratios", ctx.anchor("rpc-ratios"), html)]


# ------------------------------------------------------------------ load


def load_axes(ax, closed: pd.DataFrame, opened: pd.DataFrame, col: str, **style) -> None:
    """One framework's closed-loop curve (concurrency at the points) and open-loop crosses."""
    sub = closed.sort_values("concurrency")
    (line,) = ax.plot(sub["metric.calls_per_s"], sub[col] / 1e9, marker="o", ms=3, lw=1.1,
                      **style)  # fmt: skip
    for r in sub.to_dict("records"):
        ax.annotate(str(int(r["concurrency"])), (r["metric.calls_per_s"], r[col] / 1e9),
                    fontsize=6, xytext=(2, 2), textcoords="offset points")  # fmt: skip
    if not opened.empty:
        ax.scatter(opened["metric.calls_per_s"], opened[col] / 1e9, marker="x",
                   color=line.get_color())  # fmt: skip


def load_caption(closed: pd.DataFrame) -> str:
    levels = ", ".join(str(int(c)) for c in sorted(set(closed["concurrency"])))
    return (
        f"Throughput against latency under load: closed loop with {levels} calls in flight "
        "(numbers at the points; gRPC multiplexes them on one channel, the others use one "
        "connection per call in flight), and × the open loop at a constant rate (a fraction "
        "of the measured maximum) with latency from each call's intended send time. "
        "Payload: the RPC record."
    )


@draws
def load_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Calls/s against p50 and p99 as calls in flight grow, one curve per framework."""
    closed = measure(rows, "concurrency")
    opened = measure(rows, "open-loop")
    if not has(closed, "metric.calls_per_s", "metric.p50_ns"):
        return []
    palette = colors()
    names = frameworks(closed)
    fig, axes = panels(2, height=3.4, width=5.2, cols=2)
    for framework in names:
        o = opened[opened["subject"] == framework] if not opened.empty else opened
        for ax, col in zip(axes, ("metric.p50_ns", "metric.p99_ns")):
            load_axes(ax, closed[closed["subject"] == framework], o, col,
                      color=palette.get(framework), label=framework)  # fmt: skip
    for ax, name in zip(axes, ("p50", "p99")):
        ax.set_xscale("log")
        ax.set_xlabel("calls/s (log)", fontsize=9)
        seconds_axis(ax)
        ax.set_ylabel(f"{name} latency (log)", fontsize=9)
        ax.set_title(name, fontsize=10)
    caption = f"{load_caption(closed)} {conditions(closed, ctx)}"
    png = finish(fig, axes, 2, order=names)
    html = figure_html(png, alt="throughput against latency", caption=caption)
    return [Block("RPC: throughput against latency", ctx.anchor("rpc-load"), html)]


# ------------------------------------------------------------------ TLS


def tls_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """The cost of the secure channel: p50/p99 with TLS off and on."""
    rows = measure(rows, "tls")
    if not has(rows, "metric.p50_ns", "tls"):
        return []
    body = []
    for framework in frameworks(rows):
        sub = rows[rows["subject"] == framework]
        off, on = sub[sub["tls"] == False], sub[sub["tls"] == True]  # noqa: E712
        if off.empty or on.empty:
            continue
        a, b = off.iloc[0], on.iloc[0]
        body.append([framework, Cell(us(a["metric.p50_ns"]), numeric=True),
                     Cell(us(b["metric.p50_ns"]), numeric=True),
                     Cell(ratio(b["metric.p50_ns"] / a["metric.p50_ns"]), numeric=True),
                     Cell(us(a["metric.p99_ns"]), numeric=True),
                     Cell(us(b["metric.p99_ns"]), numeric=True)])  # fmt: skip
    if not body:
        return []
    sources = sorted({str(c) for c in rows.get("certificates", pd.Series()).dropna()})
    caption = (
        "The same calls (RPC record) with TLS off and on. Certificates: "
        f"{'; '.join(sources) or 'a private CA made at run time (trustme)'}. "
        f"{conditions(rows, ctx)}"
    )
    header = ["framework", "p50 plain", "p50 TLS", "TLS / plain", "p99 plain", "p99 TLS"]
    return [Block("RPC: TLS on against off", ctx.anchor("rpc-tls"),
                  table_html(header, body, caption=caption))]  # fmt: skip
