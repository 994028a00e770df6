"""The lecture, checked: every testable claim of the lecture notes beside the measurement
that tests it, with a verdict computed from the result rows.

A :class:`Claim` quotes the notes with an English line, names the row families that test
it, and holds a PURE function from the tidy table of ONE result file to a
:class:`Verdict` (:mod:`commbench.claims.base` says what they are made of; no verdict is
written by hand).

:data:`CLAIMS` is the registry (id -> Claim, in lecture order); a family or a plugin adds
its own with :func:`register`. ``anchors`` name the report blocks that show the figure
(``ctx.anchor(NAME)`` of a section builder, without the ``runN-`` prefix), most specific
first; the report links the first one its page has, else the family's section.

The package: :mod:`~commbench.claims.base` (outcomes, Verdict, Claim, the pure helpers),
one module of verdict functions per family (:mod:`~commbench.claims.transports`,
:mod:`~commbench.claims.rpc`, :mod:`~commbench.claims.messaging`,
:mod:`~commbench.claims.dissemination`, :mod:`~commbench.claims.cap`), and
:mod:`~commbench.claims.lecture` (the quotes, registered here in lecture order).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from commbench.claims.base import (
    FAILS,
    HOLDS,
    NOT_MEASURED,
    ONLY_WHEN,
    OUTCOMES,
    Claim,
    Row,
    Verdict,
    count,
    ns,
    num,
    pct,
    ratio,
    rows_of,
    size_split,
    split,
)
from commbench.claims.cap import AVAILABLE, cap_consistency, replicas_available
from commbench.claims.dissemination import (
    REFERENCE_TREES,
    TREE_METRICS,
    TREES,
    death_certificates,
    flooding_counts,
    group_nonmembers,
    rumor_residue,
    tree_quality,
)
from commbench.claims.lecture import LECTURE, SOURCE
from commbench.claims.messaging import (
    BROKER_FAULTS,
    PEER_FAULTS,
    mom_persistence,
    mpi_not_fault_tolerant,
    push_pull_share,
    zmq_peer_death,
)
from commbench.claims.rpc import BYREF_TIE, byref_int, json_inefficient, retries
from commbench.claims.transports import RECV_COST, mpi_nanoseconds, mpi_shm_vs_tcp, recv_1024

CLAIMS: dict[str, Claim] = {}
"""Claim id -> Claim, in the order of the lecture notes."""


def register(claim: Claim) -> Claim:
    """Add *claim*; ValueError when its id is taken by another claim."""
    if claim.id in CLAIMS and CLAIMS[claim.id] != claim:
        raise ValueError(f"claim {claim.id!r} is already registered")
    CLAIMS[claim.id] = claim
    return claim


def judge(claim: Claim, table: pd.DataFrame) -> Verdict:
    """*claim*'s verdict on *table* (one run). Rows present but unreadable (a metric of the
    wrong type) give "not measured" with the reason, never a crash of the whole page."""
    if table.empty or "family" not in table or not set(claim.families) & set(table["family"]):
        return Verdict(
            NOT_MEASURED, conditions=f"no {' or '.join(claim.families)} rows in this run"
        )
    try:
        return claim.verdict(table)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError) as exc:
        return Verdict(NOT_MEASURED, conditions=f"rows present but not readable: {exc!r}")


def check(table: pd.DataFrame) -> list[tuple[Claim, Verdict]]:
    """Every registered claim judged on *table* (the rows of ONE result file)."""
    return [(claim, judge(claim, table)) for claim in CLAIMS.values()]


def check_runs(table: pd.DataFrame) -> dict[str, list[tuple[Claim, Verdict]]]:
    """Result file -> its verdicts, in the table's file order."""
    if table.empty or "file" not in table:
        return {}
    return {f: check(table[table["file"] == f]) for f in pd.unique(table["file"])}


def disagreements(per_run: dict[str, list[tuple[Claim, Verdict]]]) -> dict[str, dict[str, str]]:
    """Claim id -> {file: verdict text} for the claims whose verdicts differ between runs
    that measured them (a run that did not measure a claim does not disagree)."""
    out: dict[str, dict[str, str]] = {}
    for claim in CLAIMS.values():
        verdicts = {
            f: v.text
            for f, pairs in per_run.items()
            for c, v in pairs
            if c.id == claim.id and v.outcome != NOT_MEASURED
        }
        if len(set(verdicts.values())) > 1:
            out[claim.id] = verdicts
    return out


def disagreement_line(per_run: dict[str, list[tuple[Claim, Verdict]]]) -> str:
    """One sentence: where the runs disagree, or that they agree."""
    if len(per_run) < 2:
        return ""
    found = disagreements(per_run)
    if not found:
        return "The runs agree on every claim they measured."
    parts = []
    for cid, verdicts in found.items():
        each = "; ".join(f"{Path(f).name}: {v}" for f, v in verdicts.items())
        parts.append(f"{cid} ({each})")
    return "The runs disagree on " + ", ".join(parts) + "."


# ------------------------------------------------------------------ loading, light


def claims_table(runs: Sequence[Any]) -> pd.DataFrame:
    """The tidy table's labels, params, metrics and stats for *runs* (RunFile), without
    the samples and their stability checks: all a verdict reads, at a fraction of
    :func:`commbench.results.tidy`'s cost on a big file."""
    from commbench.results import tidy

    return tidy(list(runs), samples=False)


for _claim in LECTURE:
    register(_claim)

__all__ = [
    "AVAILABLE",
    "BROKER_FAULTS",
    "BYREF_TIE",
    "CLAIMS",
    "FAILS",
    "HOLDS",
    "NOT_MEASURED",
    "ONLY_WHEN",
    "OUTCOMES",
    "PEER_FAULTS",
    "RECV_COST",
    "REFERENCE_TREES",
    "SOURCE",
    "TREES",
    "TREE_METRICS",
    "Claim",
    "Row",
    "Verdict",
    "byref_int",
    "cap_consistency",
    "check",
    "check_runs",
    "claims_table",
    "count",
    "death_certificates",
    "disagreement_line",
    "disagreements",
    "flooding_counts",
    "group_nonmembers",
    "json_inefficient",
    "judge",
    "mom_persistence",
    "mpi_nanoseconds",
    "mpi_not_fault_tolerant",
    "mpi_shm_vs_tcp",
    "ns",
    "num",
    "pct",
    "push_pull_share",
    "ratio",
    "recv_1024",
    "register",
    "replicas_available",
    "retries",
    "rows_of",
    "rumor_residue",
    "size_split",
    "split",
    "tree_quality",
    "zmq_peer_death",
]
