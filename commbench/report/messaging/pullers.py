"""PUSH/PULL over several pullers: the share of the stream each puller received.

Rows of measure ``pullers`` (bench/test_messaging.py): ZeroMQ PUSH to 1, 2 or 4 PULL
processes; ``metric.deliveries_per_puller`` counts what each received, ``metric.duplicated``
messages that reached more than one.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from commbench.report.page.blocks import Block, Cell, RunContext, table_html


def puller_shares(deliveries: Any) -> list[float]:
    """Each puller's share of everything delivered (empty when nothing was)."""
    if not isinstance(deliveries, list | tuple) or not deliveries:
        return []
    total = sum(deliveries)
    return [n / total for n in deliveries] if total else []


def pullers_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """One row per number of pullers: messages received by each, shares, duplicates."""
    if rows.empty or "measure" not in rows:
        return []
    found = rows[rows["measure"] == "pullers"]
    if found.empty or "metric.deliveries_per_puller" not in found:
        return []
    body = []
    records = found.to_dict("records")
    for row in sorted(records, key=lambda r: len(puller_shares(r["metric.deliveries_per_puller"]))):
        counts = row.get("metric.deliveries_per_puller")
        shares = puller_shares(counts)
        if not shares:
            continue
        fair = 1 / len(shares)
        duplicated = int(row.get("metric.duplicated") or 0)
        body.append(
            [
                Cell(f"{len(shares)}", css="rowhead", numeric=True),
                Cell(" / ".join(f"{n:,}" for n in counts), numeric=True),
                Cell(" / ".join(f"{s:.1%}" for s in shares), numeric=True),
                Cell(f"{fair:.1%}", numeric=True),
                Cell(f"{max(abs(s - fair) for s in shares):.1%}", numeric=True),
                Cell(str(duplicated), numeric=True, css="slower" if duplicated else ""),
            ]
        )
    if not body:
        return []
    names = ("pullers", "received by each", "share of each", "fair share",
             "largest gap to fair", "duplicated")  # fmt: skip
    header = [Cell(name, numeric=True) for name in names]
    caption = (
        "PUSH/PULL spreads messages over the listeners: one ZeroMQ PUSH socket streaming to "
        "1, 2 or 4 PULL processes (round-robin over the connected pullers); what each puller "
        "received, its share of all deliveries, and messages that reached more than one "
        f"(red when any). {ctx.describe()}."
    )
    html = table_html(header, body, caption=caption, css="summary")
    return [Block("PUSH/PULL: the share of each puller", ctx.anchor("msg-pullers"), html)]
