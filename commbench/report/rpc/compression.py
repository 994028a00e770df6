"""Connect JSON against Connect protobuf with and without gzip on the wire: the request
message's bytes as written and as sent, and the call's p50 (rows of measure
``compression``)."""

from __future__ import annotations

import pandas as pd

from commbench.report.page.blocks import Block, Cell, RunContext, table_html
from commbench.report.rpc.common import conditions, has, measure, ratio, us


def compression_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per payload and codec: bytes plain and gzipped, p50 plain and gzipped."""
    rows = measure(rows, "compression")
    if not has(rows, "metric.p50_ns", "compression", "payload"):
        return []
    body = []
    for (payload, framework), sub in rows.groupby(["payload", "subject"], sort=False):
        plain = sub[sub["compression"] == "none"]
        gz = sub[sub["compression"] == "gzip"]
        if plain.empty or gz.empty:
            continue
        a, b = plain.iloc[0], gz.iloc[0]
        body.append(
            [
                Cell(str(payload), css="rowhead"),
                str(framework),
                Cell(f"{int(a['metric.message_bytes']):,}", numeric=True),
                Cell(f"{int(b['metric.wire_message_bytes']):,}", numeric=True),
                Cell(us(a["metric.p50_ns"]), numeric=True),
                Cell(us(b["metric.p50_ns"]), numeric=True),
                Cell(ratio(b["metric.p50_ns"] / a["metric.p50_ns"]), numeric=True),
            ]
        )
    if not body:
        return []
    header = ["payload", "framework", Cell("message bytes", numeric=True),
              Cell("gzipped bytes", numeric=True), Cell("p50 plain", numeric=True),
              Cell("p50 gzip", numeric=True), Cell("gzip / plain", numeric=True)]  # fmt: skip
    caption = (
        "The lecture's JSON, sent whole and uncompressed, against gzip on the wire: Connect "
        "with its JSON and its protobuf codec on the same stubs, request and reply gzipped "
        "(level 6) when on. Bytes are the request message as the codec writes it and as "
        f"gzip sends it; p50 is the whole call. {conditions(rows, ctx)}"
    )
    return [Block("RPC: Connect with and without compression", ctx.anchor("rpc-compression"),
                  table_html(header, body, caption=caption))]  # fmt: skip
