"""By value vs by reference: the crossover rule on synthetic timings, and real Read calls."""

from __future__ import annotations

import pytest

from commbench.rpc.byref import crossover_bytes, expected, make_object, passing, shared_copy
from commbench.rpc.pool import open_pair

SIZES = [64, 1024, 16384, 262144]


def test_crossover_interpolates_on_log_size() -> None:
    # value doubles per step past 1 KiB; reference flat: equal halfway (log) in 1K..16K
    value = [10.0, 100.0, 10_000.0, 100_000.0]
    reference = [1_000.0] * 4
    assert crossover_bytes(SIZES, value, reference) == pytest.approx(4096, rel=1e-6)


def test_crossover_edges() -> None:
    assert crossover_bytes(SIZES, [1, 1, 1, 1], [2, 2, 2, 2]) is None  # never wins
    assert crossover_bytes(SIZES, [3, 3, 3, 3], [2, 2, 2, 2]) == 64.0  # wins everywhere
    # a win that does not last is not a crossover: the last losing size counts
    got = crossover_bytes(SIZES, [5, 1, 4, 8], [2, 2, 2, 2])
    assert 1024 < got < 16384
    assert crossover_bytes(list(reversed(SIZES)), [8, 4, 1, 5], [2, 2, 2, 2]) == got  # order
    with pytest.raises(ValueError):
        crossover_bytes([1, 2], [1.0], [1.0, 2.0])


def test_a_tie_is_not_a_win() -> None:
    assert crossover_bytes([64, 128], [2, 2], [2, 2]) is None


@pytest.mark.parametrize("framework", ["tcp", "grpc"])
def test_read_by_value_and_by_reference_agree(framework: str) -> None:
    data = make_object(100_000)
    pair = open_pair(framework, None)
    try:
        with shared_copy(data) as segment:
            for access in ("whole", "1%"):
                want = expected(data, access)
                assert want[0] == (100_000 if access == "whole" else 1000)
                for mode in ("value", "reference"):
                    bound = pair.client.bind_read(
                        passing(mode, data, segment), {"whole": 1.0, "1%": 0.01}[access], want
                    )
                    reply = bound.call(5)
                    bound.check(reply, 5)
                    assert bound.document(reply) == want
                wrong = pair.client.bind_read(data, 1.0, (want[0], want[1] + 1))
                with pytest.raises(Exception, match="expected"):
                    wrong.check(wrong.call(6), 6)
    finally:
        pair.client.close()
        pair.server.stop()
