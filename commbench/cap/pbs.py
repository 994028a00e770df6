"""Probabilistically Bounded Staleness (Bailis, Venkataraman, Franklin, Hellerstein, Stoica,
"Probabilistically Bounded Staleness for Practical Partial Quorums", VLDB 2012).

Dynamo-style replication: N replicas, a write is acknowledged after W of them applied
it, a read returns the newest of the first R answers.

- k-staleness, closed form: a read misses one given write if its R replicas all lie
  outside that write's W, with probability C(N-W, R) / C(N, R); it returns a value more
  than k versions old only if it misses the last k writes, each independently (the paper's
  assumption): ``p_stale(k) = (C(N-W, R) / C(N, R)) ** k``.
- t-visibility, by Monte-Carlo of the WARS model: per replica a write-request latency W,
  an ack latency A, a read-request latency R and a response latency S, each drawn from
  measured samples. The write commits when the W-th ack arrives; a read starts t after
  the commit; a replica answers with the new value if the write reached it before the
  read request did; the coordinator takes the first R answers (by R + S). The share of
  trials in which one of them has the new value is ``p_consistent(t)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np


def _check_nrw(n: int, r: int, w: int) -> None:
    if not (n >= 1 and 1 <= r <= n and 1 <= w <= n):
        raise ValueError(f"PBS needs 1 <= R, W <= N, not N={n} R={r} W={w}")


def p_miss(n: int, r: int, w: int) -> float:
    """Probability that a read quorum of R misses a write quorum of W out of N."""
    _check_nrw(n, r, w)
    return comb(n - w, r) / comb(n, r)


def p_stale_k(n: int, r: int, w: int, k: int = 1) -> float:
    """Probability that a read returns a value more than *k* versions old (closed form)."""
    if k < 1:
        raise ValueError(f"k-staleness needs k >= 1, not {k}")
    return p_miss(n, r, w) ** k


def p_consistent_k(n: int, r: int, w: int, k: int = 1) -> float:
    """Probability of k-staleness consistency: the read is at most *k* versions old."""
    return 1.0 - p_stale_k(n, r, w, k)


Samples = np.ndarray | Sequence[float] | Sequence[np.ndarray]


def _draw(samples: Samples, rng: np.random.Generator, trials: int, n: int) -> np.ndarray:
    """(trials, n) draws: from one pool for every replica (i.i.d., the paper's model), or,
    given n pools (a list of n arrays), replica i's from pool i."""
    if isinstance(samples, list | tuple) and samples and np.ndim(samples[0]) == 1:
        pools = [np.asarray(pool, dtype=float) for pool in samples]
        if len(pools) != n:
            raise ValueError(f"per-replica samples need {n} pools, not {len(pools)}")
        if any(pool.size == 0 for pool in pools):
            raise ValueError("t-visibility needs at least one sample of each latency")
        return np.stack([rng.choice(pool, size=trials) for pool in pools], axis=1)
    pool = np.asarray(samples, dtype=float)
    if pool.size == 0:
        raise ValueError("t-visibility needs at least one sample of each latency")
    return rng.choice(pool, size=(trials, n))


def t_visibility(
    t_s: Sequence[float] | np.ndarray,
    n: int,
    r: int,
    w: int,
    write_s: Samples,
    ack_s: Samples,
    read_s: Samples,
    response_s: Samples,
    trials: int = 100_000,
    seed: int = 0,
    read_choice: str = "fastest",
) -> np.ndarray:
    """``p_consistent(t)`` for each t in *t_s* (seconds after the commit), by Monte-Carlo
    over *trials* draws of the four latency samples (WARS; see the module docstring).

    Each latency is one pool for every replica or a list of N pools, one per replica (a
    primary and its replicas differ). *read_choice* ``fastest`` reads the first R replicas
    to answer (the paper's coordinator); ``random`` reads R replicas chosen uniformly (a
    client reading the replica it happens to be attached to)."""
    _check_nrw(n, r, w)
    if read_choice not in ("fastest", "random"):
        raise ValueError(f"read_choice is fastest or random, not {read_choice!r}")
    rng = np.random.default_rng(seed)
    wl, al, rl, sl = (_draw(s, rng, trials, n) for s in (write_s, ack_s, read_s, response_s))
    commit = np.sort(wl + al, axis=1)[:, w - 1]
    # the R replicas read: the first to answer (by request + response latency, ties at
    # random) or R chosen at random
    ties = rng.random((trials, n))
    order = (np.lexsort((ties, rl + sl), axis=1) if read_choice == "fastest"
             else np.argsort(ties, axis=1))[:, :r]  # fmt: skip
    rows = np.arange(trials)[:, None]
    applied_at = wl[rows, order]  # when the write reached each of those replicas
    request_at = rl[rows, order]  # when the read reached them, relative to its start
    out = np.empty(len(t_s))
    for i, t in enumerate(np.asarray(t_s, dtype=float)):
        fresh = applied_at <= (commit + t)[:, None] + request_at
        out[i] = fresh.any(axis=1).mean()
    return out
