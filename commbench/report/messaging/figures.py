"""Messaging figures: pure functions, the family's row dicts in, PNG bytes out.

Drawn on a bare Agg :class:`~matplotlib.figure.Figure` through the report's plotting
helpers (:mod:`commbench.report.plotting`), never through pyplot. Rows are the tidy
table's records (params as columns, metrics as ``metric.<name>``); latencies in ns,
``samples`` in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from commbench.report.plotting import finish, log_axis, panels, style
from commbench.units import format_seconds

Row = dict[str, Any]


def key(row: Row) -> str:
    """``system/mode``, with `` (LAN)`` when the broker ran on the LAN peer."""
    lan = " (LAN)" if row.get("path") == "lan" else ""
    return f"{row['system']}/{row['mode']}{lan}"


def _rate(value: float) -> str:
    return f"{value / 1e3:g}k" if value >= 1e3 else f"{value:g}"


def _fault_span(ax: Any, row: Row) -> None:
    events = {e["event"]: e["t_s"] for e in row.get("metric.fault_events") or []}
    start, end = events.get(f"{row['fault']} start"), events.get(f"{row['fault']} end")
    if start is not None:
        ax.axvspan(start, end if end is not None else start, color="red", alpha=0.15, lw=0)


def timelines_figure(crash: Sequence[Row]) -> bytes:
    """One panel per crash: published, delivered (distinct) and backlog over time."""
    colors = style.colors_for(("published", "delivered", "backlog"))
    fig, axes = panels(len(crash), height=2.3, width=3.2, cols=4)
    for ax, row in zip(axes, crash):
        t = row["metric.timeline"]
        for series in ("published", "delivered", "backlog"):
            ax.plot(t["t_s"], t[series], label=series, lw=1, color=colors[series])
        _fault_span(ax, row)
        ax.set_title(f"{key(row)} {row['fault']}", fontsize=8)
        ax.set_xlabel("s", fontsize=7)
        ax.tick_params(labelsize=7)
    return finish(fig, axes, len(crash))


def runs_timelines_figure(crash: Sequence[Row], labels: Mapping[str, str]) -> bytes:
    """One panel per (system/mode, fault): the backlog over time, one colour per run."""
    cases = list(dict.fromkeys((key(r), r["fault"]) for r in crash))
    colors = style.colors_for(labels.values())
    fig, axes = panels(len(cases), height=2.3, width=3.2, cols=4)
    for ax, case in zip(axes, cases):
        for row in crash:
            if (key(row), row["fault"]) != case or str(row["file"]) not in labels:
                continue
            t, name = row["metric.timeline"], labels[str(row["file"])]
            ax.plot(t["t_s"], t["backlog"], lw=1, color=colors[name], label=name)
            _fault_span(ax, row)
        ax.set_title(f"{case[0]} {case[1]}", fontsize=8)
        ax.set_xlabel("s", fontsize=7)
        ax.tick_params(labelsize=7)
    return finish(fig, axes, len(cases), order=list(labels.values()))


def cdf_figure(latency: Sequence[Row], sizes: Sequence[int]) -> bytes:
    """End-to-end latency CDF, one panel per message size, one line per system/mode."""
    colors = style.colors_for(key(r) for r in latency)
    fig, axes = panels(len(sizes), height=3.0, width=4.0)
    for ax, size in zip(axes, sizes):
        for row in latency:
            if int(row["size_bytes"]) != size:
                continue
            x = np.sort(np.asarray(row["samples"], dtype=float))
            ax.plot(
                x, np.arange(1, x.size + 1) / x.size, lw=1, label=key(row), color=colors[key(row)]
            )
        log_axis(ax, "x", format_seconds)
        ax.set_title(f"{size} B", fontsize=9)
        ax.set_xlabel("end-to-end latency (log)", fontsize=8)
        ax.set_ylabel("fraction of messages", fontsize=8)
    return finish(fig, axes, len(sizes), order=list(colors))


def runs_cdf_figure(latency: Sequence[Row], labels: Mapping[str, str]) -> bytes:
    """One panel per system/mode at its smallest size: the e2e CDF, one colour per run."""
    keys = list(dict.fromkeys(key(r) for r in latency))
    colors = style.colors_for(labels.values())
    fig, axes = panels(len(keys), height=2.8, width=3.6, cols=4)
    for ax, k in zip(axes, keys):
        mine = [r for r in latency if key(r) == k and str(r["file"]) in labels]
        size = min(int(r["size_bytes"]) for r in mine)
        for row in mine:
            if int(row["size_bytes"]) != size:
                continue
            name = labels[str(row["file"])]
            x = np.sort(np.asarray(row["samples"], dtype=float))
            ax.plot(x, np.arange(1, x.size + 1) / x.size, lw=1, label=name, color=colors[name])
        log_axis(ax, "x", format_seconds)
        ax.set_title(f"{k}, {size} B", fontsize=8)
        ax.tick_params(labelsize=7)
    return finish(fig, axes, len(keys), order=list(labels.values()))


def _rate_curve(ax: Any, points: Sequence[Row], color: Any, label: str, max_rate: Any) -> None:
    points = sorted(points, key=lambda r: float(r["rate_per_s"]))
    x = [float(r["rate_per_s"]) for r in points]
    for metric, line in (("metric.p50_ns", "-"), ("metric.p99_ns", "--")):
        y = [float(r.get(metric) or np.nan) * 1e-9 for r in points]
        ax.plot(
            x, y, line, marker="o", ms=3, lw=1.2, color=color, label=label if line == "-" else None
        )
    if max_rate is not None and np.isfinite(max_rate):
        ax.axvline(float(max_rate), color=color, lw=0.8, ls=":")


def rate_latency_figure(points: Sequence[Row], max_rates: Mapping[str, float]) -> bytes:
    """E2e latency (p50 solid, p99 dashed) against the publish rate, one curve per
    system/mode; the dotted vertical line is its maximum sustainable rate."""
    keys = list(dict.fromkeys(key(r) for r in points))
    colors = style.colors_for(keys)
    fig, axes = panels(1, height=3.6, width=6.0)
    ax = axes[0]
    for k in keys:
        _rate_curve(ax, [r for r in points if key(r) == k], colors[k], k, max_rates.get(k))
    log_axis(ax, "x", _rate)
    log_axis(ax, "y", format_seconds)
    ax.set_xlabel("publish rate, msg/s (log)", fontsize=8)
    ax.set_ylabel("end-to-end latency (log)", fontsize=8)
    return finish(fig, axes, 1, order=keys)


def runs_rate_latency_figure(
    points: Sequence[Row], max_rates: Mapping[tuple[str, str], float], labels: Mapping[str, str]
) -> bytes:
    """One panel per system/mode: e2e latency against rate, one colour per run."""
    keys = list(dict.fromkeys(key(r) for r in points))
    colors = style.colors_for(labels.values())
    fig, axes = panels(len(keys), height=2.8, width=3.6, cols=4)
    for ax, k in zip(axes, keys):
        for file, name in labels.items():
            mine = [r for r in points if key(r) == k and str(r["file"]) == file]
            if mine:
                _rate_curve(ax, mine, colors[name], name, max_rates.get((file, k)))
        log_axis(ax, "x", _rate)
        log_axis(ax, "y", format_seconds)
        ax.set_title(k, fontsize=8)
        ax.tick_params(labelsize=7)
    return finish(fig, axes, len(keys), order=list(labels.values()))
