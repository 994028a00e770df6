"""Figures for the report: pure functions, tidy DataFrame in, PNG bytes out.

Each function takes the tidy rows of one result file and one family (see
:func:`commbench.results.tidy`: times in seconds, sizes in bytes, ``metric.copy_floor_ns``
in nanoseconds) and returns a PNG image. Figures are drawn on a bare
:class:`~matplotlib.figure.Figure` with the Agg canvas, never through pyplot, so
rendering touches no global backend state and leaks no open figures.

PNG at 100 dpi rather than SVG: a panel of 9 payloads x 8 codecs x 3 ops is a few
hundred markers plus text, about 100 KiB as PNG, and the page stays far below 5 MB.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator
from numpy.typing import ArrayLike
from PIL import Image

from commbench.marshalling import OPS
from commbench.report import style
from commbench.report.layout import place_panels
from commbench.report.records import records
from commbench.units import format_seconds

DPI = 100
PANEL_COLUMNS = 3
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


def in_order(values: pd.Series) -> list[str]:
    """Distinct values in order of first appearance (the suite's registry order)."""
    return [str(v) for v in pd.unique(values.dropna())]


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
    fig, axes = _panels(len(payloads), height=0.32 * len(codecs) + 1.2)
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
        _codec_axis(ax, codecs)
        _mark_missing(ax, codecs, set(sub["subject"]))
        _log_axis(ax, "x", format_seconds)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("median time per call (log)")
    return _finish(fig, axes, len(payloads), order=[*ops, "copy floor"])


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
    fig, axes = _panels(len(payloads), height=0.28 * len(codecs) + 1.2)
    kinds = list(_SIZE_KINDS.values())
    for ax, payload in zip(axes, payloads):
        sub = sizes[sizes["payload"] == payload].set_index(["size", "subject"])["bytes"]
        for k, (kind, color) in enumerate(zip(kinds, ("#4c72b0", "#a1c9f4"))):
            values = [sub.get((kind, codec), np.nan) for codec in codecs]
            offset = (k - (len(kinds) - 1) / 2) * 0.4
            ax.barh(np.arange(len(codecs)) + offset, values, height=0.4, color=color, label=kind)
        _codec_axis(ax, codecs)
        _mark_missing(ax, codecs, set(rows.loc[rows["payload"] == payload, "subject"]))
        _bytes_axis(ax, 0.0, float(sizes.loc[sizes["payload"] == payload, "bytes"].max()) * 1.05)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("bytes")
        ax.set_ylabel("")
    return _finish(fig, axes, len(payloads))


def speed_size_figure(rows: pd.DataFrame) -> bytes:
    """Encoded size (bytes) against encode + decode median (s, log scale).

    One panel per payload; the step line joins the Pareto front (no other codec is
    both smaller and faster), whose codecs are labelled.
    """
    payloads, codecs = in_order(rows["payload"]), in_order(rows["subject"])
    points = speed_size_points(rows)
    palette = codec_palette(codecs)
    fig, axes = _panels(len(payloads), height=3.0)
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
        _bytes_axis(ax, lo - pad, hi + pad)
        ax.margins(y=0.15)
        _log_axis(ax, "y", format_seconds)
        ax.set_title(str(payload), fontsize=10)
        ax.set_xlabel("encoded size")
        ax.set_ylabel("encode + decode median (log)")
    return _finish(fig, axes, len(payloads), order=codecs)


def speed_size_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Per payload and codec: ``bytes`` (encoded) and ``seconds`` (encode + decode medians).

    Codecs missing either op are left out (they are listed as unsupported).
    """
    wide = rows.pivot_table(index=["payload", "subject"], columns="op", values="median")
    if not {"encode", "decode"} <= set(wide.columns):
        return pd.DataFrame(columns=["payload", "subject", "bytes", "seconds"])
    seconds = (wide["encode"] + wide["decode"]).rename("seconds")
    size = rows.groupby(["payload", "subject"])["metric.encoded_bytes"].first().rename("bytes")
    return pd.concat([size, seconds], axis=1).dropna().reset_index()


def _panels(n: int, *, height: float) -> tuple[Figure, list[Axes]]:
    cols = min(PANEL_COLUMNS, max(n, 1))
    rows = math.ceil(n / cols) if n else 1
    with style.whitegrid():
        fig = Figure(figsize=(4.4 * cols, height * rows + 0.6), dpi=DPI)
        FigureCanvasAgg(fig)
        axes = list(fig.subplots(rows, cols, squeeze=False).ravel())
    return fig, axes


def _codec_axis(ax: Axes, codecs: Sequence[str]) -> None:
    ax.set_yticks(range(len(codecs)), labels=codecs, fontsize=8)
    ax.set_ylim(len(codecs) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)


class LogTicks(LogLocator):
    """Log-axis ticks at 1-2-5 x 10^k (1 x 10^k over wide ranges); on a range too short
    to hold two of those, a few round linear steps instead. (matplotlib's LogLocator then
    falls back to a tick at every unit, whose labels collide on a narrow panel.) Limits
    are made non-singular as LogLocator makes them."""

    def __init__(self) -> None:
        super().__init__(base=10)
        self._linear = MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10])

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        lo, hi = sorted((vmin, vmax))
        if not (lo > 0 and math.isfinite(hi)):
            return []
        subs = (1.0, 2.0, 5.0) if math.log10(hi / lo) <= 2 else (1.0,)
        ticks = log_ticks(lo, hi, subs)
        if len(ticks) >= 2:
            return ticks
        return [t for t in self._linear.tick_values(lo, hi) if t > 0]


def log_ticks(lo: float, hi: float, subs: Sequence[float]) -> list[float]:
    """Every ``m * 10**k`` (m in *subs*) within [lo, hi]; at most 7, thinned by decades."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    stride = max(1, math.ceil((last - first + 1) / 7))
    ticks = [
        m * 10.0**k
        for k in range(first, last + 1)
        if (k - first) % stride == 0
        for m in subs
        if lo * (1 - 1e-9) <= m * 10.0**k <= hi * (1 + 1e-9)
    ]
    return ticks


def _log_axis(ax: Axes, which: str, formatter: Callable[[float], str]) -> None:
    """Log scale on *which* ("x" or "y") with unit labels; ticks of :class:`LogTicks`."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    ax.autoscale_view()
    axis.set_major_locator(LogTicks())
    axis.set_major_formatter(FuncFormatter(lambda v, _: formatter(v)))
    axis.set_minor_locator(NullLocator())  # no minor ticks: they cost most of the drawing
    axis.set_tick_params(labelsize=8)


def _bytes_axis(ax: Axes, lo: float, hi: float) -> None:
    """Linear x axis in bytes with ticks on round multiples of B, KiB, MiB or GiB."""
    lo = lo if math.isfinite(lo) and lo > 0 else 0.0
    hi = hi if math.isfinite(hi) and hi > lo + 1 else lo + 1.0
    power = min(3, max(0, int(math.log(hi, 1024))))
    scale, unit = 1024.0**power, ("B", "KiB", "MiB", "GiB")[power]
    ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(lo / scale, hi / scale)
    ax.set_xticks(ticks * scale, labels=[f"{t:g} {unit}" for t in ticks], fontsize=8)
    ax.set_xlim(lo, hi)


def _mark_missing(ax: Axes, codecs: Sequence[str], present: set[str]) -> None:
    """Write "unsupported" on the rows of codecs that have no result for this payload."""
    for i, codec in enumerate(codecs):
        if codec not in present:
            ax.text(
                0.02, i, "unsupported", transform=ax.get_yaxis_transform(), va="center",
                fontsize=8, style="italic", color="0.4",
            )  # fmt: skip


def _finish(fig: Figure, axes: list[Axes], used: int, *, order: Sequence[str] = ()) -> bytes:
    """Drop unused panels, put one legend on top (entries in *order*), return PNG bytes."""
    legend: dict[str, object] = {}
    for ax in axes[:used]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
        if ax.get_legend():
            ax.get_legend().remove()
    for ax in axes[used:]:
        ax.remove()
    if legend:
        rank = {label: i for i, label in enumerate(order)}
        labels = sorted(legend, key=lambda label: rank.get(label, len(rank)))
        # an entry takes its marker (~0.5 in) and ~0.075 in per character of label
        entry_in = 0.5 + 0.075 * max(len(label) for label in labels)
        fits = max(1, int(fig.get_figwidth() / max(entry_in, 1.7)))
        rows = math.ceil(len(labels) / fits)
        ncol = math.ceil(len(labels) / rows)
        # matplotlib fills legend columns first; reorder so the entries read row by row
        labels = [
            labels[r * ncol + c]
            for c in range(ncol)
            for r in range(rows)
            if r * ncol + c < len(labels)
        ]
        top = place_panels(fig, axes[:used], legend_rows=rows)
        fig.legend(
            [legend[label] for label in labels],
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, top),
            ncol=ncol,
            frameon=False,
        )
    else:
        place_panels(fig, axes[:used])
    return png_bytes(fig)


def png_bytes(fig: Figure) -> bytes:
    """The figure, drawn at its own dpi, as an opaque RGB PNG. The page behind it is
    white, so the alpha channel matplotlib writes carries nothing: without it the file is
    a tenth smaller and encodes a fifth faster."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="png", dpi=(fig.dpi, fig.dpi))
    return buffer.getvalue()
