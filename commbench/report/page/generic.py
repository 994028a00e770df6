"""What a family's rows look like when no dedicated section can show them: a plain table of
medians, and the wrapper that falls back to it so no row is ever dropped from a report."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from commbench.compare import param_columns
from commbench.report.page.blocks import Block, Cell, RunContext, table_html
from commbench.report.page.records import records
from commbench.report.page.tables import NOISE_LEGEND, row_noise
from commbench.units import format_seconds

Builder = Callable[[pd.DataFrame, RunContext], list[Block]]


def generic_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """A plain table of medians for a family that has no dedicated section yet."""
    labels = ["subject", *param_columns(rows)]
    body = []
    for row in records(rows):
        median = format_seconds(row["median"])
        body.append(
            [
                *(str(row[c]) for c in labels),
                Cell(median, warnings=row_noise(row), numeric=True),
                Cell(str(row["rounds"]), numeric=True),
            ]
        )
    caption = (
        f"Median time per benchmark (lower is better); this family has no dedicated report "
        f"section yet. {ctx.describe()}. {NOISE_LEGEND}"
    )
    header = [*labels, Cell("median", numeric=True), Cell("rounds", numeric=True)]
    html = table_html(header, body, caption=caption)
    family = str(rows["family"].iloc[0])
    return [Block("Medians", ctx.anchor(f"{family}-medians"), html)]


class ReadableOrGeneric:
    """*builders* as one builder that falls back to the generic medians table.

    Rows without the *columns* a section reads, or from which no builder made a block,
    are still shown (as the table every unregistered family gets), never dropped. The
    report may also run the parts one by one (:meth:`parts`, in separate workers) and
    join their blocks with :meth:`join`.
    """

    def __init__(self, columns: tuple[str, ...], builders: list[Builder]) -> None:
        self.columns, self.builders = columns, builders

    def readable(self, rows: pd.DataFrame) -> bool:
        return all(c in rows and rows[c].notna().any() for c in self.columns)

    def parts(self, rows: pd.DataFrame) -> list[Builder]:
        """The builders to run on *rows*: none when the rows are not readable."""
        return list(self.builders) if self.readable(rows) else []

    def join(self, built: list[list[Block]], rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
        """The blocks of :meth:`parts` in order; the generic table when there are none."""
        blocks = [block for blocks in built for block in blocks]
        return blocks or generic_block(rows, ctx)

    def __call__(self, rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
        return self.join([build(rows, ctx) for build in self.parts(rows)], rows, ctx)


def readable_or_generic(columns: tuple[str, ...], builders: list[Builder]) -> list[Builder]:
    """*builders* as one :class:`ReadableOrGeneric` builder (a family's builder list)."""
    return [ReadableOrGeneric(columns, builders)]


def generic_markdown(rows: pd.DataFrame, ctx: RunContext) -> str:
    """``--format md`` for a family without its own: subject, params, median, rounds."""
    labels = ["subject", *param_columns(rows)]
    header = [*labels, "median", "rounds"]
    lines = [f"{ctx.describe()}. Median time per benchmark; lower is better.", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in records(rows):
        cells = [_cell(row[c]) for c in labels]
        cells += [format_seconds(row["median"]), str(row["rounds"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    """Markdown-safe text of a value: missing values as '-', pipes escaped."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return str(value).replace("|", "\\|").replace("\n", " ")
