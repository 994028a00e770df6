"""The native floors: the C helpers build and ping-pong on loopback, the Debian tools run,
a missing tool is an unsupported reason, and the interpreter's share joins the right rows.

Nothing here skips: ``make test`` installs gcc's inputs, sockperf, qperf and iperf3, so a
missing one is a failure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commbench.transports import Unsupported
from commbench.transports import native as n
from commbench.transports.placement import Placement, placements

COUNT = 50


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory):
    """The helpers, built from native/ by the Makefile into a directory of this test's."""
    where = tmp_path_factory.mktemp("native-build")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(n.BUILD_ENV, str(where))
        try:
            n.build()
        except Unsupported as exc:
            pytest.fail(f"the native helpers did not build: {exc}")
        yield where


def _placement(spinning: bool) -> Placement:
    return placements(spinning)[0]


C_FLOORS = [
    (name, floor)
    for name, floors in n.FLOORS.items()
    for floor in floors
    if floor.tool == "c-helper"
]


def test_build_makes_every_helper(build_dir) -> None:
    for helper in ("pingpong_sock", "pingpong_shm", "pingpong_zmq", "pingpong_mpi"):
        assert (build_dir / helper).is_file(), helper


@pytest.mark.parametrize(("name", "floor"), C_FLOORS, ids=[name for name, _ in C_FLOORS])
def test_c_helper_ping_pong(build_dir, name: str, floor: n.Floor) -> None:
    samples = floor.run(_placement(floor.spinning), 64, COUNT, max_seconds=10.0)
    assert samples.tool == "c-helper"
    assert samples.per_round_trip
    assert samples.rtt_ns.size + samples.lost == COUNT  # only UDP may lose
    assert samples.rtt_ns.size >= COUNT - 2
    assert (samples.rtt_ns > 0).all()
    assert (samples.rtt_ns < 1e9).all()  # a loopback round trip is not a second
    assert samples.info["library_version"]


def test_zmq_helper_measures_the_suites_libzmq(build_dir) -> None:
    import zmq

    samples = n.FLOORS["zmq-reqrep-tcp"][0].run(_placement(False), 4096, 20, max_seconds=10.0)
    assert samples.info["library_version"] == zmq.zmq_version()


def test_mpi_helper_measures_a_batch_in_one_launch(build_dir) -> None:
    floor = n.FLOORS["mpi-buffer-shm"][0]
    placement = _placement(True)
    batch = [(1, 30), (65536, 20)]
    first = floor.run(placement, 1, 30, max_seconds=10.0, batch=batch)
    second = floor.run(placement, 65536, 20, max_seconds=10.0, batch=batch)
    assert first.rtt_ns.size == 30 and second.rtt_ns.size == 20
    assert (first.rtt_ns > 0).all() and (second.rtt_ns > 0).all()
    assert first.info["library_version"].startswith("MPICH")


def test_helper_failure_is_an_error_not_a_sample(build_dir) -> None:
    same_core = Placement("same-core", 0, 0)  # the spinning helper refuses one core
    with pytest.raises(n.FloorError, match="never on one core"):
        n.FLOORS["shm-floor"][0].run(same_core, 64, COUNT, max_seconds=5.0)


def test_c_stream_counts_every_byte(build_dir) -> None:
    for name in ("tcp", "uds"):
        stream = n.STREAM_FLOORS[name][0].run(_placement(False), 4096, 200, max_seconds=10.0)
        assert (stream.messages, stream.received_bytes) == (200, 200 * 4096)
        assert stream.elapsed_ns > 0


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_sockperf_gives_every_round_trip(protocol: str) -> None:
    floor = next(f for f in n.FLOORS[protocol] if f.tool == "sockperf")
    samples = floor.run(_placement(False), 64, 500, max_seconds=10.0, seconds=1)
    assert samples.rtt_ns.size == 500  # sockperf sends thousands a second; the first 500 kept
    assert (samples.rtt_ns > 0).all() and (samples.rtt_ns < 1e9).all()
    assert samples.info["sockperf_messages"] >= 500
    assert samples.info["library_version"].startswith("sockperf")


def test_qperf_gives_its_mean() -> None:
    floor = next(f for f in n.FLOORS["tcp"] if f.tool == "qperf")
    samples = floor.run(_placement(False), 64, COUNT, max_seconds=10.0, seconds=1)
    assert not samples.per_round_trip
    assert samples.rtt_ns.shape == (1,) and 0 < samples.rtt_ns[0] < 1e9


def test_iperf3_streams_tcp() -> None:
    stream = n.STREAM_FLOORS["tcp"][1].run(_placement(False), 65536, 64, max_seconds=10.0)
    assert stream.tool == "iperf3"
    assert 0 < stream.received_bytes <= 64 * 65536
    assert stream.elapsed_ns > 0


def test_missing_tool_is_an_unsupported_reason(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no sockperf, qperf, iperf3 here
    for floor in (n.FLOORS["tcp"][1], n.FLOORS["udp"][2]):
        with pytest.raises(Unsupported, match="is not installed"):
            floor.run(_placement(False), 64, COUNT)
    with pytest.raises(Unsupported, match="iperf3 is not installed"):
        n.STREAM_FLOORS["tcp"][1].run(_placement(False), 64, COUNT)


def test_missing_helper_is_an_unsupported_reason(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(n.BUILD_ENV, str(tmp_path))  # nothing built here
    with pytest.raises(Unsupported, match="make native"):
        n.FLOORS["uds"][0].run(_placement(False), 64, COUNT)
    with pytest.raises(Unsupported, match="no native floor for zmq-pubsub-1"):
        n.floors_for("zmq-pubsub-1")


def test_size_limits_are_unsupported() -> None:
    with pytest.raises(Unsupported, match="at most 65506"):
        n.FLOORS["tcp"][1].run(_placement(False), 65536, COUNT)


def test_parse_helper_output() -> None:
    text = "# tool c-helper\n# kind udp\n# size_bytes 64\n# lost 1\nrtt_ns 3\n10\n20\n30\n"
    meta, blocks = n.parse_helper_output(text)
    assert meta == {"tool": "c-helper", "kind": "udp", "size_bytes": "64", "lost": "1"}
    assert blocks[64].tolist() == [10, 20, 30]
    with pytest.raises(n.FloorError, match="announced 3 samples and printed 2"):
        n.parse_helper_output("# size_bytes 8\nrtt_ns 3\n1\n2\n")
    with pytest.raises(n.FloorError, match="unexpected"):
        n.parse_helper_output("Segmentation fault\n")


def test_parse_sockperf_and_qperf() -> None:
    log = (
        "sockperf: summary\npacket, txTime(sec), rxTime(sec), latency(usec)\n"
        "0, 1.000000000, 1.000010001, 5.000\n1, 1.5, 1.500020000, 10.000\n------\n"
    )
    assert n.parse_sockperf_full_log(log).tolist() == [10001, 20000]
    with pytest.raises(n.FloorError):
        n.parse_sockperf_full_log("no log\n")
    assert n.parse_qperf_latency_ns("tcp_lat:\n    latency   =    12.3 us\n") == pytest.approx(
        12300
    )
    with pytest.raises(n.FloorError):
        n.parse_qperf_latency_ns("failed to connect\n")


def _row(family, transport, size, p50, *, file="a.json", tool=None, placement="same-core"):
    row = {"file": file, "family": family, "subject": transport, "transport": transport}
    row |= {"placement": placement, "size_bytes": size, "path": "localhost"}
    row |= {"metric.one_way_p50_ns": p50}
    if tool:
        row["tool"] = tool
    return row


def test_interpreter_share_joins_same_run_same_case() -> None:
    table = pd.DataFrame(
        [
            _row("latency", "tcp", 64, 9000.0),
            _row("floor", "tcp", 64, 6000.0, tool="c-helper"),
            _row("floor", "tcp", 64, 5000.0, tool="sockperf"),
            _row("latency", "tcp", 4096, 12000.0),  # no floor at this size: left out
            _row("latency", "uds", 64, 8000.0),
            _row("floor", "uds", 64, 2000.0, tool="c-helper"),
            _row("floor", "uds", 64, 1000.0, tool="c-helper", placement="cross-core"),
            _row("floor", "udp", 64, 3000.0, tool="c-helper"),  # no Python row: left out
            _row("latency", "tcp", 64, 99000.0, file="b.json"),  # another run: no floor
            _row("marshalling", "json", 64, 1.0),
        ]
    )
    share = n.interpreter_share(table)
    assert share[["transport", "size_bytes"]].values.tolist() == [["tcp", 64], ["uds", 64]]
    assert share["python_ns"].tolist() == [9000.0, 8000.0]
    assert share["floor_ns"].tolist() == [6000.0, 2000.0]
    assert share["interpreter_ns"].tolist() == [3000.0, 6000.0]
    assert share["python_over_floor"].tolist() == [1.5, 4.0]
    by_sockperf = n.interpreter_share(table, tool="sockperf")
    assert by_sockperf["python_over_floor"].tolist() == [1.8]
    assert n.interpreter_share(pd.DataFrame()).empty
    assert list(n.interpreter_share(pd.DataFrame()).columns) == list(share.columns)


def test_interpreter_share_drops_missing_figures() -> None:
    table = pd.DataFrame(
        [
            _row("latency", "tcp", 64, np.nan),  # an unsupported or failed Python row
            _row("floor", "tcp", 64, 6000.0, tool="c-helper"),
        ]
    )
    assert n.interpreter_share(table).empty


def test_port_bound_reads_proc_net() -> None:
    import socket

    with socket.socket() as listener, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        assert not n.port_bound(port)  # bound, not yet listening
        listener.listen(1)
        assert n.port_bound(port)
        udp.bind(("127.0.0.1", 0))
        assert n.port_bound(udp.getsockname()[1], "udp")
    assert not n.port_bound(port)
