"""The lecture, checked: every testable claim of the lecture notes beside the measurement
that tests it, with a verdict computed from the result rows.

A :class:`Claim` quotes the notes (Spanish, from ``shared/seed/``; vulgar words cut with
[…]) with an English line, names the row families that test it, and holds a PURE
function from the tidy table of ONE result file (:func:`commbench.results.tidy`, or the
lighter :func:`claims_table`) to a :class:`Verdict`: ``holds``, ``does not hold``,
``holds only when ...`` or ``not measured in this run``, with the deciding figure and
the conditions it was measured under. No verdict is written by hand: a function that
finds none of its rows says "not measured in this run" and what it needed.

:data:`CLAIMS` is the registry (id -> Claim, in lecture order); a family or a plugin adds
its own with :func:`register`. ``anchors`` name the report blocks that show the figure
(``ctx.anchor(NAME)`` of a section builder, without the ``runN-`` prefix), most specific
first; the report links the first one its page has, else the family's section.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
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


def _join(items: Iterable[str]) -> str:
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
    return ONLY_WHEN, f"{lead}{_join(good)} ({neg}{_join(bad)})"


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
        when = f"messages of {_join(format_bytes(s) for s in good)}"
        cond = f"{wins} at {_join(format_bytes(s) for s in good)}; {loses} at " + _join(
            format_bytes(s) for s in bad
        )
    return ONLY_WHEN, when, cond


def _missing(what: str) -> Verdict:
    return Verdict(NOT_MEASURED, conditions=f"no {what} in this run")


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of log y against log x (the growth exponent); None below 2 x."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def _p50(row: Row) -> float | None:
    return num(row.metrics.get("one_way_p50_ns"))


def _by_size(rows: Iterable[Row], metric: Callable[[Row], float | None]) -> dict[tuple, float]:
    out = {}
    for r in rows:
        value, size = metric(r), r.params.get("size_bytes")
        if value is not None and isinstance(size, int):
            out[(str(r.params.get("placement", "")), size)] = value
    return out


# ------------------------------------------------------------------ the verdicts


def mpi_shm_vs_tcp(table: pd.DataFrame) -> Verdict:
    """MPI (mpi4py, buffer API) over shared memory against the same library over TCP,
    p50 one-way, at each size and placement both were measured; Python TCP as context."""
    lat = rows_of(table, "latency")
    shm = _by_size((r for r in lat if r.subject == "mpi-buffer-shm"), _p50)
    net = _by_size((r for r in lat if r.subject == "mpi-buffer-net"), _p50)
    tcp = _by_size((r for r in lat if r.subject == "tcp"), _p50)
    keys = sorted(set(shm) & set(net), key=lambda k: (k[1], k[0]))
    if not keys:
        return _missing("MPI latency over both shared memory and TCP (mpi-buffer-shm/-net)")
    placements = {k[0] for k in keys}
    by_size: dict[int, bool] = {}
    parts = []
    for key in keys:
        place, size = key
        faster = shm[key] < net[key]
        by_size[size] = by_size.get(size, True) and faster
        where = f" {place}" if len(placements) > 1 else ""
        context = f", Python TCP {ratio(tcp[key] / shm[key])}" if key in tcp else ""
        parts.append(f"{format_bytes(size)}{where}: TCP/shm {ratio(net[key] / shm[key])}{context}")
    outcome, when, cond = size_split(
        by_size, wins="MPI over shared memory is faster", loses="MPI over TCP is as fast or faster"
    )
    where = _join(sorted(placements))
    return Verdict(
        outcome,
        "p50 one-way, MPI over TCP ÷ MPI over shared memory (same library): " + "; ".join(parts),
        f"{cond}; mpi4py buffer API, placement {where}, loopback",
        when,
    )


def mpi_nanoseconds(table: pd.DataFrame) -> Verdict:
    """The smallest one-way p50 of MPI over shared memory: native (C) when measured, and
    from Python. Nanoseconds = below one microsecond."""
    floors = [
        r
        for r in rows_of(table, "floor")
        if r.subject.startswith("mpi-") and r.subject.endswith("-shm") and _p50(r) is not None
    ]
    python = [r for r in rows_of(table, "latency", "mpi-buffer-shm") if _p50(r) is not None]
    if not floors and not python:
        return _missing("MPI shared-memory latency (latency suite)")

    common = {r.params.get("size_bytes") for r in floors} & {
        r.params.get("size_bytes") for r in python
    }

    def smallest(rows: list[Row]) -> tuple[float, int] | None:
        """The p50 at the smallest size both sides measured (else this side's smallest)."""
        if not rows:
            return None
        sizes = [int(r.params.get("size_bytes", 0)) for r in rows]
        size = min((s for s in sizes if s in common), default=min(sizes))
        return min(_p50(r) for r in rows if r.params.get("size_bytes") == size), size  # type: ignore[type-var]

    native, py = smallest(floors), smallest(python)
    parts = []
    if native:
        parts.append(f"C MPI_Send/MPI_Recv {ns(native[0])} at {format_bytes(native[1])}")
    if py:
        parts.append(f"mpi4py {ns(py[0])} at {format_bytes(py[1])}")
    figure = "smallest p50 one-way over shared memory: " + "; ".join(parts)
    native_ok = native is not None and native[0] < 1000
    py_ok = py is not None and py[0] < 1000
    if native is None:
        cond = "native floor not measured in this run (the C helper: latency suite)"
        return Verdict(HOLDS if py_ok else FAILS, figure, f"from Python; {cond}")
    if native_ok and (py is None or py_ok):
        return Verdict(HOLDS, figure, "below one microsecond on this machine, loopback")
    if native_ok:
        return Verdict(
            ONLY_WHEN,
            figure,
            f"the MPI library reaches {ns(native[0])}; from Python the interpreter adds "
            f"{ns(py[0] - native[0])} per message, and the one-way time is microseconds",
            "called from C (no interpreter)",
        )
    return Verdict(FAILS, figure, "microseconds even in C on this machine, loopback")


def _marshal_time(rows: list[Row], codec: str, payload: str) -> float | None:
    total = 0.0
    for op in ("encode", "decode"):
        medians = [
            num(r.median)
            for r in rows
            if r.subject == codec
            and r.params.get("payload") == payload
            and r.params.get("op") == op
        ]
        if not medians or medians[0] is None:
            return None
        total += medians[0]
    return total


def json_inefficient(table: pd.DataFrame) -> Verdict:
    """JSON against protobuf: bytes and encode+decode time (marshalling: stdlib json
    against protobuf; RPC: Connect JSON against Connect protobuf), and zlib-compressed
    JSON beside uncompressed protobuf."""
    checks: list[tuple[str, bool]] = []
    parts: list[str] = []
    notes: list[str] = []
    marshal = rows_of(table, "marshalling")
    payloads = [
        p
        for p in dict.fromkeys(r.params.get("payload") for r in marshal)
        if any(r.subject == "json" and r.params.get("payload") == p for r in marshal)
        and any(r.subject == "protobuf" and r.params.get("payload") == p for r in marshal)
    ]
    for payload in payloads:
        j = next(r for r in marshal if r.subject == "json" and r.params.get("payload") == payload)
        p = next(
            r for r in marshal if r.subject == "protobuf" and r.params.get("payload") == payload
        )
        jb, pb = num(j.metrics.get("encoded_bytes")), num(p.metrics.get("encoded_bytes"))
        jt, pt = (
            _marshal_time(marshal, "json", payload),
            _marshal_time(marshal, "protobuf", payload),
        )
        bits = []
        if jb and pb:
            checks.append((f"{payload} bytes", jb > pb))
            bits.append(f"bytes {ratio(jb / pb)}")
            jz = num(j.metrics.get("compressed_bytes"))
            if jz:
                bits.append(f"zlib JSON ÷ raw protobuf {ratio(jz / pb)}")
                if jz <= pb:
                    notes.append(f"{payload}: compressed JSON is no bigger than protobuf")
        if jt and pt:
            checks.append((f"{payload} encode+decode", jt > pt))
            bits.append(f"encode+decode {ratio(jt / pt)}")
        if bits:
            parts.append(f"marshalling {payload}: " + ", ".join(bits))
    rpc = rows_of(table, "rpc", measure="latency")
    for r in rpc:
        if r.subject != "connect-json":
            continue
        twin = next(
            (
                t
                for t in rpc
                if t.subject == "connect-proto"
                and t.params.get("payload") == r.params.get("payload")
                and t.params.get("placement") == r.params.get("placement")
            ),
            None,
        )
        if twin is None:
            continue
        jt, pt = num(r.metrics.get("p50_ns")), num(twin.metrics.get("p50_ns"))
        jb, pb = (
            num(r.metrics.get("encoded_reply_bytes")),
            num(twin.metrics.get("encoded_reply_bytes")),
        )
        payload = r.params.get("payload")
        bits = []
        if jt and pt:
            checks.append((f"Connect {payload} call", jt > pt))
            bits.append(f"p50 {ratio(jt / pt)}")
        if jb and pb:
            checks.append((f"Connect {payload} bytes", jb > pb))
            bits.append(f"reply bytes {ratio(jb / pb)}")
        if bits:
            parts.append(f"Connect JSON ÷ Connect protobuf, {payload}: " + ", ".join(bits))
    compressed = _connect_compression(rows_of(table, "rpc", measure="compression"), parts)
    if not checks:
        return _missing("json and protobuf marshalling rows, nor Connect JSON/protobuf RPC rows")
    outcome, when = split(checks, held="for", failed="for")
    cond = {
        HOLDS: "JSON is bigger and slower than protobuf in every comparison made",
        FAILS: "JSON was never bigger nor slower than protobuf here",
    }.get(outcome, "JSON is worse only in part of the comparisons")
    cond += (
        "; Connect with gzip on the wire in both codecs: " + "; ".join(compressed)
        if compressed
        else "; Connect ran without compression (off in both codecs); zlib figures are from "
        "the marshalling suite's encoded bytes"
    )
    if notes:
        cond += "; " + "; ".join(notes) + " (the cost is that it is sent uncompressed)"
    return Verdict(outcome, "JSON ÷ protobuf: " + "; ".join(parts), cond, when)


def _connect_compression(rows: list[Row], parts: list[str]) -> list[str]:
    """Connect JSON against Connect protobuf with gzip on (rows of measure
    ``compression``): adds the figures to *parts*, returns the conditions' notes (empty
    when the run had no such rows). Context for the claim, not one of its checks: the
    lecture's claim is about JSON sent whole, uncompressed."""
    notes = []
    gz = [r for r in rows if r.params.get("compression") == "gzip"]
    for r in (r for r in gz if r.subject == "connect-json"):
        payload = r.params.get("payload")
        twin = next(
            (t for t in gz if t.subject == "connect-proto" and t.params.get("payload") == payload),
            None,
        )
        if twin is None:
            continue
        jb, pb = (
            num(r.metrics.get("wire_message_bytes")),
            num(twin.metrics.get("wire_message_bytes")),
        )
        jt, pt = num(r.metrics.get("p50_ns")), num(twin.metrics.get("p50_ns"))
        bits = []
        if jb and pb:
            bits.append(f"gzipped bytes {ratio(jb / pb)}")
            raw = num(r.metrics.get("message_bytes"))
            if raw:
                notes.append(f"{payload}: gzip shrinks the JSON message to {jb / raw:.0%}")
        if jt and pt:
            bits.append(f"p50 {ratio(jt / pt)}")
        if bits:
            parts.append(f"Connect JSON ÷ protobuf with gzip, {payload}: " + ", ".join(bits))
    return notes


RECV_COST = 1.05
"""recv(1024) costs something when its p50 round trip exceeds one buffer's by 5%."""


def recv_1024(table: pd.DataFrame) -> Verdict:
    rows = [r for r in rows_of(table, "latency", "tcp-recv1024")]
    over = {}
    for r in rows:
        value, size = num(r.metrics.get("over_one_buffer_p50")), r.params.get("size_bytes")
        if value is not None and isinstance(size, int):
            over.setdefault(size, []).append(value)
    if not over:
        return _missing("recv(1024) against one-buffer TCP rows (latency suite, references)")
    worst = {size: min(values) for size, values in over.items()}  # the kinder placement
    outcome, when, cond = size_split(
        {s: v > RECV_COST for s, v in worst.items()},
        wins="recv(1024) costs more than 5% over one buffer",
        loses="it costs nothing measurable (within 5%)",
    )
    figure = "p50 round trip, recv(1024) joined ÷ recv_into one buffer: " + "; ".join(
        f"{format_bytes(s)} {ratio(v)}" for s, v in sorted(worst.items())
    )
    return Verdict(
        outcome, figure, f"{cond}; hand-written TCP ping-pong, best of the placements", when
    )


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
        return _missing(
            "ZeroMQ crash rows (messaging --profile full kills a ZeroMQ producer and consumer)"
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
    paced = f" at {_join(f'{x:g}' for x in sorted(rates))} messages/s" if rates else ""
    cond = "ZeroMQ PUSH/PULL, no broker: what a dead peer's queue held is gone"
    if outcome == FAILS:
        cond = f"no message was lost when a peer died in this run (stream paced{paced})"
    elif outcome == ONLY_WHEN:
        spared = _join(r.params["fault"] for r in rows if not _loss(r))
        cond += f"; after {spared} nothing sent was lost (the stream was paced{paced})"
    return Verdict(outcome, figure, cond, when)


def push_pull_share(table: pd.DataFrame) -> Verdict:
    rows = []
    for r in rows_of(table, "messaging", "zmq", measure="pullers"):
        shares = r.metrics.get("deliveries_per_puller")
        if isinstance(shares, list) and len(shares) >= 2 and sum(shares) > 0:
            rows.append((r, shares))
    if not rows:
        return _missing("ZeroMQ PUSH/PULL rows with two or more pullers (messaging suite)")
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
        return _missing("broker crash rows (messaging suite)")
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
    return Verdict(outcome, "; ".join(parts), cond, when)


def mpi_not_fault_tolerant(table: pd.DataFrame) -> Verdict:
    rows = [r for r in rows_of(table, "messaging", "mpi", measure="rank-kill")]
    rows = [r for r in rows if num(r.metrics.get("survivors")) is not None]
    if not rows:
        return _missing("MPI rank-kill rows (messaging suite)")
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


TREES = ("kary_tree", "random_tree")


def flooding_counts(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "flood")
        if not r.params.get("fail_nodes")
        and not r.params.get("fail_links")
        and num(r.metrics.get("messages")) is not None
        and num(r.metrics.get("n")) is not None
    ]
    tree = sorted(
        (r.metrics["n"], r.metrics["messages"]) for r in rows if r.params.get("topology") in TREES
    )
    full = sorted(
        (r.metrics["n"], r.metrics["messages"])
        for r in rows
        if r.params.get("topology") == "complete"
    )
    if not tree and not full:
        return _missing("floods of a tree or a complete graph (dissemination suite)")

    def describe(points: list, formula: str) -> str:
        slope = _slope([p[0] for p in points], [p[1] for p in points])
        each = ", ".join(f"{count(m)} at n = {count(n)}" for n, m in points)
        return f"{each} ({formula}" + (f"; growth n^{slope:.2f})" if slope is not None else ")")

    parts = []
    if tree:
        parts.append(
            "tree: "
            + describe(tree, "n − 1 exactly" if all(m == n - 1 for n, m in tree) else "not n − 1")
        )
    if full:
        exact = all(m == (n - 1) ** 2 for n, m in full)
        parts.append(
            "complete graph: " + describe(full, "(n − 1)² exactly" if exact else "not (n − 1)²")
        )
    figure = "messages per flood: " + "; ".join(parts)
    tree_ok = bool(tree) and all(m == n - 1 for n, m in tree)
    full_ok = bool(full) and all(m == (n - 1) ** 2 for n, m in full)
    if not tree or not full:
        half = "tree" if tree else "complete graph"
        other = "complete graph" if tree else "tree"
        ok = tree_ok if tree else full_ok
        return Verdict(
            NOT_MEASURED,
            figure,
            f"no flood of a {other} in this run; the {half} half "
            + ("holds" if ok else "does not hold"),
        )
    outcome, when = split(
        [("on a tree", tree_ok), ("on the complete graph", full_ok)], held="", failed=""
    )
    return Verdict(
        outcome, figure, "exact counts, no failures: n − 1 on a tree, (n − 1)² on Kₙ", when.strip()
    )


def rumor_residue(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "rumor")
        if num(r.metrics.get("residue")) is not None and num(r.params.get("k")) is not None
    ]
    if not rows:
        return _missing("rumor-mongering rows (dissemination suite)")
    variants: dict[str, list[tuple[float, float, float | None]]] = {}
    for r in rows:
        variants.setdefault(str(r.params.get("variant", "rumor")), []).append(
            (float(r.params["k"]), float(r.metrics["residue"]), num(r.metrics.get("t_last")))
        )
    parts, ks_zero, falls = [], [], True
    for variant, points in variants.items():
        points.sort()
        parts.append(f"{variant}: " + ", ".join(f"k={k:g} s={s:.3g}" for k, s, _ in points))
        ks_zero += [k for k, s, _ in points if s <= 0]
        residues = [s for _, s, _ in points]
        falls = falls and all(a >= b for a, b in itertools.pairwise(residues))
    n = rows[0].params.get("n")
    t_last = [t for pts in variants.values() for _, _, t in pts if t is not None]
    fast = (
        f"; the last site informed within {max(t_last):.3g} cycles (n = {n})"
        if t_last and n
        else ""
    )
    trend = "the residue falls as k grows" if falls else "the residue does not fall steadily with k"
    figure = "residue s (share never informed): " + "; ".join(parts)
    if not ks_zero:
        return Verdict(HOLDS, figure, f"s > 0 at every k: some sites never hear; {trend}{fast}")
    if len(ks_zero) == len(rows):
        return Verdict(FAILS, figure, f"every site was informed at every k{fast}")
    cut = min(ks_zero)
    return Verdict(
        ONLY_WHEN,
        figure,
        f"s > 0 below k = {cut:g}; from there on every site heard in every run; {trend}{fast}",
        f"k < {cut:g}",
    )


def death_certificates(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "death-certificates")
        if num(r.metrics.get("resurrected")) is not None
    ]
    if not rows:
        return _missing("death-certificate rows (dissemination suite)")
    by_tau: dict[Any, dict[Any, Row]] = {}
    for r in rows:
        by_tau.setdefault(r.params.get("tau"), {})[r.params.get("r")] = r
    checks, parts, woke = [], [], 0.0
    for tau in sorted(by_tau, key=lambda t: (t is None, t)):
        per_r = by_tau[tau]
        bits = []
        for r_value in sorted(per_r, key=lambda v: (v is None, v)):
            m = per_r[r_value].metrics
            bits.append(f"r={r_value}: {pct(num(m['resurrected']))}")
            if r_value:
                woke = max(woke, num(m.get("reactivations")) or 0.0)
        parts.append(f"tau={tau}: " + ", ".join(bits))
        bare = per_r.get(0)
        dormant = [per_r[v] for v in per_r if v]
        if bare is None or num(bare.metrics["resurrected"]) == 0:
            checks.append((f"tau = {tau}", bare is not None))  # certificates alone held it off
        elif dormant:
            best = min(num(d.metrics["resurrected"]) or 0.0 for d in dormant)
            checks.append((f"tau = {tau}", best == 0))
    if not checks:
        return _missing("death-certificate rows with r = 0")
    outcome, when = split(checks, held="", failed="at")
    figure = "runs where the deleted item resurrected: " + "; ".join(parts)
    cond = (
        f"r = dormant copies kept, tau = cycles an active certificate lives; dormant copies "
        f"woke up to {count(woke)} times per run (mean over runs, r > 0)"
    )
    return Verdict(outcome, figure, cond, when.strip())


def group_nonmembers(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "dissemination", "group")
        if num(r.metrics.get("flood.nonmember_messages")) is not None
        and num(r.metrics.get("member-tree.nonmember_messages")) is not None
    ]
    if not rows:
        return _missing("group multicast rows (dissemination suite)")
    checks, parts = [], []
    for r in sorted(rows, key=lambda r: r.params.get("members") or 0):
        flood = num(r.metrics["flood.nonmember_messages"]) or 0.0
        tree = num(r.metrics["member-tree.nonmember_messages"]) or 0.0
        m, n = r.params.get("members"), r.params.get("n")
        checks.append((f"m = {m}", tree == 0 and flood > 0))
        parts.append(f"m = {m} of {n}: flooding {count(flood)}, member tree {count(tree)}")
    outcome, when = split(checks, held="with", failed="with")
    cond = (
        "a tree over the members keeps every message away from non-members; flooding the "
        "overlay reaches them"
    )
    return Verdict(outcome, "messages delivered to non-members: " + "; ".join(parts), cond, when)


TREE_METRICS = ("stress_max", "rdp_p90", "cost")
REFERENCE_TREES = ("unicast", "ip-multicast")


def tree_quality(table: pd.DataFrame) -> Verdict:
    rows = rows_of(table, "dissemination", "tree")
    if not rows:
        return _missing("multicast tree rows (dissemination suite)")
    metrics = rows[0].metrics
    kinds = [
        k
        for k in dict.fromkeys(key.split(".")[0] for key in metrics if "." in key)
        if k not in REFERENCE_TREES
        and all(num(metrics.get(f"{k}.{m}")) is not None for m in TREE_METRICS)
    ]
    if not kinds:
        return _missing("tree kinds with stress, RDP and cost")
    values = {k: {m: num(metrics[f"{k}.{m}"]) for m in TREE_METRICS} for k in kinds}
    figure = "; ".join(
        f"{k}: stress max {values[k]['stress_max']:.3g}, RDP p90 {values[k]['rdp_p90']:.3g}, "
        f"cost {values[k]['cost']:.4g}"
        for k in kinds
    )
    best = {m: min(kinds, key=lambda k: values[k][m]) for m in TREE_METRICS}
    distinct = len(kinds) > 1 and any(len({values[k][m] for k in kinds}) > 1 for m in TREE_METRICS)
    if not distinct:
        return Verdict(FAILS, figure, "the three metrics do not tell the trees apart here")
    trade = len(set(best.values())) > 1
    cond = (
        "no tree is best on all three, so each metric is needed: "
        if trade
        else "one tree is best on all three: "
    ) + ", ".join(f"{m} → {best[m]}" for m in TREE_METRICS)
    return Verdict(HOLDS, figure, cond + " (lower is better)")


BYREF_TIE = 0.9
"""By reference "wins" at a size only when its p50 is below 90% of by value's."""


def byref_int(table: pd.DataFrame) -> Verdict:
    rows = []
    for r in rows_of(table, "rpc", measure="by-reference"):
        sizes = r.params.get("sizes_bytes")
        value, ref = r.metrics.get("value_p50_ns"), r.metrics.get("reference_p50_ns")
        if isinstance(sizes, list) and isinstance(value, list) and isinstance(ref, list) and sizes:
            rows.append((r, sizes, value, ref))
    if not rows:
        return _missing("by-value against by-reference RPC rows (rpc suite)")
    checks, parts = [], []
    for r, sizes, value, ref in rows:
        i = sizes.index(min(sizes))
        label = f"{r.subject}, access {r.params.get('access')}"
        checks.append((label, ref[i] >= BYREF_TIE * value[i]))
        cross = num(r.metrics.get("crossover_bytes"))
        where = (
            f", by reference pays from {format_bytes(cross)}"
            if cross is not None
            else ", by reference never pays"
        )
        parts.append(
            f"{label}: {format_bytes(sizes[i])} by value {ns(value[i])}, "
            f"by reference {ns(ref[i])}{where}"
        )
    outcome, when = split(checks, held="for", failed="for")
    cond = {
        HOLDS: "at the smallest size a global reference gains nothing (not 10% faster); it "
        "pays only for big objects",
        FAILS: "a global reference was faster even for the smallest value",
    }.get(outcome, "a global reference was faster for the smallest value in some cases")
    return Verdict(outcome, "; ".join(parts), cond, when)


def retries(table: pd.DataFrame) -> Verdict:
    rows = [
        r
        for r in rows_of(table, "rpc", measure="faults")
        if num(r.metrics.get("success_rate")) is not None
    ]
    if not rows:
        return _missing("RPC fault rows (rpc suite)")
    checks, parts, dups, extra = [], [], 0, 0
    groups: dict[tuple, list[Row]] = {}
    for r in rows:
        groups.setdefault((r.subject, r.params.get("fault")), []).append(r)
    for (framework, fault), members in groups.items():
        bare = next((r for r in members if r.params.get("retry_policy") in (None, "none")), None)
        tried = [r for r in members if r.params.get("retry_policy") not in (None, "none")]
        if bare is None or not tried:
            continue
        base = num(bare.metrics["success_rate"]) or 0.0
        best = max(tried, key=lambda r: num(r.metrics["success_rate"]) or 0.0)
        rate = num(best.metrics["success_rate"]) or 0.0
        dups += sum(int(num(r.metrics.get("duplicates")) or 0) for r in tried)
        extra += sum(int(num(r.metrics.get("extra_executions")) or 0) for r in tried)
        parts.append(
            f"{framework} {fault}: {pct(base)} without retries, {pct(rate)} with "
            f"{best.params.get('retry_policy')}"
        )
        if base < 1.0:
            checks.append((f"{framework} under {fault}", rate > base))
    figure = (
        "success rate: "
        + "; ".join(parts)
        + f"; under retries {dups} duplicates, {extra} extra executions"
    )
    if not parts:
        return _missing("RPC fault rows with and without retries")
    if not checks:
        return Verdict(HOLDS, figure, "no call failed even without retries: nothing to retry here")
    outcome, when = split(checks, held="for", failed="for")
    cond = {
        HOLDS: "retries turned failed calls into successes",
        FAILS: "retries did not raise the success rate",
    }.get(outcome, "retries helped only in part")
    cond += f"; they are at-least-once: {extra} calls ran more than once"
    return Verdict(outcome, figure, cond, when)


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
        return _missing("partition rows of the cap suite")
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
        return _missing("cap rows that kill a member (only partitions were run)")
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
        return _missing("availability of the surviving members in member-kill rows")
    outcome, when = split(checks, held="for", failed="for")
    cond = (
        f"available = the surviving members answered at least {AVAILABLE:.0%} of their "
        "operations while one member was dead (the failover included)"
    )
    return Verdict(outcome, "; ".join(parts), cond, when)


# ------------------------------------------------------------------ the registry

for _claim in (
    Claim(
        "mpi-shm",
        "Tiene optimizaciones para compartir mensajes por memoria, para ser más rápido "
        "que la interfaz TCP/IP incluso localmente.",
        "MPI shares messages through memory and so beats TCP/IP, even on one machine.",
        ("latency",),
        mpi_shm_vs_tcp,
        ("latency-size", "latency-table"),
        "one-way p50, MPI over TCP ÷ MPI over shared memory, per size",
    ),
    Claim(
        "mpi-ns",
        "Funciona mejor en escenarios de baja latencia y amplio ancho de banda. / Baja "
        "latencia en estos escenarios refiere a nanosegundos.",
        "MPI targets very low latency: nanoseconds.",
        ("latency", "floor"),
        mpi_nanoseconds,
        ("floor-table", "native-floors", "floor-medians", "latency-table"),
        "smallest one-way p50 over shared memory, C and Python",
    ),
    Claim(
        "json-rpc",
        "¿Por qué no usamos JSON para sincronizar 2 stubs en RPC? => Porque es súper "
        "ineficiente, si mando el JSON lo mando entero, no se comprime. Si bien existe RPC "
        "para JSON, es una […].",
        "JSON is very inefficient for RPC stubs: sent whole, not compressed.",
        ("marshalling", "rpc"),
        json_inefficient,
        ("rpc-latency-table", "marshalling-table"),
        "JSON ÷ protobuf bytes and time; Connect JSON ÷ Connect protobuf",
    ),
    Claim(
        "recv-1024",
        "La implementación en Python tiene la particularidad de que escuchan de a N bytes. "
        "En el caso del ejemplo del slide, escucha de a 1024 bytes (1 kB).",
        "Python sockets read N bytes at a time (1024 in the example): what that costs.",
        ("latency",),
        recv_1024,
        ("latency-table",),
        "p50 round trip, recv(1024) ÷ one buffer, per size",
    ),
    Claim(
        "zmq-peer-death",
        "Si P2 quiere escuchar a P1 pero P1 muere, el mensaje que P1 le había mandado se "
        "pierde para siempre.",
        "ZeroMQ: if the peer dies, the messages it queued are lost forever.",
        ("messaging",),
        zmq_peer_death,
        ("msg-loss",),
        "ZeroMQ messages never delivered after a peer was killed",
    ),
    Claim(
        "push-pull",
        "El modelo PUSH/PULL lo que permite es distribuir los mensajes entre todos los "
        '"oyentes", y con que uno sólo lo escuche ta bien.',
        "PUSH/PULL spreads the messages over the listeners; one listener per message is enough.",
        ("messaging",),
        push_pull_share,
        ("msg-pullers",),
        "share of the stream each puller received",
    ),
    Claim(
        "mom-persistence",
        "Si se muere el proceso de la queue en estos casos (pensando en queues que viven en "
        "memoria), se pierden los mensajes",
        "A queue process living in memory that dies loses its messages; a persistent MoM does not.",
        ("messaging",),
        mom_persistence,
        ("msg-loss",),
        "messages lost per broker and mode when the broker dies",
    ),
    Claim(
        "mpi-faults",
        "No está adaptado para funcionar con tolerancia a fallos, si algo falla todo el "
        "sistema falla",
        "MPI is not fault tolerant: one failure brings the whole job down.",
        ("messaging",),
        mpi_not_fault_tolerant,
        ("msg-rank-kill", "msg-loss"),
        "survivors aborted and the time to abort after one rank is killed",
    ),
    Claim(
        "flooding",
        "El mejor escenario es un grafo que sea un árbol (orden lineal de cantidad de "
        "mensajes), y el peor es un grafo completamente conectado (orden cuadrático).",
        "Flooding costs linear messages on a tree and quadratic on a complete graph.",
        ("dissemination",),
        flooding_counts,
        ("dissemination-flood",),
        "messages per flood against n",
    ),
    Claim(
        "rumor-residue",
        "Este método ta güeno para compartir información rápidamente pero no garantiza que "
        "todos los nodos van a recibir todas las actualizaciones.",
        "Rumor spreading is fast but does not guarantee every node gets the update.",
        ("dissemination",),
        rumor_residue,
        ("dissemination-rumor",),
        "residue s against k",
    ),
    Claim(
        "death-certificates",
        "Para garantizar un delete, algunos nodos van a mantener una lista de certificados "
        "permanente, de forma que si les llega un update sobre data que debería estar "
        "eliminada pueden volver a esparcir el certificado de defunción.",
        "Death certificates stop deleted data coming back; dormant copies kept by a few "
        "nodes spread them again.",
        ("dissemination",),
        death_certificates,
        ("dissemination-dc",),
        "resurrections with and without dormant certificates",
    ),
    Claim(
        "multicast-nonmembers",
        "Y obviamente quiero reducir la cantidad de nodos que procesan mensajes que no son "
        "para ellos.",
        "Multicast should keep messages away from nodes outside the group.",
        ("dissemination",),
        group_nonmembers,
        ("group-multicast", "dissemination-times"),
        "messages to non-members: flooding against a tree over the members",
    ),
    Claim(
        "tree-metrics",
        "Hay 3 métricas para medir la calidad del árbol: link stress, relative delay penalty "
        "(RDP) y tree cost.",
        "Tree quality is measured by link stress, RDP and tree cost.",
        ("dissemination",),
        tree_quality,
        ("dissemination-tree",),
        "link stress, RDP and cost per tree",
    ),
    Claim(
        "byref-int",
        "Claramente, esto se hace cuando tenemos objetos relativamente pesados, si paso un "
        "int o un boolean por referencias globales usando RPC, soy un […].",
        "Global references are for heavy objects; passing an int by global reference is foolish.",
        ("rpc",),
        byref_int,
        ("rpc-byref",),
        "by value against by reference at the smallest size, and the crossover",
    ),
    Claim(
        "retry",
        "Si la llamada falla en un HTTP Request, tengo que poder hacer un re-try.",
        "A failed call must be retried.",
        ("rpc",),
        retries,
        ("rpc-faults", "rpc-fault-timeline"),
        "success rate without and with retries, duplicates",
    ),
    Claim(
        "cap-payments",
        "En cambio, para casos como los pagos, voy a necesitar darle prioridad a la "
        "consistencia. No puedo darle un servicio al usuario hasta que sepa que pagó.",
        "Payments need consistency; recommendations can take staleness (normative).",
        ("cap",),
        cap_consistency,
        ("cap-table", "cap-medians"),
        "stale reads and minority availability per store and mode",
    ),
    Claim(
        "replicas",
        "Problema: se cae una instancia, pierdo disponibilidad / Solución: replicar "
        "las instancias con un cierto criterio.",
        "Replicas keep a service available when an instance dies.",
        ("cap",),
        replicas_available,
        ("cap-table", "cap-medians"),
        "availability of the surviving members with one member killed",
    ),
):
    register(_claim)

SOURCE = "shared/seed/000_b2499ba96b2f0d20.txt"
"""Where the quotes come from: the lecture notes (Spanish), beside the project."""

__all__ = [
    "CLAIMS",
    "FAILS",
    "HOLDS",
    "NOT_MEASURED",
    "ONLY_WHEN",
    "OUTCOMES",
    "Claim",
    "Verdict",
    "check",
    "check_runs",
    "claims_table",
    "disagreement_line",
    "disagreements",
    "judge",
    "register",
    "rows_of",
]
