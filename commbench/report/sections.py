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

from commbench.report import dissemination, marshalling, transports
from commbench.report.blocks import Block, RunContext
from commbench.report.generic import generic_block

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


def build_sections(table: pd.DataFrame, contexts: list[RunContext]) -> list[FamilySection]:
    """Every family that has rows, registered families first, each run in file order.

    (:func:`commbench.report.render_html` runs the same plan, in worker processes when
    asked.)
    """
    tasks, assemble = section_plan(table, contexts)
    return assemble([task() for task in tasks])


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
