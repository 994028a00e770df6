"""Reports from result files: one self-contained HTML page, or Markdown / CSV tables.

Reports read result files only (see :mod:`commbench.results`); they never run a
benchmark. Sections come from the per-family registry in :mod:`.sections`.

Public API::

    render_html(paths, output=None, *, comparison_html=None, compare=False, parallel=False)
    render_tables(paths, fmt) -> str          # fmt: "md" or "csv"
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import commbench
from commbench import claims_print, families
from commbench.errors import UserError
from commbench.parallel import run_all
from commbench.report.page.blocks import RunContext
from commbench.report.page.comparison import comparison_plan
from commbench.report.page.generic import generic_markdown
from commbench.report.page.html import render_page
from commbench.report.page.lecture import lecture_section
from commbench.report.page.sections import family_title, section_plan
from commbench.report.page.tables import tidy_csv
from commbench.results import Results, flat, load_results

__all__ = ["REPORTS_DIR", "TABLE_FORMATS", "default_output", "render_html", "render_tables"]

REPORTS_DIR = Path(commbench.__file__).resolve().parents[1] / "reports"
"""Where reports land by default: ``reports/`` under the project root."""

TABLE_FORMATS = ("md", "csv")


def _load(paths: Sequence[Path | str] | Results) -> Results:
    """Load the files (or take them loaded); UserError when none is a valid result file."""
    if isinstance(paths, Results):
        results = paths
    elif not paths:
        raise UserError("no result files given")
    else:
        results = load_results(list(paths))
    if not results.runs:
        reasons = "; ".join(reason for _, reason in results.rejected)
        raise UserError(f"no valid result file to report: {reasons}")
    return results


def default_output(machine: str, now: datetime | None = None) -> Path:
    """``reports/<YYYYmmdd-HHMMSS>-<machine>.html`` under the project root."""
    now = now or datetime.now()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", machine).strip("-.") or "machine"
    return REPORTS_DIR / f"{now:%Y%m%d-%H%M%S}-{safe}.html"


def render_html(
    paths: Sequence[Path | str] | Results,
    output: Path | None = None,
    *,
    comparison_html: str | None = None,
    compare: bool = False,
    parallel: bool = False,
) -> Path:
    """Render one self-contained HTML report of *paths* and return where it was written.

    *paths* may also be :class:`Results` already loaded. Files that do not validate are
    named in a box at the top; the others render.
    ``comparison_html`` (already-escaped HTML from the compare module) is inserted
    after the header, under a "Comparison" heading; ``compare=True`` computes it here
    (every run against the first) when it is not given. ``parallel``: build the sections
    and the comparison in worker processes (:mod:`commbench.parallel`). Raises
    :class:`UserError` when no file is valid or the output cannot be written.
    """
    started = time.perf_counter()
    results = _load(paths)
    table = results.table()
    contexts = [RunContext(run, i, table=table) for i, run in enumerate(results.runs)]
    tasks, assemble = section_plan(table, contexts)
    plan = comparison_plan(results) if compare and comparison_html is None else None
    pair_tasks, join_pairs = plan if plan else ([], None)
    # the comparisons first: with the figures of every run they are the long tasks
    done = run_all([*pair_tasks, *tasks], workers=None if parallel else 1)
    sections = assemble(done[len(pair_tasks) :])
    if join_pairs is not None:
        comparison_html = join_pairs(done[: len(pair_tasks)])
    lecture = lecture_section(table, contexts, sections)
    html = render_page(
        contexts,
        sections,
        rejected=results.rejected,
        comparison_html=comparison_html,
        build_s=time.perf_counter() - started,
        lecture_html=lecture,
    )
    output = Path(output) if output else default_output(results.runs[0].machine)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{output}: cannot write the report: {exc.strerror or exc}") from None
    return output


def render_tables(paths: Sequence[Path | str] | Results, fmt: str) -> str:
    """The results as text: ``md`` or ``csv``.

    ``md``: per result file, one section per family (in registry order): the family's own
    Markdown when it has one (marshalling: one row per payload x codec, medians, ratios,
    MB/s, bytes, ⚠ for unstable timings; latency: one-way percentiles), else a table of
    medians. ``csv``: the tidy table
    of every benchmark (one row per file x benchmark, i.e. payload x codec x op for
    marshalling; times in seconds, sizes in bytes, ``metric.copy_floor_ns`` in ns),
    without the raw samples. Files that are not valid are named on stderr (and in
    the Markdown); UserError when none is valid or *fmt* is unknown.
    """
    if fmt not in TABLE_FORMATS:
        raise UserError(f"unknown table format {fmt!r}; choose one of {', '.join(TABLE_FORMATS)}")
    results = _load(paths)
    for _, reason in results.rejected:
        print(f"commbench: warning: skipped {reason}", file=sys.stderr)
    table = results.table()
    if fmt == "csv":
        return tidy_csv(table, extra=claims_print.csv_rows(table))
    out = [f"> not read: {reason}\n" for _, reason in results.rejected]
    out.append(claims_print.markdown(table))
    for i, run in enumerate(results.runs):
        ctx = RunContext(run, i)
        rows = table[table["file"] == str(run.path)]
        present = set(rows["family"])
        if not present:
            out.append(f"## {ctx.label}\n\nNo benchmark rows in this file.\n")
        registered = [row.name for row in families.row_families()]
        order = [f for f in registered if f in present] + sorted(present - set(registered))
        for family in order:
            row = families.row_family(family)
            write = families.resolve(row.markdown) if row and row.markdown else generic_markdown
            out.append(f"## {family_title(family)}: {ctx.label}\n")
            out.append(write(flat(rows[rows["family"] == family]), ctx))
    return "\n".join(out)
