"""Native floors: each transport's round trip measured by C, beside the suite's Python loop.

For every latency transport of the suite, ``FLOORS[name]`` lists the tools that
measure the same thing without the interpreter, at the same placement and size:

* ``c-helper``: the small C programs of ``native/`` (built by ``make native``):
  a raw ping-pong over TCP, Unix domain stream sockets or UDP (``pingpong_sock``),
  two processes spinning on a shared mapping (``pingpong_shm``, the C twin of
  ``shm.py``), ZeroMQ REQ/REP (tcp://, ipc://, inproc:// with the REP a thread) linked
  against the libzmq bundled in pyzmq's wheel (``pingpong_zmq``), MPI_Send/MPI_Recv
  built with the venv's ``mpicc`` and run by its ``mpiexec`` (``pingpong_mpi``).
  Every round trip is timed (CLOCK_MONOTONIC).
* ``sockperf`` (Debian): TCP and UDP ping-pong; every round trip from its full log.
* ``qperf`` (Debian), a second opinion for TCP and UDP: it prints only the mean,
  so its "samples" are one mean round trip per run.

``STREAM_FLOORS`` do the same for streams: the C helper (TCP, UDS) and ``iperf3``
(TCP). A tool, helper or library that is missing raises :class:`Unsupported` with
the reason: an unsupported row, never a crash. :func:`interpreter_share` joins the
suite's latency rows with the floor rows of a result table: the interpreter's share.
"""

from __future__ import annotations

import pandas as pd

from commbench.transports import Unsupported
from commbench.transports.native.base import (
    BUILD_DIR,
    BUILD_ENV,
    FULL,
    PROFILES,
    QUICK,
    SOCKPERF_MAX_BYTES,
    TOOLS,
    UDP_MAX_BYTES,
    Floor,
    FloorError,
    FloorProfile,
    FloorSamples,
    StreamFloor,
    StreamSamples,
)
from commbench.transports.native.helpers import (
    build,
    c_floor,
    c_stream,
    helper_path,
    mpi_floor,
    parse_helper_output,
    warmup_for,
)
from commbench.transports.native.tools import (
    iperf3_stream,
    parse_qperf_latency_ns,
    parse_sockperf_full_log,
    port_bound,
    qperf_floor,
    sockperf_floor,
    spread,
)

__all__ = [
    "BUILD_DIR", "BUILD_ENV", "FLOORS", "FULL", "JOIN_KEYS", "PROFILES", "QUICK",
    "SOCKPERF_MAX_BYTES", "STREAM_FLOORS", "TOOLS", "UDP_MAX_BYTES", "Floor", "FloorError",
    "FloorProfile", "FloorSamples", "StreamFloor", "StreamSamples", "build", "floors_for",
    "helper_path", "interpreter_share", "parse_helper_output", "parse_qperf_latency_ns",
    "parse_sockperf_full_log", "port_bound", "spread", "warmup_for",
]  # fmt: skip


# ------------------------------------------------------------------ the registries

_C = "C helper (native/)"
FLOORS: dict[str, tuple[Floor, ...]] = {
    "tcp": (
        Floor("c-helper", f"{_C}: raw TCP ping-pong, TCP_NODELAY", c_floor("pingpong_sock", "tcp")),
        Floor("sockperf", "sockperf ping-pong --tcp", sockperf_floor("tcp"), SOCKPERF_MAX_BYTES),
        Floor("qperf", "qperf tcp_lat (mean only)", qperf_floor("tcp")),
    ),
    "uds": (Floor("c-helper", f"{_C}: AF_UNIX stream ping-pong", c_floor("pingpong_sock", "uds")),),
    "udp": (
        Floor("c-helper", f"{_C}: UDP ping-pong", c_floor("pingpong_sock", "udp"), UDP_MAX_BYTES),
        Floor("sockperf", "sockperf ping-pong (UDP)", sockperf_floor("udp"), SOCKPERF_MAX_BYTES),
        Floor("qperf", "qperf udp_lat (mean only)", qperf_floor("udp"), UDP_MAX_BYTES),
    ),
    "zmq-reqrep-tcp": (
        Floor("c-helper", f"{_C}: libzmq REQ/REP tcp://", c_floor("pingpong_zmq", "tcp")),
    ),
    "zmq-reqrep-ipc": (
        Floor("c-helper", f"{_C}: libzmq REQ/REP ipc://", c_floor("pingpong_zmq", "ipc")),
    ),
    "zmq-reqrep-inproc": (
        Floor(
            "c-helper",
            f"{_C}: libzmq REQ/REP inproc://, REP a thread on the same context",
            c_floor("pingpong_zmq", "inproc"),
        ),
    ),
    "shm-floor": (
        Floor(
            "c-helper",
            f"{_C}: shared mapping, both spin",
            c_floor("pingpong_shm", "shm"),
            None,
            True,
        ),
    ),
    **{
        f"mpi-{api}-{path}": (
            Floor("c-helper", f"{_C}: MPI_Send/MPI_Recv, {path}", mpi_floor(path), None, True),
        )
        for api in ("buffer", "pickle")
        for path in ("shm", "net")
    },
}
"""Transport name (the suite's) -> the tools measuring its floor, C helper first."""

STREAM_FLOORS: dict[str, tuple[StreamFloor, ...]] = {
    "tcp": (
        StreamFloor("c-helper", f"{_C}: TCP writes of the message size", c_stream("tcp")),
        StreamFloor("iperf3", "iperf3 -n BYTES -l SIZE", iperf3_stream),
    ),
    "uds": (StreamFloor("c-helper", f"{_C}: AF_UNIX writes of the message size", c_stream("uds")),),
}


def floors_for(transport: str) -> tuple[Floor, ...]:
    """The floors of *transport*; :class:`Unsupported` when it has none."""
    if transport not in FLOORS:
        raise Unsupported(f"no native floor for {transport}")
    return FLOORS[transport]


# ------------------------------------------------------------------ the interpreter's share

JOIN_KEYS = ("transport", "placement", "size_bytes", "path")


def interpreter_share(
    table: pd.DataFrame, tool: str = "c-helper", metric: str = "metric.one_way_p50_ns"
) -> pd.DataFrame:
    """The suite's latency rows joined with their floor rows (same run, transport,
    placement, size, path): the Python figure, the floor, their difference and ratio.

    *table* is :func:`commbench.results.tidy`'s frame (``family``, the params as
    columns, ``metric.*``). Columns of the answer: the join keys, ``tool``,
    ``python_ns``, ``floor_ns``, ``interpreter_ns`` (python - floor) and
    ``python_over_floor``. Rows without a floor (or without a Python figure) are left out.
    """
    columns = [*JOIN_KEYS, "tool", "python_ns", "floor_ns", "interpreter_ns", "python_over_floor"]
    needed = {"family", metric, *JOIN_KEYS}
    if table.empty or not needed <= set(table.columns):
        return pd.DataFrame(columns=columns)
    keys = list(JOIN_KEYS) + (["file"] if "file" in table.columns else [])
    python = table[table["family"] == "latency"][[*keys, metric]]
    floors = table[table["family"] == "floor"]
    if "tool" in floors.columns:
        floors = floors[floors["tool"] == tool]
    floors = floors[[*keys, metric]]
    joined = python.merge(floors, on=keys, suffixes=("_python", "_floor"))
    joined = joined.dropna(subset=[f"{metric}_python", f"{metric}_floor"])
    python_ns = joined[f"{metric}_python"].astype(float)
    floor_ns = joined[f"{metric}_floor"].astype(float)
    result = joined[list(JOIN_KEYS)].copy()
    result["tool"] = tool
    result["python_ns"] = python_ns
    result["floor_ns"] = floor_ns
    result["interpreter_ns"] = python_ns - floor_ns
    result["python_over_floor"] = python_ns / floor_ns
    return result.sort_values(list(JOIN_KEYS)).reset_index(drop=True)[columns]
