"""Table helpers every family uses: the stability legend, a row's warnings, the CSV export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from commbench.results import flat, noise_flags

NOISE_LEGEND = (
    "⚠ = unstable timing, after pyperf check: fewer than 5 rounds, "
    "standard deviation at least 10% of the mean, or the minimum or maximum at least "
    "50% away from the median (pyperf measures that from the mean). Rerun with "
    "--profile full or on a quieter machine "
    "before trusting that number."
)


def row_noise(row: Mapping[str, Any]) -> list[str]:
    """A tidy row's stability warnings: its ``noise`` column, or computed from its samples."""
    noise = row.get("noise")
    return list(noise) if isinstance(noise, list | tuple) else noise_flags(row.get("samples"))


def tidy_csv(table: pd.DataFrame, extra: pd.DataFrame | None = None) -> str:
    """Every benchmark row of the tidy table (all families) as CSV, without raw samples;
    *extra* rows (the lecture's claims: family ``claims``) after them, their own columns
    added at the right."""
    out = flat(table).drop(columns=["samples", "params", "metrics"], errors="ignore")
    if "noise" in out:
        out = out.assign(noise=out["noise"].map(lambda w: "; ".join(w) if w else ""))
    if extra is not None and not extra.empty:
        out = pd.concat([out, extra], ignore_index=True)
    return out.to_csv(index=False)
