"""Marshalling tables: the per payload x codec summary, its Markdown form and the terminal
summary printed at the end of ``commbench run``.

Times are medians in seconds, sizes in bytes, ``copy_floor_s`` in seconds (converted
from ``metric.copy_floor_ns``), throughputs in MB/s with 1 MB = 10**6 bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from commbench.marshalling import OPS
from commbench.report.page.records import records
from commbench.report.page.tables import NOISE_LEGEND
from commbench.results import family_rows, noise_flags
from commbench.units import format_bytes, format_seconds

MARSHALLING_COLUMNS = (
    "payload",
    "op",
    "metric.encoded_bytes",
    "metric.compressed_bytes",
    "metric.copy_floor_ns",
    "samples",
)
"""Columns the marshalling report reads beyond the tidy table's fixed ones."""


def marshalling_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The marshalling rows, with every column of :data:`MARSHALLING_COLUMNS` present.

    A file written without a metric (or without raw samples) still renders: the
    missing values are NaN and show as "-".
    """
    rows = family_rows(table, "marshalling").copy()
    for column in MARSHALLING_COLUMNS:
        if column not in rows:
            rows[column] = None if column == "samples" else np.nan
    return rows


def summary_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per payload and codec of ONE result file, payloads in run order.

    Columns: ``payload``, ``subject``; per op (encode, decode, decode+touch) the median
    in seconds under the op's name and ``warn.<op>`` (list of stability warnings);
    ``encode_x`` / ``decode_x`` (ratio to the fastest codec on that payload),
    ``encode_floor_x`` / ``decode_floor_x`` (ratio to the copy floor),
    ``encode_MBps`` / ``decode_MBps`` (encoded bytes / median, 10**6 B/s),
    ``round_trip`` (encode + decode+touch medians, derived), ``encoded_bytes``,
    ``compressed_bytes`` and ``copy_floor_s``.
    """
    rows = marshalling_rows(rows)
    if rows.empty:
        return pd.DataFrame()
    renames = {f"metric.{k}": k for k in ("encoded_bytes", "compressed_bytes")}
    wide = marshalling_summary(rows).rename(columns=renames)
    keys = ["payload", "subject"]
    floor_ns = rows.groupby(keys, as_index=False)["metric.copy_floor_ns"].first()
    wide = wide.merge(floor_ns, on=keys, how="left")
    wide["copy_floor_s"] = wide.pop("metric.copy_floor_ns") * 1e-9
    noise = rows["noise"] if "noise" in rows else rows["samples"].map(noise_flags)
    warnings = noise.set_axis(pd.MultiIndex.from_frame(rows[[*keys, "op"]]))
    for op in OPS:
        if op not in wide:
            wide[op] = np.nan
        pairs = zip(wide["payload"], wide["subject"])
        wide[f"warn.{op}"] = [warnings.get((p, s, op), []) for p, s in pairs]
    for op in ("encode", "decode"):
        if f"{op}_x" not in wide:
            wide[f"{op}_x"] = np.nan
        wide[f"{op}_floor_x"] = wide[op] / wide["copy_floor_s"]
        wide[f"{op}_MBps"] = wide["encoded_bytes"] / wide[op] / 1e6
    wide["round_trip"] = wide["encode"] + wide["decode+touch"]
    # payloads and codecs in run order (the corpus and registry order), not alphabetical
    rank = {c: {v: i for i, v in enumerate(pd.unique(rows[c]))} for c in ("payload", "subject")}
    wide = wide.sort_values(["payload", "subject"], key=lambda c: c.map(rank[c.name]))
    return wide.reset_index(drop=True)


def _ratio(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:.1f}×" if value < 9.95 else f"{value:.0f}×"


def _rate(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


_FORMATS: dict[str, Callable[[Any], str]] = {
    "text": str,
    "seconds": format_seconds,
    "ratio": _ratio,
    "rate": _rate,
    "bytes": format_bytes,
}


@dataclass(frozen=True)
class Column:
    """One column of the summary table: header, source column, format, tooltip."""

    header: str
    key: str
    kind: str  # a key of _FORMATS
    tooltip: str
    flagged: bool = False  # stability warnings in "warn.<key>" go beside the number

    def text(self, row: Mapping[str, Any]) -> str:
        return _FORMATS[self.kind](row[self.key])

    def warnings(self, row: Mapping[str, Any]) -> list[str]:
        return list(row[f"warn.{self.key}"]) if self.flagged else []


_FLOOR = "copy floor (copying the encoded bytes)"


SUMMARY_COLUMNS: tuple[Column, ...] = (
    Column("payload", "payload", "text", "payload name"),
    Column("codec", "subject", "text", "codec (library and format)"),
    Column("encode", "encode", "seconds", "median encode time per call", flagged=True),
    Column("×fastest", "encode_x", "ratio", "encode median / fastest encode on this payload"),
    Column("×copy", "encode_floor_x", "ratio", f"encode median / {_FLOOR}"),
    Column("enc MB/s", "encode_MBps", "rate", "encoded bytes / encode median, 10^6 B/s"),
    Column("decode", "decode", "seconds", "median decode (parse) time per call", flagged=True),
    Column("×fastest", "decode_x", "ratio", "decode median / fastest decode on this payload"),
    Column("×copy", "decode_floor_x", "ratio", f"decode median / {_FLOOR}"),
    Column("dec MB/s", "decode_MBps", "rate", "encoded bytes / decode median, 10^6 B/s"),
    Column(
        "decode+touch", "decode+touch", "seconds", "decode, then visit every value", flagged=True
    ),
    Column(
        "round trip",
        "round_trip",
        "seconds",
        "encode + decode+touch medians (derived: "
        "what one message costs its sender and a receiver that reads it)",
    ),
    Column("bytes", "encoded_bytes", "bytes", "encoded size"),
    Column("zlib", "compressed_bytes", "bytes", "encoded size after zlib level 6"),
)
"""The summary table's columns, shared by the HTML page and the Markdown export."""


def summary_markdown(summary: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table, one row per payload x codec; ⚠ marks noise."""
    lines = [
        "| " + " | ".join(c.header for c in SUMMARY_COLUMNS) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(SUMMARY_COLUMNS))) + "|",
    ]
    flagged = False
    for row in records(summary):
        cells = []
        for column in SUMMARY_COLUMNS:
            text = column.text(row)
            if column.warnings(row):
                text += " ⚠"
                flagged = True
            cells.append(text.replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    if flagged:
        lines += ["", NOISE_LEGEND]
    return "\n".join(lines) + "\n"


def marshalling_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per payload and codec: median encode / decode / decode+touch (s), sizes, ratios.

    ``encode_x`` and ``decode_x`` are the ratio to the fastest codec on that payload
    (1.0 = fastest).
    """
    rows = family_rows(table, "marshalling")
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


def markdown(rows: pd.DataFrame, ctx: object) -> str:
    """``--format md``: the per payload x codec summary of one run's marshalling rows."""
    summary = summary_frame(rows)
    if summary.empty:
        return "No marshalling results in this file.\n"
    return f"{ctx.describe()}. Medians; lower is better.\n\n" + summary_markdown(summary)
