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


def t_visibility(
    t_s: Sequence[float] | np.ndarray,
    n: int,
    r: int,
    w: int,
    write_s: np.ndarray,
    ack_s: np.ndarray,
    read_s: np.ndarray,
    response_s: np.ndarray,
    trials: int = 100_000,
    seed: int = 0,
) -> np.ndarray:
    """``p_consistent(t)`` for each t in *t_s* (seconds after the commit), by Monte-Carlo
    over *trials* draws of the four latency samples (WARS; see the module docstring)."""
    _check_nrw(n, r, w)
    samples = [np.asarray(s, dtype=float) for s in (write_s, ack_s, read_s, response_s)]
    if any(s.size == 0 for s in samples):
        raise ValueError("t-visibility needs at least one sample of each latency")
    rng = np.random.default_rng(seed)
    wl, al, rl, sl = (rng.choice(s, size=(trials, n)) for s in samples)
    commit = np.sort(wl + al, axis=1)[:, w - 1]
    # the first R replicas to answer a read, by request + response latency; ties at random
    order = np.lexsort((rng.random((trials, n)), rl + sl), axis=1)[:, :r]
    rows = np.arange(trials)[:, None]
    applied_at = wl[rows, order]  # when the write reached each of those replicas
    request_at = rl[rows, order]  # when the read reached them, relative to its start
    out = np.empty(len(t_s))
    for i, t in enumerate(np.asarray(t_s, dtype=float)):
        fresh = applied_at <= (commit + t)[:, None] + request_at
        out[i] = fresh.any(axis=1).mean()
    return out
