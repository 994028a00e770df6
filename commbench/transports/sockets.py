"""Raw sockets: TCP (TCP_NODELAY, length-prefixed frames), Unix domain stream, UDP.

A stream connection starts with one mode byte: ``E`` echo frames back, ``S`` sink
frames until an empty one and answer ``!QQ`` (frames, payload bytes), ``F`` answer
one frame holding the peer's machine fingerprint as JSON. UDP echoes datagrams.
Servers run in the peer process; every receive has a timeout; a bad client is
logged in one line and the server keeps serving.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import tempfile
import threading
from collections.abc import Callable

from commbench.transports.framing import (
    HEADER,
    HEADER_BYTES,
    FrameError,
    PeerClosed,
    encode_frame,
    recv_exact,
    recv_frame,
)

UDP_MAX_PAYLOAD_BYTES = 65507
SINK_REPLY = struct.Struct("!QQ")
CLIENT_TIMEOUT_S = 10.0
UDP_LOSS_TIMEOUT_S = 0.2


def log(message: str) -> None:
    """One line on the peer's stderr."""
    sys.stderr.write(f"commbench peer: {message}\n")
    sys.stderr.flush()


PEER_PORTS = 3
"""Consecutive ports a LAN peer (``commbench peer``) uses: TCP/UDP, ZeroMQ REP, PULL."""


def parse_host_port(text: str, *, port_required: bool = False) -> tuple[str, int]:
    """``"127.0.0.1:0"`` -> ("127.0.0.1", 0); ``"[::1]:9000"`` -> ("::1", 9000).

    The port must be in 0..65535, 0 meaning "the OS chooses"; with ``port_required``
    (an address to connect to, or one a peer announces) it must be in 1..65535.
    ValueError with the reason otherwise.
    """
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{text!r} is not HOST:PORT")
    number = int(port)
    low = 1 if port_required else 0
    if not low <= number <= 65535:
        raise ValueError(f"port {number} is outside {low}..65535")
    return host.strip("[]") or "127.0.0.1", number


# ---------------------------------------------------------------- server side


def handle_stream(conn: socket.socket, max_frame_bytes: int, idle_timeout_s: float) -> None:
    """Serve one stream connection until it closes; never raises."""
    conn.settimeout(idle_timeout_s)
    try:
        mode = recv_exact(conn, 1).tobytes()
        if mode == b"E":
            _echo(conn, max_frame_bytes)
        elif mode == b"S":
            _sink(conn, max_frame_bytes)
        elif mode == b"F":
            from commbench.machine import fingerprint

            conn.sendall(encode_frame(json.dumps(fingerprint()).encode()))
        else:
            log(f"refused a connection: unknown mode byte {mode!r}")
    except PeerClosed as exc:
        if "after 0 of" not in str(exc):
            log(f"client vanished mid-frame ({exc})")
    except FrameError as exc:
        log(f"refused a frame: {exc}")
    except TimeoutError:
        log(f"client idle for {idle_timeout_s:.0f} s; connection closed")
    except OSError as exc:
        log(f"connection error: {exc}")
    finally:
        conn.close()


def _echo(conn: socket.socket, max_frame_bytes: int) -> None:
    """Echo frames back, header included, reading header and body in as few calls as
    the kernel allows (usually one) and sending from the same buffer (no copy)."""
    buffer = bytearray(HEADER_BYTES + 65536)
    view = memoryview(buffer)
    recv_into = conn.recv_into
    have = 0
    while True:
        while have < HEADER_BYTES:
            k = recv_into(view[have:])
            if k == 0:
                if have == 0:
                    return  # closed at a frame boundary: a normal end
                raise PeerClosed(f"connection closed after {have} bytes of a header (mid-frame)")
            have += k
        (length,) = HEADER.unpack_from(buffer)
        if length > max_frame_bytes:
            raise FrameError(f"frame of {length} bytes announced, maximum is {max_frame_bytes}")
        need = HEADER_BYTES + length
        if need > len(buffer):
            buffer = buffer[:have] + bytearray(need - have)
            view = memoryview(buffer)
        while have < need:
            k = recv_into(view[have:])
            if k == 0:
                raise PeerClosed(f"connection closed after {have} of {need} bytes (mid-frame)")
            have += k
        conn.sendall(view[:need])
        extra = have - need  # bytes of the next frame that came with this one
        if extra:
            buffer[:extra] = buffer[need:have]
        have = extra


def recv_exact_into(sock: socket.socket, view: memoryview) -> None:
    got, n = 0, len(view)
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise PeerClosed(f"connection closed after {got} of {n} bytes (mid-frame)")
        got += k


def _sink(conn: socket.socket, max_frame_bytes: int) -> None:
    frames = total = 0
    buffer = bytearray(max_frame_bytes)
    while True:
        frame = recv_frame(conn, max_frame_bytes, buffer)
        if len(frame) == 0:
            conn.sendall(SINK_REPLY.pack(frames, total))
            return
        frames += 1
        total += len(frame)


def serve_stream(listener: socket.socket, max_frame_bytes: int, idle_timeout_s: float) -> None:
    """Accept forever; one thread per connection."""
    while True:
        conn, _ = listener.accept()
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(
            target=handle_stream, args=(conn, max_frame_bytes, idle_timeout_s), daemon=True
        ).start()


def tcp_listener(listen: str) -> socket.socket:
    host, port = parse_host_port(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(16)
    return listener


def uds_listener() -> tuple[socket.socket, str]:
    path = os.path.join(tempfile.mkdtemp(prefix="commbench-"), "echo.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    return listener, path


def serve_udp(sock: socket.socket) -> None:
    """Echo every datagram to its sender, forever."""
    buffer = bytearray(UDP_MAX_PAYLOAD_BYTES + 1)
    while True:
        n, sender = sock.recvfrom_into(buffer)
        sock.sendto(memoryview(buffer)[:n], sender)


def udp_socket(listen: str) -> socket.socket:
    host, port = parse_host_port(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, port))
    return sock


# ---------------------------------------------------------------- client side


def connect_stream(
    address: dict, mode: bytes, timeout_s: float = CLIENT_TIMEOUT_S
) -> socket.socket:
    """Connect to a peer's stream server (``{"tcp": [host, port]}`` or ``{"uds": path}``)."""
    if "uds" in address:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout_s)
        sock.connect(address["uds"])
    else:
        host, port = address["tcp"]
        sock = socket.create_connection((host, port), timeout=timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(mode)
    return sock


def stream_round_trip(sock: socket.socket, message: bytes) -> Callable[[], int]:
    """A zero-argument round trip of *message* over an echo connection.

    The reply (header and body) is read into one preallocated buffer, in as few
    calls as the kernel allows; its header must announce the length sent.
    """
    framed = encode_frame(message)
    need = len(framed)
    buffer = bytearray(need)
    view = memoryview(buffer)
    sendall, recv_into = sock.sendall, sock.recv_into
    n = len(message)

    def round_trip() -> int:
        sendall(framed)
        got = 0
        while got < need:
            k = recv_into(view[got:])
            if k == 0:
                raise PeerClosed("peer closed mid-reply")
            got += k
        (length,) = HEADER.unpack_from(buffer)
        return n if length == n else length

    round_trip.last_reply = view[HEADER_BYTES:]  # type: ignore[attr-defined]
    return round_trip


def udp_round_trip(sock: socket.socket, message: bytes) -> Callable[[], int]:
    """A round trip of one datagram; -1 when no reply came within the loss timeout.

    Messages of 4 bytes or more carry a sequence number in their first 4 bytes, so
    a late reply to a lost datagram is not taken for the current one.
    """
    if len(message) > UDP_MAX_PAYLOAD_BYTES:
        raise ValueError(f"{len(message)} bytes do not fit in one UDP datagram")
    sock.settimeout(UDP_LOSS_TIMEOUT_S)
    data = bytearray(message)
    buffer = bytearray(UDP_MAX_PAYLOAD_BYTES + 1)
    sequenced = len(data) >= 4
    state = {"seq": 0}

    def round_trip() -> int:
        state["seq"] = seq = (state["seq"] + 1) & 0xFFFFFFFF
        if sequenced:
            struct.pack_into("!I", data, 0, seq)
        sock.send(data)
        while True:
            try:
                n = sock.recv_into(buffer)
            except TimeoutError:
                return -1
            if not sequenced or struct.unpack_from("!I", buffer)[0] == seq:
                return n

    return round_trip


def stream_throughput(sock: socket.socket, message: bytes, count: int) -> tuple[int, int, int]:
    """Send *count* frames to a sink connection; return (frames, bytes, elapsed_ns) it saw."""
    import time

    framed = encode_frame(message)
    start = time.perf_counter_ns()
    for _ in range(count):
        sock.sendall(framed)
    sock.sendall(encode_frame(b""))
    frames, total = SINK_REPLY.unpack(recv_exact(sock, SINK_REPLY.size))
    return frames, total, time.perf_counter_ns() - start
