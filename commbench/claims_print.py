"""The lecture's claims as text: the ``commbench claims`` table, its JSON, the Markdown
section and the CSV rows of the exports (the HTML section is
:mod:`commbench.report.page.lecture`)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from commbench.claims import CLAIMS, Claim, Verdict, check_runs, claims_table, disagreements
from commbench.claims import disagreement_line as disagreement_line
from commbench.errors import UserError

Checked = dict[str, list[tuple[Claim, Verdict]]]
"""Result file -> its (claim, verdict) pairs."""

TITLE = "The lecture, checked"


def load(paths: list[Path]) -> tuple[Checked, list[str]]:
    """Verdicts per readable file, and one line per file that could not be read. Only the
    labels, params, metrics and stats are kept (no samples): what the verdicts read."""
    from commbench.results import load_run

    runs, rejected = [], []
    for path in paths:
        try:
            runs.append(load_run(path, samples=False))
        except UserError as exc:
            rejected.append(str(exc))
    return check_runs(claims_table(runs)), rejected


def as_dict(checked: Checked) -> dict[str, Any]:
    """Everything ``--json`` prints: per run every claim, and where runs disagree."""
    return {
        "runs": [
            {
                "file": file,
                "claims": [
                    {
                        "id": claim.id,
                        "verdict": verdict.text,
                        "outcome": verdict.outcome,
                        "when": verdict.when,
                        "figure": verdict.figure,
                        "conditions": verdict.conditions,
                        "families": list(claim.families),
                        "quote_es": claim.quote,
                        "english": claim.english,
                        "figure_title": claim.figure,
                        "anchors": list(claim.anchors),
                    }
                    for claim, verdict in pairs
                ],
            }
            for file, pairs in checked.items()
        ],
        "disagreements": [
            {"id": cid, "verdicts": verdicts} for cid, verdicts in disagreements(checked).items()
        ],
    }


COLUMNS = (("claim", 20), ("verdict", 28), ("figure", 60), ("conditions", 48))


def as_text(checked: Checked) -> str:
    """One table per run (one row per claim: id, verdict, figure, conditions; long cells
    wrapped in their column), then the line saying where the runs disagree."""
    out = []
    for file, pairs in checked.items():
        if len(checked) > 1:
            out.append(f"== {Path(file).name}")
        out.append(_row([name for name, _ in COLUMNS]))
        out.append(_row(["-" * w for _, w in COLUMNS]))
        for claim, verdict in pairs:
            out.append(_row([claim.id, verdict.text, verdict.figure or "-", verdict.conditions]))
        out.append("")
    line = disagreement_line(checked)
    if line:
        out.append(line)
    return "\n".join(out).rstrip() + "\n"


def _row(cells: list[str]) -> str:
    wrapped = [textwrap.wrap(c, w) or [""] for c, (_, w) in zip(cells, COLUMNS)]
    height = max(len(w) for w in wrapped)
    lines = []
    for i in range(height):
        parts = [
            (w[i] if i < len(w) else "").ljust(width) for w, (_, width) in zip(wrapped, COLUMNS)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(table: pd.DataFrame) -> str:
    """The Markdown section of the exports: per run, one row per claim."""
    checked = check_runs(table)
    if not checked:
        return ""
    out = [f"## {TITLE}\n"]
    out.append(
        "Each claim of the lecture notes beside the measurement that tests it; verdicts are "
        "computed from this run's rows.\n"
    )
    for file, pairs in checked.items():
        if len(checked) > 1:
            out.append(f"### {Path(file).name}\n")
        out.append("| claim | verdict | figure | conditions |")
        out.append("|---|---|---|---|")
        for claim, verdict in pairs:
            cells = [claim.id, verdict.text, verdict.figure or "-", verdict.conditions]
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
        out.append("")
    line = disagreement_line(checked)
    if line:
        out.append(line + "\n")
    return "\n".join(out)


def csv_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The claims as rows of the CSV export: family ``claims``, subject the claim id, and
    the columns ``claim.verdict``, ``claim.outcome``, ``claim.figure``,
    ``claim.conditions``, one row per run and claim."""
    rows = []
    first = table.drop_duplicates("file").set_index("file") if not table.empty else None
    for file, pairs in check_runs(table).items():
        for claim, verdict in pairs:
            rows.append(
                {
                    "file": file,
                    "machine": first.loc[file, "machine"] if first is not None else "",
                    "datetime": first.loc[file, "datetime"] if first is not None else "",
                    "name": f"claim {claim.id}",
                    "family": "claims",
                    "subject": claim.id,
                    "claim.verdict": verdict.text,
                    "claim.outcome": verdict.outcome,
                    "claim.figure": verdict.figure,
                    "claim.conditions": verdict.conditions,
                }
            )
    return pd.DataFrame(rows)


__all__ = ["CLAIMS", "TITLE", "as_dict", "as_text", "csv_rows", "load", "markdown"]
