"""NATS end to end: real nats-server processes, producer and consumer in their own
processes, faults mid-stream, and the books counted from the per-message records."""

from __future__ import annotations

import _thread
import os
import threading
import time
from pathlib import Path

import pytest

from commbench.messaging import Unsupported
from commbench.messaging.brokers import NatsBroker, filesystem_of
from commbench.messaging.modes import MODES
from commbench.messaging.stream import StreamSpec, books, run_stream


def _children() -> set[int]:
    """PIDs of this process's live (not zombie) children."""
    me = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[1] == me and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_core_nats_loses_what_is_sent_while_the_consumer_is_down(tmp_path: Path) -> None:
    spec = StreamSpec(
        MODES["nats/core"], count=800, rate_per_s=1000, fault="consumer-kill", down_s=0.4
    )
    result = run_stream(spec, tmp_path)
    ledger = result.ledger
    assert ledger.balanced, ledger.failures
    assert ledger.sent == 800 and ledger.acknowledged == 0
    # 0.4 s down at 1000/s, plus the new consumer's start: hundreds never arrive
    assert ledger.lost_sent >= 200, ledger
    assert ledger.distinct == ledger.sent - ledger.lost_sent
    assert ledger.unexpected == 0 and not result.timed_out
    assert [e["event"] for e in result.events][-3:] == [
        "consumer-kill start",
        "consumer-kill end",
        "producer done",
    ]
    # the books re-count from the saved records alone
    assert books(tmp_path)[0] == ledger
    assert {"producer-0.jsonl", "consumer-0.jsonl", "consumer-1.jsonl", "stream.json"} <= {
        p.name for p in tmp_path.iterdir()
    }


def test_jetstream_always_accounts_for_every_acknowledged_message(tmp_path: Path) -> None:
    spec = StreamSpec(
        MODES["nats/js-always"], count=600, rate_per_s=1000, fault="broker-kill", down_s=0.3
    )
    result = run_stream(spec, tmp_path)
    ledger = result.ledger
    assert ledger.balanced, ledger.failures
    assert ledger.acknowledged >= 500  # the producer went on after the restart
    assert ledger.lost == 0, f"{ledger.lost} acknowledged messages never delivered"
    assert ledger.unexpected == 0
    assert result.broker["broker_version"].count(".") == 2
    assert result.broker["broker_flags"]["sync_interval"] == "always"
    assert result.e2e_ns.size == ledger.distinct and (result.e2e_ns > 0).all()
    assert books(tmp_path)[0] == ledger


def test_a_broker_that_dies_at_start_is_unsupported_with_its_reason() -> None:
    broker = NatsBroker({"jetstream": True, "sync_interval": "not-a-duration"})
    with pytest.raises(Unsupported, match=r"^nats: exited with status \d+ at start"):
        broker.start()
    assert broker.dir is None and _gone(broker.pid)


def test_a_missing_broker_binary_is_unsupported_in_one_line(monkeypatch) -> None:
    monkeypatch.setattr(NatsBroker, "binary", "no-such-nats-server")
    with pytest.raises(Unsupported, match="no-such-nats-server not found") as info:
        NatsBroker().start()
    assert "\n" not in str(info.value)


def test_ctrl_c_mid_stream_leaves_no_process_and_no_directory(tmp_path: Path) -> None:
    before = _children()
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    dirs_before = set(tmp.glob(f"commbench-{os.getpid()}-nats-*"))
    timer = threading.Timer(1.5, _thread.interrupt_main)
    spec = StreamSpec(MODES["nats/js-default"], count=3000, rate_per_s=1000)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_stream(spec, tmp_path)
    finally:
        timer.cancel()
    deadline = time.monotonic() + 5
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _children() - before == set()
    assert set(tmp.glob(f"commbench-{os.getpid()}-nats-*")) <= dirs_before
    assert (tmp_path / "producer-0.jsonl").exists()  # it was interrupted mid-stream


def test_filesystem_of_picks_the_longest_mount_point() -> None:
    mountinfo = (
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "30 22 0:5 / /dev/shm rw - tmpfs tmpfs rw\n"
        "31 22 0:6 / /dev/shmx rw - xfs /dev/x rw\n"
    )
    assert filesystem_of("/dev/shm/broker/data", mountinfo) == "tmpfs"
    assert filesystem_of("/dev/shmx", mountinfo) == "xfs"
    assert filesystem_of("/home/me", mountinfo) == "ext4"


def test_zeromq_pullers_share_the_stream_and_a_killed_peer_loses_its_queue(
    tmp_path: Path,
) -> None:
    spec = StreamSpec(
        MODES["zmq/push-pull"],
        count=1800,
        rate_per_s=3000,
        consumers=2,
        fault="consumer-kill",
        down_s=0.3,
    )
    result = run_stream(spec, tmp_path)
    ledger = result.ledger
    assert ledger.balanced, ledger.failures
    assert len(result.shares) == 3  # two pullers and the killed one's successor
    assert sum(result.shares) == ledger.received
    assert result.shares[1] == 900  # the puller left alive got its half throughout
    # what sat queued in the killed puller is gone (a few: it read as fast as they came);
    # what PUSH held for it while it was down went to its successor
    assert ledger.lost_sent > 0 and ledger.lost_sent == ledger.sent - ledger.distinct
