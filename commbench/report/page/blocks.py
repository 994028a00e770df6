"""The pieces a report section is made of, and the HTML helpers that build them.

Every string that comes from a result file goes through :func:`esc`; a :class:`Block`
holds HTML that is already escaped.
"""

from __future__ import annotations

import base64
import functools
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from commbench.compare import label_runs
from commbench.results import RunFile, family_rows, flat, tidy


def esc(value: object) -> str:
    """HTML-escape any value's text (quotes too: safe inside attributes)."""
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class RunContext:
    """One result file as the report sees it: its position, labels and conditions."""

    run: RunFile
    index: int
    draw: bool = True
    """False when the report has several runs: per-run figures give way to the figures
    that put every run side by side (see :func:`draws`)."""
    table: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    """The report's tidy table (every run), so a builder can read another family's rows."""

    def rows(self, family: str) -> pd.DataFrame:
        """This run's rows of *family*, params and metrics as columns (from the run itself when
        the context has no table)."""
        if self.table is None:
            table = tidy([self.run])
            return table if table.empty else flat(table[table["family"] == family])
        if self.table.empty:
            return self.table
        return family_rows(self.table, family, str(self.run.path))

    def anchor(self, name: str) -> str:
        """A page-unique id for *name* within this run."""
        return f"run{self.index}-{name}"

    @property
    def fingerprint(self) -> dict[str, Any]:
        return self.run.machine_info.get("commbench") or {}

    @property
    def profile(self) -> str:
        return str(self.run.commbench.get("profile") or "unknown")

    @property
    def when(self) -> str:
        """The run's date as ``YYYY-mm-dd HH:MM UTC`` (or the raw text if unparsable)."""
        return format_datetime(self.run.datetime)

    @property
    def label(self) -> str:
        """``machine, date (file name)``: names this run in headings."""
        return f"{self.run.machine}, {self.when} ({Path(self.run.path).name})"

    def describe(self) -> str:
        """One sentence of conditions for captions: machine, CPU, cores, profile, date."""
        fp = self.fingerprint
        cpu = fp.get("cpu_model") or (self.run.machine_info.get("cpu") or {}).get("brand_raw")
        cores = fp.get("cpu_count") or (self.run.machine_info.get("cpu") or {}).get("count")
        hardware = ", ".join(str(x) for x in (cpu, f"{cores} cores" if cores else None) if x)
        machine = f"{self.run.machine} ({hardware})" if hardware else self.run.machine
        return f"Machine {machine}, profile {self.profile}, run {self.when}"


def draws(builder: Callable[[Any, RunContext], list[Block]]) -> Callable[..., list[Block]]:
    """Mark a section builder that draws a per-run figure.

    With several runs the page draws each family's figures once, every run side by side
    (figures constant in the number of runs); a marked builder then returns nothing for
    the single run it is given, while the table builders still do.
    """

    @functools.wraps(builder)
    def build(rows: Any, ctx: RunContext) -> list[Block]:
        return builder(rows, ctx) if ctx.draw else []

    build.draws_figure = True  # type: ignore[attr-defined]
    return build


def run_labels(contexts: Sequence[RunContext]) -> dict[str, str]:
    """Legend label per result file: the machine, plus the file's stem if machines repeat."""
    return label_runs({str(ctx.run.path): ctx.run.machine for ctx in contexts})


def format_datetime(text: str) -> str:
    """``2026-11-27T05:34:34.66+00:00`` -> ``2026-11-27 05:34 UTC``; unparsable text as is."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text or "unknown date"
    zone = "UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return f"{moment:%Y-%m-%d %H:%M} {zone or moment.strftime('%z')}".strip()


@dataclass(frozen=True)
class Block:
    """One subsection: a title (plain text), a page-unique anchor and escaped HTML."""

    title: str
    anchor: str
    html: str


def figure_html(png: bytes, *, alt: str, caption: str) -> str:
    """A ``<figure>`` with the PNG inline as a data URI and an escaped caption."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


@dataclass(frozen=True)
class Cell:
    """A table cell: text, optional tooltip, optional stability warnings (⚠)."""

    text: str
    title: str = ""
    warnings: Sequence[str] = ()
    numeric: bool = False
    css: str = ""


def cell_html(cell: Cell | str, tag: str = "td") -> str:
    if isinstance(cell, str):
        cell = Cell(cell)
    classes = " ".join(c for c in ("num" if cell.numeric else "", cell.css) if c)
    attrs = (f' class="{classes}"' if classes else "") + (
        f' title="{esc(cell.title)}"' if cell.title else ""
    )
    flag = (
        f' <span class="warn" title="{esc("; ".join(cell.warnings))}">⚠</span>'
        if cell.warnings
        else ""
    )
    return f"<{tag}{attrs}>{esc(cell.text)}{flag}</{tag}>"


def table_html(
    header: Sequence[Cell | str],
    rows: Iterable[Sequence[Cell | str]],
    *,
    caption: str = "",
    css: str = "",
) -> str:
    """A ``<table>`` with an escaped caption, header row and body rows."""
    head = "".join(cell_html(c, "th") for c in header)
    body = "".join("<tr>" + "".join(cell_html(c) for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    cls = f' class="{esc(css)}"' if css else ""
    return (
        f'<div class="scroll"><table{cls}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def paragraph(text: str, css: str = "") -> str:
    cls = f' class="{esc(css)}"' if css else ""
    return f"<p{cls}>{esc(text)}</p>"
