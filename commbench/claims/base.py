"""What every claim is made of: the outcomes, :class:`Verdict`, :class:`Claim`, and the
pure helpers the verdict functions share (:class:`Row` and :func:`rows_of` to read the
tidy table, :func:`num` to read a metric, the formatters, :func:`split` and
:func:`size_split` to turn checks into an outcome, :func:`missing` for "not measured").

A :class:`Claim` quotes the notes (Spanish, from ``shared/seed/``; vulgar words cut with
[…]) with an English line, names the row families that test it, and holds a PURE
function from the tidy table of ONE result file (:func:`commbench.results.tidy`, or the
lighter :func:`commbench.claims.claims_table`) to a :class:`Verdict`: ``holds``, ``does
not hold``, ``holds only when ...`` or ``not measured in this run``, with the deciding
figure and the conditions it was measured under. No verdict is written by hand: a
function that finds none of its rows says "not measured in this run" and what it needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from commbench.units import format_bytes, format_seconds

HOLDS = "holds"
FAILS = "does not hold"
ONLY_WHEN = "holds only when"
NOT_MEASURED = "not measured in this run"
OUTCOMES = (HOLDS, FAILS, ONLY_WHEN, NOT_MEASURED)


@dataclass(frozen=True)
class Verdict:
    """What the measurements say about one claim in one run."""

    outcome: str
    """One of :data:`OUTCOMES`."""
    figure: str = ""
    """The deciding figure, as text with its units."""
    conditions: str = ""
    """Where and how far it holds, plainly ("holds at or below 4 KiB; above it ...")."""
    when: str = ""
    """For ``holds only when``: the condition (``messages ≤ 4 KiB``)."""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")

    @property
    def text(self) -> str:
        """The verdict as printed: ``holds only when messages ≤ 4 KiB``."""
        return f"{ONLY_WHEN} {self.when}" if self.outcome == ONLY_WHEN else self.outcome


@dataclass(frozen=True)
class Claim:
    id: str
    quote: str
    """The notes' sentence, in Spanish, as written (a vulgar word cut with […])."""
    english: str
    families: tuple[str, ...]
    """The row families whose rows decide it."""
    verdict: Callable[[pd.DataFrame], Verdict]
    anchors: tuple[str, ...] = ()
    figure: str = ""
    """What the deciding figure is (a short title)."""


# ------------------------------------------------------------------ helpers (pure)


@dataclass(frozen=True)
class Row:
    subject: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    median: float | None = None


def rows_of(
    table: pd.DataFrame, family: str, subject: str | None = None, **match: Any
) -> list[Row]:
    """The rows of *family* (and *subject*) whose params equal every ``match`` value."""
    if table.empty:
        return []
    sub = table[table["family"] == family]
    if subject is not None:
        sub = sub[sub["subject"] == subject]
    out = []
    medians = sub["median"] if "median" in sub else [None] * len(sub)
    for subj, params, metrics, median in zip(
        sub["subject"], sub["params"], sub["metrics"], medians
    ):
        params = params if isinstance(params, dict) else {}
        if all(params.get(k) == v for k, v in match.items()):
            out.append(Row(str(subj), params, metrics if isinstance(metrics, dict) else {}, median))
    return out


def num(value: Any) -> float | None:
    """A finite number, or None (missing, NaN, text, a list)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def ns(value: float | None) -> str:
    return format_seconds(None if value is None else value / 1e9)


def ratio(value: float) -> str:
    return f"×{value:.3g}"


def pct(value: float | None) -> str:
    if value is None:
        return "-"
    return "100%" if value >= 1 else f"{value:.2%}" if value > 0.99 else f"{value:.1%}"


def count(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def join(items: Iterable[str]) -> str:
    """*items* as one comma-separated list."""
    return ", ".join(items)


def split(checks: Sequence[tuple[str, bool]], *, held: str, failed: str) -> tuple[str, str]:
    """(outcome, when) from labelled checks: all true holds, none does not, else "holds
    only when" naming the labels that held (after *held*) and those that did not (after
    "not" and *failed*)."""
    good = [label for label, ok in checks if ok]
    bad = [label for label, ok in checks if not ok]
    if not bad:
        return HOLDS, ""
    if not good:
        return FAILS, ""
    lead = f"{held} " if held else ""
    neg = f"not {failed} " if failed else "not "
    return ONLY_WHEN, f"{lead}{join(good)} ({neg}{join(bad)})"


def size_split(by_size: dict[int, bool], *, wins: str, loses: str) -> tuple[str, str, str]:
    """(outcome, when, conditions) for a property checked per message size: a threshold
    when the sizes it holds at are all below (or all above) the others."""
    sizes = sorted(by_size)
    good = [s for s in sizes if by_size[s]]
    bad = [s for s in sizes if not by_size[s]]
    span = f"{format_bytes(sizes[0])}–{format_bytes(sizes[-1])}"
    if not bad:
        return HOLDS, "", f"{wins} at every size measured ({span}) on this machine"
    if not good:
        return FAILS, "", f"{loses} at every size measured ({span}) on this machine"
    if max(good) < min(bad):
        when = f"messages ≤ {format_bytes(max(good))}"
        cond = (
            f"holds at or below {format_bytes(max(good))} on this machine; "
            f"from {format_bytes(min(bad))} up, {loses}"
        )
    elif min(good) > max(bad):
        when = f"messages ≥ {format_bytes(min(good))}"
        cond = (
            f"holds at or above {format_bytes(min(good))} on this machine; "
            f"at or below {format_bytes(max(bad))}, {loses}"
        )
    else:
        when = f"messages of {join(format_bytes(s) for s in good)}"
        cond = f"{wins} at {join(format_bytes(s) for s in good)}; {loses} at " + join(
            format_bytes(s) for s in bad
        )
    return ONLY_WHEN, when, cond


def missing(what: str) -> Verdict:
    """A "not measured in this run" verdict saying what it needed (*what*)."""
    return Verdict(NOT_MEASURED, conditions=f"no {what} in this run")
