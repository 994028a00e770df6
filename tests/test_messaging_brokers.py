"""Brokers as private processes: started, recorded, restarted, and always cleaned up."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from commbench.messaging import Unsupported, brokers
from commbench.messaging.brokers import BROKERS, RabbitBroker


def _gone(pid: int | None) -> bool:
    assert pid is not None
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def test_a_port_in_use_is_one_unsupported_line(monkeypatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(brokers, "free_port", lambda: port)
        broker = BROKERS["nats"]()
        with pytest.raises(Unsupported, match=r"^nats: exited with status \d+ at start") as info:
            broker.start()
    assert "\n" not in str(info.value)
    assert broker.dir is None and _gone(broker.pid)


@pytest.mark.parametrize("name", ["redis", "mosquitto"])
def test_debian_brokers_start_record_restart_and_stop(name: str) -> None:
    with BROKERS[name](cpu=sorted(os.sched_getaffinity(0))[0]) as broker:
        info = broker.info()
        assert info["broker_version"].count(".") == 2, info
        assert info["data_fs"] not in ("", "unknown")
        assert info["data_on_tmpfs"] == (info["data_fs"] == "tmpfs")
        first, directory = broker.pid, broker.dir
        broker.kill()
        assert _gone(first)
        broker.start()
        assert broker.pid != first and broker.dir == directory and broker.alive()
        pid = broker.pid
    assert _gone(pid) and not directory.exists()


@pytest.mark.slow
def test_rabbitmq_and_its_epmd_are_ended_after_an_exception() -> None:
    broker = RabbitBroker()
    with pytest.raises(RuntimeError, match="boom"), broker:
        assert broker.version.startswith("3."), broker.version
        assert (
            broker.info()["broker_flags"]["erl_args"] == "+sbwt none +sbwtdcpu none +sbwtdio none"
        )
        beam, epmd = broker.pid, broker.epmd.pid
        assert "beam" in Path(f"/proc/{beam}/comm").read_text()  # our PID is the VM's
        assert "epmd" in Path(f"/proc/{epmd}/comm").read_text()
        directory = broker.dir
        raise RuntimeError("boom")
    assert _gone(beam) and _gone(epmd) and not directory.exists()


def test_broker_ports_are_free_and_below_the_ephemeral_range() -> None:
    # a client reconnecting to a dead broker can otherwise connect to itself on the
    # broker's port (TCP self-connect) and keep the broker from listening again
    low = brokers.ephemeral_low()
    ports = {brokers.free_port() for _ in range(20)}
    assert all(1024 <= p < low for p in ports)
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
