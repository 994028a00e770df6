"""Which sections a report has, in the order of the family registry
(:mod:`commbench.families`).

A row family contributes a list of builders. A builder takes the family's rows of ONE
result file (the tidy table: seconds, bytes) and that file's :class:`RunContext`, and
returns its blocks. A family with no rows in the loaded files gets no section at all; a
family the registry does not know gets the generic table of medians.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from commbench import families
from commbench.report.page.blocks import Block, RunContext
from commbench.report.page.generic import ReadableOrGeneric, generic_block
from commbench.results import family_rows as results_family_rows

SectionBuilder = Callable[[pd.DataFrame, RunContext], list[Block]]
AcrossBuilder = Callable[[pd.DataFrame, list[RunContext]], list[Block]]


def section_builders(family: str) -> list[SectionBuilder]:
    """The registered builders of row family *family*; the generic table when it has none
    or is not registered (its rows are shown, never dropped)."""
    row = families.row_family(family)
    return families.resolve_list(row.builders) if row and row.builders else [generic_block]


def across_builders(family: str) -> list[AcrossBuilder]:
    """Builders of the figures that show every run at once. Used when a report has several
    runs; the per-run builders then skip their figures (:func:`~.blocks.draws`) and keep
    their tables, so the figures drawn do not grow with the number of runs."""
    row = families.row_family(family)
    return families.resolve_list(row.across) if row else []


def family_title(family: str) -> str:
    row = families.row_family(family)
    return row.title if row else str(family).capitalize()


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
    registered = [row.name for row in families.row_families()]
    order = [f for f in registered if f in present] + [f for f in present if f not in registered]
    several = len(contexts) > 1
    if several:
        contexts = [replace(ctx, draw=False) for ctx in contexts]
    across_jobs: list[str] = []
    across_tasks: list[Callable[[], list[Block]]] = []
    run_jobs: list[tuple[str, RunContext, Callable[[list[list[Block]]], list[Block]], int]] = []
    run_tasks: list[Callable[[], list[Block]]] = []
    figures: list[bool] = []
    for family in order:
        family_rows = results_family_rows(table, family)
        for build_across in across_builders(family) if several else []:
            across_jobs.append(family)
            across_tasks.append(functools.partial(build_across, family_rows, contexts))
        builders = section_builders(family)
        for ctx in contexts:
            rows = results_family_rows(table, family, str(ctx.run.path))
            if rows.empty:
                continue
            # one task per builder (and per part of a builder that has parts): the
            # pieces spread over the workers evenly, and no one figure waits for another
            for build in builders:
                parts, join = _parts(build, rows, ctx)
                run_jobs.append((family, ctx, join, len(parts)))
                run_tasks.extend(functools.partial(part, rows, ctx) for part in parts)
                figures.extend(ctx.draw and getattr(part, "draws_figure", False) for part in parts)
    # the figures first: the longest tasks start first and the tables fill in behind them
    schedule = sorted(range(len(run_tasks)), key=lambda i: not figures[i])

    def assemble(done: list[list[Block]]) -> list[FamilySection]:
        built = list(done[: len(across_tasks)]) + [[] for _ in run_tasks]
        for position, i in enumerate(schedule):
            built[len(across_tasks) + i] = done[len(across_tasks) + position]
        across_built = built[: len(across_tasks)]
        position = len(across_tasks)
        per_run: dict[str, dict[int, tuple[RunContext, list[Block]]]] = {}
        for family, ctx, join, count in run_jobs:
            blocks = join(built[position : position + count])
            position += count
            _, mine = per_run.setdefault(family, {}).setdefault(ctx.index, (ctx, []))
            mine.extend(blocks)
        sections = []
        for family in order:
            across = [
                block for f, blocks in zip(across_jobs, across_built) if f == family
                for block in blocks
            ]  # fmt: skip
            parts = [(ctx, blocks) for ctx, blocks in per_run.get(family, {}).values() if blocks]
            if parts or across:
                title = family_title(family)
                sections.append(FamilySection(family, title, f"family-{family}", parts, across))
        return sections

    return across_tasks + [run_tasks[i] for i in schedule], assemble


def _parts(
    build: SectionBuilder, rows: pd.DataFrame, ctx: RunContext
) -> tuple[list[SectionBuilder], Callable[[list[list[Block]]], list[Block]]]:
    """The pieces of one builder on *rows* and how to join what they return."""
    if isinstance(build, ReadableOrGeneric):
        return build.parts(rows), functools.partial(build.join, rows=rows, ctx=ctx)
    return [build], _concatenate


def _concatenate(built: list[list[Block]]) -> list[Block]:
    return [block for blocks in built for block in blocks]
