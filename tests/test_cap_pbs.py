"""PBS: the k-staleness closed form against hand-computed values; t-visibility's Monte-Carlo
against cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from commbench.cap import pbs


@pytest.mark.parametrize(
    "n, r, w, k, stale",
    [
        (3, 1, 1, 1, 2 / 3),  # C(2,1)/C(3,1)
        (3, 1, 1, 2, 4 / 9),
        (3, 1, 1, 3, 8 / 27),
        (3, 2, 1, 1, 1 / 3),  # C(2,2)/C(3,2)
        (3, 1, 2, 1, 1 / 3),  # C(1,1)/C(3,1)
        (3, 2, 2, 1, 0.0),  # R + W > N: strict quorum, never stale
        (5, 1, 2, 1, 3 / 5),
        (5, 2, 2, 1, 3 / 10),  # C(3,2)/C(5,2) = 3/10
        (5, 2, 2, 2, 9 / 100),
        (1, 1, 1, 1, 0.0),
    ],
)
def test_k_staleness_closed_form(n: int, r: int, w: int, k: int, stale: float) -> None:
    assert pbs.p_stale_k(n, r, w, k) == pytest.approx(stale, abs=1e-12)
    assert pbs.p_consistent_k(n, r, w, k) == pytest.approx(1 - stale, abs=1e-12)


@pytest.mark.parametrize("n, r, w, k", [(3, 4, 1, 1), (3, 1, 0, 1), (0, 1, 1, 1), (3, 1, 1, 0)])
def test_bad_quorums_are_refused(n: int, r: int, w: int, k: int) -> None:
    with pytest.raises(ValueError):
        pbs.p_stale_k(n, r, w, k)


def test_t_visibility_worked_by_hand() -> None:
    # N=3, W=1, R=1. The write reaches each replica after 1 ms or 100 ms (even odds); acks,
    # read requests and responses are instant (responses tie: the replica read is random).
    # It commits with the first replica it reaches. Before t = 99 ms a read is fresh iff
    # its replica was reached at 1 ms: with K of 3 such replicas (K ~ Bin(3, 1/2)) that is
    # K/3, and 1 when K = 0 (the commit then waits for all): 1/8 + (3/3 + 6/3 + 1)/8 = 5/8.
    write = np.array([0.001, 0.100])
    zero = np.array([0.0])
    p = pbs.t_visibility([0.0, 0.050, 0.0995, 0.2], 3, 1, 1, write, zero, zero, zero, 200_000)
    assert p[0] == pytest.approx(5 / 8, abs=0.005)
    assert p[1] == pytest.approx(5 / 8, abs=0.005)
    assert p[2] == 1.0 and p[3] == 1.0


def test_t_visibility_strict_quorum_and_monotone_in_t() -> None:
    rng = np.random.default_rng(0)
    write, ack, read, response = (rng.exponential(s, 1000) for s in (0.004, 0.001, 0.001, 0.001))
    t = np.linspace(0, 0.02, 9)
    strict = pbs.t_visibility(t, 3, 2, 2, write, ack, read, response, 20_000)
    assert np.all(strict == 1.0)
    partial = pbs.t_visibility(t, 3, 1, 1, write, ack, read, response, 20_000)
    assert partial[0] < 0.9  # slow writes, fast acks: stale reads right after the commit
    assert np.all(np.diff(partial) >= 0) and partial[-1] > partial[0]
    # t = 0 with all-instant write propagation: nothing is ever stale
    zero = np.zeros(1)
    assert pbs.t_visibility([0.0], 3, 1, 1, zero, ack, read, response, 1000)[0] == 1.0


def test_t_visibility_per_replica_pools_and_a_random_read() -> None:
    # a primary applies at once (0) and acks at once; two replicas apply after 10 ms. W=1
    # commits with the primary at 0. A read of one random member is fresh at t < 10 ms
    # only on the primary (1/3); at t >= 10 ms always. Reading the fastest answer instead
    # (the primary answers first: its response is instant) is always fresh.
    write = [np.array([0.0]), np.array([0.010]), np.array([0.010])]
    zero = np.array([0.0])
    slow = [np.array([0.0]), np.array([0.001]), np.array([0.001])]
    p = pbs.t_visibility([0.0, 0.005, 0.011], 3, 1, 1, write, zero, zero, zero, 60_000,
                         read_choice="random")  # fmt: skip
    assert p[0] == pytest.approx(1 / 3, abs=0.01) and p[1] == pytest.approx(1 / 3, abs=0.01)
    assert p[2] == 1.0
    fastest = pbs.t_visibility([0.0], 3, 1, 1, write, zero, zero, slow, 10_000)
    assert fastest[0] == 1.0
    # W=2 waits for a replica: the commit is at 10 ms, every read after it is fresh
    assert pbs.t_visibility([0.0], 3, 1, 2, write, zero, zero, zero, 10_000,
                            read_choice="random")[0] == 1.0  # fmt: skip
    with pytest.raises(ValueError):
        pbs.t_visibility([0.0], 3, 1, 1, write[:2], zero, zero, zero, 10)
    with pytest.raises(ValueError):
        pbs.t_visibility([0.0], 3, 1, 1, zero, zero, zero, zero, 10, read_choice="nearest")
