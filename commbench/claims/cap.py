"""The CAP claims: payments need a consistent store, replicas keep a service available
when a member dies (rows of the ``cap`` family)."""

from __future__ import annotations

import pandas as pd

from commbench.claims.base import (
    FAILS,
    HOLDS,
    Row,
    Verdict,
    count,
    missing,
    num,
    pct,
    rows_of,
    split,
)


def _cap_rows(table: pd.DataFrame) -> list[Row]:
    return [r for r in rows_of(table, "cap") if r.subject != "checker" and r.params.get("scenario")]


def _availability(r: Row, side: str, phase: str = "during") -> float | None:
    return num(r.metrics.get(f"availability.{side}.{phase}"))


def cap_consistency(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in _cap_rows(table)
        if "kill" not in str(r.params.get("scenario"))  # the partitions
        and num(r.metrics.get("stale_reads")) is not None
    ]
    if not rows:
        return missing("partition rows of the cap suite")
    fresh, stale = [], []
    for r in rows:
        name = f"{r.subject}/{r.params.get('mode')}"
        side = _availability(r, "minority")
        avail = (
            f"minority side answered {pct(side)} during the partition" if side is not None else ""
        )
        stale_n = int(num(r.metrics["stale_reads"]) or 0)
        reads = num(r.metrics.get("reads_ok"))
        text = f"{name} ({r.params.get('scenario')}): {stale_n} stale of {count(reads)} reads" + (
            f", {avail}" if avail else ""
        )
        (fresh if stale_n == 0 else stale).append(text)
    figure = "; ".join(fresh + stale)
    if not fresh:
        return Verdict(
            FAILS,
            figure,
            "normative claim: no store and mode measured kept every read fresh, so none fits "
            "payments here",
        )
    cond = "normative claim: payments fit the stores and modes with 0 stale reads"
    cond += "; recommendations can use the others" if stale else "; every mode measured was fresh"
    return Verdict(HOLDS, figure, cond)


AVAILABLE = 0.9
"""A service "stays available" when the surviving members answer 90% of their operations
while a member is dead (a leader election's gap included)."""


def replicas_available(table: pd.DataFrame) -> Verdict:
    rows = [r for r in _cap_rows(table) if "kill" in str(r.params.get("scenario"))]
    if not rows:
        return missing("cap rows that kill a member (only partitions were run)")
    checks, parts = [], []
    for r in rows:
        sides = {
            key.split(".")[1]: num(v)
            for key, v in r.metrics.items()
            if key.startswith("availability.") and key.endswith(".during") and num(v) is not None
        }
        alive = [v for side, v in sides.items() if side not in ("minority", "killed", "dead")]
        if not alive:
            continue
        share = min(alive)  # type: ignore[type-var]
        name = f"{r.subject}/{r.params.get('mode')}"
        checks.append((name, share >= AVAILABLE))
        dead = sides.get("minority")
        hit = f", the dead member's own client {pct(dead)}" if dead is not None else ""
        scenario = r.params.get("scenario")
        parts.append(f"{name} ({scenario}): surviving members answered {pct(share)}{hit}")
    if not checks:
        return missing("availability of the surviving members in member-kill rows")
    outcome, when = split(checks, held="for", failed="for")
    cond = (
        f"available = the surviving members answered at least {AVAILABLE:.0%} of their "
        "operations while one member was dead (the failover included)"
    )
    return Verdict(outcome, "; ".join(parts), cond, when)
