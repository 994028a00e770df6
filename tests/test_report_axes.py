"""Axis ticks of the report's figures: readable labels on every range."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from commbench.report.plotting import SIZE_LABELS_MAX, LogTicks, log_ticks, size_axis


def test_log_ticks_on_one_to_two_decades_are_1_2_5():
    assert log_ticks(1e-6, 1e-4, (1.0, 2.0, 5.0)) == pytest.approx(
        [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4]
    )


def test_log_ticks_on_many_decades_are_at_most_seven():
    ticks = log_ticks(1e-9, 1e3, (1.0,))  # 13 decades
    assert 2 <= len(ticks) <= 7
    assert ticks[0] == pytest.approx(1e-9)


def test_a_range_shorter_than_two_1_2_5_steps_gets_a_few_round_linear_ticks():
    # 2.6 ms .. 8.2 ms holds only 5 ms of 1-2-5: matplotlib would put a tick at every ms
    ticks = LogTicks().tick_values(2.6e-3, 8.2e-3)
    inside = [t for t in ticks if 2.6e-3 <= t <= 8.2e-3]
    assert 2 <= len(inside) <= 4
    assert all(t > 0 for t in ticks)


def test_a_size_axis_labels_at_most_six_measured_sizes():
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    sizes = [2.0**k for k in range(21)]  # the full profile: 1 B .. 1 MiB
    size_axis(ax, sizes)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) <= SIZE_LABELS_MAX
    assert labels == ["1 B", "16 B", "256 B", "4 KiB", "64 KiB", "1 MiB"]


@pytest.mark.parametrize("values", [[3e-6], [3e-6, 3e-6], [1e-9, 2e-9, 1.0]])
def test_a_log_axis_with_one_value_or_many_decades_draws_labelled_ticks(values):
    from commbench.report.plotting import log_axis
    from commbench.units import format_seconds

    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot(range(len(values)), values, "o")
    log_axis(ax, "y", format_seconds)
    fig.canvas.draw()
    lo, hi = ax.get_ylim()
    shown = [t for t in ax.get_yticks() if lo <= t <= hi]
    assert 0 < lo <= min(values) and max(values) <= hi
    assert 1 <= len(shown) <= 7
    assert all(
        label.get_text() for label in ax.get_yticklabels() if lo <= label.get_position()[1] <= hi
    )
