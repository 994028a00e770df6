"""The messaging claims: a dead ZeroMQ peer loses its queue, PUSH/PULL shares the
stream, an in-memory broker that dies loses messages, MPI is not fault tolerant (rows
of the ``messaging`` family)."""

from __future__ import annotations

import pandas as pd

from commbench.claims.base import (
    FAILS,
    HOLDS,
    ONLY_WHEN,
    Row,
    Verdict,
    count,
    join,
    missing,
    num,
    rows_of,
    split,
)
from commbench.units import format_seconds

PEER_FAULTS = ("producer-kill", "consumer-kill")


def _loss(r: Row) -> int | None:
    """Messages the stream lost: acknowledged and never delivered when the mode has
    acknowledgements, else sent and never delivered."""
    key = "lost" if r.params.get("acks") else "lost_sent"
    value = num(r.metrics.get(key))
    return None if value is None else int(value)


def zmq_peer_death(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "messaging", "zmq", measure="crash")
        if r.params.get("fault") in PEER_FAULTS and _loss(r) is not None
    ]
    if not rows:
        return missing(
            "ZeroMQ crash rows (the messaging suite kills a ZeroMQ consumer; full, a producer too)"
        )
    checks = [
        (f"the {r.params['fault'].removesuffix('-kill')} dies", (_loss(r) or 0) > 0) for r in rows
    ]
    outcome, when = split(checks, held="", failed="when")
    figure = "; ".join(
        f"{r.params['fault']}: {_loss(r)} of {count(num(r.metrics.get('sent')))} sent never "
        f"delivered"
        for r in rows
    )
    rates = {r.params.get("rate_per_s") for r in rows if num(r.params.get("rate_per_s"))}
    paced = f" at {join(f'{x:g}' for x in sorted(rates))} messages/s" if rates else ""
    cond = "ZeroMQ PUSH/PULL, no broker: what a dead peer's queue held is gone"
    if outcome == FAILS:
        cond = f"no message was lost when a peer died in this run (stream paced{paced})"
    elif outcome == ONLY_WHEN:
        spared = join(r.params["fault"] for r in rows if not _loss(r))
        cond += f"; after {spared} nothing sent was lost (the stream was paced{paced})"
    return Verdict(outcome, figure, cond, when)


def push_pull_share(table: pd.DataFrame) -> Verdict:
    rows = []
    for r in rows_of(table, "messaging", "zmq", measure="pullers"):
        shares = r.metrics.get("deliveries_per_puller")
        if isinstance(shares, list) and len(shares) >= 2 and sum(shares) > 0:
            rows.append((r, shares))
    if not rows:
        return missing("ZeroMQ PUSH/PULL rows with two or more pullers (messaging suite)")
    checks, parts = [], []
    for r, shares in sorted(rows, key=lambda x: len(x[1])):
        total = sum(shares)
        dup = int(num(r.metrics.get("duplicated")) or 0)
        checks.append((f"{len(shares)} pullers", min(shares) > 0 and dup == 0))
        each = "/".join(f"{s / total:.0%}" for s in shares)
        parts.append(
            f"{len(shares)} pullers: {each} (fair {1 / len(shares):.0%}, {dup} duplicated)"
        )
    outcome, when = split(checks, held="with", failed="with")
    cond = "every puller got a share, each message went to one puller only"
    if outcome != HOLDS:
        cond = "some puller got nothing, or a message reached two pullers"
    return Verdict(outcome, "share of the stream per puller: " + "; ".join(parts), cond, when)


BROKER_FAULTS = ("broker-kill", "broker-stop", "power-cut")


def mom_persistence(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "messaging", measure="crash")
        if r.params.get("fault") in BROKER_FAULTS and _loss(r) is not None
    ]
    if not rows:
        return missing("broker crash rows (messaging suite)")
    checks, parts = [], []
    for r in rows:
        name = f"{r.subject}/{r.params.get('mode')} {r.params.get('fault')}"
        lost = _loss(r) or 0
        persistent = bool(r.params.get("persistent"))
        ok = lost == 0 if persistent else lost > 0
        checks.append((name, ok))
        kind = "persistent" if persistent else "in memory"
        of = "acknowledged" if r.params.get("acks") else "sent"
        parts.append(f"{name} ({kind}): {lost} {of} lost")
    outcome, when = split(checks, held="for", failed="for")
    cond = "in-memory brokers lost messages when killed; persistent ones lost none acknowledged"
    if outcome == FAILS:
        cond = "in-memory brokers lost nothing, or persistent ones lost acknowledged messages"
    elif outcome == ONLY_WHEN:
        cond = "not every broker and mode behaved as the notes say; see the counts"
    why = _why_persistent_lost(rows)
    return Verdict(outcome, "; ".join(parts), f"{cond}{'. ' + why if why else ''}", when)


def _why_persistent_lost(rows: list[Row]) -> str:
    """For each persistent mode that lost acknowledged messages: where its message was when
    the acknowledgement went out (the broker's documented durability point)."""
    from commbench.messaging.modes import AT_THE_ACK

    seen: dict[str, str] = {}
    for r in rows:
        key = f"{r.subject}/{r.params.get('mode')}"
        if r.params.get("persistent") and (_loss(r) or 0) > 0 and key in AT_THE_ACK:
            seen.setdefault(key, AT_THE_ACK[key])
    return "; ".join(f"{key}: {text}" for key, text in seen.items())


def mpi_not_fault_tolerant(table: pd.DataFrame) -> Verdict:
    rows = [r for r in rows_of(table, "messaging", "mpi", measure="rank-kill")]
    rows = [r for r in rows if num(r.metrics.get("survivors")) is not None]
    if not rows:
        return missing("MPI rank-kill rows (messaging suite)")
    checks, parts = [], []
    for i, r in enumerate(rows):
        m = r.metrics
        survivors, aborted = (
            int(num(m.get("survivors")) or 0),
            int(num(m.get("survivors_aborted")) or 0),
        )
        ranks = int(num(m.get("ranks")) or 0)
        abort_s = num(m.get("abort_s"))
        setting = ", ".join(str(r.params[k]) for k in ("mode", "victim_role") if r.params.get(k))
        label = f"{ranks} ranks" + (f" ({setting})" if setting else f" (#{i + 1})")
        checks.append((label, survivors > 0 and aborted == survivors))
        took = f" in {format_seconds(abort_s)}" if abort_s is not None else ""
        saw = f"; survivors saw: {m.get('survivor_saw')}" if m.get("survivor_saw") else ""
        parts.append(f"{label}, one killed: {aborted} of {survivors} survivors aborted{took}{saw}")
    outcome, when = split(checks, held="with", failed="with")
    cond = {
        HOLDS: "one rank's death took the whole job down",
        FAILS: "survivors kept running after a rank died",
    }.get(outcome, "the job went down only in some runs")
    return Verdict(outcome, "; ".join(parts), cond, when)
