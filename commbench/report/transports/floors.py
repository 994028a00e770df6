"""The native floors: each transport's Python loop beside its C-level floor, measured in
the same run with the same placement and sizes, and the interpreter's share of the figure
(Python minus floor, and Python / floor); beside it, the suite's loop against a minimal
hand-written Python loop on the same transport (the target is at most 1.10).

Rows of the ``floor`` family (``tool``: c-helper, sockperf, qperf) are joined with the
run's ``latency`` rows by :func:`commbench.transports.native.interpreter_share`; the loop
check comes from the ``reference`` rows against the hand-written Python ping-pong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    draws,
    figure_html,
    run_labels,
    table_html,
)
from commbench.report.page.generic import generic_block
from commbench.report.page.records import records
from commbench.report.plotting import finish, in_order, panels, style
from commbench.report.transports.common import conditions, runs_text, unsupported_of
from commbench.transports.native import interpreter_share
from commbench.units import format_bytes, format_seconds

LOOP_TARGET = 1.10
"""The suite's loop over a minimal hand-written Python loop, at most (issue 11)."""
MINIMAL_LOOP = "hand-written Python ping-pong"
FIGURE_SIZE_BYTES = 64
_KEYS = ["transport", "placement", "size_bytes", "path"]
_PLACEMENT_ORDER = {"same-core": 0, "cross-core": 1, "lan": 2}


def _p50_of(floors: pd.DataFrame, tool: str) -> pd.DataFrame:
    """The *tool*'s one-way p50 per case (mean where the tool reports only a mean: qperf)."""
    part = floors[floors.get("tool", pd.Series(dtype=object)) == tool]
    if part.empty:
        return pd.DataFrame(columns=[*_KEYS, f"{tool}_ns"])
    p50 = part.get("metric.one_way_p50_ns", pd.Series(np.nan, index=part.index))
    mean = part.get("metric.one_way_mean_ns", pd.Series(np.nan, index=part.index))
    value = p50.where(p50.notna(), mean).astype(float)
    return part[_KEYS].assign(**{f"{tool}_ns": value}).drop_duplicates(_KEYS)


def loop_ratios(references: pd.DataFrame) -> pd.DataFrame:
    """The suite's loop over the minimal hand-written Python loop, per transport and
    placement (columns ``transport``, ``placement``, ``size_bytes``, ``loop_ratio``)."""
    columns = ["transport", "placement", "size_bytes", "loop_ratio"]
    needed = {"reference", "metric.ratio", "placement", "size_bytes"}
    if references.empty or not needed <= set(references.columns):
        return pd.DataFrame(columns=columns)
    mine = references[references["reference"] == MINIMAL_LOOP]
    out = mine[["subject", "placement", "size_bytes", "metric.ratio"]].copy()
    out.columns = columns
    return out.drop_duplicates(columns[:3])


def floor_table(
    latency: pd.DataFrame, floors: pd.DataFrame, references: pd.DataFrame
) -> pd.DataFrame:
    """Every case that has both a Python figure and a C floor: ``python_ns``, ``floor_ns``,
    ``interpreter_ns``, ``python_over_floor``, ``interpreter_share`` (of the Python figure),
    the second opinions ``sockperf_ns`` / ``qperf_ns`` where measured, and ``loop_ratio``
    (suite loop / minimal Python loop) where the run checked that case. Pure."""
    if latency.empty or floors.empty:
        return pd.DataFrame()
    share = interpreter_share(pd.concat([latency, floors], ignore_index=True))
    if share.empty:
        return share
    share["interpreter_share"] = share["interpreter_ns"] / share["python_ns"]
    for tool in ("sockperf", "qperf"):
        share = share.merge(_p50_of(floors, tool), on=_KEYS, how="left")
    loops = loop_ratios(references)
    share = share.merge(loops, on=["transport", "placement", "size_bytes"], how="left")
    rank = share["placement"].map(_PLACEMENT_ORDER).fillna(9)
    order = {t: i for i, t in enumerate(in_order(latency["subject"]))}
    share = share.assign(_t=share["transport"].map(order).fillna(99), _p=rank)
    share = share.sort_values(["_t", "_p", "size_bytes"], kind="stable")
    return share.drop(columns=["_t", "_p"]).reset_index(drop=True)


def floor_figure(table: pd.DataFrame, size_bytes: int) -> bytes:
    """At *size_bytes*: one horizontal bar per transport, the C floor (grey) with the
    interpreter's share stacked on it (the transport's colour) up to the Python figure;
    one panel per placement; the ratio Python / floor written at the bar's end."""
    at = table[table["size_bytes"] == size_bytes]
    placements = sorted(in_order(at["placement"]), key=lambda p: _PLACEMENT_ORDER.get(p, 9))
    colors = style.colors_for(in_order(at["transport"]))
    height = 0.45 + 0.32 * max(len(in_order(at["transport"])), 1)
    fig, axes = panels(len(placements), width=5.2, height=height, top_in=0.7)
    for ax, placement in zip(axes, placements):
        part = at[at["placement"] == placement].iloc[::-1]
        y = np.arange(len(part))
        floor_s = part["floor_ns"].to_numpy(float) * 1e-9
        python_s = part["python_ns"].to_numpy(float) * 1e-9
        extra_s = np.clip(python_s - floor_s, 0, None)
        ax.barh(y, floor_s, color="0.55", height=0.62, label="C floor (p50)")
        for i, transport in enumerate(part["transport"]):
            ax.barh(y[i], extra_s[i], left=floor_s[i], color=colors[transport], height=0.62)
        ratios = part["python_over_floor"].to_numpy(float)
        for yi, end, ratio in zip(y, np.maximum(python_s, floor_s), ratios):
            ax.text(end, yi, f" {ratio:.2f}×", va="center", fontsize=7.5)
        ax.set_yticks(y, labels=list(part["transport"]), fontsize=8)
        ax.set_xlim(0, float(np.max(np.maximum(python_s, floor_s), initial=1e-9)) * 1.22)
        ax.xaxis.set_major_formatter(lambda v, _: format_seconds(v) if v else "0")
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel("one-way p50 (linear)", fontsize=9)
        ax.set_title(f"{placement}, {format_bytes(size_bytes)}", fontsize=10)
    axes[0].barh([], [], color="0.35", label="interpreter's share (colour of the transport)")
    return finish(fig, axes, len(placements))


def _figure_size(table: pd.DataFrame) -> int:
    sizes = sorted(int(s) for s in table["size_bytes"].unique())
    return FIGURE_SIZE_BYTES if FIGURE_SIZE_BYTES in sizes else sizes[0]


def _ns(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else format_seconds(float(value) * 1e-9)


def _loop_cell(ratio: Any) -> Cell:
    if ratio is None or pd.isna(ratio):
        return Cell("-", numeric=True)
    verdict = "PASS" if ratio <= LOOP_TARGET else "MISS"
    return Cell(f"{ratio:.2f} {verdict}", numeric=True, css="ok" if verdict == "PASS" else "fail")


def _context(ctx: RunContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return ctx.rows("latency"), ctx.rows("floor"), ctx.rows("reference")


@draws
def floor_figure_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Each transport's bar: the C floor and the interpreter's share on top of it."""
    latency, _, references = _context(ctx)
    table = floor_table(latency, rows, references)
    if table.empty:
        return []
    size = _figure_size(table)
    caption = (
        f"Each transport beside its native floor at {format_bytes(size)}: the grey bar is a "
        "C-level ping-pong on the same transport (the project's C helpers; MPI's built with "
        "the suite's MPICH, ZeroMQ's linked against the libzmq pyzmq bundles), run in the "
        "same run with the same placement and size as the Python loop; the coloured part on "
        "top is the interpreter's share, what the Python loop adds up to its own one-way "
        "p50. The number at the end is Python / floor. Linear axis, shorter is better. "
        f"{conditions(latency[latency['subject'].isin(table['transport'])], ctx)}"
    )
    png = floor_figure(table, size)
    html = figure_html(png, alt="each transport beside its native floor", caption=caption)
    return [Block("Each transport beside its native floor", ctx.anchor("native-floors"), html)]


_HEADER = (
    "transport", "placement", "size", "Python p50", "C floor p50", "sockperf p50",
    "qperf mean", "interpreter", "share", "Python / floor", "suite / minimal loop",
)  # fmt: skip


def floor_table_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per case: the Python and floor figures, the interpreter's share, the loop check."""
    latency, _, references = _context(ctx)
    table = floor_table(latency, rows, references)
    if table.empty:
        return []
    body = []
    for row in records(table):
        body.append(
            [
                Cell(str(row["transport"]), css="rowhead"),
                str(row["placement"]),
                Cell(format_bytes(row["size_bytes"]), numeric=True),
                *(
                    Cell(_ns(row.get(c)), numeric=True)
                    for c in ("python_ns", "floor_ns", "sockperf_ns", "qperf_ns", "interpreter_ns")
                ),
                Cell(f"{row['interpreter_share']:.0%}", numeric=True),
                Cell(f"{row['python_over_floor']:.2f}×", numeric=True),
                _loop_cell(row.get("loop_ratio")),
            ]
        )
    missing = [r for r in unsupported_of(ctx, "floor")]
    for r in missing:
        where = ", ".join(
            str(r.get(k)) for k in ("placement", "size_bytes", "tool") if r.get(k) is not None
        )
        reason = f"not measured ({where}): {r.get('reason')}"
        body.append([Cell(str(r.get("subject")), css="rowhead"), Cell(reason, css="fail"),
                     *[""] * (len(_HEADER) - 2)])  # fmt: skip
    header = [Cell(h, numeric=i >= 2) for i, h in enumerate(_HEADER)]
    caption = (
        "The interpreter's share of each one-way latency: Python p50 is the suite's loop, "
        "C floor p50 a C ping-pong on the same transport, placement and size in the same run; "
        "interpreter = Python − floor, share = interpreter / Python. sockperf (p50) and "
        "qperf (mean; it reports no percentile) are second opinions on TCP and UDP. "
        "Suite / minimal loop: the suite's loop against a minimal hand-written Python "
        f"ping-pong on the same transport, run alternately in the same run; PASS at or below "
        f"{LOOP_TARGET:.2f}. A negative share means the Python loop measured faster than the "
        f"floor: noise between the two measurements. {ctx.describe()}."
    )
    html = table_html(header, body, caption=caption, css="summary")
    return [Block("Native floors and the interpreter's share", ctx.anchor("floor-table"), html)]


def _floor_or_generic(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    blocks = [b for builder in (floor_figure_block, floor_table_block) for b in builder(rows, ctx)]
    if blocks or (not ctx.draw and not floor_table(*_context(ctx)).empty):
        return blocks
    return generic_block(rows, ctx)


FLOOR_BUILDERS = [_floor_or_generic]


def runs_floor_figure(tables: dict[str, pd.DataFrame], size_bytes: int) -> bytes:
    """Python / floor at *size_bytes*, one group of bars per transport (one bar per run,
    in the run's colour), one panel per placement; the dotted line is 1 (the floor)."""
    at = {label: t[t["size_bytes"] == size_bytes] for label, t in tables.items()}
    every = pd.concat(at.values(), ignore_index=True)
    placements = sorted(in_order(every["placement"]), key=lambda p: _PLACEMENT_ORDER.get(p, 9))
    colors = style.colors_for(tables)
    fig, axes = panels(len(placements), width=5.2, height=3.4, top_in=0.7)
    width = 0.8 / max(len(tables), 1)
    for ax, placement in zip(axes, placements):
        transports = in_order(every.loc[every["placement"] == placement, "transport"])
        x = {t: i for i, t in enumerate(transports)}
        for k, (label, part) in enumerate(at.items()):
            part = part[part["placement"] == placement]
            xs = [x[t] + (k - (len(tables) - 1) / 2) * width for t in part["transport"]]
            ax.bar(xs, part["python_over_floor"], width, color=colors[label], label=label)
        ax.axhline(1.0, color="0.3", lw=0.8, ls=":")
        ax.set_xticks(range(len(transports)), labels=transports, rotation=35, ha="right",
                      fontsize=7.5)  # fmt: skip
        ax.tick_params(axis="y", labelsize=8)
        ax.set_ylabel("Python / C floor", fontsize=9)
        ax.set_title(f"{placement}, {format_bytes(size_bytes)}", fontsize=10)
    return finish(fig, axes, len(placements), order=list(tables))


def runs_floor_block(rows: pd.DataFrame, contexts: list[RunContext]) -> list[Block]:
    """Every run's Python / floor ratio per transport, side by side."""
    labels = run_labels(contexts)
    tables = {}
    for ctx in contexts:
        table = floor_table(ctx.rows("latency"), ctx.rows("floor"), ctx.rows("reference"))
        if not table.empty:
            tables[labels[str(ctx.run.path)]] = table
    if not tables:
        return []
    size = _figure_size(pd.concat(tables.values(), ignore_index=True))
    caption = (
        f"The interpreter's share in every run: the suite's Python one-way p50 over the C "
        f"floor measured in the same run (same transport, placement and size, "
        f"{format_bytes(size)}), one colour per run; 1 (dotted) would be no overhead. A ratio "
        "compares machines of different speed on shape: how much of each figure is the "
        f"interpreter there. Each run's table follows below. Runs: {runs_text(rows, contexts)}."
    )
    png = runs_floor_figure(tables, size)
    html = figure_html(png, alt="Python over native floor, every run", caption=caption)
    return [Block("Python over the native floor, every run", "runs-native-floors", html)]


FLOOR_ACROSS_BUILDERS = [runs_floor_block]


def markdown(rows: pd.DataFrame, ctx: RunContext) -> str:
    """``--format md``: the share table."""
    latency, _, references = _context(ctx)
    table = floor_table(latency, rows, references)
    if table.empty:
        return ""
    header = ["transport", "placement", "size", "Python p50", "C floor p50", "Python / floor",
              "suite / minimal loop"]  # fmt: skip
    lines = [f"{ctx.describe()}. One-way p50; the floor is a C ping-pong in the same run.", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in records(table):
        loop = row.get("loop_ratio")
        cells = [
            str(row["transport"]),
            str(row["placement"]),
            format_bytes(row["size_bytes"]),
            _ns(row["python_ns"]),
            _ns(row["floor_ns"]),
            f"{row['python_over_floor']:.2f}",
            "-" if loop is None or pd.isna(loop) else f"{loop:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
