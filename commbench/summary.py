"""The terminal output of ``commbench run`` (each family's summary, from the registry) and
of ``commbench simulate``."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table


def print_summaries(table: pd.DataFrame) -> None:
    """Every registered suite's terminal summary, for the suites that have rows in *table*."""
    from commbench import families

    present = set(table["family"]) if "family" in table else set()
    for family in families.FAMILIES.values():
        if family.summary and present & {row.name for row in family.rows}:
            families.resolve(family.summary)(table)


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
