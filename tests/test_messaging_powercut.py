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
