""" "The lecture, checked": the section at the top of the page, one row per claim of the
lecture notes (:mod:`commbench.claims`) with its verdict in each run, the deciding figure,
the conditions, and a link to the figure or table of the page that shows it."""

from __future__ import annotations

import re

import pandas as pd

from commbench.claims import CLAIMS, FAILS, HOLDS, NOT_MEASURED, Claim, check_runs
from commbench.claims_print import TITLE, disagreement_line
from commbench.report.page.blocks import RunContext, esc, run_labels
from commbench.report.page.sections import FamilySection

ANCHOR = "lecture"

CSS_CLASS = {HOLDS: "holds", FAILS: "fails", NOT_MEASURED: "unmeasured"}


def page_anchors(sections: list[FamilySection]) -> list[str]:
    """Every anchor the page has, in page order: families, their blocks."""
    out = []
    for section in sections:
        out.append(section.anchor)
        out += [b.anchor for b in section.across]
        out += [b.anchor for _, blocks in section.parts for b in blocks]
    return out


def link_for(claim: Claim, anchors: list[str]) -> str | None:
    """The page anchor of *claim*'s figure: its first anchor name the page has (any run's,
    or the side-by-side one), else its first family's section; None when neither is on
    the page."""
    for name in claim.anchors:
        pattern = re.compile(rf"(runs-)?run\d+-{re.escape(name)}")
        found = [a for a in anchors if a == name or pattern.fullmatch(a)]
        if found:
            return found[0]
    for family in claim.families:
        if f"family-{family}" in anchors:
            return f"family-{family}"
    return None


def lecture_section(
    table: pd.DataFrame, contexts: list[RunContext], sections: list[FamilySection]
) -> str:
    """The section's HTML (escaped); empty when no claim is registered or no run."""
    checked = check_runs(table)
    if not CLAIMS or not checked:
        return ""
    anchors = page_anchors(sections)
    labels = run_labels(contexts)
    several = len(checked) > 1
    head = ["claim", *(["run"] if several else []), "verdict", "figure", "conditions", "shown in"]
    body = []
    for claim in CLAIMS.values():
        runs = [(f, v) for f, pairs in checked.items() for c, v in pairs if c.id == claim.id]
        measured = {v.text for _, v in runs if v.outcome != NOT_MEASURED}
        differs = " differs" if len(measured) > 1 else ""
        target = link_for(claim, anchors) if measured else None  # no figure to show
        link = (
            f'<a href="#{esc(target)}">{esc(claim.figure or "figure")}</a>'
            if target
            else esc(claim.figure or "-")
        )
        quote = (
            f'<td rowspan="{len(runs)}" class="claim"><strong>{esc(claim.id)}</strong>'
            f'<br><q lang="es">{esc(claim.quote)}</q><br><span class="en">{esc(claim.english)}'
            "</span></td>"
        )
        for i, (file, verdict) in enumerate(runs):
            cells = [quote] if i == 0 else []
            if several:
                cells.append(f"<td>{esc(labels.get(file, file))}</td>")
            css = CSS_CLASS.get(verdict.outcome, "partial") + differs
            cells.append(f'<td class="verdict {css}">{esc(verdict.text)}</td>')
            cells.append(f"<td>{esc(verdict.figure or '-')}</td>")
            cells.append(f"<td>{esc(verdict.conditions)}</td>")
            if i == 0:
                cells.append(f'<td rowspan="{len(runs)}">{link}</td>')
            body.append(f"<tr>{''.join(cells)}</tr>")
    line = disagreement_line(checked)
    caption = (
        "Every testable claim of the lecture notes (quoted in Spanish, with an English line) "
        "beside the measurement that tests it. Verdicts are computed from the rows of each "
        "run, never written by hand: holds, does not hold, holds only when (the condition), "
        "or not measured in this run (with what was missing)."
    )
    table_html = (
        f'<div class="scroll"><table class="lecture"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{''.join(f'<th>{esc(h)}</th>' for h in head)}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    note = f'<p class="meta">{esc(line)}</p>' if line else ""
    return f'<section id="{ANCHOR}"><h2>{esc(TITLE)}</h2>{table_html}{note}</section>'


CSS = """
table.lecture td.claim { min-width: 18em; max-width: 28em; }
table.lecture q { font-style: italic; } table.lecture .en { color: var(--muted); }
table.lecture td { min-width: 10em; }
td.verdict { font-weight: 600; min-width: 7em; max-width: 14em; }
td.verdict.holds { background: var(--ok); } td.verdict.fails { background: var(--fail); }
td.verdict.partial { background: #fff3cd; } td.verdict.unmeasured { color: var(--muted); }
td.verdict.differs { outline: 2px solid var(--warn); }
"""
