"""Calls under load: closed loop with N calls in flight, and open loop at a constant rate.

Concurrency (ghz's ``-c``, gRPC's "unconstrained"): N client threads, each with its
own client, so N calls are in flight. What a framework's client shares is recorded
by the adapter: gRPC multiplexes the threads' calls on one HTTP/2 channel when the
clients share a channel (``shared_client``), HTTP/1.1, REQ/REP and plain TCP carry
one call per connection, so N threads use N connections.

Open loop (wrk2, OpenMessaging): calls are scheduled at a constant rate, call ``i``
at ``t0 + i / rate``; its latency runs from that *intended* send time, not from
when a free worker got to send it, which corrects coordinated omission. Calls are
handed to a fixed set of workers round robin (worker ``j`` sends ``j, j+k, ...``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from commbench.rpc import Bound

ID_STRIDE = 10**9
"""Worker ``j`` numbers its calls from ``first_id + j * ID_STRIDE``: ids never collide."""


@dataclass(frozen=True)
class LoadResult:
    latency_ns: np.ndarray
    failed: int
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    late_calls: int = 0  # open loop: calls sent after their intended time

    @property
    def calls(self) -> int:
        return int(self.latency_ns.size)

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class _Worker:
    bound: Bound
    latencies: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    late: int = 0
    wrong: BaseException | None = None


def _run(
    workers: list[_Worker],
    body: Callable[[_Worker, int, int], None],
    seconds: float,
    server_cpu_s: Callable[[], float] | None,
) -> LoadResult:
    start_ns = time.perf_counter_ns() + 20_000_000  # all threads start together, 20 ms on
    server0 = server_cpu_s() if server_cpu_s else None
    cpu0 = time.process_time()
    threads = [
        threading.Thread(target=body, args=(w, j, start_ns), daemon=True)
        for j, w in enumerate(workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60.0)  # a call has its own timeout; this bounds the rest
    elapsed_s = (time.perf_counter_ns() - start_ns) / 1e9
    client_cpu = time.process_time() - cpu0
    server_cpu = server_cpu_s() - server0 if server_cpu_s and server0 is not None else None
    for w in workers:
        if w.wrong is not None:
            raise w.wrong
    errors: Counter[str] = Counter()
    for w in workers:
        errors.update(w.errors)
    latencies = np.array([x for w in workers for x in w.latencies], dtype=np.int64)
    return LoadResult(
        latencies,
        sum(errors.values()),
        dict(errors),
        elapsed_s,
        client_cpu,
        server_cpu,
        sum(w.late for w in workers),
    )


def _sleep_until(target_ns: int) -> None:
    while (left := target_ns - time.perf_counter_ns()) > 0:
        time.sleep(min(left / 1e9, 0.05))


def closed_loop_load(
    bounds: list[Bound],
    *,
    seconds: float,
    first_id: int = 1,
    server_cpu_s: Callable[[], float] | None = None,
) -> LoadResult:
    """``len(bounds)`` calls in flight, for *seconds*: each worker calls back to back."""
    workers = [_Worker(b) for b in bounds]

    def body(w: _Worker, j: int, start_ns: int) -> None:
        call, check, clock = w.bound.call, w.bound.check, time.perf_counter_ns
        request_id = first_id + j * ID_STRIDE
        _sleep_until(start_ns)
        deadline = start_ns + int(seconds * 1e9)
        try:
            while clock() < deadline:
                begin = clock()
                try:
                    reply = call(request_id)
                except Exception as exc:
                    w.errors[type(exc).__name__] += 1
                else:
                    w.latencies.append(clock() - begin)
                    check(reply, request_id)
                request_id += 1
        except BaseException as exc:  # a wrong answer: re-raised in the caller
            w.wrong = exc

    return _run(workers, body, seconds, server_cpu_s)


def open_loop(
    bounds: list[Bound],
    *,
    rate_per_s: float,
    seconds: float,
    first_id: int = 1,
    server_cpu_s: Callable[[], float] | None = None,
) -> LoadResult:
    """Calls at *rate_per_s* for *seconds*; latency from each call's intended send time."""
    if rate_per_s <= 0:
        raise ValueError(f"rate must be positive, got {rate_per_s}")
    workers = [_Worker(b) for b in bounds]
    k = len(workers)
    total = max(1, int(rate_per_s * seconds))
    interval_ns = 1e9 / rate_per_s

    def body(w: _Worker, j: int, start_ns: int) -> None:
        call, check, clock = w.bound.call, w.bound.check, time.perf_counter_ns
        give_up_ns = start_ns + int(2 * seconds * 1e9)  # overloaded: stop, count the rest
        try:
            for n, i in enumerate(range(j, total, k)):
                intended = start_ns + int(i * interval_ns)
                if clock() > give_up_ns:
                    w.errors["NotSent"] += len(range(j, total, k)) - n
                    break
                if clock() < intended:
                    _sleep_until(intended)
                else:
                    w.late += 1
                request_id = first_id + i
                try:
                    reply = call(request_id)
                except Exception as exc:
                    w.errors[type(exc).__name__] += 1
                else:
                    w.latencies.append(clock() - intended)
                    check(reply, request_id)
        except BaseException as exc:
            w.wrong = exc

    return _run(workers, body, seconds, server_cpu_s)
