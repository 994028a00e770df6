"""ZeroMQ transports: echoes are exact, streams count what arrived, dead peers never hang."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import zmq

from commbench.transports import TRANSPORTS, Unsupported, zmq_links, zmq_peer
from commbench.transports.peerproc import PeerError, PeerProcess
from commbench.transports.placement import placements
from tests.processes import alive

PLACEMENT = placements(spinning=False)[-1]  # cross-core where there are two CPUs
NAMES = [
    *(f"zmq-reqrep-{kind}" for kind in ("tcp", "ipc", "inproc")),
    *(f"zmq-pushpull-{kind}" for kind in ("tcp", "ipc")),
    *(f"zmq-pubsub-{n}" for n in (1, 2, 4)),
]


def test_registry_has_every_zmq_transport():
    assert [name for name in TRANSPORTS if name.startswith("zmq-")] == NAMES
    assert {n for n in NAMES if TRANSPORTS[n].remote} == {"zmq-reqrep-tcp", "zmq-pushpull-tcp"}
    assert {n for n in NAMES if not TRANSPORTS[n].streams} == {
        "zmq-reqrep-tcp",
        "zmq-reqrep-ipc",
        "zmq-reqrep-inproc",
    }
    assert "GIL" in TRANSPORTS["zmq-reqrep-inproc"].notes
    assert not any(TRANSPORTS[n].spinning for n in NAMES)
    assert {n for n in NAMES if "fanout" in TRANSPORTS[n].tags} == set(NAMES[-3:])


@pytest.mark.parametrize("kind", ["tcp", "ipc", "inproc"])
def test_reqrep_echoes_every_size_exactly(kind):
    with TRANSPORTS[f"zmq-reqrep-{kind}"].open(PLACEMENT, {}) as link:
        info = link.info
        assert info["libzmq"] == zmq.zmq_version() and info["pyzmq"] == zmq.__version__
        assert info["sndhwm"] == info["rcvhwm"] == zmq_peer.HWM
        for size, count in ((1, 300), (64, 300), (65536, 50), (2**20 + 3, 10)):
            samples = link.measure(size, count, max_seconds=10.0)  # checks the bytes at the end
            assert samples.rtt_ns.size == count and samples.lost == 0 and not samples.timed_out
        with pytest.raises(Unsupported, match="lock-step"):
            link.stream(64, 10, 1.0)
    if kind == "tcp":
        assert info["rep"].startswith("tcp://127.0.0.1:") and not info["rep"].endswith(":0")
    if kind == "ipc":
        assert not os.path.exists(info["rep"].removeprefix("ipc://"))  # the socket dir is gone
    if kind == "inproc":
        assert "peer_pid" not in info and info["peer_kind"] == "thread"
    else:
        assert not alive(info["peer_pid"])


def test_a_wrong_echo_is_an_error_not_a_sample():
    """A REP that flips one byte: measure() must refuse the run."""
    ctx = zmq.Context()
    try:
        rep = zmq_peer.bind(ctx, zmq.REP, "tcp://127.0.0.1:*")
        stop = threading.Event()

        def corrupt() -> None:
            while not stop.is_set():
                if rep.poll(50):
                    request = rep.recv()
                    rep.send(bytes([request[0] ^ 0xFF]) + request[1:])

        thread = threading.Thread(target=corrupt, daemon=True)
        thread.start()
        link = zmq_links.ZmqLink(
            ctx, {"rep": rep.last_endpoint.decode()}, PLACEMENT, {"pattern": "REQ/REP"}
        )
        with pytest.raises(RuntimeError, match="echoed different bytes"):
            link.measure(64, 20, max_seconds=5.0)
        stop.set()
        thread.join(2)
    finally:
        ctx.destroy(linger=0)


def test_a_dead_rep_peer_is_a_timeout_error(monkeypatch):
    monkeypatch.setattr(zmq_links, "REPLY_TIMEOUT_S", 0.5)
    with TRANSPORTS["zmq-reqrep-tcp"].open(PLACEMENT, {}) as link:
        os.kill(link.info["peer_pid"], signal.SIGKILL)
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="no reply from the REP peer"):
            link.measure(64, 100, max_seconds=5.0)
        assert time.monotonic() - start < 3.0


@pytest.mark.parametrize("kind", ["tcp", "ipc"])
def test_pushpull_receives_every_message(kind):
    with TRANSPORTS[f"zmq-pushpull-{kind}"].open(PLACEMENT, {}) as link:
        for size, count in ((64, 20000), (65536, 500)):
            result = link.stream(size, count, max_seconds=10.0)
            assert (result.sent, result.received, result.lost) == (count, count, 0)
            assert result.received_bytes == size * count
            assert result.ended == "count" and not result.timed_out and result.elapsed_ns > 0
        with pytest.raises(Unsupported, match="one-way"):
            link.measure(64, 10, 1.0)
        pid = link.info["peer_pid"]
    assert not alive(pid)


def test_a_bad_control_request_is_answered_and_the_peer_keeps_serving():
    with TRANSPORTS["zmq-pushpull-tcp"].open(PLACEMENT, {}) as link:
        req = zmq_peer.connect(link.ctx, zmq.REQ, link.info["rep"], timeout_s=5.0)
        req.send_multipart([zmq_peer.CONTROL, b"start", b"{not json"])
        assert "bad start request" in req.recv_json()["error"]
        req.send_multipart([zmq_peer.CONTROL, b"start", b'{"stream": "x"}'])
        assert "bad start request" in req.recv_json()["error"]
        req.close()
        assert link.stream(64, 1000, max_seconds=5.0).received == 1000


def test_a_pull_peer_killed_mid_stream_is_a_loss_within_max_seconds():
    with TRANSPORTS["zmq-pushpull-tcp"].open(PLACEMENT, {}) as link:
        pid = link.info["peer_pid"]
        killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
        killer.start()
        start = time.monotonic()
        result = link.stream(65536, 10**7, max_seconds=2.0)  # far more than 2 s of data
        took = time.monotonic() - start
        killer.join()
    assert took < 2.5
    assert result.timed_out and result.ended == "no-report"
    assert result.sent > 0 and result.lost > 0
    assert not alive(pid)


def test_a_silent_sink_reports_what_it_got_after_the_idle_timeout():
    ctx = zmq.Context()
    try:
        pull = zmq_peer.bind(ctx, zmq.PULL, "inproc://sink")
        push = zmq_peer.connect(ctx, zmq.PUSH, "inproc://sink")
        for _ in range(10):
            push.send(b"x" * 100)
        report = zmq_peer.count_stream(pull, count=20, size=100, budget_s=5.0, idle_s=0.2)
    finally:
        ctx.destroy(linger=0)
    assert report["received"] == 10 and report["received_bytes"] == 1000
    assert report["ended"] == "idle" and 0.15e9 < report["tail_ns"] < 2e9


def test_pubsub_counts_each_subscriber_and_the_handshake_loses_nothing():
    options = {"publish_rate_msgs_per_s": 20000}
    with TRANSPORTS["zmq-pubsub-2"].open(PLACEMENT, options) as link:
        pids = link.info["subscriber_pids"]
        assert len(pids) == 2 and len(link.info["subscriber_cpus"]) == 2
        assert all(alive(pid) for pid in pids)
        for _ in range(2):  # a second stream on the same subscribers starts from zero
            result = link.stream(64, 4000, max_seconds=10.0)
            assert result.per_subscriber_received == (4000, 4000)
            assert result.lost_per_subscriber == (0, 0) and result.lost == 0
            assert result.received_bytes == 64 * 4000 and result.ended == "count"
            assert result.elapsed_ns >= result.publish_ns > 0
        with pytest.raises(Unsupported, match="one-way"):
            link.measure(64, 10, 1.0)
    assert not any(alive(pid) for pid in pids)


def test_pubsub_received_is_the_minimum_over_subscribers():
    result = zmq_links.FanoutResult(10, 7, 70, 1, True, "count", per_subscriber_received=(9, 7))
    assert result.lost == 3 and result.lost_per_subscriber == (1, 3)


def test_lan_peer_serves_rep_and_pull_on_the_next_two_ports():
    for _attempt in range(5):  # PORT+1 or PORT+2 may happen to be taken
        try:
            peer = PeerProcess("lan", "--listen", "127.0.0.1:0")
            break
        except PeerError:
            continue
    else:
        pytest.fail("no free port triple for the LAN peer")
    with peer:
        port = peer.info["tcp"][1]
        assert peer.info["zmq_rep"] == f"tcp://127.0.0.1:{port + 1}"
        assert peer.info["zmq_pull"] == f"tcp://127.0.0.1:{port + 2}"
        options = {"peer": f"127.0.0.1:{port}"}
        with TRANSPORTS["zmq-reqrep-tcp"].open(PLACEMENT, options) as link:
            assert link.info["path"] == "lan"
            assert link.measure(4096, 100, max_seconds=5.0).rtt_ns.size == 100
        with TRANSPORTS["zmq-pushpull-tcp"].open(PLACEMENT, options) as link:
            assert link.stream(4096, 2000, max_seconds=5.0).received == 2000
        for name in ("zmq-reqrep-ipc", "zmq-pubsub-1"):
            with pytest.raises(Unsupported), TRANSPORTS[name].open(PLACEMENT, options):
                pass
