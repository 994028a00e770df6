"""The transport references: the hand-written ping-pong and sockperf (C)."""

from __future__ import annotations

import numpy as np
import pytest

from commbench.transports.placement import available_cpus
from commbench.transports.reference import (
    HANDWRITTEN_KINDS,
    handwritten_rtt_ns,
    handwritten_tcp_rtt_ns,
    parse_sockperf,
    sockperf_available,
    sockperf_tcp_one_way_ns,
)

SOCKPERF_OUTPUT = """\
sockperf: == version #3.7-no.git ==
sockperf[CLIENT] send on:sockperf: using recvfrom() to block on socket(s)
sockperf: [Valid Duration] RunTime=0.550 sec; SentMessages=26373; ReceivedMessages=26372
sockperf: ====> avg-latency=10.384 (std-dev=2.141)
sockperf: Summary: Latency is 10.384 usec
sockperf: Total 26372 observations; each percentile contains 263.72 observations
sockperf: ---> <MAX> observation =   60.452
sockperf: ---> percentile 99.999 =   60.452
sockperf: ---> percentile 99.000 =   16.890
sockperf: ---> percentile 50.000 =   10.015
sockperf: ---> <MIN> observation =    8.108
"""


def test_sockperf_summary_is_parsed_in_nanoseconds() -> None:
    figures = parse_sockperf(SOCKPERF_OUTPUT)
    assert figures["mean_ns"] == pytest.approx(10384.0)
    assert figures["p50_ns"] == pytest.approx(10015.0)
    assert figures["p99_ns"] == pytest.approx(16890.0)
    assert figures["p99.999_ns"] == pytest.approx(60452.0)
    with pytest.raises(ValueError, match="no sockperf latency summary"):
        parse_sockperf("sockperf: connection refused\n")


def test_sockperf_runs_here() -> None:
    assert sockperf_available(), "sockperf is installed by `make test` (Debian package)"
    cpu = available_cpus()[0]
    figures = sockperf_tcp_one_way_ns(64, client_cpu=cpu, server_cpu=cpu, seconds=1)
    assert 500 < figures["p50_ns"] < 5_000_000  # a loopback one-way trip: µs, not ns or s


def test_handwritten_pingpong_times_every_round_trip() -> None:
    cpu = available_cpus()[0]
    rtt = handwritten_tcp_rtt_ns(64, 200, client_cpu=cpu, server_cpu=cpu, warmup=10)
    assert rtt.shape == (200,) and rtt.dtype == np.int64
    assert (rtt > 1000).all()  # a loopback round trip takes more than 1 µs


@pytest.mark.parametrize("kind", HANDWRITTEN_KINDS)
def test_handwritten_pingpong_of_every_kind(kind: str) -> None:
    cpu = available_cpus()[0]
    rtt = handwritten_rtt_ns(kind, 64, 100, client_cpu=cpu, server_cpu=cpu, warmup=10)
    assert rtt.shape == (100,) and rtt.dtype == np.int64
    assert (rtt > 1000).all() and (rtt < 1e9).all()


def test_handwritten_pingpong_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind 'sctp'"):
        handwritten_rtt_ns("sctp", 64, 10, client_cpu=0, server_cpu=0)


def test_handwritten_pingpong_reads_in_chunks() -> None:
    cpu = available_cpus()[0]
    rtt = handwritten_rtt_ns(
        "tcp", 65536, 20, client_cpu=cpu, server_cpu=cpu, warmup=2, recv_chunk_bytes=1024
    )
    assert rtt.shape == (20,) and (rtt > 1000).all()
    with pytest.raises(ValueError, match="stream sockets"):
        handwritten_rtt_ns("udp", 64, 10, client_cpu=cpu, server_cpu=cpu, recv_chunk_bytes=1024)
