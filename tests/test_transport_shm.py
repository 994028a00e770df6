"""The shared-memory floor: echoes the bytes, refuses one core, never hangs on a bad peer."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from commbench.transports import TRANSPORTS, Unsupported
from commbench.transports.placement import Placement, available_cpus
from commbench.transports.shm import PeerTimeout
from commbench.transports.shm_links import message_bytes
from tests.processes import alive

SHM = TRANSPORTS["shm-floor"]
CPUS = available_cpus()
needs_two_cpus = pytest.mark.two_cpus
CROSS = Placement("cross-core", CPUS[0], CPUS[-1])


def test_message_bytes_are_never_all_zero():
    assert message_bytes(0) == b""
    assert message_bytes(3) == b"\x01\x02\x03"
    assert len(message_bytes(1000)) == 1000 and b"\x00" not in message_bytes(1000)


@needs_two_cpus
def test_round_trips_echo_every_size_and_leave_nothing_behind():
    with SHM.open(CROSS, {}) as link:
        peer_pid = link.info["peer_pid"]
        name = link.segment.name
        for size, count in ((1, 500), (4096, 500), (2**20, 30)):
            samples = link.measure(size, count, max_seconds=10.0)  # checks the echoed bytes
            assert samples.rtt_ns.size == count
            assert (samples.rtt_ns > 0).all()
            assert samples.lost == 0 and not samples.timed_out
        assert link.info["shm_capacity_bytes"] == 2**20
    assert not alive(peer_pid)
    assert not os.path.exists(f"/dev/shm/{name}")


@needs_two_cpus
def test_a_wrong_echo_is_an_error_not_a_sample(monkeypatch):
    from commbench.transports import shm_links

    with SHM.open(CROSS, {}) as link:
        link.measure(64, 10, max_seconds=5.0)
        original = shm_links.measure_rtt  # then corrupt the reply behind the client's back

        def then_corrupt(*args, **kwargs):
            result = original(*args, **kwargs)
            offset = shm_links.s.reply_offset(link.capacity)
            link.segment.buf[offset : offset + 1] = b"\x00"
            return result

        monkeypatch.setattr(shm_links, "measure_rtt", then_corrupt)
        with pytest.raises(RuntimeError, match="returned other bytes"):
            link.measure(64, 10, max_seconds=5.0)


def test_refuses_one_core_and_oversized_messages():
    with pytest.raises(Unsupported, match="one core"), SHM.open(Placement("same", 0, 0), {}):
        pass
    with pytest.raises(Unsupported, match="cross machines"), SHM.open(CROSS, {"peer": "h:1"}):
        pass
    if len(CPUS) >= 2:
        with (
            SHM.open(CROSS, {"shm_capacity_bytes": 4096}) as link,
            pytest.raises(Unsupported, match="exceeds"),
        ):
            link.measure(8192, 10, max_seconds=1.0)


@needs_two_cpus
def test_a_killed_peer_is_a_clear_error_at_once():
    with SHM.open(CROSS, {"shm_reply_timeout_s": 10.0}) as link:
        peer_pid = link.info["peer_pid"]
        killer = threading.Timer(0.5, os.kill, (peer_pid, signal.SIGKILL))
        killer.start()
        start = time.monotonic()
        with pytest.raises(PeerTimeout, match=f"peer process {peer_pid} exited"):
            link.measure(64, 10**9, max_seconds=60.0)
        assert time.monotonic() - start < 5.0  # the liveness check, not the 10 s deadline
        killer.join()
        with pytest.raises(PeerTimeout, match="gone"):
            link.measure(64, 10, max_seconds=1.0)
    assert not alive(peer_pid)


@needs_two_cpus
def test_a_hung_peer_is_an_error_at_the_deadline():
    with SHM.open(CROSS, {"shm_reply_timeout_s": 1.5}) as link:
        peer_pid = link.info["peer_pid"]
        link.measure(64, 10, max_seconds=5.0)
        os.kill(peer_pid, signal.SIGSTOP)
        try:
            start = time.monotonic()
            with pytest.raises(PeerTimeout, match=r"within 1\.5 s"):
                link.measure(64, 10, max_seconds=60.0)
            assert 1.0 < time.monotonic() - start < 5.0
        finally:
            os.kill(peer_pid, signal.SIGCONT)
    assert not alive(peer_pid)
