"""Figures that put several runs side by side: one figure per family, whatever the number
of runs, so a report of ten machines costs about what a report of one does.

Pure functions: tidy rows of SEVERAL result files (see :func:`commbench.results.tidy`;
seconds, bytes, ``metric.*_ns`` nanoseconds) and a label per file in, PNG bytes out.
Colour is the run; within a transport's panel the line style is the placement.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from commbench.report import style
from commbench.report.figures import _codec_axis, _finish, _log_axis, _panels, in_order
from commbench.report.figures_transports import _PLACEMENT_STYLES, _size_axis, path_group
from commbench.units import format_seconds


def round_trip_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Per file, payload and codec: ``seconds`` = encode + decode+touch medians.

    Falls back to encode + decode where a file has no decode+touch. Codecs missing both
    second ops are left out (the per-run tables list them as unsupported).
    """
    wide = rows.pivot_table(index=["file", "payload", "subject"], columns="op", values="median")
    if "encode" not in wide:
        return pd.DataFrame(columns=["file", "payload", "subject", "seconds"])
    second = wide["decode+touch"] if "decode+touch" in wide else pd.Series(np.nan, wide.index)
    if "decode" in wide:
        second = second.fillna(wide["decode"])
    return (wide["encode"] + second).rename("seconds").dropna().reset_index()


def marshalling_runs_figure(rows: pd.DataFrame, labels: Mapping[str, str]) -> bytes:
    """Round-trip median (s, log) per codec, one marker per run, one panel per payload."""
    points = round_trip_points(rows)
    payloads, codecs = in_order(rows["payload"]), in_order(rows["subject"])
    files = [f for f in labels if f in set(points["file"])]
    palette = style.colors_for(labels[f] for f in files)
    fig, axes = _panels(len(payloads), height=0.30 * len(codecs) + 1.2)
    y = {codec: i for i, codec in enumerate(codecs)}
    spread = min(0.6, 0.12 * len(files))
    for ax, payload in zip(axes, payloads):
        sub = points[points["payload"] == payload]
        for k, file in enumerate(files):
            part = sub[sub["file"] == file]
            offset = (k / max(len(files) - 1, 1) - 0.5) * spread
            ax.plot(  # markers only: a Line2D draws them far faster than a scatter
                part["seconds"],
                part["subject"].map(y) + offset,
                "o",
                ms=math.sqrt(22),  # the area of scatter's s=22
                color=palette[labels[file]],
                label=labels[file],
                zorder=3,
            )
        _codec_axis(ax, codecs)
        _log_axis(ax, "x", format_seconds)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("encode + decode+touch median (log)")
    return _finish(fig, axes, len(payloads), order=[labels[f] for f in files])


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
    fig, axes = _panels(len(keys), height=3.2)
    placements = in_order(rows["placement"])
    panels = dict(iter(rows.groupby([rows["subject"].astype(str), "group"], sort=False)))
    for ax, key in zip(axes, keys):
        sub = panels[key]
        lines = dict(iter(sub.groupby(["file", "placement"], sort=False)))
        for file in files:
            for placement in placements:
                part = lines.get((file, placement))
                if part is None:
                    continue
                ax.plot(
                    part["size_bytes"],
                    part[value] * scale,
                    _PLACEMENT_STYLES.get(placement, "-."),
                    marker="o",
                    ms=2.5,
                    lw=1.1,
                    color=palette[labels[file]],
                    label=labels[file],
                )
        _size_axis(ax, sub["size_bytes"])
        _log_axis(ax, "y", formatter)
        ax.set_ylabel(ylabel, fontsize=9)
        transport, group = key
        ax.set_title(transport if group == "localhost" else f"{transport}, {group}", fontsize=10)
    for placement in placements:
        axes[0].plot([], [], _PLACEMENT_STYLES.get(placement, "-."), color="0.3", label=placement)
    return _finish(fig, axes, len(keys), order=[*(labels[f] for f in files), *placements])
