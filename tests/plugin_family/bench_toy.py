"""The toy family's benchmarks: a real timing labelled by the one writer, and a component
that is missing (an unsupported row; a user error when the suite is named)."""

import pytest

from commbench.results import label


@pytest.mark.parametrize("n", [10, 1000])
def test_toy_sum(benchmark, n):
    total = benchmark(sum, range(n))
    label(benchmark, family="toy", subject="builtin-sum", params={"n": n}, metrics={"total": total})


def test_toy_ghost(unsupported):
    unsupported("toy", "ghost", {"n": 1}, "ghost-tool is not installed", missing=True)
