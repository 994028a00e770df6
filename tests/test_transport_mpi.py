"""The MPI transports: ranks echo the bytes, paths are what they claim, nothing is left running.

Needs the venv's MPICH (``pip install mpich``) and two CPUs; every mpiexec has a timeout.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from commbench.transports import TRANSPORTS, Unsupported
from commbench.transports import mpi_links as m
from commbench.transports.mpi_reference import mpi4py_bench_pingpong, parse_pingpong
from commbench.transports.placement import Placement, available_cpus
from tests.processes import alive

CPUS = available_cpus()
needs_mpi = pytest.mark.two_cpus  # mpiexec is a hard dependency: see test_mpiexec_is_here


def test_mpiexec_is_here() -> None:
    assert m.mpiexec_path().is_file(), "the venv's mpiexec is missing: pip install mpich"


CROSS = Placement("cross-core", CPUS[0], CPUS[-1])
NAMES = ("mpi-buffer-shm", "mpi-pickle-shm", "mpi-buffer-net", "mpi-pickle-net")
SIZES = (1, 64, 4096)
COUNT = 400


def started_pids(link: m.MpiLink) -> list[int]:
    ranks = [int(p) for p in link.info.get("mpi_rank_pids", "").split(",") if p]
    return link.started_pids + ranks


@pytest.fixture(scope="module")
def measured() -> dict[str, tuple[dict, dict[int, np.ndarray], list[int]]]:
    """Every MPI transport at SIZES (one mpiexec each): info, one-way ns per size, PIDs."""
    results = {}
    for name in NAMES:
        with TRANSPORTS[name].open(CROSS, {"sizes": SIZES, "profile": "quick"}) as link:
            one_way = {}
            for size in SIZES:
                samples = link.measure(size, COUNT, max_seconds=10.0)
                assert samples.rtt_ns.size == COUNT and samples.lost == 0
                one_way[size] = samples.one_way_ns
            assert len(link.started_pids) == 1  # one mpiexec for all the sizes
            results[name] = (dict(link.info), one_way, started_pids(link))
    return results


@needs_mpi
@pytest.mark.parametrize("name", NAMES)
def test_ranks_echo_and_record_what_they_used(measured, name):
    info, one_way, pids = measured[name]
    for size in SIZES:
        assert (one_way[size] > 0).all()
    mode, path = name.split("-")[1:]
    assert info["mpi_mode"] == mode and info["mpi_path"] == path
    assert info["mpi_library"].startswith("MPICH Version")
    assert (
        info["mpi4py_version"] and info["mpi_rank_cpus"] == f"{CROSS.client_cpu},{CROSS.peer_cpu}"
    )
    if path == "net":
        assert info["mpi_cvars"] == "MPIR_CVAR_NOLOCAL=1" and info["mpi_tcp_established"] > 0
        assert info["mpi_env"] == "MPIR_CVAR_NOLOCAL=1 UCX_TLS=tcp"
    else:
        assert info["mpi_cvars"] == "MPIR_CVAR_NOLOCAL=0" and info["mpi_tcp_established"] == 0
    assert not any(alive(pid) for pid in pids)


@needs_mpi
def test_net_path_is_measurably_slower_than_shm(measured):
    shm = np.median(measured["mpi-buffer-shm"][1][64])
    net = np.median(measured["mpi-buffer-net"][1][64])
    assert net > 1.3 * shm, f"64 B one-way p50: net {net:.0f} ns vs shm {shm:.0f} ns"


@needs_mpi
@pytest.mark.parametrize("name", ["mpi-buffer-shm", "mpi-pickle-shm"])
def test_stream_counts_every_message(name):
    with TRANSPORTS[name].open(CROSS, {"stream_runs": 2}) as link:
        runs = [link.stream(4096, 640, max_seconds=10.0) for _ in range(2)]
        assert len(link.started_pids) == 1  # both runs from one mpiexec
    for run in runs:
        assert run.sent == run.received == 640 and run.lost == 0
        assert run.received_bytes == 640 * 4096 and run.elapsed_ns > 0 and not run.timed_out


@needs_mpi
def test_samples_are_used_once_and_never_fewer_than_asked():
    with TRANSPORTS["mpi-buffer-shm"].open(CROSS, {"sizes": (1, 64), "profile": "quick"}) as link:
        assert link.measure(1, 50, max_seconds=5.0).rtt_ns.size == 50
        assert len(link.started_pids) == 1  # 64 B came in the same batch, 2000 round trips
        assert link.measure(64, 2500, max_seconds=5.0).rtt_ns.size == 2500
        assert len(link.started_pids) == 2  # 2000 were too few: measured again
        assert link.measure(64, 50, max_seconds=5.0).rtt_ns.size == 50
        assert len(link.started_pids) == 3  # a repeat is a new measurement, not the same data


def test_refusals_name_the_reason(monkeypatch):
    open_ = TRANSPORTS["mpi-buffer-shm"].open
    with pytest.raises(Unsupported, match="one core"), open_(Placement("same", 0, 0), {}):
        pass
    monkeypatch.setattr(m, "mpiexec_path", lambda: m.Path("/nonexistent/bin/mpiexec"))
    expected = r"^MPI is not installed: no mpiexec in /nonexistent/bin$"
    with pytest.raises(Unsupported, match=expected), open_(CROSS, {}):
        pass
    monkeypatch.setattr(m.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(Unsupported, match=r"^MPI is not installed: no mpi4py"), open_(CROSS, {}):
        pass


@needs_mpi
@pytest.mark.slow
def test_a_killed_rank_is_a_clear_error_and_leaves_nothing():
    with TRANSPORTS["mpi-buffer-shm"].open(CROSS, {"sizes": (64,)}) as link:
        found: list[int] = []

        def kill_rank_1() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not found:
                for pid, _ in m.descendants(link.started_pids[0]) if link.started_pids else []:
                    try:
                        if os.sched_getaffinity(pid) == {CROSS.peer_cpu} and _is_python(pid):
                            found.append(pid)
                    except OSError:
                        pass
                time.sleep(0.05)
            listed = m.Path(link._dir.name).glob("*.segments.1")  # written after MPI_Init
            while time.monotonic() < deadline and found and not any(listed):
                time.sleep(0.05)
                listed = m.Path(link._dir.name).glob("*.segments.1")
            if found:
                time.sleep(0.5)  # well into the loop
                os.kill(found[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_rank_1)
        killer.start()
        start = time.monotonic()
        with pytest.raises(m.MpiRunError, match="mpiexec exited with status"):
            link.measure(64, 10**9, max_seconds=40.0)
        assert time.monotonic() - start < 20
        killer.join()
        assert found
        tree = [link.started_pids[0], *found]
        assert link.leftovers_unlinked  # MPICH's segments, left by the killed ranks
        assert not any(os.path.exists(name) for name in link.leftovers_unlinked)
    time.sleep(0.5)
    assert not any(alive(pid) for pid in tree)


def _is_python(pid: int) -> bool:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return b"mpi_pingpong" in f.read()


@needs_mpi
@pytest.mark.slow
def test_a_hung_job_is_stopped_at_its_timeout():
    command = m.mpiexec_command(CROSS, ["-c", "import time; time.sleep(60)"])
    started: list[int] = []
    start = time.monotonic()
    with pytest.raises(m.MpiRunError, match="did not finish within 2 s"):
        m.run_mpiexec(command, m.mpi_env("shm"), timeout_s=2.0, started=started)
    assert time.monotonic() - start < 2.0 + m.STOP_GRACE_S + 3
    assert not alive(started[0])


def test_reference_parser_reads_mpi4py_bench_rows():
    out = (
        "# MPI PingPong Test\n"
        "# Size [B]  Bandwidth [MB/s] | Time Mean [s] \u00b1 StdDev [s]  Samples\n"
        "         1              0.23 | 4.4224235e-06 \u00b1 5.6348e-05     2000\n"
        "     65536           2561.04 | 2.5589380e-05 \u00b1 3.1000e-06      500\n"
    )
    rows = parse_pingpong(out)
    assert rows == {
        1: {"mean_s": 4.4224235e-06, "stdev_s": 5.6348e-05, "samples": 2000},
        65536: {"mean_s": 2.558938e-05, "stdev_s": 3.1e-06, "samples": 500},
    }
    assert parse_pingpong("") == {}


@needs_mpi
def test_reference_runs_pinned_and_gives_a_plausible_mean():
    one_way_s = mpi4py_bench_pingpong(64, 500, placement=CROSS)
    assert 1e-7 < one_way_s < 1e-3
    with pytest.raises(ValueError, match="powers of two"):
        mpi4py_bench_pingpong(100, 10)
