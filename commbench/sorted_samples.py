"""Samples validated once and held sorted, with their runs of equal values: what the
rank test and the bootstrap of :mod:`commbench.stats` read, without redoing it per call.

The tidy table holds every benchmark's samples sorted ascending (and latency samples,
decoded from histograms, as a few hundred distinct values repeated). On sorted input
the Mann-Whitney U statistic and its tie correction follow from the runs of equal
values of each side and one ``searchsorted`` of one side's distinct values into the
other's, instead of pooling, sorting and ranking every sample.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

MAX_EXACT_SAMPLES = 2**17
"""Largest pooled size (both sides) for which :func:`mann_whitney_sorted` is used: up to
it, every tie sum (at most n**3 <= 2**51) is an exact float64 integer, so U and the tie
term are exactly those of the pooled computation."""


class SortedSample:
    """One side's samples: validated (1-D float64, non-empty, finite) and sorted.

    ``values``: the sorted samples; ``is_sorted``: whether the input already was (then
    ``values`` is the input itself, not a copy); ``original``: the input as a 1-D array;
    ``distinct`` / ``counts``: the distinct values, ascending, and how often each occurs;
    ``starts``: where each run of equal values begins in ``values``, then ``n``;
    ``tie_sum``: sum of ``count**3 - count`` over the runs. Treat it as read-only.
    """

    __slots__ = ("counts", "distinct", "is_sorted", "n", "original", "tie_sum", "values")
    __slots__ += ("_lookup", "_starts")

    def __init__(
        self,
        original: np.ndarray,
        values: np.ndarray,
        is_sorted: bool,
        runs: tuple[np.ndarray | None, np.ndarray],
    ) -> None:
        """*runs*: :func:`_runs` of *values*."""
        starts, distinct = runs
        n = values.size
        self.original, self.values, self.is_sorted, self.n = original, values, is_sorted, n
        self.distinct, self._starts = distinct, starts
        self._lookup: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if starts is None:  # no ties
            self.counts, self.tie_sum = np.ones(n, dtype=np.int64), 0
        else:
            self.counts = counts = np.subtract(starts[1:], starts[:-1])
            self.tie_sum = int(np.dot(counts * counts, counts)) - n

    @property
    def starts(self) -> np.ndarray:
        if self._starts is None:
            self._starts = np.arange(self.n + 1, dtype=np.int64)
        return self._starts

    def lookup(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``starts``, then ``distinct`` and ``counts`` with one more entry each (+inf, 0):
        what a value above every sample finds at ``searchsorted(distinct, value)``. Kept:
        the baseline side of several comparisons makes them once."""
        if self._lookup is None:
            padded = np.append(self.distinct, np.inf), np.append(self.counts, 0)
            self._lookup = (self.starts, *padded)
        return self._lookup

    @property
    def median(self) -> float:
        """``np.median`` of the samples, read off the sorted values."""
        x, mid = self.values, self.n // 2
        return float(x[mid]) if self.n % 2 else float((x[mid - 1] + x[mid]) / 2)


def sorted_sample(samples: ArrayLike | SortedSample, name: str = "samples") -> SortedSample:
    """Validate *samples* (the checks and messages of ``stats``' ``_as_1d``) and sort them;
    a :class:`SortedSample` is returned as is.

    Sorted input is not copied, and is checked on the way: its runs of equal values,
    which the U test needs anyway, must have increasing values.
    """
    if isinstance(samples, SortedSample):
        return samples
    arr = np.asarray(samples, dtype=np.float64)
    if arr.ndim != 1:
        arr = arr.ravel()
    n = arr.size
    if n == 0:
        raise ValueError(f"{name} is empty: at least one sample time is required")
    runs = _runs(arr)
    distinct = runs[1]
    # sorted exactly when the runs' values increase (a NaN is a run of its own that
    # compares false with its neighbours, so only the ends can be infinite)
    if distinct.size == 1 or (distinct[1:] > distinct[:-1]).all():
        if not (math.isfinite(arr[0]) and math.isfinite(arr[-1])):
            raise ValueError(f"{name} contains NaN or infinite values")
        return SortedSample(arr, arr, True, runs)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    values = np.sort(arr, kind="stable")
    return SortedSample(arr, values, False, _runs(values))


def _runs(values: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The runs of equal neighbours of *values*: where each begins, then ``n`` (None when
    every run is one value long), and the value of each."""
    last = (values[1:] != values[:-1]).nonzero()[0]  # the last index of every run but one
    n, k = values.size, last.size + 1
    if k == n:
        return None, values
    starts = np.empty(k + 1, dtype=np.int64)
    starts[0], starts[k] = 0, n
    np.add(last, 1, out=starts[1:k])
    return starts, values.take(starts[:k])


def mann_whitney_sorted(a: SortedSample, b: SortedSample) -> tuple[float, float]:
    """``(U, p)`` of ``stats.mann_whitney_u`` (U of *a*; normal approximation, tie and
    continuity corrected), from the runs of both sides.

    The distinct values of one side are looked up (``searchsorted``) in the other's: per
    distinct value v of the looked-up side (count c), the number of the other side's
    samples below v, and the count m of them equal to v. The pairs with a above b follow
    (sum(c * below) and sum(c * m), the tied pairs, which U counts as 1/2), and the
    pooled tie term sum(t**3 - t) = a.tie_sum + b.tie_sum + 3 * sum(c * m * (c + m)),
    since (c + m)**3 - (c + m) = (c**3 - c) + (m**3 - m) + 3 c m (c + m). Every sum is an
    exact integer, so both are bit for bit those of the pooled computation as long as the
    pooled size is at most :data:`MAX_EXACT_SAMPLES`. b's values are looked up in a's (a
    is the baseline, whose :meth:`SortedSample.lookup` serves several comparisons) unless
    b has many more distinct values than a.
    """
    n1, n2 = a.n, b.n
    n = n1 + n2
    if n > MAX_EXACT_SAMPLES:
        raise ValueError(f"{n} samples: more than the {MAX_EXACT_SAMPLES} of the exact path")
    if b.distinct.size > 2 * a.distinct.size:  # fewer lookups the other way round
        below_pairs, tied_pairs, tie_cross = _lookup_pairs(a, b)
        greater_pairs = below_pairs  # pairs with b below a
    else:
        below_pairs, tied_pairs, tie_cross = _lookup_pairs(b, a)
        greater_pairs = n1 * n2 - below_pairs - tied_pairs  # pairs with a below b: the rest
    u1 = float(greater_pairs) + 0.5 * float(tied_pairs)
    tie_term = a.tie_sum + b.tie_sum + 3 * tie_cross
    return u1, normal_p_value(u1, n1, n2, float(tie_term))


def _lookup_pairs(x: SortedSample, y: SortedSample) -> tuple[int, int, int]:
    """x's distinct values looked up in y's: the pairs (x sample, y sample) with the y one
    below, the tied pairs, and sum(c * m * (c + m)) over x's values (c of them, m in y)."""
    starts, distinct, counts = y.lookup()
    at = y.distinct.searchsorted(x.distinct)  # y's distinct values below each of x's
    below_pairs = int(np.dot(x.counts, starts[at]))
    equal = counts[at] * (distinct[at] == x.distinct)
    tied = x.counts * equal
    tied_pairs = int(np.add.reduce(tied))
    return below_pairs, tied_pairs, int(np.dot(tied, x.counts + equal)) if tied_pairs else 0


def normal_p_value(u1: float, n1: int, n2: int, tie_term: float) -> float:
    """Two-sided p of U statistic *u1* (normal approximation, continuity corrected); the
    variance is tie corrected by *tie_term* = sum(t**3 - t) over the pooled tie groups.
    All-identical samples (zero variance) give 1.0."""
    n = n1 + n2
    u = max(u1, n1 * n2 - u1)
    var = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
    if var <= 0.0:  # every value identical: no evidence of any difference
        return 1.0
    z = (u - n1 * n2 / 2.0 - 0.5) / math.sqrt(var)
    p = 2.0 * 0.5 * math.erfc(z / math.sqrt(2.0))  # 2 * P(N(0,1) > z)
    return min(max(p, 0.0), 1.0)
