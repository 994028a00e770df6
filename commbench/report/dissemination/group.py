"""Multicast to a group: how many messages reach nodes that are not in the group.

Rows of subject ``group`` (:mod:`commbench.dissemination.group_multicast`): one overlay of
n nodes, a group of m members, four ways to deliver one message (flood the overlay, its
spanning tree, the tree pruned to the members' branches, a tree over the members alone),
each with ``metric.<strategy>.messages``, ``.nonmember_messages``, ``.nonmembers_reached``
and ``.member_coverage`` (means over seeded runs).
"""

from __future__ import annotations

import pandas as pd

from commbench.report.page.blocks import Block, Cell, RunContext, table_html
from commbench.report.page.records import records

STRATEGIES = {
    "flood": "flood the whole overlay",
    "spanning-tree": "broadcast on its spanning tree",
    "pruned-tree": "tree pruned to the members' branches",
    "member-tree": "tree over the members only",
}


def group_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The group-multicast rows, by group size."""
    if rows.empty or "subject" not in rows or "metric.members" not in rows:
        return rows.iloc[0:0]
    group = rows[(rows["subject"] == "group") & rows["metric.members"].notna()]
    return group.sort_values("metric.members", kind="stable")


def _num(value: object) -> str:
    return (
        "-" if value is None or pd.isna(value) else f"{float(value):,.1f}".rstrip("0").rstrip(".")
    )


def group_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Per group size and strategy: messages sent, messages to non-members, non-members
    reached, member coverage."""
    group = group_rows(rows)
    if group.empty:
        return []
    body = []
    for row in records(group):
        n, m = row["metric.n"], row["metric.members"]
        for i, (name, what) in enumerate(STRATEGIES.items()):
            if pd.isna(row.get(f"metric.{name}.messages")):
                continue
            lead = [Cell(f"{m:g} of {n:g}", css="rowhead")] if i == 0 else [""]
            nonmember = row.get(f"metric.{name}.nonmember_messages")
            body.append(
                [
                    *lead,
                    f"{name}: {what}",
                    Cell(_num(row.get(f"metric.{name}.messages")), numeric=True),
                    Cell(_num(nonmember), numeric=True, css="slower" if nonmember else ""),
                    Cell(_num(row.get(f"metric.{name}.nonmembers_reached")), numeric=True),
                    Cell(f"{row.get(f'metric.{name}.member_coverage', float('nan')):.0%}",
                         numeric=True),
                ]
            )  # fmt: skip
    header = ["members", "strategy", Cell("messages", numeric=True),
              Cell("to non-members", numeric=True), Cell("non-members reached", numeric=True),
              Cell("members reached", numeric=True)]  # fmt: skip
    first = group.iloc[0]
    overlay = ", ".join(
        f"{k} {first[k]:g}" if isinstance(first[k], float | int) else f"{k} {first[k]}"
        for k in ("topology", "degree")
        if k in group and pd.notna(first[k])
    )
    caption = (
        "Multicast should keep messages away from nodes that are not in the group: one "
        f"message from a member to the group, on one overlay ({overlay}), counted per "
        "strategy. Messages = copies sent; to non-members = copies delivered to nodes outside "
        "the group (in red when any); non-members reached = distinct such nodes. Flooding and "
        "the spanning tree reach every node; the pruned tree reaches non-members only to "
        "relay; a tree over the members never does. Means over seeded runs (random overlay "
        f"and group). {ctx.describe()}."
    )
    html = table_html(header, body, caption=caption, css="summary")
    return [Block("Messages to non-members of the group", ctx.anchor("group-multicast"), html)]
