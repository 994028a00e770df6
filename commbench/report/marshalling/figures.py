"""Marshalling figures: pure functions, the tidy rows of one family in, PNG bytes out.

Rows are the tidy table (see :func:`commbench.results.tidy`: times in seconds, sizes in
bytes, ``metric.copy_floor_ns`` in nanoseconds). The run-comparison figure takes the rows
of SEVERAL result files and a label per file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from commbench.marshalling import OPS
from commbench.report.page.records import records
from commbench.report.plotting import bytes_axis, finish, in_order, log_axis, panels, style
from commbench.units import format_seconds

_OP_MARKERS = {"encode": "o", "decode": "s", "decode+touch": "D"}


_SIZE_KINDS = {"metric.encoded_bytes": "encoded", "metric.compressed_bytes": "zlib level 6"}


def pareto_front(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Mask of the points no other point beats on both x and y (smaller is better).

    A point is on the front when no other point is <= on both coordinates and < on
    one. Units are the caller's (here bytes and seconds).

    >>> pareto_front([1, 2, 3, 2], [3, 1, 2, 2]).tolist()
    [True, True, False, False]
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    le = (xs[None, :] <= xs[:, None]) & (ys[None, :] <= ys[:, None])
    lt = (xs[None, :] < xs[:, None]) | (ys[None, :] < ys[:, None])
    return ~np.any(le & lt, axis=1)


def codec_palette(codecs: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One stable colour per codec, the same in every figure of a report."""
    return dict(zip(codecs, style.palette("tab10", max(len(codecs), 1))))


def times_figure(rows: pd.DataFrame) -> bytes:
    """Median time per call (s, log scale) per codec and op, one panel per payload.

    A grey ``|`` marks each codec's copy floor (``metric.copy_floor_ns``, converted
    to seconds): copying the encoded bytes, which no format can beat.
    """
    payloads, codecs = in_order(rows["payload"]), in_order(rows["subject"])
    ops = [op for op in OPS if op in set(rows["op"])] + sorted(set(rows["op"]) - set(OPS))
    fig, axes = panels(len(payloads), height=0.32 * len(codecs) + 1.2)
    colors = dict(zip(ops, style.palette("deep", len(ops))))
    for ax, payload in zip(axes, payloads):
        sub = rows[rows["payload"] == payload]
        y = {codec: i for i, codec in enumerate(codecs)}
        for k, op in enumerate(ops):
            part = sub[sub["op"] == op]
            offset = (k - (len(ops) - 1) / 2) * 0.22
            ax.scatter(
                part["median"],
                part["subject"].map(y) + offset,
                marker=_OP_MARKERS.get(op, "^"),
                s=28,
                color=colors[op],
                label=op,
                zorder=3,
            )
        floor = sub.groupby("subject", sort=False)["metric.copy_floor_ns"].first().dropna()
        ax.scatter(
            floor.to_numpy() * 1e-9,
            floor.index.map(y),
            marker="|",
            s=160,
            color="0.45",
            label="copy floor",
            zorder=2,
        )
        codec_axis(ax, codecs)
        _mark_missing(ax, codecs, set(sub["subject"]))
        log_axis(ax, "x", format_seconds)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("median time per call (log)")
    return finish(fig, axes, len(payloads), order=[*ops, "copy floor"])


def sizes_figure(rows: pd.DataFrame) -> bytes:
    """Encoded and zlib-compressed size (bytes) per codec, one panel per payload."""
    payloads, codecs = in_order(rows["payload"]), in_order(rows["subject"])
    sizes = (
        rows.groupby(["payload", "subject"], sort=False)[list(_SIZE_KINDS)]
        .first()
        .rename(columns=_SIZE_KINDS)
        .reset_index()
        .melt(id_vars=["payload", "subject"], var_name="size", value_name="bytes")
    )
    fig, axes = panels(len(payloads), height=0.28 * len(codecs) + 1.2)
    kinds = list(_SIZE_KINDS.values())
    for ax, payload in zip(axes, payloads):
        sub = sizes[sizes["payload"] == payload].set_index(["size", "subject"])["bytes"]
        for k, (kind, color) in enumerate(zip(kinds, ("#4c72b0", "#a1c9f4"))):
            values = [sub.get((kind, codec), np.nan) for codec in codecs]
            offset = (k - (len(kinds) - 1) / 2) * 0.4
            ax.barh(np.arange(len(codecs)) + offset, values, height=0.4, color=color, label=kind)
        codec_axis(ax, codecs)
        _mark_missing(ax, codecs, set(rows.loc[rows["payload"] == payload, "subject"]))
        bytes_axis(ax, 0.0, float(sizes.loc[sizes["payload"] == payload, "bytes"].max()) * 1.05)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("bytes")
        ax.set_ylabel("")
    return finish(fig, axes, len(payloads))


def speed_size_figure(rows: pd.DataFrame) -> bytes:
    """Encoded size (bytes) against encode + decode median (s, log scale).

    One panel per payload; the step line joins the Pareto front (no other codec is
    both smaller and faster), whose codecs are labelled.
    """
    payloads, codecs = in_order(rows["payload"]), in_order(rows["subject"])
    points = speed_size_points(rows)
    palette = codec_palette(codecs)
    fig, axes = panels(len(payloads), height=3.0)
    for ax, payload in zip(axes, payloads):
        sub = points[points["payload"] == payload].sort_values(["bytes", "seconds"])
        for codec in codecs:
            part = sub[sub["subject"] == codec]
            ax.scatter(part["bytes"], part["seconds"], s=40, color=palette[codec], label=codec)
        front = sub[pareto_front(sub["bytes"], sub["seconds"])]
        if len(front):
            ax.step(front["bytes"], front["seconds"], where="post", color="0.3", lw=1, zorder=1)
            for p in records(front):
                ax.annotate(
                    p["subject"], (p["bytes"], p["seconds"]), fontsize=7, xytext=(4, 3),
                    textcoords="offset points",
                )  # fmt: skip
        lo, hi = float(sub["bytes"].min()), float(sub["bytes"].max())
        pad = max((hi - lo) * 0.12, hi * 0.05)
        bytes_axis(ax, lo - pad, hi + pad)
        ax.margins(y=0.15)
        log_axis(ax, "y", format_seconds)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("encoded size")
        ax.set_ylabel("encode + decode median (log)")
    return finish(fig, axes, len(payloads), order=codecs)


def speed_size_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Per payload and codec: ``bytes`` (encoded) and ``seconds`` (encode + decode+touch
    medians: protobuf's upb decodes lazily, so encode + decode would flatter it; a file
    without decode+touch falls back to decode).

    Codecs missing both second ops are left out (they are listed as unsupported).
    """
    wide = rows.pivot_table(index=["payload", "subject"], columns="op", values="median")
    if "encode" not in wide or not {"decode", "decode+touch"} & set(wide.columns):
        return pd.DataFrame(columns=["payload", "subject", "bytes", "seconds"])
    second = wide["decode+touch"] if "decode+touch" in wide else pd.Series(np.nan, wide.index)
    if "decode" in wide:
        second = second.fillna(wide["decode"])
    seconds = (wide["encode"] + second).rename("seconds")
    size = rows.groupby(["payload", "subject"])["metric.encoded_bytes"].first().rename("bytes")
    return pd.concat([size, seconds], axis=1).dropna().reset_index()


def codec_axis(ax: Axes, codecs: Sequence[str]) -> None:
    ax.set_yticks(range(len(codecs)), labels=codecs, fontsize=8)
    ax.set_ylim(len(codecs) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)


def _mark_missing(ax: Axes, codecs: Sequence[str], present: set[str]) -> None:
    """Write "unsupported" on the rows of codecs that have no result for this payload."""
    for i, codec in enumerate(codecs):
        if codec not in present:
            ax.text(
                0.02, i, "unsupported", transform=ax.get_yaxis_transform(), va="center",
                fontsize=8, style="italic", color="0.4",
            )  # fmt: skip


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
    fig, axes = panels(len(payloads), height=0.30 * len(codecs) + 1.2)
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
        codec_axis(ax, codecs)
        log_axis(ax, "x", format_seconds)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("encode + decode+touch median (log)")
    return finish(fig, axes, len(payloads), order=[labels[f] for f in files])
