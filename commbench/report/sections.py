"""Which sections a report has: one registry entry per benchmark family.

A family (marshalling today; latency, throughput, dissemination later) contributes
a list of builders. A builder takes the family's rows of ONE result file (the tidy
table: seconds, bytes) and that file's :class:`RunContext`, and returns its blocks.
A new family is one module of builders plus one entry in :data:`SECTION_BUILDERS`;
a family with no rows in the loaded files gets no section at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from commbench.parallel import run_all
from commbench.report import dissemination, marshalling, transports
from commbench.report.blocks import Block, Cell, RunContext, table_html
from commbench.report.tables import NOISE_LEGEND, row_noise
from commbench.units import format_seconds

SectionBuilder = Callable[[pd.DataFrame, RunContext], list[Block]]
AcrossBuilder = Callable[[pd.DataFrame, list[RunContext]], list[Block]]

SECTION_BUILDERS: dict[str, list[SectionBuilder]] = {
    "marshalling": marshalling.BUILDERS,
    "latency": transports.LATENCY_BUILDERS,
    "throughput": transports.THROUGHPUT_BUILDERS,
    "reference": transports.REFERENCE_BUILDERS,
    "dissemination": dissemination.BUILDERS,
    "dissemination-reference": dissemination.REFERENCE_BUILDERS,
}
"""Family name -> its builders, in page order. Families are shown in this order."""

ACROSS_BUILDERS: dict[str, list[AcrossBuilder]] = {
    "marshalling": marshalling.ACROSS_BUILDERS,
    "latency": transports.LATENCY_ACROSS_BUILDERS,
    "throughput": transports.THROUGHPUT_ACROSS_BUILDERS,
    "dissemination": dissemination.ACROSS_BUILDERS,
}
"""Family name -> builders of the figures that show every run at once. Used when a report
has several runs; the per-run builders then skip their figures (:func:`~.blocks.draws`)
and keep their tables, so the figures drawn do not grow with the number of runs."""

FAMILY_TITLES: dict[str, str] = {
    "marshalling": "Marshalling",
    "latency": "Latency",
    "throughput": "Throughput",
    "reference": "Reference checks",
    "dissemination": "Dissemination",
    "dissemination-reference": "Dissemination: vectorised against networkx",
}


@dataclass(frozen=True)
class FamilySection:
    """One family's part of the page: the blocks showing every run at once (several runs
    only), then per result file the blocks its builders made."""

    family: str
    title: str
    anchor: str
    parts: list[tuple[RunContext, list[Block]]]
    across: list[Block] = field(default_factory=list)


def build_sections(
    table: pd.DataFrame, contexts: list[RunContext], *, parallel: bool = False
) -> list[FamilySection]:
    """Every family that has rows, registered families first, each run in file order.

    ``parallel``: build the pieces (each family's across-runs figures, each family x run)
    in worker processes (:func:`commbench.parallel.run_all`); the page is the same.
    """
    tasks, assemble = section_plan(table, contexts)
    return assemble(run_all(tasks) if parallel else [task() for task in tasks])


def section_plan(
    table: pd.DataFrame, contexts: list[RunContext]
) -> tuple[list[Callable[[], list[Block]]], Callable[[list[list[Block]]], list[FamilySection]]]:
    """The sections as tasks that each return blocks (the figures of every run at once
    first: they are the long ones), and the function that assembles their results."""
    if table.empty or "family" not in table:
        return [], lambda _: []
    present = list(pd.unique(table["family"]))
    families = [f for f in SECTION_BUILDERS if f in present] + [
        f for f in present if f not in SECTION_BUILDERS
    ]
    several = len(contexts) > 1
    if several:
        contexts = [replace(ctx, draw=False) for ctx in contexts]
    across_jobs: list[tuple[str, RunContext | None]] = []  # (family, None: every run)
    across_tasks: list[Callable[[], list[Block]]] = []
    run_jobs: list[tuple[str, RunContext | None]] = []
    run_tasks: list[Callable[[], list[Block]]] = []
    for family in families:
        family_rows = table[table["family"] == family]
        for build_across in ACROSS_BUILDERS.get(family, []) if several else []:
            across_jobs.append((family, None))
            across_tasks.append(functools.partial(build_across, family_rows, contexts))
        builders = SECTION_BUILDERS.get(family, [generic_block])
        for ctx in contexts:
            rows = family_rows[family_rows["file"] == str(ctx.run.path)]
            if not rows.empty:
                run_jobs.append((family, ctx))
                run_tasks.append(functools.partial(_run_blocks, builders, rows, ctx))
    jobs = across_jobs + run_jobs

    def assemble(built: list[list[Block]]) -> list[FamilySection]:
        sections = []
        for family in families:
            mine = [(ctx, b) for (f, ctx), b in zip(jobs, built) if f == family and b]
            across = [block for ctx, blocks in mine if ctx is None for block in blocks]
            parts = [(ctx, blocks) for ctx, blocks in mine if ctx is not None]
            if parts or across:
                title = FAMILY_TITLES.get(family, str(family).capitalize())
                sections.append(FamilySection(family, title, f"family-{family}", parts, across))
        return sections

    return across_tasks + run_tasks, assemble


def _run_blocks(builders: list[SectionBuilder], rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    return [block for build in builders for block in build(rows, ctx)]


def generic_block(rows: pd.DataFrame, ctx: RunContext) -> list[Block]:
    """A plain table of medians for a family that has no dedicated section yet."""
    labels = [
        c
        for c in rows.columns
        if c not in {"file", "machine", "datetime", "name", "group", "family", "samples", "noise"}
        and not c.startswith("metric.")
        and c not in {"min", "max", "mean", "stddev", "median", "iqr", "rounds", "iterations"}
        and rows[c].notna().any()
    ]
    body = []
    for _, row in rows.iterrows():
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
