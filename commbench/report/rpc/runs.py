"""Several result files side by side: one figure for every run, as the other families do.

With several runs the per-run figure builders skip their figures (:func:`draws`) and
keep their tables; these draw p50 call latency against size and throughput against
latency once, one panel per framework, one colour per run (:func:`run_labels`).
"""

from __future__ import annotations

import pandas as pd

from commbench.report.page.blocks import Block, RunContext, figure_html, run_labels
from commbench.report.plotting import finish, panels, size_axis, style
from commbench.report.rpc.calls import load_axes, load_caption
from commbench.report.rpc.common import frameworks, has, measure, seconds_axis, widest_placement


def _runs_text(rows: pd.DataFrame, contexts: list[RunContext]) -> str:
    files = set(rows["file"])
    return "; ".join(ctx.describe() for ctx in contexts if str(ctx.run.path) in files)


def _per_run(rows: pd.DataFrame, contexts: list[RunContext]):
    """(file, label, colour) of the runs that have *rows*, in the report's order."""
    labels = run_labels(contexts)
    files = [f for f in labels if f in set(rows["file"])]
    palette = style.colors_for(labels[f] for f in files)
    return [(f, labels[f], palette[labels[f]]) for f in files]


def runs_latency_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's p50 call latency against payload size, one panel per framework."""
    lat = measure(rows, "latency")
    if not has(lat, "size_bytes", "metric.p50_ns", "file"):
        return []
    lat = pd.concat([widest_placement(part) for _, part in lat.groupby("file", sort=False)])
    names = frameworks(lat)
    runs = _per_run(lat, contexts)
    fig, axes = panels(len(names), height=3.0, width=4.0)
    for ax, framework in zip(axes, names):
        sub = lat[lat["subject"] == framework]
        for file, label, color in runs:
            part = sub[sub["file"] == file].sort_values("size_bytes")
            if not part.empty:
                ax.plot(part["size_bytes"], part["metric.p50_ns"] / 1e9, marker="o", ms=3,
                        lw=1.1, color=color, label=label)  # fmt: skip
        size_axis(ax, sub["size_bytes"])
        seconds_axis(ax)
        ax.set_ylabel("p50 call (log)", fontsize=9)
        ax.set_title(framework, fontsize=10)
    caption = (
        "Closed-loop call latency p50 against payload size (compact JSON bytes), one panel "
        "per framework, one colour per run; log-log, lower is faster. Each run's own figures "
        "are replaced by this one; its tables follow below. "
        f"Runs: {_runs_text(lat, contexts)}."
    )
    png = finish(fig, axes, len(names), order=[label for _, label, _ in runs])
    html = figure_html(png, alt="rpc call latency, every run", caption=caption)
    return [Block("RPC: call latency against size, every run", "runs-rpc-latency", html)]


def runs_load_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's throughput against p50 latency, one panel per framework."""
    closed = measure(rows, "concurrency")
    opened = measure(rows, "open-loop")
    if not has(closed, "metric.calls_per_s", "metric.p50_ns", "file"):
        return []
    names = frameworks(closed)
    runs = _per_run(closed, contexts)
    fig, axes = panels(len(names), height=3.0, width=4.0)
    for ax, framework in zip(axes, names):
        for file, label, color in runs:
            mine = closed[(closed["subject"] == framework) & (closed["file"] == file)]
            if mine.empty:
                continue
            o = opened[(opened["subject"] == framework) & (opened["file"] == file)]
            load_axes(ax, mine, o, "metric.p50_ns", color=color, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("calls/s (log)", fontsize=9)
        seconds_axis(ax)
        ax.set_ylabel("p50 (log)", fontsize=9)
        ax.set_title(framework, fontsize=10)
    caption = (
        f"{load_caption(closed)} One panel per framework, one colour per run. "
        f"Runs: {_runs_text(closed, contexts)}."
    )
    png = finish(fig, axes, len(names), order=[label for _, label, _ in runs])
    html = figure_html(png, alt="rpc throughput against latency, every run", caption=caption)
    return [Block("RPC: throughput against latency, every run", "runs-rpc-load", html)]


ACROSS_BUILDERS = [runs_latency_block, runs_load_block]
"""The figures that show every run at once (reports of several runs)."""
