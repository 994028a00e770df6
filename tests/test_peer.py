"""Peers are real processes: ready handshake, robustness against bad clients, no orphans."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from commbench.transports import TRANSPORTS, sockets
from commbench.transports.framing import HEADER, encode_frame, recv_frame
from commbench.transports.latency import _replay_clock, measure_rtt
from commbench.transports.peerproc import PeerError, PeerProcess
from commbench.transports.placement import placements
from tests.processes import alive


def echo(address: dict, message: bytes) -> bytes:
    with sockets.connect_stream(address, b"E") as sock:
        sock.sendall(encode_frame(message))
        return bytes(recv_frame(sock))


@pytest.fixture
def peer_log(tmp_path):
    with open(tmp_path / "peer.log", "w+") as log:
        yield log


@pytest.fixture
def tcp_peer(peer_log):
    with PeerProcess("tcp", "--max-frame-bytes", "1024", log=peer_log) as peer:
        yield peer


def logged(log) -> str:
    time.sleep(0.3)  # the peer logs from its connection thread
    log.seek(0)
    return log.read()


def test_tcp_echo_returns_the_bytes_sent(tcp_peer: PeerProcess) -> None:
    for message in (b"", b"x", bytes(range(256)) * 4):
        assert echo(tcp_peer.info, message) == message


def test_oversized_frames_are_refused_and_the_peer_keeps_serving(tcp_peer, peer_log) -> None:
    with sockets.connect_stream(tcp_peer.info, b"E") as sock:
        sock.sendall(HEADER.pack(10**9))  # announces 1 GB; the peer allows 1 KiB
        sock.settimeout(5)
        assert sock.recv(1) == b""  # closed by the peer, nothing allocated or sent
    assert echo(tcp_peer.info, b"still here") == b"still here"
    assert "frame of 1000000000 bytes announced, maximum is 1024" in logged(peer_log)


def test_garbage_truncation_and_vanishing_clients(tcp_peer, peer_log) -> None:
    host, port = tcp_peer.info["tcp"]
    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"Zgarbage")  # unknown mode byte
    with sockets.connect_stream(tcp_peer.info, b"E") as sock:
        sock.sendall(encode_frame(b"0123456789")[:-4])  # vanishes mid-frame
    with sockets.connect_stream(tcp_peer.info, b"S") as sock:
        sock.sendall(b"\x00\x00")  # half a header, then gone
    err = logged(peer_log)
    assert "unknown mode byte b'Z'" in err
    assert "mid-frame" in err
    assert echo(tcp_peer.info, b"ok") == b"ok"  # still serving


def test_peer_stops_by_pid_and_leaves_no_orphan() -> None:
    peer = PeerProcess("uds")
    pid, path = peer.pid, peer.info["uds"]
    assert alive(pid)
    peer.stop()
    assert not alive(pid)
    assert not os.path.exists(path)
    assert not os.path.exists(os.path.dirname(path))  # nothing left in /tmp


def test_peer_dies_with_its_parent(tmp_path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from commbench.transports.peerproc import PeerProcess
        peer = PeerProcess("tcp")
        print(peer.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    assert alive(child_pid)
    parent.send_signal(signal.SIGKILL)  # no chance to clean up
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child_pid), "the peer outlived its parent"


def test_a_peer_that_cannot_listen_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PeerError, match="exited with status 2 before it was ready"):
            PeerProcess("tcp", "--listen", f"127.0.0.1:{port}")


def test_udp_losses_are_counted_not_hidden() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))  # a "peer" that never answers
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.connect(sink.getsockname())
            round_trip = sockets.udp_round_trip(client, b"abcdefgh")
            result = measure_rtt(round_trip, 8, count=3, warmup=0, max_seconds=5)
    assert result.lost == 3 and result.rtt_ns.size == 0


def test_every_local_socket_transport_measures_each_placement() -> None:
    for name in ("tcp", "uds", "udp"):
        transport = TRANSPORTS[name]
        for placement in placements(transport.spinning):
            with transport.open(placement, {}) as link:
                result = link.measure(64, 50, 5.0)
            assert result.rtt_ns.size == 50 and result.lost == 0
            assert (result.rtt_ns > 1000).all()  # a loopback round trip takes > 1 us


def test_record_samples_stores_exactly_the_measured_times(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import json, numpy as np
        from commbench.transports.latency import record_samples

        def test_replay(benchmark):
            samples = np.array([3e-6, 1e-6, 2e-6, 5e-5])
            record_samples(benchmark, samples)
            assert benchmark.stats.stats.data == samples.tolist()
            assert abs(benchmark.stats.stats.median - 2.5e-6) < 1e-15
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--benchmark-quiet")
    result.assert_outcomes(passed=1)
    # and in this process: the replayed timer gives back each duration exactly
    replay = list(_replay_clock(np.array([3e-6, 1e-6])))
    assert replay == [0.0, 3e-6, 0.0, 1e-6]
