"""PBS fed with latencies measured on a Redis primary and its two replicas (N=3, R=1).

One thread inside the primary's namespace talks to every member over the bridge (a socket
stays in the namespace it was made in), so every time is one clock.

1. Latencies (the WARS model's four, per member):
   - a write: ``SET`` sent to the primary without waiting for its answer, then replica i
     probed with ``GET`` back to back until it has the value: W_i = the midpoint between
     the last stale and the first fresh probe's arrival (send time + half a ``GET`` round
     trip), after the ``SET`` left; the primary's W_0 = A_0 = half a ``SET`` round trip;
   - a replica's acknowledgement A_i (W through ``WAIT``): ``WAIT 2`` completion - invoke -
     the later replica's median W_i;
   - read request and response R_i = S_i: half a ``GET`` round trip to member i.
2. Observed: for W in 1, 2, 3 (``WAIT 0``, ``WAIT 1``, ``WAIT 2`` after the ``SET``) and each
   t of the sweep, *trials* times: write a fresh value, wait until t after the
   acknowledgement (busy wait), ``GET`` it from one member chosen at random, count the
   stale answers.
3. Predicted: :func:`commbench.cap.pbs.t_visibility` with those per-member pools, reads of
   one random member (``read_choice="random"``), at the same t.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from commbench.cap import pbs
from commbench.cap.clusters import Failed, Indefinite, RedisCluster, Resp, RespError
from commbench.cap.netns import in_namespace
from commbench.errors import UserError

KEY = "pbs"
T_SWEEP_MS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


@dataclass
class PbsResult:
    """Per W: the t sweep, predicted and observed p(stale), and the samples behind them."""

    t_ms: list[float]
    observed_stale: dict[int, list[float]] = field(default_factory=dict)
    predicted_stale: dict[int, list[float]] = field(default_factory=dict)
    trials: int = 0
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    """Medians per member of W, A, R (ms): ``write``, ``ack``, ``read``."""
    samples: int = 0
    writes_never_seen: int = 0


def _spin_until(at: float) -> None:
    for _ in range(100_000_000):  # bounded: at most the sweep's largest t
        if time.perf_counter() >= at:
            return


def _with_connections(cluster: RedisCluster, fn: Any) -> Any:
    """Run ``fn(connections)`` in a thread inside member 1's namespace, one connection to
    each member (member 1 must be the primary); a store error is one UserError line."""

    def run() -> Any:
        conns = [Resp(a, cluster.PORT, 2.0) for a in cluster.network.addresses]
        try:
            if "role:master" not in conns[0].call("INFO", "replication"):
                raise UserError("cap: pbs needs member 1 to be the Redis primary")
            return fn(conns)
        except (Failed, Indefinite, RespError, OSError) as exc:
            raise UserError(f"cap: pbs measurement on redis failed: {exc}") from None
        finally:
            for c in conns:
                c.close()

    return in_namespace(cluster.network.members[0], run, 600.0)


def sample(cluster: RedisCluster, samples: int) -> PbsResult:
    """The latency pools of a healthy async *cluster* and the predictions for W = 1..3."""
    return _with_connections(cluster, lambda conns: _sample(conns, samples))


def observe(cluster: RedisCluster, result: PbsResult, w: int, trials: int, seed: int = 0) -> None:
    """The observed p(stale) at each t for *w* (``WAIT w-1``), into *result*."""
    _with_connections(cluster, lambda conns: _observe(conns, w, trials, seed, result))


def measure(cluster: RedisCluster, trials: int, samples: int, seed: int = 0) -> PbsResult:
    """Everything: the pools, the predictions and the observations for W = 1..3."""
    result = sample(cluster, samples)
    for w in range(1, len(cluster.network.addresses) + 1):
        observe(cluster, result, w, trials, seed)
    return result


def _rtt(conn: Resp, *command: str) -> float:
    start = time.perf_counter()
    conn.call(*command)
    return time.perf_counter() - start


def _command(*args: str | int) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


PROBES_MAX = 2_000


def _applied_after(primary: Resp, replica: Resp, value: str, read_half_s: float) -> float | None:
    """Send ``SET`` to the primary without waiting, probe *replica* with ``GET`` until it
    has *value*: the write's arrival there, seconds after the ``SET`` left (the midpoint
    between the last stale and the first fresh probe's arrival). None if never seen."""
    assert primary.sock is not None
    invoke = time.perf_counter()
    primary.sock.sendall(_command("SET", KEY, value))
    last_stale = 0.0
    found = None
    for _ in range(PROBES_MAX):
        sent = time.perf_counter()
        fresh = replica.call("GET", KEY) == value
        arrival = sent + read_half_s - invoke
        if fresh:
            found = (last_stale + arrival) / 2
            break
        last_stale = arrival
    primary._reply()  # the SET's answer
    return found


def _sample(conns: list[Resp], samples: int) -> PbsResult:
    """The WARS pools per member (see module), by probing: no thread, one clock."""
    n = len(conns)
    read = [[_rtt(c, "GET", KEY) / 2 for _ in range(samples)] for c in conns]
    read_half = [float(np.median(r)) for r in read]
    set_half = [_rtt(conns[0], "SET", KEY, "x") / 2 for _ in range(samples)]
    write: list[list[float]] = [set_half, *([] for _ in range(n - 1))]
    ack: list[list[float]] = [set_half, *([] for _ in range(n - 1))]
    missed = 0
    for i in range(samples):
        for j in range(1, n):
            at = _applied_after(conns[0], conns[j], f"s{i}-{j}", read_half[j])
            if at is None:
                missed += 1
            else:
                write[j].append(at)
    later = float(max(np.median(pool) for pool in write[1:] if pool) if any(write[1:]) else 0.0)
    for i in range(samples):
        invoke = time.perf_counter()
        conns[0].call("SET", KEY, f"a{i}")
        conns[0].call("WAIT", n - 1, 1000)
        done = time.perf_counter() - invoke
        for j in range(1, n):
            ack[j].append(max(done - later, 0.0))
    if any(not pool for pool in write):
        raise UserError("cap: pbs never saw a write reach a replica")
    return PbsResult(
        t_ms=list(T_SWEEP_MS),
        latency_ms={
            "write": [1e3 * float(np.median(p)) for p in write],
            "ack": [1e3 * float(np.median(p)) for p in ack],
            "read": [1e3 * r for r in read_half],
        },
        samples=samples,
        writes_never_seen=missed,
        predicted_stale={
            w: [
                1.0 - p
                for p in pbs.t_visibility(
                    np.array(T_SWEEP_MS) / 1e3, n, 1, w, write, ack, read, read,
                    trials=50_000, seed=w, read_choice="random",
                )
            ]
            for w in range(1, n + 1)
        },
    )  # fmt: skip


def _observe(conns: list[Resp], w: int, trials: int, seed: int, result: PbsResult) -> None:
    rng = random.Random(seed * 10 + w)
    n = len(conns)
    result.trials = trials
    stale = []
    for ti, t_ms in enumerate(result.t_ms):
        count = 0
        for trial in range(trials):
            value = f"o{w}-{ti}-{trial}"
            conns[0].call("SET", KEY, value)
            if w > 1:
                conns[0].call("WAIT", w - 1, 1000)
            target = time.perf_counter() + t_ms / 1e3
            reader = conns[rng.randrange(n)]
            _spin_until(target)
            count += reader.call("GET", KEY) != value
        stale.append(count / trials)
    result.observed_stale[w] = stale


def row(result: PbsResult, w: int) -> dict[str, Any]:
    """The result row of *w*: params and metrics for :func:`commbench.results.label`."""
    return rows(result, [w])[0]


def rows(result: PbsResult, ws: list[int] | None = None) -> list[dict[str, Any]]:
    """One result row per W: params and metrics for :func:`commbench.results.label`."""
    out = []
    for w in ws or sorted(result.observed_stale):
        out.append(
            {
                "params": {"n": 3, "r": 1, "w": w, "via": f"WAIT {w - 1}",
                           "trials_per_t": result.trials, "read": "one random member"},
                "metrics": {
                    "t_ms": result.t_ms,
                    "observed_stale": result.observed_stale[w],
                    "predicted_stale": result.predicted_stale[w],
                    "k1_stale_closed_form": pbs.p_stale_k(3, 1, w, 1),
                    "latency_samples": result.samples,
                    "writes_never_seen": result.writes_never_seen,
                    **{f"median_{k}_ms": v for k, v in result.latency_ms.items()},
                },
            }
        )  # fmt: skip
    return out
