"""The shared-memory ping-pong floor: one segment, two sequence counters, both ends spinning.

Layout of the segment (``multiprocessing.shared_memory``), all counters uint64:

* byte 0: client sequence, byte 8: request length (the client's cache line)
* byte 64: peer sequence, byte 72: reply length (the peer's cache line)
* byte 128: stop flag
* ``HEADER_BYTES`` ..: request area, then reply area, ``capacity`` bytes each

The client writes the request, then its length, then bumps its sequence; the peer
spins until the sequence changes, copies the request into the reply area (so moving
the bytes is paid for), writes the length, bumps its sequence. On x86 stores are not
reordered with other stores nor loads with loads, so a counter seen means the bytes
before it are visible. No locks, no system calls: the floor for Python on this host.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import suppress
from multiprocessing import resource_tracker, shared_memory
from typing import Any

HEADER_BYTES = 256
CLIENT_SEQ, CLIENT_LEN = 0, 1  # uint64 indices in the header
PEER_SEQ, PEER_LEN = 8, 9
STOP = 16

SPINS_PER_CLOCK_CHECK = 4096  # a clock read every spin would add to the floor itself
LIVENESS_AFTER_NS = 10_000_000  # a wait this long asks whether the peer lives
IDLE_SPIN_NS = 50_000_000  # the peer spins this long, then naps: an idle peer frees its core
IDLE_NAP_S = 0.0005


def segment_bytes(capacity: int) -> int:
    """Size of a segment holding a request and a reply of up to *capacity* bytes."""
    return HEADER_BYTES + 2 * capacity


def request_offset() -> int:
    return HEADER_BYTES


def reply_offset(capacity: int) -> int:
    return HEADER_BYTES + capacity


def attach(name: str) -> shared_memory.SharedMemory:
    """Open an existing segment without letting this process's tracker unlink it at exit.

    (Python < 3.13 registers attached segments too; the creator owns the unlink.)
    """
    shm = shared_memory.SharedMemory(name=name)
    with suppress(KeyError, ValueError):  # a tracker that never registered it is fine
        resource_tracker.unregister(shm._name, "shared_memory")
    return shm


class PeerTimeout(RuntimeError):
    """The other end did not answer before the deadline."""


def wait_until(
    ctrl: memoryview, index: int, expected: int, timeout_s: float, gone: Callable[[], str | None]
) -> None:
    """Spin until ``ctrl[index] == expected``; :class:`PeerTimeout` after *timeout_s*.

    The clock is read once every ``SPINS_PER_CLOCK_CHECK`` spins, so a prompt answer
    costs no clock read at all. ``gone()`` says why the other end is gone (or None);
    it is asked once a wait has lasted ``LIVENESS_AFTER_NS``, so a dead peer is
    reported at once rather than at the deadline.
    """
    spins = 0
    first = 0
    while ctrl[index] != expected:
        spins += 1
        if spins % SPINS_PER_CLOCK_CHECK:
            continue
        now = time.monotonic_ns()
        if first == 0:
            first = now
            continue
        if now - first < LIVENESS_AFTER_NS:
            continue
        reason = gone()
        if reason or now - first > timeout_s * 1e9:
            raise PeerTimeout(
                f"no answer through shared memory within {timeout_s:g} s"
                if reason is None
                else f"no answer through shared memory: {reason}"
            )


def serve_shm(args: argparse.Namespace, ready: Callable[[dict[str, Any]], None]) -> None:
    """The peer: echo every request into the reply area until the stop flag is set.

    ``args.options``: ``{"name": segment name, "capacity": bytes per message area}``.
    """
    name = args.options["name"]
    capacity = int(args.options["capacity"])
    shm = attach(name)
    ctrl = shm.buf[:HEADER_BYTES].cast("Q")
    request = shm.buf[request_offset() : request_offset() + capacity]
    reply = shm.buf[reply_offset(capacity) : reply_offset(capacity) + capacity]
    try:
        ready({"shm": name, "capacity": capacity})
        _echo_loop(ctrl, request, reply)
    finally:
        ctrl.release()
        request.release()
        reply.release()
        shm.close()


def _echo_loop(ctrl: memoryview, request: memoryview, reply: memoryview) -> None:
    seen = ctrl[CLIENT_SEQ]
    clock = time.perf_counter_ns
    while True:
        spins = 0
        idle_since = 0
        while ctrl[CLIENT_SEQ] == seen:
            if ctrl[STOP]:
                return
            spins += 1
            if spins % SPINS_PER_CLOCK_CHECK == 0:
                now = clock()
                if idle_since == 0:
                    idle_since = now
                elif now - idle_since > IDLE_SPIN_NS:
                    time.sleep(IDLE_NAP_S)  # idle between benchmarks: stop burning the core
        seen = ctrl[CLIENT_SEQ]
        n = ctrl[CLIENT_LEN]
        reply[:n] = request[:n]
        ctrl[PEER_LEN] = n
        ctrl[PEER_SEQ] = seen
