"""The reference checks: the suite's measurements against reference tools run side by side
in the same run, each with its target and a PASS or MISS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from commbench.report.page.blocks import (
    Block,
    Cell,
    RunContext,
    table_html,
)
from commbench.report.page.generic import readable_or_generic
from commbench.report.page.records import records
from commbench.report.transports.common import (
    CASE_COLUMNS,
    unsupported_of,
)
from commbench.transports.reference import REFERENCE_TARGETS
from commbench.units import format_bytes, format_seconds

"""Reference check -> allowed relative distance of suite / reference from 1."""


_REFERENCE_STATS = {
    "RTT p50": ("metric.suite_rtt_p50_ns", "metric.reference_rtt_p50_ns"),
    "one-way mean": ("metric.suite_one_way_mean_ns", "metric.reference_one_way_mean_ns"),
    "one-way p50": ("metric.suite_one_way_p50_ns", "metric.reference_one_way_p50_ns"),
}


_REFERENCE_HEADER = ("check", "reference", "placement", "size", "statistic", "suite",
                     "reference", "suite / ref.", "target", "result")  # fmt: skip


def reference_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """Suite against reference: the values, their ratio, the target and PASS / MISS."""
    body = []
    for row in records(rows):
        found = REFERENCE_TARGETS.get(str(row["subject"]))
        target = found.within if found else None
        stat = next((k for k, (a, _) in _REFERENCE_STATS.items() if pd.notna(row.get(a))), None)
        suite, ref = (row.get(c, np.nan) * 1e-9 for c in _REFERENCE_STATS.get(stat, ("", "")))
        ratio = row.get("metric.ratio", np.nan)
        verdict = "-" if target is None else "PASS" if abs(ratio - 1) <= target else "MISS"
        cells = [row.get("reference", ""), row["placement"], format_bytes(row["size_bytes"])]
        body.append(
            [
                Cell(str(row["subject"]), css="rowhead"),
                *(str(c) for c in cells),
                stat or "-",
                *(Cell(format_seconds(t), numeric=True) for t in (suite, ref)),
                Cell(f"{ratio:.3f}", numeric=True),
                Cell("-" if target is None else f"within {target:.0%}", numeric=True),
                Cell(verdict, css={"PASS": "ok", "MISS": "fail"}.get(verdict, "")),
            ]
        )
    for subject, found in REFERENCE_TARGETS.items():
        target = found.within
        if subject in set(rows["subject"]):
            continue
        why = [
            r.get("reason") for r in unsupported_of(ctx, "reference") if r.get("subject") == subject
        ]
        reason = f"not measured: {why[0] if why else 'no result in this file'}"
        body.append([Cell(subject, css="rowhead"), Cell(reason, css="fail"), *[""] * 6,
                     Cell(f"within {target:.0%}", numeric=True), "-"])  # fmt: skip
    header = [Cell(h, numeric=3 <= i <= 8 and i != 4) for i, h in enumerate(_REFERENCE_HEADER)]
    caption = (
        "Accuracy against references measured in the same run: "
        + "; ".join(
            f"{subject} within {t.within:.0%} ({t.statistic}; {t.source})"
            for subject, t in REFERENCE_TARGETS.items()
        )
        + ". PASS when |suite / reference − 1| is within the target; a ratio below 1 means "
        f"the suite measured less time than the reference. {ctx.describe()}."
    )
    html = table_html(header, body, caption=caption, css="summary matrix")
    return [Block("Suite against references", ctx.anchor("reference-checks"), html)]


REFERENCE_BUILDERS = readable_or_generic((*CASE_COLUMNS, "metric.ratio"), [reference_block])
