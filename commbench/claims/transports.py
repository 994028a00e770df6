"""The transport claims: MPI over shared memory against TCP, MPI's nanoseconds, and
what Python's recv(1024) costs (rows of the ``latency`` and ``floor`` families)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from commbench.claims.base import (
    FAILS,
    HOLDS,
    ONLY_WHEN,
    Row,
    Verdict,
    join,
    missing,
    ns,
    num,
    ratio,
    rows_of,
    size_split,
)
from commbench.units import format_bytes


def _p50(row: Row) -> float | None:
    return num(row.metrics.get("one_way_p50_ns"))


def _by_size(rows: Iterable[Row], metric: Callable[[Row], float | None]) -> dict[tuple, float]:
    out = {}
    for r in rows:
        value, size = metric(r), r.params.get("size_bytes")
        if value is not None and isinstance(size, int):
            out[(str(r.params.get("placement", "")), size)] = value
    return out


def mpi_shm_vs_tcp(table: pd.DataFrame) -> Verdict:
    """MPI (mpi4py, buffer API) over shared memory against the same library over TCP,
    p50 one-way, at each size and placement both were measured; Python TCP as context."""
    lat = rows_of(table, "latency")
    shm = _by_size((r for r in lat if r.subject == "mpi-buffer-shm"), _p50)
    net = _by_size((r for r in lat if r.subject == "mpi-buffer-net"), _p50)
    tcp = _by_size((r for r in lat if r.subject == "tcp"), _p50)
    keys = sorted(set(shm) & set(net), key=lambda k: (k[1], k[0]))
    if not keys:
        return missing("MPI latency over both shared memory and TCP (mpi-buffer-shm/-net)")
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
    where = join(sorted(placements))
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
        return missing("MPI shared-memory latency (latency suite)")

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
        return missing("recv(1024) against one-buffer TCP rows (latency suite, references)")
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
