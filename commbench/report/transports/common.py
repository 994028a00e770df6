"""What the transport sections share: captions' conditions, the palette, table rows, losses
and the list of cases not measured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    paragraph,
    table_html,
)
from commbench.report.page.records import records
from commbench.report.transports import figures as figs
from commbench.units import format_bytes

Builder = Callable[[pd.DataFrame, RunContext], list[Block]]


def column_or_nan(rows: pd.DataFrame, name: str) -> pd.Series:
    return rows[name] if name in rows else pd.Series(np.nan, index=rows.index)


def count_of(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def rate_text(value: float) -> str:
    """``223057.4`` -> ``223,057``; ``14.28`` -> ``14.3``; NaN -> ``-``."""
    return "-" if pd.isna(value) else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def css_classes(edge: str, bad: object = False) -> str:
    """Cell classes: the transport's top rule, and red text for a loss or a timeout."""
    return " ".join(c for c in (edge, "slower" if bad else "") if c)


def palette(ctx: RunContext) -> dict:
    """One colour per transport of the file (latency and throughput alike)."""
    extras = [b.get("extra_info") or {} for b in ctx.run.benchmarks]
    names = [str(e.get("subject")) for e in extras if e.get("family") in {"latency", "throughput"}]
    return figs.transport_palette(names)


def conditions(rows: pd.DataFrame, ctx: RunContext) -> str:
    """Machine, profile, date, where each end was pinned, the paths: for every caption."""
    spots = []
    for placement, part in rows.groupby("placement", sort=False):
        client, peer = (
            column_or_nan(part, "client_cpu").iloc[0],
            column_or_nan(part, "peer_cpu").iloc[0],
        )
        peer_text = "on the LAN peer" if pd.isna(peer) else f"on CPU {count_of(peer)}"
        client_text = "unpinned" if pd.isna(client) else f"on CPU {count_of(client)}"
        spots.append(f"{placement} (client {client_text}, peer {peer_text})")
    paths = ", ".join(str(p) for p in pd.unique(rows["path"]))
    return f"{ctx.describe()}. Placements: {'; '.join(spots)}. Paths: {paths}."


def round_trips_text(rows: pd.DataFrame) -> str:
    trips = column_or_nan(rows, "metric.round_trips").dropna()
    if trips.empty:
        return "an unknown number of round trips"
    lo, hi = int(trips.min()), int(trips.max())
    return f"{lo} round trips" if lo == hi else f"{lo}–{hi} round trips (fewer at large sizes)"


def losses_paragraph(rows: pd.DataFrame, lost: str, timed_out: str, what: str) -> str:
    """A sentence naming every case that lost messages or timed out, or saying none did."""
    bad = rows[
        (column_or_nan(rows, lost).fillna(0) > 0) | (column_or_nan(rows, timed_out).fillna(0) > 0)
    ]
    if bad.empty:
        return paragraph(f"No {what} lost a message and none timed out.")
    items = [
        f"{r['subject']} {r['placement']} {format_bytes(r['size_bytes'])}: "
        f"{count_of(r.get(lost))} lost" + (", timed out" if count_of(r.get(timed_out)) else "")
        for r in records(bad)
    ]
    return paragraph(f"Losses and timeouts ({len(bad)} of {len(rows)} {what}): " + "; ".join(items))


def table_rows(rows: pd.DataFrame) -> Iterator[tuple[dict[str, Any], str, list[Cell]]]:
    """Rows in run order (transports, then placements as measured, then size), each
    with its rule class and leading cells; the transport is named on its first row only."""
    rank = {c: {v: i for i, v in enumerate(pd.unique(rows[c]))} for c in ("subject", "placement")}
    keys = ["subject", "placement", "path", "size_bytes"]
    ordered = rows.sort_values(keys, key=lambda c: c.map(rank[c.name]) if c.name in rank else c)
    previous = None
    for row in records(ordered):
        edge = "first" if row["subject"] != previous else ""
        previous = row["subject"]
        lead = [
            Cell(str(row["subject"]) if edge else "", css=f"rowhead {edge}".strip()),
            Cell(str(row["placement"]), css=edge),
            Cell(str(row["path"]), css=edge),
            Cell(format_bytes(row["size_bytes"]), numeric=True, css=edge),
        ]
        yield row, edge, lead


LEAD_CELLS = ["transport", "placement", "path", Cell("size", numeric=True)]


def unsupported_of(ctx: RunContext, family: str) -> list[dict]:
    rows = ctx.run.commbench.get("unsupported") or []
    return [r for r in rows if isinstance(r, dict) and r.get("family") == family]


def not_measured_block(family: str) -> Builder:
    """A builder listing what *family* could not measure, grouped by transport and reason."""

    def build(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
        groups: dict[tuple[str, str], list[dict]] = {}
        for r in unsupported_of(ctx, family):
            key = (str(r.get("subject")), str(r.get("reason")))
            groups.setdefault(key, []).append(r.get("params") or {})
        body = []
        for (subject, reason), params in groups.items():
            spots = sorted({str(p.get("placement", "all")) for p in params})
            sizes = sorted({int(p["size_bytes"]) for p in params if "size_bytes" in p})
            body.append([subject, ", ".join(spots), ", ".join(map(format_bytes, sizes)), reason])
        caption = f"{family.capitalize()} cases that were not measured, and why."
        html = table_html(["transport", "placements", "sizes", "reason"], body, caption=caption)
        return [Block("Not measured", ctx.anchor(f"{family}-unsupported"), html)] if body else []

    return build


CASE_COLUMNS = ("subject", "placement", "path", "size_bytes")


def runs_text(rows: pd.DataFrame, contexts: list[RunContext]) -> str:
    return "; ".join(ctx.describe() for ctx in contexts if str(ctx.run.path) in set(rows["file"]))
