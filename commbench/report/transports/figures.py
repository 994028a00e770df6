"""Transport figures: pure functions, tidy rows in, PNG bytes out.

Rows are the tidy table (see :func:`commbench.results.tidy`) of ONE result file and
one family: latency rows carry ``metric.one_way_*_ns`` (nanoseconds) and ``samples``
(every one-way latency, seconds); throughput rows carry ``metric.mb_per_s``
(10**6 bytes per second) and ``metric.lost`` (messages). Sizes are in bytes.
Drawn on a bare Agg :class:`~matplotlib.figure.Figure`, never through pyplot.

Panels are one per (path, placement): localhost same-core, localhost cross-core,
LAN. The in-process transport (``path="in-process"``) shares the localhost panels:
it is on this machine too, and its name says it is in-process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from commbench.report.page.records import records
from commbench.report.plotting import finish, in_order, log_axis, panels, size_axis, style
from commbench.units import format_seconds

FLOOR = "shm-floor"
"""The transport that is the shared-memory floor: drawn as a grey line, not a transport."""

_PLACEMENTS = ("same-core", "cross-core", "lan")
PLACEMENT_STYLES = {"same-core": "-", "cross-core": "--", "lan": ":"}
_FLOOR_STYLE = {"color": "0.25", "lw": 5, "alpha": 0.25, "solid_capstyle": "butt"}

Color = style.Color


def path_group(path: object) -> str:
    """``"LAN"`` for the LAN path, ``"localhost"`` for everything on this machine."""
    return "LAN" if str(path) == "lan" else "localhost"


def panel_keys(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """The (path group, placement) panels present, localhost first, same-core first."""
    keys = {(path_group(p), str(q)) for p, q in zip(rows["path"], rows["placement"])}
    rank = {p: i for i, p in enumerate(_PLACEMENTS)}
    return sorted(keys, key=lambda k: (k[0] == "LAN", rank.get(k[1], len(rank)), k[1]))


def transport_palette(transports: Sequence[str]) -> dict[str, Color]:
    """One colour per transport (in the order given), the same in every figure; the floor
    has its own grey. Colours from :data:`commbench.report.plotting.style.DISTINCT`."""
    return style.colors_for(t for t in transports if t != FLOOR)


def _in_panel(rows: pd.DataFrame, key: tuple[str, str]) -> pd.DataFrame:
    mask = (rows["path"].map(path_group) == key[0]) & (rows["placement"].astype(str) == key[1])
    return rows[mask]


def reference_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Reference rows (family ``reference``) as one-way seconds for the latency figure.

    TCP's reference is a median round trip (``metric.reference_rtt_p50_ns``), drawn as
    RTT / 2; MPI's is mpi4py.bench's mean one-way time (``reference_one_way_mean_ns``);
    sockperf's is its one-way p50 (``reference_one_way_p50_ns``).
    """
    columns = ["path", "placement", "size_bytes", "one_way_s", "label"]
    out = []
    for row in records(rows):
        rtt, mean, p50 = (
            row.get("metric.reference_rtt_p50_ns"),
            row.get("metric.reference_one_way_mean_ns"),
            row.get("metric.reference_one_way_p50_ns"),
        )
        if rtt is not None and pd.notna(rtt):
            value, label = rtt / 2, "reference: hand-written TCP ping-pong, RTT/2"
        elif mean is not None and pd.notna(mean):
            value, label = mean, "reference: mpi4py.bench pingpong (mean)"
        elif p50 is not None and pd.notna(p50):
            value, label = p50, "reference: sockperf TCP (C), p50"
        else:
            continue
        where = [row.get(k) for k in columns[:3]]
        out.append([*where, value * 1e-9, label])
    return pd.DataFrame(out, columns=columns)


def latency_size_figure(
    rows: pd.DataFrame, palette: Mapping[str, Color], references: pd.DataFrame | None = None
) -> bytes:
    """One-way latency (s, log) against message size (bytes, log), one line per transport.

    p50 solid with markers, p99 dashed in the same colour. The shared-memory floor
    (:data:`FLOOR`, p50) is a wide grey line in every localhost panel. *references*
    (columns ``path``, ``placement``, ``size_bytes``, ``one_way_s``, ``label``) are
    drawn as black stars.
    """
    keys = panel_keys(rows[rows["subject"] != FLOOR]) or panel_keys(rows)
    floor = rows[rows["subject"] == FLOOR].groupby("size_bytes")["metric.one_way_p50_ns"].min()
    fig, axes = panels(len(keys), width=5.6, height=4.0, top_in=0.9)
    for ax, key in zip(axes, keys):
        sub = _in_panel(rows[rows["subject"] != FLOOR], key)
        for transport in in_order(sub["subject"]):
            part = sub[sub["subject"] == transport].sort_values("size_bytes")
            color = palette.get(transport, "0.5")
            x = part["size_bytes"]
            ax.plot(
                x,
                part["metric.one_way_p50_ns"] * 1e-9,
                "-o",
                color=color,
                lw=1.5,
                ms=3.5,
                label=transport,
            )
            ax.plot(x, part["metric.one_way_p99_ns"] * 1e-9, "--", color=color, lw=0.8, alpha=0.6)
        if key[0] == "localhost" and len(floor):
            ax.plot(floor.index, floor.to_numpy() * 1e-9, label="shm floor (p50)", **_FLOOR_STYLE)
        for ref in records(_in_panel(references, key)) if references is not None else []:
            ax.scatter(
                ref["size_bytes"],
                ref["one_way_s"],
                marker="*",
                s=140,
                color="black",
                zorder=5,
                label=str(ref["label"]),
            )
        ax.plot([], [], "-", color="0.3", label="p50 (solid)")
        ax.plot([], [], "--", color="0.3", lw=0.9, label="p99 (dashed)")
        size_axis(ax, rows["size_bytes"])
        log_axis(ax, "y", format_seconds)
        ax.set_ylabel("one-way latency (log)")
        ax.set_title(f"{key[0]}, {key[1]}", fontsize=10)
    order = [*palette, "shm floor (p50)", "p50 (solid)", "p99 (dashed)"]
    return finish(fig, axes, len(keys), order=order)


def throughput_figure(rows: pd.DataFrame, palette: Mapping[str, Color]) -> bytes:
    """Throughput (MB/s, log) against message size (bytes, log), one line per transport.

    An open marker is a size at which messages were lost (counted in ``metric.lost``);
    MB/s counts only the bytes that arrived.
    """
    keys = panel_keys(rows)
    fig, axes = panels(len(keys), width=5.6, height=4.0, top_in=0.9)
    for ax, key in zip(axes, keys):
        sub = _in_panel(rows, key)
        for transport in in_order(sub["subject"]):
            part = sub[sub["subject"] == transport].sort_values("size_bytes")
            color = palette.get(transport, "0.5")
            ax.plot(
                part["size_bytes"],
                part["metric.mb_per_s"],
                "-",
                color=color,
                lw=1.4,
                label=transport,
            )
            lost = part["metric.lost"].fillna(0) > 0
            kept = part[~lost]
            ax.scatter(kept["size_bytes"], kept["metric.mb_per_s"], s=22, color=color, zorder=3)
            ax.scatter(
                part.loc[lost, "size_bytes"],
                part.loc[lost, "metric.mb_per_s"],
                s=46,
                facecolors="white",
                edgecolors=color,
                linewidths=1.5,
                zorder=4,
            )
        ax.scatter([], [], s=46, facecolors="white", edgecolors="0.3", label="messages lost")
        size_axis(ax, rows["size_bytes"])
        log_axis(ax, "y", lambda v: f"{v:g} MB/s")
        ax.set_ylabel("throughput, MB/s (log; higher is better)")
        ax.set_title(f"{key[0]}, {key[1]}", fontsize=10)
    return finish(fig, axes, len(keys), order=[*palette, "messages lost"])


def cdf_points(samples: object) -> tuple[np.ndarray, np.ndarray]:
    """Sorted samples and their empirical CDF ``i / n`` (i = 1..n); empty when absent."""
    if samples is None or (isinstance(samples, float) and math.isnan(samples)):
        return np.empty(0), np.empty(0)
    xs = np.sort(np.asarray(samples, dtype=float))
    return xs, np.arange(1, xs.size + 1) / max(xs.size, 1)


def latency_cdf_figure(rows: pd.DataFrame, palette: Mapping[str, Color]) -> bytes:
    """Empirical CDF of the one-way latency samples (s, log x) at ONE message size.

    One panel per path group (localhost, LAN); one curve per transport x placement:
    colour is the transport, line style the placement. The floor is the grey curve.
    """
    groups = sorted({path_group(p) for p in rows["path"]}, key=lambda g: g == "LAN")
    fig, axes = panels(len(groups), width=11.0 if len(groups) == 1 else 5.6, height=4.2, top_in=0.9)
    for ax, group in zip(axes, groups):
        sub = rows[rows["path"].map(path_group) == group]
        for row in records(sub):
            xs, ys = cdf_points(row["samples"])
            if not xs.size:
                continue
            if row["subject"] == FLOOR:
                ax.plot(xs, ys, label="shm floor", **{**_FLOOR_STYLE, "lw": 4})
                continue
            style = PLACEMENT_STYLES.get(str(row["placement"]), "-.")
            ax.plot(
                xs,
                ys,
                style,
                color=palette.get(row["subject"], "0.5"),
                lw=1.2,
                label=str(row["subject"]),
            )
        for placement in in_order(sub.loc[sub["subject"] != FLOOR, "placement"]):
            ax.plot([], [], PLACEMENT_STYLES.get(placement, "-."), color="0.3", label=placement)
        log_axis(ax, "x", format_seconds)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_ylim(0, 1.01)
        ax.set_xlabel("one-way latency (log)")
        ax.set_ylabel("fraction of round trips ≤ x")
        ax.set_title(group, fontsize=10)
    order = [*palette, "shm floor", *_PLACEMENTS]
    return finish(fig, axes, len(groups), order=order)


def transport_runs_figure(
    rows: pd.DataFrame,
    labels: Mapping[str, str],
    value: str,
    *,
    scale: float = 1.0,
    ylabel: str,
    formatter: Callable[[float], str] = format_seconds,
) -> bytes:
    """``rows[value] * scale`` (log) against message size (log), one panel per transport
    and path (localhost, LAN); colour = run, line style = placement."""
    columns = ["file", "subject", "placement", "size_bytes", value]
    rows = rows.loc[rows[value].notna(), columns].assign(group=rows["path"].map(path_group))
    # object, not pandas' str dtype: slicing a str column costs a copy check per group
    rows = rows.astype({c: object for c in ("file", "subject", "placement", "group")})
    keys = list(dict.fromkeys(zip(rows["subject"].astype(str), rows["group"])))
    rows = rows.sort_values("size_bytes", kind="stable")
    files = [f for f in labels if f in set(rows["file"])]
    palette = style.colors_for(labels[f] for f in files)
    fig, axes = panels(len(keys), height=3.2)
    placements = in_order(rows["placement"])
    by_panel = dict(iter(rows.groupby([rows["subject"].astype(str), "group"], sort=False)))
    for ax, key in zip(axes, keys):
        sub = by_panel[key]
        lines = dict(iter(sub.groupby(["file", "placement"], sort=False)))
        for file in files:
            for placement in placements:
                part = lines.get((file, placement))
                if part is None:
                    continue
                ax.plot(
                    part["size_bytes"],
                    part[value] * scale,
                    PLACEMENT_STYLES.get(placement, "-."),
                    marker="o",
                    ms=2.5,
                    lw=1.1,
                    color=palette[labels[file]],
                    label=labels[file],
                )
        size_axis(ax, sub["size_bytes"])
        log_axis(ax, "y", formatter)
        ax.set_ylabel(ylabel, fontsize=9)
        transport, group = key
        ax.set_title(transport if group == "localhost" else f"{transport}, {group}", fontsize=10)
    for placement in placements:
        axes[0].plot([], [], PLACEMENT_STYLES.get(placement, "-."), color="0.3", label=placement)
    return finish(fig, axes, len(keys), order=[*(labels[f] for f in files), *placements])
