"""The shared-memory floor: a busy-waiting ping-pong through one segment (see ``shm.py``).

No kernel, no serialisation, no library: what is left of a round trip is Python
writing bytes, bumping a counter and spinning, on both ends. Any other transport's
latency is this floor plus what that transport adds.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing import shared_memory
from typing import Any

from commbench.profiles import LATENCY_SIZES_BYTES
from commbench.transports import Link, StreamResult, Transport, Unsupported
from commbench.transports import shm as s
from commbench.transports.latency import RttSamples, measure_rtt
from commbench.transports.peerproc import PeerProcess
from commbench.transports.placement import Placement, pinned

DEFAULT_CAPACITY_BYTES = max(LATENCY_SIZES_BYTES)
DEFAULT_REPLY_TIMEOUT_S = 20.0  # generous: a loaded 2-core host can stall a process for seconds
STOP_GRACE_S = 1.0  # for the peer to see the stop flag and close the segment itself


def message_bytes(size_bytes: int) -> bytes:
    """A message whose bytes differ from a zeroed reply area (so a non-echo shows)."""
    return (bytes(range(1, 256)) * (size_bytes // 255 + 1))[:size_bytes]


class ShmLink:
    """The client end: pinned to ``placement.client_cpu`` while it measures."""

    def __init__(
        self,
        segment: shared_memory.SharedMemory,
        capacity: int,
        peer: PeerProcess,
        placement: Placement,
        reply_timeout_s: float,
    ) -> None:
        self.segment = segment
        self.capacity = capacity
        self.peer = peer
        self.placement = placement
        self.reply_timeout_s = reply_timeout_s
        self.seq = 0
        self.info: dict[str, Any] = {
            "peer_pid": peer.pid,
            "shm_capacity_bytes": capacity,
            "shm_reply_timeout_s": reply_timeout_s,
            "shm_wait": "busy-wait both ends (an idle peer naps after 50 ms)",
        }

    def _gone(self) -> str | None:
        status = self.peer.process.poll()
        return None if status is None else f"peer process {self.peer.pid} exited ({status})"

    def measure(self, size_bytes: int, count: int, max_seconds: float) -> RttSamples:
        if size_bytes > self.capacity:
            raise Unsupported(f"{size_bytes} B exceeds the segment's {self.capacity} B areas")
        if reason := self._gone():
            raise s.PeerTimeout(f"shared-memory peer is gone: {reason}")
        message = message_bytes(size_bytes)
        buf = self.segment.buf
        ctrl = buf[: s.HEADER_BYTES].cast("Q")
        request = buf[s.request_offset() : s.request_offset() + size_bytes]
        reply = buf[s.reply_offset(self.capacity) : s.reply_offset(self.capacity) + size_bytes]
        timeout_s, gone, spins_max = self.reply_timeout_s, self._gone, s.SPINS_PER_CLOCK_CHECK
        try:
            reply[:] = bytes(size_bytes)

            def round_trip() -> int:
                seq = self.seq + 1
                self.seq = seq
                request[:] = message
                ctrl[s.CLIENT_LEN] = size_bytes
                ctrl[s.CLIENT_SEQ] = seq  # last: publishes the bytes written before it
                spins = 0
                while ctrl[s.PEER_SEQ] != seq:  # the fast path, inline: no call, no clock
                    spins += 1
                    if spins == spins_max:
                        s.wait_until(ctrl, s.PEER_SEQ, seq, timeout_s, gone)
                        break
                return ctrl[s.PEER_LEN]

            with pinned(self.placement.client_cpu):
                result = measure_rtt(round_trip, size_bytes, count=count, max_seconds=max_seconds)
            if reply.tobytes() != message:
                raise RuntimeError(f"shared-memory echo of {size_bytes} B returned other bytes")
        finally:
            ctrl.release()
            request.release()
            reply.release()
        return result

    def stream(self, size_bytes: int, count: int, max_seconds: float) -> StreamResult:
        raise Unsupported("the shared-memory floor measures latency only")


@contextmanager
def open_shm(placement: Placement, options: dict[str, Any]) -> Iterator[Link]:
    """Create the segment, start the pinned peer on it; stop and unlink on exit."""
    if options.get("peer"):
        raise Unsupported("shared memory does not cross machines")
    if placement.peer_cpu is None or placement.peer_cpu == placement.client_cpu:
        raise Unsupported(
            "both ends busy-wait: on one core every round trip waits for a time slice (ms)"
        )
    capacity = int(options.get("shm_capacity_bytes", DEFAULT_CAPACITY_BYTES))
    timeout_s = float(options.get("shm_reply_timeout_s", DEFAULT_REPLY_TIMEOUT_S))
    segment = shared_memory.SharedMemory(create=True, size=s.segment_bytes(capacity))
    try:
        peer_options = json.dumps({"name": segment.name, "capacity": capacity})
        with PeerProcess("shm", "--options", peer_options, cpu=placement.peer_cpu) as peer:
            try:
                yield ShmLink(segment, capacity, peer, placement, timeout_s)
            finally:
                with segment.buf[: s.HEADER_BYTES].cast("Q") as ctrl:
                    ctrl[s.STOP] = 1  # the peer leaves its loop; SIGTERM follows anyway
                with suppress(subprocess.TimeoutExpired):
                    peer.process.wait(STOP_GRACE_S)
    finally:
        segment.close()
        segment.unlink()


TRANSPORTS = (
    Transport(
        "shm-floor",
        "Shared-memory ping-pong, both ends busy-waiting (the floor for Python)",
        open_shm,
        spinning=True,
        notes="multiprocessing.shared_memory, sequence counters as flags; cross-core only",
    ),
)
