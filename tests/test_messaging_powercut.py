"""The power-cut layer: FUSE over a broker's data directory that drops unsynced writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from commbench.messaging.modes import MODES
from commbench.messaging.powercut import PowerCutLayer
from commbench.messaging.stream import StreamSpec, run_stream

pytestmark = pytest.mark.privileged  # FUSE mounts: root and /dev/fuse


def test_a_cut_keeps_what_was_fsynced_and_drops_the_rest(tmp_path: Path) -> None:
    layer = PowerCutLayer(tmp_path / "mount", tmp_path / "backing")
    layer.start()
    try:
        path = tmp_path / "mount" / "log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"synced")
        os.fsync(fd)
        os.write(fd, b"-unsynced")
        os.close(fd)
        assert path.read_bytes() == b"synced-unsynced"  # readers see the page cache
        assert (tmp_path / "backing" / "log").read_bytes() == b"synced"
        os.rename(path, tmp_path / "mount" / "log2")  # unsynced data follows a rename
        assert (tmp_path / "mount" / "log2").read_bytes() == b"synced-unsynced"
        layer.cut()
        assert not os.path.ismount(tmp_path / "mount")
        layer.start()
        assert (tmp_path / "mount" / "log2").read_bytes() == b"synced"
    finally:
        layer.stop()
    assert not os.path.ismount(tmp_path / "mount")


@pytest.mark.slow
def test_redis_appendfsync_always_survives_a_power_cut_and_no_does_not(tmp_path: Path) -> None:
    lost = {}
    for fsync in ("always", "no"):
        spec = StreamSpec(
            MODES[f"redis/aof-{fsync}"], count=1500, rate_per_s=1000, fault="power-cut", down_s=0.3
        )
        result = run_stream(spec, tmp_path / fsync)
        assert result.ledger.balanced, result.ledger.failures
        assert result.broker["data_fs"] == "fuse" and result.broker["powercut_layer"]
        lost[fsync] = result.ledger.lost
    assert lost["always"] == 0
    # with appendfsync no nothing reaches the disk here (only the OS would write it back):
    # the backlog built while the consumer was down, acknowledged, dies with the power
    assert lost["no"] > 0


def test_writes_to_a_file_opened_o_dsync_survive_the_cut(tmp_path: Path) -> None:
    """O_DSYNC makes each write durable when it returns, without any fsync (brokers'
    write-ahead logs may open their files so)."""
    layer = PowerCutLayer(tmp_path / "mount", tmp_path / "backing")
    layer.start()
    try:
        (tmp_path / "mount" / "wal").write_bytes(b"")
        (tmp_path / "mount" / "plain").write_bytes(b"")
        fd = os.open(tmp_path / "mount" / "wal", os.O_WRONLY | os.O_DSYNC)
        os.write(fd, b"durable")
        os.close(fd)
        fd = os.open(tmp_path / "mount" / "plain", os.O_WRONLY)
        os.write(fd, b"lost")
        os.close(fd)
        layer.cut()
        layer.start()
        assert (tmp_path / "mount" / "wal").read_bytes() == b"durable"
        assert (tmp_path / "mount" / "plain").read_bytes() == b""
    finally:
        layer.stop()


def _cut_and_remount(layer: PowerCutLayer) -> None:
    layer.cut()
    layer.start()


def test_a_file_created_o_dsync_is_synchronous(tmp_path: Path) -> None:
    """open(O_CREAT|O_DSYNC) reaches the layer as create() (fusepy gives it the flags only
    with raw_fi); the kernel also sends an fsync after each O_DSYNC write: either way the
    writes must survive."""
    layer = PowerCutLayer(tmp_path / "mount", tmp_path / "backing")
    layer.start()
    try:
        fd = os.open(tmp_path / "mount" / "wal", os.O_WRONLY | os.O_CREAT | os.O_DSYNC, 0o644)
        os.write(fd, b"durable")
        os.close(fd)
        fd = os.open(tmp_path / "mount" / "plain", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"lost")
        os.close(fd)
        _cut_and_remount(layer)
        assert (tmp_path / "mount" / "wal").read_bytes() == b"durable"
        assert (tmp_path / "mount" / "plain").read_bytes() == b""
    finally:
        layer.stop()


def test_o_dsync_is_per_open_not_per_file(tmp_path: Path) -> None:
    """A later plain open of a file once opened O_DSYNC holds its writes again."""
    layer = PowerCutLayer(tmp_path / "mount", tmp_path / "backing")
    layer.start()
    try:
        path = tmp_path / "mount" / "log"
        path.write_bytes(b"")
        fd = os.open(path, os.O_WRONLY | os.O_DSYNC)
        os.write(fd, b"a")
        os.close(fd)
        fd = os.open(path, os.O_WRONLY)
        os.pwrite(fd, b"b", 1)
        os.close(fd)
        assert path.read_bytes() == b"ab"
        _cut_and_remount(layer)
        assert path.read_bytes() == b"a"
    finally:
        layer.stop()


def test_a_held_write_past_a_hole_keeps_the_file_size(tmp_path: Path) -> None:
    """A read that ends in the hole between the backing file's end and a held write must
    return zeros, not stop short: the kernel takes a short read as end of file and cuts
    the file's size (dets files, Mnesia's schema among them, came back short so)."""
    layer = PowerCutLayer(tmp_path / "mount", tmp_path / "backing")
    layer.start()
    try:
        path = tmp_path / "mount" / "table"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        os.write(fd, b"x" * 10)
        os.fsync(fd)  # the backing file: 10 bytes
        os.pwrite(fd, b"y" * 10, 1 << 20)  # held, past the kernel's first read (readahead)
        os.close(fd)
        expected = b"x" * 10 + b"\x00" * ((1 << 20) - 10) + b"y" * 10
        assert path.read_bytes() == expected
        assert os.stat(path).st_size == len(expected)
        with open(path, "rb") as f:
            assert f.seek(0, os.SEEK_END) == len(expected)
    finally:
        layer.stop()


def test_writeback_makes_held_writes_survive_a_later_cut(tmp_path: Path) -> None:
    """writeback() is the kernel's flusher: what was written before it survives the cut,
    what is written after it and not fsynced does not."""
    layer = PowerCutLayer(tmp_path / "mount", tmp_path / "backing")
    layer.start()
    try:
        path = tmp_path / "mount" / "config"
        path.write_bytes(b"start-up")  # no fsync, as RabbitMQ writes its feature flags
        assert (tmp_path / "backing" / "config").read_bytes() == b""
        assert layer.writeback() == 1
        assert (tmp_path / "backing" / "config").read_bytes() == b"start-up"
        with open(path, "ab") as f:
            f.write(b"+stream")
        _cut_and_remount(layer)
        assert path.read_bytes() == b"start-up"
    finally:
        layer.stop()


def test_hard_and_symbolic_links_pass_through(tmp_path: Path) -> None:
    layer = PowerCutLayer(tmp_path / "mount", tmp_path / "backing")
    layer.start()
    try:
        mount = tmp_path / "mount"
        (mount / "a").write_bytes(b"held")
        os.link(mount / "a", mount / "b")
        os.symlink("a", mount / "c")
        assert (mount / "b").read_bytes() == b"held"
        assert os.readlink(mount / "c") == "a"
        assert (tmp_path / "backing" / "b").read_bytes() == b"held"  # one inode: written
    finally:
        layer.stop()


@pytest.mark.slow
def test_a_rabbitmq_quorum_queue_comes_back_from_a_power_cut_with_every_confirm(
    tmp_path: Path,
) -> None:
    """Quorum queues confirm after the Raft WAL is fdatasynced: through a correct layer
    the node boots again and every confirmed message is delivered. (Two layer artefacts
    once made it lose its whole backlog: Mnesia's dets files read back short, and the
    start-up feature-flags file, never fsynced, was dropped; the node did not boot.)"""
    spec = StreamSpec(
        MODES["rabbitmq/quorum"], count=1500, rate_per_s=1000, fault="power-cut", down_s=0.5
    )
    result = run_stream(spec, tmp_path / "quorum")
    assert result.broker["data_fs"] == "fuse" and result.broker["powercut_layer"]
    assert result.errors == []  # the broker and the consumer restarted
    assert result.ledger.balanced, result.ledger.failures
    assert result.ledger.acknowledged > 0
    assert result.ledger.lost == 0
