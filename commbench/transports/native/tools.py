"""The Debian reference tools: sockperf and qperf (TCP and UDP ping-pong) and iperf3
(TCP stream), each started pinned on loopback and stopped by PID."""

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
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from commbench.transports import Unsupported
from commbench.transports.native.base import (
    SERVER_START_S,
    SOCKPERF_MAX_BYTES,
    UDP_MAX_BYTES,
    FloorError,
    FloorSamples,
    RunFloor,
    StreamSamples,
)
from commbench.transports.placement import Placement

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


def sockperf_floor(protocol: str) -> RunFloor:
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


def qperf_floor(protocol: str) -> RunFloor:
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


def iperf3_stream(
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
