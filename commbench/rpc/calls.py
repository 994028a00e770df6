"""The one place where rpc calls are timed: closed loop (ping-pong), one call in flight.

gRPC's "ping_pong" scenario: one channel, one call at a time; every call timed on
its own with ``perf_counter_ns``, the whole distribution kept. A call that raises is
counted (by the error's type) as failed, never a sample; a reply that is not what
was sent raises :class:`commbench.rpc.WrongAnswer` and ends the run.
Client CPU is the process's CPU time over the loop minus the time spent checking
replies (not part of a call); server CPU is read from /proc for the server's PID.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from commbench.rpc import Bound


@dataclass(frozen=True)
class CallSamples:
    """Latencies (ns) of the calls that succeeded, and what the others did."""

    latency_ns: np.ndarray
    failed: int
    errors: dict[str, int] = field(default_factory=dict)
    timed_out: bool = False
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    elapsed_s: float = 0.0

    @property
    def calls(self) -> int:
        return int(self.latency_ns.size)

    def per_call(self, seconds: float | None) -> float | None:
        attempts = self.calls + self.failed
        return None if seconds is None or attempts == 0 else seconds / attempts


def closed_loop(
    bound: Bound,
    *,
    count: int,
    warmup: int,
    max_seconds: float,
    server_cpu_s: Callable[[], float] | None = None,
    first_id: int = 1,
) -> CallSamples:
    """Time up to *count* calls, one after the other, within *max_seconds*."""
    call, check = bound.call, bound.check
    request_id = first_id
    warm_until = time.perf_counter_ns() + int(max_seconds * 0.25e9)  # warm-up is bounded too
    for _ in range(warmup):
        check(call(request_id), request_id)
        request_id += 1
        if time.perf_counter_ns() > warm_until:
            break
    samples = np.empty(count, dtype=np.int64)
    errors: Counter[str] = Counter()
    clock = time.perf_counter_ns
    n = failed = 0
    check_ns = 0
    timed_out = False
    server0 = server_cpu_s() if server_cpu_s else None
    cpu0 = time.process_time()
    start_all = clock()
    deadline = start_all + int(max_seconds * 1e9)
    for _ in range(count):
        start = clock()
        try:
            reply = call(request_id)
        except Exception as exc:  # the framework's error: counted, not a sample
            end = clock()
            failed += 1
            errors[type(exc).__name__] += 1
        else:
            end = clock()
            check(reply, request_id)
            samples[n] = end - start
            n += 1
            check_ns += clock() - end
        request_id += 1
        if end > deadline:
            timed_out = True
            break
    elapsed_s = (clock() - start_all) / 1e9
    client_cpu = time.process_time() - cpu0 - check_ns / 1e9
    server_cpu = server_cpu_s() - server0 if server_cpu_s and server0 is not None else None
    return CallSamples(
        samples[:n], failed, dict(errors), timed_out, max(client_cpu, 0.0), server_cpu, elapsed_s
    )
