"""Network namespaces for the cap family: partitions cut, heal restores, nothing is left
behind (also after an exception or a dead run), and without root one line, status 2."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from commbench.cap import netns
from commbench.cap.netns import PREFIX, Network, in_namespace, namespaces
from commbench.errors import UserError
from tests.processes import alive

ROOT = Path(__file__).resolve().parents[1]


def ours() -> list[str]:
    return [n for n in namespaces() if n.startswith(f"{PREFIX}{os.getpid()}-")]


def serve_once_per_connection(net: Network, member: int, port: int) -> socket.socket:
    """A listener inside *member*'s namespace answering b"hi" to every connection."""
    listener = in_namespace(
        net.members[member], lambda: socket.create_server((net.addresses[member], port))
    )

    def serve() -> None:
        for _ in range(50):  # bounded
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"hi")

    threading.Thread(target=serve, daemon=True).start()
    return listener


def reach(net: Network, src: int, dst: int, port: int) -> bool:
    def attempt() -> bool:
        try:
            with socket.create_connection((net.addresses[dst], port), timeout=0.5) as s:
                return s.recv(2) == b"hi"
        except OSError:
            return False

    return in_namespace(net.members[src], attempt)


@pytest.mark.privileged
def test_partition_cuts_both_ways_and_heal_restores() -> None:
    assert os.geteuid() == 0, "cap namespaces need root"
    with Network(3) as net:
        assert set(ours()) == {*net.members, net.bridge_ns}
        assert net.addresses == ["198.18.50.1", "198.18.50.2", "198.18.50.3"]
        listeners = [serve_once_per_connection(net, m, 7000) for m in range(3)]
        try:
            assert all(reach(net, a, b, 7000) for a in range(3) for b in range(3) if a != b)
            net.isolate(0)
            assert not reach(net, 0, 1, 7000) and not reach(net, 1, 0, 7000)
            assert not reach(net, 2, 0, 7000)
            assert reach(net, 1, 2, 7000) and reach(net, 2, 1, 7000)  # the majority talks
            assert reach(net, 0, 0, 7000)  # a member's own client still reaches it
            net.heal()
            assert reach(net, 0, 1, 7000) and reach(net, 1, 0, 7000)
            net.link_down(2)
            assert not reach(net, 0, 2, 7000)
            net.heal()
            assert reach(net, 0, 2, 7000)
        finally:
            for listener in listeners:
                listener.close()
    assert ours() == []


@pytest.mark.privileged
def test_everything_is_removed_after_an_exception() -> None:
    with pytest.raises(RuntimeError), Network(2) as net:
        sleeper = net.popen(0, ["sleep", "60"])
        assert len(ours()) == 3
        raise RuntimeError("boom")
    assert ours() == []
    sleeper.wait(5)
    assert not alive(sleeper.pid)


@pytest.mark.privileged
def test_stale_namespaces_of_a_dead_run_are_swept_at_the_next_start() -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"{PREFIX}{dead.pid}-0-m1"
    subprocess.run(["ip", "netns", "add", stale], check=True, timeout=10)
    inside = subprocess.Popen(["ip", "netns", "exec", stale, "sleep", "60"])
    try:
        assert stale in namespaces()
        with Network(1):
            assert stale not in namespaces()
        inside.wait(5)
        assert not alive(inside.pid)
    finally:
        if inside.poll() is None:
            inside.kill()
            inside.wait()
        subprocess.run(["ip", "netns", "delete", stale], capture_output=True, timeout=10)


@pytest.mark.privileged
def test_a_namespace_name_already_taken_is_a_user_error(monkeypatch) -> None:
    monkeypatch.setattr(netns, "_SEQ", itertools.count(9999))
    taken = f"{PREFIX}{os.getpid()}-9999-m2"
    subprocess.run(["ip", "netns", "add", taken], check=True, timeout=10)
    try:
        with pytest.raises(UserError, match="already taken"), Network(3):
            pass
        assert ours() == [taken]  # what it made before the clash is gone
    finally:
        subprocess.run(["ip", "netns", "delete", taken], capture_output=True, timeout=10)
    assert ours() == []


@pytest.mark.privileged  # setpriv needs root to become nobody
def test_without_root_one_line_and_exit_status_2(tmp_path: Path) -> None:
    """As user nobody (setpriv). The interpreter lives under /root, so the process keeps
    only CAP_DAC_READ_SEARCH (reading files), not the right to make namespaces."""
    history = tmp_path / "h.jsonl"
    tmp_path.chmod(0o777)
    before = set(namespaces()) if os.geteuid() == 0 else set()
    done = subprocess.run(
        [
            "setpriv",
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "--inh-caps",
            "+dac_read_search",
            "--ambient-caps",
            "+dac_read_search",
            "env",
            f"PYTHONPATH={ROOT}",
            sys.executable,
            "-m",
            "commbench.cap",
            "run",
            "--store",
            "etcd",
            "--history",
            str(history),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "need root" in done.stderr and "Traceback" not in done.stderr
    assert not history.exists()
    if os.geteuid() == 0:
        assert set(namespaces()) == before
