"""Raw-socket transports: TCP, Unix domain stream socket, UDP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from commbench.transports import Link, StreamResult, Transport, Unsupported
from commbench.transports import sockets as s
from commbench.transports.latency import RttSamples, measure_rtt
from commbench.transports.peerproc import PeerProcess
from commbench.transports.placement import Placement, pinned


class SocketLink:
    """A client socket to a peer's echo server (spawned locally or a LAN peer)."""

    def __init__(self, kind: str, address: dict[str, Any], placement: Placement, info: dict):
        self.kind = kind
        self.address = address
        self.placement = placement
        self.info = info

    def _connect(self, mode: bytes) -> socket.socket:
        if self.kind == "udp":
            host, port = self.address["udp"]
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.connect((host, port))
            return sock
        return s.connect_stream(self.address, mode)

    def measure(self, size_bytes: int, count: int, max_seconds: float) -> RttSamples:
        if self.kind == "udp" and size_bytes > s.UDP_MAX_PAYLOAD_BYTES:
            raise Unsupported(
                f"{size_bytes} B exceeds one UDP datagram ({s.UDP_MAX_PAYLOAD_BYTES} B)"
            )
        message = bytes(range(256)) * (size_bytes // 256) + bytes(size_bytes % 256)
        with pinned(self.placement.client_cpu), self._connect(b"E") as sock:
            make = s.udp_round_trip if self.kind == "udp" else s.stream_round_trip
            round_trip = make(sock, message)
            result = measure_rtt(round_trip, size_bytes, count=count, max_seconds=max_seconds)
            if self.kind != "udp" and bytes(round_trip.last_reply) != message:
                raise RuntimeError(f"{self.kind} echo returned different bytes")
        return result

    def stream(self, size_bytes: int, count: int, max_seconds: float) -> StreamResult:
        if self.kind == "udp":
            raise Unsupported("UDP has no stream")
        message = b"\xa5" * size_bytes
        with pinned(self.placement.client_cpu), self._connect(b"S") as sock:
            sock.settimeout(max_seconds)
            try:
                frames, total, elapsed_ns = s.stream_throughput(sock, message, count)
            except TimeoutError:
                return StreamResult(count, 0, 0, int(max_seconds * 1e9), timed_out=True)
        return StreamResult(count, frames, total, elapsed_ns)


def _opener(kind: str):
    @contextmanager
    def open_link(placement: Placement, options: dict[str, Any]) -> Iterator[Link]:
        remote = options.get("peer")
        if remote:
            if kind == "uds":
                raise Unsupported("Unix domain sockets do not cross machines")
            host, port = s.parse_host_port(remote)
            address = {"tcp": [host, port], "udp": [host, port]}
            yield SocketLink(kind, address, placement, {"path": "lan", "peer": remote})
            return
        server = {"tcp": "tcp", "uds": "uds", "udp": "udp"}[kind]
        with PeerProcess(server, cpu=placement.peer_cpu) as peer:
            info = {"path": "localhost", "peer_pid": peer.pid}
            yield SocketLink(kind, peer.info, placement, info)

    return open_link


TRANSPORTS = (
    Transport(
        "tcp",
        "TCP (loopback or LAN), TCP_NODELAY, length-prefixed frames",
        _opener("tcp"),
        remote=True,
        streams=True,
    ),
    Transport(
        "uds",
        "Unix domain stream socket, length-prefixed frames",
        _opener("uds"),
        streams=True,
    ),
    Transport(
        "udp",
        "UDP datagram ping-pong (losses counted)",
        _opener("udp"),
        remote=True,
        max_size_bytes=s.UDP_MAX_PAYLOAD_BYTES,
    ),
)
