"""Panel margins from the labels' sizes, without a layout engine.

matplotlib's constrained layout finds the margins by drawing the figure twice before the
real drawing: on the report's many-panel figures that was a third of all the time spent
drawing. The figures here are regular grids whose labels are known before drawing (tick
texts, axis labels, titles, one legend on top), so each label is measured with the
canvas's font metrics (cached, no drawing) and the margins are set from the largest.
"""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text

_LINE_EM = 1.3  # line height, in em
_PAD_IN = 0.1


def _points(size: object) -> float:
    return FontProperties(size=size).get_size_in_points()


def _line_in(size_pt: float) -> float:
    return _LINE_EM * size_pt / 72.0


class _Ruler:
    """Text widths in inches from the figure canvas's font metrics."""

    def __init__(self, fig: Figure) -> None:
        self.renderer = fig.canvas.get_renderer()
        self.dpi = fig.dpi

    def width_in(self, text: Text) -> float:
        width, _, _ = self.renderer.get_text_width_height_descent(
            text.get_text(), text.get_fontproperties(), ismath=False
        )
        return width / self.dpi


def _ticks(axis) -> list[Text]:
    """The major tick labels that will be drawn (non-empty, within the view)."""
    return [t for t in axis.get_majorticklabels() if t.get_text()]


def _rotated_height_in(text: Text, ruler: _Ruler) -> float:
    """Vertical room a tick label takes, rotated labels included."""
    angle = math.radians(text.get_rotation())
    line = _line_in(_points(text.get_fontsize()))
    return abs(ruler.width_in(text) * math.sin(angle)) + abs(line * math.cos(angle))


def _panel_margins(ax: Axes, ruler: _Ruler) -> dict[str, float]:
    """Inches each panel needs outside its frame: left, right (overhang), bottom and top."""
    yticks, xticks = _ticks(ax.yaxis), _ticks(ax.xaxis)
    left = max((ruler.width_in(t) for t in yticks), default=0.0) + 2 * _PAD_IN  # tick pad
    if ax.get_ylabel():  # rotated: takes one line of width
        left += _line_in(_points(ax.yaxis.label.get_fontsize())) + _PAD_IN / 2
    bottom = max((_rotated_height_in(t, ruler) for t in xticks), default=0.0) + _PAD_IN / 2
    if ax.get_xlabel():
        bottom += _line_in(_points(ax.xaxis.label.get_fontsize())) + _PAD_IN / 2
    top = _line_in(_points(ax.title.get_fontsize())) + _PAD_IN if ax.get_title() else _PAD_IN
    overhang = max((ruler.width_in(t) for t in xticks[-1:]), default=0.0) / 2
    return {"left": left, "bottom": bottom, "top": top, "right": overhang + _PAD_IN / 2}


def place_panels(fig: Figure, axes: list[Axes], *, legend_rows: int = 0) -> float:
    """Margins and gaps of *fig*'s panel grid from the labels of *axes* (the used panels).

    Room is kept at the top for *legend_rows* rows of a figure legend; returns the
    height of that room as a fraction of the figure (where the legend's top goes).
    """
    if not axes:
        return 1.0
    grid = axes[0].get_subplotspec().get_gridspec()
    nrows, ncols = grid.get_geometry()
    width_in, height_in = fig.get_size_inches()
    ruler = _Ruler(fig)
    margins = [_panel_margins(ax, ruler) for ax in axes]
    left = max(m["left"] for m in margins)
    right = max(m["right"] for m in margins)
    bottom = max(m["bottom"] for m in margins)
    top = max(m["top"] for m in margins)
    # a legend row is a line plus matplotlib's labelspacing (0.5 em); then its border pad
    legend_in = legend_rows * 1.5 * _points("medium") / 72.0 + (2 * _PAD_IN if legend_rows else 0)
    gap_w = left + right
    gap_h = bottom + top
    panel_w = max((width_in - left - right - (ncols - 1) * gap_w) / ncols, 0.5)
    panel_h = max((height_in - bottom - top - legend_in - (nrows - 1) * gap_h) / nrows, 0.5)
    fig.subplots_adjust(
        left=left / width_in,
        right=1.0 - right / width_in,
        bottom=bottom / height_in,
        top=1.0 - (top + legend_in) / height_in,
        wspace=gap_w / panel_w,
        hspace=gap_h / panel_h,
    )
    return 1.0 - _PAD_IN / 2 / height_in
