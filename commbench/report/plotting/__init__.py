"""The one plotting module of the report: panel grids, log axes and their ticks, legends and
PNG encoding. Families import these public names; nothing here knows a family.

Figures are drawn on a bare :class:`~matplotlib.figure.Figure` with the Agg canvas, never
through pyplot, so rendering touches no global backend state and leaks no open figures.
PNG at 100 dpi rather than SVG: a panel of 9 payloads x 8 codecs x 3 ops is a few hundred
markers plus text, about 100 KiB as PNG, and the page stays far below 5 MB.
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
from PIL import Image

from commbench.report.plotting import style
from commbench.report.plotting.layout import place_panels
from commbench.units import format_bytes

DPI = 100


PANEL_COLUMNS = 3


def in_order(values: pd.Series) -> list[str]:
    """Distinct values in order of first appearance (the suite's registry order)."""
    return [str(v) for v in pd.unique(values.dropna())]


def panels(
    n: int,
    *,
    height: float,
    width: float = 4.4,
    cols: int = PANEL_COLUMNS,
    top_in: float = 0.6,
) -> tuple[Figure, list[Axes]]:
    """A grid of *n* panels, *cols* a row at most, each *width* x *height* inches, plus
    *top_in* inches for the legend; on the Agg canvas, in the report's whitegrid style."""
    cols = max(1, min(cols, n))
    rows = math.ceil(max(n, 1) / cols)
    with style.whitegrid():
        fig = Figure(figsize=(width * cols, height * rows + top_in), dpi=DPI)
        FigureCanvasAgg(fig)
        axes = list(fig.subplots(rows, cols, squeeze=False).ravel())
    return fig, axes


def save(fig: Figure) -> bytes:
    """PNG bytes of a figure whose legends are already placed (one per panel)."""
    place_panels(fig, fig.axes)
    return png_bytes(fig)


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


def log_axis(ax: Axes, which: str, formatter: Callable[[float], str]) -> None:
    """Log scale on *which* ("x" or "y") with unit labels; ticks of :class:`LogTicks`."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    ax.autoscale_view()
    axis.set_major_locator(LogTicks())
    axis.set_major_formatter(FuncFormatter(lambda v, _: formatter(v)))
    axis.set_minor_locator(NullLocator())  # no minor ticks: they cost most of the drawing
    axis.set_tick_params(labelsize=8)


def bytes_axis(ax: Axes, lo: float, hi: float) -> None:
    """Linear x axis in bytes with ticks on round multiples of B, KiB, MiB or GiB."""
    lo = lo if math.isfinite(lo) and lo > 0 else 0.0
    hi = hi if math.isfinite(hi) and hi > lo + 1 else lo + 1.0
    power = min(3, max(0, int(math.log(hi, 1024))))
    scale, unit = 1024.0**power, ("B", "KiB", "MiB", "GiB")[power]
    ticks = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(lo / scale, hi / scale)
    ax.set_xticks(ticks * scale, labels=[f"{t:g} {unit}" for t in ticks], fontsize=8)
    ax.set_xlim(lo, hi)


def finish(fig: Figure, axes: list[Axes], used: int, *, order: Sequence[str] = ()) -> bytes:
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


SIZE_LABELS_MAX = 6
"""At most this many labelled sizes on a size axis: 8 pt labels of every size collide."""


def size_axis(ax: Axes, sizes: Sequence[float]) -> None:
    """Log x axis with ticks at measured message sizes (every k-th when there are many,
    at most :data:`SIZE_LABELS_MAX`), labelled in B/KiB/MiB."""
    ax.set_xscale("log")
    measured = sorted({float(s) for s in sizes})
    ticks = measured[:: math.ceil(len(measured) / SIZE_LABELS_MAX)] if measured else []
    labels = [format_bytes(s).replace(".0 ", " ") for s in ticks]  # 4 KiB, not 4.0 KiB
    ax.set_xticks(ticks, labels=labels, fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel("message size (log)")
