"""What the rpc report's builders share: row selection, number formats, captions, colours."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from commbench.report.page.blocks import RunContext
from commbench.report.plotting import log_axis, style
from commbench.units import format_seconds


def measure(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of one measure (latency, concurrency, open-loop, tls, faults...)."""
    if rows.empty or "measure" not in rows:
        return rows.iloc[0:0]
    return rows[rows["measure"] == name]


def has(rows: pd.DataFrame, *columns: str) -> bool:
    return not rows.empty and all(c in rows and rows[c].notna().any() for c in columns)


def us(ns: float | None) -> str:
    if ns is None or pd.isna(ns):
        return "-"
    value = ns / 1e3
    return f"{value:,.0f} µs" if value >= 100 else f"{value:.3g} µs"


def ratio(x: float | None) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.2f}×"


def frameworks(rows: pd.DataFrame) -> list[str]:
    """The frameworks present, in the registry's order (unknown names after, sorted)."""
    from commbench.rpc import FRAMEWORKS

    present = set(rows["subject"])
    return [f for f in FRAMEWORKS if f in present] + sorted(present - set(FRAMEWORKS))


def colors() -> dict[str, style.Color]:
    """One colour per framework of the registry, the same in every figure and run."""
    from commbench.rpc import FRAMEWORKS

    return style.colors_for(FRAMEWORKS)


def widest_placement(rows: pd.DataFrame) -> pd.DataFrame:
    """Cross-core rows where there are any (what quick measures), else what there is."""
    if "placement" in rows and (rows["placement"] == "cross-core").any():
        return rows[rows["placement"] == "cross-core"]
    return rows


def paths(rows: pd.DataFrame) -> str:
    """Where the calls went: loopback, or the LAN peer's address."""
    if "path" not in rows or rows["path"].dropna().empty:
        return "Loopback"
    found = sorted(set(rows["path"].dropna().astype(str)))
    return "Loopback" if found == ["localhost"] else "Path " + ", ".join(found)


def conditions(rows: pd.DataFrame, ctx: RunContext) -> str:
    place = ", ".join(sorted(set(rows["placement"].dropna()))) if "placement" in rows else ""
    return f"{paths(rows)}, placement {place or 'unknown'}. {ctx.describe()}."


def seconds_axis(ax: Axes, which: str = "y") -> None:
    """A log axis of durations plotted in seconds, labelled in ns/µs/ms/s."""
    log_axis(ax, which, format_seconds)


def rate_text(value: float) -> str:
    return f"{value / 1e3:.3g}k" if value >= 1e3 else f"{value:.3g}"
