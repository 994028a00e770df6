"""The C helpers of ``native/`` (socket, shared-memory and ZeroMQ ping-pongs, MPI built
with the venv's ``mpicc``): building them, running them, reading their output."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from commbench.transports import Unsupported
from commbench.transports.native.base import (
    BUILD_DIR,
    BUILD_ENV,
    MPI_LAUNCH_ALLOWANCE_S,
    ROOT,
    WARMUP_ROUND_TRIPS,
    FloorError,
    FloorSamples,
    RunFloor,
    StreamSamples,
)
from commbench.transports.placement import Placement

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


def c_floor(helper: str, kind: str) -> RunFloor:
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


def mpi_floor(path: str) -> RunFloor:
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


# ------------------------------------------------------------------ streams


def c_stream(kind: str) -> Callable[..., StreamSamples]:
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
