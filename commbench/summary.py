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
