"""The look of every figure: seaborn's "whitegrid" style and its "deep" and "tab10"
palettes, written out here.

Written out rather than imported because importing seaborn costs a report about 1.2 s
(it pulls in matplotlib.pyplot and scipy.stats), more than drawing several figures; the
values are seaborn 0.13's, so the figures look as they did when drawn through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import matplotlib
from matplotlib.colors import to_rgb

Color = tuple[float, float, float]

PALETTES: dict[str, tuple[str, ...]] = {
    "deep": (
        "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
        "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
    ),
    "tab10": (
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ),
}  # fmt: skip
"""Palette name -> its colours, in order (seaborn's ``color_palette(name)``)."""

DISTINCT = (*PALETTES["tab10"], "#000000", "#000075", "#800000", "#469990", "#f032e6")
"""Colours for many named lines: tab10, then dark colours tab10 has no near twin of
(black, navy, maroon, teal, magenta)."""

WHITEGRID: dict[str, object] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "axes.labelcolor": ".15",
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": ".8",
    "grid.linestyle": "-",
    "text.color": ".15",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.bottom": False,
    "ytick.left": False,
    "xtick.top": False,
    "ytick.right": False,
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans"],
}
"""seaborn's ``axes_style("whitegrid")``: white axes, light grey grid, no tick marks."""


def palette(name: str, n: int) -> list[Color]:
    """The first *n* colours of palette *name*, cycling past its end."""
    colors = PALETTES[name]
    return [to_rgb(colors[i % len(colors)]) for i in range(n)]


def colors_for(names: Iterable[str]) -> dict[str, Color]:
    """One colour per distinct name, in order (:data:`DISTINCT`, cycling past its end)."""
    return {
        name: to_rgb(DISTINCT[i % len(DISTINCT)]) for i, name in enumerate(dict.fromkeys(names))
    }


@contextlib.contextmanager
def whitegrid() -> Iterator[None]:
    """Figures and axes created inside take the whitegrid style."""
    with matplotlib.rc_context(WHITEGRID):
        yield
