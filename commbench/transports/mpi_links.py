"""MPI transports: two ranks started together by mpiexec, timed inside rank 0.

Ranks started together by one mpiexec find each other on the node and talk through
MPICH's shared memory; a rank spawned later, or a singleton, does not (one-way
~4.5 us instead of ~1.5 us), so the client is not this pytest process but rank 0
of ``mpi_pingpong``, which times every round trip with the suite's ``measure_rtt``.

A link runs mpiexec once for all the sizes of a run, lazily, and hands each size's
samples out once. Paths:

* ``shm``: MPICH's default between ranks of one node (its POSIX shared-memory module).
* ``net``: the same ranks forced onto the network stack. ``MPIR_CVAR_NOLOCAL=1`` alone
  is not enough: the ranks then go through the UCX netmod, and UCX itself picks its
  shared-memory transports (same latency, no TCP socket). ``UCX_TLS=tcp`` keeps UCX on
  TCP. Rank 0 reads the cvar back through MPI_T and counts its established TCP
  sockets and MPICH /dev/shm segments; a ``net`` run without a TCP socket is an error.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from commbench.profiles import PROFILES
from commbench.transports import Link, StreamResult, Transport, Unsupported
from commbench.transports.latency import RttSamples, round_trips_for
from commbench.transports.placement import Placement

PATH_ENV = {"shm": {}, "net": {"MPIR_CVAR_NOLOCAL": "1", "UCX_TLS": "tcp"}}
RECORDED_ENV_PREFIXES = ("MPIR_CVAR_", "MPICH_", "UCX_", "FI_")
LAUNCH_ALLOWANCE_S = 60.0  # start-up and shut-down of mpiexec and two Pythons, busy host
STOP_GRACE_S = 3.0
STREAM_WINDOW = 64  # osu_bw's window
HYDRA_BOILERPLATE = ("YOU CAN IGNORE", "CLEANING UP", "This typically", "Please see the FAQ")


class MpiRunError(RuntimeError):
    """mpiexec failed, timed out, or its ranks returned a wrong answer."""


def mpiexec_path() -> Path:
    """The venv's hydra mpiexec (the ``mpich`` package), not whatever is on PATH."""
    return Path(sys.executable).parent / "mpiexec"


def check_installed() -> None:
    if importlib.util.find_spec("mpi4py") is None:
        raise Unsupported(f"MPI is not installed: no mpi4py in {sys.executable}")
    if not mpiexec_path().is_file():
        raise Unsupported(f"MPI is not installed: no mpiexec in {mpiexec_path().parent}")


def mpiexec_command(
    placement: Placement, program: list[str], hosts: HostList | None = None
) -> list[str]:
    """Two ranks: on this node (no ssh), rank 0 on the client CPU and rank 1 on the peer's;
    or, across machines, one rank per host of mpiexec's own host list (rank 0 on the
    first host, which must be this machine: it writes the result file)."""
    where = ["-launcher", "fork", "-bind-to", f"user:{placement.client_cpu},{placement.peer_cpu}"]
    if hosts is not None:
        where = ["-hosts", hosts.hosts, "-bind-to", f"user:{placement.client_cpu}"]
        where += ["-launcher", hosts.launcher] if hosts.launcher else []
        where += ["-launcher-exec", hosts.launcher_exec] if hosts.launcher_exec else []
        where += ["-iface", hosts.iface] if hosts.iface else []
    return [str(mpiexec_path()), *where, "-n", "2", sys.executable, *program]


@dataclass(frozen=True)
class HostList:
    """MPI across machines: mpiexec's host list and how hydra reaches the other host."""

    hosts: str  # "hostA,hostB": one rank on each
    launcher: str | None = None  # hydra's default (ssh) unless given, e.g. "rsh"
    launcher_exec: str | None = None  # the program hydra runs as that launcher
    iface: str | None = None  # the interface whose address the ranks are told to use

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> HostList | None:
        if not options.get("mpi_hosts"):
            return None
        launcher_exec = options.get("mpi_launcher_exec")
        return cls(
            hosts=options["mpi_hosts"],
            launcher="rsh" if launcher_exec else None,
            launcher_exec=launcher_exec,
            iface=options.get("mpi_iface"),
        )


def mpi_env(path: str) -> dict[str, str]:
    """This process's environment with the path's settings; the other path's removed."""
    env = {k: v for k, v in os.environ.items() if k not in PATH_ENV["net"]}
    env.update(PATH_ENV[path])
    return env


def recorded_env(env: dict[str, str]) -> str:
    """The MPI-related variables of *env*, ``K=V`` joined by spaces ("" for defaults)."""
    return " ".join(
        f"{k}={v}" for k, v in sorted(env.items()) if k.startswith(RECORDED_ENV_PREFIXES)
    )


def run_mpiexec(
    command: list[str], env: dict[str, str], timeout_s: float, started: list[int] | None = None
) -> str:
    """Run *command* to the end or *timeout_s*; its stdout. Errors name the cause.

    mpiexec gets its own session (hydra gives each rank one too), so Ctrl-C is
    handled here: whatever goes wrong, :func:`stop_job` ends the job it started.
    """
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    if started is not None:
        started.append(process.pid)
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        stop_job(process)
        raise MpiRunError(
            f"mpiexec did not finish within {timeout_s:.0f} s and was stopped"
        ) from None
    except BaseException:
        stop_job(process)
        raise
    if process.returncode != 0:
        # hydra reports a rank's death on stdout, between rows of "="; the rest is on stderr
        lines = [line.strip(" =") for line in (err + out).splitlines()]
        keep = [line for line in lines if line and not line.startswith(HYDRA_BOILERPLATE)]
        tail = " | ".join(keep[-4:]) or "no message"
        raise MpiRunError(f"mpiexec exited with status {process.returncode}: {tail}")
    return out


def stop_job(process: subprocess.Popen) -> None:
    """SIGTERM to mpiexec (hydra then ends its ranks); SIGKILL to whatever of it is left."""
    tree = descendants(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
    for pid, started in tree:
        if _start_time(pid) == started:  # still the process we saw, not a reused PID
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    process.communicate()


def descendants(pid: int) -> list[tuple[int, str]]:
    """(PID, start time) of every live descendant of *pid*, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                children.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append((child, _start_time(child)))
            todo.append(child)
    return found


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: state, ppid, ..."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()
    except OSError:
        return None


def _start_time(pid: int) -> str:
    stat = _stat(pid)
    return stat[19] if stat else ""


class MpiLink:
    """Results of rank 0 of ``mpi_pingpong``, measured in batches and used once."""

    def __init__(self, mode: str, path: str, placement: Placement, options: dict[str, Any]):
        self.mode, self.path, self.placement = mode, path, placement
        self.hosts = HostList.from_options(options)
        self.profile = options.get("profile", "quick")
        self.sizes = tuple(options.get("sizes") or PROFILES["quick"].latency_sizes_bytes)
        self.stream_runs = int(options.get("stream_runs", 3))
        self.env = mpi_env(path)
        self.started_pids: list[int] = []  # every mpiexec this link ran (tests check they end)
        self.leftovers_unlinked: list[str] = []  # MPICH segments of killed jobs, removed
        self._latency: dict[int, RttSamples] = {}
        self._streams: dict[tuple[int, int], list[StreamResult]] = {}
        self._dir = tempfile.TemporaryDirectory(prefix="commbench-mpi-")
        self.info: dict[str, Any] = {
            "mpi_mode": mode,
            "mpi_path": path,
            "mpi_env": recorded_env(self.env),
            "mpi_launch": " ".join(["mpiexec", *mpiexec_command(placement, [], self.hosts)[1:-1]]),
            "mpi4py_version": importlib.metadata.version("mpi4py"),
            **({"mpi_hosts": self.hosts.hosts} if self.hosts else {}),
        }

    def measure(self, size_bytes: int, count: int, max_seconds: float) -> RttSamples:
        cached = self._latency.get(size_bytes)
        if cached is not None and cached.rtt_ns.size + cached.lost < count and not cached.timed_out:
            del self._latency[size_bytes]  # batched with fewer round trips than asked now
        if size_bytes not in self._latency:
            sizes = sorted(set(self.sizes) - set(self._latency) | {size_bytes})
            counts = [count if s == size_bytes else round_trips_for(s, self.profile) for s in sizes]
            report = self._run("latency", sizes, counts, max_seconds)
            for result in report["results"]:
                if not result["echo_ok"]:
                    raise MpiRunError(f"MPI echo of {result['size_bytes']} B returned other bytes")
                rtt_ns = np.asarray(result["rtt_ns"], dtype=np.int64)
                self._latency[result["size_bytes"]] = RttSamples(
                    rtt_ns, result["lost"], result["timed_out"]
                )
        samples = self._latency.pop(size_bytes)  # used once: a second call measures again
        return RttSamples(samples.rtt_ns[:count], samples.lost, samples.timed_out)

    def stream(self, size_bytes: int, count: int, max_seconds: float) -> StreamResult:
        key = (size_bytes, count)
        if not self._streams.get(key):
            report = self._run("stream", [size_bytes], [count], max_seconds, self.stream_runs)
            runs = report["results"][0]["runs"]
            self._streams[key] = [StreamResult(**run) for run in runs]
        return self._streams[key].pop(0)

    def _run(
        self, op: str, sizes: list[int], counts: list[int], max_seconds: float, runs: int = 1
    ) -> dict[str, Any]:
        out = Path(self._dir.name) / f"{op}-{len(self.started_pids)}.json"
        program = ["-m", "commbench.transports.mpi_pingpong", "--op", op, "--mode", self.mode]
        program += ["--sizes", ",".join(map(str, sizes)), "--counts", ",".join(map(str, counts))]
        program += ["--max-seconds", str(max_seconds), "--out", str(out)]
        program += ["--runs", str(runs), "--window", str(STREAM_WINDOW)]
        timeout_s = LAUNCH_ALLOWANCE_S + 1.5 * max_seconds * len(sizes) * (runs + (op == "stream"))
        command = mpiexec_command(self.placement, program, self.hosts)
        try:
            run_mpiexec(command, self.env, timeout_s, self.started_pids)
        finally:
            self._unlink_leftovers(out)
        try:
            report = json.loads(out.read_text())
        except (OSError, ValueError) as exc:
            raise MpiRunError(f"rank 0 wrote no readable result ({exc})") from None
        from commbench.transports.mpi_pingpong import RANK_REPORT_VERSION

        if report.get("rank_report_version") != RANK_REPORT_VERSION:
            raise MpiRunError(
                f"rank 0 wrote report version {report.get('rank_report_version')!r}, "
                f"expected {RANK_REPORT_VERSION}"
            )
        self._record(report)
        return report

    def _unlink_leftovers(self, out: Path) -> None:
        """Unlink the segments the ranks listed that are still there (a killed job's)."""
        for listing in out.parent.glob(f"{out.name}.segments.*"):
            for name in listing.read_text().split():
                if name.startswith("/dev/shm/mpich_shm_"):
                    with suppress(FileNotFoundError):
                        os.unlink(name)
                        self.leftovers_unlinked.append(name)

    def _record(self, report: dict[str, Any]) -> None:
        """Put what the ranks saw in ``info``; refuse a run that is not what was asked."""
        cpus = report["rank_cpus"]
        placed = [[self.placement.client_cpu], [self.placement.peer_cpu]]
        if self.hosts is not None:  # one rank per host, each on the client CPU of its host
            placed = [[self.placement.client_cpu]] * 2
        if cpus != placed:
            raise MpiRunError(f"ranks ran on CPUs {cpus}, not as placed: {self.placement}")
        cvars = report["cvars"]
        self.info.update(
            mpi_library=report["library_version"],
            mpi4py_version=report["mpi4py_version"],
            mpi_cvars=" ".join(f"{k}={v}" for k, v in sorted(cvars.items())),
            mpi_rank_cpus=",".join(str(c[0]) for c in cpus),
            mpi_rank_pids=",".join(map(str, report["rank_pids"])),
            mpi_tcp_established=report["tcp_established"],
            mpi_dev_shm_segments=report["dev_shm_segments"],
        )
        if self.path == "net" and report["tcp_established"] == 0:
            raise MpiRunError("the 'net' path used no TCP socket: MPI still went through memory")

    def close(self) -> None:
        self._dir.cleanup()


def _opener(mode: str, path: str):
    @contextmanager
    def open_link(placement: Placement, options: dict[str, Any]) -> Iterator[Link]:
        if options.get("mpi_hosts"):
            if path != "net":
                raise Unsupported("shared memory does not cross machines")
        elif options.get("peer"):
            raise Unsupported("across machines MPI needs mpiexec's host list (--mpi-hosts)")
        elif placement.peer_cpu is None or placement.peer_cpu == placement.client_cpu:
            raise Unsupported("MPICH busy-polls: both ranks on one core would trade time slices")
        check_installed()
        link = MpiLink(mode, path, placement, options)
        try:
            yield link
        finally:
            link.close()

    return open_link


def _transport(mode: str, path: str) -> Transport:
    what = {"buffer": "Send/Recv of preallocated buffers", "pickle": "send/recv of bytes (pickle)"}
    where = {"shm": "MPICH shared memory", "net": "TCP (MPIR_CVAR_NOLOCAL=1, UCX_TLS=tcp)"}
    return Transport(
        f"mpi-{mode}-{path}",
        f"MPI (mpi4py + MPICH) {what[mode]}, {where[path]}",
        _opener(mode, path),
        spinning=True,
        streams=True,
        notes="ranks started together by mpiexec; rank 0 times with measure_rtt",
        tags=("mpi",),
    )


TRANSPORTS = tuple(_transport(m, p) for p in ("shm", "net") for m in ("buffer", "pickle"))
