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

import contextlib
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commbench.transports import Unsupported
from commbench.transports.placement import Placement

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = ROOT / "native" / "build"
BUILD_ENV = "COMMBENCH_NATIVE_BUILD"  # another build directory (the tests build their own)
TOOLS = ("c-helper", "sockperf", "qperf", "iperf3")
SOCKPERF_MAX_BYTES = 65506  # sockperf refuses larger messages
UDP_MAX_BYTES = 65507
WARMUP_ROUND_TRIPS = 1000
SERVER_START_S = 10.0  # for a reference server to bind its port (a loaded host is slow)
MPI_LAUNCH_ALLOWANCE_S = 60.0


@dataclass(frozen=True)
class FloorProfile:
    """The floors' knobs for one profile (folded into commbench/profiles.py later)."""

    max_seconds: float  # one helper run, start to end
    reference_seconds: int  # one sockperf / qperf run (whole seconds, at least 1)
    reference_sizes_bytes: tuple[int, ...] | None  # sizes sockperf and qperf measure (None: all)
    stream_runs: int  # runs per stream floor


# sockperf takes 3.5 s a run whatever -t says (warm-up, then a 2 s sleep), so the quick
# profile runs the Debian tools at 64 B only; the C helpers measure every size.
QUICK = FloorProfile(
    max_seconds=20.0, reference_seconds=1, reference_sizes_bytes=(64,), stream_runs=1
)
FULL = FloorProfile(
    max_seconds=60.0, reference_seconds=3, reference_sizes_bytes=None, stream_runs=3
)
PROFILES = {"quick": QUICK, "full": FULL}


@dataclass(frozen=True)
class FloorSamples:
    """One floor run: round-trip times (ns) and what was measured with what.

    ``per_round_trip`` is False when the tool prints only a mean (qperf): then each
    value of ``rtt_ns`` is the mean round trip of one run.
    """

    rtt_ns: np.ndarray
    tool: str
    info: dict[str, Any] = field(default_factory=dict)
    per_round_trip: bool = True
    lost: int = 0

    @property
    def one_way_ns(self) -> np.ndarray:
        return self.rtt_ns / 2


@dataclass(frozen=True)
class StreamSamples:
    """One stream floor run: messages of ``size_bytes`` delivered in ``elapsed_ns``."""

    messages: int
    received_bytes: int
    elapsed_ns: int
    tool: str
    info: dict[str, Any] = field(default_factory=dict)


RunFloor = Callable[..., FloorSamples]


@dataclass(frozen=True)
class Floor:
    """How one tool measures a transport's floor.

    ``run(placement, size_bytes, count, max_seconds=..., batch=..., seconds=...)`` ->
    FloorSamples; *batch* lists every (size, count) the caller will ask for at this
    placement, so a tool that starts slowly (mpiexec) measures them in one launch;
    *seconds* is how long a tool that runs for a time (sockperf, qperf) runs.
    """

    tool: str
    label: str
    run: RunFloor
    max_size_bytes: int | None = None
    spinning: bool = False  # both ends busy-wait: cross-core only


@dataclass(frozen=True)
class StreamFloor:
    tool: str
    label: str
    run: Callable[..., StreamSamples]


class FloorError(RuntimeError):
    """A floor tool ran but failed (a crash, a timeout, output it should not print)."""


# ------------------------------------------------------------------ the C helpers


def helper_path(name: str, build_dir: Path | None = None) -> Path:
    """Where helper *name* (``pingpong_sock`` ...) is built."""
    return Path(build_dir or os.environ.get(BUILD_ENV) or BUILD_DIR) / name


def _helper(name: str) -> Path:
    path = helper_path(name)
    if not os.access(path, os.X_OK):
        raise Unsupported(f"{path} is not built: run `make native` (needs gcc and libzmq3-dev)")
    return path


def build(build_dir: Path | None = None, timeout_s: float = 300.0) -> Path:
    """Build the helpers with the project's Makefile (``make native``) into *build_dir*.

    The venv is this interpreter's; make does not reinstall it nor run apt-get (both
    are taken as done). Raises :class:`Unsupported` with make's last line of error.
    """
    build_dir = Path(build_dir or os.environ.get(BUILD_ENV) or BUILD_DIR)
    makefile = ROOT / "Makefile"
    if not makefile.is_file():
        raise Unsupported(f"no Makefile at {ROOT}: the helpers build from a source checkout")
    if shutil.which("make") is None or shutil.which("gcc") is None:
        raise Unsupported("make and gcc are needed to build the native helpers")
    venv = Path(sys.prefix)
    command = ["make", "-s", "-C", str(ROOT), "native", f"VENV={venv}"]
    command += [f"NATIVE_BUILD={build_dir}", "-o", str(venv / ".installed")]
    command += ["-o", "/usr/include/zmq.h"]  # a missing header fails the compile, clearly
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise Unsupported(f"make native failed: {lines[-1] if lines else done.returncode}")
    return build_dir


_HEADER = re.compile(r"#\s+(\S+)\s+(.*)")


def parse_helper_output(text: str) -> tuple[dict[str, str], dict[int, np.ndarray]]:
    """A helper's stdout -> (metadata, {size_bytes: round-trip ns}).

    >>> meta, rtt = parse_helper_output("# tool c-helper\\n# size_bytes 8\\nrtt_ns 2\\n5\\n7\\n")
    >>> meta["tool"], {k: v.tolist() for k, v in rtt.items()}
    ('c-helper', {8: [5, 7]})
    """
    meta: dict[str, str] = {}
    blocks: dict[int, np.ndarray] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if match := _HEADER.match(line):
            meta[match.group(1)] = match.group(2).strip()
        elif line.startswith("rtt_ns "):
            n = int(line.split()[1])
            values = np.array([int(v) for v in lines[i : i + n]], dtype=np.int64)
            if values.size != n:
                raise FloorError(f"helper announced {n} samples and printed {values.size}")
            blocks[int(meta.get("size_bytes", -1))] = values
            i += n
        elif line.startswith("stream_ns "):
            meta["stream_ns"] = line.split(maxsplit=1)[1]
        elif line.strip():
            raise FloorError(f"unexpected helper output line: {line[:80]!r}")
    return meta, blocks


def _run_helper(
    command: list[str], max_seconds: float, env: dict[str, str] | None = None
) -> tuple[dict[str, str], dict[int, np.ndarray]]:
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=max_seconds + 15,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise FloorError(f"{Path(command[0]).name} ran past {max_seconds + 15:.0f} s") from exc
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-2:]) or f"exit status {done.returncode}"
        raise FloorError(f"{Path(command[0]).name} failed: {tail}")
    return parse_helper_output(done.stdout)


def _helper_args(placement: Placement, size_bytes: int, count: int, max_seconds: float):
    peer = placement.client_cpu if placement.peer_cpu is None else placement.peer_cpu
    cpus = ["-c", str(placement.client_cpu), "-p", str(peer), "-w", str(warmup_for(count))]
    return [*cpus, "-s", str(size_bytes), "-n", str(count), "-t", str(max(1, int(max_seconds)))]


def warmup_for(count: int) -> int:
    """Untimed round trips before the timed ones: the first thousand of a run are slower
    (sockperf's own log shows its first 2000 after its warm-up 6% above the rest)."""
    return min(WARMUP_ROUND_TRIPS, count)


def _c_floor(helper: str, kind: str) -> RunFloor:
    def run(
        placement: Placement,
        size_bytes: int,
        count: int,
        *,
        max_seconds: float = 20.0,
        batch: Sequence[tuple[int, int]] = (),
        seconds: int = 1,
    ) -> FloorSamples:
        command = [str(_helper(helper)), "-k", kind]
        command += _helper_args(placement, size_bytes, count, max_seconds)
        meta, blocks = _run_helper(command, max_seconds)
        info = {"helper": helper, "kind": kind}
        # the library measured: libzmq for ZeroMQ, else the kernel (sockets, shared memory)
        info["library_version"] = meta.get("library_version", f"Linux {os.uname().release}")
        return FloorSamples(blocks[size_bytes], "c-helper", info, lost=int(meta.get("lost", 0)))

    return run


# ------------------------------------------------------------------ MPI


def _mpiexec() -> Path:
    return Path(sys.executable).parent / "mpiexec"


_MPI_CACHE: dict[tuple, tuple[dict[str, str], dict[int, np.ndarray]]] = {}


def _mpi_floor(path: str) -> RunFloor:
    """MPI_Send/MPI_Recv between two ranks of one mpiexec; *path* ``shm`` or ``net``."""

    def run(
        placement: Placement,
        size_bytes: int,
        count: int,
        *,
        max_seconds: float = 20.0,
        batch: Sequence[tuple[int, int]] = (),
        seconds: int = 1,
    ) -> FloorSamples:
        from commbench.transports.mpi_links import mpi_env

        if not _mpiexec().is_file():
            raise Unsupported(f"MPI is not installed: no mpiexec in {_mpiexec().parent}")
        helper = _helper("pingpong_mpi")
        if placement.peer_cpu is None:
            raise Unsupported("the MPI floor runs both ranks on this machine")
        wanted = dict(batch) if size_bytes in dict(batch) else {size_bytes: count}
        key = (path, placement, tuple(sorted(wanted.items())))
        cached = _MPI_CACHE.get(key)
        if cached is None or size_bytes not in cached[1]:
            sizes = ",".join(str(s) for s in wanted)
            counts = ",".join(str(n) for n in wanted.values())
            budget = max_seconds * len(wanted) + MPI_LAUNCH_ALLOWANCE_S
            cpus = f"user:{placement.client_cpu},{placement.peer_cpu}"
            command = [str(_mpiexec()), "-launcher", "fork", "-bind-to", cpus, "-n", "2"]
            command += [str(helper), "-c", str(placement.client_cpu), "-p"]
            command += [str(placement.peer_cpu), "-s", sizes, "-n", counts]
            command += ["-w", str(warmup_for(min(wanted.values()))), "-t", str(int(budget))]
            cached = _run_helper(command, budget, env=mpi_env(path))
            _MPI_CACHE.clear()  # one batch at a time: its samples are handed out once
            _MPI_CACHE[key] = cached
        meta, blocks = cached
        rtt = blocks.pop(size_bytes)
        info = {"helper": "pingpong_mpi", "mpi_path": path}
        version = meta.get("library_version", "unknown")
        info["library_version"] = re.sub(r"^MPICH Version:\s*", "MPICH ", version)
        return FloorSamples(rtt, "c-helper", info)

    return run


# ------------------------------------------------------------------ sockperf, qperf


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _which(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise Unsupported(f"{tool} is not installed (Debian: apt-get install {package})")
    return found


@contextlib.contextmanager
def _server(command: list[str], port: int, protocol: str = "tcp") -> Iterator[subprocess.Popen]:
    """A reference tool's server, ended by its PID (and its children's, qperf forks).

    It stays in this session: a server in a session of its own (``setsid``) is in
    another scheduler autogroup than its client, which made sockperf's same-core round
    trip 5% slower here (7.05 against 6.70 us one-way).
    """
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not port_bound(port, protocol):
            if server.poll() is not None:
                raise FloorError(f"{Path(command[3]).name} server exited ({server.returncode})")
            if time.monotonic() > deadline:
                raise FloorError(f"{Path(command[3]).name} server did not bind port {port}")
            time.sleep(0.01)
        yield server
    finally:
        _end(server)


def port_bound(port: int, protocol: str = "tcp") -> bool:
    """Whether a socket of this machine listens on (TCP) or is bound to (UDP) *port*, read
    from /proc/net: no packet sent, so the server is not disturbed by the question."""
    for table in (f"/proc/net/{protocol}", f"/proc/net/{protocol}6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state = fields[1], fields[3]
                if int(local.rsplit(":", 1)[1], 16) == port and (
                    protocol == "udp" or state == "0A"  # 0A: TCP_LISTEN
                ):
                    return True
    return False


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _end(server: subprocess.Popen) -> None:
    """SIGTERM to the server and to the children it forked; SIGKILL after 5 s."""
    children = _children(server.pid)
    for pid in [server.pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)
    for pid in children:  # not ours to wait for (reparented), but ours to end
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def parse_sockperf_full_log(text: str) -> np.ndarray:
    """sockperf's --full-log CSV -> round-trip ns (rxTime - txTime of each message).

    >>> parse_sockperf_full_log("packet, txTime(sec), rxTime(sec), latency(usec)\\n"
    ...                         "0, 2.000000100, 2.000013500, 6.700\\n").tolist()
    [13400]
    """
    rtt = []
    started = False
    for line in text.splitlines():
        if line.startswith("packet,"):
            started = True
        elif started and line.count(",") == 3:  # the log ends with a line of dashes
            _, tx, rx, _ = line.split(",")
            rtt.append(_ns(rx) - _ns(tx))
    if not rtt:
        raise FloorError("sockperf's full log holds no message")
    return np.array(rtt, dtype=np.int64)


def spread(samples: np.ndarray, count: int) -> np.ndarray:
    """*count* samples evenly spaced over the whole run (all when there are fewer).

    sockperf runs for a time, not a count; its first messages are the slowest, so the
    first *count* would not be its distribution.

    >>> spread(np.arange(10), 3).tolist()
    [0, 4, 9]
    """
    if samples.size <= count:
        return samples
    return samples[np.linspace(0, samples.size - 1, count).round().astype(int)]


def _ns(seconds: str) -> int:
    """ "2.000013500" -> 2000013500 exactly (no float rounding)."""
    whole, _, frac = seconds.strip().partition(".")
    return int(whole) * 1_000_000_000 + int((frac + "000000000")[:9])


def _sockperf_floor(protocol: str) -> RunFloor:
    def run(
        placement: Placement,
        size_bytes: int,
        count: int,
        *,
        max_seconds: float = 20.0,
        batch: Sequence[tuple[int, int]] = (),
        seconds: int = 1,
    ) -> FloorSamples:
        sockperf = _which("sockperf", "sockperf")
        if size_bytes > SOCKPERF_MAX_BYTES:
            raise Unsupported(f"sockperf sends at most {SOCKPERF_MAX_BYTES} B")
        kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
        port_number = _free_port(kind)
        port = str(port_number)
        flags = ["--tcp"] if protocol == "tcp" else []
        peer = placement.client_cpu if placement.peer_cpu is None else placement.peer_cpu
        where = ["-i", "127.0.0.1", "-p", port]
        server = ["taskset", "-c", str(peer), sockperf, "server", *flags, *where]
        with (
            _server(server, port_number, protocol),
            tempfile.TemporaryDirectory(prefix="commbench-sockperf-") as tmp,
        ):
            log = Path(tmp) / "full.csv"
            client = ["taskset", "-c", str(placement.client_cpu), sockperf, "ping-pong"]
            client += [*flags, *where, "-m", str(max(size_bytes, 14)), "-t", str(seconds)]
            client += ["--full-log", str(log)]
            try:
                done = subprocess.run(
                    client, capture_output=True, text=True, timeout=seconds + max_seconds
                )
            except subprocess.TimeoutExpired as exc:
                raise FloorError(f"sockperf ran past {seconds + max_seconds:.0f} s") from exc
            if done.returncode != 0 or not log.is_file():
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                raise FloorError(f"sockperf failed: {tail[0]}")
            rtt = parse_sockperf_full_log(log.read_text())
        info = {"library_version": f"sockperf {_tool_version('sockperf')}"}
        info["sockperf_seconds"] = seconds
        info["sockperf_messages"] = int(rtt.size)
        info["min_message_bytes"] = 14  # sockperf's header; smaller sizes are sent as 14 B
        return FloorSamples(spread(rtt, count), "sockperf", info)

    return run


_QPERF_LATENCY = re.compile(r"latency\s*=\s*([\d.,]+)\s*(ns|us|ms|sec)")
_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "sec": 1e9}


def parse_qperf_latency_ns(output: str) -> float:
    """qperf's ``latency = 12.3 us`` (one-way, the mean of the run) -> ns.

    >>> parse_qperf_latency_ns("tcp_lat:\\n    latency  =  41159 ns\\n")
    41159.0
    """
    match = _QPERF_LATENCY.search(output)
    if match is None:
        raise FloorError(f"no latency in qperf's output: {output.strip()[:120]!r}")
    return float(match.group(1).replace(",", "")) * _UNIT_NS[match.group(2)]


def _qperf_floor(protocol: str) -> RunFloor:
    def run(
        placement: Placement,
        size_bytes: int,
        count: int,
        *,
        max_seconds: float = 20.0,
        batch: Sequence[tuple[int, int]] = (),
        seconds: int = 1,
    ) -> FloorSamples:
        qperf = _which("qperf", "qperf")
        if protocol == "udp" and size_bytes > UDP_MAX_BYTES:
            raise Unsupported(f"{size_bytes} B exceeds one UDP datagram ({UDP_MAX_BYTES} B)")
        listen_port = _free_port()
        listen, data = str(listen_port), str(_free_port())
        peer = placement.client_cpu if placement.peer_cpu is None else placement.peer_cpu
        # qperf's server has no bind option: it listens on every interface while it runs;
        # the client talks to 127.0.0.1 only.
        with _server(["taskset", "-c", str(peer), qperf, "-lp", listen], listen_port):
            client = ["taskset", "-c", str(placement.client_cpu), qperf, "127.0.0.1"]
            client += ["-lp", listen, "-ip", data, "-m", str(size_bytes), "-t", str(seconds)]
            client += ["-uu", f"{protocol}_lat"]
            try:
                done = subprocess.run(
                    client, capture_output=True, text=True, timeout=seconds + max_seconds
                )
            except subprocess.TimeoutExpired as exc:
                raise FloorError(f"qperf ran past {seconds + max_seconds:.0f} s") from exc
        if done.returncode != 0:
            raise FloorError(f"qperf failed: {(done.stderr or done.stdout).strip()[:120]}")
        one_way = parse_qperf_latency_ns(done.stdout)
        info = {"library_version": f"qperf {_tool_version('qperf')}", "qperf_seconds": seconds}
        info["sample_note"] = "one mean round trip per run (qperf prints only the mean)"
        return FloorSamples(np.array([2 * one_way]), "qperf", info, per_round_trip=False)

    return run


@functools.cache
def _tool_version(tool: str) -> str:
    flag = {"sockperf": "--version", "qperf": "--version", "iperf3": "--version"}[tool]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run([tool, flag], capture_output=True, text=True, timeout=10)
        for line in (done.stdout + done.stderr).splitlines():
            if match := re.search(r"\d+\.\d+[\w.-]*", line):
                return match.group(0)
    return "unknown"


# ------------------------------------------------------------------ streams


def _c_stream(kind: str) -> Callable[..., StreamSamples]:
    def run(
        placement: Placement, size_bytes: int, count: int, *, max_seconds: float = 20.0
    ) -> StreamSamples:
        command = [str(_helper("pingpong_sock")), "-k", kind, "-m", "stream"]
        command += _helper_args(placement, size_bytes, count, max_seconds)
        meta, _ = _run_helper(command, max_seconds)
        elapsed_ns, messages, received = (int(v) for v in meta["stream_ns"].split())
        info = {"helper": "pingpong_sock", "kind": kind}
        info["library_version"] = f"Linux {os.uname().release}"
        return StreamSamples(messages, received, elapsed_ns, "c-helper", info)

    return run


def _iperf3_stream(
    placement: Placement, size_bytes: int, count: int, *, max_seconds: float = 20.0
) -> StreamSamples:
    """iperf3 over loopback TCP: *count* writes of *size_bytes*, both ends pinned."""
    iperf3 = _which("iperf3", "iperf3")
    port_number = _free_port()
    port = str(port_number)
    peer = placement.client_cpu if placement.peer_cpu is None else placement.peer_cpu
    where = ["-B", "127.0.0.1", "-p", port]
    with _server(["taskset", "-c", str(peer), iperf3, "-s", "-1", *where], port_number):
        client = ["taskset", "-c", str(placement.client_cpu), iperf3, "-c", "127.0.0.1"]
        client += [*where[2:], "-n", str(count * size_bytes), "-l", str(size_bytes), "-J"]
        try:
            done = subprocess.run(client, capture_output=True, text=True, timeout=max_seconds)
        except subprocess.TimeoutExpired as exc:
            raise FloorError(f"iperf3 ran past {max_seconds:.0f} s") from exc
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise FloorError(f"iperf3 printed no JSON report: {done.stderr.strip()[:120]}") from exc
    if "error" in report:
        raise FloorError(f"iperf3 failed: {report['error']}")
    received = report["end"]["sum_received"]
    version = report.get("start", {}).get("version") or f"iperf {_tool_version('iperf3')}"
    info = {"library_version": version}
    elapsed_ns = int(float(received["seconds"]) * 1e9)
    return StreamSamples(count, int(received["bytes"]), elapsed_ns, "iperf3", info)


# ------------------------------------------------------------------ the registries

_C = "C helper (native/)"
FLOORS: dict[str, tuple[Floor, ...]] = {
    "tcp": (
        Floor(
            "c-helper", f"{_C}: raw TCP ping-pong, TCP_NODELAY", _c_floor("pingpong_sock", "tcp")
        ),
        Floor("sockperf", "sockperf ping-pong --tcp", _sockperf_floor("tcp"), SOCKPERF_MAX_BYTES),
        Floor("qperf", "qperf tcp_lat (mean only)", _qperf_floor("tcp")),
    ),
    "uds": (
        Floor("c-helper", f"{_C}: AF_UNIX stream ping-pong", _c_floor("pingpong_sock", "uds")),
    ),
    "udp": (
        Floor("c-helper", f"{_C}: UDP ping-pong", _c_floor("pingpong_sock", "udp"), UDP_MAX_BYTES),
        Floor("sockperf", "sockperf ping-pong (UDP)", _sockperf_floor("udp"), SOCKPERF_MAX_BYTES),
        Floor("qperf", "qperf udp_lat (mean only)", _qperf_floor("udp"), UDP_MAX_BYTES),
    ),
    "zmq-reqrep-tcp": (
        Floor("c-helper", f"{_C}: libzmq REQ/REP tcp://", _c_floor("pingpong_zmq", "tcp")),
    ),
    "zmq-reqrep-ipc": (
        Floor("c-helper", f"{_C}: libzmq REQ/REP ipc://", _c_floor("pingpong_zmq", "ipc")),
    ),
    "zmq-reqrep-inproc": (
        Floor(
            "c-helper",
            f"{_C}: libzmq REQ/REP inproc://, REP a thread on the same context",
            _c_floor("pingpong_zmq", "inproc"),
        ),
    ),
    "shm-floor": (
        Floor(
            "c-helper",
            f"{_C}: shared mapping, both spin",
            _c_floor("pingpong_shm", "shm"),
            None,
            True,
        ),
    ),
    **{
        f"mpi-{api}-{path}": (
            Floor("c-helper", f"{_C}: MPI_Send/MPI_Recv, {path}", _mpi_floor(path), None, True),
        )
        for api in ("buffer", "pickle")
        for path in ("shm", "net")
    },
}
"""Transport name (the suite's) -> the tools measuring its floor, C helper first."""

STREAM_FLOORS: dict[str, tuple[StreamFloor, ...]] = {
    "tcp": (
        StreamFloor("c-helper", f"{_C}: TCP writes of the message size", _c_stream("tcp")),
        StreamFloor("iperf3", "iperf3 -n BYTES -l SIZE", _iperf3_stream),
    ),
    "uds": (
        StreamFloor("c-helper", f"{_C}: AF_UNIX writes of the message size", _c_stream("uds")),
    ),
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
