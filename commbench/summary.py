"""The terminal summary printed at the end of ``commbench run``."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from commbench.units import format_bytes, format_seconds


def marshalling_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per payload and codec: median encode / decode / decode+touch (s), sizes, ratios.

    ``encode_x`` and ``decode_x`` are the ratio to the fastest codec on that payload
    (1.0 = fastest).
    """
    rows = table[table["family"] == "marshalling"]
    if rows.empty:
        return pd.DataFrame()
    wide = rows.pivot_table(index=["payload", "subject"], columns="op", values="median")
    sizes = rows.groupby(["payload", "subject"])[
        ["metric.encoded_bytes", "metric.compressed_bytes"]
    ].first()
    wide = wide.join(sizes).reset_index()
    for op in ("encode", "decode"):
        if op in wide:
            wide[f"{op}_x"] = wide[op] / wide.groupby("payload")[op].transform("min")
    return wide


def print_marshalling_summary(table: pd.DataFrame, console: Console | None = None) -> None:
    """One rich table per payload, fastest encoder first."""
    console = console or Console(width=max(Console().width, 100))
    summary = marshalling_summary(table)
    if summary.empty:
        return
    for payload, group in summary.groupby("payload", sort=False):
        out = Table(title=f"marshalling: {payload}", title_justify="left")
        out.add_column("codec", no_wrap=True)
        for column in ("encode", "×fastest", "decode", "×fastest", "+touch", "bytes", "zlib"):
            out.add_column(column, justify="right", no_wrap=True)
        for _, row in group.sort_values("encode", na_position="last").iterrows():
            out.add_row(
                row["subject"],
                format_seconds(row.get("encode")),
                f"{row.get('encode_x', float('nan')):.1f}",
                format_seconds(row.get("decode")),
                f"{row.get('decode_x', float('nan')):.1f}",
                format_seconds(row.get("decode+touch")),
                format_bytes(row["metric.encoded_bytes"]),
                format_bytes(row["metric.compressed_bytes"]),
            )
        console.print(out)


def latency_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One-way p50 and p99 (seconds) per transport, placement and path at the summary sizes."""
    from commbench.transports.latency import SUMMARY_SIZES_BYTES

    rows = table[table["family"] == "latency"]
    if rows.empty:
        return pd.DataFrame()
    rows = rows[rows["size_bytes"].isin(SUMMARY_SIZES_BYTES)].copy()
    rows["p50"] = rows["metric.one_way_p50_ns"] / 1e9
    rows["p99"] = rows["metric.one_way_p99_ns"] / 1e9
    return rows.pivot_table(
        index=["path", "subject", "placement"], columns="size_bytes", values=["p50", "p99"]
    )


def print_latency_summary(table: pd.DataFrame, console: Console | None = None) -> None:
    """One-way latency p50 / p99 at 64 B, 4 KiB and 64 KiB, fastest first."""
    console = console or Console(width=max(Console().width, 110))
    wide = latency_summary(table)
    if wide.empty:
        return
    sizes = sorted(wide.columns.get_level_values(1).unique())
    paths = wide.index.get_level_values("path").unique()
    title = f"one-way latency, p50 / p99 (RTT / 2), {', '.join(paths)}"
    out = Table(title=title, title_justify="left")
    for column in ("transport", "placement"):
        out.add_column(column, no_wrap=True)
    for size in sizes:
        out.add_column(format_bytes(size), justify="right", no_wrap=True)
    order = wide[("p50", sizes[0])].sort_values(na_position="last").index
    for path, subject, placement in order:
        cells = [
            f"{format_seconds(wide.loc[(path, subject, placement), ('p50', size)])} / "
            f"{format_seconds(wide.loc[(path, subject, placement), ('p99', size)])}"
            for size in sizes
        ]
        out.add_row(subject if len(paths) == 1 else f"{subject} ({path})", placement, *cells)
    console.print(out)


def print_summaries(table: pd.DataFrame) -> None:
    """Every family's terminal summary that has rows in *table*."""
    print_marshalling_summary(table)
    print_latency_summary(table)


def print_simulation(result: dict, console: Console | None = None) -> None:
    """A simulation's metrics: mean and 95% CI over the seeded runs."""
    console = console or Console()
    options = ", ".join(f"{k}={v}" for k, v in result["options"].items())
    out = Table(
        title=f"{result['protocol']} ({options}); {result['runs']} runs from seed {result['seed']}",
        title_justify="left",
    )
    for column in ("metric", "mean", "95% CI"):
        out.add_column(column, justify="left" if column == "metric" else "right")
    for name, value in result["metrics"].items():
        low, high = value["ci95"]
        out.add_row(name, f"{value['mean']:.6g}", f"{low:.6g} – {high:.6g}")
    console.print(out)
