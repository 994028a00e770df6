"""Length-prefixed frames for stream sockets (TCP, Unix domain).

A frame is a 4-byte big-endian unsigned length followed by that many bytes. The
decoder refuses a frame longer than ``max_frame_bytes`` as soon as its header
arrives, before allocating anything for it, so a peer cannot be made to allocate
what a garbage or hostile header announces. Nothing received is ever unpickled or
evaluated: frames are bytes.
"""

from __future__ import annotations

import socket
import struct

HEADER = struct.Struct("!I")
HEADER_BYTES = HEADER.size
DEFAULT_MAX_FRAME_BYTES = 16 * 2**20  # 16 MiB: the largest message swept is 1 MiB


class FrameError(Exception):
    """The byte stream is not a valid sequence of frames."""


class FrameTooLarge(FrameError):
    """A header announced more than the configured maximum."""


class PeerClosed(Exception):
    """The other end closed the connection (at a frame boundary or mid-frame)."""


def encode_frame(payload: bytes) -> bytes:
    """Header plus payload, ready for ``sendall``."""
    return HEADER.pack(len(payload)) + payload


class FrameDecoder:
    """Incremental decoder: ``feed(data)`` returns the frames completed so far.

    >>> d = FrameDecoder(max_frame_bytes=10)
    >>> d.feed(b"\\x00\\x00\\x00\\x02hi\\x00\\x00")
    [b'hi']
    >>> d.feed(b"\\x00\\x01!")
    [b'!']
    >>> d.pending_bytes
    0
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()

    @property
    def pending_bytes(self) -> int:
        """Bytes received that do not yet make a whole frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER_BYTES:
            (length,) = HEADER.unpack_from(self._buffer)
            if length > self.max_frame_bytes:
                raise FrameTooLarge(
                    f"frame of {length} bytes announced, maximum is {self.max_frame_bytes}"
                )
            end = HEADER_BYTES + length
            if len(self._buffer) < end:
                break
            frames.append(bytes(self._buffer[HEADER_BYTES:end]))
            del self._buffer[:end]
        return frames


def recv_exact(sock: socket.socket, n: int, buffer: bytearray | None = None) -> memoryview:
    """Receive exactly *n* bytes (into *buffer* when given); raises PeerClosed on EOF."""
    buf = buffer if buffer is not None and len(buffer) >= n else bytearray(n)
    view = memoryview(buf)[:n]
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise PeerClosed(f"connection closed after {got} of {n} bytes")
        got += k
    return view


def recv_frame(
    sock: socket.socket,
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    buffer: bytearray | None = None,
) -> memoryview:
    """Receive one frame; its length is checked against the maximum before allocation."""
    (length,) = HEADER.unpack(recv_exact(sock, HEADER_BYTES))
    if length > max_frame_bytes:
        raise FrameTooLarge(f"frame of {length} bytes announced, maximum is {max_frame_bytes}")
    return recv_exact(sock, length, buffer)
