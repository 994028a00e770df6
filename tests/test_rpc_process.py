"""RPC server processes: started with a handshake, stopped by PID, never left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commbench.rpc import Unsupported
from commbench.rpc.pool import ServerPool
from commbench.rpc.process import PeerError, ServerProcess, cpu_seconds
from commbench.transports.placement import placements
from tests.processes import alive

ROOT = Path(__file__).resolve().parents[1]


def wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rpartition(")")[2].split()[0]


def wait_state(pid: int, wanted: str, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if state(pid) == wanted:
            return True
        time.sleep(0.02)
    return False


def test_pool_stops_each_server_when_switching_and_closing() -> None:
    pool = ServerPool()
    place = placements(spinning=False)[-1]
    try:
        first = pool.get("tcp", place)
        first_pid = first.server.pid
        assert alive(first_pid) and pool.get("tcp", place) is first  # kept across payloads
        second = pool.get("zmq", place)
        assert wait_gone(first_pid), "the previous server outlived the switch"
        second_pid = second.server.pid
        assert alive(second_pid)
    finally:
        pool.close()
    assert wait_gone(second_pid), "the server outlived pool.close()"
    assert os.sched_getaffinity(0) == pool._affinity


def test_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    script = (
        "from commbench.rpc.process import ServerProcess\n"
        "import time, sys\n"
        "s = ServerProcess('tcp')\n"
        "print(s.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        server_pid = int(parent.stdout.readline())
        assert alive(server_pid)
        parent.send_signal(signal.SIGKILL)  # no finally, no atexit: only PDEATHSIG helps
        parent.wait()
        assert wait_gone(server_pid), "orphaned server after its parent was SIGKILLed"
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()


def test_server_that_cannot_listen_is_one_clear_error(capfd) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(PeerError, match="exited with status 2"):
            ServerProcess("tcp", listen=f"127.0.0.1:{port}")
    finally:
        taken.close()
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "in use" in err[0] and "Traceback" not in err[0], err


def test_pool_turns_a_dead_server_into_unsupported(monkeypatch, capfd) -> None:
    from commbench.rpc import process as process_module

    def refuse(*args, **kwargs):
        raise PeerError("peer tcp exited with status 2 before it was ready")

    monkeypatch.setattr("commbench.rpc.pool.ServerProcess", refuse)
    pool = ServerPool()
    place = placements(spinning=False)[-1]
    try:
        for _ in range(2):  # the reason is kept: the second ask does not retry
            with pytest.raises(Unsupported, match="server did not start"):
                pool.get("tcp", place)
    finally:
        pool.close()
    assert capfd.readouterr().err.count("server did not start") == 1
    assert process_module.ServerProcess is ServerProcess


def test_kill_restart_pause_resume_and_cpu_time() -> None:
    with ServerProcess("tcp") as server:
        first = server.pid
        host, port = server.info["listen"]
        assert cpu_seconds(first) >= 0.0
        server.pause()
        assert wait_state(first, "T"), "SIGSTOP did not stop the server"
        server.resume()
        assert wait_state(first, "S") or wait_state(first, "R")
        server.restart()
        assert not alive(first) and alive(server.pid) and server.pid != first
        assert server.info["listen"] == [host, port]  # the same address after a restart
        socket.create_connection((host, port), timeout=5).close()
    assert wait_gone(server.pid)
