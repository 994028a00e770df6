"""The reference for the MPI transports: ``python -m mpi4py.bench pingpong`` under mpiexec.

Run with the same launcher, pinning and environment as ``mpi-buffer-<path>``, one
size at a time. Its figure is the *mean* one-way time (``MPI.Wtime`` around one
Send + Recv, halved) over ``-l`` iterations after ``-s`` untimed ones; the suite
reports the distribution, so compare means with means (a busy host's outliers move
a mean much more than a median).

Note: in ``mpi4py.bench pingpong``, ``-n`` is the *maximum size* in bytes, not a
count; the count is ``-l`` (``--loop``), capped by ``--loop-large`` above
``--large-size`` (16 KiB) and by ``--loop-huge`` above ``--huge-size`` (1 MiB).
"""

from __future__ import annotations

import re

from commbench.transports import Unsupported
from commbench.transports.mpi_links import (
    LAUNCH_ALLOWANCE_S,
    check_installed,
    mpi_env,
    mpiexec_command,
    run_mpiexec,
)
from commbench.transports.placement import Placement, placements

WARMUP = 100  # as measure_rtt's default warm-up
_ROW = re.compile(
    r"^\s*(?P<size>\d+)\s+(?P<mb_s>[-+.\deE]+|nan|inf)\s*\|\s*(?P<mean>[-+.\deE]+|nan)"
    r"\s*\u00b1\s*(?P<stdev>[-+.\deE]+|nan)\s+(?P<samples>\d+)\s*$"
)


def parse_pingpong(text: str) -> dict[int, dict[str, float]]:
    """Rows of ``mpi4py.bench pingpong`` output: size (bytes) -> mean_s, stdev_s, samples.

    >>> row = "        64             12.77 | 5.0115940e-06 \u00b1 7.2567e-05     2000"
    >>> parse_pingpong("# MPI PingPong Test\\n" + row)[64]["mean_s"]
    5.011594e-06
    """
    rows = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            rows[int(match["size"])] = {
                "mean_s": float(match["mean"]),
                "stdev_s": float(match["stdev"]),
                "samples": int(match["samples"]),
            }
    return rows


def pingpong_command(size_bytes: int, count: int, placement: Placement) -> list[str]:
    """mpiexec + ``mpi4py.bench pingpong`` for one size, *count* timed iterations at any size."""
    loops = ["-l", str(count), "--loop-large", str(count), "--loop-huge", str(count)]
    skips = ["-s", str(WARMUP), "--skip-large", str(WARMUP), "--skip-huge", str(WARMUP)]
    sizes = ["-m", str(size_bytes), "-n", str(size_bytes)]
    return mpiexec_command(placement, ["-m", "mpi4py.bench", "pingpong", *sizes, *loops, *skips])


def mpi4py_bench_pingpong(
    size_bytes: int,
    count: int,
    *,
    placement: Placement | None = None,
    path: str = "shm",
    timeout_s: float = LAUNCH_ALLOWANCE_S,
) -> float:
    """Mean one-way time in seconds of *count* ping-pongs of *size_bytes* (mpi4py.bench).

    *placement* defaults to the suite's cross-core placement (rank 0 on the first CPU,
    rank 1 on the second); *path* is ``"shm"`` or ``"net"`` as for the MPI transports.
    """
    if size_bytes < 1 or size_bytes & (size_bytes - 1):
        raise ValueError(f"mpi4py.bench pingpong measures powers of two only, not {size_bytes} B")
    check_installed()
    if placement is None:
        spots = placements(spinning=True)
        if not spots:
            raise Unsupported("MPICH busy-polls: the reference needs two CPUs")
        placement = spots[0]
    command = pingpong_command(size_bytes, count, placement)
    rows = parse_pingpong(run_mpiexec(command, mpi_env(path), timeout_s))
    if size_bytes not in rows:
        raise RuntimeError(f"mpi4py.bench pingpong printed no row for {size_bytes} B")
    return rows[size_bytes]["mean_s"]
